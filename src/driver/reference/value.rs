//! JavaScript-like values inside the reference driver, and the coercions
//! Node applies to arguments.

use std::collections::BTreeMap;

use crate::net::{Error, Server, Socket};
use crate::protocol::Value;

/// A value as the driver's evaluator sees it: protocol values plus live
/// objects.
#[derive(Clone, Debug)]
pub enum JsVal {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Buffer(Vec<u8>),
    Array(Vec<JsVal>),
    Object(BTreeMap<String, JsVal>),
    Error(BTreeMap<String, Value>),
    /// The `net` module.
    Net,
    Server(Server),
    Socket(Socket),
    /// A `{"callback": name}` function.
    Callback(String),
}

impl JsVal {
    /// From a decoded protocol value (handles resolve through `lookup`).
    pub fn from_value(v: &Value, lookup: &dyn Fn(&str) -> Option<JsVal>) -> JsVal {
        match v {
            Value::Undefined => JsVal::Undefined,
            Value::Null => JsVal::Null,
            Value::Bool(b) => JsVal::Bool(*b),
            Value::Number(n) => JsVal::Number(*n),
            Value::String(s) => JsVal::String(s.clone()),
            Value::Buffer(b) => JsVal::Buffer(b.clone()),
            Value::Array(a) => {
                JsVal::Array(a.iter().map(|x| JsVal::from_value(x, lookup)).collect())
            }
            Value::Object(m) => JsVal::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), JsVal::from_value(x, lookup)))
                    .collect(),
            ),
            Value::Error(m) => JsVal::Error(m.clone()),
            Value::Handle { id, .. } => lookup(id).unwrap_or(JsVal::Undefined),
            Value::Function(name) => JsVal::Callback(name.clone()),
        }
    }

    pub fn is_nullish(&self) -> bool {
        matches!(self, JsVal::Undefined | JsVal::Null)
    }

    /// A property of a plain object.
    pub fn get(&self, key: &str) -> Option<&JsVal> {
        match self {
            JsVal::Object(m) => m.get(key),
            _ => None,
        }
    }

    /// `key in object` for plain objects.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// A property that is present and not undefined.
    pub fn opt(&self, key: &str) -> Option<&JsVal> {
        self.get(key).filter(|v| !matches!(v, JsVal::Undefined))
    }

    /// JavaScript truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            JsVal::Undefined | JsVal::Null => false,
            JsVal::Bool(b) => *b,
            JsVal::Number(n) => *n != 0.0 && !n.is_nan(),
            JsVal::String(s) => !s.is_empty(),
            _ => true,
        }
    }

    /// `Number(x)`.
    pub fn to_number(&self) -> f64 {
        match self {
            JsVal::Undefined => f64::NAN,
            JsVal::Null => 0.0,
            JsVal::Bool(b) => f64::from(u8::from(*b)),
            JsVal::Number(n) => *n,
            JsVal::String(s) => {
                let t = s.trim();
                if t.is_empty() {
                    0.0
                } else if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                    i64::from_str_radix(h, 16)
                        .map(|n| n as f64)
                        .unwrap_or(f64::NAN)
                } else {
                    t.parse::<f64>().unwrap_or(f64::NAN)
                }
            }
            _ => f64::NAN,
        }
    }

    /// `String(x)` for primitives (objects give their tag).
    pub fn to_js_string(&self) -> String {
        match self {
            JsVal::Undefined => "undefined".into(),
            JsVal::Null => "null".into(),
            JsVal::Bool(b) => b.to_string(),
            JsVal::Number(n) => format_number(*n),
            JsVal::String(s) => s.clone(),
            JsVal::Array(a) => a
                .iter()
                .map(|x| {
                    if x.is_nullish() {
                        String::new()
                    } else {
                        x.to_js_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
            JsVal::Buffer(b) => String::from_utf8_lossy(b).into_owned(),
            _ => "[object Object]".into(),
        }
    }

    /// Node's `determineSpecificType`, used in error messages.
    pub fn describe(&self) -> String {
        match self {
            JsVal::Undefined => "undefined".into(),
            JsVal::Null => "null".into(),
            JsVal::Callback(n) => format!("function {n}"),
            JsVal::String(s) => {
                let shown: String = s.chars().take(25).collect();
                let more = if s.chars().count() > 25 { "..." } else { "" };
                format!("type string ('{shown}'{more})")
            }
            JsVal::Number(n) => format!("type number ({})", format_number(*n)),
            JsVal::Bool(b) => format!("type boolean ({b})"),
            JsVal::Object(_) | JsVal::Error(_) => "an instance of Object".to_string(),
            JsVal::Array(_) => "an instance of Array".into(),
            JsVal::Buffer(_) => "an instance of Buffer".into(),
            JsVal::Server(_) => "an instance of Server".into(),
            JsVal::Socket(_) => "an instance of Socket".into(),
            JsVal::Net => "an instance of Object".into(),
        }
    }

    /// `util.inspect` for the simple values that appear in messages.
    pub fn inspect(&self) -> String {
        match self {
            JsVal::String(s) => format!("'{s}'"),
            JsVal::Object(m) if m.is_empty() => "{}".into(),
            JsVal::Object(m) => format!(
                "{{ {} }}",
                m.iter()
                    .map(|(k, v)| format!("{k}: {}", v.inspect()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            JsVal::Array(a) => format!(
                "[ {} ]",
                a.iter().map(JsVal::inspect).collect::<Vec<_>>().join(", ")
            ),
            other => other.to_js_string(),
        }
    }
}

/// JavaScript's number-to-string for the common cases.
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A Node error as a protocol value.
pub fn error_value(e: &Error) -> Value {
    let mut m = BTreeMap::new();
    m.insert("name".into(), Value::String(e.name().into()));
    m.insert("message".into(), Value::String(e.message().into()));
    m.insert("code".into(), Value::String(e.code().into()));
    if let Some(n) = e.errno() {
        m.insert("errno".into(), Value::Number(n.into()));
    }
    if let Some(s) = e.syscall() {
        m.insert("syscall".into(), Value::String(s.into()));
    }
    if let Some(a) = e.address() {
        m.insert("address".into(), Value::String(a.into()));
    }
    if let Some(p) = e.port() {
        m.insert("port".into(), Value::Number(p.into()));
    }
    if let Some(h) = e.hostname() {
        m.insert("hostname".into(), Value::String(h.into()));
    }
    Value::Error(m)
}

/// `validatePort(port, name)`: Node's `ERR_SOCKET_BAD_PORT` rule.
pub fn validate_port(port: &JsVal, name: &str) -> Result<u16, Error> {
    let bad = || {
        Error::range_error(
            "ERR_SOCKET_BAD_PORT",
            format!(
                "{name} should be >= 0 and < 65536. Received {}.",
                port.describe()
            ),
        )
    };
    match port {
        JsVal::Number(_) => {}
        JsVal::String(s) if !s.trim().is_empty() => {}
        _ => return Err(bad()),
    }
    let n = port.to_number();
    if n.is_nan() || n < 0.0 || n.fract() != 0.0 || n > 65535.0 {
        return Err(bad());
    }
    Ok(n as u16)
}

/// `ERR_INVALID_ARG_TYPE` for a property or argument.
pub fn invalid_arg_type(what: &str, expected: &str, got: &JsVal) -> Error {
    Error::type_error(
        "ERR_INVALID_ARG_TYPE",
        format!("The {what} must be {expected}. Received {}", got.describe()),
    )
}

/// `validateNumber(value, name)` without bounds: any number, `NaN`
/// included.
pub fn validate_number(value: &JsVal, name: &str) -> Result<(), Error> {
    match value {
        JsVal::Number(_) => Ok(()),
        other => Err(invalid_arg_type(
            &format!("\"{name}\" property"),
            "of type number",
            other,
        )),
    }
}

//! JavaScript as the reference driver evaluates it: values, and the
//! conversions Node's JS layer applies before the implementation sees an
//! argument.
//!
//! - this file: [`JsVal`] and [`Props`], with JavaScript's coercions
//!   (`Number(x)`, `String(x)`, truthiness, `typeof`) and the text Node puts
//!   in its error messages;
//! - [`validate`]: Node's argument validators (`validatePort`,
//!   `ERR_INVALID_ARG_TYPE`…), shared by every module's bindings;
//! - [`builtins`]: JavaScript's own globals a script may use (`Error`,
//!   `Object.keys`).

pub mod builtins;
pub mod url;
pub mod validate;

use std::sync::Arc;

use super::host::{HostModule, HostObject};
use crate::Error;
use crate::protocol::Value;

/// A value as the driver's evaluator sees it: protocol values plus live
/// objects of the implementation.
#[derive(Clone)]
pub enum JsVal {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Buffer(Vec<u8>),
    Array(Vec<JsVal>),
    /// A plain object, its keys in insertion order.
    Object(Props),
    /// A real `Error`: `name`, `message` and its other properties.
    Error(Props),
    /// A `{"callback": name}` function.
    Callback(String),
    /// A method or module function read as a value (`typeof
    /// socket.write`), by name; scripts call methods directly.
    Function(String),
    /// A function of the implementation handed to a script (an
    /// `SNICallback`'s callback), which scripts call as
    /// `f.call(thisArg, ...args)`.
    Native(NativeFn),
    /// An object of the implementation (a socket, a server).
    Host(Arc<dyn HostObject>),
    /// A module (`net`) or a global namespace (`Object`).
    Module(Arc<dyn HostModule>),
    /// A constructor: a module's class by qualified id (`net.Socket`), or a
    /// global error class (`Error`).
    Class(&'static str),
}

impl std::fmt::Debug for JsVal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsVal::Host(h) => write!(f, "Host({})", h.class()),
            JsVal::Module(m) => write!(f, "Module({})", m.name()),
            other => f.write_str(&other.inspect()),
        }
    }
}

/// An object's properties in insertion order, as JavaScript keeps them.
/// See [`JsVal::Native`].
#[derive(Clone)]
pub struct NativeFn {
    /// The function's `name` (what a trace shows).
    pub name: &'static str,
    pub call: Arc<dyn Fn(Vec<JsVal>) -> Result<JsVal, super::host::Failure> + Send + Sync>,
}

#[derive(Clone, Debug, Default)]
pub struct Props(Vec<(String, JsVal)>);

impl Props {
    /// No properties.
    pub fn new() -> Props {
        Props::default()
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&JsVal> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key`, keeping its place if it was there.
    pub fn insert(&mut self, key: impl Into<String>, value: JsVal) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Sets `key` and returns the object, for building values.
    pub fn with(mut self, key: &str, value: JsVal) -> Props {
        self.insert(key, value);
        self
    }

    /// Key and value pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &JsVal)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The keys in order (`Object.keys`).
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// Whether there is no property.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, JsVal)> for Props {
    fn from_iter<I: IntoIterator<Item = (String, JsVal)>>(iter: I) -> Props {
        let mut p = Props::new();
        for (k, v) in iter {
            p.insert(k, v);
        }
        p
    }
}

impl JsVal {
    /// From a decoded protocol value (handles resolve through `lookup`).
    pub fn from_value(v: &Value, lookup: &dyn Fn(&str) -> Option<JsVal>) -> JsVal {
        let props = |m: &std::collections::BTreeMap<String, Value>| {
            m.iter()
                .map(|(k, x)| (k.clone(), JsVal::from_value(x, lookup)))
                .collect()
        };
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
            Value::Object(m) => JsVal::Object(props(m)),
            Value::Error(m) => JsVal::Error(props(m)),
            Value::Handle { id, .. } => lookup(id).unwrap_or(JsVal::Undefined),
            Value::Function(name) => JsVal::Callback(name.clone()),
        }
    }

    /// A Node error as a JavaScript value: the very value `destroy(value)`
    /// was given, or an `Error` with Node's properties.
    pub fn from_error(e: &Error) -> JsVal {
        if let Some(v) = e.payload().and_then(|p| p.downcast_ref::<JsVal>()) {
            return v.clone();
        }
        let mut p = Props::new()
            .with("name", JsVal::String(e.name().into()))
            .with("message", JsVal::String(e.message().into()));
        // JavaScript's own errors (a property read of null) have no code;
        // an AggregateError's is its first error's, possibly undefined.
        if !e.code().is_empty() {
            p.insert("code", JsVal::String(e.code().into()));
        } else if e.name() == "AggregateError" {
            p.insert("code", JsVal::Undefined);
        }
        if let Some(n) = e.errno() {
            p.insert("errno", JsVal::Number(n.into()));
        }
        if let Some(s) = e.syscall() {
            p.insert("syscall", JsVal::String(s.into()));
        }
        if let Some(a) = e.address() {
            p.insert("address", JsVal::String(a.into()));
        }
        if let Some(n) = e.port() {
            p.insert("port", JsVal::Number(n.into()));
        }
        if let Some(h) = e.hostname() {
            p.insert("hostname", JsVal::String(h.into()));
        }
        if let Some(info) = e.info() {
            p.insert(
                "info",
                JsVal::Object(
                    Props::new()
                        .with("errno", JsVal::Number(info.errno.into()))
                        .with("code", JsVal::String(info.code.clone()))
                        .with("message", JsVal::String(info.message.clone()))
                        .with("syscall", JsVal::String(info.syscall.clone())),
                ),
            );
        }
        for (k, v) in e.props() {
            p.insert(*k, JsVal::from_prop(v));
        }
        JsVal::Error(p)
    }

    /// An error's own property (or a value made the same way, such as a
    /// certificate's fields) as a JavaScript value.
    pub fn from_prop(v: &crate::error::ErrorProp) -> JsVal {
        use crate::error::ErrorProp;
        match v {
            ErrorProp::Number(n) => JsVal::Number(*n),
            ErrorProp::String(s) => JsVal::String(s.clone()),
            ErrorProp::Bytes(b) => JsVal::Buffer(b.clone()),
            ErrorProp::Bool(b) => JsVal::Bool(*b),
            ErrorProp::Object(fields) => JsVal::Object(
                fields
                    .iter()
                    .fold(Props::new(), |p, (k, v)| p.with(k, JsVal::from_prop(v))),
            ),
            ErrorProp::List(items) => JsVal::Array(items.iter().map(JsVal::from_prop).collect()),
        }
    }

    /// `undefined` or `null`.
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

    /// `typeof value`.
    pub fn type_of(&self) -> &'static str {
        match self {
            JsVal::Undefined => "undefined",
            JsVal::Bool(_) => "boolean",
            JsVal::Number(_) => "number",
            JsVal::String(_) => "string",
            JsVal::Callback(_) | JsVal::Function(_) | JsVal::Class(_) | JsVal::Native(_) => {
                "function"
            }
            _ => "object",
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
            JsVal::Callback(n) | JsVal::Function(n) => format!("function {n}"),
            JsVal::Native(f) => format!("function {}", f.name),
            JsVal::Class(c) => format!("function {}", c.rsplit('.').next().unwrap_or(c)),
            JsVal::String(s) => {
                let shown: String = s.chars().take(25).collect();
                let more = if s.chars().count() > 25 { "..." } else { "" };
                format!("type string ('{shown}'{more})")
            }
            JsVal::Number(n) => format!("type number ({})", format_number(*n)),
            JsVal::Bool(b) => format!("type boolean ({b})"),
            JsVal::Object(_) | JsVal::Module(_) => "an instance of Object".to_string(),
            JsVal::Error(p) => match p.get("name") {
                Some(JsVal::String(n)) => format!("an instance of {n}"),
                _ => "an instance of Error".into(),
            },
            JsVal::Array(_) => "an instance of Array".into(),
            JsVal::Buffer(_) => "an instance of Buffer".into(),
            JsVal::Host(h) => format!(
                "an instance of {}",
                h.class().rsplit('.').next().unwrap_or("Object")
            ),
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
            JsVal::Host(h) => h.class().rsplit('.').next().unwrap_or("Object").into(),
            other => other.to_js_string(),
        }
    }
}

/// JavaScript's `String(n)`.
pub fn format_number(n: f64) -> String {
    crate::number::to_js_string(n)
}

/// A Node error as a protocol value, for a `throw` reply.
pub fn error_value(e: &Error) -> Value {
    match JsVal::from_error(e) {
        JsVal::Error(p) => {
            Value::Error(p.iter().map(|(k, v)| (k.clone(), plain_value(v))).collect())
        }
        other => plain_value(&other),
    }
}

/// A value holding no object of the implementation, as a protocol value
/// (objects become empty objects; only the session can name them).
pub fn plain_value(v: &JsVal) -> Value {
    match v {
        JsVal::Undefined => Value::Undefined,
        JsVal::Null => Value::Null,
        JsVal::Bool(b) => Value::Bool(*b),
        JsVal::Number(n) => Value::Number(*n),
        JsVal::String(s) => Value::String(s.clone()),
        JsVal::Buffer(b) => Value::Buffer(b.clone()),
        JsVal::Array(a) => Value::Array(a.iter().map(plain_value).collect()),
        JsVal::Object(p) => {
            Value::Object(p.iter().map(|(k, v)| (k.clone(), plain_value(v))).collect())
        }
        JsVal::Error(p) => {
            Value::Error(p.iter().map(|(k, v)| (k.clone(), plain_value(v))).collect())
        }
        JsVal::Callback(n) | JsVal::Function(n) => Value::Function(n.clone()),
        JsVal::Native(f) => Value::Function(f.name.to_string()),
        JsVal::Class(c) => Value::Function(c.rsplit('.').next().unwrap_or(c).to_string()),
        JsVal::Host(_) | JsVal::Module(_) => Value::Object(Default::default()),
    }
}

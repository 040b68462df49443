//! The driver protocol: the messages between the harness and a driver, and
//! the value and expression encodings they carry.
//!
//! `spec/PROTOCOL.md` is the normative description; this module is its Rust
//! form. Both the in-process reference driver and external drivers exchange
//! exactly these types, so the harness cannot tell them apart.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 3;

/// A JavaScript value as it crosses the protocol.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Buffer(Vec<u8>),
    Array(Vec<Value>),
    Object(BTreeMap<String, Value>),
    /// An `Error`: its `name`, `message` and own enumerable properties.
    Error(BTreeMap<String, Value>),
    /// An object held by the driver: its class, qualified by the module
    /// that exports it (`net.Socket`), and its registered name.
    Handle {
        class: String,
        id: String,
    },
    /// A function, by its name.
    Function(String),
}

impl Value {
    /// A property of an error or plain object, if present.
    pub fn prop(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(m) | Value::Error(m) => m.get(key),
            _ => None,
        }
    }

    /// Decodes a protocol value.
    pub fn from_json(json: &Json) -> Result<Value, String> {
        Ok(match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.as_f64().ok_or("number out of range")?),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(
                items
                    .iter()
                    .map(Value::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            Json::Object(map) => return decode_object(map),
        })
    }

    /// Encodes a value for the protocol.
    pub fn to_json(&self) -> Json {
        let tagged = |tag: &str, v: Json| {
            let mut m = Map::new();
            m.insert(tag.to_string(), v);
            Json::Object(m)
        };
        match self {
            Value::Undefined => tagged("$undefined", Json::Bool(true)),
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => {
                if n.is_nan() {
                    tagged("$number", "NaN".into())
                } else if n.is_infinite() {
                    tagged(
                        "$number",
                        if *n > 0.0 { "Infinity" } else { "-Infinity" }.into(),
                    )
                } else if *n == 0.0 && n.is_sign_negative() {
                    tagged("$number", "-0".into())
                } else if n.fract() == 0.0 && n.abs() < 9.0e15 {
                    Json::from(*n as i64)
                } else {
                    Json::from(*n)
                }
            }
            Value::String(s) => Json::String(s.clone()),
            Value::Buffer(b) => tagged(
                "$buffer",
                base64::engine::general_purpose::STANDARD.encode(b).into(),
            ),
            Value::Array(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            Value::Object(m) => {
                Json::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            Value::Error(m) => tagged(
                "$error",
                Json::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            ),
            Value::Handle { class, id } => {
                let mut m = Map::new();
                m.insert("$object".into(), class.clone().into());
                m.insert("$id".into(), id.clone().into());
                Json::Object(m)
            }
            Value::Function(name) => tagged("$function", name.clone().into()),
        }
    }
}

fn decode_object(map: &Map<String, Json>) -> Result<Value, String> {
    let tag = map.keys().find(|k| k.starts_with('$'));
    let Some(tag) = tag else {
        let mut out = BTreeMap::new();
        for (k, v) in map {
            out.insert(k.clone(), Value::from_json(v)?);
        }
        return Ok(Value::Object(out));
    };
    let field = &map[tag.as_str()];
    let as_str = || {
        field
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("`{tag}` must hold a string"))
    };
    Ok(match tag.as_str() {
        "$undefined" => Value::Undefined,
        "$number" => match as_str()?.as_str() {
            "NaN" => Value::Number(f64::NAN),
            "Infinity" => Value::Number(f64::INFINITY),
            "-Infinity" => Value::Number(f64::NEG_INFINITY),
            "-0" => Value::Number(-0.0),
            other => return Err(format!("unknown $number {other:?}")),
        },
        "$buffer" => Value::Buffer(
            base64::engine::general_purpose::STANDARD
                .decode(as_str()?)
                .map_err(|e| format!("bad base64 in $buffer: {e}"))?,
        ),
        "$error" => match Value::from_json(field)? {
            Value::Object(m) => Value::Error(m),
            _ => return Err("`$error` must hold an object".into()),
        },
        "$object" | "$id" => Value::Handle {
            class: map
                .get("$object")
                .and_then(Json::as_str)
                .ok_or("`$object` needs a class name")?
                .to_string(),
            id: map
                .get("$id")
                .and_then(Json::as_str)
                .ok_or("`$object` needs an `$id`")?
                .to_string(),
        },
        "$function" => Value::Function(as_str()?),
        other => return Err(format!("unknown value tag `{other}`")),
    })
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = Json::deserialize(d)?;
        Value::from_json(&json).map_err(serde::de::Error::custom)
    }
}

/// An action's expression tree (see "Expressions" in `spec/PROTOCOL.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expr {
    Value(Value),
    Global(String),
    Ref(String),
    Get {
        target: Box<Expr>,
        property: String,
    },
    Set {
        target: Box<Expr>,
        property: String,
        value: Box<Expr>,
    },
    Call {
        target: Box<Expr>,
        method: String,
        args: Vec<Expr>,
    },
    /// `new target(...args)`: `target` evaluates to a constructor
    /// (`net.Socket` is `{"get": {"target": {"global": "net"}, "property":
    /// "Socket"}}`, `Error` is `{"global": "Error"}`).
    New {
        target: Box<Expr>,
        args: Vec<Expr>,
    },
    Object(BTreeMap<String, Expr>),
    Array(Vec<Expr>),
    Callback(String),
    /// `typeof value`.
    Typeof(Box<Expr>),
    /// `value instanceof class`.
    Instanceof {
        value: Box<Expr>,
        class: Box<Expr>,
    },
}

/// A reaction declared by `begin`: actions a listener runs synchronously,
/// inside the emission, whenever `object` emits `event` (see "Reactions" in
/// `spec/PROTOCOL.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    /// The registered name the listener goes on; it is attached when a
    /// value is registered under this name.
    pub object: String,
    pub event: String,
    /// Names bound to the event's arguments, in order, while the body runs.
    #[serde(default)]
    pub params: Vec<String>,
    /// Expressions evaluated in order, `this` being no concern of theirs.
    pub body: Vec<Expr>,
    /// Run for the first emission only.
    #[serde(default)]
    pub once: bool,
}

/// A capture declared by `begin`: names a value (an object or a plain value)
/// that arrives as an event argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    pub object: String,
    pub event: String,
    /// 1-based occurrence of `event` on `object`.
    pub nth: usize,
    /// 0-based argument index.
    pub arg: usize,
    pub name: String,
    pub observe: Vec<String>,
}

/// A request from the harness to a driver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Request {
    Begin {
        id: u64,
        case: String,
        captures: Vec<Capture>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reactions: Vec<Reaction>,
        /// Per qualified class, the events to subscribe on an object the
        /// case never named (`#n`): every event that changes nothing, so
        /// no emission of such an object goes unseen.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        defaults: BTreeMap<String, Vec<String>>,
    },
    Eval {
        id: u64,
        expr: Expr,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assign: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        observe: Vec<String>,
    },
    Observe {
        id: u64,
        object: String,
        events: Vec<String>,
    },
    End {
        id: u64,
    },
    Bye,
}

/// The handshake a driver sends first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    pub implementation: String,
    pub version: String,
    /// The Node version whose behaviour the implementation claims.
    pub node: String,
    #[serde(default)]
    pub features: Vec<String>,
    /// The Node modules the driver implements (`net`, `dgram`): a case
    /// using another is skipped.
    #[serde(default)]
    pub modules: Vec<String>,
}

/// A message from a driver to the harness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Message {
    Hello(Hello),
    Ok {
        id: u64,
    },
    Result {
        id: u64,
        value: Value,
    },
    Throw {
        id: u64,
        error: Value,
    },
    Error {
        id: u64,
        message: String,
    },
    Event {
        object: String,
        event: String,
        #[serde(default)]
        args: Vec<Value>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_json() {
        let v = Value::Array(vec![
            Value::Undefined,
            Value::Number(f64::INFINITY),
            Value::Number(-0.0),
            Value::Number(4.0),
            Value::Buffer(b"hi".to_vec()),
            Value::Handle {
                class: "net.Socket".into(),
                id: "peer".into(),
            },
            Value::Error(BTreeMap::from([("code".into(), Value::String("E".into()))])),
        ]);
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(
            text,
            r#"[{"$undefined":true},{"$number":"Infinity"},{"$number":"-0"},4,{"$buffer":"aGk="},{"$id":"peer","$object":"net.Socket"},{"$error":{"code":"E"}}]"#
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(format!("{back:?}"), format!("{v:?}"));
    }

    #[test]
    fn messages_use_the_documented_shapes() {
        let m: Message =
            serde_json::from_str(r#"{"type":"event","object":"s","event":"close","args":[false]}"#)
                .unwrap();
        assert_eq!(
            m,
            Message::Event {
                object: "s".into(),
                event: "close".into(),
                args: vec![Value::Bool(false)]
            }
        );
        let r = Request::Eval {
            id: 2,
            expr: Expr::Call {
                target: Box::new(Expr::Global("net".into())),
                method: "isIP".into(),
                args: vec![Expr::Value(Value::String("::1".into()))],
            },
            assign: None,
            observe: vec![],
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"op":"eval","id":2,"expr":{"call":{"target":{"global":"net"},"method":"isIP","args":[{"value":"::1"}]}}}"#
        );
    }
}

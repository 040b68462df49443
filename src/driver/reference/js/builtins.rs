//! JavaScript's own globals and operators, as far as scripts use them:
//! error constructors (`new Error("boom")`), `Object.keys`, `instanceof`,
//! and property access on plain values.

use std::sync::Arc;

use super::{JsVal, Props};
use crate::driver::reference::host::{Eval, Failure, HostModule};
use crate::driver::reference::session::Session;
use crate::spec::vocabulary;

/// A global that is not a Node module: an error constructor or `Object`.
pub fn global(name: &str) -> Option<JsVal> {
    if let Some(ctor) = vocabulary::ERROR_CONSTRUCTORS
        .iter()
        .chain(vocabulary::OTHER_CONSTRUCTORS)
        .find(|c| **c == name)
    {
        return Some(JsVal::Class(ctor));
    }
    (name == "Object").then(|| JsVal::Module(Arc::new(ObjectGlobal)))
}

/// `new Error(message)` and its subclasses: a real error, with `name` and
/// `message` (`String(message)`, or `''` without one).
pub fn construct(class: &str, args: Vec<JsVal>) -> Eval {
    if class == "URL" {
        return Ok(super::url::construct(&args)?);
    }
    let message = match args.first() {
        None | Some(JsVal::Undefined) => String::new(),
        Some(m) => m.to_js_string(),
    };
    Ok(JsVal::Error(
        Props::new()
            .with("name", JsVal::String(class.into()))
            .with("message", JsVal::String(message)),
    ))
}

/// `value instanceof Class`: an object is an instance of its class and of
/// every class it inherits from; every error is an `Error`.
pub fn instance_of(value: &JsVal, class: &JsVal) -> Result<bool, Failure> {
    let JsVal::Class(id) = class else {
        // Node: "Right-hand side of 'instanceof' is not callable".
        return Err(Failure::Throw(JsVal::Error(
            Props::new()
                .with("name", JsVal::String("TypeError".into()))
                .with(
                    "message",
                    JsVal::String("Right-hand side of 'instanceof' is not callable".into()),
                ),
        )));
    };
    Ok(match value {
        JsVal::Host(object) => {
            vocabulary::class(object.class()).is_some_and(|c| c.is_a(id)) || *id == "Object"
        }
        JsVal::Error(p) => {
            *id == "Error"
                || *id == "Object"
                || matches!(p.get("name"), Some(JsVal::String(n)) if n == id)
        }
        JsVal::Object(_) | JsVal::Array(_) | JsVal::Buffer(_) | JsVal::Module(_) => *id == "Object",
        _ => false,
    })
}

/// `value.property` for plain values: object members, `length`, array
/// indices; reading a property of `undefined` or `null` throws Node's
/// `TypeError`.
pub fn get(value: &JsVal, property: &str) -> Eval {
    Ok(match (value, property) {
        (JsVal::Object(m) | JsVal::Error(m), p) => m.get(p).cloned().unwrap_or(JsVal::Undefined),
        (JsVal::Array(a), "length") => JsVal::Number(a.len() as f64),
        (JsVal::String(s), "length") => JsVal::Number(s.encode_utf16().count() as f64),
        (JsVal::Buffer(b), "length") => JsVal::Number(b.len() as f64),
        (JsVal::Array(a), p) => p
            .parse::<usize>()
            .ok()
            .and_then(|i| a.get(i).cloned())
            .unwrap_or(JsVal::Undefined),
        (JsVal::Buffer(b), p) => p
            .parse::<usize>()
            .ok()
            .and_then(|i| b.get(i))
            .map_or(JsVal::Undefined, |x| JsVal::Number(f64::from(*x))),
        (JsVal::Undefined | JsVal::Null, p) => {
            return Err(Failure::Throw(JsVal::Error(
                Props::new()
                    .with("name", JsVal::String("TypeError".into()))
                    .with(
                        "message",
                        JsVal::String(format!(
                            "Cannot read properties of {} (reading '{p}')",
                            value.to_js_string()
                        )),
                    ),
            )));
        }
        _ => JsVal::Undefined,
    })
}

/// JavaScript's `Object`, for `Object.keys(value)`.
struct ObjectGlobal;

impl HostModule for ObjectGlobal {
    fn name(&self) -> &'static str {
        "Object"
    }

    fn call(&self, _cx: &Session, function: &str, args: Vec<JsVal>) -> Eval {
        let value = args.into_iter().next().unwrap_or(JsVal::Undefined);
        match function {
            // Own enumerable keys in insertion order; a string's are its
            // indices.
            "keys" => Ok(JsVal::Array(match &value {
                JsVal::Object(p) | JsVal::Error(p) => {
                    p.keys().map(|k| JsVal::String(k.clone())).collect()
                }
                JsVal::Array(a) => (0..a.len()).map(|i| JsVal::String(i.to_string())).collect(),
                JsVal::Undefined | JsVal::Null => {
                    return Err(Failure::Throw(JsVal::Error(
                        Props::new()
                            .with("name", JsVal::String("TypeError".into()))
                            .with(
                                "message",
                                JsVal::String("Cannot convert undefined or null to object".into()),
                            ),
                    )));
                }
                _ => {
                    return Err(Failure::unsupported(format!(
                        "Object.keys of {}",
                        value.describe()
                    )));
                }
            })),
            other => Err(Failure::unsupported(format!("Object.{other}"))),
        }
    }

    fn construct(&self, _cx: &Session, class: &str, _args: Vec<JsVal>) -> Eval {
        Err(Failure::unsupported(format!("new Object.{class}")))
    }
}

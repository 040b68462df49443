//! The `http.ServerResponse` binding.

use std::any::Any;
use std::sync::Arc;

use super::super::net::socket::socket_value;
use crate::driver::reference::host::{
    Eval, Failure, HostListener, HostObject, count_listeners, same_object, subscribe_to,
};
use crate::driver::reference::js::validate::chunk_bytes;
use crate::driver::reference::js::validate::last_callback;
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::http::h1::{HeaderValue, validate_header};
use crate::http::{ServerResponse, outgoing_error};

/// A `ServerResponse` as scripts see it.
pub struct ResponseHost(pub ServerResponse);

impl PartialEq for ResponseHost {
    fn eq(&self, other: &ResponseHost) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

/// A response as a JavaScript value.
pub fn response_value(res: ServerResponse) -> JsVal {
    JsVal::Host(Arc::new(ResponseHost(res)))
}

fn event_args(e: &crate::http::ResponseEvent) -> Vec<JsVal> {
    match e {
        crate::http::ResponseEvent::Error(err) => vec![JsVal::from_error(err)],
        _ => vec![],
    }
}

/// A header value from a script: a string, a number (kept: `getHeader`
/// gives it back), an array of them; `None` for `undefined`, which Node
/// refuses.
fn header_value(v: &JsVal) -> Option<HeaderValue> {
    match v {
        JsVal::Undefined => None,
        JsVal::Number(n) => Some(HeaderValue::Number(*n)),
        JsVal::Array(items) => Some(HeaderValue::Many(
            items.iter().map(JsVal::to_js_string).collect(),
        )),
        other => Some(HeaderValue::One(other.to_js_string())),
    }
}

fn value_of(v: &HeaderValue) -> JsVal {
    match v {
        HeaderValue::One(s) => JsVal::String(s.clone()),
        HeaderValue::Number(n) => JsVal::Number(*n),
        HeaderValue::Many(vs) => JsVal::Array(vs.iter().cloned().map(JsVal::String).collect()),
    }
}

/// `writeHead`'s headers: an object's entries, or a flat array of names
/// and values (and whether its length is odd).
fn head_headers(v: Option<&JsVal>) -> (Vec<(String, Option<HeaderValue>)>, bool) {
    match v {
        Some(JsVal::Object(p)) => (
            p.iter()
                .map(|(k, v)| (k.clone(), header_value(v)))
                .collect(),
            false,
        ),
        Some(JsVal::Array(items)) => (
            items
                .chunks(2)
                .filter(|c| c.len() == 2)
                .map(|c| (c[0].to_js_string(), header_value(&c[1])))
                .collect(),
            items.len() % 2 == 1,
        ),
        _ => (Vec::new(), false),
    }
}

/// The script's callback of `write()`/`end()`, if any (the last
/// argument): called with the error, or nothing.
fn write_callback(cx: &Session, args: &[JsVal]) -> Option<crate::http::WriteCallback> {
    last_callback(args).map(|cb| {
        let cx = cx.clone();
        Box::new(move |e: Option<&crate::Error>| {
            cx.callback(
                &cb,
                e.map(|e| vec![JsVal::from_error(e)]).unwrap_or_default(),
            )
        }) as crate::http::WriteCallback
    })
}

/// `setHeader`'s value: `undefined` is Node's `ERR_HTTP_INVALID_HEADER_VALUE`
/// (after the name's own check).
fn required_value(name: &str, v: &JsVal) -> Result<HeaderValue, Failure> {
    match header_value(v) {
        Some(value) => Ok(value),
        None => {
            let e = validate_header(name, None).expect_err("undefined is refused");
            Err(outgoing_error(e, "set").into())
        }
    }
}

impl HostObject for ResponseHost {
    fn class(&self) -> &'static str {
        "http.ServerResponse"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn HostObject) -> bool {
        same_object(self, other)
    }

    fn get(&self, _cx: &Session, property: &str) -> Result<Option<JsVal>, Failure> {
        let r = &self.0;
        Ok(Some(match property {
            "statusCode" => JsVal::Number(r.with_core(|c| c.status_code).into()),
            "statusMessage" => r.with_core(|c| {
                c.status_message
                    .clone()
                    .map_or(JsVal::Undefined, JsVal::String)
            }),
            "sendDate" => JsVal::Bool(r.with_core(|c| c.send_date)),
            "headersSent" => JsVal::Bool(r.headers_sent()),
            "writableEnded" | "finished" => JsVal::Bool(r.writable_ended()),
            "destroyed" => JsVal::Bool(r.destroyed()),
            "strictContentLength" => JsVal::Bool(r.with_core(|c| c.strict_content_length)),
            "writableFinished" => JsVal::Bool(r.writable_finished()),
            "socket" | "connection" => r.socket().map_or(JsVal::Null, |s| socket_value(s.clone())),
            _ => return Ok(None),
        }))
    }

    fn set(&self, _cx: &Session, property: &str, value: &JsVal) -> Result<bool, Failure> {
        let r = &self.0;
        match property {
            "statusCode" => r.with_core_mut(|c| c.status_code = value.to_number() as u16),
            "statusMessage" => r.with_core_mut(|c| c.status_message = Some(value.to_js_string())),
            "sendDate" => r.with_core_mut(|c| c.send_date = value.truthy()),
            "strictContentLength" => r.with_core_mut(|c| c.strict_content_length = value.truthy()),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn call(&self, cx: &Session, this: &JsVal, method: &str, args: Vec<JsVal>) -> Eval {
        let r = &self.0;
        let arg = |i: usize| args.get(i).cloned().unwrap_or(JsVal::Undefined);
        let name = || arg(0).to_js_string();
        match method {
            "setHeader" => {
                r.set_header(&name(), required_value(&name(), &arg(1))?)?;
                Ok(this.clone())
            }
            "appendHeader" => {
                r.append_header(&name(), required_value(&name(), &arg(1))?)?;
                Ok(this.clone())
            }
            "flushHeaders" => {
                r.flush_headers()?;
                Ok(JsVal::Undefined)
            }
            "destroy" => {
                let err = args.first().filter(|v| !v.is_nullish()).map(|v| match v {
                    JsVal::Error(p) => crate::Error::with_payload(
                        &p.get("code").map(JsVal::to_js_string).unwrap_or_default(),
                        p.get("message")
                            .map(JsVal::to_js_string)
                            .unwrap_or_default(),
                        Arc::new(v.clone()),
                    ),
                    other => crate::Error::with_payload(
                        "",
                        other.to_js_string(),
                        Arc::new(other.clone()),
                    ),
                });
                r.destroy(err);
                Ok(this.clone())
            }
            "getHeader" => {
                Ok(r.with_core(|c| c.get_header(&name()).map_or(JsVal::Undefined, value_of)))
            }
            "hasHeader" => Ok(JsVal::Bool(
                r.with_core(|c| c.get_header(&name()).is_some()),
            )),
            "getHeaderNames" => Ok(JsVal::Array(r.with_core(|c| {
                c.headers()
                    .iter()
                    .map(|(n, _)| JsVal::String(n.to_ascii_lowercase()))
                    .collect()
            }))),
            "getHeaders" => Ok(JsVal::Object(r.with_core(|c| {
                let mut p = Props::new();
                for (n, v) in c.headers() {
                    p.insert(n.to_ascii_lowercase(), value_of(v));
                }
                p
            }))),
            "removeHeader" => {
                r.remove_header(&name())?;
                Ok(JsVal::Undefined)
            }
            "writeHead" => {
                let status = arg(0).to_number() as u16;
                let (message, (headers, odd)) = match arg(1) {
                    JsVal::String(m) => (Some(m), head_headers(args.get(2))),
                    _ => (None, head_headers(args.get(1))),
                };
                r.write_head_with(status, message.as_deref(), &headers, odd)?;
                Ok(this.clone())
            }
            "write" => {
                let encoding = args.get(1).filter(|v| matches!(v, JsVal::String(_)));
                let bytes = chunk_bytes(&arg(0), encoding)?;
                let callback = write_callback(cx, &args);
                Ok(JsVal::Bool(r.write_with(&bytes, callback)?))
            }
            // end([data[, encoding]][, callback])
            "end" => {
                let bytes = match arg(0) {
                    JsVal::Undefined | JsVal::Null | JsVal::Callback(_) => None,
                    data => {
                        let encoding = args.get(1).filter(|v| matches!(v, JsVal::String(_)));
                        Some(chunk_bytes(&data, encoding)?)
                    }
                };
                let callback = write_callback(cx, &args);
                r.end_with(bytes.as_deref(), callback)?;
                Ok(this.clone())
            }
            "writeContinue" => {
                r.write_continue();
                Ok(JsVal::Undefined)
            }
            other => Err(Failure::unsupported(format!("http.ServerResponse.{other}"))),
        }
    }

    fn subscribe(&self, event: &str, once: bool, listener: HostListener) -> Result<(), String> {
        subscribe_to(&self.0, event, once, listener, event_args)
    }

    fn listener_count(&self, event: &str) -> Option<usize> {
        count_listeners(&self.0, event)
    }

    fn teardown(&self) {}
}

#[cfg(test)]
mod tests {
    use crate::events::EventKind;
    use crate::http::ResponseEventKind;

    #[test]
    fn the_vocabulary_lists_what_the_reference_emits() {
        let emitted: Vec<&str> = ResponseEventKind::ALL.iter().map(|k| k.name()).collect();
        super::super::super::assert_events_match(
            "http.ServerResponse",
            &emitted,
            &["newListener", "removeListener"],
        );
    }
}

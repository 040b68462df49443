//! The `http.ServerResponse` binding.

use std::any::Any;
use std::sync::Arc;

use super::super::socket_value;
use super::outgoing::{self, header_value};
use crate::driver::reference::host::{
    Eval, Failure, HostListener, HostObject, count_listeners, same_object, subscribe_to,
};
use crate::driver::reference::js::JsVal;
use crate::driver::reference::session::Session;
use crate::http::ServerResponse;
use crate::http::h1::HeaderValue;

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
        crate::http::ResponseEvent::Timeout(s) => vec![socket_value(s.clone())],
        _ => vec![],
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
        if let Some(done) = outgoing::call(r, cx, this, method, &args) {
            return done;
        }
        match method {
            "writeHead" => {
                let status = arg(0).to_number() as u16;
                let (message, (headers, odd)) = match arg(1) {
                    JsVal::String(m) => (Some(m), head_headers(args.get(2))),
                    _ => (None, head_headers(args.get(1))),
                };
                r.write_head_with(status, message.as_deref(), &headers, odd)?;
                Ok(this.clone())
            }
            "writeContinue" => {
                r.write_continue();
                Ok(JsVal::Undefined)
            }
            // setTimeout(msecs[, callback]): the callback listens to
            // 'timeout' (`on`).
            "setTimeout" => {
                let ms = arg(0).to_number().max(0.0) as u64;
                if let Some(cb) = crate::driver::reference::js::validate::last_callback(&args) {
                    let cx = cx.clone();
                    crate::events::Emits::on(
                        r,
                        crate::http::ResponseEventKind::Timeout,
                        move |_, e| cx.callback(&cb, event_args(e)),
                    );
                }
                r.set_timeout(ms);
                Ok(this.clone())
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

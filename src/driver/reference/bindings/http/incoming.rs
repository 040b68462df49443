//! The `http.IncomingMessage` binding.

use std::any::Any;
use std::sync::Arc;

use super::super::socket_value;
use crate::driver::reference::host::{
    Eval, Failure, HostListener, HostObject, count_listeners, same_object, subscribe_to,
};
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::events::Emits;
use crate::http::h1::ResponseHead;
use crate::http::{
    HeaderField, IncomingEvent, IncomingMessage, MessageHead, headers_distinct, headers_object,
};

/// An `IncomingMessage` as scripts see it.
pub struct IncomingHost(pub IncomingMessage);

impl PartialEq for IncomingHost {
    fn eq(&self, other: &IncomingHost) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

/// A request as a JavaScript value.
pub fn incoming_value(req: IncomingMessage) -> JsVal {
    JsVal::Host(Arc::new(IncomingHost(req)))
}

fn event_args(e: &IncomingEvent) -> Vec<JsVal> {
    match e {
        IncomingEvent::Data(chunk) => vec![JsVal::Buffer(chunk.as_bytes().to_vec())],
        IncomingEvent::Error(err) => vec![JsVal::from_error(err)],
        IncomingEvent::Timeout(Some(socket)) => vec![socket_value(socket.clone())],
        _ => vec![],
    }
}

/// Pairs as Node's flat `rawHeaders` array.
fn raw(pairs: &[(String, String)]) -> JsVal {
    JsVal::Array(
        pairs
            .iter()
            .flat_map(|(n, v)| [JsVal::String(n.clone()), JsVal::String(v.clone())])
            .collect(),
    )
}

fn headers(pairs: &[(String, String)]) -> JsVal {
    let mut p = Props::new();
    for (k, v) in headers_object(pairs) {
        let v = match v {
            HeaderField::One(s) => JsVal::String(s),
            HeaderField::Many(vs) => JsVal::Array(vs.into_iter().map(JsVal::String).collect()),
        };
        p.insert(k, v);
    }
    JsVal::Object(p)
}

fn distinct(pairs: &[(String, String)]) -> JsVal {
    let mut p = Props::new();
    for (k, vs) in headers_distinct(pairs) {
        p.insert(k, JsVal::Array(vs.into_iter().map(JsVal::String).collect()));
    }
    JsVal::Object(p)
}

/// The object `'information'` gives (`_http_client.js`,
/// `parserOnIncomingClient`).
pub fn info_object(head: &ResponseHead) -> JsVal {
    let mut p = Props::new();
    p.insert("statusCode", JsVal::Number(head.status.into()));
    p.insert("statusMessage", JsVal::String(head.reason.clone()));
    p.insert("httpVersion", JsVal::String(head.http_version()));
    p.insert("httpVersionMajor", JsVal::Number(head.version.0.into()));
    p.insert("httpVersionMinor", JsVal::Number(head.version.1.into()));
    p.insert("headers", headers(&head.headers));
    p.insert("rawHeaders", raw(&head.headers));
    JsVal::Object(p)
}

impl HostObject for IncomingHost {
    fn class(&self) -> &'static str {
        "http.IncomingMessage"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn HostObject) -> bool {
        same_object(self, other)
    }

    fn get(&self, _cx: &Session, property: &str) -> Result<Option<JsVal>, Failure> {
        let r = &self.0;
        let head = r.head();
        let (request, response) = match head {
            MessageHead::Request(h) => (Some(h), None),
            MessageHead::Response(h) => (None, Some(h)),
        };
        let version = head.version();
        Ok(Some(match property {
            // A response's `method` is null and its `url` empty; a
            // request's `statusCode` and `statusMessage` are null
            // (`IncomingMessage`'s constructor).
            "method" => request.map_or(JsVal::Null, |h| JsVal::String(h.method.clone())),
            "url" => JsVal::String(request.map(|h| h.url.clone()).unwrap_or_default()),
            "statusCode" => response.map_or(JsVal::Null, |h| JsVal::Number(h.status.into())),
            "statusMessage" => response.map_or(JsVal::Null, |h| JsVal::String(h.reason.clone())),
            "httpVersion" => JsVal::String(format!("{}.{}", version.0, version.1)),
            "httpVersionMajor" => JsVal::Number(version.0.into()),
            "httpVersionMinor" => JsVal::Number(version.1.into()),
            "headers" => headers(r.counted_headers()),
            "headersDistinct" => distinct(r.counted_headers()),
            "rawHeaders" => raw(head.raw_headers()),
            "trailers" => headers(&r.trailers()),
            "trailersDistinct" => distinct(&r.trailers()),
            "rawTrailers" => raw(&r.trailers()),
            "complete" => JsVal::Bool(r.complete()),
            "aborted" => JsVal::Bool(r.aborted()),
            "destroyed" => JsVal::Bool(r.destroyed()),
            "readableEnded" => JsVal::Bool(r.readable_ended()),
            "readableFlowing" => r.readable_flowing().map_or(JsVal::Null, JsVal::Bool),
            "socket" | "connection" => socket_value(r.socket().clone()),
            _ => return Ok(None),
        }))
    }

    fn call(&self, cx: &Session, this: &JsVal, method: &str, args: Vec<JsVal>) -> Eval {
        match method {
            "resume" => {
                self.0.resume();
                Ok(this.clone())
            }
            "pause" => {
                self.0.pause();
                Ok(this.clone())
            }
            // setTimeout(msecs[, callback]): the callback listens to
            // 'timeout' (`on`, not `once`).
            "setTimeout" => {
                let ms = args.first().map_or(0.0, JsVal::to_number).max(0.0) as u64;
                if let Some(cb) = crate::driver::reference::js::validate::last_callback(&args) {
                    let cx = cx.clone();
                    self.0
                        .on(crate::http::IncomingEventKind::Timeout, move |_, e| {
                            cx.callback(&cb, event_args(e))
                        });
                }
                self.0.set_timeout(ms);
                Ok(this.clone())
            }
            "destroy" => {
                let err = args.first().filter(|v| !v.is_nullish()).map(|v| {
                    let text = |k: &str| match v {
                        JsVal::Error(p) => p.get(k).map(JsVal::to_js_string).unwrap_or_default(),
                        other if k == "message" => other.to_js_string(),
                        _ => String::new(),
                    };
                    crate::Error::with_payload(&text("code"), text("message"), Arc::new(v.clone()))
                });
                self.0.destroy(err);
                Ok(this.clone())
            }
            other => Err(Failure::unsupported(format!(
                "http.IncomingMessage.{other}"
            ))),
        }
    }

    fn subscribe(&self, event: &str, once: bool, listener: HostListener) -> Result<(), String> {
        subscribe_to(&self.0, event, once, listener, event_args)
    }

    fn listener_count(&self, event: &str) -> Option<usize> {
        count_listeners(&self.0, event)
    }

    fn teardown(&self) {
        self.0.destroy(None);
    }
}

#[cfg(test)]
mod tests {
    use crate::events::EventKind;
    use crate::http::IncomingEventKind;

    #[test]
    fn the_vocabulary_lists_what_the_reference_emits() {
        let emitted: Vec<&str> = IncomingEventKind::ALL.iter().map(|k| k.name()).collect();
        super::super::super::assert_events_match(
            "http.IncomingMessage",
            &emitted,
            &[
                "newListener",
                "removeListener",
                "readable",
                "pipe",
                "unpipe",
            ],
        );
    }
}

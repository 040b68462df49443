//! The `http.ClientRequest` binding: its own methods and events, and
//! `OutgoingMessage`'s through [`outgoing`](super::outgoing).

use std::any::Any;
use std::sync::Arc;

use super::super::socket_value;
use super::agent::agent_value;
use super::incoming::{incoming_value, info_object};
use super::outgoing;
use crate::driver::reference::host::{
    Eval, Failure, HostListener, HostObject, count_listeners, same_object, subscribe_to,
};
use crate::driver::reference::js::JsVal;
use crate::driver::reference::js::validate::last_callback;
use crate::driver::reference::session::Session;
use crate::events::Emits;
use crate::http::{ClientEvent, ClientEventKind, ClientRequest};

/// A `ClientRequest` as scripts see it.
pub struct ClientHost(pub ClientRequest);

impl PartialEq for ClientHost {
    fn eq(&self, other: &ClientHost) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

/// A request as a JavaScript value.
pub fn client_value(req: ClientRequest) -> JsVal {
    JsVal::Host(Arc::new(ClientHost(req)))
}

pub(super) fn event_args(e: &ClientEvent) -> Vec<JsVal> {
    match e {
        ClientEvent::Error(err) => vec![JsVal::from_error(err)],
        ClientEvent::Response(res) => vec![incoming_value(res.clone())],
        ClientEvent::Socket(s) => vec![socket_value(s.clone())],
        ClientEvent::Information(head) => vec![info_object(head)],
        ClientEvent::Upgrade(res, s, head) | ClientEvent::Connect(res, s, head) => vec![
            incoming_value(res.clone()),
            socket_value(s.clone()),
            JsVal::Buffer(head.clone()),
        ],
        ClientEvent::Abort
        | ClientEvent::Close
        | ClientEvent::Continue
        | ClientEvent::Drain
        | ClientEvent::Finish
        | ClientEvent::Prefinish
        | ClientEvent::Timeout => vec![],
    }
}

/// `msecs` as Node's `getTimerDuration` takes it.
fn duration(v: &JsVal) -> Result<u64, Failure> {
    use crate::driver::reference::js::validate::validate_number;
    validate_number(v, "msecs")?;
    Ok(v.to_number().max(0.0) as u64)
}

impl HostObject for ClientHost {
    fn class(&self) -> &'static str {
        "http.ClientRequest"
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
            "aborted" => JsVal::Bool(r.aborted()),
            "agent" => agent_value(r.agent().clone()),
            "destroyed" => JsVal::Bool(r.destroyed()),
            "finished" | "writableEnded" => JsVal::Bool(r.writable_ended()),
            "headersSent" => JsVal::Bool(r.with_core(|c| c.head_made())),
            "host" => JsVal::String(r.host().to_string()),
            "maxHeadersCount" => JsVal::Null,
            "method" => JsVal::String(r.method().to_string()),
            "path" => JsVal::String(r.path().to_string()),
            "protocol" => JsVal::String(r.agent().options().protocol.into()),
            "res" => r.res().map_or(JsVal::Null, incoming_value),
            "reusedSocket" => JsVal::Bool(r.reused_socket()),
            "shouldKeepAlive" => JsVal::Bool(r.should_keep_alive()),
            "socket" | "connection" => r.socket().map_or(JsVal::Null, socket_value),
            "writableFinished" => JsVal::Bool(r.writable_finished()),
            _ => return Ok(None),
        }))
    }

    fn call(&self, cx: &Session, this: &JsVal, method: &str, args: Vec<JsVal>) -> Eval {
        let r = &self.0;
        if let Some(done) = outgoing::call(r, cx, this, method, &args) {
            return done;
        }
        let arg = |i: usize| args.get(i).cloned().unwrap_or(JsVal::Undefined);
        match method {
            "abort" => {
                r.abort();
                Ok(JsVal::Undefined)
            }
            "setTimeout" | "clearTimeout" => {
                let ms = if method == "clearTimeout" {
                    0
                } else {
                    duration(&arg(0))?
                };
                if let Some(cb) = last_callback(&args) {
                    let cx = cx.clone();
                    r.once(ClientEventKind::Timeout, move |_, _| {
                        cx.callback(&cb, vec![])
                    });
                }
                r.set_timeout(ms);
                Ok(if method == "clearTimeout" {
                    JsVal::Undefined
                } else {
                    this.clone()
                })
            }
            "setNoDelay" => {
                r.set_no_delay(args.first().is_none_or(JsVal::truthy));
                Ok(JsVal::Undefined)
            }
            "setSocketKeepAlive" => Ok(JsVal::Undefined),
            other => Err(Failure::unsupported(format!("http.ClientRequest.{other}"))),
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
    use crate::http::ClientEventKind;

    #[test]
    fn the_vocabulary_lists_what_the_reference_emits() {
        let emitted: Vec<&str> = ClientEventKind::ALL.iter().map(|k| k.name()).collect();
        super::super::super::assert_events_match(
            "http.ClientRequest",
            &emitted,
            &["newListener", "removeListener"],
        );
    }
}

//! The `http.Server` binding: its own properties and events, and the
//! `net.Server` binding for everything it inherits.

use std::any::Any;
use std::sync::Arc;

use super::super::net::server::ServerHost;
use super::super::socket_value;
use super::incoming::incoming_value;
use super::response::response_value;
use crate::driver::reference::host::{
    Eval, Failure, HostListener, HostObject, count_listeners, same_object, subscribe_to,
};
use crate::driver::reference::js::JsVal;
use crate::driver::reference::js::validate::last_callback;
use crate::driver::reference::session::Session;
use crate::events::{Emits, EventKind};
use crate::http::{Server, ServerEvent, ServerEventKind};

/// An `http.Server` (or `https.Server`) as scripts see it: what it
/// inherits comes from the binding of the server it extends (`net.Server`,
/// or https's `tls.Server`).
pub struct HttpServerHost {
    http: Server,
    net: Arc<dyn HostObject>,
    class: &'static str,
}

impl PartialEq for HttpServerHost {
    fn eq(&self, other: &HttpServerHost) -> bool {
        self.http.ptr_eq(&other.http)
    }
}

/// A server as a JavaScript value.
pub fn http_server_value(server: Server) -> JsVal {
    let net = Arc::new(ServerHost(server.net().clone()));
    JsVal::Host(Arc::new(HttpServerHost {
        http: server,
        net,
        class: "http.Server",
    }))
}

/// An http server of another class over another server's binding
/// (`https.Server` over `tls.Server`).
pub fn derived_server_value(
    server: Server,
    base: Arc<dyn HostObject>,
    class: &'static str,
) -> JsVal {
    JsVal::Host(Arc::new(HttpServerHost {
        http: server,
        net: base,
        class,
    }))
}

fn event_args(e: &ServerEvent) -> Vec<JsVal> {
    match e {
        ServerEvent::Request(req, res)
        | ServerEvent::CheckContinue(req, res)
        | ServerEvent::CheckExpectation(req, res) => {
            vec![incoming_value(req.clone()), response_value(res.clone())]
        }
        ServerEvent::Timeout(socket) => vec![socket_value(socket.clone())],
        ServerEvent::Upgrade(req, socket, head) | ServerEvent::Connect(req, socket, head) => vec![
            incoming_value(req.clone()),
            socket_value(socket.clone()),
            JsVal::Buffer(head.clone()),
        ],
        ServerEvent::DropRequest(req, socket) => {
            vec![incoming_value(req.clone()), socket_value(socket.clone())]
        }
        ServerEvent::ClientError(err, socket) => {
            vec![JsVal::from_error(err), socket_value(socket.clone())]
        }
    }
}

impl HostObject for HttpServerHost {
    fn class(&self) -> &'static str {
        self.class
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn HostObject) -> bool {
        same_object(self, other)
    }

    fn get(&self, cx: &Session, property: &str) -> Result<Option<JsVal>, Failure> {
        let s = &self.http;
        Ok(Some(match property {
            "keepAliveTimeout" => JsVal::Number(s.keep_alive_timeout() as f64),
            // https.Server does not run http.Server's constructor, which
            // sets it to 0: unset, it is undefined there.
            "maxRequestsPerSocket" => match s.max_requests_per_socket() {
                0 if self.class == "https.Server" => JsVal::Undefined,
                n => JsVal::Number(n.into()),
            },
            "headersTimeout" => JsVal::Number(s.headers_timeout() as f64),
            "requestTimeout" => JsVal::Number(s.request_timeout() as f64),
            "timeout" => JsVal::Number(s.timeout() as f64),
            "maxHeadersCount" => s
                .max_headers_count()
                .map_or(JsVal::Null, |n| JsVal::Number(n.into())),
            _ => return self.net.get(cx, property),
        }))
    }

    fn set(&self, cx: &Session, property: &str, value: &JsVal) -> Result<bool, Failure> {
        let n = value.to_number();
        let n = if n.is_finite() && n >= 0.0 { n } else { 0.0 };
        match property {
            "keepAliveTimeout" => self.http.set_keep_alive_timeout(n as u64),
            "maxRequestsPerSocket" => self.http.set_max_requests_per_socket(n as u32),
            "headersTimeout" => self.http.set_headers_timeout(n as u64),
            "requestTimeout" => self.http.set_request_timeout(n as u64),
            "timeout" => self.http.set_timeout(n as u64),
            "maxHeadersCount" => self
                .http
                .set_max_headers_count((!value.is_nullish()).then_some(n as u32)),
            _ => return self.net.set(cx, property, value),
        }
        Ok(true)
    }

    fn call(&self, cx: &Session, this: &JsVal, method: &str, args: Vec<JsVal>) -> Eval {
        match method {
            "closeAllConnections" => {
                self.http.close_all_connections();
                Ok(JsVal::Undefined)
            }
            "closeIdleConnections" => {
                self.http.close_idle_connections();
                Ok(JsVal::Undefined)
            }
            // httpServerPreClose (idle connections closed, the timeout
            // checks stopped), then net's close, callback and all.
            "close" => {
                self.http.pre_close();
                self.net.call(cx, this, method, args)
            }
            // server.setTimeout([msecs][, callback]): the callback listens
            // to 'timeout'.
            "setTimeout" => {
                if let Some(ms) = args.first().filter(|v| matches!(v, JsVal::Number(_))) {
                    self.http.set_timeout(ms.to_number().max(0.0) as u64);
                }
                if let Some(cb) = last_callback(&args) {
                    let cx = cx.clone();
                    self.http.on(ServerEventKind::Timeout, move |_, e| {
                        if let ServerEvent::Timeout(s) = e {
                            cx.callback(&cb, vec![socket_value(s.clone())]);
                        }
                    });
                }
                Ok(this.clone())
            }
            _ => self.net.call(cx, this, method, args),
        }
    }

    fn subscribe(&self, event: &str, once: bool, listener: HostListener) -> Result<(), String> {
        if ServerEventKind::from_name(event).is_some() {
            subscribe_to(&self.http, event, once, listener, event_args)
        } else {
            self.net.subscribe(event, once, listener)
        }
    }

    fn listener_count(&self, event: &str) -> Option<usize> {
        count_listeners(&self.http, event).or_else(|| self.net.listener_count(event))
    }

    fn teardown(&self) {
        self.net.teardown();
    }
}

#[cfg(test)]
mod tests {
    use crate::events::EventKind;
    use crate::http::ServerEventKind;
    use crate::net::ServerEventKind as NetKind;

    #[test]
    fn the_vocabulary_lists_what_the_reference_emits() {
        let emitted: Vec<&str> = ServerEventKind::ALL
            .iter()
            .map(|k| k.name())
            .chain(NetKind::ALL.iter().map(|k| k.name()))
            .collect();
        super::super::super::assert_events_match(
            "http.Server",
            &emitted,
            &["newListener", "removeListener"],
        );
    }
}

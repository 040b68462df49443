//! The `tls.Server` binding: the TLS events here, what it inherits from
//! the `net.Server` binding.

use std::any::Any;
use std::sync::Arc;

use super::super::net::server::ServerHost;
use super::super::net::socket::net_socket_value;
use super::socket::tls_socket_value;
use crate::driver::reference::host::{
    Eval, Failure, HostListener, HostObject, count_listeners, same_object, subscribe_to,
};
use crate::driver::reference::js::JsVal;
use crate::driver::reference::session::Session;
use crate::events::EventKind;
use crate::tls::{Server, ServerEvent, ServerEventKind};

/// A `tls.Server` as scripts see it.
pub struct TlsServerHost {
    pub(crate) tls: Server,
    net: ServerHost,
}

impl PartialEq for TlsServerHost {
    fn eq(&self, other: &TlsServerHost) -> bool {
        self.tls.ptr_eq(&other.tls)
    }
}

/// A TLS server as a JavaScript value.
pub fn tls_server_value(tls: Server) -> JsVal {
    JsVal::Host(tls_server_host(tls))
}

/// A TLS server's binding, for a class that extends it (https.Server).
pub fn tls_server_host(tls: Server) -> Arc<dyn HostObject> {
    let net = ServerHost(tls.net().clone());
    Arc::new(TlsServerHost { tls, net })
}

pub(super) fn event_args(e: &ServerEvent) -> Vec<JsVal> {
    match e {
        // The TCP socket, plain.
        ServerEvent::Connection(s) => vec![net_socket_value(s.clone())],
        ServerEvent::SecureConnection(t) => vec![tls_socket_value(t.clone())],
        ServerEvent::TlsClientError(e, t) => {
            vec![JsVal::from_error(e), tls_socket_value(t.clone())]
        }
        ServerEvent::Keylog(line, t) => {
            vec![JsVal::Buffer(line.clone()), tls_socket_value(t.clone())]
        }
    }
}

impl HostObject for TlsServerHost {
    fn class(&self) -> &'static str {
        "tls.Server"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn HostObject) -> bool {
        same_object(self, other)
    }

    fn get(&self, cx: &Session, property: &str) -> Result<Option<JsVal>, Failure> {
        self.net.get(cx, property)
    }

    fn call(&self, cx: &Session, this: &JsVal, method: &str, args: Vec<JsVal>) -> Eval {
        match method {
            "addContext" => {
                let host = args.first().map(JsVal::to_js_string).unwrap_or_default();
                let context = args.get(1).cloned().unwrap_or(JsVal::Undefined);
                self.tls
                    .add_context(&host, super::context::context_of(&context)?);
                Ok(JsVal::Undefined)
            }
            "setSecureContext" => {
                let options = args.first().cloned().unwrap_or(JsVal::Undefined);
                let context = super::secure_context(&options)?;
                self.tls.set_secure_context(context);
                Ok(JsVal::Undefined)
            }
            _ => self.net.call(cx, this, method, args),
        }
    }

    fn subscribe(&self, event: &str, once: bool, listener: HostListener) -> Result<(), String> {
        if ServerEventKind::from_name(event).is_some() {
            subscribe_to(&self.tls, event, once, listener, event_args)
        } else {
            self.net.subscribe(event, once, listener)
        }
    }

    fn listener_count(&self, event: &str) -> Option<usize> {
        count_listeners(&self.tls, event).or_else(|| self.net.listener_count(event))
    }

    fn teardown(&self) {
        self.net.teardown()
    }
}

#[cfg(test)]
mod tests {
    use crate::events::EventKind;
    use crate::net::ServerEventKind as NetKind;
    use crate::tls::ServerEventKind;

    #[test]
    fn the_vocabulary_lists_what_the_reference_emits() {
        let mut emitted: Vec<&str> = NetKind::ALL.iter().map(|k| k.name()).collect();
        emitted.extend(ServerEventKind::ALL.iter().map(|k| k.name()));
        emitted.dedup();
        super::super::super::assert_events_match(
            "tls.Server",
            &emitted,
            &[
                "newListener",
                "removeListener",
                "newSession",
                "resumeSession",
                "OCSPRequest",
            ],
        );
    }
}

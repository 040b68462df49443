//! The `tls.TLSSocket` binding: the TLS getters, methods and events here,
//! everything else of `net.Socket` from its binding.

use std::any::Any;
use std::sync::Arc;

use super::super::net::socket::SocketHost;
use crate::driver::reference::host::{
    Eval, Failure, HostListener, HostObject, count_listeners, same_object, subscribe_to,
};
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::events::EventKind;
use crate::tls::{TlsEvent, TlsEventKind, TlsSocket};

/// A `tls.TLSSocket` as scripts see it.
pub struct TlsSocketHost {
    tls: TlsSocket,
    net: SocketHost,
}

impl PartialEq for TlsSocketHost {
    fn eq(&self, other: &TlsSocketHost) -> bool {
        self.tls.ptr_eq(&other.tls)
    }
}

/// A TLS socket as a JavaScript value.
pub fn tls_socket_value(tls: TlsSocket) -> JsVal {
    let net = SocketHost(tls.socket().clone());
    JsVal::Host(Arc::new(TlsSocketHost { tls, net }))
}

fn event_args(e: &TlsEvent) -> Vec<JsVal> {
    match e {
        TlsEvent::Secure | TlsEvent::SecureConnect => vec![],
        TlsEvent::Session(b) | TlsEvent::Keylog(b) => vec![JsVal::Buffer(b.clone())],
    }
}

/// `null` before it is known, `false` for none, or the string.
fn null_false_or(v: Option<Option<String>>) -> JsVal {
    match v {
        None => JsVal::Null,
        Some(None) => JsVal::Bool(false),
        Some(Some(s)) => JsVal::String(s),
    }
}

/// `getPeerCertificate([detailed])`.
fn peer_certificate(tls: &TlsSocket, detailed: bool) -> JsVal {
    if tls.socket().destroyed() {
        return JsVal::Null;
    }
    let chain = tls.peer_chain();
    let props = if detailed {
        crate::tls::detailed_certificate_props(&chain, &tls.roots())
    } else {
        chain
            .first()
            .map(|c| crate::tls::peer_certificate_props(c, None))
    };
    props.map_or(JsVal::Object(Props::new()), |p| JsVal::from_prop(&p))
}

impl HostObject for TlsSocketHost {
    fn class(&self) -> &'static str {
        "tls.TLSSocket"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn HostObject) -> bool {
        same_object(self, other)
    }

    fn get(&self, cx: &Session, property: &str) -> Result<Option<JsVal>, Failure> {
        let t = &self.tls;
        Ok(Some(match property {
            "encrypted" => JsVal::Bool(true),
            "authorized" => JsVal::Bool(t.authorized()),
            "authorizationError" => t.authorization_error().map_or(JsVal::Null, JsVal::String),
            "alpnProtocol" => null_false_or(t.alpn_protocol()),
            "servername" => null_false_or(t.servername()),
            _ => return self.net.get(cx, property),
        }))
    }

    fn set(&self, cx: &Session, property: &str, value: &JsVal) -> Result<bool, Failure> {
        self.net.set(cx, property, value)
    }

    fn call(&self, cx: &Session, this: &JsVal, method: &str, args: Vec<JsVal>) -> Eval {
        let t = &self.tls;
        match method {
            "getPeerCertificate" => {
                Ok(peer_certificate(t, args.first().is_some_and(JsVal::truthy)))
            }
            "getCertificate" => Ok(t
                .local_certificate()
                .map_or(JsVal::Object(Props::new()), |c| {
                    JsVal::from_prop(&crate::tls::peer_certificate_props(&c, None))
                })),
            "getProtocol" => Ok(t
                .protocol()
                .map_or(JsVal::Null, |p| JsVal::String(p.into()))),
            "getCipher" => Ok(match t.cipher() {
                None => JsVal::Null,
                Some(None) => JsVal::Undefined,
                Some(Some((name, standard, version))) => JsVal::Object(
                    Props::new()
                        .with("name", JsVal::String(name.into()))
                        .with("standardName", JsVal::String(standard.into()))
                        .with("version", JsVal::String(version.into())),
                ),
            }),
            "isSessionReused" => Ok(t.is_session_reused().map_or(JsVal::Null, JsVal::Bool)),
            "getSession" => Ok(t.session().map_or(JsVal::Undefined, JsVal::Buffer)),
            _ => self.net.call(cx, this, method, args),
        }
    }

    fn subscribe(&self, event: &str, once: bool, listener: HostListener) -> Result<(), String> {
        if TlsEventKind::from_name(event).is_some() {
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
    use crate::net::SocketEventKind;
    use crate::tls::TlsEventKind;

    #[test]
    fn the_vocabulary_lists_what_the_reference_emits() {
        let mut emitted: Vec<&str> = SocketEventKind::ALL.iter().map(|k| k.name()).collect();
        emitted.extend(TlsEventKind::ALL.iter().map(|k| k.name()));
        super::super::super::assert_events_match(
            "tls.TLSSocket",
            &emitted,
            &[
                "pipe",
                "unpipe",
                "newListener",
                "removeListener",
                "OCSPResponse",
            ],
        );
    }
}

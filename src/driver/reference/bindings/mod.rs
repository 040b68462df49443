//! The bindings of Node's modules and classes, one folder per module: the
//! only code of the reference driver that knows a Node class. This file is
//! the list the session and `hello` read; adding a module adds a folder and
//! a line here.

mod dgram;
mod http;
mod https;
mod net;
mod tls;

use std::sync::Arc;

use super::host::HostModule;
use super::js::JsVal;

/// Every module, in the order `hello` lists them.
pub fn modules() -> Vec<Arc<dyn HostModule>> {
    vec![
        net::module(),
        dgram::module(),
        http::module(),
        tls::module(),
        https::module(),
    ]
}

/// A net socket as a JavaScript value, of its most derived class: a
/// socket over TLS is a `tls.TLSSocket`.
pub(crate) fn socket_value(socket: crate::net::Socket) -> JsVal {
    match crate::tls::TlsSocket::of(&socket) {
        Some(tls) => tls::socket::tls_socket_value(tls),
        None => net::socket::net_socket_value(socket),
    }
}

/// Ties a binding to the vocabulary: every event the binding can emit is
/// one the vocabulary gives its class, and every vocabulary event of the
/// class (inherited ones included) is emitted by the binding or listed in
/// `not_implemented`, so neither side can drift from the other silently.
#[cfg(test)]
pub(crate) fn assert_events_match(
    class: &str,
    emitted: &[&'static str],
    not_implemented: &[&'static str],
) {
    let vocabulary = crate::spec::vocabulary::class(class)
        .unwrap_or_else(|| panic!("{class} is not in the vocabulary"));
    let known: Vec<&str> = vocabulary.all_events().iter().map(|e| e.name).collect();
    for e in emitted {
        assert!(
            known.contains(e),
            "{class} emits '{e}', which its vocabulary does not list"
        );
        assert!(
            !not_implemented.contains(e),
            "{class} emits '{e}', listed as not implemented"
        );
    }
    for e in &known {
        assert!(
            emitted.contains(e) || not_implemented.contains(e),
            "the vocabulary's {class} event '{e}' is neither emitted by the reference nor listed as not implemented"
        );
    }
}

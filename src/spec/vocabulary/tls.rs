//! `node:tls`: `TLSSocket` (a `net.Socket` that speaks TLS) and
//! `tls.Server` (a `net.Server` whose connections are `TLSSocket`s).
//!
//! See <https://nodejs.org/api/tls.html>.

use super::*;

const TLS_SOCKET: Ty = Ty::Class("tls.TLSSocket");
const TLS_SOCKET_ARG: Arg = Arg {
    name: "tlsSocket",
    ty: TLS_SOCKET,
};

/// `tls.Server`.
///
/// Listening to `tlsClientError`, `newSession`, `resumeSession` and
/// `keylog` changes what Node does (`_tls_wrap.js`: with no
/// `tlsClientError` listener the socket is destroyed silently, with a
/// `newSession` listener the server waits for its callback, …), so they
/// are observed only when a case names them.
pub static SERVER: Class = Class {
    id: "tls.Server",
    extends: &["net.Server"],
    methods: &[
        m("addContext", V),
        m("getTicketKeys", V),
        m("setSecureContext", V),
        m("setTicketKeys", V),
    ],
    properties: &[],
    events: &[
        Event {
            args: &[arg("line"), TLS_SOCKET_ARG],
            observe: Observe::Active,
            ..ev("keylog")
        },
        Event {
            args: &[arg("sessionId"), arg("sessionData"), arg("callback")],
            observe: Observe::Active,
            ..ev("newSession")
        },
        Event {
            args: &[arg("certificate"), arg("issuer"), arg("callback")],
            observe: Observe::Active,
            ..ev("OCSPRequest")
        },
        Event {
            args: &[arg("sessionId"), arg("callback")],
            observe: Observe::Active,
            ..ev("resumeSession")
        },
        Event {
            args: &[TLS_SOCKET_ARG],
            ..ev("secureConnection")
        },
        Event {
            args: &[arg("exception"), TLS_SOCKET_ARG],
            observe: Observe::Active,
            ..ev("tlsClientError")
        },
    ],
};

/// `tls.TLSSocket`.
pub static TLS_SOCKET_CLASS: Class = Class {
    id: "tls.TLSSocket",
    extends: &["net.Socket"],
    methods: &[
        m("disableRenegotiation", V),
        m("enableTrace", V),
        m("exportKeyingMaterial", V),
        m("getCertificate", V),
        m("getCipher", V),
        m("getEphemeralKeyInfo", V),
        m("getFinished", V),
        m("getPeerCertificate", V),
        m("getPeerFinished", V),
        m("getPeerX509Certificate", V),
        m("getProtocol", V),
        m("getSession", V),
        m("getSharedSigalgs", V),
        m("getTLSTicket", V),
        m("getX509Certificate", V),
        m("isSessionReused", V),
        m("renegotiate", V),
        m("setMaxSendFragment", V),
        m("setServername", V),
    ],
    properties: &[
        "alpnProtocol",
        "authorizationError",
        "authorized",
        "encrypted",
        "servername",
    ],
    events: &[
        Event {
            args: &[arg("line")],
            observe: Observe::Active,
            ..ev("keylog")
        },
        Event {
            args: &[arg("response")],
            observe: Observe::Active,
            ..ev("OCSPResponse")
        },
        // Emitted on server-side sockets; listening changes nothing but
        // it duplicates the server's `secureConnection`, so opt in.
        Event {
            observe: Observe::OptIn,
            ..ev("secure")
        },
        ev("secureConnect"),
        Event {
            args: &[arg("session")],
            observe: Observe::Active,
            ..ev("session")
        },
    ],
};

/// The `tls` module.
pub static TLS: Module = Module {
    name: "tls",
    functions: &[
        m("checkServerIdentity", V),
        Method {
            callback: &[],
            ..m("connect", TLS_SOCKET)
        },
        Method {
            callback: &[TLS_SOCKET_ARG],
            ..m("createServer", Ty::Class("tls.Server"))
        },
        m("createSecureContext", V),
        m("getCiphers", V),
    ],
    classes: &["tls.Server", "tls.TLSSocket"],
    properties: &[
        "DEFAULT_CIPHERS",
        "DEFAULT_ECDH_CURVE",
        "DEFAULT_MAX_VERSION",
        "DEFAULT_MIN_VERSION",
        "rootCertificates",
    ],
    instances: &[],
    kind: ModuleKind::Node,
};

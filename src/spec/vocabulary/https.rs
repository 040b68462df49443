//! `node:https`: `https.Server` (a `tls.Server` that speaks HTTP/1, with
//! the methods, properties and events of an `http.Server`) and
//! `https.Agent` (an `http.Agent` whose connections are `TLSSocket`s).
//! Requests and responses are `http.ClientRequest` and
//! `http.IncomingMessage`, as in Node.
//!
//! See <https://nodejs.org/api/https.html>.

use super::http::{INCOMING, REQUEST, RESPONSE, SERVER_EVENTS, SERVER_METHODS, SERVER_PROPERTIES};
use super::*;

/// `https.Server`.
///
/// Its prototype parent is `tls.Server` (`server instanceof http.Server`
/// is false in Node); `lib/https.js` copies `http.Server`'s methods onto
/// it and `storeHTTPOptions` gives it `http.Server`'s properties, and it
/// emits `http.Server`'s events: they are its own here, not inherited.
/// Node itself listens to `tlsClientError` on it (forwarding the error
/// to `clientError`, or destroying the socket); a `clientError` listener
/// changes what Node does, as on an `http.Server`.
pub static SERVER: Class = Class {
    id: "https.Server",
    extends: &["tls.Server"],
    methods: SERVER_METHODS,
    properties: SERVER_PROPERTIES,
    events: SERVER_EVENTS,
};

/// `https.Agent`: an `http.Agent` that makes `tls.connect()` connections
/// and caches their TLS sessions (`maxCachedSessions`).
pub static AGENT: Class = Class {
    id: "https.Agent",
    extends: &["http.Agent"],
    methods: &[],
    properties: &["maxCachedSessions"],
    // The agent adds a `keylog` listener to its sockets only while it has
    // a listener of its own (`_http_agent.js`/`https.js`): observed only
    // when named.
    events: &[Event {
        args: &[
            arg("line"),
            Arg {
                name: "tlsSocket",
                ty: Ty::Class("tls.TLSSocket"),
            },
        ],
        observe: Observe::Active,
        ..ev("keylog")
    }],
};

/// The `https` module.
pub static HTTPS: Module = Module {
    name: "https",
    functions: &[
        Method {
            callback: &[REQUEST, RESPONSE],
            ..m("createServer", Ty::Class("https.Server"))
        },
        Method {
            callback: &[INCOMING],
            ..m("get", Ty::Class("http.ClientRequest"))
        },
        Method {
            callback: &[INCOMING],
            ..m("request", Ty::Class("http.ClientRequest"))
        },
    ],
    classes: &["https.Agent", "https.Server"],
    properties: &[],
    instances: &[("globalAgent", "https.Agent")],
    kind: ModuleKind::Node,
};

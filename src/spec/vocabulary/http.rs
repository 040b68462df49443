//! `node:http`: the server side (`Server`, `IncomingMessage`,
//! `ServerResponse` and its base `OutgoingMessage`) and the client side
//! (`ClientRequest`, `Agent`).
//!
//! See <https://nodejs.org/api/http.html>.

use super::*;

pub(super) const REQUEST: Arg = Arg {
    name: "request",
    ty: Ty::Class("http.IncomingMessage"),
};
pub(super) const RESPONSE: Arg = Arg {
    name: "response",
    ty: Ty::Class("http.ServerResponse"),
};
const SOCKET: Arg = Arg {
    name: "socket",
    ty: Ty::Class("net.Socket"),
};

/// `http.Server`, a `net.Server` whose connections speak HTTP/1.
///
/// Listening to `checkContinue`, `checkExpectation`, `clientError`,
/// `connect`, `upgrade` and `timeout` changes what Node does (with no
/// listener it answers or closes by itself: `_http_server.js`), so they
/// are observed only when a case names them.
pub static SERVER: Class = Class {
    id: "http.Server",
    extends: &["net.Server"],
    methods: SERVER_METHODS,
    properties: SERVER_PROPERTIES,
    events: SERVER_EVENTS,
};

/// The methods of an `http.Server` that are its own (an `https.Server`
/// has them too: `lib/https.js` copies them onto its prototype).
pub(super) const SERVER_METHODS: &[Method] = &[
    m("closeAllConnections", V),
    m("closeIdleConnections", V),
    m("setTimeout", THIS),
];

/// The properties `storeHTTPOptions` and the constructor set on an
/// `http.Server` (and on an `https.Server`).
pub(super) const SERVER_PROPERTIES: &[&str] = &[
    "headersTimeout",
    "keepAliveTimeout",
    "maxHeadersCount",
    "maxRequestsPerSocket",
    "requestTimeout",
    "timeout",
];

/// The events of an `http.Server` (an `https.Server` emits them too).
pub(super) const SERVER_EVENTS: &[Event] = &[
    Event {
        args: &[REQUEST, RESPONSE],
        observe: Observe::Active,
        ..ev("checkContinue")
    },
    Event {
        args: &[REQUEST, RESPONSE],
        observe: Observe::Active,
        ..ev("checkExpectation")
    },
    Event {
        args: &[arg("exception"), SOCKET],
        observe: Observe::Active,
        ..ev("clientError")
    },
    Event {
        args: &[REQUEST, SOCKET, arg("head")],
        observe: Observe::Active,
        ..ev("connect")
    },
    Event {
        args: &[REQUEST, SOCKET],
        ..ev("dropRequest")
    },
    Event {
        args: &[REQUEST, RESPONSE],
        ..ev("request")
    },
    Event {
        args: &[SOCKET],
        observe: Observe::Active,
        ..ev("timeout")
    },
    Event {
        args: &[REQUEST, SOCKET, arg("head")],
        observe: Observe::Active,
        ..ev("upgrade")
    },
];

/// `http.IncomingMessage`: a request as the server reads it.
pub static INCOMING_MESSAGE: Class = Class {
    id: "http.IncomingMessage",
    extends: &["stream.Readable"],
    methods: &[m("setTimeout", THIS)],
    properties: &[
        "aborted",
        "complete",
        "connection",
        "headers",
        "headersDistinct",
        "httpVersion",
        "httpVersionMajor",
        "httpVersionMinor",
        "method",
        "rawHeaders",
        "rawTrailers",
        "socket",
        "statusCode",
        "statusMessage",
        "trailers",
        "trailersDistinct",
        "url",
    ],
    // `aborted` is deprecated but still emitted (Node 20).
    events: &[
        ev("aborted"),
        // A client's response re-emits its socket's `'timeout'`
        // (`responseOnTimeout`); a server's request gets it, with the
        // socket, instead of the socket being destroyed when someone
        // listens (`socketOnTimeout`): observed only when named.
        Event {
            args: &[SOCKET],
            observe: Observe::Active,
            ..ev("timeout")
        },
    ],
};

/// `http.OutgoingMessage`, the base of `ServerResponse`: a legacy
/// `Stream`, not a `stream.Writable` (`res instanceof stream.Writable` is
/// false in Node).
pub static OUTGOING_MESSAGE: Class = Class {
    id: "http.OutgoingMessage",
    extends: &["stream.Stream"],
    methods: &[
        m("addTrailers", V),
        m("appendHeader", THIS),
        m("cork", V),
        m("destroy", THIS),
        m("end", THIS),
        m("flushHeaders", V),
        m("getHeader", V),
        m("getHeaderNames", V),
        m("getHeaders", V),
        m("getRawHeaderNames", V),
        m("hasHeader", V),
        m("removeHeader", V),
        m("setHeader", THIS),
        m("setHeaders", THIS),
        m("setTimeout", THIS),
        m("uncork", V),
        m("write", V),
    ],
    properties: &[
        "connection",
        "destroyed",
        "finished",
        "headersSent",
        "socket",
        "writable",
        "writableCorked",
        "writableEnded",
        "writableFinished",
        "writableHighWaterMark",
        "writableLength",
        "writableObjectMode",
    ],
    events: &[
        ev("close"),
        ev("drain"),
        ERROR,
        ev("finish"),
        // Documented, but an internal step before `finish`: named by the
        // cases about it only, to keep traces readable.
        Event {
            observe: Observe::OptIn,
            ..ev("prefinish")
        },
    ],
};

/// `http.ServerResponse`.
pub static SERVER_RESPONSE: Class = Class {
    id: "http.ServerResponse",
    extends: &["http.OutgoingMessage"],
    methods: &[
        m("writeContinue", V),
        m("writeEarlyHints", V),
        m("writeHead", THIS),
        m("writeProcessing", V),
    ],
    properties: &[
        "req",
        "sendDate",
        "statusCode",
        "statusMessage",
        "strictContentLength",
    ],
    // `socketOnTimeout` gives it the socket; a listener keeps the socket
    // from being destroyed: observed only when named.
    events: &[Event {
        args: &[SOCKET],
        observe: Observe::Active,
        ..ev("timeout")
    }],
};

pub(super) const INCOMING: Arg = Arg {
    name: "response",
    ty: Ty::Class("http.IncomingMessage"),
};

/// `http.ClientRequest`: a request on the client's side, an
/// `OutgoingMessage` whose response arrives as an `IncomingMessage`.
///
/// With no `'response'` listener Node dumps the response unread, with no
/// `'upgrade'`/`'connect'` listener it destroys the socket
/// (`_http_client.js`: `parserOnIncomingClient`, `socketOnData`), so those
/// are observed only when a case names them.
pub static CLIENT_REQUEST: Class = Class {
    id: "http.ClientRequest",
    extends: &["http.OutgoingMessage"],
    methods: &[
        m("abort", V),
        m("clearTimeout", V),
        m("setNoDelay", V),
        m("setSocketKeepAlive", V),
    ],
    properties: &[
        "aborted",
        "host",
        "maxHeadersCount",
        "method",
        "path",
        "protocol",
        "res",
        "reusedSocket",
    ],
    events: &[
        // Deprecated, still emitted by `abort()` (Node 20).
        ev("abort"),
        Event {
            args: &[INCOMING, SOCKET, arg("head")],
            observe: Observe::Active,
            ..ev("connect")
        },
        ev("continue"),
        Event {
            args: &[arg("info")],
            ..ev("information")
        },
        Event {
            args: &[INCOMING],
            observe: Observe::Active,
            ..ev("response")
        },
        Event {
            args: &[SOCKET],
            ..ev("socket")
        },
        ev("timeout"),
        Event {
            args: &[INCOMING, SOCKET, arg("head")],
            observe: Observe::Active,
            ..ev("upgrade")
        },
    ],
};

/// `http.Agent`: the pool of client connections.
pub static AGENT: Class = Class {
    id: "http.Agent",
    extends: &["events.EventEmitter"],
    methods: &[
        m("createConnection", Ty::Class("net.Socket")),
        m("destroy", V),
        m("getName", V),
        m("keepSocketAlive", V),
        m("reuseSocket", V),
    ],
    properties: &[
        "defaultPort",
        "freeSockets",
        "keepAlive",
        "keepAliveMsecs",
        "maxFreeSockets",
        "maxSockets",
        "maxTotalSockets",
        "options",
        "protocol",
        "requests",
        "scheduling",
        "sockets",
        "totalSocketCount",
    ],
    // `'free'` is how a socket comes back to the pool (the agent's own
    // listener does the pooling). Its second argument is the agent's
    // merged options object, internals included (`_agentKey`,
    // `servername`…), so it is named by the cases about it, with the
    // options matched loosely.
    events: &[Event {
        args: &[SOCKET, arg("options")],
        observe: Observe::OptIn,
        ..ev("free")
    }],
};

/// The `http` module.
pub static HTTP: Module = Module {
    name: "http",
    functions: &[
        Method {
            callback: &[REQUEST, RESPONSE],
            ..m("createServer", Ty::Class("http.Server"))
        },
        Method {
            callback: &[INCOMING],
            ..m("get", Ty::Class("http.ClientRequest"))
        },
        Method {
            callback: &[INCOMING],
            ..m("request", Ty::Class("http.ClientRequest"))
        },
        m("validateHeaderName", V),
        m("validateHeaderValue", V),
    ],
    classes: &[
        "http.Agent",
        "http.ClientRequest",
        "http.IncomingMessage",
        "http.OutgoingMessage",
        "http.Server",
        "http.ServerResponse",
    ],
    properties: &["METHODS", "STATUS_CODES", "maxHeaderSize"],
    instances: &[("globalAgent", "http.Agent")],
    kind: ModuleKind::Node,
};

//! `node:net`.
//!
//! See <https://nodejs.org/api/net.html>.

use super::*;

/// `net.Server`.
pub static SERVER: Class = Class {
    id: "net.Server",
    extends: &["events.EventEmitter"],
    methods: &[
        m("address", V),
        m("close", THIS),
        m("getConnections", THIS),
        m("listen", THIS),
        m("ref", THIS),
        m("unref", THIS),
    ],
    properties: &["listening", "maxConnections"],
    events: &[
        ev("close"),
        Event {
            args: &[Arg {
                name: "socket",
                ty: Ty::Class("net.Socket"),
            }],
            ..ev("connection")
        },
        Event {
            args: &[arg("data")],
            ..ev("drop")
        },
        ERROR,
        ev("listening"),
    ],
};

/// `net.Socket`.
pub static SOCKET: Class = Class {
    id: "net.Socket",
    extends: &["stream.Duplex"],
    methods: &[
        m("address", V),
        m("connect", THIS),
        m("destroySoon", V),
        m("ref", THIS),
        m("resetAndDestroy", THIS),
        m("setKeepAlive", THIS),
        m("setNoDelay", THIS),
        m("setTimeout", THIS),
        m("unref", THIS),
    ],
    properties: &[
        "autoSelectFamilyAttemptedAddresses",
        "bufferSize",
        "bytesRead",
        "bytesWritten",
        "connecting",
        "localAddress",
        "localFamily",
        "localPort",
        "pending",
        "readyState",
        "remoteAddress",
        "remoteFamily",
        "remotePort",
        "timeout",
    ],
    events: &[
        Event {
            args: &[arg("hadError")],
            named: true,
            ..ev("close")
        },
        ev("connect"),
        // Listening changes nothing: observed by default.
        Event {
            args: &[arg("ip"), arg("port"), arg("family")],
            named: true,
            ..ev("connectionAttempt")
        },
        Event {
            args: &[arg("ip"), arg("port"), arg("family"), arg("error")],
            named: true,
            ..ev("connectionAttemptFailed")
        },
        Event {
            args: &[arg("ip"), arg("port"), arg("family")],
            named: true,
            ..ev("connectionAttemptTimeout")
        },
        Event {
            args: &[arg("err"), arg("address"), arg("family"), arg("host")],
            named: true,
            ..ev("lookup")
        },
        ev("ready"),
        ev("timeout"),
    ],
};

const SOCKET_TY: Ty = Ty::Class("net.Socket");

/// The `net` module.
pub static NET: Module = Module {
    name: "net",
    functions: &[
        m("connect", SOCKET_TY),
        m("createConnection", SOCKET_TY),
        Method {
            callback: &[Arg {
                name: "socket",
                ty: SOCKET_TY,
            }],
            ..m("createServer", Ty::Class("net.Server"))
        },
        m("getDefaultAutoSelectFamily", V),
        m("getDefaultAutoSelectFamilyAttemptTimeout", V),
        m("isIP", V),
        m("isIPv4", V),
        m("isIPv6", V),
        m("setDefaultAutoSelectFamily", V),
        m("setDefaultAutoSelectFamilyAttemptTimeout", V),
    ],
    classes: &["net.Server", "net.Socket"],
    properties: &[],
    instances: &[],
    kind: ModuleKind::Node,
};

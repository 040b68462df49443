//! `node:dgram`.
//!
//! See <https://nodejs.org/api/dgram.html>.

use super::*;

/// `dgram.Socket`.
pub static SOCKET: Class = Class {
    id: "dgram.Socket",
    extends: &["events.EventEmitter"],
    methods: &[
        m("addMembership", V),
        m("addSourceSpecificMembership", V),
        m("address", V),
        m("bind", THIS),
        m("close", THIS),
        m("connect", V),
        m("disconnect", V),
        m("dropMembership", V),
        m("dropSourceSpecificMembership", V),
        m("getRecvBufferSize", V),
        m("getSendBufferSize", V),
        m("getSendQueueCount", V),
        m("getSendQueueSize", V),
        m("ref", THIS),
        m("remoteAddress", V),
        m("send", V),
        m("setBroadcast", V),
        m("setMulticastInterface", V),
        m("setMulticastLoopback", V),
        m("setMulticastTTL", V),
        m("setRecvBufferSize", V),
        m("setSendBufferSize", V),
        m("setTTL", V),
        m("unref", THIS),
    ],
    properties: &[],
    events: &[
        ev("close"),
        ev("connect"),
        ERROR,
        ev("listening"),
        // Datagrams arrive whole: never joined.
        Event {
            args: &[arg("msg"), arg("rinfo")],
            ..ev("message")
        },
    ],
};

/// The `dgram` module.
pub static DGRAM: Module = Module {
    name: "dgram",
    functions: &[Method {
        callback: &[arg("msg"), arg("rinfo")],
        ..m("createSocket", Ty::Class("dgram.Socket"))
    }],
    classes: &["dgram.Socket"],
    properties: &[],
    instances: &[],
    kind: ModuleKind::Node,
};

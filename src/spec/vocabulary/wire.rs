//! `wire`: the harness's own TCP peer, for testing an implementation's
//! servers against exact bytes. It is not Node: the harness runs it, the
//! same for every implementation, so a broken `net` in the implementation
//! under test cannot make it lie (`spec/README.md`, "The wire peer").

use super::*;

/// `wire.Peer`: one TCP connection the harness makes. It reads all the
/// time (listening changes nothing), so every event is observed.
pub static PEER: Class = Class {
    id: "wire.Peer",
    extends: &[],
    methods: &[
        m("destroy", V),
        m("end", V),
        m("reset", V),
        m("trickle", V),
        m("write", V),
    ],
    properties: &[],
    events: &[
        ev("connect"),
        // Bytes as they arrive, joined like a socket's.
        Event {
            args: &[arg("chunk")],
            joined: true,
            ..ev("data")
        },
        ev("end"),
        ERROR,
    ],
};

/// `wire.Server`: a listening socket the harness runs, for testing an
/// implementation's clients. `port` can be read by the implementation's
/// expressions (`net.connect(srv.port)`): the harness puts the number in.
pub static SERVER: Class = Class {
    id: "wire.Server",
    extends: &[],
    methods: &[m("close", V)],
    properties: &["port"],
    events: &[Event {
        args: &[Arg {
            name: "peer",
            ty: Ty::Class("wire.Peer"),
        }],
        ..ev("connection")
    }],
};

/// The `wire` module.
pub static WIRE: Module = Module {
    name: "wire",
    functions: &[
        m("connect", Ty::Class("wire.Peer")),
        m("listen", Ty::Class("wire.Server")),
    ],
    classes: &[],
    properties: &[],
    instances: &[],
    kind: ModuleKind::Harness,
};

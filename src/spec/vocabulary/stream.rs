//! `node:stream`: the classes `net.Socket` inherits its reading and
//! writing rules from.
//!
//! See <https://nodejs.org/api/stream.html>.

use super::*;

/// `stream.Stream`, the legacy base of every stream.
pub static STREAM: Class = Class {
    id: "stream.Stream",
    extends: &["events.EventEmitter"],
    methods: &[m("pipe", V)],
    properties: &[],
    events: &[],
};

/// `stream.Readable`.
pub static READABLE: Class = Class {
    id: "stream.Readable",
    extends: &["stream.Stream"],
    methods: &[
        m("destroy", THIS),
        m("isPaused", V),
        m("pause", THIS),
        m("pipe", V),
        m("read", V),
        m("resume", THIS),
        m("setEncoding", THIS),
        m("unpipe", THIS),
        m("unshift", V),
        m("wrap", THIS),
    ],
    properties: &[
        "closed",
        "destroyed",
        "errored",
        "readable",
        "readableAborted",
        "readableDidRead",
        "readableEncoding",
        "readableEnded",
        "readableFlowing",
        "readableHighWaterMark",
        "readableLength",
        "readableObjectMode",
    ],
    events: &[
        ev("close"),
        // A `data` listener switches the stream to flowing mode.
        Event {
            args: &[arg("chunk")],
            observe: Observe::Active,
            joined: true,
            ..ev("data")
        },
        ev("end"),
        ERROR,
        // Listening to `pause`/`resume` changes nothing: observed by
        // default, so a stray pause is seen.
        ev("pause"),
        // A `readable` listener switches the stream to paused mode.
        Event {
            observe: Observe::Active,
            ..ev("readable")
        },
        ev("resume"),
    ],
};

/// `stream.Writable`.
pub static WRITABLE: Class = Class {
    id: "stream.Writable",
    extends: &["stream.Stream"],
    methods: &[
        m("cork", V),
        m("destroy", THIS),
        m("end", THIS),
        m("setDefaultEncoding", THIS),
        m("uncork", V),
        m("write", V),
    ],
    properties: &[
        "closed",
        "destroyed",
        "errored",
        "writable",
        "writableAborted",
        "writableCorked",
        "writableEnded",
        "writableFinished",
        "writableHighWaterMark",
        "writableLength",
        "writableNeedDrain",
        "writableObjectMode",
    ],
    events: &[
        ev("close"),
        ev("drain"),
        ERROR,
        ev("finish"),
        Event {
            args: &[arg("src")],
            ..ev("pipe")
        },
        Event {
            args: &[arg("src")],
            ..ev("unpipe")
        },
    ],
};

/// `stream.Duplex`: a Readable with Writable's methods mixed in.
pub static DUPLEX: Class = Class {
    id: "stream.Duplex",
    extends: &["stream.Readable", "stream.Writable"],
    methods: &[],
    properties: &["allowHalfOpen"],
    events: &[],
};

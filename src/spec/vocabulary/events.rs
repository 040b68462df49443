//! `node:events`: the base of every class that emits.

use super::*;

/// `events.EventEmitter`.
pub static EVENT_EMITTER: Class = Class {
    id: "events.EventEmitter",
    extends: &[],
    methods: &[
        m("addListener", THIS),
        m("emit", V),
        m("eventNames", V),
        m("getMaxListeners", V),
        m("listenerCount", V),
        m("off", THIS),
        m("on", THIS),
        m("once", THIS),
        m("prependListener", THIS),
        m("prependOnceListener", THIS),
        m("removeAllListeners", THIS),
        m("removeListener", THIS),
        m("setMaxListeners", THIS),
    ],
    properties: &[],
    events: &[
        // Listening to these reports the driver's own listeners too.
        Event {
            args: &[arg("eventName"), arg("listener")],
            observe: Observe::OptIn,
            ..ev("newListener")
        },
        Event {
            args: &[arg("eventName"), arg("listener")],
            observe: Observe::OptIn,
            ..ev("removeListener")
        },
    ],
};

//! What a spec may name: Node's modules, classes, methods, properties and
//! events. The loader checks every script line and every expected event
//! against this table, so a typo fails at `nodecompat check` rather than
//! mid-run.
//!
//! Adding a module (dgram, http) is adding rows here; nothing else in the
//! spec model or the protocol changes.

/// The static type the checker tracks for a name in a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A plain value: properties and calls on it are not checked.
    Value,
    /// An instance of a vocabulary class.
    Class(&'static str),
    /// The same object the method was called on (`server.listen()` returns `server`).
    This,
}

/// How a driver subscribes to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observe {
    /// Always subscribed: listening changes nothing.
    Default,
    /// Subscribed only when a case names it, because listening changes
    /// behaviour (`data` switches a stream to flowing mode).
    Active,
    /// Subscribed only when a case names it, to keep traces readable.
    OptIn,
}

#[derive(Debug)]
pub struct Event {
    pub name: &'static str,
    /// Argument names, for `name=pattern` and for rendering.
    pub args: &'static [&'static str],
    /// Argument types; an argument of a class type can be captured.
    pub arg_types: &'static [Ty],
    pub observe: Observe,
    /// Render arguments as `name=value` rather than positionally.
    pub named: bool,
}

#[derive(Debug)]
pub struct Method {
    pub name: &'static str,
    pub returns: Ty,
}

#[derive(Debug)]
pub struct Class {
    pub name: &'static str,
    pub methods: &'static [Method],
    pub properties: &'static [&'static str],
    pub events: &'static [Event],
}

impl Class {
    pub fn method(&self, name: &str) -> Option<&Method> {
        self.methods.iter().find(|m| m.name == name)
    }
    pub fn event(&self, name: &str) -> Option<&Event> {
        self.events.iter().find(|e| e.name == name)
    }
    pub fn has_property(&self, name: &str) -> bool {
        self.properties.contains(&name)
    }
}

#[derive(Debug)]
pub struct Module {
    pub name: &'static str,
    /// Module functions.
    pub functions: &'static [Method],
    /// Classes constructible with `new module.Class()`.
    pub classes: &'static [&'static str],
    pub properties: &'static [&'static str],
}

const fn ev(name: &'static str) -> Event {
    Event {
        name,
        args: &[],
        arg_types: &[],
        observe: Observe::Default,
        named: false,
    }
}

const fn m(name: &'static str, returns: Ty) -> Method {
    Method { name, returns }
}

const V: Ty = Ty::Value;
const THIS: Ty = Ty::This;

const ERROR: Event = Event {
    args: &["err"],
    arg_types: &[V],
    ..ev("error")
};

/// The pseudo-class of `@name` callbacks: each call is an event `call`.
pub static CALLBACK: Class = Class {
    name: "Function",
    methods: &[],
    properties: &[],
    events: &[Event {
        args: &[],
        ..ev("call")
    }],
};

pub static NET_SERVER: Class = Class {
    name: "Server",
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
            args: &["socket"],
            arg_types: &[Ty::Class("Socket")],
            ..ev("connection")
        },
        Event {
            args: &["data"],
            arg_types: &[V],
            ..ev("drop")
        },
        ERROR,
        ev("listening"),
    ],
};

pub static NET_SOCKET: Class = Class {
    name: "Socket",
    methods: &[
        m("address", V),
        m("connect", THIS),
        m("cork", V),
        m("destroy", THIS),
        m("destroySoon", V),
        m("end", THIS),
        m("pause", THIS),
        m("read", V),
        m("ref", THIS),
        m("resetAndDestroy", THIS),
        m("resume", THIS),
        m("setEncoding", THIS),
        m("setKeepAlive", THIS),
        m("setNoDelay", THIS),
        m("setTimeout", THIS),
        m("uncork", V),
        m("unref", THIS),
        m("write", V),
    ],
    properties: &[
        "allowHalfOpen",
        "bufferSize",
        "bytesRead",
        "bytesWritten",
        "closed",
        "connecting",
        "destroyed",
        "localAddress",
        "localFamily",
        "localPort",
        "pending",
        "readable",
        "readableEnded",
        "readableFlowing",
        "readableLength",
        "readyState",
        "remoteAddress",
        "remoteFamily",
        "remotePort",
        "timeout",
        "writable",
        "writableEnded",
        "writableFinished",
        "writableHighWaterMark",
        "writableLength",
    ],
    events: &[
        Event {
            args: &["hadError"],
            arg_types: &[V],
            named: true,
            ..ev("close")
        },
        ev("connect"),
        Event {
            args: &["ip", "port", "family"],
            arg_types: &[V, V, V],
            observe: Observe::OptIn,
            named: true,
            ..ev("connectionAttempt")
        },
        Event {
            args: &["ip", "port", "family", "error"],
            arg_types: &[V, V, V, V],
            observe: Observe::OptIn,
            named: true,
            ..ev("connectionAttemptFailed")
        },
        Event {
            args: &["ip", "port", "family"],
            arg_types: &[V, V, V],
            observe: Observe::OptIn,
            named: true,
            ..ev("connectionAttemptTimeout")
        },
        Event {
            args: &["chunk"],
            arg_types: &[V],
            observe: Observe::Active,
            ..ev("data")
        },
        ev("drain"),
        ev("end"),
        ERROR,
        ev("finish"),
        Event {
            args: &["err", "address", "family", "host"],
            arg_types: &[V, V, V, V],
            named: true,
            ..ev("lookup")
        },
        Event {
            observe: Observe::OptIn,
            ..ev("pause")
        },
        Event {
            observe: Observe::Active,
            ..ev("readable")
        },
        ev("ready"),
        Event {
            observe: Observe::OptIn,
            ..ev("resume")
        },
        ev("timeout"),
    ],
};

pub static NET: Module = Module {
    name: "net",
    functions: &[
        m("connect", Ty::Class("Socket")),
        m("createConnection", Ty::Class("Socket")),
        m("createServer", Ty::Class("Server")),
        m("getDefaultAutoSelectFamily", V),
        m("getDefaultAutoSelectFamilyAttemptTimeout", V),
        m("isIP", V),
        m("isIPv4", V),
        m("isIPv6", V),
        m("setDefaultAutoSelectFamily", V),
        m("setDefaultAutoSelectFamilyAttemptTimeout", V),
    ],
    classes: &["Server", "Socket"],
    properties: &[],
};

/// Every module a script may name.
pub static MODULES: &[&Module] = &[&NET];

/// Every class, by name.
pub static CLASSES: &[&Class] = &[&NET_SERVER, &NET_SOCKET, &CALLBACK];

/// Error class names a pattern may use (`RangeError {code: …}`).
pub static ERROR_NAMES: &[&str] = &[
    "Error",
    "RangeError",
    "TypeError",
    "SyntaxError",
    "AggregateError",
    "AbortError",
    "SystemError",
];

/// Features a case may require.
pub static FEATURES: &[&str] = &["unix-sockets", "ipv6"];

pub fn module(name: &str) -> Option<&'static Module> {
    MODULES.iter().copied().find(|m| m.name == name)
}

pub fn class(name: &str) -> Option<&'static Class> {
    CLASSES.iter().copied().find(|c| c.name == name)
}

/// The events a driver subscribes to by default on an object of `class`.
pub fn default_observed(class: &Class) -> Vec<String> {
    class
        .events
        .iter()
        .filter(|e| e.observe == Observe::Default)
        .map(|e| e.name.to_string())
        .collect()
}

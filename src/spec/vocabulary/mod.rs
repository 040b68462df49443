//! What a spec may name: Node's modules, classes, methods, properties and
//! events, one table per Node module. The loader checks every script line
//! and every expected event against these tables, so a typo fails at
//! `nodecompat check` rather than mid-run; the harness reads from them how
//! to observe and match each event.
//!
//! Classes have qualified ids (`net.Socket`, `dgram.Socket`,
//! `stream.Duplex`) and inherit methods, properties and events from the
//! classes they extend, as in Node. Adding a module is adding a table file
//! and a line to [`MODULES`] and [`CLASSES`]; nothing else in the spec
//! model, the harness or the protocol changes.

mod dgram;
mod events;
mod http;
mod https;
mod net;
mod stream;
mod tls;
mod wire;

/// The static type the checker tracks for a name in a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A plain value: properties and calls on it are not checked.
    Value,
    /// An instance of a vocabulary class, by qualified id (`net.Socket`).
    Class(&'static str),
    /// The same object the method was called on (`server.listen()` returns
    /// `server`).
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

/// One argument of an event or a callback.
#[derive(Debug)]
pub struct Arg {
    /// Its name, for `name=pattern` and for rendering.
    pub name: &'static str,
    /// Its type; an argument of a class type can be captured.
    pub ty: Ty,
}

/// An event of a class.
#[derive(Debug)]
pub struct Event {
    /// Node's event name.
    pub name: &'static str,
    /// The arguments listeners receive.
    pub args: &'static [Arg],
    /// Whether the driver listens to it by default.
    pub observe: Observe,
    /// Render arguments as `name=value` rather than positionally.
    pub named: bool,
    /// The emissions are pieces of one byte stream, cut wherever the
    /// transport happened to cut it (`data` of a TCP socket): consecutive
    /// ones are joined before matching, unless a case asks for exact
    /// chunks. Datagrams (`message`) are not: each is whole.
    pub joined: bool,
}

/// A method or module function.
#[derive(Debug)]
pub struct Method {
    /// Its name.
    pub name: &'static str,
    /// What it returns.
    pub returns: Ty,
    /// The arguments of a function passed to it (`@cb`): the listener of
    /// `net.createServer(@onConnection)` gets a `net.Socket`.
    pub callback: &'static [Arg],
}

/// A Node class.
#[derive(Debug)]
pub struct Class {
    /// Qualified id: `net.Socket`.
    pub id: &'static str,
    /// The classes it inherits from, nearest first: its prototype parent,
    /// then mixins (a `stream.Duplex` is a `stream.Readable` with the
    /// methods of `stream.Writable`).
    pub extends: &'static [&'static str],
    /// Its own methods.
    pub methods: &'static [Method],
    /// Its own documented properties.
    pub properties: &'static [&'static str],
    /// Its own events; an event of the same name in a base class is
    /// overridden (a socket's `close` has `hadError`).
    pub events: &'static [Event],
}

impl Class {
    /// The class and every class it inherits from, nearest first, each
    /// once.
    pub fn lineage(&'static self) -> Vec<&'static Class> {
        let mut out: Vec<&'static Class> = vec![self];
        let mut i = 0;
        while i < out.len() {
            for base in out[i].extends.iter().filter_map(|id| class(id)) {
                if !out.iter().any(|c| c.id == base.id) {
                    out.push(base);
                }
            }
            i += 1;
        }
        out
    }

    /// The short name: `Socket` for `net.Socket`.
    pub fn short_name(&self) -> &'static str {
        self.id.rsplit('.').next().unwrap_or(self.id)
    }

    /// A method of the class or of a class it inherits from.
    pub fn method(&'static self, name: &str) -> Option<&'static Method> {
        self.lineage()
            .into_iter()
            .find_map(|c| c.methods.iter().find(|m| m.name == name))
    }

    /// An event of the class or of a class it inherits from (the nearest
    /// definition wins).
    pub fn event(&'static self, name: &str) -> Option<&'static Event> {
        self.lineage()
            .into_iter()
            .find_map(|c| c.events.iter().find(|e| e.name == name))
    }

    /// Every event, own ones first, each name once.
    pub fn all_events(&'static self) -> Vec<&'static Event> {
        let mut out: Vec<&'static Event> = Vec::new();
        for c in self.lineage() {
            for e in c.events {
                if !out.iter().any(|x| x.name == e.name) {
                    out.push(e);
                }
            }
        }
        out
    }

    /// Whether the class or a class it inherits from documents `name`.
    pub fn has_property(&'static self, name: &str) -> bool {
        self.lineage()
            .into_iter()
            .any(|c| c.properties.contains(&name))
    }

    /// Whether this class is `id` or inherits from it (`instanceof`).
    pub fn is_a(&'static self, id: &str) -> bool {
        self.lineage().into_iter().any(|c| c.id == id)
    }
}

/// A Node module, or a JavaScript global that scripts may call
/// (`Object.keys`).
#[derive(Debug)]
pub struct Module {
    /// The name scripts use: `net`.
    pub name: &'static str,
    /// Module functions.
    pub functions: &'static [Method],
    /// Classes it exports, by qualified id; `new net.Socket()` needs the
    /// class here.
    pub classes: &'static [&'static str],
    /// Other properties (constants).
    pub properties: &'static [&'static str],
    /// Objects the module holds, by property name and class id
    /// (`http.globalAgent` is an `http.Agent`): a script can name them
    /// and observe their events.
    pub instances: &'static [(&'static str, &'static str)],
    /// Who runs it: a Node module, a JavaScript global, or the harness.
    pub kind: ModuleKind,
}

/// Who runs a module's functions and its objects' methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    /// A Node module a driver may or may not implement (`hello` lists
    /// them).
    Node,
    /// JavaScript's own globals (`Object`): every driver has them.
    Global,
    /// Run by the harness itself, identically for every implementation
    /// (the wire peer, `wire`): its objects never reach a driver.
    Harness,
}

impl Module {
    /// A function of the module.
    pub fn function(&self, name: &str) -> Option<&'static Method>
    where
        Self: 'static,
    {
        self.functions.iter().find(|f| f.name == name)
    }

    /// The class this module exports under `name` (`Socket` → `net.Socket`).
    pub fn class(&self, name: &str) -> Option<&'static Class> {
        self.classes
            .iter()
            .filter_map(|id| class(id))
            .find(|c| c.short_name() == name)
    }
}

pub(crate) const fn ev(name: &'static str) -> Event {
    Event {
        name,
        args: &[],
        observe: Observe::Default,
        named: false,
        joined: false,
    }
}

pub(crate) const fn m(name: &'static str, returns: Ty) -> Method {
    Method {
        name,
        returns,
        callback: &[],
    }
}

pub(crate) const fn arg(name: &'static str) -> Arg {
    Arg {
        name,
        ty: Ty::Value,
    }
}

pub(crate) const V: Ty = Ty::Value;
pub(crate) const THIS: Ty = Ty::This;

/// `error (err)`, the same on every class.
pub(crate) const ERROR: Event = Event {
    args: &[arg("err")],
    ..ev("error")
};

/// The pseudo-class of `@name` callbacks: each call is an event `call`.
pub static CALLBACK: Class = Class {
    id: "Function",
    extends: &[],
    methods: &[],
    properties: &[],
    events: &[ev("call")],
};

/// The pseudo object `process` of the events block: what a driver
/// reports about the process rather than an object of the script. Its one
/// event a case may expect is `uncaughtException (err)`, an exception
/// nothing caught (`spec/PROTOCOL.md`, "Appendix: uncaught exceptions");
/// `driverError` is deliberately not here, so it always fails a case.
/// Scripts cannot name it: only events lines do.
pub static PROCESS: Class = Class {
    id: "process",
    extends: &[],
    methods: &[],
    properties: &[],
    events: &[Event {
        args: &[arg("err")],
        ..ev("uncaughtException")
    }],
};

/// JavaScript's `Object`, for `Object.keys(value)`.
pub static OBJECT: Module = Module {
    name: "Object",
    functions: &[m("keys", V)],
    classes: &[],
    properties: &[],
    instances: &[],
    kind: ModuleKind::Global,
};

/// Every module a script may name.
pub static MODULES: &[&Module] = &[
    &net::NET,
    &dgram::DGRAM,
    &http::HTTP,
    &https::HTTPS,
    &tls::TLS,
    &wire::WIRE,
    &OBJECT,
];

/// Every class, by qualified id.
pub static CLASSES: &[&Class] = &[
    &events::EVENT_EMITTER,
    &stream::STREAM,
    &stream::READABLE,
    &stream::WRITABLE,
    &stream::DUPLEX,
    &net::SERVER,
    &net::SOCKET,
    &dgram::SOCKET,
    &http::SERVER,
    &http::INCOMING_MESSAGE,
    &http::OUTGOING_MESSAGE,
    &http::SERVER_RESPONSE,
    &http::CLIENT_REQUEST,
    &http::AGENT,
    &https::SERVER,
    &https::AGENT,
    &tls::SERVER,
    &tls::TLS_SOCKET_CLASS,
    &wire::PEER,
    &wire::SERVER,
    &CALLBACK,
    &PROCESS,
];

/// Error class names a pattern may use (`RangeError {code: …}`); the
/// constructible ones can be built in scripts (`new Error("boom")`).
pub static ERROR_NAMES: &[&str] = &[
    "Error",
    "RangeError",
    "TypeError",
    "SyntaxError",
    "AggregateError",
    "AbortError",
    "SystemError",
];

/// Error classes a script may construct: JavaScript's own.
pub static ERROR_CONSTRUCTORS: &[&str] = &["Error", "RangeError", "TypeError", "SyntaxError"];

/// JavaScript's other classes a script may construct: `new URL(input)`
/// (an `http.request()` argument).
pub static OTHER_CONSTRUCTORS: &[&str] = &["URL"];

/// Whether `name` is a global class a script may construct.
pub fn global_constructor(name: &str) -> bool {
    ERROR_CONSTRUCTORS.contains(&name) || OTHER_CONSTRUCTORS.contains(&name)
}

/// Features a case may require.
pub static FEATURES: &[&str] = &["unix-sockets", "ipv6", "multicast", "dns-enotfound"];

/// A module (or script global) by name.
pub fn module(name: &str) -> Option<&'static Module> {
    MODULES.iter().copied().find(|m| m.name == name)
}

/// Whether a script may not give `name` to anything: a module's name, or
/// the pseudo object [`PROCESS`].
pub fn reserved(name: &str) -> bool {
    module(name).is_some() || name == PROCESS.id
}

/// Whether objects of the class `id` live in the harness (`wire.Peer`),
/// not in the implementation.
pub fn harness_class(id: &str) -> bool {
    id.split_once('.')
        .and_then(|(m, _)| module(m))
        .is_some_and(|m| m.kind == ModuleKind::Harness)
}

/// A class by qualified id.
pub fn class(id: &str) -> Option<&'static Class> {
    CLASSES.iter().copied().find(|c| c.id == id)
}

/// Classes whose short name is `name` (`Socket` → `net.Socket`,
/// `dgram.Socket`), for error messages about unqualified names.
pub fn classes_named(name: &str) -> Vec<&'static str> {
    CLASSES
        .iter()
        .filter(|c| c.short_name() == name && c.id.contains('.'))
        .map(|c| c.id)
        .collect()
}

/// The events a driver subscribes to by default on an object of `class`.
pub fn default_observed(class: &'static Class) -> Vec<String> {
    class
        .all_events()
        .into_iter()
        .filter(|e| e.observe == Observe::Default)
        .map(|e| e.name.to_string())
        .collect()
}

/// Whether `event` of an object of class `class` is matched joined.
pub fn joins(class: Option<&str>, event: &str) -> bool {
    class
        .and_then(self::class)
        .and_then(|c| c.event(event))
        .is_some_and(|e| e.joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_base_class_and_exported_class_exists() {
        for c in CLASSES {
            for base in c.extends {
                assert!(class(base).is_some(), "{} extends unknown {base}", c.id);
            }
        }
        for m in MODULES {
            for id in m.classes {
                assert!(class(id).is_some(), "{} exports unknown {id}", m.name);
            }
        }
    }

    #[test]
    fn sockets_inherit_from_streams_and_override_close() {
        let socket = class("net.Socket").unwrap();
        assert!(socket.is_a("stream.Duplex") && socket.is_a("events.EventEmitter"));
        assert!(socket.has_property("writableNeedDrain"));
        assert!(socket.method("cork").is_some());
        assert_eq!(socket.event("close").unwrap().args.len(), 1);
        assert!(socket.event("data").unwrap().joined);
        assert!(
            !class("dgram.Socket")
                .unwrap()
                .event("message")
                .unwrap()
                .joined
        );
        assert_eq!(classes_named("Socket"), vec!["net.Socket", "dgram.Socket"]);
    }
}

//! The seam between the class-agnostic session and the bindings of Node's
//! classes: every object a script touches is a [`HostObject`], every module
//! a [`HostModule`]. The session names, observes, reports and tears down
//! objects only through these traits; adding a class adds a binding file,
//! not an arm to a switch.

use std::any::Any;
use std::sync::Arc;

use super::js::JsVal;
use super::session::Session;
use crate::Error;
use crate::events::{Emits, Event, EventKind};

/// Why an action did not produce a value.
#[derive(Debug)]
pub enum Failure {
    /// A JavaScript exception, thrown synchronously.
    Throw(JsVal),
    /// The driver could not run the request (unknown name, not
    /// implemented): an `error` reply.
    Error(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Throw(JsVal::from_error(&e))
    }
}

impl Failure {
    /// "not implemented: …", for what the reference does not do yet.
    pub fn unsupported(what: impl std::fmt::Display) -> Failure {
        Failure::Error(format!("not implemented: {what}"))
    }
}

/// What an action returns.
pub type Eval = Result<JsVal, Failure>;

/// A listener the session attaches: called with the event's arguments, as
/// a JavaScript listener would receive them (trailing `undefined`s may be
/// left out).
pub type HostListener = Arc<dyn Fn(Vec<JsVal>) + Send + Sync>;

/// An object of the implementation, as scripts see it: a Node class's
/// properties, methods and events.
pub trait HostObject: Send + Sync + 'static {
    /// The qualified class (`net.Socket`), the most derived one.
    fn class(&self) -> &'static str;

    /// For [`same_object`].
    fn as_any(&self) -> &dyn Any;

    /// Whether `other` is the same Node object (two bindings of one socket
    /// are one object: names follow the object, not the binding).
    fn same(&self, other: &dyn HostObject) -> bool;

    /// `this.property`; `Ok(None)` when the class has no such property
    /// (the session then looks at plain properties scripts assigned).
    fn get(&self, cx: &Session, property: &str) -> Result<Option<JsVal>, Failure>;

    /// `this.property = value`; `Ok(false)` when it is no accessor of the
    /// class, so the session keeps it as a plain property.
    fn set(&self, _cx: &Session, _property: &str, _value: &JsVal) -> Result<bool, Failure> {
        Ok(false)
    }

    /// `this.method(...args)`; `this` is the object as a value, for
    /// methods that return it.
    fn call(&self, cx: &Session, this: &JsVal, method: &str, args: Vec<JsVal>) -> Eval;

    /// Adds a listener for `event` (Node's `on` or `once`); an error names
    /// an event this binding cannot listen to.
    fn subscribe(&self, event: &str, once: bool, listener: HostListener) -> Result<(), String>;

    /// `emitter.listenerCount(event)`, `None` for an unknown event.
    fn listener_count(&self, event: &str) -> Option<usize>;

    /// Ends the object when a case ends: destroys a socket, closes a
    /// server. Called inside a turn of the session's event loop.
    fn teardown(&self);
}

/// A Node module (`net`), or a global namespace (`Object`).
pub trait HostModule: Send + Sync + 'static {
    /// The name scripts use (`net`).
    fn name(&self) -> &'static str;

    /// `module.function(...args)`.
    fn call(&self, cx: &Session, function: &str, args: Vec<JsVal>) -> Eval;

    /// `new module.Class(...args)`, `class` being the short name.
    fn construct(&self, cx: &Session, class: &str, args: Vec<JsVal>) -> Eval;

    /// The features (`spec/README.md`, "Metadata") this module supports
    /// here, probed on this machine: `hello` lists them.
    fn features(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// `module.property` for a constant; classes are answered by the
    /// session from the vocabulary.
    fn get(&self, _cx: &Session, property: &str) -> Eval {
        Err(Failure::unsupported(format!(
            "the property '{property}' of {}",
            self.name()
        )))
    }
}

/// [`HostObject::subscribe`] for a class of the crate that implements
/// [`Emits`]: the event's kind by its Node name, the listener's arguments
/// made by `args`.
pub fn subscribe_to<T: Emits>(
    emitter: &T,
    event: &str,
    once: bool,
    listener: HostListener,
    args: fn(&T::Event) -> Vec<JsVal>,
) -> Result<(), String> {
    let kind = <<T::Event as Event>::Kind as EventKind>::from_name(event)
        .ok_or_else(|| format!("no event '{event}' here"))?;
    let f = move |_: &T, e: &T::Event| listener(args(e));
    if once {
        emitter.once(kind, f);
    } else {
        emitter.on(kind, f);
    }
    Ok(())
}

/// [`HostObject::listener_count`] for a class that implements [`Emits`].
pub fn count_listeners<T: Emits>(emitter: &T, event: &str) -> Option<usize> {
    <<T::Event as Event>::Kind as EventKind>::from_name(event).map(|k| emitter.listener_count(k))
}

/// [`HostObject::same`] for a binding type whose `PartialEq` says whether
/// two bindings hold the same object.
pub fn same_object<T: HostObject + PartialEq>(me: &T, other: &dyn HostObject) -> bool {
    other.as_any().downcast_ref::<T>().is_some_and(|o| o == me)
}

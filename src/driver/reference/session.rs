//! One driver session, knowing no Node class: the registry of names,
//! captures, reactions, the listeners that report events, uncaught
//! exceptions, the evaluator, and teardown. Objects are reached only
//! through the [`HostObject`] and [`HostModule`] traits.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use async_std::channel::Sender;

use super::host::{Eval, Failure, HostListener, HostModule, HostObject};
use super::js::{JsVal, Props, builtins};
use crate::event_loop::{EventLoop, WeakEventLoop};
use crate::protocol::{Capture, Expr, Message, Reaction, Value};
use crate::spec::vocabulary;

/// Names a reaction's parameters bind while its body runs.
pub type Scope = BTreeMap<String, JsVal>;

/// One listener the session added: at most one per object and event, its
/// reporting switched on when the event becomes observed.
struct Subscription {
    object: Arc<dyn HostObject>,
    event: String,
    report: Arc<AtomicBool>,
}

/// Everything a case registered.
#[derive(Default)]
struct Registry {
    names: BTreeMap<String, JsVal>,
    captures: Vec<Capture>,
    reactions: Vec<Reaction>,
    /// Per class, what to observe on an object the case never named.
    defaults: BTreeMap<String, Vec<String>>,
    /// Emissions seen per (object, event), for captures.
    counts: BTreeMap<(String, String), usize>,
    anonymous: usize,
    /// Events are reported only while a case runs.
    active: bool,
    /// The number of the running case.
    case: u64,
    /// Every object the case created or received, for teardown.
    tracked: Vec<Arc<dyn HostObject>>,
    /// Plain properties scripts (or Node's JS layer) assigned on objects
    /// (Node's `socket.timeout`).
    own_properties: Vec<(Arc<dyn HostObject>, String, JsVal)>,
    subscriptions: Vec<Subscription>,
}

impl Registry {
    /// The name of an object: a capture's or an assignment's name wins
    /// over an anonymous `#n` one it got first.
    fn name_of(&self, object: &dyn HostObject) -> Option<String> {
        let mut names = self
            .names
            .iter()
            .filter(|(_, v)| matches!(v, JsVal::Host(h) if h.same(object)))
            .map(|(k, _)| k);
        let first = names.next()?;
        Some(names.find(|k| !k.starts_with('#')).unwrap_or(first).clone())
    }
}

/// What every handle of a session shares.
struct Shared {
    registry: Mutex<Registry>,
    messages: Sender<Message>,
    modules: Vec<Arc<dyn HostModule>>,
}

/// One driver session; cheap to clone into listeners.
#[derive(Clone)]
pub struct Session {
    shared: Arc<Shared>,
    /// The loop every object of the session emits in.
    pub event_loop: EventLoop,
    /// The case this handle belongs to: listeners hold a clone made
    /// during their case, and report nothing in a later one.
    case: u64,
}

impl Session {
    /// A session serving `modules`, writing to `messages`. The session's
    /// loop reports its uncaught exceptions (an `'error'` nobody listens
    /// to) as Node's driver does: see [`Session::uncaught`].
    pub fn new(messages: Sender<Message>, modules: Vec<Arc<dyn HostModule>>) -> Session {
        let session = Session {
            shared: Arc::new(Shared {
                registry: Mutex::default(),
                messages,
                modules,
            }),
            event_loop: EventLoop::new(),
            case: 0,
        };
        // The loop holds the handler: weak references only, or the
        // session and its loop would keep each other alive.
        let (shared, event_loop) = (
            Arc::downgrade(&session.shared),
            session.event_loop.downgrade(),
        );
        session.event_loop.set_uncaught(move |err| {
            if let Some(s) = Session::upgrade(&shared, &event_loop) {
                s.uncaught(JsVal::from_error(err));
            }
        });
        session
    }

    /// A handle for the running case, from weak references.
    fn upgrade(shared: &Weak<Shared>, event_loop: &WeakEventLoop) -> Option<Session> {
        let shared = shared.upgrade()?;
        let case = shared
            .registry
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .case;
        Some(Session {
            shared,
            event_loop: event_loop.upgrade()?,
            case,
        })
    }

    fn reg(&self) -> MutexGuard<'_, Registry> {
        self.shared
            .registry
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this handle's case is the one running.
    fn current(&self) -> bool {
        let reg = self.reg();
        reg.active && reg.case == self.case
    }

    pub(super) fn send(&self, m: Message) {
        let _ = self.shared.messages.try_send(m);
    }

    /// Starts a case: forgets the last one, declares captures and
    /// reactions. Call it inside a turn.
    pub(super) fn begin(
        &mut self,
        captures: Vec<Capture>,
        reactions: Vec<Reaction>,
        defaults: BTreeMap<String, Vec<String>>,
    ) {
        let case = {
            let mut reg = self.reg();
            let case = reg.case + 1;
            *reg = Registry {
                captures,
                reactions,
                defaults,
                active: true,
                case,
                ..Registry::default()
            };
            case
        };
        self.case = case;
    }

    // --- reporting -------------------------------------------------------

    /// Reports an event line if this handle's case is running.
    pub fn report(&self, object: &str, event: &str, args: Vec<JsVal>) {
        if !self.current() {
            return;
        }
        let mut args: Vec<Value> = args.iter().map(|a| self.encode(a)).collect();
        while matches!(args.last(), Some(Value::Undefined)) {
            args.pop();
        }
        self.send(Message::Event {
            object: object.into(),
            event: event.into(),
            args,
        });
    }

    /// A `{"callback": name}` function was called: captures, then a `call`
    /// event.
    pub fn callback(&self, name: &str, args: Vec<JsVal>) {
        self.capture(name, "call", &args);
        self.report(name, "call", args);
    }

    /// A driver problem inside a listener, where no reply can carry it: an
    /// event on the pseudo object `process`, which fails the case.
    fn driver_error(&self, message: String) {
        self.report("process", "driverError", vec![JsVal::String(message)]);
    }

    /// An exception nothing caught, as Node's driver reports its
    /// `process.on('uncaughtException')`: the event `uncaughtException` of
    /// the pseudo object `process`, with the exception alone. A reaction
    /// that throws, and an `'error'` emitted with no listener (from the
    /// session's loop), both come here. Outside a case (during teardown)
    /// it is dropped, as the Node driver only logs it.
    fn uncaught(&self, exception: JsVal) {
        self.report("process", "uncaughtException", vec![exception]);
    }

    /// Runs the captures declared for `object`'s `event`, before anything
    /// else sees the arguments.
    fn capture(&self, object: &str, event: &str, args: &[JsVal]) {
        let n = {
            let mut reg = self.reg();
            if !reg.active || reg.case != self.case {
                return;
            }
            let c = reg.counts.entry((object.into(), event.into())).or_insert(0);
            *c += 1;
            *c
        };
        self.capture_nth(&|name| name == object, event, n, args);
    }

    /// Runs the captures of `event` #`n` whose source object `is` names.
    fn capture_nth(&self, is: &dyn Fn(&str) -> bool, event: &str, n: usize, args: &[JsVal]) {
        let candidates: Vec<Capture> = {
            let reg = self.reg();
            if !reg.active || reg.case != self.case {
                return;
            }
            reg.captures
                .iter()
                .filter(|c| c.event == event && c.nth == n)
                .cloned()
                .collect()
        };
        // `is` may look at the registry: the lock is released first.
        for c in candidates.into_iter().filter(|c| is(&c.object)) {
            let v = args.get(c.arg).cloned().unwrap_or(JsVal::Undefined);
            if let Err(e) = self.register(&c.name, v, &c.observe) {
                self.driver_error(e);
            }
        }
    }

    // --- names and listeners ---------------------------------------------

    /// Registers `v` under `name`: tracks it for teardown, adds the capture
    /// listeners it needs, subscribes `observe`, attaches its reactions.
    /// Every event is tried; the error names each one that failed.
    pub(super) fn register(&self, name: &str, v: JsVal, observe: &[String]) -> Result<(), String> {
        self.reg().names.insert(name.into(), v.clone());
        let JsVal::Host(object) = v else {
            return Ok(());
        };
        self.track(&object);
        let (capture_events, reactions): (Vec<String>, Vec<Reaction>) = {
            let reg = self.reg();
            (
                reg.captures
                    .iter()
                    .filter(|c| c.object == name && !observe.contains(&c.event))
                    .map(|c| c.event.clone())
                    .collect(),
                reg.reactions
                    .iter()
                    .filter(|r| r.object == name)
                    .cloned()
                    .collect(),
            )
        };
        let mut failed = Vec::new();
        // Capture listeners first, so captured objects are named before any
        // report encodes them.
        for event in capture_events {
            if let Err(e) = self.listen(name, &object, &event, false) {
                failed.push(e);
            }
        }
        if let Err(e) = self.subscribe(name, &object, observe) {
            failed.push(e);
        }
        for reaction in reactions {
            let listener = self.reaction(reaction.clone());
            if let Err(e) = object.subscribe(&reaction.event, reaction.once, listener) {
                failed.push(e);
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed.join("; "))
        }
    }

    /// Subscribes `events` on a registered object, reporting them; every
    /// event is tried.
    pub(super) fn subscribe(
        &self,
        name: &str,
        object: &Arc<dyn HostObject>,
        events: &[String],
    ) -> Result<(), String> {
        let failed: Vec<String> = events
            .iter()
            .filter_map(|e| self.listen(name, object, e, true).err())
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed.join("; "))
        }
    }

    /// The session's one listener for `object`'s `event`: it runs the
    /// captures and, once `report` is on, reports the event.
    fn listen(
        &self,
        name: &str,
        object: &Arc<dyn HostObject>,
        event: &str,
        report: bool,
    ) -> Result<(), String> {
        let existing = self
            .reg()
            .subscriptions
            .iter()
            .find(|s| s.event == event && s.object.same(object.as_ref()))
            .map(|s| s.report.clone());
        if let Some(flag) = existing {
            if report {
                flag.store(true, Ordering::Relaxed);
            }
            return Ok(());
        }
        let flag = Arc::new(AtomicBool::new(report));
        let (s, first_name, event_name, reporting, me) = (
            self.clone(),
            name.to_string(),
            event.to_string(),
            flag.clone(),
            object.clone(),
        );
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let listener: HostListener = Arc::new(move |args: Vec<JsVal>| {
            // The object's name now: an object seen first as `#n` and
            // captured later is reported under its capture's name, and
            // captures count every emission of the object.
            let n = count.fetch_add(1, Ordering::Relaxed) + 1;
            let is_me =
                |name: &str| matches!(s.named(name), Some(JsVal::Host(h)) if h.same(me.as_ref()));
            s.capture_nth(&is_me, &event_name, n, &args);
            if reporting.load(Ordering::Relaxed) {
                let name = s
                    .reg()
                    .name_of(me.as_ref())
                    .unwrap_or_else(|| first_name.clone());
                s.report(&name, &event_name, args);
            }
        });
        object
            .subscribe(event, false, listener)
            .map_err(|e| format!("cannot listen to '{event}' of '{name}': {e}"))?;
        self.reg().subscriptions.push(Subscription {
            object: object.clone(),
            event: event.to_string(),
            report: flag,
        });
        Ok(())
    }

    /// The listener of a reaction: binds the parameters, runs the body in
    /// the emission. A throw is an uncaught exception, as in Node.
    fn reaction(&self, reaction: Reaction) -> HostListener {
        let s = self.clone();
        Arc::new(move |args: Vec<JsVal>| {
            if !s.current() {
                return;
            }
            let scope: Scope = reaction
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| (p.clone(), args.get(i).cloned().unwrap_or(JsVal::Undefined)))
                .collect();
            for expr in &reaction.body {
                match s.eval(expr, &scope) {
                    Ok(_) => {}
                    Err(Failure::Throw(e)) => {
                        s.uncaught(e);
                        return;
                    }
                    Err(Failure::Error(m)) => {
                        s.driver_error(format!(
                            "in the reaction to '{}' of '{}': {m}",
                            reaction.event, reaction.object
                        ));
                        return;
                    }
                }
            }
        })
    }

    /// Remembers an object for teardown.
    pub fn track(&self, object: &Arc<dyn HostObject>) {
        let mut reg = self.reg();
        if !reg.tracked.iter().any(|t| t.same(object.as_ref())) {
            reg.tracked.push(object.clone());
        }
    }

    /// A plain property assigned on an object, if any.
    pub fn own_property(&self, object: &dyn HostObject, property: &str) -> Option<JsVal> {
        self.reg()
            .own_properties
            .iter()
            .find(|(o, p, _)| o.same(object) && p == property)
            .map(|(_, _, v)| v.clone())
    }

    /// Assigns a plain property on an object.
    pub fn set_own_property(&self, object: &Arc<dyn HostObject>, property: &str, v: JsVal) {
        let mut reg = self.reg();
        reg.own_properties
            .retain(|(o, p, _)| !(o.same(object.as_ref()) && p == property));
        reg.own_properties
            .push((object.clone(), property.to_string(), v));
    }

    /// The value registered under `name`.
    pub(super) fn named(&self, name: &str) -> Option<JsVal> {
        self.reg().names.get(name).cloned()
    }

    // --- values ----------------------------------------------------------

    /// Encodes a value for the protocol, naming unnamed objects `#n`
    /// (subscribed to `error`, so an unobserved error does not go
    /// unnoticed).
    pub fn encode(&self, v: &JsVal) -> Value {
        let all = |p: &Props| p.iter().map(|(k, x)| (k.clone(), self.encode(x))).collect();
        match v {
            JsVal::Host(object) => {
                let known = self.reg().name_of(object.as_ref());
                let id = known.unwrap_or_else(|| self.anonymous(v));
                Value::Handle {
                    class: object.class().into(),
                    id,
                }
            }
            JsVal::Array(a) => Value::Array(a.iter().map(|x| self.encode(x)).collect()),
            JsVal::Object(p) => Value::Object(all(p)),
            JsVal::Error(p) => Value::Error(all(p)),
            other => super::js::plain_value(other),
        }
    }

    fn anonymous(&self, v: &JsVal) -> String {
        let (name, observe) = {
            let mut reg = self.reg();
            reg.anonymous += 1;
            let class = match v {
                JsVal::Host(h) => h.class(),
                _ => "",
            };
            let observe = reg
                .defaults
                .get(class)
                .cloned()
                .unwrap_or_else(|| vec!["error".to_string()]);
            (format!("#{}", reg.anonymous), observe)
        };
        if let Err(e) = self.register(&name, v.clone(), &observe) {
            self.driver_error(e);
        }
        name
    }

    // --- evaluation ------------------------------------------------------

    /// Evaluates an expression; `scope` holds a reaction's parameters.
    pub fn eval(&self, expr: &Expr, scope: &Scope) -> Eval {
        Ok(match expr {
            Expr::Value(v) => {
                let lookup = |id: &str| self.named(id);
                JsVal::from_value(v, &lookup)
            }
            Expr::Global(g) => self.global(g)?,
            Expr::Ref(name) => scope
                .get(name)
                .cloned()
                .or_else(|| self.named(name))
                .ok_or_else(|| Failure::Error(format!("unknown object '{name}'")))?,
            Expr::Get { target, property } => {
                let t = self.eval(target, scope)?;
                self.get(&t, property)?
            }
            Expr::Set {
                target,
                property,
                value,
            } => {
                let t = self.eval(target, scope)?;
                let v = self.eval(value, scope)?;
                self.set(&t, property, &v)?;
                v
            }
            Expr::Call {
                target,
                method,
                args,
            } => {
                let t = self.eval(target, scope)?;
                let args = self.eval_all(args, scope)?;
                self.call(&t, method, args)?
            }
            Expr::New { target, args } => {
                let t = self.eval(target, scope)?;
                let args = self.eval_all(args, scope)?;
                self.construct(&t, args)?
            }
            Expr::Object(m) => JsVal::Object(
                m.iter()
                    .map(|(k, e)| Ok((k.clone(), self.eval(e, scope)?)))
                    .collect::<Result<_, Failure>>()?,
            ),
            Expr::Array(a) => JsVal::Array(self.eval_all(a, scope)?),
            Expr::Callback(name) => JsVal::Callback(name.clone()),
            Expr::Typeof(e) => JsVal::String(self.eval(e, scope)?.type_of().into()),
            Expr::Instanceof { value, class } => {
                let v = self.eval(value, scope)?;
                let c = self.eval(class, scope)?;
                JsVal::Bool(builtins::instance_of(&v, &c)?)
            }
        })
    }

    /// Evaluates expressions in order, as JavaScript evaluates arguments.
    fn eval_all(&self, exprs: &[Expr], scope: &Scope) -> Result<Vec<JsVal>, Failure> {
        exprs.iter().map(|e| self.eval(e, scope)).collect()
    }

    fn global(&self, name: &str) -> Eval {
        if let Some(m) = self.shared.modules.iter().find(|m| m.name() == name) {
            return Ok(JsVal::Module(m.clone()));
        }
        builtins::global(name).ok_or_else(|| Failure::Error(format!("unknown global '{name}'")))
    }

    /// `target.property`.
    fn get(&self, target: &JsVal, property: &str) -> Eval {
        match target {
            JsVal::Host(object) => {
                if let Some(v) = self.own_property(object.as_ref(), property) {
                    return Ok(v);
                }
                let class = vocabulary::class(object.class());
                match object.get(self, property)? {
                    Some(v) => Ok(v),
                    None if class.is_some_and(|c| c.method(property).is_some()) => {
                        Ok(JsVal::Function(property.into()))
                    }
                    None if class.is_some_and(|c| c.has_property(property)) => Err(
                        Failure::unsupported(format!("{}.{property}", object.class())),
                    ),
                    None => Ok(JsVal::Undefined),
                }
            }
            JsVal::Module(m) => {
                let module = vocabulary::module(m.name());
                if let Some(c) = module.and_then(|vm| vm.class(property)) {
                    return Ok(JsVal::Class(c.id));
                }
                if module.is_some_and(|vm| vm.function(property).is_some()) {
                    return Ok(JsVal::Function(property.into()));
                }
                m.get(self, property)
            }
            other => builtins::get(other, property),
        }
    }

    /// `target.property = value`.
    fn set(&self, target: &JsVal, property: &str, value: &JsVal) -> Result<(), Failure> {
        match target {
            JsVal::Host(object) => {
                if !object.set(self, property, value)? {
                    self.set_own_property(object, property, value.clone());
                }
                Ok(())
            }
            _ => Err(Failure::unsupported(format!(
                "setting '{property}' on {}",
                target.describe()
            ))),
        }
    }

    /// `target.method(...args)`. `EventEmitter`'s listener methods work the
    /// same on every object, through [`HostObject::subscribe`].
    fn call(&self, target: &JsVal, method: &str, args: Vec<JsVal>) -> Eval {
        match target {
            JsVal::Host(object) => match (method, args.as_slice()) {
                ("on" | "addListener" | "once", [JsVal::String(event), JsVal::Callback(cb)]) => {
                    let (s, cb) = (self.clone(), cb.clone());
                    let listener: HostListener = Arc::new(move |a| s.callback(&cb, a));
                    object
                        .subscribe(event, method == "once", listener)
                        .map_err(Failure::Error)?;
                    Ok(target.clone())
                }
                ("listenerCount", [JsVal::String(event), ..]) => {
                    match object.listener_count(event) {
                        Some(n) => Ok(JsVal::Number(n as f64)),
                        None => Err(Failure::unsupported(format!(
                            "listenerCount('{event}') on {}",
                            object.class()
                        ))),
                    }
                }
                _ => object.call(self, target, method, args),
            },
            JsVal::Module(m) => m.call(self, method, args),
            // `f.call(thisArg, ...args)`: the implementation's functions
            // have no `this`.
            JsVal::Native(f) if method == "call" => (f.call)(args.into_iter().skip(1).collect()),
            other => Err(Failure::unsupported(format!(
                "the method '{method}' on {}",
                other.describe()
            ))),
        }
    }

    /// `new target(...args)`.
    fn construct(&self, target: &JsVal, args: Vec<JsVal>) -> Eval {
        let JsVal::Class(id) = target else {
            return Err(Failure::Error(format!(
                "{} is not a constructor",
                target.describe()
            )));
        };
        match id.split_once('.') {
            Some((module, class)) => {
                match self.shared.modules.iter().find(|m| m.name() == module) {
                    Some(m) => m.construct(self, class, args),
                    None => Err(Failure::Error(format!("unknown module '{module}'"))),
                }
            }
            None => builtins::construct(id, args),
        }
    }

    // --- teardown --------------------------------------------------------

    /// Stops reporting, ends every object the case touched, forgets every
    /// name.
    pub(super) async fn end(&self) {
        let tracked = {
            let _turn = self.event_loop.turn().await;
            let mut reg = self.reg();
            reg.active = false;
            std::mem::take(&mut reg.tracked)
        };
        {
            let _turn = self.event_loop.turn().await;
            for object in &tracked {
                object.teardown();
            }
        }
        let mut reg = self.reg();
        let case = reg.case;
        *reg = Registry {
            case,
            ..Registry::default()
        };
    }
}

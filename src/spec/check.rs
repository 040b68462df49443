//! Static checks of a case against the vocabulary, and what the harness
//! derives from them: each object's class, the captures and the events each
//! object must be observed for.
//!
//! Everything that can be known before running is checked here, so that a
//! typo in a method or event name fails at load time with its position.

use std::collections::BTreeMap;

mod captures;

use super::ast::*;
use super::vocabulary::{self as vocab, Class, Observe, Ty};
use crate::protocol::{Capture, Value};

/// A checked case's derived facts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Every event-emitting object by name, with its class's qualified id.
    pub objects: BTreeMap<String, &'static str>,
    /// The Node modules the script uses (a driver that lacks one skips the
    /// case).
    pub modules: Vec<&'static str>,
    /// Objects that arrive as event arguments.
    pub captures: Vec<Capture>,
    /// Events to subscribe on each object when it is created.
    pub observe: BTreeMap<String, Vec<String>>,
    /// The script's reactions (`on obj event (…) => …`), declared when the
    /// case begins.
    pub reactions: Vec<PlannedReaction>,
    /// Lines of `observe` statements about objects named later: their
    /// events are in `observe`, subscribed when the object is named, and
    /// the line itself sends nothing.
    pub deferred_observes: Vec<usize>,
}

/// A reaction, as the checker accepted it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedReaction {
    pub object: String,
    pub event: String,
    pub params: Vec<String>,
    pub body: Vec<Ast>,
    pub once: bool,
}

impl Plan {
    /// Captures of plain values (`wait … as msg, rinfo`): script variables
    /// whose value the trace holds.
    pub fn value_captures(&self) -> impl Iterator<Item = &Capture> {
        self.captures
            .iter()
            .filter(|c| !self.objects.contains_key(&c.name))
    }
}

pub type CheckError = (Pos, String);

/// A class `new` can build.
enum Constructor {
    Class(&'static Class),
    Error,
}

#[derive(Clone, Copy)]
enum Kind {
    Module(&'static vocab::Module),
    Obj(Ty),
}

/// A capture not yet waited for: source object, event, nth, and the type
/// of what it names.
type Pending = BTreeMap<String, (String, String, usize, Ty)>;

struct Checker {
    env: BTreeMap<String, Kind>,
    /// Capture name → (source object, event, nth, type).
    pending: Pending,
    waits: BTreeMap<(String, String), usize>,
    plan: Plan,
    errors: Vec<CheckError>,
}

fn class_of(ty: Ty) -> Option<&'static Class> {
    match ty {
        Ty::Class(c) => vocab::class(c),
        _ => None,
    }
}

/// The names of an event's arguments.
fn arg_names(ev: &vocab::Event) -> Vec<&'static str> {
    ev.args.iter().map(|a| a.name).collect()
}

impl Checker {
    fn new() -> Checker {
        Checker {
            env: BTreeMap::new(),
            pending: BTreeMap::new(),
            waits: BTreeMap::new(),
            plan: Plan::default(),
            errors: Vec::new(),
        }
    }

    fn err(&mut self, pos: Pos, msg: impl Into<String>) {
        self.errors.push((pos, msg.into()));
    }

    fn lookup(&mut self, name: &str, pos: Pos) -> Option<Kind> {
        if let Some(k) = self.env.get(name) {
            return Some(*k);
        }
        if let Some(m) = vocab::module(name) {
            if m.kind == vocab::ModuleKind::Node && !self.plan.modules.contains(&m.name) {
                self.plan.modules.push(m.name);
            }
            return Some(Kind::Module(m));
        }
        if let Some((src, ev, nth, _)) = self.pending.get(name) {
            let (src, ev, nth) = (src.clone(), ev.clone(), *nth);
            self.err(
                pos,
                format!("`{name}` is captured by `{src} {ev}` #{nth}: add `wait {src} {ev}` before using it"),
            );
        } else if name == vocab::PROCESS.id {
            self.err(
                pos,
                format!("`{name}` is the driver's pseudo object: only events lines name it"),
            );
        } else {
            self.err(pos, format!("unknown name `{name}`"));
        }
        None
    }

    fn expr(&mut self, e: &Ast) -> Ty {
        match e {
            Ast::Lit(_) | Ast::TempPath(_) | Ast::Fixture { .. } => Ty::Value,
            Ast::Ident(name, pos) => match self.lookup(name, *pos) {
                Some(Kind::Obj(Ty::Class(cls))) if vocab::harness_class(cls) => {
                    self.err(*pos, harness_only(name));
                    Ty::Value
                }
                Some(Kind::Obj(t)) => t,
                Some(Kind::Module(_)) => {
                    self.err(
                        *pos,
                        format!("the module `{name}` is not a value; call one of its functions"),
                    );
                    Ty::Value
                }
                None => Ty::Value,
            },
            Ast::Callback(name, pos) => {
                if name == vocab::PROCESS.id {
                    self.err(
                        *pos,
                        format!("`@{name}`: `{name}` is the driver's pseudo object"),
                    );
                    return Ty::Value;
                }
                self.env
                    .insert(name.clone(), Kind::Obj(Ty::Class(vocab::CALLBACK.id)));
                self.plan.objects.insert(name.clone(), vocab::CALLBACK.id);
                Ty::Value
            }
            Ast::Object(members) => {
                for (_, m) in members {
                    self.expr(m);
                }
                Ty::Value
            }
            Ast::Array(items) => {
                for i in items {
                    self.expr(i);
                }
                Ty::Value
            }
            Ast::Get(target, prop, pos) => {
                // A wire object's property (`srv.port`): the harness reads
                // it and gives the implementation the value.
                if let Ast::Ident(name, _) = target.as_ref()
                    && let Some(Kind::Obj(Ty::Class(cls))) = self.env.get(name)
                    && vocab::harness_class(cls)
                {
                    let class = vocab::class(cls).expect("harness classes are in the vocabulary");
                    if !class.has_property(prop) {
                        self.err(*pos, format!("{} has no property `{prop}`", class.id));
                    }
                    return Ty::Value;
                }
                if let Some(m) = self.module_target(target) {
                    if let Some((_, cls)) = m.instances.iter().find(|(n, _)| n == prop) {
                        return Ty::Class(cls);
                    }
                    if !m.properties.contains(&prop.as_str())
                        && m.class(prop).is_none()
                        && m.function(prop).is_none()
                    {
                        self.err(*pos, format!("`{}` has no property `{prop}`", m.name));
                    }
                    return Ty::Value;
                }
                let t = self.expr(target);
                if let Some(c) = class_of(t)
                    && !c.has_property(prop)
                    && c.method(prop).is_none()
                {
                    self.err(*pos, format!("{} has no property `{prop}`", c.id));
                }
                Ty::Value
            }
            Ast::Set(target, prop, value, pos) => {
                let t = self.expr(target);
                if let Some(c) = class_of(t)
                    && !c.has_property(prop)
                {
                    self.err(*pos, format!("{} has no property `{prop}`", c.id));
                }
                self.expr(value)
            }
            Ast::Call(target, method, args, pos) => {
                let ret = if let Some(m) = self.module_target(target) {
                    match m.function(method) {
                        Some(f) => f.returns,
                        None => {
                            self.err(*pos, format!("`{}` has no function `{method}`", m.name));
                            Ty::Value
                        }
                    }
                } else {
                    let t = self.expr(target);
                    match class_of(t) {
                        Some(c) => match c.method(method) {
                            Some(m) if m.returns == Ty::This => t,
                            Some(m) => m.returns,
                            None => {
                                self.err(*pos, format!("{} has no method `{method}`", c.id));
                                Ty::Value
                            }
                        },
                        None => Ty::Value,
                    }
                };
                for a in args {
                    self.expr(a);
                }
                ret
            }
            Ast::New(callee, args, pos) => {
                for a in args {
                    self.expr(a);
                }
                match self.constructor(callee, *pos) {
                    Some(Constructor::Class(c)) => Ty::Class(c.id),
                    Some(Constructor::Error) | None => Ty::Value,
                }
            }
            Ast::Typeof(value) => {
                self.expr(value);
                Ty::Value
            }
            Ast::InstanceOf(value, class, pos) => {
                self.expr(value);
                self.constructor(class, *pos);
                Ty::Value
            }
        }
    }

    /// What `new X` or `instanceof X` names: a module's class
    /// (`net.Socket`) or a JavaScript error class.
    fn constructor(&mut self, callee: &Ast, pos: Pos) -> Option<Constructor> {
        match callee {
            Ast::Get(target, class, _) => {
                let m = self.module_target(target)?;
                match m.class(class) {
                    Some(c) => Some(Constructor::Class(c)),
                    None => {
                        self.err(pos, format!("`{}` has no class `{class}`", m.name));
                        None
                    }
                }
            }
            Ast::Ident(name, _) if vocab::global_constructor(name) => Some(Constructor::Error),
            _ => {
                self.err(
                    pos,
                    format!(
                        "expected a class: a module's (`net.Socket`) or an error class ({})",
                        vocab::ERROR_CONSTRUCTORS
                            .iter()
                            .chain(vocab::OTHER_CONSTRUCTORS)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                None
            }
        }
    }

    fn module_target(&mut self, target: &Ast) -> Option<&'static vocab::Module> {
        match target {
            Ast::Ident(name, pos) => match self.lookup(name, *pos)? {
                Kind::Module(m) if m.kind == vocab::ModuleKind::Harness => {
                    self.err(*pos, harness_only(name));
                    None
                }
                Kind::Module(m) => Some(m),
                Kind::Obj(_) => None,
            },
            _ => None,
        }
    }

    /// A statement of the harness's own (`raw = wire.connect(port)`,
    /// `raw.write("…")`): checks it and returns what it makes, or `None`
    /// when `e` is not one. Its arguments are ordinary expressions, which
    /// the implementation evaluates.
    fn harness_call(&mut self, e: &Ast) -> Option<Ty> {
        let Ast::Call(target, method, args, pos) = e else {
            return None;
        };
        let Ast::Ident(name, _) = target.as_ref() else {
            return None;
        };
        let returns = match self.env.get(name) {
            Some(Kind::Obj(Ty::Class(cls))) if vocab::harness_class(cls) => {
                let class = vocab::class(cls)?;
                match class.method(method) {
                    Some(m) => m.returns,
                    None => {
                        self.err(*pos, format!("{} has no method `{method}`", class.id));
                        Ty::Value
                    }
                }
            }
            None => {
                let m = vocab::module(name).filter(|m| m.kind == vocab::ModuleKind::Harness)?;
                match m.function(method) {
                    Some(f) => f.returns,
                    None => {
                        self.err(*pos, format!("`{}` has no function `{method}`", m.name));
                        Ty::Value
                    }
                }
            }
            _ => return None,
        };
        for a in args {
            self.expr(a);
        }
        Some(returns)
    }

    /// The class of an object named in a wait, observe or events line.
    fn emitter(&mut self, name: &str, pos: Pos, defined_only: bool) -> Option<&'static Class> {
        let ty = match self.env.get(name) {
            Some(Kind::Obj(t)) => Some(*t),
            Some(Kind::Module(_)) => None,
            None if !defined_only => self.pending.get(name).map(|p| p.3),
            None => {
                self.lookup(name, pos);
                return None;
            }
        };
        match ty.and_then(class_of) {
            Some(c) => Some(c),
            None if ty.is_none() && !self.env.contains_key(name) => {
                self.err(pos, format!("unknown object `{name}`"));
                None
            }
            None => {
                self.err(pos, format!("`{name}` is not an object that emits events"));
                None
            }
        }
    }

    fn event(
        &mut self,
        class: &'static Class,
        event: &str,
        pos: Pos,
    ) -> Option<&'static vocab::Event> {
        let e = class.event(event);
        if e.is_none() {
            let mut known: Vec<&str> = class.all_events().iter().map(|e| e.name).collect();
            known.sort();
            self.err(
                pos,
                format!(
                    "{} has no event `{event}` (it has: {})",
                    class.id,
                    known.join(", ")
                ),
            );
        }
        e
    }

    /// Checks an event's argument patterns (events lines and waits alike):
    /// names exist, positionals fit, no positional after a named one, no
    /// name twice.
    fn args(&mut self, class: &Class, ev: &vocab::Event, args: &[ArgPattern], line: usize) {
        let callback = class.id == vocab::CALLBACK.id;
        let mut named_seen: Vec<&str> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let pos = Pos { line, col: a.col };
            match &a.name {
                Some(_) if callback => {
                    self.err(pos, "callback arguments have no names; give them in order")
                }
                Some(n) if !ev.args.iter().any(|a| a.name == n) => self.err(
                    pos,
                    format!(
                        "`{}` has no argument `{n}` (it has: {})",
                        ev.name,
                        arg_names(ev).join(", ")
                    ),
                ),
                Some(n) if named_seen.contains(&n.as_str()) => {
                    self.err(pos, format!("`{n}` is given twice"))
                }
                Some(n) => named_seen.push(n),
                None if !named_seen.is_empty() => {
                    self.err(pos, "a positional argument cannot follow a named one")
                }
                None if !callback && i >= ev.args.len() => self.err(
                    pos,
                    format!("`{}` has {} argument(s)", ev.name, ev.args.len()),
                ),
                None => {}
            }
        }
    }

    /// Checks a reaction's body with its parameters bound to the event's
    /// arguments (typed, so `socket.write` is checked on a `net.Socket`).
    fn reaction(
        &mut self,
        pos: Pos,
        class: &'static Class,
        ev: &'static vocab::Event,
        params: &[String],
        body: &[Ast],
    ) {
        let callback = class.id == vocab::CALLBACK.id;
        let mut bound = Vec::new();
        for (i, p) in params.iter().enumerate() {
            if self.env.contains_key(p) || self.pending.contains_key(p) || vocab::reserved(p) {
                self.err(
                    pos,
                    format!("the parameter `{p}` hides a name already defined"),
                );
                continue;
            }
            if !callback && i >= ev.args.len() {
                self.err(
                    pos,
                    format!("`{}` passes {} argument(s)", ev.name, ev.args.len()),
                );
            }
            let ty = ev.args.get(i).map_or(Ty::Value, |a| a.ty);
            self.env.insert(p.clone(), Kind::Obj(ty));
            bound.push(p);
        }
        for action in body {
            self.expr(action);
        }
        for p in bound {
            self.env.remove(p);
        }
    }

    fn note_observed(&mut self, object: &str, class: &'static Class, event: &str) {
        if let Some(e) = class.event(event)
            && e.observe != Observe::Default
        {
            let list = self.plan.observe.entry(object.to_string()).or_default();
            if !list.iter().any(|x| x == event) {
                list.push(event.to_string());
            }
        }
    }

    fn patterns_refer(&mut self, p: &Pattern, pos: Pos) {
        match p {
            Pattern::Name(n) if !self.env.contains_key(n) && !self.pending.contains_key(n) => {
                self.err(pos, format!("unknown name `{n}`"))
            }
            Pattern::Object { props, .. } => {
                for (_, p) in props {
                    self.patterns_refer(p, pos);
                }
            }
            Pattern::Array(items) => {
                for p in items {
                    self.patterns_refer(p, pos);
                }
            }
            Pattern::Template(pieces) => {
                for piece in pieces {
                    if let Piece::Var(n) = piece
                        && !self.env.contains_key(n)
                    {
                        self.err(pos, format!("unknown name `{n}` in a template"))
                    }
                }
            }
            _ => {}
        }
    }
}

/// Why a wire peer (or the `wire` module) cannot be part of an expression.
fn harness_only(name: &str) -> String {
    format!(
        "`{name}` belongs to the wire peer, which the harness runs: it can only start a statement of its own (`peer = wire.connect(port)`, `peer.write(\"…\")`), never be part of what the implementation evaluates"
    )
}

/// Checks a case's script and events; returns the derived plan or every
/// problem found, each with its position.
pub fn check(
    script: &[Stmt],
    events: Option<&[EventLine]>,
    chunks: Chunks,
) -> Result<Plan, Vec<CheckError>> {
    let mut c = Checker::new();

    captures::declare(&mut c, script, events);

    let mut later_observed: Vec<(String, String)> = Vec::new();
    let mut declared: Vec<(String, Vec<String>, Pos)> = Vec::new();
    for s in script {
        match &s.kind {
            StmtKind::Eval {
                assign,
                expr,
                expect,
            } => {
                let t = match c.harness_call(expr) {
                    Some(t) => {
                        if expect.is_some() {
                            c.err(
                                s.pos,
                                "a wire peer's methods return nothing and never throw: expect its events instead",
                            );
                        }
                        t
                    }
                    None => c.expr(expr),
                };
                if let Some(Expect::Returns(p) | Expect::Throws(p)) = expect {
                    c.patterns_refer(p, s.pos);
                }
                if let Some(name) = assign {
                    if vocab::reserved(name) || c.plan.captures.iter().any(|cap| &cap.name == name)
                    {
                        c.err(
                            s.pos,
                            format!("`{name}` is taken: it names a module, the pseudo object `process` or a capture"),
                        );
                    }
                    let t = if t == Ty::This { Ty::Value } else { t };
                    if name != vocab::PROCESS.id {
                        c.env.insert(name.clone(), Kind::Obj(t));
                        if let Ty::Class(cls) = t {
                            c.plan.objects.insert(name.clone(), cls);
                        }
                    }
                }
            }
            StmtKind::Wait {
                object,
                event,
                args,
                event_col,
                ..
            } => {
                let event_pos = Pos {
                    line: s.pos.line,
                    col: *event_col,
                };
                if let Some(cls) = c.emitter(object, s.pos, true)
                    && let Some(ev) = c.event(cls, event, event_pos)
                {
                    c.args(cls, ev, args, s.pos.line);
                    let literal = |p: &Pattern| {
                        matches!(
                            p,
                            Pattern::Any | Pattern::Exact(Value::String(_) | Value::Buffer(_))
                        )
                    };
                    if ev.joined && (args.len() > 1 || !args.iter().all(|a| literal(&a.pattern))) {
                        c.err(
                            event_pos,
                            format!("`wait … {event}` takes the text or Buffer to wait for, or nothing (any new data)"),
                        );
                    }
                    c.note_observed(object, cls, event);
                    let n = c.waits.entry((object.clone(), event.clone())).or_default();
                    *n += 1;
                    let n = *n;
                    let ready: Vec<String> = c
                        .pending
                        .iter()
                        .filter(|(_, (src, ev, nth, _))| src == object && ev == event && *nth <= n)
                        .map(|(k, _)| k.clone())
                        .collect();
                    for name in ready {
                        let (_, _, _, ty) = c.pending.remove(&name).expect("listed above");
                        c.env.insert(name, Kind::Obj(ty));
                    }
                }
                for a in args {
                    c.patterns_refer(&a.pattern, s.pos);
                }
            }
            StmtKind::Observe { object, events } => {
                if let Some(Kind::Obj(Ty::Class(cls))) = c.env.get(object)
                    && vocab::harness_class(cls)
                {
                    c.err(
                        s.pos,
                        format!("`{object}` is a wire peer: every event of it is reported already"),
                    );
                } else if c.env.contains_key(object) {
                    // Named already: the listeners are added at this line.
                    if let Some(cls) = c.emitter(object, s.pos, true) {
                        for e in events {
                            if c.event(cls, e, s.pos).is_some() {
                                later_observed.push((object.clone(), e.clone()));
                            }
                        }
                    }
                } else {
                    // Named later (a capture, or a later line): the
                    // listeners are added when it is named, checked below.
                    declared.push((object.clone(), events.clone(), s.pos));
                    c.plan.deferred_observes.push(s.pos.line);
                }
            }
            StmtKind::On {
                object,
                event,
                event_col,
                params,
                body,
                once,
            } => {
                let event_pos = Pos {
                    line: s.pos.line,
                    col: *event_col,
                };
                if let Some(cls) = c.emitter(object, s.pos, false)
                    && vocab::harness_class(cls.id)
                {
                    c.err(
                        s.pos,
                        format!("`{object}` is a wire peer: reactions run in the implementation, which never sees it; use `wait` and a statement"),
                    );
                } else if let Some(cls) = c.emitter(object, s.pos, false)
                    && let Some(ev) = c.event(cls, event, event_pos)
                {
                    c.reaction(s.pos, cls, ev, params, body);
                    c.plan.reactions.push(PlannedReaction {
                        object: object.clone(),
                        event: event.clone(),
                        params: params.clone(),
                        body: body.clone(),
                        once: *once,
                    });
                }
            }
            StmtKind::Sleep(_) => {}
        }
    }

    // Captures not waited for still exist for the events block.
    for (name, (_, _, _, ty)) in std::mem::take(&mut c.pending) {
        c.env.insert(name, Kind::Obj(ty));
    }
    // The pseudo object `process` (uncaught exceptions) exists for the
    // events block alone.
    if events
        .unwrap_or(&[])
        .iter()
        .any(|l| l.object == vocab::PROCESS.id)
    {
        c.env.insert(
            vocab::PROCESS.id.to_string(),
            Kind::Obj(Ty::Class(vocab::PROCESS.id)),
        );
        c.plan
            .objects
            .insert(vocab::PROCESS.id.to_string(), vocab::PROCESS.id);
    }
    for line in events.unwrap_or(&[]) {
        let Some(cls) = c.emitter(&line.object, line.pos, true) else {
            continue;
        };
        let event_pos = Pos {
            line: line.pos.line,
            col: line.event_col,
        };
        let Some(ev) = c.event(cls, &line.event, event_pos) else {
            continue;
        };
        c.args(cls, ev, &line.args, line.pos.line);
        // What is observed is decided by the script alone: deleting an
        // expected line must not hide the event it expected.
        for a in &line.args {
            c.patterns_refer(&a.pattern, line.pos);
        }
    }

    if chunks == Chunks::Joined {
        // Joined emissions can never match two such lines in a row.
        let mut last: BTreeMap<&str, &str> = BTreeMap::new();
        for l in events.unwrap_or(&[]) {
            let class = c.plan.objects.get(&l.object).copied();
            if vocab::joins(class, &l.event)
                && last.get(l.object.as_str()) == Some(&l.event.as_str())
            {
                c.err(
                    l.pos,
                    format!(
                        "`{}` has two `{}` lines in a row; they are compared joined, so write one line with all the bytes (or set \"chunks\": \"exact\")",
                        l.object, l.event
                    ),
                );
            }
            last.insert(&l.object, &l.event);
        }
    }

    for (object, events, pos) in declared {
        let class = c
            .plan
            .objects
            .get(&object)
            .filter(|id| **id != vocab::PROCESS.id)
            .and_then(|id| vocab::class(id));
        let Some(cls) = class else {
            c.err(
                pos,
                format!("unknown object `{object}`: `observe` names an object the script creates or captures"),
            );
            continue;
        };
        for e in &events {
            if c.event(cls, e, pos).is_some() {
                c.note_observed(&object, cls, e);
            }
        }
    }

    // Observe lists: defaults of the class plus what the case names, minus
    // what an `observe` line attaches later.
    let objects = c.plan.objects.clone();
    for (name, cls) in &objects {
        let class = vocab::class(cls).expect("objects have vocabulary classes");
        let mut list = vocab::default_observed(class);
        for e in c.plan.observe.get(name).cloned().unwrap_or_default() {
            if !list.contains(&e) {
                list.push(e);
            }
        }
        list.retain(|e| !later_observed.iter().any(|(o, x)| o == name && x == e));
        c.plan.observe.insert(name.clone(), list);
    }
    for cap in &mut c.plan.captures {
        cap.observe = c.plan.observe.get(&cap.name).cloned().unwrap_or_default();
    }

    if c.errors.is_empty() {
        Ok(c.plan)
    } else {
        c.errors.sort();
        c.errors.dedup();
        Err(c.errors)
    }
}

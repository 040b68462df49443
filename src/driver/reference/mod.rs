//! The reference driver: serves `crate::net` over the driver protocol
//! (`spec/PROTOCOL.md`), evaluating each action the way a JavaScript
//! program would call Node.
//!
//! - [`value`]: JavaScript-like values and Node's argument coercions.
//! - [`net`]: the `net` module, `Server` and `Socket` dispatch.
//! - this file: the session loop, the registry of names, captures and
//!   observed events, and teardown at `end`.

mod net;
mod value;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_std::channel::{Receiver, Sender};

use crate::net::{Error, EventLoop, Server, Socket};
use crate::protocol::{Capture, Expr, Hello, Message, PROTOCOL_VERSION, Request, Value};
use value::JsVal;

/// The handshake: implementation `nodecompat-reference`.
pub fn hello() -> Hello {
    let mut features = Vec::new();
    if cfg!(unix) {
        features.push("unix-sockets".to_string());
    }
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        features.push("ipv6".to_string());
    }
    Hello {
        protocol: PROTOCOL_VERSION,
        implementation: "nodecompat-reference".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        node: "v20.20.2".into(),
        features,
        modules: vec!["net".into()],
    }
}

/// Serves one driver session: processes requests in order until
/// `requests` closes or `Bye`. Never panics on bad input.
pub async fn serve(requests: Receiver<Request>, messages: Sender<Message>) {
    let mut session = Session {
        shared: Arc::new(Mutex::new(Registry::default())),
        messages,
        event_loop: EventLoop::new(),
        case: 0,
    };
    while let Ok(request) = requests.recv().await {
        match request {
            Request::Bye => break,
            Request::Begin { id, captures, .. } => {
                let _turn = session.event_loop.turn().await;
                // Listeners of an earlier case's objects (still closing)
                // carry its number and report nothing in this one.
                session.case += 1;
                {
                    let mut reg = session.reg();
                    reg.reset();
                    reg.captures = captures;
                    reg.active = true;
                    reg.case = session.case;
                }
                session.send(Message::Ok { id });
            }
            Request::Eval {
                id,
                expr,
                assign,
                observe,
            } => {
                let _turn = session.event_loop.turn().await;
                let reply = match session.eval(&expr) {
                    Ok(v) => {
                        if let Some(name) = assign {
                            session.register(&name, v.clone(), &observe);
                        }
                        Message::Result {
                            id,
                            value: session.encode(&v),
                        }
                    }
                    Err(Failure::Throw(e)) => Message::Throw {
                        id,
                        error: value::error_value(&e),
                    },
                    Err(Failure::Error(message)) => Message::Error { id, message },
                };
                session.send(reply);
            }
            Request::Observe { id, object, events } => {
                let _turn = session.event_loop.turn().await;
                let target = session.reg().names.get(&object).cloned();
                let reply = match target {
                    Some(v) => match session.subscribe(&object, &v, &events) {
                        Ok(()) => Message::Ok { id },
                        Err(message) => Message::Error { id, message },
                    },
                    None => Message::Error {
                        id,
                        message: format!("unknown object '{object}'"),
                    },
                };
                session.send(reply);
            }
            Request::End { id } => {
                session.end().await;
                session.send(Message::Ok { id });
            }
        }
    }
    session.end().await;
}

/// Why an action did not produce a value.
pub(crate) enum Failure {
    /// A JavaScript exception, thrown synchronously.
    Throw(Box<Error>),
    /// The driver could not run the request.
    Error(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Throw(Box::new(e))
    }
}

/// Everything a case registered.
#[derive(Default)]
struct Registry {
    names: BTreeMap<String, JsVal>,
    captures: Vec<Capture>,
    /// Emissions seen per (object, event), for captures.
    counts: BTreeMap<(String, String), usize>,
    anonymous: usize,
    /// Events are reported only while a case runs.
    active: bool,
    /// The number of the running case.
    case: u64,
    /// Every object the case created or received, for teardown.
    sockets: Vec<Socket>,
    servers: Vec<Server>,
    /// Plain properties a case's calls assigned on sockets (Node's
    /// `socket.timeout`): (socket, property, value).
    own_properties: Vec<(Socket, String, JsVal)>,
}

impl Registry {
    fn reset(&mut self) {
        *self = Registry::default();
    }

    /// The name of a socket or server.
    fn name_of(&self, object: &JsVal) -> Option<String> {
        self.name_where(|v| match (v, object) {
            (JsVal::Socket(x), JsVal::Socket(s)) => x.ptr_eq(s),
            (JsVal::Server(x), JsVal::Server(s)) => x.ptr_eq(s),
            _ => false,
        })
    }

    /// An object can have an anonymous `#n` name and later a capture's name
    /// (a connection listener saw it first): the capture's name wins.
    fn name_where(&self, is: impl Fn(&JsVal) -> bool) -> Option<String> {
        let mut names = self.names.iter().filter(|(_, v)| is(v)).map(|(k, _)| k);
        let first = names.next()?;
        Some(names.find(|k| !k.starts_with('#')).unwrap_or(first).clone())
    }
}

/// One driver session; cheap to clone into listeners.
#[derive(Clone)]
pub(crate) struct Session {
    shared: Arc<Mutex<Registry>>,
    messages: Sender<Message>,
    pub(crate) event_loop: EventLoop,
    /// The case this handle belongs to: listeners hold a clone made
    /// during their case.
    case: u64,
}

impl Session {
    fn reg(&self) -> MutexGuard<'_, Registry> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this handle's case is the one running.
    fn current(&self) -> bool {
        let reg = self.reg();
        reg.active && reg.case == self.case
    }

    fn send(&self, m: Message) {
        let _ = self.messages.try_send(m);
    }

    /// Reports an event line if a case is running.
    pub(crate) fn report(&self, object: &str, event: &str, args: Vec<JsVal>) {
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

    /// Runs the captures declared for `object`'s `event`, before anything
    /// else sees the arguments.
    pub(crate) fn capture(&self, object: &str, event: &str, args: &[JsVal]) {
        let todo: Vec<(String, JsVal, Vec<String>)> = {
            let mut reg = self.reg();
            if !reg.active || reg.case != self.case {
                return;
            }
            let n = {
                let c = reg.counts.entry((object.into(), event.into())).or_insert(0);
                *c += 1;
                *c
            };
            reg.captures
                .iter()
                .filter(|c| c.object == object && c.event == event && c.nth == n)
                .filter_map(|c| {
                    args.get(c.arg)
                        .map(|a| (c.name.clone(), a.clone(), c.observe.clone()))
                })
                .collect()
        };
        for (name, v, observe) in todo {
            self.register(&name, v, &observe);
        }
    }

    /// Registers `v` under `name` and subscribes `observe` on it.
    fn register(&self, name: &str, v: JsVal, observe: &[String]) {
        {
            let mut reg = self.reg();
            reg.names.insert(name.into(), v.clone());
            match &v {
                JsVal::Socket(s) => reg.sockets.push(s.clone()),
                JsVal::Server(s) => reg.servers.push(s.clone()),
                _ => {}
            }
        }
        // Capture listeners first, so captured objects are named before any
        // report encodes them.
        let capture_events: Vec<String> = self
            .reg()
            .captures
            .iter()
            .filter(|c| c.object == name && !observe.contains(&c.event))
            .map(|c| c.event.clone())
            .collect();
        for event in capture_events {
            let _ = net::listen(self, name, &v, &event, false);
        }
        let _ = self.subscribe(name, &v, observe);
    }

    fn subscribe(&self, name: &str, v: &JsVal, events: &[String]) -> Result<(), String> {
        for event in events {
            net::listen(self, name, v, event, true)?;
        }
        Ok(())
    }

    /// Encodes a value, naming unnamed objects `#n` (subscribed to `error`).
    pub(crate) fn encode(&self, v: &JsVal) -> Value {
        match v {
            JsVal::Undefined => Value::Undefined,
            JsVal::Null => Value::Null,
            JsVal::Bool(b) => Value::Bool(*b),
            JsVal::Number(n) => Value::Number(*n),
            JsVal::String(s) => Value::String(s.clone()),
            JsVal::Buffer(b) => Value::Buffer(b.clone()),
            JsVal::Array(a) => Value::Array(a.iter().map(|x| self.encode(x)).collect()),
            JsVal::Object(m) => {
                Value::Object(m.iter().map(|(k, x)| (k.clone(), self.encode(x))).collect())
            }
            JsVal::Error(m) => Value::Error(m.clone()),
            JsVal::Net => Value::Object(BTreeMap::new()),
            JsVal::Callback(n) => Value::Function(n.clone()),
            JsVal::Socket(_) | JsVal::Server(_) => {
                let class = if matches!(v, JsVal::Socket(_)) {
                    "net.Socket"
                } else {
                    "net.Server"
                };
                let known = self.reg().name_of(v);
                let id = known.unwrap_or_else(|| self.anonymous(v));
                Value::Handle {
                    class: class.into(),
                    id,
                }
            }
        }
    }

    fn anonymous(&self, v: &JsVal) -> String {
        let name = {
            let mut reg = self.reg();
            reg.anonymous += 1;
            format!("#{}", reg.anonymous)
        };
        self.register(&name, v.clone(), &["error".to_string()]);
        name
    }

    /// A plain property assigned on a socket, if any.
    pub(crate) fn own_property(&self, s: &Socket, property: &str) -> Option<JsVal> {
        self.reg()
            .own_properties
            .iter()
            .find(|(o, p, _)| o.ptr_eq(s) && p == property)
            .map(|(_, _, v)| v.clone())
    }

    /// Assigns a plain property on a socket.
    pub(crate) fn set_own_property(&self, s: &Socket, property: &str, v: JsVal) {
        let mut reg = self.reg();
        reg.own_properties
            .retain(|(o, p, _)| !(o.ptr_eq(s) && p == property));
        reg.own_properties
            .push((s.clone(), property.to_string(), v));
    }

    /// Remembers an object created during the case, for teardown.
    pub(crate) fn track(&self, v: &JsVal) {
        let mut reg = self.reg();
        match v {
            JsVal::Socket(s) => reg.sockets.push(s.clone()),
            JsVal::Server(s) => reg.servers.push(s.clone()),
            _ => {}
        }
    }

    fn eval(&self, expr: &Expr) -> Result<JsVal, Failure> {
        Ok(match expr {
            Expr::Value(v) => {
                let lookup = |id: &str| self.reg().names.get(id).cloned();
                JsVal::from_value(v, &lookup)
            }
            Expr::Global(g) if g == "net" => JsVal::Net,
            Expr::Global(g) => return Err(Failure::Error(format!("unknown global '{g}'"))),
            Expr::Ref(name) => self
                .reg()
                .names
                .get(name)
                .cloned()
                .ok_or_else(|| Failure::Error(format!("unknown object '{name}'")))?,
            Expr::Get { target, property } => {
                let t = self.eval(target)?;
                net::get(self, &t, property)?
            }
            Expr::Set {
                target,
                property,
                value,
            } => {
                let t = self.eval(target)?;
                let v = self.eval(value)?;
                net::set(&t, property, &v)?;
                v
            }
            Expr::Call {
                target,
                method,
                args,
            } => {
                let t = self.eval(target)?;
                net::call(self, &t, method, self.eval_all(args)?)?
            }
            Expr::New {
                target,
                class,
                args,
            } => {
                let t = self.eval(target)?;
                net::construct(self, &t, class, self.eval_all(args)?)?
            }
            Expr::Object(m) => JsVal::Object(
                m.iter()
                    .map(|(k, e)| Ok((k.clone(), self.eval(e)?)))
                    .collect::<Result<_, Failure>>()?,
            ),
            Expr::Array(a) => JsVal::Array(self.eval_all(a)?),
            Expr::Callback(name) => JsVal::Callback(name.clone()),
        })
    }

    /// Evaluates expressions in order, as JavaScript evaluates arguments.
    fn eval_all(&self, exprs: &[Expr]) -> Result<Vec<JsVal>, Failure> {
        exprs.iter().map(|e| self.eval(e)).collect()
    }

    /// Stops reporting, destroys every socket and closes every server.
    async fn end(&self) {
        let (sockets, servers) = {
            let _turn = self.event_loop.turn().await;
            let mut reg = self.reg();
            reg.active = false;
            (
                std::mem::take(&mut reg.sockets),
                std::mem::take(&mut reg.servers),
            )
        };
        {
            let _turn = self.event_loop.turn().await;
            for s in &servers {
                s.close();
            }
            for s in &sockets {
                s.destroy(None);
            }
        }
        self.reg().reset();
    }
}

#[cfg(test)]
mod tests;

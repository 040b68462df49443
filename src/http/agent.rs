//! `http.Agent`: the pool of client sockets, per origin.
//!
//! The rules are Node 20's `lib/_http_agent.js`, named after its
//! functions: `addRequest`, `createSocket`, `installListeners`,
//! `removeSocket`, `keepSocketAlive`, `reuseSocket`, and the agent's own
//! `'free'` listener, which decides what a socket does after a response:
//! serve a queued request, wait in the free list, or close.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::ClientRequest;
use crate::event_loop::EventLoop;
use crate::events::{Emits, Emitter, Event};
use crate::net::{ConnectOptions, Socket, SocketEventKind, SocketOptions};

/// `HTTP_AGENT_KEEP_ALIVE_TIMEOUT_BUFFER`: a server's `Keep-Alive:
/// timeout=N` hint is trusted up to N seconds minus this.
const KEEP_ALIVE_TIMEOUT_BUFFER: u64 = 1000;

crate::event_kinds! {
    /// The Node event names of an `Agent`.
    pub enum AgentEventKind {
        Free = "free",
    }
}

/// An event of an `Agent`.
#[derive(Debug, Clone)]
pub enum AgentEvent {
    /// A socket is done with its request (`socket.emit('free')`, which
    /// the agent re-emits with the origin it belongs to).
    Free(Socket, Origin),
}

impl Event for AgentEvent {
    type Kind = AgentEventKind;

    fn kind(&self) -> AgentEventKind {
        AgentEventKind::Free
    }
}

/// Which order free sockets are reused in (`scheduling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduling {
    /// The most recently freed first (Node's default).
    Lifo,
    /// The least recently freed first.
    Fifo,
}

/// `new Agent(options)`.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// `keepAlive` (default false): keep sockets for later requests.
    pub keep_alive: bool,
    /// `keepAliveMsecs` (default 1000): TCP keep-alive's initial delay.
    pub keep_alive_msecs: u64,
    /// `maxSockets` per origin (default `Infinity`).
    pub max_sockets: f64,
    /// `maxFreeSockets` per origin (default 256).
    pub max_free_sockets: f64,
    /// `maxTotalSockets` (default `Infinity`).
    pub max_total_sockets: f64,
    /// `scheduling` (default lifo).
    pub scheduling: Scheduling,
    /// `timeout` on the agent's sockets, in milliseconds (0: none).
    pub timeout: u64,
    /// `noDelay` (default true).
    pub no_delay: bool,
    /// `agent.defaultPort` (80; https's 443).
    pub default_port: u16,
    /// `agent.protocol` (`http:`; https's `https:`).
    pub protocol: &'static str,
    /// Node's `agent.createConnection`, where it is not net's: prepares
    /// each new socket before it connects (https puts TLS over it).
    pub connector: Option<Connector>,
    /// An https agent's `maxCachedSessions` (its connector's session
    /// cache); `None` for http's.
    pub max_cached_sessions: Option<usize>,
}

/// What prepares an agent's new socket for an origin (see
/// [`AgentOptions::connector`]); an error destroys the socket.
#[derive(Clone)]
pub struct Connector(pub Arc<Connect>);

/// The function of a [`Connector`].
pub type Connect = dyn Fn(&Socket, &Origin) -> Result<(), crate::Error> + Send + Sync;

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connector")
    }
}

/// The part of an origin an agent's connector reads (https: the TLS
/// options), and what it adds to the pool's name (https's `getName`).
#[derive(Clone)]
pub struct Secure {
    pub options: Arc<dyn std::any::Any + Send + Sync>,
    pub name: String,
}

impl PartialEq for Secure {
    fn eq(&self, other: &Secure) -> bool {
        self.name == other.name
    }
}

impl Eq for Secure {}

impl std::fmt::Debug for Secure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secure({:?})", self.name)
    }
}

impl Default for AgentOptions {
    fn default() -> AgentOptions {
        AgentOptions {
            keep_alive: false,
            keep_alive_msecs: 1000,
            max_sockets: f64::INFINITY,
            max_free_sockets: 256.0,
            max_total_sockets: f64::INFINITY,
            scheduling: Scheduling::Lifo,
            timeout: 0,
            no_delay: true,
            default_port: 80,
            protocol: "http:",
            connector: None,
            max_cached_sessions: None,
        }
    }
}

impl AgentOptions {
    /// `http.globalAgent`'s (Node 20: `new Agent({ keepAlive: true,
    /// scheduling: 'lifo', timeout: 5000 })`).
    pub fn global() -> AgentOptions {
        AgentOptions {
            keep_alive: true,
            timeout: 5000,
            ..AgentOptions::default()
        }
    }
}

/// Where a request goes: the agent's pool key (`getName`) is made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `host` (default `localhost`).
    pub host: String,
    /// `port`.
    pub port: u16,
    /// `socketPath`: a Unix socket instead of `host:port`.
    pub socket_path: Option<String>,
    /// For a connector (https's TLS options).
    pub secure: Option<Secure>,
}

impl Origin {
    /// Node's `agent.getName(options)`:
    /// `host:port:localAddress[:socketPath]`.
    pub fn name(&self) -> String {
        let mut name = match &self.socket_path {
            Some(p) => format!("{}:{}::{p}", self.host, self.port),
            None => format!("{}:{}:", self.host, self.port),
        };
        if let Some(secure) = &self.secure {
            name.push_str(&secure.name);
        }
        name
    }

    /// Whether connecting starts on the tick after `createConnection`
    /// (an IP literal: no lookup, Node's `internalConnect` in a tick of
    /// its own), so that its `connectionAttempt` comes before the
    /// request's `'socket'`.
    fn connects_next_tick(&self) -> bool {
        self.socket_path.is_none() && crate::net::is_ip(&self.host) != 0
    }
}

/// An agent's sockets and queue, per origin name (`host:port:`).
#[derive(Debug, Clone)]
pub struct Pool {
    /// `agent.sockets`: serving a request.
    pub sockets: Vec<(String, Vec<Socket>)>,
    /// `agent.freeSockets`: waiting for one.
    pub free: Vec<(String, Vec<Socket>)>,
    /// `agent.requests`: waiting for a socket.
    pub requests: Vec<(String, Vec<ClientRequest>)>,
}

/// A pool of client connections.
#[derive(Clone)]
pub struct Agent {
    inner: Arc<Inner>,
}

type SocketHook = Box<dyn Fn(&Socket) + Send + Sync>;

struct Inner {
    event_loop: EventLoop,
    options: AgentOptions,
    emitter: Emitter<Agent, AgentEvent>,
    state: Mutex<State>,
    /// Called with each socket the agent creates (the driver tracks them).
    on_create: Mutex<Option<SocketHook>>,
}

#[derive(Default)]
struct State {
    /// `agent.sockets`: sockets serving a request, per origin name.
    sockets: BTreeMap<String, Vec<Socket>>,
    /// `agent.freeSockets`.
    free: BTreeMap<String, Vec<Socket>>,
    /// `agent.requests`: requests waiting for a socket.
    requests: BTreeMap<String, VecDeque<(ClientRequest, Origin)>>,
    /// `agent.totalSocketCount`.
    total: usize,
    /// Sockets handed over (`'agentRemove'`): no longer the agent's.
    detached: Vec<Socket>,
    /// The request each socket served last (`socket._httpMessage`), until
    /// it is pooled or closes.
    messages: Vec<(Socket, ClientRequest)>,
}

impl Agent {
    /// `new http.Agent(options)`, emitting in `event_loop`.
    pub fn new_in(event_loop: &EventLoop, options: AgentOptions) -> Agent {
        Agent {
            inner: Arc::new(Inner {
                event_loop: event_loop.clone(),
                options,
                emitter: Emitter::default(),
                state: Mutex::new(State::default()),
                on_create: Mutex::new(None),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether two handles are the same agent.
    pub fn ptr_eq(&self, other: &Agent) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The options it was made with.
    pub fn options(&self) -> &AgentOptions {
        &self.inner.options
    }

    /// Calls `hook` with every socket the agent creates from now on.
    pub fn on_create(&self, hook: impl Fn(&Socket) + Send + Sync + 'static) {
        *self
            .inner
            .on_create
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Box::new(hook));
    }

    /// `agent.sockets`, `agent.freeSockets`, `agent.requests` now.
    pub fn pool(&self) -> Pool {
        let st = self.state();
        let list = |m: &BTreeMap<String, Vec<Socket>>| {
            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        Pool {
            sockets: list(&st.sockets),
            free: list(&st.free),
            requests: st
                .requests
                .iter()
                .map(|(k, q)| (k.clone(), q.iter().map(|(r, _)| r.clone()).collect()))
                .collect(),
        }
    }

    /// `agent.totalSocketCount`.
    pub fn total_socket_count(&self) -> usize {
        self.state().total
    }

    /// `agent.addRequest(req, options)`: a free socket if there is one,
    /// a new one if the limits allow, else the queue.
    pub(crate) fn add_request(&self, req: &ClientRequest, origin: Origin) {
        let name = origin.name();
        let (reuse, create) = {
            let mut st = self.state();
            st.sockets.entry(name.clone()).or_default();
            let mut socket = None;
            let mut free_len = 0;
            if let Some(free) = st.free.get_mut(&name) {
                while free.first().is_some_and(Socket::destroyed) {
                    free.remove(0);
                }
                socket = match self.inner.options.scheduling {
                    Scheduling::Fifo if !free.is_empty() => Some(free.remove(0)),
                    Scheduling::Fifo => None,
                    Scheduling::Lifo => free.pop(),
                };
                free_len = free.len();
                if free.is_empty() {
                    st.free.remove(&name);
                }
            }
            let sock_len = free_len + st.sockets.get(&name).map_or(0, Vec::len);
            if let Some(s) = socket {
                st.sockets.entry(name.clone()).or_default().push(s.clone());
                (Some(s), false)
            } else if (sock_len as f64) < self.inner.options.max_sockets
                && (st.total as f64) < self.inner.options.max_total_sockets
            {
                (None, true)
            } else {
                st.requests
                    .entry(name)
                    .or_default()
                    .push_back((req.clone(), origin.clone()));
                (None, false)
            }
        };
        if let Some(socket) = reuse {
            // reuseSocket: back in service, and the request knows.
            socket.ref_();
            req.set_reused_socket();
            self.set_request_socket(req, socket);
        } else if create {
            let socket = self.create_socket(&origin);
            let (agent, req) = (self.clone(), req.clone());
            self.start(&socket, &origin, move |s, now| {
                if now {
                    agent.set_request_socket_now(&req, s.clone());
                } else {
                    agent.set_request_socket(&req, s.clone());
                }
            });
        }
    }

    /// Connects a new socket, and calls `then` where Node's `onSocketNT`
    /// tick comes relative to the connection's events (`now`: it is that
    /// tick). Node connects to an IP literal on the tick after
    /// `createConnection`, the tick before `onSocketNT`: the socket's
    /// `connectionAttempt` comes just before `'socket'`, and its
    /// `'connect'` after. A Unix path connects inside `createConnection`,
    /// and its `'connect'` comes after `'socket'` too: here the connection
    /// starts in that tick. A host name is looked up first: `'socket'`
    /// comes on the next tick, before the lookup ends; here the lookup
    /// starts in that tick too.
    fn start(
        &self,
        socket: &Socket,
        origin: &Origin,
        then: impl FnOnce(&Socket, bool) + Send + 'static,
    ) {
        // A connector that failed destroyed the socket: it does not
        // connect (connecting would revive it without the connector's
        // layer); the request gets it and its error.
        if socket.destroyed() {
            then(socket, false);
            return;
        }
        match &origin.socket_path {
            Some(path) => {
                let (socket, path) = (socket.clone(), path.clone());
                self.inner.event_loop.defer(move || {
                    socket.connect(ConnectOptions::path(path));
                    then(&socket, true);
                });
            }
            None if origin.connects_next_tick() => {
                socket.connect(ConnectOptions::port_host(origin.port, origin.host.clone()));
                let then = std::sync::Mutex::new(Some(then));
                socket.once(SocketEventKind::ConnectionAttempt, move |s, _| {
                    if let Some(f) = then.lock().ok().and_then(|mut t| t.take()) {
                        f(s, true);
                    }
                });
            }
            // A host name: Node's lookup always ends after the onSocketNT
            // tick. Here the lookup starts in that tick, so that its
            // `'lookup'` (and a TLS socket's whole handshake) cannot come
            // before `'socket'` when the loop is busy (deferred functions
            // are not ordered against the socket's task).
            None => {
                let (socket, target) = (
                    socket.clone(),
                    ConnectOptions::port_host(origin.port, origin.host.clone()),
                );
                self.inner.event_loop.defer(move || {
                    socket.connect(target);
                    then(&socket, true);
                });
            }
        }
    }

    /// `createSocket`: a new socket, counted, with the agent's listeners
    /// (`installListeners`); [`start`](Self::start) connects it.
    fn create_socket(&self, origin: &Origin) -> Socket {
        let opts = &self.inner.options;
        let socket = Socket::new_in(
            &self.inner.event_loop,
            SocketOptions {
                no_delay: opts.no_delay,
                keep_alive: opts.keep_alive,
                keep_alive_initial_delay: if opts.keep_alive {
                    opts.keep_alive_msecs
                } else {
                    0
                },
                ..SocketOptions::default()
            },
        );
        if let Some(connector) = &opts.connector
            && let Err(e) = (connector.0)(&socket, origin)
        {
            socket.destroy(Some(e));
        }
        if let Some(hook) = &*self
            .inner
            .on_create
            .lock()
            .unwrap_or_else(|p| p.into_inner())
        {
            hook(&socket);
        }
        // net.createConnection: `timeout` among the agent's options.
        if opts.timeout > 0 {
            socket.set_timeout(opts.timeout);
        }
        {
            let mut st = self.state();
            st.sockets
                .entry(origin.name())
                .or_default()
                .push(socket.clone());
            st.total += 1;
        }
        let agent = self.clone();
        let o = origin.clone();
        socket.on(SocketEventKind::Close, move |s, _| {
            {
                let mut st = agent.state();
                st.messages.retain(|(m, _)| !m.ptr_eq(s));
                if st.detached.iter().any(|d| d.ptr_eq(s)) {
                    st.detached.retain(|d| !d.ptr_eq(s));
                    return;
                }
                st.total = st.total.saturating_sub(1);
            }
            agent.remove_socket(s, &o);
        });
        // A free socket that times out is closed.
        let agent = self.clone();
        socket.on(SocketEventKind::Timeout, move |s, _| {
            if agent
                .state()
                .free
                .values()
                .any(|l| l.iter().any(|x| x.ptr_eq(s)))
            {
                s.destroy(None);
            }
        });
        socket
    }

    /// `setRequestSocket`: the request gets it (in the next tick).
    fn set_request_socket(&self, req: &ClientRequest, socket: Socket) {
        req.on_socket(socket.clone());
        self.request_timeout(req, &socket);
    }

    /// `setRequestSocket` where the next tick is now.
    fn set_request_socket_now(&self, req: &ClientRequest, socket: Socket) {
        self.request_timeout(req, &socket);
        req.on_socket_nt(socket);
    }

    /// The request's `timeout` on the socket, unless it is the agent's.
    fn request_timeout(&self, req: &ClientRequest, socket: &Socket) {
        if let Some(t) = req.timeout()
            && t != self.inner.options.timeout
        {
            socket.set_timeout(t);
        }
    }

    /// `socket.emit('free')`: the request on it is done. The agent's own
    /// listener (the first) decides where the socket goes, then the
    /// `'free'` event is the application's.
    pub(crate) fn free(&self, socket: &Socket, req: Option<&ClientRequest>, origin: &Origin) {
        self.free_socket(socket, req, origin, false);
        self.emit(&AgentEvent::Free(socket.clone(), origin.clone()));
    }

    /// `tickOnSocket`'s `socket._httpMessage = req`.
    pub(crate) fn set_http_message(&self, socket: &Socket, req: &ClientRequest) {
        let mut st = self.state();
        st.messages.retain(|(m, _)| !m.ptr_eq(socket));
        st.messages.push((socket.clone(), req.clone()));
    }

    /// The agent's `'free'` listener; `now`: a queued request gets the
    /// socket at once (its next tick has come: see `add_request`).
    fn free_socket(
        &self,
        socket: &Socket,
        req: Option<&ClientRequest>,
        origin: &Origin,
        now: bool,
    ) {
        let name = origin.name();
        // The agent's listener reads `socket._httpMessage`: the request
        // that used the socket last, whoever freed it.
        let owner = req.cloned().or_else(|| {
            self.state()
                .messages
                .iter()
                .find(|(m, _)| m.ptr_eq(socket))
                .map(|(_, r)| r.clone())
        });
        let req = owner.as_ref();
        if !socket.writable() {
            socket.destroy(None);
            return;
        }
        let queued = {
            let mut st = self.state();
            let next = st.requests.get_mut(&name).and_then(VecDeque::pop_front);
            if st.requests.get(&name).is_some_and(VecDeque::is_empty) {
                st.requests.remove(&name);
            }
            next
        };
        if let Some((next, _)) = queued {
            if now {
                self.set_request_socket_now(&next, socket.clone());
            } else {
                self.set_request_socket(&next, socket.clone());
            }
            return;
        }
        let keep =
            req.is_some_and(ClientRequest::should_keep_alive) && self.inner.options.keep_alive;
        if !keep {
            socket.destroy(None);
            return;
        }
        let opts = &self.inner.options;
        let full = {
            let st = self.state();
            let free_len = st.free.get(&name).map_or(0, Vec::len);
            let count = free_len + st.sockets.get(&name).map_or(0, Vec::len);
            (st.total as f64) > opts.max_total_sockets
                || (count as f64) > opts.max_sockets
                || (free_len as f64) >= opts.max_free_sockets
        };
        if full || !self.keep_socket_alive(socket, req) {
            socket.destroy(None);
            return;
        }
        {
            let mut st = self.state();
            st.free.entry(name).or_default().push(socket.clone());
            st.messages.retain(|(m, _)| !m.ptr_eq(socket));
        }
        self.remove_socket(socket, origin);
    }

    /// `keepSocketAlive`: TCP keep-alive on, unref'd, and the agent's
    /// timeout — shortened to what the server's `Keep-Alive: timeout=N`
    /// promises, and no keeping at all if it promises under a second.
    fn keep_socket_alive(&self, socket: &Socket, req: Option<&ClientRequest>) -> bool {
        let opts = &self.inner.options;
        socket.set_keep_alive(true, opts.keep_alive_msecs);
        socket.unref();
        let mut timeout = opts.timeout;
        let hint = req.and_then(ClientRequest::keep_alive_hint);
        if let Some(secs) = hint {
            let server = (secs * 1000).saturating_sub(KEEP_ALIVE_TIMEOUT_BUFFER);
            if server == 0 {
                return false;
            }
            if server < timeout {
                timeout = server;
            }
        }
        if socket.timeout() != Some(timeout) {
            socket.set_timeout(timeout);
        }
        true
    }

    /// `removeSocket`: out of `sockets` (and of the free list if it can
    /// no longer write); a request waiting for its origin gets a new
    /// socket.
    fn remove_socket(&self, socket: &Socket, origin: &Origin) {
        let name = origin.name();
        let waiting = {
            let mut st = self.state();
            let writable = socket.writable();
            let drop_from = |map: &mut BTreeMap<String, Vec<Socket>>| {
                if let Some(v) = map.get_mut(&name) {
                    v.retain(|s| !s.ptr_eq(socket));
                    if v.is_empty() {
                        map.remove(&name);
                    }
                }
            };
            drop_from(&mut st.sockets);
            if !writable {
                drop_from(&mut st.free);
            }
            // A request of this origin, else of the first other origin
            // that has no socket (Node walks `agent.requests` in its keys'
            // order, the order origins were first queued; here, by name).
            match st.requests.get(&name).and_then(|q| q.front()) {
                Some((_, o)) => Some(o.clone()),
                None => st.requests.iter().next().and_then(|(other, q)| {
                    let busy = st.sockets.get(other).is_some_and(|v| !v.is_empty());
                    if busy {
                        None
                    } else {
                        q.front().map(|(_, o)| o.clone())
                    }
                }),
            }
        };
        if let Some(o) = waiting {
            // createSocket(…, (err, socket) => socket.emit('free')): the
            // new socket serves the queue as a freed one would, once its
            // connection has started (see `add_request`).
            let fresh = self.create_socket(&o);
            let agent = self.clone();
            let origin = o.clone();
            self.start(&fresh, &origin, move |s, now| {
                agent.free_socket(s, None, &o, now);
                agent.emit(&AgentEvent::Free(s.clone(), o.clone()));
            });
        }
    }

    /// `socket.emit('agentRemove')`: the socket left HTTP (an upgrade);
    /// the agent forgets it.
    pub(crate) fn detach(&self, socket: &Socket, origin: &Origin) {
        {
            let mut st = self.state();
            st.total = st.total.saturating_sub(1);
            st.detached.push(socket.clone());
        }
        self.remove_socket(socket, origin);
    }

    /// `agent.destroy()`: every socket, free or busy.
    pub fn destroy(&self) {
        let all: Vec<Socket> = {
            let st = self.state();
            st.free
                .values()
                .chain(st.sockets.values())
                .flatten()
                .cloned()
                .collect()
        };
        for s in all {
            s.destroy(None);
        }
    }
}

impl Emits for Agent {
    type Event = AgentEvent;

    fn emitter(&self) -> &Emitter<Agent, AgentEvent> {
        &self.inner.emitter
    }

    fn event_loop(&self) -> &EventLoop {
        &self.inner.event_loop
    }
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

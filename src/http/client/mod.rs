//! `http.ClientRequest`: a request written by the h1 core
//! ([`h1::OutgoingMessage::request`]) to a socket an [`Agent`] gives it,
//! and the response read back into an [`IncomingMessage`].
//!
//! The rules are Node 20's `lib/_http_client.js`, named after its
//! functions: the `ClientRequest` constructor, `onSocket`/`onSocketNT`,
//! `tickOnSocket`, `socketOnData`, `parserOnIncomingClient`,
//! `responseOnEnd`, `requestOnFinish`, `responseKeepAlive`,
//! `socketCloseListener`, `socketErrorListener`, `socketOnEnd`.

use std::sync::{Arc, Mutex, MutexGuard};

use super::IncomingMessage;
mod socket;

use super::agent::{Agent, Origin};
use super::connection::parse_error;
use super::h1::{self, HeaderValue, OutgoingError, Parsed, ResponseHead, ResponseParser};
use super::incoming::{HeaderField, IncomingEventKind, MessageHead, headers_object};
use super::outgoing;
use super::response::{WriteCallback, outgoing_error};
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::events::{Emits, Emitter, Event, ListenerId};
use crate::net::{Socket, SocketEvent, SocketEventKind};

crate::event_kinds! {
    /// The Node event names of a `ClientRequest`.
    pub enum ClientEventKind {
        Abort = "abort",
        Close = "close",
        Connect = "connect",
        Continue = "continue",
        Drain = "drain",
        Error = "error",
        Finish = "finish",
        Information = "information",
        Prefinish = "prefinish",
        Response = "response",
        Socket = "socket",
        Timeout = "timeout",
        Upgrade = "upgrade",
    }
}

/// An event of a `ClientRequest`.
#[derive(Debug, Clone)]
pub enum ClientEvent {
    /// `abort()` was called (deprecated, still emitted).
    Abort,
    Close,
    /// The answer to a `CONNECT`: the response, the socket handed over,
    /// and the tunnel's first bytes.
    Connect(IncomingMessage, Socket, Vec<u8>),
    /// `100 Continue` arrived.
    Continue,
    Drain,
    Error(Error),
    Finish,
    /// A 1xx head other than 101: Node's info object is made of it.
    Information(ResponseHead),
    Prefinish,
    Response(IncomingMessage),
    Socket(Socket),
    Timeout,
    /// `101 Switching Protocols`: the response, the socket handed over,
    /// and the bytes after the head.
    Upgrade(IncomingMessage, Socket, Vec<u8>),
}

impl Event for ClientEvent {
    type Kind = ClientEventKind;

    fn kind(&self) -> ClientEventKind {
        match self {
            ClientEvent::Abort => ClientEventKind::Abort,
            ClientEvent::Close => ClientEventKind::Close,
            ClientEvent::Connect(..) => ClientEventKind::Connect,
            ClientEvent::Continue => ClientEventKind::Continue,
            ClientEvent::Drain => ClientEventKind::Drain,
            ClientEvent::Error(_) => ClientEventKind::Error,
            ClientEvent::Finish => ClientEventKind::Finish,
            ClientEvent::Information(_) => ClientEventKind::Information,
            ClientEvent::Prefinish => ClientEventKind::Prefinish,
            ClientEvent::Response(_) => ClientEventKind::Response,
            ClientEvent::Socket(_) => ClientEventKind::Socket,
            ClientEvent::Timeout => ClientEventKind::Timeout,
            ClientEvent::Upgrade(..) => ClientEventKind::Upgrade,
        }
    }

    fn error(&self) -> Option<&Error> {
        match self {
            ClientEvent::Error(e) => Some(e),
            _ => None,
        }
    }
}

/// What `http.request(options)` was asked for, validated.
#[derive(Debug, Clone)]
pub struct RequestOptions {
    /// `method`, upper-cased (default `GET`).
    pub method: String,
    /// `path` (default `/`).
    pub path: String,
    /// `hostname` or `host` (default `localhost`).
    pub host: String,
    /// `port` (default: the agent's `defaultPort`, 80 for http).
    pub port: Option<u16>,
    /// `headers` given as an object, in order.
    pub headers: Vec<(String, HeaderValue)>,
    /// `headers` given as an array: the head as it is, made at once,
    /// with no `Host` or `Authorization` added.
    pub raw_headers: Option<Vec<(String, HeaderValue)>>,
    /// `setHost` (default true): add a `Host` header.
    pub set_host: bool,
    /// `auth`: `user:password` for `Authorization: Basic`.
    pub auth: Option<String>,
    /// `timeout`, in milliseconds.
    pub timeout: Option<u64>,
    /// `maxHeaderSize` for the response (0: Node's default).
    pub max_header_size: usize,
    /// `socketPath`: connect to this Unix socket.
    pub socket_path: Option<String>,
    /// What an agent's connector needs beyond the address (https: the
    /// TLS options), and its part of the pool's name.
    pub secure: Option<super::agent::Secure>,
}

impl Default for RequestOptions {
    fn default() -> RequestOptions {
        RequestOptions {
            method: "GET".into(),
            path: "/".into(),
            host: "localhost".into(),
            port: None,
            headers: Vec::new(),
            raw_headers: None,
            set_host: true,
            auth: None,
            timeout: None,
            max_header_size: 0,
            socket_path: None,
            secure: None,
        }
    }
}

/// A request on the client's side.
#[derive(Clone)]
pub struct ClientRequest {
    inner: Arc<Inner>,
}

struct Inner {
    event_loop: EventLoop,
    agent: Agent,
    origin: Origin,
    method: String,
    path: String,
    max_header_size: usize,
    emitter: Emitter<ClientRequest, ClientEvent>,
    state: Mutex<State>,
}

/// The listeners `tickOnSocket` adds to the socket.
#[derive(Default)]
struct SocketListeners {
    data: Option<ListenerId>,
    end: Option<ListenerId>,
    close: Option<ListenerId>,
    error: Option<ListenerId>,
    drain: Option<ListenerId>,
    timeout: Option<ListenerId>,
    /// `responseOnTimeout`: the socket's `'timeout'` on the response.
    response_timeout: Option<ListenerId>,
}

struct State {
    core: h1::OutgoingMessage,
    /// `req.socket`, from `tickOnSocket` on.
    socket: Option<Socket>,
    listeners: SocketListeners,
    parser: Option<ResponseParser>,
    /// Bytes written before the socket (Node's `outputData`), with their
    /// callbacks.
    pending: Vec<(Vec<u8>, Option<WriteCallback>)>,
    /// `end()` was called (`finished`).
    ended: bool,
    /// `'finish'` was emitted (`writableFinished`).
    finished: bool,
    closed: bool,
    /// `req.destroyed`.
    destroyed: bool,
    /// `req.aborted`.
    aborted: bool,
    /// `destroy(err)`'s error (Node's `kError`).
    error: Option<Error>,
    /// `req.res`.
    res: Option<IncomingMessage>,
    /// The response ended (`req._ended`).
    response_ended: bool,
    /// `socket._hadError`: an error went out already.
    had_error: bool,
    /// `req.reusedSocket`.
    reused_socket: bool,
    /// `req.timeout` (the `timeout` option).
    timeout: Option<u64>,
    /// `setTimeout(ms)` before the socket: applied when it comes.
    pending_timeout: Option<u64>,
    /// `req.timeoutCb`: the socket's `'timeout'` is the request's.
    timeout_listening: bool,
    /// A `write()` returned false (Node's `kNeedDrain`).
    need_drain: bool,
    /// A 101 head: the socket leaves HTTP after this read.
    upgrade: Option<(IncomingMessage, Vec<u8>)>,
    /// Bytes given to the parser so far (`bytesParsed` counts from the
    /// start of the read the error is in).
    fed: usize,
    /// `emitFreeNT` is queued (the response ended on a kept socket).
    free_due: bool,
    /// `abort()` came while it was: `'abort'` follows it.
    abort_due: bool,
}

impl ClientRequest {
    /// `new ClientRequest(options)` on `agent`: the head is prepared
    /// (`Host`, `Authorization`, the options' headers) and the agent asked
    /// for a socket. Invalid headers fail as Node throws.
    pub fn new_in(
        event_loop: &EventLoop,
        options: RequestOptions,
        agent: Agent,
    ) -> Result<ClientRequest, Error> {
        // "If it's not a keepAlive agent, and the maxSockets==Infinity,
        // then there's never a case where this socket will actually be
        // reused."
        let should_keep_alive =
            agent.options().keep_alive || agent.options().max_sockets.is_finite();
        let mut core =
            h1::OutgoingMessage::request(&options.method, &options.path, should_keep_alive);
        let default_port = agent.options().default_port;
        let port = options.port.unwrap_or(default_port);
        let set = |core: &mut h1::OutgoingMessage, n: &str, v: HeaderValue| {
            core.set_header(n, v).map_err(|e| outgoing_error(e, "set"))
        };
        let mut pending = Vec::new();
        if let Some(list) = &options.raw_headers {
            core.store_request_head(list)
                .map_err(|e| outgoing_error(e, "set"))?;
            // With an `Expect` among them the head goes out at once.
            pending.push((core.take_output(), None));
        }
        for (name, value) in &options.headers {
            set(&mut core, name, value.clone())?;
        }
        if options.raw_headers.is_some() {
            // No Host, no Authorization: the head is made.
        } else if !options.host.is_empty() && core.get_header("host").is_none() && options.set_host
        {
            let mut host = options.host.clone();
            // An IPv6 address goes in brackets (RFC 3986, 3.2.2).
            if host.matches(':').count() >= 2 && !host.starts_with('[') {
                host = format!("[{host}]");
            }
            if port != default_port {
                host = format!("{host}:{port}");
            }
            set(&mut core, "Host", HeaderValue::One(host))?;
        }
        if let Some(auth) = &options.auth
            && options.raw_headers.is_none()
            && core.get_header("authorization").is_none()
        {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD.encode(auth.as_bytes());
            set(
                &mut core,
                "Authorization",
                HeaderValue::One(format!("Basic {b64}")),
            )?;
        }
        // An `Expect` header: the head is made now (later setHeader calls
        // throw), sent with the first bytes.
        if options.raw_headers.is_none() && core.get_header("expect").is_some() {
            core.make_head().map_err(|e| outgoing_error(e, "render"))?;
            pending.push((core.take_output(), None));
        }
        let origin = Origin {
            host: options.host.clone(),
            port,
            socket_path: options.socket_path.clone(),
            secure: options.secure.clone(),
        };
        let req = ClientRequest {
            inner: Arc::new(Inner {
                event_loop: event_loop.clone(),
                agent: agent.clone(),
                origin: origin.clone(),
                method: options.method.clone(),
                path: options.path.clone(),
                max_header_size: options.max_header_size,
                emitter: Emitter::default(),
                state: Mutex::new(State {
                    core,
                    socket: None,
                    listeners: SocketListeners::default(),
                    parser: None,
                    pending,
                    ended: false,
                    finished: false,
                    closed: false,
                    destroyed: false,
                    aborted: false,
                    error: None,
                    res: None,
                    response_ended: false,
                    had_error: false,
                    reused_socket: false,
                    timeout: options.timeout,
                    pending_timeout: None,
                    timeout_listening: false,
                    need_drain: false,
                    upgrade: None,
                    fed: 0,
                    free_due: false,
                    abort_due: false,
                }),
            }),
        };
        agent.add_request(&req, origin);
        Ok(req)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether two handles are the same request.
    pub fn ptr_eq(&self, other: &ClientRequest) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    // --- what scripts read -----------------------------------------------

    /// `req.method`.
    pub fn method(&self) -> &str {
        &self.inner.method
    }

    /// `req.path`.
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// `req.host`.
    pub fn host(&self) -> &str {
        &self.inner.origin.host
    }

    /// `req.agent`.
    pub fn agent(&self) -> &Agent {
        &self.inner.agent
    }

    /// `req.socket`.
    pub fn socket(&self) -> Option<Socket> {
        self.state().socket.clone()
    }

    /// `req.res`.
    pub fn res(&self) -> Option<IncomingMessage> {
        self.state().res.clone()
    }

    /// `req.reusedSocket`.
    pub fn reused_socket(&self) -> bool {
        self.state().reused_socket
    }

    /// `req.aborted`.
    pub fn aborted(&self) -> bool {
        self.state().aborted
    }

    /// `req.destroyed`.
    pub fn destroyed(&self) -> bool {
        self.state().destroyed
    }

    /// `req.writableEnded` (`finished`).
    pub fn writable_ended(&self) -> bool {
        self.state().ended
    }

    /// `req.writableFinished`.
    pub fn writable_finished(&self) -> bool {
        self.state().finished
    }

    /// `req.shouldKeepAlive`.
    pub fn should_keep_alive(&self) -> bool {
        self.state().core.should_keep_alive()
    }

    /// `req.timeout`.
    pub fn timeout(&self) -> Option<u64> {
        self.state().timeout
    }

    /// Reads the h1 core: headers, whether the head was made.
    pub fn with_core<R>(&self, f: impl FnOnce(&h1::OutgoingMessage) -> R) -> R {
        f(&self.state().core)
    }

    /// The response's `Keep-Alive: timeout=N`, in seconds
    /// (`keepSocketAlive` reads it).
    pub(crate) fn keep_alive_hint(&self) -> Option<u64> {
        let res = self.state().res.clone()?;
        let value = headers_object(res.counted_headers())
            .into_iter()
            .find(|(k, _)| k == "keep-alive")
            .map(|(_, v)| match v {
                HeaderField::One(s) => s,
                HeaderField::Many(vs) => vs.join(", "),
            })?;
        let digits: String = value
            .strip_prefix("timeout=")?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }

    pub(crate) fn set_reused_socket(&self) {
        self.state().reused_socket = true;
    }

    // --- the head ----------------------------------------------------------

    /// `req.setHeader(name, value)`.
    pub fn set_header(&self, name: &str, value: HeaderValue) -> Result<&Self, Error> {
        self.state()
            .core
            .set_header(name, value)
            .map_err(|e| outgoing_error(e, "set"))?;
        Ok(self)
    }

    /// `req.appendHeader(name, value)`.
    pub fn append_header(&self, name: &str, value: HeaderValue) -> Result<&Self, Error> {
        self.state()
            .core
            .append_header(name, value)
            .map_err(|e| outgoing_error(e, "append"))?;
        Ok(self)
    }

    /// `req.removeHeader(name)`.
    pub fn remove_header(&self, name: &str) -> Result<(), Error> {
        self.state()
            .core
            .remove_header(name)
            .map_err(|e| outgoing_error(e, "remove"))
    }

    /// `req.flushHeaders()`.
    pub fn flush_headers(&self) -> Result<(), Error> {
        let out = {
            let mut st = self.state();
            st.core
                .flush_headers()
                .map_err(|e| outgoing_error(e, "write"))?;
            st.core.take_output()
        };
        self.send(out, None);
        Ok(())
    }

    // --- the body ----------------------------------------------------------

    /// `req.write(chunk[, callback])`: whether the socket's buffer is below
    /// its high-water mark. After `end()` the error comes later, to the
    /// callback and as `'error'` (Node's `write_`).
    pub fn write_with(&self, chunk: &[u8], callback: Option<WriteCallback>) -> Result<bool, Error> {
        let out = {
            let mut st = self.state();
            if st.ended || st.destroyed {
                let code = if st.destroyed {
                    "ERR_STREAM_DESTROYED"
                } else {
                    "ERR_STREAM_WRITE_AFTER_END"
                };
                let err = if st.destroyed {
                    Error::plain(code, "Cannot call write after a stream was destroyed")
                } else {
                    outgoing_error(OutgoingError { code }, "write")
                };
                let destroyed = st.destroyed;
                drop(st);
                let me = self.clone();
                self.inner.event_loop.defer(move || {
                    if let Some(cb) = callback {
                        cb(Some(&err));
                    }
                    if !destroyed {
                        me.emit(ClientEvent::Error(err));
                    }
                });
                return Ok(false);
            }
            st.core
                .write(chunk)
                .map_err(|e| outgoing_error(e, "write"))?;
            st.core.take_output()
        };
        Ok(self.send(out, callback))
    }

    /// `req.end([chunk][, callback])`: `'finish'` once the socket wrote
    /// the last byte (the callback listens to it).
    pub fn end_with(
        &self,
        chunk: Option<&[u8]>,
        callback: Option<WriteCallback>,
    ) -> Result<&Self, Error> {
        let chunk = chunk.filter(|c| !c.is_empty());
        let (ended, finished) = {
            let st = self.state();
            (st.ended, st.finished)
        };
        if ended {
            outgoing::end_again(
                self,
                ClientEventKind::Finish,
                finished,
                chunk,
                callback,
                |c, cb| self.write_with(c, cb),
            )?;
            return Ok(self);
        }
        if let Some(cb) = callback {
            outgoing::once_finished(self, ClientEventKind::Finish, cb);
        }
        let out = {
            let mut st = self.state();
            st.core.end(chunk).map_err(|e| outgoing_error(e, "write"))?;
            st.ended = true;
            st.core.take_output()
        };
        let me = self.clone();
        // Node's onFinish ignores the write's error: 'finish' comes
        // unless the socket reported one already (`_hadError`).
        let finish: WriteCallback = Box::new(move |_| me.finish());
        let attached = self.state().socket.is_some();
        self.send(out, Some(finish));
        // `_finish` at the end of `end()` when the request has its socket,
        // else when it gets it (`_flush`).
        if attached {
            self.emit(ClientEvent::Prefinish);
        }
        Ok(self)
    }

    /// Writes to the socket, or keeps the bytes until it comes.
    fn send(&self, out: Vec<u8>, callback: Option<WriteCallback>) -> bool {
        let socket = {
            let mut st = self.state();
            match st.socket.clone() {
                Some(s) => s,
                None => {
                    st.pending.push((out, callback));
                    let size: usize = st.pending.iter().map(|(b, _)| b.len()).sum();
                    let ok = size < crate::stream::HIGH_WATER_MARK;
                    st.need_drain |= !ok;
                    return ok;
                }
            }
        };
        let ok = match callback {
            Some(cb) => socket.write_with(out, cb),
            None if out.is_empty() => true,
            None => socket.write(out),
        };
        if !ok {
            self.state().need_drain = true;
        }
        ok
    }

    /// `onFinish`: `'finish'`, unless the socket failed.
    fn finish(&self) {
        let emit = {
            let mut st = self.state();
            let socket_failed = st.socket.as_ref().is_some_and(|s| s.had_error());
            let emit = !st.had_error && !socket_failed && !st.finished;
            st.finished = true;
            emit
        };
        if emit {
            self.emit(ClientEvent::Finish);
            // requestOnFinish: the response may have ended first.
            let keep = {
                let st = self.state();
                st.core.should_keep_alive() && st.response_ended
            };
            if keep {
                self.response_keep_alive();
            }
        }
    }

    // --- ending early --------------------------------------------------------

    /// `req.abort()` (deprecated): `'abort'`, then as `destroy()`.
    pub fn abort(&self) {
        if std::mem::replace(&mut self.state().aborted, true) {
            return;
        }
        // Node emits it on the next tick. That tick always runs before the
        // socket's 'close' (an I/O callback): emitted here, before the
        // socket is destroyed, it keeps that place whatever the socket's
        // task does meanwhile. A request whose socket is being freed
        // (`emitFreeNT` queued) is not destroyed again: its 'abort' comes
        // right after that tick's 'close'.
        let (destroyed, free_due) = {
            let st = self.state();
            (st.destroyed, st.free_due)
        };
        if free_due {
            self.state().abort_due = true;
        } else if destroyed {
            let me = self.clone();
            self.inner.event_loop.defer(move || {
                me.emit(ClientEvent::Abort);
            });
        } else {
            self.emit(ClientEvent::Abort);
        }
        self.destroy(None);
    }

    /// `req.destroy([err])`: the response dumped, the socket destroyed
    /// with the error (which comes back as the request's `'error'`).
    pub fn destroy(&self, err: Option<Error>) -> &Self {
        let (res, socket) = {
            let mut st = self.state();
            if std::mem::replace(&mut st.destroyed, true) {
                return self;
            }
            st.error = err.clone();
            (st.res.clone(), st.socket.clone())
        };
        if let Some(res) = res {
            res.dump();
            // The dump's 'resume' is due on the next tick, before the
            // socket's 'close' can abort the response: emitted now, it
            // keeps that place.
            res.settle();
        }
        if let Some(s) = socket {
            s.destroy(err);
        }
        self
    }

    /// `req.setNoDelay([noDelay])`: on the socket once it is connected
    /// (Node's `_deferToConnect`).
    pub fn set_no_delay(&self, no_delay: bool) {
        let socket = self.state().socket.clone();
        match socket {
            Some(s) if !s.connecting() => {
                s.set_no_delay(no_delay);
            }
            Some(s) => {
                s.once(SocketEventKind::Connect, move |s, _| {
                    s.set_no_delay(no_delay);
                });
            }
            None => {
                self.once(ClientEventKind::Socket, move |_, e| {
                    if let ClientEvent::Socket(s) = e {
                        s.set_no_delay(no_delay);
                    }
                });
            }
        }
    }

    // --- timeouts ----------------------------------------------------------

    /// `req.setTimeout(ms)`: the socket's idle timeout, its `'timeout'`
    /// the request's (set when the socket connects, if it is connecting).
    pub fn set_timeout(&self, ms: u64) -> &Self {
        let socket = {
            let mut st = self.state();
            if st.response_ended {
                return self;
            }
            if st.socket.is_none() {
                st.pending_timeout = Some(ms);
            }
            st.socket.clone()
        };
        self.listen_socket_timeout();
        if let Some(s) = socket {
            set_socket_timeout(&s, ms);
        }
        self
    }

    /// `listenSocketTimeout`: the socket's next `'timeout'` is emitted on
    /// the request.
    fn listen_socket_timeout(&self) {
        let socket = {
            let mut st = self.state();
            if std::mem::replace(&mut st.timeout_listening, true) {
                return;
            }
            st.socket.clone()
        };
        if let Some(s) = socket {
            self.add_timeout_listener(&s);
        }
    }

    fn add_timeout_listener(&self, socket: &Socket) {
        let me = self.clone();
        let id = socket.once(SocketEventKind::Timeout, move |_, _| {
            me.emit(ClientEvent::Timeout);
        });
        self.state().listeners.timeout = Some(id);
    }

    fn close(&self) {
        let first = !std::mem::replace(&mut self.state().closed, true);
        if first {
            self.emit(ClientEvent::Close);
        }
    }

    fn emit(&self, event: ClientEvent) -> bool {
        Emits::emit(self, &event)
    }
}

/// `setSocketTimeout`: once connected if connecting.
fn set_socket_timeout(socket: &Socket, ms: u64) {
    if socket.connecting() {
        socket.once(SocketEventKind::Connect, move |s, _| {
            s.set_timeout(ms);
        });
    } else {
        socket.set_timeout(ms);
    }
}

/// Node's `ConnResetException`: an `Error` with code `ECONNRESET`.
fn conn_reset(message: &str) -> Error {
    Error::plain("ECONNRESET", message)
}

impl Emits for ClientRequest {
    type Event = ClientEvent;

    fn emitter(&self) -> &Emitter<ClientRequest, ClientEvent> {
        &self.inner.emitter
    }

    fn event_loop(&self) -> &EventLoop {
        &self.inner.event_loop
    }
}

impl std::fmt::Debug for ClientRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRequest")
            .field("method", &self.inner.method)
            .field("origin", &self.inner.origin)
            .finish_non_exhaustive()
    }
}

//! [`Server`]: Node's `tls.Server`, a `net.Server` whose connections are
//! TLS (`lib/_tls_wrap.js`, `Server` and `tlsConnectionListener`).
//!
//! As in Node, the plain TCP socket is `'connection'`'s argument and a
//! separate TLS socket takes its connection over: the TCP socket emits
//! nothing more but its `'close'`, just before the TLS socket's. The TLS
//! socket is the server's to watch until its handshake is done: a failure
//! before then is `'tlsClientError'`, never the socket's `'error'`.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};

use rustls::server::ServerSessionMemoryCache;

use super::context::{SecureContext, ServerTls};
use super::socket::{Role, Shared, TlsSocket};
use super::transport::TlsTransport;
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::events::{Emits, Emitter, Event};
use crate::net::{self, Layer, Socket, SocketEventKind, SocketOptions};

/// The events a TLS server adds to net's (its `'connection'` is the TCP
/// socket, as net's is).
#[derive(Clone)]
pub enum ServerEvent {
    /// `'connection'` `(socket)`: the TCP socket, before the handshake.
    Connection(Socket),
    /// `'secureConnection'` `(tlsSocket)`.
    SecureConnection(TlsSocket),
    /// `'tlsClientError'` `(err, tlsSocket)`.
    TlsClientError(Error, TlsSocket),
    /// `'keylog'` `(line, tlsSocket)`.
    Keylog(Vec<u8>, TlsSocket),
}

crate::event_kinds! {
    /// The Node event names of [`ServerEvent`].
    pub enum ServerEventKind {
        Connection = "connection",
        Keylog = "keylog",
        SecureConnection = "secureConnection",
        TlsClientError = "tlsClientError",
    }
}

impl Event for ServerEvent {
    type Kind = ServerEventKind;
    fn kind(&self) -> ServerEventKind {
        match self {
            ServerEvent::Connection(_) => ServerEventKind::Connection,
            ServerEvent::SecureConnection(_) => ServerEventKind::SecureConnection,
            ServerEvent::TlsClientError(..) => ServerEventKind::TlsClientError,
            ServerEvent::Keylog(..) => ServerEventKind::Keylog,
        }
    }
}

/// `SNICallback(servername, callback)`: the context for a name, given
/// to `done` now or later (`None`: the server's own).
pub type SniCallback =
    Arc<dyn Fn(&str, Box<dyn FnOnce(Result<Option<SecureContext>, Error>) + Send>) + Send + Sync>;

/// `tls.createServer(options)`'s options.
#[derive(Clone)]
pub struct ServerOptions {
    pub context: SecureContext,
    pub request_cert: bool,
    /// Applies only with `request_cert` (Node's default `true`).
    pub reject_unauthorized: bool,
    /// `ALPNProtocols`, in the server's order of preference.
    pub alpn_protocols: Vec<Vec<u8>>,
    pub sni_callback: Option<SniCallback>,
    /// `handshakeTimeout` in ms (Node's default 120 000).
    pub handshake_timeout: u64,
    /// net's options (`allowHalfOpen`, `pauseOnConnect`…).
    pub net: net::ServerOptions,
}

/// Node's `tls.Server`. Clone freely.
#[derive(Clone)]
pub struct Server {
    inner: Arc<ServerInner>,
}

pub(crate) struct ServerInner {
    net: net::Server,
    emitter: Emitter<Server, ServerEvent>,
    context: Mutex<SecureContext>,
    /// `addContext`'s, in the order added.
    contexts: Mutex<Vec<(String, SecureContext)>>,
    tls: ServerTls,
    sni_callback: Option<SniCallback>,
    handshake_timeout: u64,
    /// Made by the layer for each accepted connection, claimed by the
    /// `'connection'` listener that follows it in the same turn.
    accepted: Mutex<VecDeque<Arc<Shared>>>,
    event_loop: EventLoop,
}

impl Server {
    /// `tls.createServer(options)` in `event_loop`.
    pub fn new_in(event_loop: &EventLoop, options: ServerOptions) -> Server {
        let inner = Arc::new_cyclic(|weak: &Weak<ServerInner>| {
            let weak = weak.clone();
            let layer_loop = event_loop.clone();
            let (request_cert, reject_unauthorized) =
                (options.request_cert, options.reject_unauthorized);
            let layer = Layer(Arc::new(move |tcp| {
                let shared = Shared::new(
                    Role::Server {
                        server: weak.clone(),
                        request_cert,
                        reject_unauthorized,
                    },
                    &layer_loop,
                );
                if let Some(server) = weak.upgrade() {
                    shared.info().local_cert = server.context().leaf.clone();
                    server
                        .accepted
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push_back(shared.clone());
                }
                Box::new(TlsTransport::server(tcp, shared))
            }));
            ServerInner {
                net: net::Server::new_in(
                    event_loop,
                    net::ServerOptions {
                        layer: Some(layer),
                        ..options.net.clone()
                    },
                ),
                emitter: Emitter::default(),
                context: Mutex::new(options.context.clone()),
                contexts: Mutex::new(Vec::new()),
                tls: ServerTls {
                    request_cert: options.request_cert,
                    reject_unauthorized: options.reject_unauthorized,
                    alpn: options.alpn_protocols.clone(),
                    sessions: ServerSessionMemoryCache::new(256),
                },
                sni_callback: options.sni_callback.clone(),
                handshake_timeout: options.handshake_timeout,
                accepted: Mutex::new(VecDeque::new()),
                event_loop: event_loop.clone(),
            }
        });
        let weak = Arc::downgrade(&inner);
        inner.net.on_connection(move |_, socket| {
            if let Some(inner) = weak.upgrade() {
                inner.connection(socket);
            }
        });
        Server { inner }
    }

    /// `tls.createServer()` in the global event loop.
    pub fn new(options: ServerOptions) -> Server {
        Server::new_in(&EventLoop::global(), options)
    }

    /// The `net.Server` this one extends: `listen`, `close`, `address`
    /// and net's other events are its.
    pub fn net(&self) -> &net::Server {
        &self.inner.net
    }

    /// Whether two handles are the same server.
    pub fn ptr_eq(&self, other: &Server) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// `server.addContext(hostname, context)`: the context for clients
    /// asking for `hostname` (`*` matches one label); the most recently
    /// added match wins.
    pub fn add_context(&self, hostname: &str, context: SecureContext) {
        self.inner
            .contexts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((hostname.to_ascii_lowercase(), context));
    }

    /// `server.setSecureContext(options)`: later connections use it.
    pub fn set_secure_context(&self, context: SecureContext) {
        *self.inner.context.lock().unwrap_or_else(|p| p.into_inner()) = context;
    }
}

impl ServerInner {
    fn context(&self) -> SecureContext {
        self.context
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn server(self: &Arc<Self>) -> Server {
        Server {
            inner: self.clone(),
        }
    }

    /// `tlsConnectionListener`: the TCP socket is `'connection'`'s, the
    /// TLS socket is watched for errors until it is secure.
    fn connection(self: &Arc<Self>, socket: &Socket) {
        let Some(shared) = self
            .accepted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
        else {
            return;
        };
        socket.set_extension(shared.clone());
        let tls = TlsSocket::new(socket.clone(), shared.clone());
        let raw = Socket::new_in(&self.event_loop, SocketOptions::default());
        let reported = shared.error_reported.clone();
        let (weak, t, r) = (Arc::downgrade(self), tls.clone(), reported.clone());
        socket.once(SocketEventKind::Error, move |_, e| {
            if let (Some(server), crate::net::SocketEvent::Error(err)) = (weak.upgrade(), e)
                && !t.secure()
                && !r.swap(true, Ordering::AcqRel)
            {
                server
                    .server()
                    .emit(&ServerEvent::TlsClientError(err.clone(), t.clone()));
            }
        });
        let timeout_reported = reported.clone();
        let (weak, t, raw_socket) = (Arc::downgrade(self), tls.clone(), raw.clone());
        socket.once(SocketEventKind::Close, move |_, e| {
            raw_socket.close_taken_over();
            let had_error = matches!(
                e,
                crate::net::SocketEvent::Close {
                    had_error: Some(true)
                }
            );
            // onSocketClose: a connection gone before it was secure.
            if let Some(server) = weak.upgrade()
                && !had_error
                && !t.secure()
                && !reported.swap(true, Ordering::AcqRel)
            {
                let err = Error::plain("ECONNRESET", "socket hang up");
                server
                    .server()
                    .emit(&ServerEvent::TlsClientError(err, t.clone()));
            }
        });
        if self.handshake_timeout > 0 {
            socket.set_timeout(self.handshake_timeout);
            let (weak, t, r) = (Arc::downgrade(self), tls.clone(), timeout_reported);
            // Node's `_handleTimeout`: `tlsClientError` only; the
            // connection stays open.
            socket.once(SocketEventKind::Timeout, move |_, _| {
                if let Some(server) = weak.upgrade()
                    && !t.secure()
                    && !r.swap(true, Ordering::AcqRel)
                {
                    let err = Error::plain("ERR_TLS_HANDSHAKE_TIMEOUT", "TLS handshake timeout");
                    server
                        .server()
                        .emit(&ServerEvent::TlsClientError(err, t.clone()));
                }
            });
        }
        self.server().emit(&ServerEvent::Connection(raw));
    }

    /// The client's hello arrived: the context for its name (through
    /// `SNICallback`, if any) makes the connection's configuration.
    pub(crate) fn client_hello(
        self: &Arc<Self>,
        shared: &Arc<Shared>,
        servername: Option<String>,
        socket: &Socket,
    ) {
        let configure = {
            let (server, shared, socket) = (self.clone(), shared.clone(), socket.clone());
            move |result: Result<Option<SecureContext>, Error>| {
                let context = match result {
                    Ok(Some(c)) => c,
                    Ok(None) => server.context(),
                    // The callback's error: `tlsClientError`, then the
                    // socket's own 'error' (observed, unlike a protocol
                    // error's: the socket is known by then).
                    Err(e) => {
                        if !shared.error_reported.swap(true, Ordering::AcqRel) {
                            server.server().emit(&ServerEvent::TlsClientError(
                                e.clone(),
                                TlsSocket::new(socket.clone(), shared.clone()),
                            ));
                        }
                        socket.destroy(Some(e));
                        return;
                    }
                };
                match context.server_config(&shared, &server.tls) {
                    Ok(config) => {
                        shared.info().local_cert = context.leaf.clone();
                        let versions = (
                            context.allows(super::Version::Tls12),
                            context.allows(super::Version::Tls13),
                        );
                        shared.set_server_config(Arc::new(config), versions);
                    }
                    Err(e) => {
                        socket.destroy(Some(e));
                    }
                }
            }
        };
        match (&self.sni_callback, servername) {
            (Some(sni), Some(name)) => sni(&name, Box::new(configure)),
            // Node's default SNICallback: the contexts added.
            (None, Some(name)) => {
                let found = self.added_context(&name);
                configure(Ok(found))
            }
            _ => configure(Ok(None)),
        }
    }

    /// The most recent `addContext` context whose name matches.
    fn added_context(&self, servername: &str) -> Option<SecureContext> {
        let name = servername.to_ascii_lowercase();
        let contexts = self.contexts.lock().unwrap_or_else(|p| p.into_inner());
        contexts
            .iter()
            .rev()
            .find(|(pattern, _)| wildcard_match(pattern, &name))
            .map(|(_, c)| c.clone())
    }

    /// The handshake of a connection is done and accepted.
    pub(crate) fn secure_connection(self: &Arc<Self>, tls: TlsSocket) {
        if self.handshake_timeout > 0 {
            tls.socket().set_timeout(0);
        }
        self.server().emit(&ServerEvent::SecureConnection(tls));
    }

    pub(crate) fn keylog(self: &Arc<Self>, line: &[u8], tls: &TlsSocket) {
        self.server()
            .emit(&ServerEvent::Keylog(line.to_vec(), tls.clone()));
    }
}

/// `addContext`'s names: `*` stands for one label's characters (Node
/// turns the name into `^…$` with `*` as `[^.]*`).
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('*').collect();
    if pieces.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !name.starts_with(first) || !name.ends_with(last) || name.len() < first.len() + last.len() {
        return false;
    }
    // Each `*` matches no dot.
    let mut rest = &name[first.len()..name.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) if !rest[..at].contains('.') => rest = &rest[at + piece.len()..],
            _ => return false,
        }
    }
    !rest.contains('.')
}

impl Emits for Server {
    type Event = ServerEvent;

    fn emitter(&self) -> &Emitter<Server, ServerEvent> {
        &self.inner.emitter
    }

    fn event_loop(&self) -> &EventLoop {
        &self.inner.event_loop
    }
}

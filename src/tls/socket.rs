//! [`TlsSocket`]: Node's `tls.TLSSocket`, a [`net::Socket`](Socket) whose
//! transport is TLS, with the TLS events and getters; and the state its
//! transport shares with it ([`Shared`]), where the handshake is judged as
//! `lib/_tls_wrap.js` judges it (`onConnectSecure` for clients,
//! `onServerSocketSecure` for servers).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::Waker;

use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::events::{Emits, Emitter, Event};
use crate::net::Socket;
use crate::net::transport::Notice;

use super::errors::failure_error;
use super::server::ServerInner;
use super::transport::TlsFailure;
use super::verify::{Identity, VerdictSlot, check_server_identity};
use super::x509::Certificate;

/// The events a TLS socket adds to net's.
#[derive(Debug, Clone)]
pub enum TlsEvent {
    /// `'secure'`: the handshake is done (before it is judged on a
    /// client; Node's internal event, public all the same).
    Secure,
    /// `'secureConnect'`: a client's handshake is done and judged.
    SecureConnect,
    /// `'session'` `(session)`: a session ticket to resume with.
    Session(Vec<u8>),
    /// `'keylog'` `(line)`: key material, NSS key log format.
    Keylog(Vec<u8>),
}

crate::event_kinds! {
    /// The Node event names of [`TlsEvent`].
    pub enum TlsEventKind {
        Keylog = "keylog",
        Secure = "secure",
        SecureConnect = "secureConnect",
        Session = "session",
    }
}

impl Event for TlsEvent {
    type Kind = TlsEventKind;
    fn kind(&self) -> TlsEventKind {
        match self {
            TlsEvent::Secure => TlsEventKind::Secure,
            TlsEvent::SecureConnect => TlsEventKind::SecureConnect,
            TlsEvent::Session(_) => TlsEventKind::Session,
            TlsEvent::Keylog(_) => TlsEventKind::Keylog,
        }
    }
}

/// A client's own check of the server's name (`checkServerIdentity`),
/// given the host name, the peer's chain (leaf first) and the trusted
/// roots (for the detailed certificate Node passes).
pub type CheckIdentity =
    Arc<dyn Fn(&str, &[Certificate], &[Certificate]) -> Option<Error> + Send + Sync>;

/// Which side of the connection this is, and what judging it needs.
pub(crate) enum Role {
    Client {
        /// The name the certificate must hold (`servername || host`).
        hostname: String,
        reject_unauthorized: bool,
        check_identity: Option<CheckIdentity>,
    },
    Server {
        server: Weak<ServerInner>,
        request_cert: bool,
        reject_unauthorized: bool,
    },
}

/// What the getters read.
#[derive(Default)]
pub(crate) struct Info {
    pub(crate) authorized: bool,
    pub(crate) authorization_error: Option<Error>,
    pub(crate) protocol: Option<&'static str>,
    pub(crate) cipher: Option<rustls::CipherSuite>,
    /// The negotiated protocol: `None` until the handshake set it (Node's
    /// `null`), then `Some(None)` for none (`false`).
    pub(crate) alpn: Option<Option<Vec<u8>>>,
    /// The SNI name (server side: what the client sent, once its hello is
    /// read; client side: what it asked for, once the handshake is done),
    /// as `alpn`.
    pub(crate) servername: Option<Option<String>>,
    /// The SNI name a client asks for.
    pub(crate) requested_servername: Option<String>,
    /// The highest version this side offers (`getProtocol()` while the
    /// handshake runs).
    pub(crate) max_version: Option<&'static str>,
    /// Trusted roots, for `getPeerCertificate(true)`'s issuers.
    pub(crate) roots: Vec<Certificate>,
    /// The last session ticket (`getSession()`).
    pub(crate) last_session: Option<Vec<u8>>,
    /// The versions a server's configuration allows (TLS 1.2, TLS 1.3).
    pub(crate) server_versions: (bool, bool),
    /// A server-side socket of no `tls.Server` (`new tls.TLSSocket(socket,
    /// {isServer: true})`): its context and options.
    pub(crate) standalone: Option<(super::SecureContext, super::context::ServerTls)>,
    pub(crate) peer_chain: Vec<Certificate>,
    pub(crate) local_cert: Option<Certificate>,
    pub(crate) session_reused: bool,
    /// A resumption ticket was offered and taken from the client's store.
    pub(crate) offered_session: bool,
    /// A server's session cache found the client's session.
    pub(crate) resumed: Arc<AtomicBool>,
    pub(crate) secure: bool,
    /// The server's configuration for this connection, once chosen.
    pub(crate) server_config: Option<Arc<rustls::ServerConfig>>,
    /// A session that arrived before the handshake was judged (Node's
    /// `kPendingSession`: only the last one is kept).
    pub(crate) pending_session: Option<Vec<u8>>,
}

/// The state a TLS socket shares with its transport.
pub(crate) struct Shared {
    pub(crate) role: Role,
    pub(crate) event_loop: EventLoop,
    emitter: Emitter<TlsSocket, TlsEvent>,
    info: Mutex<Info>,
    released: AtomicBool,
    pending: Mutex<VecDeque<Notice>>,
    pub(crate) verdict: VerdictSlot,
    waker: Mutex<Option<Waker>>,
    /// A server's `tlsClientError` was emitted for it (Node's
    /// `kErrorEmitted`).
    pub(crate) error_reported: Arc<AtomicBool>,
}

impl Shared {
    pub(crate) fn new(role: Role, event_loop: &EventLoop) -> Arc<Shared> {
        // Only a client holds its output for the verdict.
        let released = matches!(role, Role::Server { .. });
        Arc::new(Shared {
            role,
            event_loop: event_loop.clone(),
            emitter: Emitter::default(),
            info: Mutex::new(Info::default()),
            released: AtomicBool::new(released),
            pending: Mutex::new(VecDeque::new()),
            verdict: VerdictSlot::default(),
            waker: Mutex::new(None),
            error_reported: Arc::default(),
        })
    }

    pub(crate) fn info(&self) -> MutexGuard<'_, Info> {
        self.info.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_server(&self) -> bool {
        matches!(self.role, Role::Server { .. })
    }

    /// Queues something to report in the socket's next turn.
    pub(crate) fn push(&self, notice: Notice) {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(notice);
        self.wake();
    }

    pub(crate) fn has_pending(&self) -> bool {
        !self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    pub(crate) fn take_pending(&self) -> Option<Notice> {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
    }

    /// Remembers who to wake when something changes outside the
    /// transport (a configuration chosen later, a notice queued).
    pub(crate) fn park(&self, waker: &Waker) {
        *self.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(waker.clone());
    }

    fn wake(&self) {
        if let Some(w) = self.waker.lock().unwrap_or_else(|p| p.into_inner()).take() {
            w.wake();
        }
    }

    /// The server's configuration for this connection (after the SNI
    /// callback, if any), and the versions it allows (TLS 1.2, TLS 1.3).
    pub(crate) fn set_server_config(
        &self,
        config: Arc<rustls::ServerConfig>,
        versions: (bool, bool),
    ) {
        {
            let mut info = self.info();
            info.server_config = Some(config);
            info.server_versions = versions;
        }
        self.wake();
    }

    pub(crate) fn released(&self) -> bool {
        self.released.load(Ordering::Acquire)
    }

    /// Lets the transport write what the handshake left (the peer was
    /// judged acceptable).
    fn release(&self) {
        self.released.store(true, Ordering::Release);
        self.wake();
    }

    /// Keeps what the handshake negotiated, for the getters.
    pub(crate) fn record_handshake(&self, conn: &rustls::Connection) {
        let mut info = self.info();
        info.protocol = conn.protocol_version().map(|v| match v {
            rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
            rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
            _ => "unknown",
        });
        info.cipher = conn.negotiated_cipher_suite().map(|s| s.suite());
        info.alpn = Some(conn.alpn_protocol().map(<[u8]>::to_vec));
        match conn {
            rustls::Connection::Server(s) => {
                info.servername = Some(s.server_name().map(str::to_string));
            }
            rustls::Connection::Client(_) => {
                info.servername = Some(info.requested_servername.clone());
            }
        }
        info.peer_chain = conn
            .peer_certificates()
            .unwrap_or_default()
            .iter()
            .filter_map(|c| Certificate::from_der(&c.0).ok())
            .collect();
        let verifier_ran = self.verdict.lock().unwrap_or_else(|p| p.into_inner()).ran;
        info.session_reused = if self.is_server() {
            info.resumed.load(Ordering::Acquire)
        } else {
            info.offered_session && !verifier_ran
        };
        // A resumed session carries no certificate to show (Node: `{}`).
        if info.session_reused && !self.is_server() {
            info.peer_chain.clear();
        }
    }

    /// The notice of a finished handshake: judge the peer, then
    /// `'secure'` and `'secureConnect'`/`'secureConnection'`.
    pub(crate) fn handshake_done_notice(self: &Arc<Self>) -> Notice {
        let shared = self.clone();
        Box::new(move |socket| shared.on_handshake_done(socket))
    }

    /// The notice of a client's hello read by a server: the server
    /// chooses the context (`SNICallback`).
    pub(crate) fn client_hello_notice(self: &Arc<Self>, servername: Option<String>) -> Notice {
        let shared = self.clone();
        Box::new(move |socket| {
            shared.info().servername = Some(servername.clone());
            let Role::Server { server, .. } = &shared.role else {
                return;
            };
            if let Some(server) = server.upgrade() {
                server.client_hello(&shared, servername, socket);
                return;
            }
            let standalone = shared.info().standalone.clone();
            if let Some((context, options)) = standalone {
                match context.server_config(&shared, &options) {
                    Ok(config) => {
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
        })
    }

    /// The notice of a connection failing after its handshake: only
    /// `'error'`, as Node's `_emitTLSError` once control is released (the
    /// transport then reads the end of the stream).
    pub(crate) fn late_failure_notice(self: &Arc<Self>, failure: TlsFailure) -> Notice {
        let server = self.is_server();
        Box::new(move |socket| {
            socket.emit(crate::net::SocketEvent::Error(failure_error(
                failure, server,
            )));
        })
    }

    /// The notice of a failed handshake or connection.
    pub(crate) fn failure_notice(self: &Arc<Self>, failure: TlsFailure) -> Notice {
        let shared = self.clone();
        Box::new(move |socket| {
            socket.destroy(Some(failure_error(failure, shared.is_server())));
        })
    }

    fn on_handshake_done(self: &Arc<Self>, socket: &Socket) {
        let tls = TlsSocket {
            socket: socket.clone(),
            shared: self.clone(),
        };
        match &self.role {
            // Node's onConnectSecure is the first 'secure' listener: the
            // verdict and 'secureConnect' come before the others.
            Role::Client {
                hostname,
                reject_unauthorized,
                check_identity,
                ..
            } => {
                let (verify_error, reused) = {
                    let v = self.verdict.lock().unwrap_or_else(|p| p.into_inner());
                    (v.error.clone(), self.info().session_reused)
                };
                let error = match verify_error {
                    Some(e) => Some(e),
                    None if !reused => {
                        let (chain, roots) = {
                            let info = self.info();
                            (info.peer_chain.clone(), info.roots.clone())
                        };
                        match (chain.first(), check_identity) {
                            (Some(_), Some(check)) => check(hostname, &chain, &roots),
                            (Some(leaf), None) => identity_error(hostname, leaf, &chain, &roots),
                            (None, _) => None,
                        }
                    }
                    None => None,
                };
                if let Some(error) = error {
                    {
                        let mut info = self.info();
                        info.authorized = false;
                        info.authorization_error = Some(error.clone());
                    }
                    if *reject_unauthorized {
                        // Writes waiting for the handshake are in flight in
                        // Node (TLSWrap holds them) and fail after 'error':
                        // their users see `_hadError` set, as here.
                        socket.set_had_error();
                        socket.destroy(Some(error));
                        tls.emit(&TlsEvent::Secure);
                        return;
                    }
                } else {
                    self.info().authorized = true;
                }
                self.info().secure = true;
                self.release();
                tls.emit(&TlsEvent::SecureConnect);
                let pending = self.info().pending_session.take();
                if let Some(session) = pending {
                    tls.emit(&TlsEvent::Session(session));
                }
                tls.emit(&TlsEvent::Secure);
            }
            Role::Server {
                server,
                request_cert,
                reject_unauthorized,
            } => {
                if *request_cert {
                    let (ran, error) = {
                        let v = self.verdict.lock().unwrap_or_else(|p| p.into_inner());
                        (v.ran, v.error.clone())
                    };
                    let error = match (ran, error) {
                        (_, Some(e)) => Some(e),
                        // No certificate: Node's verifyError() default.
                        (false, None) if !self.info().session_reused => Some(Error::plain(
                            "UNABLE_TO_GET_ISSUER_CERT",
                            "unable to get issuer certificate",
                        )),
                        _ => None,
                    };
                    match error {
                        Some(e) => {
                            self.info().authorization_error = Some(e);
                            if *reject_unauthorized {
                                socket.destroy(None);
                                return;
                            }
                        }
                        None => self.info().authorized = true,
                    }
                }
                self.info().secure = true;
                self.release();
                tls.emit(&TlsEvent::Secure);
                if socket.destroyed() {
                    return;
                }
                if let Some(server) = server.upgrade() {
                    server.secure_connection(tls);
                }
            }
        }
    }

    /// A session ticket: reported now if the handshake was judged, else
    /// kept for `'secureConnect'`.
    pub(crate) fn session_arrived(self: &Arc<Self>, session: Vec<u8>) {
        let shared = self.clone();
        self.push(Box::new(move |socket| {
            shared.info().last_session = Some(session.clone());
            if shared.info().secure {
                let tls = TlsSocket {
                    socket: socket.clone(),
                    shared: shared.clone(),
                };
                tls.emit(&TlsEvent::Session(session));
            } else {
                shared.info().pending_session = Some(session);
            }
        }));
    }

    /// A key log line, reported in the socket's next turn.
    pub(crate) fn keylog(self: &Arc<Self>, line: Vec<u8>) {
        let shared = self.clone();
        self.push(Box::new(move |socket| {
            let tls = TlsSocket {
                socket: socket.clone(),
                shared: shared.clone(),
            };
            if let Role::Server { server, .. } = &shared.role
                && let Some(server) = server.upgrade()
            {
                server.keylog(&line, &tls);
            }
            tls.emit(&TlsEvent::Keylog(line));
        }));
    }
}

/// `tls.checkServerIdentity(hostname, cert)` on a decoded certificate,
/// with `cert` on the error as Node gives it (`getPeerCertificate(true)`).
pub(crate) fn identity_error(
    hostname: &str,
    cert: &Certificate,
    chain: &[Certificate],
    roots: &[Certificate],
) -> Option<Error> {
    check_server_identity(hostname, &Identity::of(cert)).map(|e| {
        let mut props = e.props().to_vec();
        if let Some(detailed) = super::detailed_certificate_props(chain, roots) {
            props.push(("cert", detailed));
        }
        Error::plain(e.code(), e.message()).with_props(props)
    })
}

/// Node's `tls.TLSSocket`: a net socket over TLS. Clone freely.
#[derive(Clone)]
pub struct TlsSocket {
    socket: Socket,
    shared: Arc<Shared>,
}

impl TlsSocket {
    pub(crate) fn new(socket: Socket, shared: Arc<Shared>) -> TlsSocket {
        TlsSocket { socket, shared }
    }

    /// The TLS socket a net socket is, if it is one.
    pub fn of(socket: &Socket) -> Option<TlsSocket> {
        let shared = socket.extension()?.downcast::<Shared>().ok()?;
        Some(TlsSocket {
            socket: socket.clone(),
            shared,
        })
    }

    /// The net socket under it: the stream's methods and events.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Whether two handles are the same socket.
    pub fn ptr_eq(&self, other: &TlsSocket) -> bool {
        self.socket.ptr_eq(&other.socket)
    }

    /// `tlsSocket.authorized`.
    pub fn authorized(&self) -> bool {
        self.shared.info().authorized
    }

    /// `tlsSocket.authorizationError`: the code (or message) of the
    /// verdict, when not authorized.
    pub fn authorization_error(&self) -> Option<String> {
        self.shared.info().authorization_error.as_ref().map(|e| {
            if e.code().is_empty() {
                e.message().to_string()
            } else {
                e.code().to_string()
            }
        })
    }

    /// `tlsSocket.alpnProtocol`: `None` until the handshake set it
    /// (Node's `null`), then the protocol or `None` (`false`).
    pub fn alpn_protocol(&self) -> Option<Option<String>> {
        let info = self.shared.info();
        info.alpn
            .as_ref()
            .map(|p| p.as_ref().map(|p| String::from_utf8_lossy(p).into_owned()))
    }

    /// `tlsSocket.servername`: as [`TlsSocket::alpn_protocol`].
    pub fn servername(&self) -> Option<Option<String>> {
        self.shared.info().servername.clone()
    }

    /// `tlsSocket.getProtocol()`: `None` once the connection is gone (Node's
    /// `null`); while a client's handshake runs, the highest version it
    /// offers (OpenSSL's view); `"unknown"` before a server's.
    pub fn protocol(&self) -> Option<&'static str> {
        if self.socket.destroyed() {
            return None;
        }
        let info = self.shared.info();
        Some(info.protocol.or(info.max_version).unwrap_or("unknown"))
    }

    /// `tlsSocket.getCipher()`: Node's `{name, standardName, version}`;
    /// `None` once the connection is gone (`null`), `Some(None)` before
    /// the handshake (`undefined`).
    pub fn cipher(&self) -> Option<Option<(&'static str, &'static str, &'static str)>> {
        if self.socket.destroyed() {
            return None;
        }
        Some(self.shared.info().cipher.map(super::errors::cipher_names))
    }

    /// `tlsSocket.isSessionReused()`: `None` once the connection is gone.
    pub fn is_session_reused(&self) -> Option<bool> {
        if self.socket.destroyed() {
            return None;
        }
        Some(self.shared.info().session_reused)
    }

    /// `tlsSocket.getSession()`: the last session ticket, if any.
    pub fn session(&self) -> Option<Vec<u8>> {
        self.shared.info().last_session.clone()
    }

    /// The peer's chain (leaf first), for `getPeerCertificate()`.
    pub fn peer_chain(&self) -> Vec<Certificate> {
        self.shared.info().peer_chain.clone()
    }

    /// The trusted roots, for `getPeerCertificate(true)`.
    pub fn roots(&self) -> Vec<Certificate> {
        self.shared.info().roots.clone()
    }

    /// This side's certificate (`getCertificate()`).
    pub fn local_certificate(&self) -> Option<Certificate> {
        self.shared.info().local_cert.clone()
    }

    /// Whether the handshake finished and was accepted.
    pub fn secure(&self) -> bool {
        self.shared.info().secure
    }
}

impl Emits for TlsSocket {
    type Event = TlsEvent;

    fn emitter(&self) -> &Emitter<TlsSocket, TlsEvent> {
        &self.shared.emitter
    }

    fn event_loop(&self) -> &EventLoop {
        &self.shared.event_loop
    }
}

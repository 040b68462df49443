//! [`Server`]: Node's `net.Server`, accepting TCP or Unix-socket
//! connections and handing each to `'connection'` listeners as a
//! [`Socket`].

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};

use async_std::channel::{Receiver, Sender, unbounded};
use async_std::net::TcpListener;
#[cfg(unix)]
use async_std::os::unix::net::UnixListener;
use async_std::stream::Stream as _;

#[cfg(unix)]
use super::socket::sun_path;
use super::socket::{AddressInfo, Socket, SocketOptions, Stream};
use crate::dns;
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::events::{Emits, Emitter, Event, ListenerId};

/// The default `listen` backlog (511, not 512).
pub const DEFAULT_BACKLOG: i32 = 511;

/// Options of `net.createServer([options])`.
///
/// See <https://nodejs.org/api/net.html#netcreateserveroptions-connectionlistener>.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Accepted sockets keep their writable side open when the peer ends.
    pub allow_half_open: bool,
    /// Accepted sockets read nothing until `resume()`.
    pub pause_on_connect: bool,
    /// Disable Nagle's algorithm on accepted sockets.
    pub no_delay: bool,
    /// Enable keep-alive on accepted sockets.
    pub keep_alive: bool,
    /// Keep-alive initial delay in milliseconds.
    pub keep_alive_initial_delay: u64,
    /// The high-water mark of accepted sockets (Node 20.1+).
    pub high_water_mark: Option<usize>,
}

/// An already-bound listener for `server.listen(handle)`.
#[derive(Debug)]
pub enum ListenHandle {
    /// Share the listening socket of another server.
    Server(Server),
    /// A bound and listening std TCP listener.
    Tcp(std::net::TcpListener),
    /// A bound and listening std Unix listener.
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixListener),
}

/// The forms of `server.listen()`, as one options value.
///
/// See <https://nodejs.org/api/net.html#serverlisten>.
#[derive(Debug, Default)]
pub struct ListenOptions {
    /// TCP port; `0` (or none, without a path) means an OS-assigned port.
    pub port: Option<u16>,
    /// Host to bind; default `::` when IPv6 is available, else `0.0.0.0`.
    pub host: Option<String>,
    /// Unix socket path (ignored when `port` is set).
    pub path: Option<PathBuf>,
    /// Pending-connection queue length; default 511.
    pub backlog: Option<i32>,
    /// Node's cluster option; accepted and ignored.
    pub exclusive: bool,
    /// Bind IPv6 only (no dual stack).
    pub ipv6_only: bool,
    /// Listen on an existing handle instead of binding.
    pub handle: Option<ListenHandle>,
}

impl ListenOptions {
    /// `listen(port)`.
    pub fn port(port: u16) -> ListenOptions {
        ListenOptions {
            port: Some(port),
            ..ListenOptions::default()
        }
    }

    /// `listen(port, host)`.
    pub fn port_host(port: u16, host: &str) -> ListenOptions {
        ListenOptions {
            port: Some(port),
            host: Some(host.to_string()),
            ..ListenOptions::default()
        }
    }

    /// `listen(path)`.
    pub fn path(path: impl Into<PathBuf>) -> ListenOptions {
        ListenOptions {
            path: Some(path.into()),
            ..ListenOptions::default()
        }
    }
}

/// `server.address()`: a TCP address or a Unix socket path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAddress {
    Inet(AddressInfo),
    Path(String),
}

/// What `'drop'` reports about a connection refused at `maxConnections`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropInfo {
    pub local: AddressInfo,
    pub remote: AddressInfo,
}

/// An event of a [`Server`].
///
/// See <https://nodejs.org/api/net.html#class-netserver>.
#[derive(Debug, Clone)]
pub enum ServerEvent {
    /// `'listening'`.
    Listening,
    /// `'connection'` `(socket)`.
    Connection(Socket),
    /// `'close'`: closed and every connection ended.
    Close,
    /// `'error'` `(err)`; the server does *not* close.
    Error(Error),
    /// `'drop'` `(data)`: a connection was refused at `maxConnections`.
    Drop(Option<DropInfo>),
}

crate::event_kinds! {
    /// The Node event names of [`ServerEvent`].
    pub enum ServerEventKind {
        Close = "close",
        Connection = "connection",
        Drop = "drop",
        Error = "error",
        Listening = "listening",
    }
}

impl Event for ServerEvent {
    type Kind = ServerEventKind;
    fn kind(&self) -> ServerEventKind {
        match self {
            ServerEvent::Listening => ServerEventKind::Listening,
            ServerEvent::Connection(_) => ServerEventKind::Connection,
            ServerEvent::Close => ServerEventKind::Close,
            ServerEvent::Error(_) => ServerEventKind::Error,
            ServerEvent::Drop(_) => ServerEventKind::Drop,
        }
    }
}

/// Node's `net.Server`. Clone it freely: every clone is the same server.
///
/// See <https://nodejs.org/api/net.html#class-netserver>.
///
/// # Node compatibility
///
/// - `listen()` binds at once: `listening` and `address()` are set when it
///   returns, `'listening'` (or `'error'`) comes later.
/// - `'error'` does not close the server; `listen()` may be called again.
/// - `close()` stops accepting at once; `'close'` comes when the last
///   connection is destroyed. Each `close()` on a closed server emits
///   `'close'` again, and its callback gets `ERR_SERVER_NOT_RUNNING`.
/// - `maxConnections` unset or `0` means no limit (Node v20); at the limit
///   new connections are closed and `'drop'` is emitted.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    emitter: Emitter<Server, ServerEvent>,
    commands: Sender<Command>,
    event_loop: EventLoop,
    options: ServerOptions,
}

#[derive(Default)]
struct State {
    listening: bool,
    address: Option<ServerAddress>,
    connections: usize,
    max_connections: Option<u32>,
    /// The bound listener, kept so another server can share it.
    shared: Option<Shared>,
    /// A Unix socket path to unlink on close.
    unlink: Option<PathBuf>,
    refed: bool,
    /// Bumped by every listen/close, so a stale accept loop stops.
    generation: u64,
    /// `close()` calls since the last `listen()` whose `'close'` is still
    /// due. Each call emits at most one, once nothing is left open; the
    /// last connection closing settles them all with one (as Node's
    /// `_emitCloseIfDrained` does).
    close_pending: usize,
}

#[derive(Debug)]
enum Shared {
    Tcp(std::net::TcpListener),
    /// With the path `listen()` was given, which `address()` reports
    /// (Node's `_pipeName`) even when the bound name was cut short.
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixListener, Option<String>),
}

impl Shared {
    /// Stops the kernel from accepting on this socket now, as Node's
    /// synchronous handle close does: without it, a client connecting
    /// between `close()` and the accept task noticing would be accepted
    /// into the backlog. (`shutdown` on a listening socket does this on
    /// Linux; the accept loop then ends with `EINVAL`.)
    fn stop_listening(&self) {
        let _ = match self {
            Shared::Tcp(l) => socket2::SockRef::from(l).shutdown(std::net::Shutdown::Both),
            #[cfg(unix)]
            Shared::Unix(l, _) => socket2::SockRef::from(l).shutdown(std::net::Shutdown::Both),
        };
    }

    fn try_clone(&self) -> io::Result<Shared> {
        Ok(match self {
            Shared::Tcp(l) => Shared::Tcp(l.try_clone()?),
            #[cfg(unix)]
            Shared::Unix(l, name) => Shared::Unix(l.try_clone()?, name.clone()),
        })
    }

    fn address(&self) -> Option<ServerAddress> {
        match self {
            Shared::Tcp(l) => l.local_addr().ok().map(|a| ServerAddress::Inet(a.into())),
            #[cfg(unix)]
            Shared::Unix(_, Some(name)) => Some(ServerAddress::Path(name.clone())),
            #[cfg(unix)]
            Shared::Unix(l, None) => l.local_addr().ok().map(|a| {
                ServerAddress::Path(
                    a.as_pathname()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                )
            }),
        }
    }
}

/// A bound listener, before it starts accepting.
enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(UnixListener),
}

/// A running accept loop: a task accepts into `streams` until this value
/// is dropped, which closes the listening socket.
struct Accepting {
    streams: Receiver<io::Result<Stream>>,
    _stop: Sender<()>,
}

impl Listener {
    /// Starts accepting. (A task of its own keeps one accept future alive
    /// across polls, so no readiness wake-up is lost.)
    fn start(self) -> Accepting {
        use async_std::prelude::FutureExt as _;
        let (tx, streams) = unbounded();
        let (stop_tx, stop) = unbounded::<()>();
        async_std::task::spawn(async move {
            loop {
                let accepted = async {
                    Some(match &self {
                        Listener::Tcp(l) => l.accept().await.map(|(s, _)| Stream::Tcp(s)),
                        #[cfg(unix)]
                        Listener::Unix(l) => l.accept().await.map(|(s, _)| Stream::Unix(s)),
                    })
                };
                let stopped = async {
                    let _ = stop.recv().await;
                    None
                };
                match accepted.race(stopped).await {
                    // The socket was shut down by close().
                    Some(Err(e)) if e.kind() == io::ErrorKind::InvalidInput => return,
                    Some(result) => {
                        if tx.try_send(result).is_err() {
                            return;
                        }
                    }
                    None => return,
                }
            }
        });
        Accepting {
            streams,
            _stop: stop_tx,
        }
    }
}

type Callback = Box<dyn FnOnce(Option<&Error>) + Send>;

enum Command {
    /// Start accepting and emit `'listening'`.
    Start(Listener, u64),
    /// Resolve a host name, then bind.
    ListenHost(String, u16, i32, bool, u64),
    /// Emit `'error'` for a failed listen.
    Failed(Error),
    /// Stop accepting.
    Stop,
    /// Another server took this one's handle (`server2.listen(server1)`):
    /// stop accepting, but stay listening, as Node's handle now calls the
    /// other server.
    HandOver,
    /// Emit `'close'` if nothing is left open.
    CloseIfDrained,
    ConnectionClosed,
    GetConnections(Box<dyn FnOnce(usize) + Send>),
}

impl Server {
    /// `new net.Server(options)` in the global event loop.
    pub fn new(options: ServerOptions) -> Server {
        Server::new_in(&EventLoop::global(), options)
    }

    /// A server in `event_loop`; its sockets belong to the same loop.
    pub fn new_in(event_loop: &EventLoop, options: ServerOptions) -> Server {
        let (tx, rx) = unbounded();
        let server = Server {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    refed: true,
                    ..State::default()
                }),
                emitter: Emitter::default(),
                commands: tx,
                event_loop: event_loop.clone(),
                options,
            }),
        };
        async_std::task::spawn(Acceptor::new(server.clone(), rx).run());
        server
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, command: Command) {
        let _ = self.inner.commands.try_send(command);
    }

    /// The event loop this server emits in.
    pub fn event_loop(&self) -> &EventLoop {
        &self.inner.event_loop
    }

    /// Whether two handles are the same server.
    pub fn ptr_eq(&self, other: &Server) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// `server.on('connection', listener)`, with the socket only.
    pub fn on_connection(
        &self,
        listener: impl Fn(&Server, &Socket) + Send + Sync + 'static,
    ) -> ListenerId {
        self.on(ServerEventKind::Connection, move |this, e| {
            if let ServerEvent::Connection(s) = e {
                listener(this, s)
            }
        })
    }

    fn emit(&self, event: ServerEvent) -> bool {
        self.inner.emitter.emit(self, &event)
    }

    /// `server.listen(...)`: binds now and emits `'listening'` or `'error'`
    /// later. Errors only with `ERR_SERVER_ALREADY_LISTEN`, which Node
    /// throws synchronously.
    ///
    /// See <https://nodejs.org/api/net.html#serverlisten>.
    pub fn listen(&self, options: ListenOptions) -> Result<&Server, Error> {
        let generation = {
            let mut st = self.state();
            if st.listening {
                return Err(Error::server_already_listen());
            }
            st.generation += 1;
            st.close_pending = 0;
            st.generation
        };
        let backlog = options.backlog.unwrap_or(DEFAULT_BACKLOG);
        let bound = if let Some(handle) = options.handle {
            adopt(handle)
        } else if let (None, Some(path)) = (options.port, options.path.clone()) {
            bind_unix(&path, backlog).inspect(|_| self.state().unlink = Some(path.clone()))
        } else {
            let port = options.port.unwrap_or(0);
            match options.host {
                // Node resolves any host first: `listening` stays false
                // until then.
                Some(host) => {
                    self.send(Command::ListenHost(
                        host,
                        port,
                        backlog,
                        options.ipv6_only,
                        generation,
                    ));
                    return Ok(self);
                }
                None => bind_tcp(None, port, backlog, options.ipv6_only),
            }
        };
        self.bound(bound, generation);
        Ok(self)
    }

    /// `server.listen(port[, host][, callback])` with the callback as a
    /// `'listening'` listener.
    pub fn listen_with(
        &self,
        options: ListenOptions,
        callback: impl Fn() + Send + Sync + 'static,
    ) -> Result<&Server, Error> {
        self.once(ServerEventKind::Listening, move |_, _| callback());
        self.listen(options)
    }

    /// Records a bound listener: `listening` and `address()` see it.
    fn now_listening(&self, shared: Shared) {
        let mut st = self.state();
        st.listening = true;
        st.address = shared.address();
        st.shared = Some(shared);
    }

    fn bound(&self, bound: Result<(Shared, Listener), Error>, generation: u64) {
        match bound {
            Ok((shared, listener)) => {
                self.now_listening(shared);
                self.send(Command::Start(listener, generation));
            }
            Err(err) => {
                self.state().listening = false;
                self.send(Command::Failed(err));
            }
        }
    }

    /// `server.close([callback])`: stops accepting now; `'close'` (and the
    /// callback) once every connection has ended. The callback gets
    /// `ERR_SERVER_NOT_RUNNING` if the server was not listening.
    ///
    /// See <https://nodejs.org/api/net.html#serverclosecallback>.
    pub fn close(&self) -> &Server {
        self.close_inner(None)
    }

    /// `server.close(callback)`.
    pub fn close_with(&self, callback: impl FnOnce(Option<&Error>) + Send + 'static) -> &Server {
        self.close_inner(Some(Box::new(callback)))
    }

    fn close_inner(&self, callback: Option<Callback>) -> &Server {
        let was_listening = {
            let mut st = self.state();
            let was = st.listening;
            st.listening = false;
            st.address = None;
            if let Some(shared) = st.shared.take() {
                shared.stop_listening();
            }
            st.generation += 1;
            st.close_pending += 1;
            was
        };
        if let Some(cb) = callback {
            let cb = Mutex::new(Some(cb));
            self.once(ServerEventKind::Close, move |_, _| {
                if let Some(cb) = cb.lock().ok().and_then(|mut c| c.take()) {
                    if was_listening {
                        cb(None)
                    } else {
                        cb(Some(&Error::server_not_running()))
                    }
                }
            });
        }
        if was_listening {
            self.send(Command::Stop);
        }
        self.send(Command::CloseIfDrained);
        self
    }

    /// `server.address()`: `None` (null) before listening and after close.
    pub fn address(&self) -> Option<ServerAddress> {
        self.state().address.clone()
    }

    /// `server.listening`.
    pub fn listening(&self) -> bool {
        self.state().listening
    }

    /// `server.maxConnections` (`None` when unset).
    pub fn max_connections(&self) -> Option<u32> {
        self.state().max_connections
    }

    /// Sets `server.maxConnections`; `None` or `0` means unlimited.
    pub fn set_max_connections(&self, max: Option<u32>) {
        self.state().max_connections = max;
    }

    /// `server.getConnections(callback)`: the count, asynchronously.
    pub fn get_connections(&self, callback: impl FnOnce(usize) + Send + 'static) -> &Server {
        self.send(Command::GetConnections(Box::new(callback)));
        self
    }

    /// The number of open connections, now.
    pub fn connections(&self) -> usize {
        self.state().connections
    }

    /// `server.ref()`.
    pub fn ref_(&self) -> &Server {
        self.state().refed = true;
        self
    }

    /// `server.unref()`: records the flag (nothing keeps a Rust process
    /// alive).
    pub fn unref(&self) -> &Server {
        self.state().refed = false;
        self
    }
}

impl Emits for Server {
    type Event = ServerEvent;

    fn emitter(&self) -> &Emitter<Server, ServerEvent> {
        &self.inner.emitter
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("address", &self.address())
            .finish()
    }
}

/// Whether `[::]:0` can be bound (decides Node's default host).
pub fn ipv6_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| std::net::TcpListener::bind("[::]:0").is_ok())
}

fn bind_tcp(
    host: Option<&str>,
    port: u16,
    backlog: i32,
    ipv6_only: bool,
) -> Result<(Shared, Listener), Error> {
    let ip: IpAddr = match host {
        Some(h) => dns::ip_literal(h).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        None if ipv6_available() => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    bind_addr(SocketAddr::new(ip, port), backlog, ipv6_only)
}

fn bind_addr(addr: SocketAddr, backlog: i32, ipv6_only: bool) -> Result<(Shared, Listener), Error> {
    use socket2::{Domain, Protocol, Socket as RawSocket, Type};
    let fail = |e: io::Error| {
        let ip = addr.ip().to_string();
        Error::system(e, "listen", Some(&ip), Some(addr.port().into()), true)
    };
    let socket = RawSocket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(fail)?;
    #[cfg(not(windows))]
    socket.set_reuse_address(true).map_err(fail)?;
    if addr.is_ipv6() {
        socket.set_only_v6(ipv6_only).map_err(fail)?;
    }
    socket.bind(&addr.into()).map_err(fail)?;
    socket.listen(backlog).map_err(fail)?;
    socket.set_nonblocking(true).map_err(fail)?;
    let std_listener: std::net::TcpListener = socket.into();
    let shared = std_listener.try_clone().map_err(fail)?;
    Ok((
        Shared::Tcp(shared),
        Listener::Tcp(TcpListener::from(std_listener)),
    ))
}

#[cfg(unix)]
fn bind_unix(path: &std::path::Path, backlog: i32) -> Result<(Shared, Listener), Error> {
    use socket2::{Domain, SockAddr, Socket as RawSocket, Type};
    let shown = path.display().to_string();
    let fail = |e: io::Error| Error::system(e, "listen", Some(&shown), Some(-1), true);
    let socket = RawSocket::new(Domain::UNIX, Type::STREAM, None).map_err(fail)?;
    socket
        .bind(&SockAddr::unix(sun_path(path)).map_err(fail)?)
        .map_err(fail)?;
    socket.listen(backlog).map_err(fail)?;
    socket.set_nonblocking(true).map_err(fail)?;
    let std_listener: std::os::unix::net::UnixListener = std::os::fd::OwnedFd::from(socket).into();
    let shared = std_listener.try_clone().map_err(fail)?;
    Ok((
        Shared::Unix(shared, Some(shown)),
        Listener::Unix(UnixListener::from(std_listener)),
    ))
}

#[cfg(not(unix))]
fn bind_unix(path: &std::path::Path, _backlog: i32) -> Result<(Shared, Listener), Error> {
    let _ = path;
    Err(Error::plain("ENOTSUP", "Unix sockets are not supported"))
}

fn adopt(handle: ListenHandle) -> Result<(Shared, Listener), Error> {
    let invalid = |e: io::Error| Error::system(e, "listen", None, None, true);
    let shared = match handle {
        ListenHandle::Server(other) => {
            other.send(Command::HandOver);
            other
                .state()
                .shared
                .as_ref()
                .ok_or_else(|| Error::plain("EINVAL", "listen EINVAL: invalid argument"))?
                .try_clone()
                .map_err(invalid)?
        }
        ListenHandle::Tcp(l) => Shared::Tcp(l),
        #[cfg(unix)]
        ListenHandle::Unix(l) => Shared::Unix(l, None),
    };
    let listener = match shared.try_clone().map_err(invalid)? {
        Shared::Tcp(l) => {
            l.set_nonblocking(true).map_err(invalid)?;
            Listener::Tcp(TcpListener::from(l))
        }
        #[cfg(unix)]
        Shared::Unix(l, _) => {
            l.set_nonblocking(true).map_err(invalid)?;
            Listener::Unix(UnixListener::from(l))
        }
    };
    Ok((shared, listener))
}

/// What woke the server task.
enum Wake {
    Command(Command),
    Accepted(io::Result<Stream>),
    Resolved(Result<(Shared, Listener), Error>, u64),
    Gone,
}

type Resolving = Pin<Box<dyn Future<Output = (Result<(Shared, Listener), Error>, u64)> + Send>>;

/// The per-server task: accepts connections and emits the server's events.
struct Acceptor {
    server: Server,
    commands: Receiver<Command>,
    listener: Option<(Accepting, u64)>,
    resolving: Option<Resolving>,
}

impl Acceptor {
    fn new(server: Server, commands: Receiver<Command>) -> Acceptor {
        Acceptor {
            server,
            commands,
            listener: None,
            resolving: None,
        }
    }

    async fn run(mut self) {
        let event_loop = self.server.inner.event_loop.clone();
        loop {
            let wake = std::future::poll_fn(|cx| self.poll_wake(cx)).await;
            if let Wake::Gone = wake {
                return;
            }
            let _turn = event_loop.turn().await;
            self.handle(wake);
            while let Ok(c) = self.commands.try_recv() {
                self.handle(Wake::Command(c));
            }
        }
    }

    fn poll_wake(&mut self, cx: &mut Context<'_>) -> Poll<Wake> {
        match Pin::new(&mut self.commands).poll_next(cx) {
            Poll::Ready(Some(c)) => return Poll::Ready(Wake::Command(c)),
            Poll::Ready(None) => return Poll::Ready(Wake::Gone),
            Poll::Pending => {}
        }
        if let Some(r) = self.resolving.as_mut()
            && let Poll::Ready((bound, generation)) = r.as_mut().poll(cx)
        {
            self.resolving = None;
            return Poll::Ready(Wake::Resolved(bound, generation));
        }
        if let Some((l, _)) = self.listener.as_mut()
            && let Poll::Ready(Some(r)) = Pin::new(&mut l.streams).poll_next(cx)
        {
            return Poll::Ready(Wake::Accepted(r));
        }
        Poll::Pending
    }

    fn current(&self, generation: u64) -> bool {
        self.server.state().generation == generation
    }

    fn handle(&mut self, wake: Wake) {
        match wake {
            Wake::Gone => {}
            Wake::Command(Command::Start(listener, generation)) => {
                if self.current(generation) {
                    self.listener = Some((listener.start(), generation));
                    self.server.emit(ServerEvent::Listening);
                }
            }
            Wake::Command(Command::ListenHost(host, port, backlog, v6only, generation)) => {
                self.resolving = Some(Box::pin(async move {
                    // Node's listen() takes the first address dns.lookup gives.
                    let bound = match dns::lookup(&host, None).await {
                        Ok(ips) => bind_addr(SocketAddr::new(ips[0], port), backlog, v6only),
                        Err(e) => Err(e),
                    };
                    (bound, generation)
                }));
            }
            Wake::Resolved(bound, generation) => {
                if self.current(generation) {
                    match bound {
                        Ok((shared, listener)) => {
                            self.server.now_listening(shared);
                            self.listener = Some((listener.start(), generation));
                            self.server.emit(ServerEvent::Listening);
                        }
                        Err(err) => {
                            self.server.state().listening = false;
                            self.server.emit(ServerEvent::Error(err));
                        }
                    }
                }
            }
            Wake::Command(Command::Failed(err)) => {
                self.server.emit(ServerEvent::Error(err));
            }
            Wake::Command(Command::HandOver) => {
                self.listener = None;
            }
            Wake::Command(Command::Stop) => {
                self.listener = None;
                self.resolving = None;
                if let Some(path) = self.server.state().unlink.take() {
                    let _ = std::fs::remove_file(path);
                }
            }
            Wake::Command(Command::CloseIfDrained) => self.close_if_drained(),
            Wake::Command(Command::ConnectionClosed) => {
                let drained = {
                    let mut st = self.server.state();
                    st.connections = st.connections.saturating_sub(1);
                    let drained = st.connections == 0 && !st.listening && st.close_pending > 0;
                    if drained {
                        st.close_pending = 0;
                    }
                    drained
                };
                if drained {
                    self.server.emit(ServerEvent::Close);
                }
            }
            Wake::Command(Command::GetConnections(cb)) => cb(self.server.connections()),
            Wake::Accepted(Ok(stream)) => self.accepted(stream),
            // After close() shut the socket down, accept fails: not an error.
            Wake::Accepted(Err(_)) if !self.server.state().listening => {}
            Wake::Accepted(Err(err)) => {
                let err = Error::system(err, "accept", None, None, false);
                self.server.emit(ServerEvent::Error(err));
            }
        }
    }

    fn close_if_drained(&mut self) {
        let drained = {
            let mut st = self.server.state();
            let drained = !st.listening && st.connections == 0 && st.close_pending > 0;
            if drained {
                st.close_pending -= 1;
            }
            drained
        };
        if drained {
            self.server.emit(ServerEvent::Close);
        }
    }

    fn accepted(&mut self, stream: Stream) {
        let (listening, full) = {
            let st = self.server.state();
            let full =
                matches!(st.max_connections, Some(m) if m > 0 && st.connections >= m as usize);
            (st.listening, full)
        };
        if !listening {
            return; // closed while this connection waited for the turn
        }
        if full {
            let info = match (stream.local_inet(), stream.remote_inet()) {
                (Some(l), Some(r)) => Some(DropInfo {
                    local: l.into(),
                    remote: r.into(),
                }),
                _ => None,
            };
            drop(stream);
            self.server.emit(ServerEvent::Drop(info));
            return;
        }
        self.server.state().connections += 1;
        let options = &self.server.inner.options;
        let socket_options = SocketOptions {
            allow_half_open: options.allow_half_open,
            no_delay: options.no_delay,
            keep_alive: options.keep_alive,
            keep_alive_initial_delay: options.keep_alive_initial_delay,
            high_water_mark: options.high_water_mark,
        };
        let commands = self.server.inner.commands.clone();
        let socket = Socket::accepted(
            &self.server.inner.event_loop,
            socket_options,
            stream,
            options.pause_on_connect,
            Box::new(move || {
                let _ = commands.try_send(Command::ConnectionClosed);
            }),
        );
        self.server.emit(ServerEvent::Connection(socket));
    }
}

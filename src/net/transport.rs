//! The byte pipes under a [`Socket`](super::Socket): a [`Transport`] trait
//! with its TCP and Unix-domain implementations, and the helpers that make
//! one (`connect()`'s lookup and connect, `localAddress` binding, Unix path
//! cutting).
//!
//! Everything here is I/O and nothing here is Node's stream rules: the
//! socket task (`socket/task.rs`) moves bytes between a transport and the
//! [`stream`](crate::stream) state machines. A second transport (TLS) plugs
//! in by implementing [`Transport`].

use std::future::Future;
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_std::io::{Read as _, Write as _};
use async_std::net::TcpStream;
#[cfg(unix)]
use async_std::os::unix::net::UnixStream;

use super::ip::is_ip;
use super::socket::{ConnectOptions, SocketEvent};
use crate::dns::{self, Family};
use crate::error::Error;

/// Where a transport's end is.
#[derive(Debug, Clone)]
pub(crate) enum Endpoint {
    Inet(SocketAddr),
    /// A Unix socket; Node reports no address for it.
    Path,
}

impl Endpoint {
    /// The IP address and port, if this is one.
    pub(crate) fn inet(self) -> Option<SocketAddr> {
        match self {
            Endpoint::Inet(a) => Some(a),
            Endpoint::Path => None,
        }
    }
}

/// A connected, non-blocking byte stream, polled by the socket task.
///
/// Methods take `&mut self` so a transport with state of its own (TLS)
/// fits; the options TCP alone has are no-ops by default.
pub(crate) trait Transport: Send + 'static {
    /// Reads into `buf`; `Ok(0)` is the peer's end of stream.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    /// Writes from `buf`, possibly partly.
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    /// Sends the end of stream (FIN); reading goes on (`end()` half-closes).
    fn shutdown_write(&mut self) -> io::Result<()>;
    /// Makes the close that follows abortive (`resetAndDestroy()`: TCP's
    /// `SO_LINGER` 0, so the kernel sends RST instead of FIN).
    fn reset(&mut self) {}
    /// `setNoDelay()`.
    fn set_no_delay(&self, _on: bool) {}
    /// `setKeepAlive()`.
    fn set_keep_alive(&self, _on: bool, _delay_ms: u64) {}
    /// This end's address.
    fn local(&self) -> Option<Endpoint>;
    /// The peer's address.
    fn remote(&self) -> Option<Endpoint>;
    /// A Unix domain socket (`resetAndDestroy()` refuses those).
    fn is_unix(&self) -> bool {
        false
    }
    /// What a transport with a protocol of its own (TLS) has to report:
    /// polled whether or not the socket reads, and run by the socket task
    /// in its turn, before the data read after it. Plain transports have
    /// nothing to say.
    fn poll_notice(&mut self, _cx: &mut Context<'_>) -> Poll<Notice> {
        Poll::Pending
    }
    /// After a read that returned data: whether the end of the stream is
    /// already known too (TLS: a close_notify processed with the data),
    /// so the socket ends in the same turn, as Node's TLSWrap reports
    /// both from one read.
    fn eof_pending(&mut self) -> bool {
        false
    }
}

/// A transport of any kind, as the socket task owns it.
pub(crate) type BoxTransport = Box<dyn Transport>;

/// A transport whose first reads return bytes another socket read from it
/// already (a connection taken over).
pub(crate) struct Prefixed {
    pub(crate) bytes: Vec<u8>,
    pub(crate) inner: BoxTransport,
}

impl Transport for Prefixed {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if self.bytes.is_empty() {
            return self.inner.poll_read(cx, buf);
        }
        let n = buf.len().min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes.drain(..n);
        Poll::Ready(Ok(n))
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.inner.poll_write(cx, buf)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.inner.shutdown_write()
    }

    crate::net::transport::delegate_to_inner!();
}

/// The methods of a transport over another (`self.inner`) that are the
/// inner one's: the socket options, the addresses, the reset.
macro_rules! delegate_to_inner {
    () => {
        fn reset(&mut self) {
            self.inner.reset()
        }

        fn set_no_delay(&self, on: bool) {
            self.inner.set_no_delay(on)
        }

        fn set_keep_alive(&self, on: bool, delay_ms: u64) {
            self.inner.set_keep_alive(on, delay_ms)
        }

        fn local(&self) -> Option<$crate::net::transport::Endpoint> {
            self.inner.local()
        }

        fn remote(&self) -> Option<$crate::net::transport::Endpoint> {
            self.inner.remote()
        }

        fn is_unix(&self) -> bool {
            self.inner.is_unix()
        }
    };
}
pub(crate) use delegate_to_inner;

/// Something a transport reports (see [`Transport::poll_notice`]): run
/// with the socket in the socket's turn.
pub(crate) type Notice = Box<dyn FnOnce(&super::Socket) + Send>;

/// Puts a transport under another (TLS over TCP): given to a socket
/// before it connects, or to a server for what it accepts.
#[derive(Clone)]
pub struct Layer(pub(crate) Arc<dyn Fn(BoxTransport) -> BoxTransport + Send + Sync>);

impl std::fmt::Debug for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Layer")
    }
}

impl Transport for TcpStream {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(self).poll_read(cx, buf)
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(self).poll_write(cx, buf)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }

    fn reset(&mut self) {
        let _ = socket2::SockRef::from(&*self).set_linger(Some(Duration::ZERO));
    }

    fn set_no_delay(&self, on: bool) {
        let _ = self.set_nodelay(on);
    }

    fn set_keep_alive(&self, on: bool, delay_ms: u64) {
        let sock = socket2::SockRef::from(self);
        let _ = sock.set_keepalive(on);
        if on && delay_ms >= 1000 {
            let ka = socket2::TcpKeepalive::new().with_time(Duration::from_secs(delay_ms / 1000));
            let _ = sock.set_tcp_keepalive(&ka);
        }
    }

    fn local(&self) -> Option<Endpoint> {
        self.local_addr().ok().map(Endpoint::Inet)
    }

    fn remote(&self) -> Option<Endpoint> {
        self.peer_addr().ok().map(Endpoint::Inet)
    }
}

#[cfg(unix)]
impl Transport for UnixStream {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(self).poll_read(cx, buf)
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(self).poll_write(cx, buf)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }

    fn local(&self) -> Option<Endpoint> {
        Some(Endpoint::Path)
    }

    fn remote(&self) -> Option<Endpoint> {
        Some(Endpoint::Path)
    }

    fn is_unix(&self) -> bool {
        true
    }
}

/// The longest Unix socket path the platform's `sockaddr_un` takes with a
/// terminating NUL (`sizeof(sun_path) - 1`).
#[cfg(unix)]
const SUN_PATH_MAX: usize = if cfg!(any(target_os = "linux", target_os = "android")) {
    107
} else {
    103
};

/// A Unix socket path as Node 20 hands it to the kernel. libuv before
/// 1.48 copies at most `sizeof(sun_path)` bytes into `sun_path` and
/// silently drops the rest; nothing is reported. socket2 and std refuse a
/// path without room for a NUL, so this cuts one byte earlier than libuv
/// (107 bytes on Linux instead of 108): an emulation that binds and
/// connects a long path under the same (cut) name, as Node does, though
/// the file's name is one byte shorter than Node's.
#[cfg(unix)]
pub(crate) fn sun_path(path: &std::path::Path) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let cut = &bytes[..bytes.len().min(SUN_PATH_MAX)];
    PathBuf::from(std::ffi::OsStr::from_bytes(cut))
}

/// `EINPROGRESS`, a non-blocking connect under way (std's
/// `ErrorKind::InProgress` is not stable yet).
#[cfg(any(target_os = "linux", target_os = "android"))]
const EINPROGRESS: i32 = 115;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const EINPROGRESS: i32 = 36;

/// `connect()` under way.
pub(crate) type ConnectFuture = Pin<Box<dyn Future<Output = Connected> + Send>>;

/// The outcome of `connect()`: the events of the way there, in Node's
/// order (`lookup`, then each `connectionAttempt` and how it ended), and
/// the transport.
pub(crate) struct Connected {
    pub(crate) events: Vec<SocketEvent>,
    pub(crate) result: Result<BoxTransport, Error>,
}

/// How long each attempt of a connection to several addresses may take
/// before the next one starts (Node's `autoSelectFamilyAttemptTimeout`
/// default, and its floor).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(250);
const ATTEMPT_TIMEOUT_MIN: Duration = Duration::from_millis(10);

/// Starts `socket.connect(options)` as Node does on the tick after the
/// call: an IP literal with a single address is bound (a failure makes no
/// attempt) and its `connectionAttempt` is due at once, before anything
/// else the socket emits later (a `resume` its first `data` listener
/// scheduled); the returned future connects. A host name is looked up
/// first, so everything is in the future's events.
pub(crate) fn start(options: ConnectOptions) -> (Vec<SocketEvent>, ConnectFuture) {
    if let ConnectOptions::Tcp {
        host,
        port,
        local_address,
        local_port,
        ..
    } = &options
        && is_ip(host) != 0
        && let Some(ip) = dns::ip_literal(host)
    {
        let addr = SocketAddr::new(ip, *port);
        let local = (local_address.is_some() || local_port.is_some())
            .then(|| (*local_address, local_port.unwrap_or(0)));
        return match bind_local(addr, local) {
            Err(e) => (
                Vec::new(),
                Box::pin(async move {
                    Connected {
                        events: Vec::new(),
                        result: Err(e),
                    }
                }),
            ),
            Ok(bound) => (
                vec![attempt_event(addr)],
                Box::pin(async move {
                    match connect_from(bound, addr).await {
                        Ok(s) => Connected {
                            events: Vec::new(),
                            result: Ok(Box::new(s)),
                        },
                        Err(e) => Connected {
                            events: vec![failed_event(addr, e.clone())],
                            result: Err(e),
                        },
                    }
                }),
            ),
        };
    }
    (Vec::new(), Box::pin(open(options)))
}

/// Resolves and connects as `socket.connect(options)` does. A Unix
/// socket's `connectionAttempt` is not among the events: Node emits it
/// inside `connect()` itself (see `Socket::connect`).
pub(crate) async fn open(options: ConnectOptions) -> Connected {
    match options {
        ConnectOptions::Path(path) => {
            let shown = path.display().to_string();
            let result = connect_unix(&path)
                .await
                .map_err(|e| Error::system(e, "connect", Some(&shown), None, false));
            let events = match &result {
                // afterConnect: (req.address, req.port, req.addressType, ex),
                // the middle two undefined for a pipe.
                Err(e) => vec![SocketEvent::ConnectionAttemptFailed {
                    ip: shown.clone(),
                    port: None,
                    family: None,
                    error: e.clone(),
                }],
                Ok(_) => Vec::new(),
            };
            Connected { events, result }
        }
        ConnectOptions::Tcp {
            host,
            port,
            local_address,
            local_port,
            family,
            auto_select_family,
            attempt_timeout,
        } => {
            let mut events = Vec::new();
            // Only what `net.isIP` accepts skips the lookup.
            let literal = (is_ip(&host) != 0)
                .then(|| dns::ip_literal(&host))
                .flatten();
            // lookupAndConnect: autoSelectFamily applies to a host name
            // looked up without a family or a localAddress.
            let multiple = literal.is_none()
                && family.is_none()
                && local_address.is_none()
                && auto_select_family;
            let ips = match literal {
                Some(ip) => vec![ip],
                None => match dns::lookup(&host, family).await {
                    Ok(ips) => {
                        // One 'lookup' per address with `all: true`, else
                        // one for the address dns.lookup gives.
                        let reported = if multiple { ips.len() } else { 1 };
                        for ip in &ips[..reported] {
                            events.push(SocketEvent::Lookup {
                                error: None,
                                address: Some(ip.to_string()),
                                family: Some(Family::of(ip)),
                                host: host.clone(),
                            });
                        }
                        ips
                    }
                    Err(err) => {
                        events.push(SocketEvent::Lookup {
                            error: Some(err.clone()),
                            address: None,
                            family: None,
                            host,
                        });
                        return Connected {
                            events,
                            result: Err(err),
                        };
                    }
                },
            };
            let local = (local_address.is_some() || local_port.is_some())
                .then(|| (local_address, local_port.unwrap_or(0)));
            let result = if multiple && ips.len() > 1 {
                let timeout = attempt_timeout.max(ATTEMPT_TIMEOUT_MIN);
                connect_multiple(&alternate(ips), port, local_port, timeout, &mut events).await
            } else {
                connect_single(SocketAddr::new(ips[0], port), local, &mut events).await
            };
            Connected { events, result }
        }
    }
}

fn attempt_event(addr: SocketAddr) -> SocketEvent {
    SocketEvent::ConnectionAttempt {
        ip: addr.ip().to_string(),
        port: Some(addr.port()),
        family: Some(Family::of(&addr.ip())),
    }
}

fn failed_event(addr: SocketAddr, error: Error) -> SocketEvent {
    SocketEvent::ConnectionAttemptFailed {
        ip: addr.ip().to_string(),
        port: Some(addr.port()),
        family: Some(Family::of(&addr.ip())),
        error,
    }
}

/// Node's `internalConnect`: bind (a failure ends it with no attempt
/// event), `connectionAttempt`, connect.
async fn connect_single(
    addr: SocketAddr,
    local: Option<(Option<IpAddr>, u16)>,
    events: &mut Vec<SocketEvent>,
) -> Result<BoxTransport, Error> {
    let bound = bind_local(addr, local)?;
    events.push(attempt_event(addr));
    match connect_from(bound, addr).await {
        Ok(s) => Ok(Box::new(s)),
        Err(e) => {
            events.push(failed_event(addr, e.clone()));
            Err(e)
        }
    }
}

/// Node's `internalConnectMultiple` (happy eyeballs): each address in turn,
/// every one but the last given `timeout` before the next starts; when all
/// failed, one `AggregateError` of their errors.
async fn connect_multiple(
    addrs: &[IpAddr],
    port: u16,
    local_port: Option<u16>,
    timeout: Duration,
    events: &mut Vec<SocketEvent>,
) -> Result<BoxTransport, Error> {
    use async_std::prelude::FutureExt as _;
    let mut errors = Vec::new();
    for (i, ip) in addrs.iter().enumerate() {
        let addr = SocketAddr::new(*ip, port);
        // Only a localPort binds here: a localAddress disables this path.
        let bound = match bind_local(addr, local_port.map(|p| (None, p))) {
            Ok(b) => b,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        events.push(attempt_event(addr));
        let last = i + 1 == addrs.len();
        let outcome = if last {
            Some(connect_from(bound, addr).await)
        } else {
            connect_from(bound, addr).timeout(timeout).await.ok()
        };
        match outcome {
            Some(Ok(s)) => return Ok(Box::new(s)),
            Some(Err(e)) => {
                events.push(failed_event(addr, e.clone()));
                errors.push(e);
            }
            None => {
                events.push(SocketEvent::ConnectionAttemptTimeout {
                    ip: ip.to_string(),
                    port: Some(port),
                    family: Some(Family::of(ip)),
                });
                let ip = ip.to_string();
                errors.push(Error::system(
                    io::Error::from(io::ErrorKind::TimedOut),
                    "connect",
                    Some(&ip),
                    Some(port.into()),
                    false,
                ));
            }
        }
    }
    if errors.is_empty() {
        return Err(Error::plain(
            "ERR_SOCKET_CONNECTION_TIMEOUT",
            "Socket connection timeout",
        ));
    }
    Err(Error::aggregate(errors))
}

/// The order happy eyeballs tries addresses in: the family of the first
/// address first, then alternating, each address once.
pub(crate) fn alternate(ips: Vec<IpAddr>) -> Vec<IpAddr> {
    let first_v6 = ips.first().is_some_and(IpAddr::is_ipv6);
    let mut groups: [Vec<IpAddr>; 2] = [Vec::new(), Vec::new()];
    for ip in ips {
        let group = usize::from(ip.is_ipv6() != first_v6);
        if !groups[group].contains(&ip) {
            groups[group].push(ip);
        }
    }
    let [a, b] = groups;
    let mut out = Vec::new();
    for i in 0..a.len().max(b.len()) {
        out.extend(a.get(i));
        out.extend(b.get(i));
    }
    out
}

#[cfg(unix)]
async fn connect_unix(path: &std::path::Path) -> io::Result<BoxTransport> {
    UnixStream::connect(sun_path(path))
        .await
        .map(|s| Box::new(s) as BoxTransport)
}

#[cfg(not(unix))]
async fn connect_unix(_path: &std::path::Path) -> io::Result<BoxTransport> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "Unix sockets are not supported",
    ))
}

/// With `local`, a TCP socket bound to that address and port for a
/// connection to `addr`, as libuv's `uv_tcp_bind()` does (with
/// `SO_REUSEADDR`; an address of the wrong family is `EINVAL`). Bind
/// failures are errors of syscall `bind` about the local address, as Node's
/// `internalConnect()` reports them.
fn bind_local(
    addr: SocketAddr,
    local: Option<(Option<IpAddr>, u16)>,
) -> Result<Option<socket2::Socket>, Error> {
    let Some((local_ip, local_port)) = local else {
        return Ok(None);
    };
    let local_ip = local_ip.unwrap_or(match addr {
        SocketAddr::V4(_) => IpAddr::from([0, 0, 0, 0]),
        SocketAddr::V6(_) => IpAddr::from([0u16; 8]),
    });
    let bind_failed = |e: io::Error| {
        let ip = local_ip.to_string();
        Error::system(e, "bind", Some(&ip), Some(local_port.into()), false)
    };
    if local_ip.is_ipv4() != addr.is_ipv4() {
        return Err(bind_failed(io::ErrorKind::InvalidInput.into()));
    }
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .map_err(bind_failed)?;
    socket.set_reuse_address(true).map_err(bind_failed)?;
    socket
        .bind(&SocketAddr::new(local_ip, local_port).into())
        .map_err(bind_failed)?;
    Ok(Some(socket))
}

/// A TCP connection to `addr`, from `bound` if a socket was bound first.
pub(crate) async fn connect_from(
    bound: Option<socket2::Socket>,
    addr: SocketAddr,
) -> Result<TcpStream, Error> {
    let connect_failed = |e: io::Error| {
        let ip = addr.ip().to_string();
        Error::system(e, "connect", Some(&ip), Some(addr.port().into()), false)
    };
    let Some(socket) = bound else {
        return TcpStream::connect(addr).await.map_err(connect_failed);
    };
    // async-std cannot connect a socket it did not create: connect without
    // blocking and wait until the socket is writable, as it does itself.
    let socket = async_io::Async::new(socket).map_err(connect_failed)?;
    match socket.get_ref().connect(&addr.into()) {
        Ok(()) => {}
        Err(e)
            if e.raw_os_error() == Some(EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock =>
        {
            socket.writable().await.map_err(connect_failed)?;
            if let Some(e) = socket.get_ref().take_error().map_err(connect_failed)? {
                return Err(connect_failed(e));
            }
        }
        Err(e) => return Err(connect_failed(e)),
    }
    let socket = socket.into_inner().map_err(connect_failed)?;
    Ok(TcpStream::from(std::net::TcpStream::from(socket)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn happy_eyeballs_alternates_families_from_the_first() {
        let order = alternate(vec![
            ip("::1"),
            ip("::2"),
            ip("127.0.0.1"),
            ip("::1"),
            ip("127.0.0.2"),
        ]);
        assert_eq!(
            order,
            vec![ip("::1"), ip("127.0.0.1"), ip("::2"), ip("127.0.0.2")]
        );
    }

    /// A refused address, then one that listens: attempt, failure,
    /// attempt, success. All refused: one AggregateError with the first
    /// error's code.
    #[async_std::test]
    async fn several_addresses_are_tried_in_turn() {
        // Only 127.0.0.1 listens on `port`: 127.0.0.2 (loopback too)
        // refuses it.
        let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = open.local_addr().unwrap().port();
        let mut events = Vec::new();
        let result = connect_multiple(
            &[ip("127.0.0.2"), ip("127.0.0.1")],
            port,
            None,
            ATTEMPT_TIMEOUT,
            &mut events,
        )
        .await;
        assert!(result.is_ok());
        let names: Vec<&str> = events
            .iter()
            .map(|e| crate::events::EventKind::name(crate::events::Event::kind(e)))
            .collect();
        assert_eq!(
            names,
            [
                "connectionAttempt",
                "connectionAttemptFailed",
                "connectionAttempt"
            ]
        );
        drop(open);
        let mut events = Vec::new();
        let err = connect_multiple(
            &[ip("127.0.0.2"), ip("127.0.0.1")],
            port,
            None,
            ATTEMPT_TIMEOUT,
            &mut events,
        )
        .await
        .err()
        .expect("every address refuses");
        assert_eq!(err.name(), "AggregateError");
        assert_eq!(err.code(), "ECONNREFUSED");
        assert_eq!(err.errors().len(), 2);
        assert_eq!(events.len(), 4);
    }
}

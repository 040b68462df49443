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
}

/// A transport of any kind, as the socket task owns it.
pub(crate) type BoxTransport = Box<dyn Transport>;

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

/// The outcome of `connect()`: the lookup (for host names) and the
/// transport.
pub(crate) struct Connected {
    pub(crate) lookup: Option<SocketEvent>,
    pub(crate) result: Result<BoxTransport, Error>,
}

/// Resolves and connects as `socket.connect(options)` does.
pub(crate) async fn open(options: ConnectOptions) -> Connected {
    match options {
        ConnectOptions::Path(path) => {
            #[cfg(unix)]
            {
                let shown = path.display().to_string();
                let result = UnixStream::connect(sun_path(&path))
                    .await
                    .map(|s| Box::new(s) as BoxTransport)
                    .map_err(|e| Error::system(e, "connect", Some(&shown), None, false));
                Connected {
                    lookup: None,
                    result,
                }
            }
            #[cfg(not(unix))]
            {
                let _ = path;
                Connected {
                    lookup: None,
                    result: Err(Error::plain("ENOTSUP", "Unix sockets are not supported")),
                }
            }
        }
        ConnectOptions::Tcp {
            host,
            port,
            local_address,
            local_port,
            family,
        } => {
            // Only what `net.isIP` accepts skips the lookup.
            let literal = (is_ip(&host) != 0)
                .then(|| dns::ip_literal(&host))
                .flatten();
            let (candidates, lookup) = match literal {
                Some(ip) => (vec![SocketAddr::new(ip, port)], None),
                None => match dns::lookup(&host, family).await {
                    Ok(ips) => {
                        let first = ips[0];
                        let lookup = SocketEvent::Lookup {
                            error: None,
                            address: Some(first.to_string()),
                            family: Some(Family::of(&first)),
                            host: host.clone(),
                        };
                        let addrs = ips.into_iter().map(|ip| SocketAddr::new(ip, port));
                        (addrs.collect(), Some(lookup))
                    }
                    Err(err) => {
                        let lookup = SocketEvent::Lookup {
                            error: Some(err.clone()),
                            address: None,
                            family: None,
                            host,
                        };
                        return Connected {
                            lookup: Some(lookup),
                            result: Err(err),
                        };
                    }
                },
            };
            // Node's autoSelectFamily tries each address in turn and reports
            // the last failure; with a `family` or a `localAddress` it
            // connects to the first address only.
            let attempts = if family.is_some() || local_address.is_some() {
                1
            } else {
                candidates.len()
            };
            let local = (local_address.is_some() || local_port.is_some())
                .then(|| (local_address, local_port.unwrap_or(0)));
            let mut last = None;
            for addr in candidates.into_iter().take(attempts) {
                match connect_tcp(addr, local).await {
                    Ok(s) => {
                        return Connected {
                            lookup,
                            result: Ok(Box::new(s)),
                        };
                    }
                    Err(e) => last = Some(e),
                }
            }
            Connected {
                lookup,
                result: Err(last.expect("at least one candidate address")),
            }
        }
    }
}

/// A TCP connection to `addr`; with `local`, bound to that address and port
/// first, as libuv's `uv_tcp_bind()` does (with `SO_REUSEADDR`; an address
/// of the wrong family is `EINVAL`). Bind failures are errors of syscall
/// `bind` about the local address, as Node's `internalConnect()` reports
/// them.
pub(crate) async fn connect_tcp(
    addr: SocketAddr,
    local: Option<(Option<IpAddr>, u16)>,
) -> Result<TcpStream, Error> {
    let connect_failed = |e: io::Error| {
        let ip = addr.ip().to_string();
        Error::system(e, "connect", Some(&ip), Some(addr.port().into()), false)
    };
    let Some((local_ip, local_port)) = local else {
        return TcpStream::connect(addr).await.map_err(connect_failed);
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

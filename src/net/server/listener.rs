//! Listening sockets: binding (`listen(port, host)`, `listen(path)`),
//! adopting a handle (`listen(handle)`), and the accept loop that feeds the
//! per-server task with transports.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_io::Async;
use async_std::channel::{Receiver, Sender, bounded};
use async_std::net::TcpStream;
#[cfg(unix)]
use async_std::os::unix::net::UnixStream;

use super::{Command, ListenHandle, ServerAddress};
use crate::dns;
use crate::error::Error;
use crate::net::transport::BoxTransport;
#[cfg(unix)]
use crate::net::transport::sun_path;

#[derive(Debug)]
pub(super) enum Shared {
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
    pub(super) fn stop_listening(&self) {
        let _ = match self {
            Shared::Tcp(l) => socket2::SockRef::from(l).shutdown(std::net::Shutdown::Both),
            #[cfg(unix)]
            Shared::Unix(l, _) => socket2::SockRef::from(l).shutdown(std::net::Shutdown::Both),
        };
    }

    pub(super) fn try_clone(&self) -> io::Result<Shared> {
        Ok(match self {
            Shared::Tcp(l) => Shared::Tcp(l.try_clone()?),
            #[cfg(unix)]
            Shared::Unix(l, name) => Shared::Unix(l.try_clone()?, name.clone()),
        })
    }

    pub(super) fn address(&self) -> Option<ServerAddress> {
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
pub(super) enum Listener {
    Tcp(Async<std::net::TcpListener>),
    #[cfg(unix)]
    Unix(Async<std::os::unix::net::UnixListener>),
}

/// A running accept loop: a task accepts into `streams` until this value
/// is dropped, which closes the listening socket.
pub(super) struct Accepting {
    pub(super) streams: Receiver<io::Result<BoxTransport>>,
    _stop: Sender<()>,
}

impl Listener {
    /// Starts accepting. (A task of its own keeps one accept future alive
    /// across polls, so no readiness wake-up is lost.) The loop stops
    /// taking connections once `handed_over` is set.
    ///
    /// The channel to the server's task is bounded: a server whose task
    /// falls behind leaves connections in the kernel's backlog instead of
    /// holding their descriptors here. An accept error the server reports
    /// is followed by a pause (5 ms, doubling to 1 s while errors go on),
    /// so an error that persists does not spin a core.
    pub(super) fn start(self, handed_over: Arc<AtomicBool>) -> Accepting {
        use async_std::prelude::FutureExt as _;
        let (tx, streams) = bounded(ACCEPT_QUEUE);
        let (stop_tx, stop) = bounded::<()>(1);
        reserve_descriptor();
        crate::tasks::spawn(async move {
            let mut pause = MIN_PAUSE;
            loop {
                let accepted = self.accept(&handed_over);
                let result = match accepted.race(stopped(&stop)).await {
                    // The socket was shut down by close().
                    Some(Err(e)) if e.kind() == io::ErrorKind::InvalidInput => return,
                    Some(result) => result,
                    None => return,
                };
                let failed = result.is_err();
                let sent = async { Some(tx.send(result).await.is_ok()) };
                if sent.race(stopped(&stop)).await != Some(true) {
                    return;
                }
                if failed {
                    let paused = async {
                        async_std::task::sleep(pause).await;
                        Some(())
                    };
                    if paused.race(stopped(&stop)).await.is_none() {
                        return;
                    }
                    pause = (pause * 2).min(MAX_PAUSE);
                } else {
                    pause = MIN_PAUSE;
                }
            }
        });
        Accepting {
            streams,
            _stop: stop_tx,
        }
    }

    /// The next connection, or `None` once the handle was handed over.
    ///
    /// Two servers share the kernel socket after `server2.listen(server1)`
    /// until `server1`'s task notices, and both are woken by every
    /// connection. The flag is set synchronously by `server2.listen()` and
    /// read between readiness and `accept()`, so `server1` takes no
    /// connection made after the hand-over (found by stress runs of
    /// `net/listen/listen-handle-server`: `server1` accepted the client's
    /// connection and dropped it).
    ///
    /// Out of descriptors (`EMFILE`, `ENFILE`), it does what libuv's
    /// `uv__emfile_trick` does: frees the reserved descriptor, accepts and
    /// closes every waiting connection, takes the reserve back, and reports
    /// nothing. The clients see their connection closed; the server goes
    /// on serving the connections it has, and new ones once descriptors
    /// are free again. Without the trick, the waiting connections keep the
    /// socket readable and every accept fails at once, forever.
    async fn accept(&self, handed_over: &AtomicBool) -> Option<io::Result<BoxTransport>> {
        loop {
            let ready = match self {
                Listener::Tcp(l) => l.readable().await,
                #[cfg(unix)]
                Listener::Unix(l) => l.readable().await,
            };
            if let Err(e) = ready {
                return Some(Err(e));
            }
            if handed_over.load(Ordering::SeqCst) {
                return None;
            }
            match self.accept_now() {
                // Another server sharing the socket took it.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                // libuv ignores it: the peer gave up before the accept.
                Err(e) if e.raw_os_error() == Some(ECONNABORTED) => continue,
                Err(e) if matches!(e.raw_os_error(), Some(EMFILE | ENFILE)) => {
                    if self.shed_with_reserve() {
                        continue;
                    }
                    return Some(Err(e));
                }
                Ok(stream) => {
                    // libuv takes the reserve again whenever it can; a
                    // shed may have lost it to another thread.
                    if RESERVE_MISSING.load(Ordering::Relaxed) {
                        reserve_descriptor();
                    }
                    return Some(Ok(stream));
                }
                other => return Some(other),
            }
        }
    }

    fn accept_now(&self) -> io::Result<BoxTransport> {
        match self {
            Listener::Tcp(l) => l
                .get_ref()
                .accept()
                .map(|(s, _)| Box::new(TcpStream::from(s)) as BoxTransport),
            #[cfg(unix)]
            Listener::Unix(l) => l
                .get_ref()
                .accept()
                .map(|(s, _)| Box::new(UnixStream::from(s)) as BoxTransport),
        }
    }

    /// libuv's `uv__emfile_trick`: returns false if there was no reserve
    /// to free (the error is then the server's).
    fn shed_with_reserve(&self) -> bool {
        let mut reserve = RESERVE.lock().unwrap_or_else(|p| p.into_inner());
        if reserve.take().is_none() {
            return false;
        }
        loop {
            let accepted = match self {
                Listener::Tcp(l) => l.get_ref().accept().map(drop),
                #[cfg(unix)]
                Listener::Unix(l) => l.get_ref().accept().map(drop),
            };
            match accepted {
                Ok(()) => continue,
                Err(e) if e.raw_os_error() == Some(ECONNABORTED) => continue,
                Err(_) => break,
            }
        }
        *reserve = open_reserve();
        RESERVE_MISSING.store(reserve.is_none(), Ordering::Relaxed);
        true
    }
}

/// Resolves (to `None`) once the accept loop is told to stop.
async fn stopped<T>(stop: &Receiver<()>) -> Option<T> {
    let _ = stop.recv().await;
    None
}

/// How many accepted connections may wait for the server's task.
const ACCEPT_QUEUE: usize = 64;
const MIN_PAUSE: Duration = Duration::from_millis(5);
const MAX_PAUSE: Duration = Duration::from_secs(1);

// The platform's numbers (libuv's UV_EMFILE etc. are these, negated).
const ENFILE: i32 = rustix::io::Errno::NFILE.raw_os_error();
const EMFILE: i32 = rustix::io::Errno::MFILE.raw_os_error();
const ECONNABORTED: i32 = rustix::io::Errno::CONNABORTED.raw_os_error();

/// The process's reserved descriptor (libuv's `loop->emfile_fd`), freed
/// for a moment to shed connections when descriptors run out.
static RESERVE: Mutex<Option<std::fs::File>> = Mutex::new(None);

/// Set while the reserve could not be opened.
static RESERVE_MISSING: AtomicBool = AtomicBool::new(false);

/// Opens the reserve if it is not open: libuv opens it when the first
/// stream is initialised, so it is taken before descriptors run out.
fn reserve_descriptor() {
    let mut reserve = RESERVE.lock().unwrap_or_else(|p| p.into_inner());
    if reserve.is_none() {
        *reserve = open_reserve();
    }
    RESERVE_MISSING.store(reserve.is_none(), Ordering::Relaxed);
}

fn open_reserve() -> Option<std::fs::File> {
    // libuv: "/dev/null", else "/".
    std::fs::File::open("/dev/null")
        .or_else(|_| std::fs::File::open("/"))
        .ok()
}

/// Whether `[::]:0` can be bound (decides Node's default host).
pub fn ipv6_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| std::net::TcpListener::bind("[::]:0").is_ok())
}

pub(super) fn bind_tcp(
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

pub(super) fn bind_addr(
    addr: SocketAddr,
    backlog: i32,
    ipv6_only: bool,
) -> Result<(Shared, Listener), Error> {
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
        Listener::Tcp(Async::new(std_listener).map_err(fail)?),
    ))
}

#[cfg(unix)]
pub(super) fn bind_unix(path: &std::path::Path, backlog: i32) -> Result<(Shared, Listener), Error> {
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
    let listener = Listener::Unix(Async::new(std_listener).map_err(fail)?);
    Ok((Shared::Unix(shared, Some(shown)), listener))
}

#[cfg(not(unix))]
pub(super) fn bind_unix(
    path: &std::path::Path,
    _backlog: i32,
) -> Result<(Shared, Listener), Error> {
    let _ = path;
    Err(Error::plain("ENOTSUP", "Unix sockets are not supported"))
}

pub(super) fn adopt(handle: ListenHandle) -> Result<(Shared, Listener), Error> {
    let invalid = |e: io::Error| Error::system(e, "listen", None, None, true);
    let shared = match handle {
        ListenHandle::Server(other) => {
            // Synchronously: the other server's accept loop must take no
            // connection from now on (see Listener::accept).
            if let Some(flag) = other.state().handed_over.take() {
                flag.store(true, Ordering::SeqCst);
            }
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
        Shared::Tcp(l) => Listener::Tcp(Async::new(l).map_err(invalid)?),
        #[cfg(unix)]
        Shared::Unix(l, _) => Listener::Unix(Async::new(l).map_err(invalid)?),
    };
    Ok((shared, listener))
}

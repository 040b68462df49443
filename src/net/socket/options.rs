//! The plain types of [`Socket`](crate::net::Socket): its events, its options,
//! where it connects, its `readyState` and its addresses.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::dns::Family;
use crate::error::Error;
use crate::events::Event;
use crate::stream::Chunk;

/// An event of a [`Socket`](crate::net::Socket), named and shaped as in Node.
///
/// See <https://nodejs.org/api/net.html#class-netsocket>.
#[derive(Debug, Clone)]
pub enum SocketEvent {
    /// `'lookup'` `(err, address, family, host)`: a host name was resolved.
    /// Not emitted for IP literals or Unix sockets.
    Lookup {
        error: Option<Error>,
        address: Option<String>,
        family: Option<Family>,
        host: String,
    },
    /// `'connectionAttempt'` `(ip, port, family)`: a connection to this
    /// address is being tried (Node 20.12+). For a Unix socket `ip` is the
    /// path, `port` and `family` are absent — and Node emits it inside
    /// `connect()`, so only listeners added before the call see it.
    ConnectionAttempt {
        ip: String,
        port: Option<u16>,
        family: Option<Family>,
    },
    /// `'connectionAttemptFailed'` `(ip, port, family, error)`.
    ConnectionAttemptFailed {
        ip: String,
        port: Option<u16>,
        family: Option<Family>,
        error: Error,
    },
    /// `'connectionAttemptTimeout'` `(ip, port, family)`: with several
    /// addresses (`autoSelectFamily`), an attempt took longer than
    /// `autoSelectFamilyAttemptTimeout` and the next address is tried.
    ConnectionAttemptTimeout {
        ip: String,
        port: Option<u16>,
        family: Option<Family>,
    },
    /// `'connect'`: the connection is established.
    Connect,
    /// `'ready'`: emitted right after `'connect'`.
    Ready,
    /// `'data'` `(chunk)`.
    Data(Chunk),
    /// `'end'`: the peer sent FIN and all data was consumed.
    End,
    /// `'finish'`: `end()` was called and every write was flushed.
    Finish,
    /// `'timeout'`: the socket was idle for the `setTimeout` period.
    Timeout,
    /// `'drain'`: the write buffer emptied after `write()` returned false.
    Drain,
    /// `'error'` `(err)`; `'close'` with `had_error: true` follows.
    Error(Error),
    /// `'close'` `(hadError)`. `had_error` is `None` when the socket never
    /// had a connection (Node then emits `'close'` with no argument).
    Close { had_error: Option<bool> },
    /// `'pause'`: `pause()` switched the socket out of flowing mode.
    Pause,
    /// `'readable'`: data can be taken with [`Socket::read`] (paused
    /// mode: a `'readable'` listener stops the flow), or the stream ended.
    ///
    /// [`Socket::read`]: super::Socket::read
    Readable,
    /// `'resume'`: emitted after `resume()` (on Node's next tick), before
    /// the buffered data flows.
    Resume,
}

crate::event_kinds! {
    /// The Node event names of [`SocketEvent`].
    pub enum SocketEventKind {
        Close = "close",
        Connect = "connect",
        ConnectionAttempt = "connectionAttempt",
        ConnectionAttemptFailed = "connectionAttemptFailed",
        ConnectionAttemptTimeout = "connectionAttemptTimeout",
        Data = "data",
        Drain = "drain",
        End = "end",
        Error = "error",
        Finish = "finish",
        Lookup = "lookup",
        Pause = "pause",
        Readable = "readable",
        Ready = "ready",
        Resume = "resume",
        Timeout = "timeout",
    }
}

impl Event for SocketEvent {
    type Kind = SocketEventKind;
    fn kind(&self) -> SocketEventKind {
        match self {
            SocketEvent::Lookup { .. } => SocketEventKind::Lookup,
            SocketEvent::ConnectionAttempt { .. } => SocketEventKind::ConnectionAttempt,
            SocketEvent::ConnectionAttemptFailed { .. } => SocketEventKind::ConnectionAttemptFailed,
            SocketEvent::ConnectionAttemptTimeout { .. } => {
                SocketEventKind::ConnectionAttemptTimeout
            }
            SocketEvent::Connect => SocketEventKind::Connect,
            SocketEvent::Ready => SocketEventKind::Ready,
            SocketEvent::Data(_) => SocketEventKind::Data,
            SocketEvent::End => SocketEventKind::End,
            SocketEvent::Finish => SocketEventKind::Finish,
            SocketEvent::Timeout => SocketEventKind::Timeout,
            SocketEvent::Drain => SocketEventKind::Drain,
            SocketEvent::Error(_) => SocketEventKind::Error,
            SocketEvent::Close { .. } => SocketEventKind::Close,
            SocketEvent::Pause => SocketEventKind::Pause,
            SocketEvent::Readable => SocketEventKind::Readable,
            SocketEvent::Resume => SocketEventKind::Resume,
        }
    }
    fn error(&self) -> Option<&Error> {
        match self {
            SocketEvent::Error(e) => Some(e),
            _ => None,
        }
    }
}

/// Options of `new net.Socket([options])` that this implementation
/// supports.
///
/// See <https://nodejs.org/api/net.html#new-netsocketoptions>.
#[derive(Debug, Clone, Default)]
pub struct SocketOptions {
    /// Keep the writable side open after the peer ends (default false).
    pub allow_half_open: bool,
    /// Disable Nagle's algorithm once connected.
    pub no_delay: bool,
    /// Enable TCP keep-alive once connected.
    pub keep_alive: bool,
    /// Keep-alive initial delay in milliseconds.
    pub keep_alive_initial_delay: u64,
    /// The readable and writable high-water mark (default
    /// [`HIGH_WATER_MARK`](crate::stream::HIGH_WATER_MARK)).
    pub high_water_mark: Option<usize>,
}

/// Where `socket.connect()` goes.
///
/// See <https://nodejs.org/api/net.html#socketconnectoptions-connectlistener>.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectOptions {
    /// TCP: `host` is an IP literal or a name resolved like `dns.lookup`
    /// (Node's default host is `"localhost"`).
    Tcp {
        host: String,
        port: u16,
        /// `localAddress`: bind to this address before connecting. A
        /// failed bind is an `'error'` with syscall `bind`.
        local_address: Option<IpAddr>,
        /// `localPort`: bind to this port before connecting (with
        /// `0.0.0.0` or `::` when there is no `local_address`).
        local_port: Option<u16>,
        /// `family`: restricts the lookup of a host name to that family;
        /// `None` (Node's `0`) does not. IP literals ignore it.
        family: Option<Family>,
        /// `autoSelectFamily` (default true): a host name with several
        /// addresses is tried address by address, families alternating
        /// (happy eyeballs), when no `family` or `local_address` is given.
        auto_select_family: bool,
        /// `autoSelectFamilyAttemptTimeout`: how long each attempt but the
        /// last may take (default 250 ms, at least 10 ms).
        attempt_timeout: Duration,
    },
    /// A Unix domain socket path.
    Path(PathBuf),
}

impl ConnectOptions {
    /// `connect(port)`: TCP to `port` on `localhost`, Node's default host.
    pub fn port(port: u16) -> ConnectOptions {
        ConnectOptions::port_host(port, "localhost")
    }

    /// `connect(port, host)`: TCP to `host:port`, with no local address and
    /// any family (the same order as [`ListenOptions::port_host`]).
    ///
    /// [`ListenOptions::port_host`]: crate::net::ListenOptions::port_host
    pub fn port_host(port: u16, host: impl Into<String>) -> ConnectOptions {
        ConnectOptions::Tcp {
            host: host.into(),
            port,
            local_address: None,
            local_port: None,
            family: None,
            auto_select_family: true,
            attempt_timeout: crate::net::ATTEMPT_TIMEOUT,
        }
    }

    /// `connect(path)`: a Unix domain socket.
    pub fn path(path: impl Into<PathBuf>) -> ConnectOptions {
        ConnectOptions::Path(path.into())
    }
}

/// `socket.readyState`.
///
/// See <https://nodejs.org/api/net.html#socketreadystate>.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadyState {
    Opening,
    Open,
    ReadOnly,
    WriteOnly,
    Closed,
}

impl ReadyState {
    /// Node's string for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadyState::Opening => "opening",
            ReadyState::Open => "open",
            ReadyState::ReadOnly => "readOnly",
            ReadyState::WriteOnly => "writeOnly",
            ReadyState::Closed => "closed",
        }
    }
}

/// An address as `address()` reports it: `{address, family, port}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressInfo {
    /// The IP address, as text.
    pub address: String,
    /// Its family.
    pub family: Family,
    /// The port.
    pub port: u16,
}

impl From<SocketAddr> for AddressInfo {
    fn from(a: SocketAddr) -> AddressInfo {
        AddressInfo {
            address: a.ip().to_string(),
            family: Family::of(&a.ip()),
            port: a.port(),
        }
    }
}

//! The plain types of [`Server`]: its options, the forms of
//! `listen()`, its address and its events.

use std::path::PathBuf;

use super::Server;
use crate::error::Error;
use crate::events::Event;
use crate::net::{AddressInfo, Socket};

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
    /// Put over each accepted connection before its socket sees a byte
    /// (a TLS server's).
    pub layer: Option<crate::net::Layer>,
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
    fn error(&self) -> Option<&Error> {
        match self {
            ServerEvent::Error(e) => Some(e),
            _ => None,
        }
    }
}

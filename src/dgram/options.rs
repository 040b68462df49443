//! The values `node:dgram` takes and gives: socket types and options, bind
//! options, datagrams, the sender's address, events and callbacks.

use crate::dns::Family;
use crate::error::Error;

use super::Socket;

/// A socket type: Node's `'udp4'` or `'udp6'`.
///
/// Node throws `ERR_SOCKET_BAD_TYPE` for any other string; that check
/// belongs to the caller that turns a JavaScript value into a `Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// `'udp4'`: IPv4 only.
    Udp4,
    /// `'udp6'`: IPv6, and IPv4 through mapped addresses unless
    /// [`SocketOptions::ipv6_only`].
    Udp6,
}

impl Type {
    /// Node's string: `"udp4"` or `"udp6"` (`socket.type`).
    pub fn as_str(self) -> &'static str {
        match self {
            Type::Udp4 => "udp4",
            Type::Udp6 => "udp6",
        }
    }

    /// The type for Node's string, case-sensitive as in Node.
    pub fn from_name(name: &str) -> Option<Type> {
        match name {
            "udp4" => Some(Type::Udp4),
            "udp6" => Some(Type::Udp6),
            _ => None,
        }
    }

    /// The address family this type's lookups ask for (`dns.lookup(host,
    /// 4)` for `udp4`).
    pub fn family(self) -> Family {
        match self {
            Type::Udp4 => Family::IPv4,
            Type::Udp6 => Family::IPv6,
        }
    }

    /// What `bind()` binds without an address: all interfaces.
    pub(super) fn any_address(self) -> &'static str {
        match self {
            Type::Udp4 => "0.0.0.0",
            Type::Udp6 => "::",
        }
    }

    /// What `send()` and `connect()` use without an address (Node's
    /// `lookup4`/`lookup6` in `lib/internal/dgram.js`).
    pub(super) fn loopback(self) -> &'static str {
        match self {
            Type::Udp4 => "127.0.0.1",
            Type::Udp6 => "::1",
        }
    }
}

/// The options of `dgram.createSocket(options)` this implementation
/// supports (not `lookup` nor `signal`).
///
/// # Checks the caller owns
///
/// Node validates `recvBufferSize` and `sendBufferSize` as unsigned 32-bit
/// integers when the socket is created (`ERR_OUT_OF_RANGE`,
/// `ERR_INVALID_ARG_TYPE`); a value above `u32::MAX` must be refused
/// before it gets here. As in Node, `Some(0)` means "leave the default".
///
/// See <https://nodejs.org/api/dgram.html#dgramcreatesocketoptions-callback>.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketOptions {
    /// `type`: `udp4` or `udp6`.
    pub kind: Type,
    /// `reuseAddr`: bind with `SO_REUSEADDR`, so that sockets that all set
    /// it can share a port.
    pub reuse_addr: bool,
    /// `ipv6Only`: bind with `IPV6_V6ONLY` (a `udp4` socket then fails to
    /// bind with `EINVAL`, as in Node).
    pub ipv6_only: bool,
    /// `recvBufferSize`: `SO_RCVBUF`, set when the socket is bound.
    pub recv_buffer_size: Option<usize>,
    /// `sendBufferSize`: `SO_SNDBUF`, set when the socket is bound.
    pub send_buffer_size: Option<usize>,
}

impl SocketOptions {
    /// `createSocket(type)`: no other option.
    pub fn new(kind: Type) -> SocketOptions {
        SocketOptions {
            kind,
            reuse_addr: false,
            ipv6_only: false,
            recv_buffer_size: None,
            send_buffer_size: None,
        }
    }
}

impl From<Type> for SocketOptions {
    fn from(kind: Type) -> SocketOptions {
        SocketOptions::new(kind)
    }
}

/// The arguments of `socket.bind([port][, address])` and
/// `socket.bind(options)`.
///
/// # Checks the caller owns
///
/// Node does not validate a bind port: its binding truncates any number to
/// 16 bits (`65536` is `0`, `-1` is `65535`) and anything else is `0`.
/// The `fd` form is not supported.
///
/// See <https://nodejs.org/api/dgram.html#socketbindoptions-callback>.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BindOptions {
    /// The port; `0` lets the system choose.
    pub port: u16,
    /// An IP literal or a host name, resolved for the socket's family.
    /// `None` or `""` is all interfaces (`0.0.0.0` or `::`).
    pub address: Option<String>,
    /// Only matters to a `cluster` worker; accepted and ignored.
    pub exclusive: bool,
}

impl BindOptions {
    /// `bind(port)`: all interfaces.
    pub fn port(port: u16) -> BindOptions {
        BindOptions {
            port,
            ..BindOptions::default()
        }
    }

    /// `bind(port, address)`.
    pub fn port_address(port: u16, address: impl Into<String>) -> BindOptions {
        BindOptions {
            port,
            address: Some(address.into()),
            exclusive: false,
        }
    }
}

/// What `send()` sends: one buffer, or a list of buffers sent together as
/// one datagram (Node's `send([buf1, buf2])`). An empty list sends an
/// empty datagram, as Node does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Datagram(pub Vec<Vec<u8>>);

impl Datagram {
    /// The datagram's size: the sum of its buffers.
    pub fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    /// Whether the datagram is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes on the wire.
    pub(super) fn concat(&self) -> Vec<u8> {
        self.0.concat()
    }
}

impl From<Vec<u8>> for Datagram {
    fn from(v: Vec<u8>) -> Datagram {
        Datagram(vec![v])
    }
}

impl From<&[u8]> for Datagram {
    fn from(v: &[u8]) -> Datagram {
        Datagram(vec![v.to_vec()])
    }
}

impl<const N: usize> From<&[u8; N]> for Datagram {
    fn from(v: &[u8; N]) -> Datagram {
        Datagram(vec![v.to_vec()])
    }
}

impl From<&str> for Datagram {
    fn from(s: &str) -> Datagram {
        Datagram(vec![s.as_bytes().to_vec()])
    }
}

impl From<String> for Datagram {
    fn from(s: String) -> Datagram {
        Datagram(vec![s.into_bytes()])
    }
}

impl From<Vec<Vec<u8>>> for Datagram {
    fn from(list: Vec<Vec<u8>>) -> Datagram {
        Datagram(list)
    }
}

/// The sender of a datagram, as `'message'` reports it (`rinfo`).
///
/// See <https://nodejs.org/api/dgram.html#event-message>.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteInfo {
    /// The sender's IP address. A `udp6` socket sees an IPv4 sender as
    /// `::ffff:127.0.0.1`, family IPv6.
    pub address: String,
    /// The family of `address`.
    pub family: Family,
    /// The sender's port.
    pub port: u16,
    /// The datagram's size in bytes.
    pub size: usize,
}

/// An event of a [`Socket`], named and shaped as in Node.
///
/// See <https://nodejs.org/api/dgram.html#class-dgramsocket>.
#[derive(Debug, Clone)]
pub enum SocketEvent {
    /// `'close'`: emitted once, on the tick after `close()`.
    Close,
    /// `'connect'`: `connect()` succeeded.
    Connect,
    /// `'error'` `(err)`. The socket stays open.
    Error(Error),
    /// `'listening'`: the socket is bound and receiving.
    Listening,
    /// `'message'` `(msg, rinfo)`: one datagram, whole.
    Message(Vec<u8>, RemoteInfo),
}

crate::event_kinds! {
    /// The Node event names of [`SocketEvent`].
    pub enum SocketEventKind {
        Close = "close",
        Connect = "connect",
        Error = "error",
        Listening = "listening",
        Message = "message",
    }
}

impl crate::events::Event for SocketEvent {
    type Kind = SocketEventKind;
    fn kind(&self) -> SocketEventKind {
        match self {
            SocketEvent::Close => SocketEventKind::Close,
            SocketEvent::Connect => SocketEventKind::Connect,
            SocketEvent::Error(_) => SocketEventKind::Error,
            SocketEvent::Listening => SocketEventKind::Listening,
            SocketEvent::Message(..) => SocketEventKind::Message,
        }
    }
    fn error(&self) -> Option<&Error> {
        match self {
            SocketEvent::Error(e) => Some(e),
            _ => None,
        }
    }
}

/// `send()`'s callback, with what Node passes it: `(None, Some(bytes))` on
/// success, `(Some(err), None)` when the send failed at once or the
/// address did not resolve, and `(Some(err), Some(bytes))` when a send the
/// kernel could not take at once failed later (Node's `afterSend`).
pub type SendCallback = Box<dyn FnOnce(Option<&Error>, Option<usize>) + Send>;

/// `connect()`'s callback: a once `'connect'` listener on success (called
/// with the socket and `None`); on failure it is removed and called with
/// the error instead of an `'error'` event.
pub type ConnectCallback = Box<dyn FnOnce(&Socket, Option<&Error>) + Send>;

/// The callback of `bind()` or `close()`: called with the socket (Node's
/// `this`) and no arguments.
pub type Callback = Box<dyn FnOnce(&Socket) + Send>;

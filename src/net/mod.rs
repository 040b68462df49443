//! The reference implementation of `node:net` on async-std: Node's names,
//! events and orderings, with Rust types.
//!
//! | Node | here |
//! |---|---|
//! | `net.createServer(opts, listener)` | [`create_server`] |
//! | `net.connect(...)`, `net.createConnection(...)` | [`connect`], [`create_connection`] |
//! | `net.Server` | [`Server`] |
//! | `net.Socket` | [`Socket`] |
//! | `socket.on('data', f)` | [`Socket::on_data`], [`Emits::on`]`(`[`SocketEventKind::Data`]`, f)` |
//! | `socket.on('readable', f)`, `socket.read([size])` | [`Emits::on`]`(`[`SocketEventKind::Readable`]`, f)`, [`Socket::read`] |
//! | `net.isIP`, `net.isIPv4`, `net.isIPv6` | [`is_ip`], [`is_ipv4`], [`is_ipv6`] |
//!
//! Events are delivered to listeners in Node's order, one at a time per
//! [`EventLoop`]; a listener may call any method of any socket or server.
//!
//! # Example: an echo server
//!
//! ```no_run
//! use nodecompat::net::{self, Emits, ListenOptions, ServerEventKind, ServerOptions};
//!
//! # async_std::task::block_on(async {
//! let server = net::create_server(ServerOptions::default(), |socket| {
//!     // The listener gets the socket as Node's `this`: no clone to hold.
//!     socket.on_data(|this, chunk| {
//!         this.write(chunk.as_bytes());
//!     });
//! });
//! server.listen(ListenOptions::port(7000))?;
//! server.next(ServerEventKind::Close).await;
//! # Ok::<(), net::Error>(())
//! # });
//! ```
//!
//! See <https://nodejs.org/api/net.html>.
//!
//! # Layout
//!
//! - `socket.rs`: the [`Socket`] handle; `socket/properties.rs` the
//!   properties it inherits from `stream.Readable` and `stream.Writable`;
//!   `socket/options.rs` its plain types; `socket/task.rs` the per-socket
//!   task (a transport, the [`stream`](crate::stream) state machines, and
//!   net's rules: connecting, `allowHalfOpen`, timeouts, closing).
//! - `transport.rs`: the byte pipes (TCP, Unix) and how to open one.
//! - `server.rs`: the [`Server`] handle; `server/options.rs` its plain
//!   types; `server/listener.rs` binding and the accept loop;
//!   `server/acceptor.rs` the per-server task.
//! - `ip.rs`: `net.isIP` and friends.

mod ip;
mod server;
mod socket;
pub(crate) mod transport;

pub use crate::dns::Family;
pub use crate::error::Error;
/// The name this module's error had before every module shared it.
pub type NetError = Error;
pub use crate::event_loop::{EventLoop, Turn};
pub use crate::events::{Emits, ListenerId};
pub use crate::stream::HIGH_WATER_MARK;
pub use crate::string_decoder::{Decoder, Encoding};
pub use ip::{is_ip, is_ipv4, is_ipv6};
pub use server::{
    DEFAULT_BACKLOG, DropInfo, ListenHandle, ListenOptions, Server, ServerAddress, ServerEvent,
    ServerEventKind, ServerOptions, ipv6_available,
};
pub use socket::{
    AddressInfo, Chunk, ConnectOptions, ReadyState, Socket, SocketEvent, SocketEventKind,
    SocketOptions, WriteCallback,
};
pub use transport::{ATTEMPT_TIMEOUT, Layer};

/// `net.createServer([options][, connectionListener])`: the listener is
/// added as a `'connection'` listener.
///
/// See <https://nodejs.org/api/net.html#netcreateserveroptions-connectionlistener>.
pub fn create_server(
    options: ServerOptions,
    connection_listener: impl Fn(&Socket) + Send + Sync + 'static,
) -> Server {
    let server = Server::new(options);
    server.on_connection(move |_, socket| connection_listener(socket));
    server
}

/// `net.connect(options)`: a new socket, already connecting.
///
/// See <https://nodejs.org/api/net.html#netconnect>.
pub fn connect(options: ConnectOptions) -> Socket {
    create_connection(options, SocketOptions::default())
}

/// `net.createConnection(options)`, with the socket options Node takes from
/// the same object.
///
/// See <https://nodejs.org/api/net.html#netcreateconnection>.
pub fn create_connection(options: ConnectOptions, socket_options: SocketOptions) -> Socket {
    let socket = Socket::new(socket_options);
    socket.connect(options);
    socket
}

#[cfg(test)]
mod tests;

//! The reference implementation of `node:dgram` on async-std: UDP sockets
//! with Node's events, orderings and errors.
//!
//! | Node | here |
//! |---|---|
//! | `dgram.createSocket(type or options)` | [`create_socket`], [`create_socket_in`] |
//! | `dgram.Socket` | [`Socket`] |
//! | `socket.on('message', f)` | [`Socket::on_message`], [`Emits::on`]`(`[`SocketEventKind::Message`]`, f)` |
//! | `socket.bind(port, address, cb)` | [`Socket::bind`], [`Socket::bind_with`] |
//! | `socket.send(msg, port, address, cb)` | [`Socket::send`] |
//! | `socket.connect(port, address, cb)` | [`Socket::connect`] |
//! | `socket.close(cb)` | [`Socket::close`], [`Socket::close_with`] |
//!
//! Events are delivered in Node's order, one at a time per [`EventLoop`];
//! a listener may call any method of any socket.
//!
//! # Layout
//!
//! - `options.rs`: the values the API takes and gives.
//! - `socket.rs`: [`Socket`], `lib/dgram.js` step by step: state, `bind()`,
//!   the queue, `close()`; `send.rs`: `send()` and `connect()`;
//!   `sockopt.rs`: the socket options.
//! - `handle.rs`: what Node's `UDPWrap` and libuv do with the system
//!   socket.
//! - `task.rs`: the per-socket task that runs Node's ticks and reads.
//!
//! # What the caller owns
//!
//! The JavaScript-level argument checks (types, `ERR_INVALID_ARG_TYPE`,
//! `ERR_SOCKET_BAD_TYPE`, `ERR_OUT_OF_RANGE` of the options, `offset` and
//! `length` of `send()`, Node's argument shuffling) belong to whoever turns
//! JavaScript values into these Rust values; each method says which checks
//! it leaves out. Checks that a Rust value can still fail (port `0`, no
//! port, a buffer size above `u32::MAX`) are made here, with Node's errors.
//! Where Node's JavaScript throws in the middle of a method, after part of
//! it ran, the socket offers the steps the caller needs: [`Socket::closed`]
//! (Node's `healthCheck`, which `setMulticastInterface()` runs before its
//! type check), [`Socket::connected`] (how `send()` reads its arguments),
//! and [`Socket::bind_lookup_throws`] (a `bind()` whose lookup throws).
//!
//! Not implemented: the `lookup` and `signal` options, `bind({fd})`,
//! `addSourceSpecificMembership()`/`dropSourceSpecificMembership()`, and
//! `cluster`.
//!
//! # Example: an echo server
//!
//! ```no_run
//! use nodecompat::dgram::{self, BindOptions, Emits, SocketEventKind, Type};
//!
//! # async_std::task::block_on(async {
//! let server = dgram::create_socket(Type::Udp4.into());
//! // The listener gets the socket as Node's `this`: no clone to hold.
//! server.on_message(|this, msg, rinfo| {
//!     let _ = this.send(msg, Some(rinfo.port), Some(&rinfo.address), None);
//! });
//! server.bind(BindOptions::port(41234))?;
//! server.next(SocketEventKind::Close).await;
//! # Ok::<(), dgram::Error>(())
//! # });
//! ```
//!
//! See <https://nodejs.org/api/dgram.html>.

mod handle;
mod options;
mod send;
mod socket;
mod sockopt;
mod task;

pub use crate::dns::Family;
pub use crate::error::Error;
pub use crate::event_loop::{EventLoop, Turn};
pub use crate::events::{Emits, ListenerId};
pub use crate::net::AddressInfo;
pub use options::{
    BindOptions, Callback, ConnectCallback, Datagram, RemoteInfo, SendCallback, SocketEvent,
    SocketEventKind, SocketOptions, Type,
};
pub use socket::Socket;

/// `dgram.createSocket(options)`: a new, unbound socket in the global
/// event loop. Nothing happens on the network until `bind()`, `send()` or
/// `connect()`.
///
/// Node's `createSocket(type, listener)` adds the listener with
/// `on('message', listener)`: call [`Socket::on_message`].
///
/// See <https://nodejs.org/api/dgram.html#dgramcreatesocketoptions-callback>.
pub fn create_socket(options: SocketOptions) -> Socket {
    create_socket_in(&EventLoop::global(), options)
}

/// `dgram.createSocket(options)` in `event_loop`: the socket emits during
/// its turns.
pub fn create_socket_in(event_loop: &EventLoop, options: SocketOptions) -> Socket {
    Socket::new_in(event_loop, options)
}

#[cfg(test)]
mod tests;

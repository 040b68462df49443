//! [`Socket`]: Node's `dgram.Socket`, following `lib/dgram.js` step by
//! step: the bind and connect states, the queue of operations made while
//! binding, and which step waits for a tick.
//!
//! This file has the socket's state, `bind()`, the queue and `close()`;
//! `send.rs` has `send()` and `connect()`, `sockopt.rs` the socket
//! options.
//!
//! A `Socket` is a cheap handle. Its state (Node's `kStateSymbol` object
//! and the libuv handle, see [`Handle`]) is behind a mutex, so every
//! synchronous call of Node (`address()`, `setTTL()`, the checks of
//! `send()`) is synchronous here too. Whatever Node does on a later tick
//! (`process.nextTick`, or a `dns.lookup` answer, which for an IP literal
//! also comes on the next tick) is sent to the socket's task
//! ([`super::task`]), which runs it during a turn of the socket's
//! [`EventLoop`], in order, after the current turn. The task also reads
//! datagrams and emits `'message'`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use async_std::channel::Sender;

use super::handle::{Handle, sockaddr};
use super::options::{
    BindOptions, Callback, ConnectCallback, Datagram, RemoteInfo, SendCallback, SocketEvent,
    SocketEventKind, SocketOptions, Type,
};
use super::task::{self, Command};
use crate::dns;
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::events::{Emits, Emitter, ListenerId};

/// Node's `dgram.Socket`. Clone it freely: every clone is the same socket.
///
/// See <https://nodejs.org/api/dgram.html#class-dgramsocket>.
///
/// # Node compatibility
///
/// - `bind()` returns at once; the socket is bound on a later tick (even
///   for an IP literal, which `dns.lookup` answers on the next tick), and
///   then emits `'listening'`. Until then `address()` fails with `EBADF`.
/// - The first `send()` or `connect()` of an unbound socket binds it (all
///   interfaces, random port), emits `'listening'`, and only then sends or
///   connects: operations made while a bind is pending wait in a queue
///   that a `'listening'` listener (added when the first one waits) runs.
///   A failed bind empties the queue: those operations never happen and
///   their callbacks are never called.
/// - `close()` closes the system socket at once (no `'message'` after it)
///   and emits `'close'` on the next tick. Sends whose address is still
///   being looked up are dropped, without their callback.
/// - Errors: a misuse is an `Err` (Node throws); a failed bind, a failed
///   lookup without callback, a failed `connect()` without callback and a
///   receive error (`ECONNREFUSED` on a connected socket) are `'error'`
///   events; a failed send goes only to its callback. The socket never
///   closes itself.
/// - Once a socket has scheduled anything (a bind, a send…), its task
///   holds it until `close()`, as Node's active handle does: a bound
///   socket keeps receiving even when the caller dropped every handle.
///   Listeners get the socket as their first argument (Node's `this`).
#[derive(Clone)]
pub struct Socket {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    emitter: Emitter<Socket, SocketEvent>,
    event_loop: EventLoop,
    options: SocketOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BindState {
    Unbound,
    Binding,
    Bound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ConnectState {
    Disconnected,
    Connecting,
    Connected,
}

/// Node's socket state, and the task's channel.
pub(super) struct State {
    /// Node's `state.handle` is not null: `close()` was not called.
    pub(super) open: bool,
    pub(super) handle: Handle,
    pub(super) receiving: bool,
    pub(super) bind_state: BindState,
    pub(super) connect_state: ConnectState,
    /// Operations waiting for a pending bind (Node's `state.queue`), and
    /// the `'listening'` listener that will run them.
    pub(super) queue: Option<(Vec<Queued>, ListenerId)>,
    /// Sends the kernel could not take at once (libuv's write queue).
    pub(super) send_queue: VecDeque<task::PendingSend>,
    pub(super) refed: bool,
    /// To the running task, if any.
    pub(super) task: Option<Sender<Command>>,
}

/// An operation made while a bind was pending.
pub(super) enum Queued {
    Send(Datagram, Option<u16>, Option<String>, Option<SendCallback>),
    Connect(u16, String, Option<ConnectCallback>),
    Close,
}

/// An `FnOnce` callback shared by listeners that are `Fn`.
pub(super) type Once<F> = Arc<Mutex<Option<F>>>;

pub(super) fn take<F>(once: &Once<F>) -> Option<F> {
    once.lock().unwrap_or_else(|p| p.into_inner()).take()
}

impl Socket {
    /// `dgram.createSocket(options)` in `event_loop`.
    pub(super) fn new_in(event_loop: &EventLoop, options: SocketOptions) -> Socket {
        Socket {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    open: true,
                    handle: Handle::default(),
                    receiving: false,
                    bind_state: BindState::Unbound,
                    connect_state: ConnectState::Disconnected,
                    queue: None,
                    send_queue: VecDeque::new(),
                    refed: true,
                    task: None,
                }),
                emitter: Emitter::default(),
                event_loop: event_loop.clone(),
                options,
            }),
        }
    }

    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on a later tick, in the task, during a turn.
    pub(super) fn tick(&self, f: impl FnOnce(&Socket) + Send + 'static) {
        task::schedule(self, Command::Tick(Box::new(f)));
    }

    /// Emits an event to the listeners ([`Emits::emit`]: an `'error'`
    /// nobody listens to is an uncaught exception).
    pub(super) fn emit(&self, event: SocketEvent) -> bool {
        if let SocketEvent::Error(_) = event {
            // Node's `errorMonitor` listener `onListenError`: a failed bind
            // drops the queued operations.
            let queue = self.state().queue.take();
            if let Some((_, flush)) = queue {
                self.inner.emitter.remove(flush);
            }
        }
        Emits::emit(self, &event)
    }

    /// The event loop this socket emits in.
    pub fn event_loop(&self) -> &EventLoop {
        &self.inner.event_loop
    }

    /// Whether two handles are the same socket.
    pub fn ptr_eq(&self, other: &Socket) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// `socket.type`.
    pub fn kind(&self) -> Type {
        self.inner.options.kind
    }

    /// Whether `close()` was called (Node's `healthCheck` fails: the
    /// handle is `null`). For callers that must check it before their own
    /// argument checks, as `setMulticastInterface()` does.
    pub fn closed(&self) -> bool {
        !self.state().open
    }

    /// Whether the socket is connected (Node's `connectState ===
    /// CONNECT_STATE_CONNECTED`): not while a `connect()` is in progress,
    /// and still after `close()`, which does not reset it. `send()` reads
    /// its arguments differently on a connected socket.
    pub fn connected(&self) -> bool {
        self.state().connect_state == ConnectState::Connected
    }

    /// `socket.on('message', listener)`, with the datagram and its sender.
    pub fn on_message(
        &self,
        listener: impl Fn(&Socket, &[u8], &RemoteInfo) + Send + Sync + 'static,
    ) -> ListenerId {
        self.on(SocketEventKind::Message, move |this, e| {
            if let SocketEvent::Message(msg, rinfo) = e {
                listener(this, msg, rinfo)
            }
        })
    }

    // --- bind ------------------------------------------------------------

    /// `socket.bind(options)`: `'listening'` or `'error'` follows.
    ///
    /// See <https://nodejs.org/api/dgram.html#socketbindoptions-callback>.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`;
    /// `ERR_SOCKET_ALREADY_BOUND` once a bind was started (even if it has
    /// not completed). A lookup or system failure is an `'error'` event
    /// instead (`getaddrinfo ENOTFOUND`, `bind EADDRINUSE 127.0.0.1:41234`),
    /// after which the socket may be bound again.
    pub fn bind(&self, options: BindOptions) -> Result<&Socket, Error> {
        self.bind_inner(options, None)
    }

    /// `socket.bind(options, callback)`.
    ///
    /// # Node compatibility
    ///
    /// The callback is a `'listening'` listener, called after the ones
    /// added before, with the socket. Node also adds an `'error'` listener
    /// that removes both if the bind fails: that callback is then never
    /// called, and the error counts as handled.
    pub fn bind_with(
        &self,
        options: BindOptions,
        callback: impl FnOnce(&Socket) + Send + 'static,
    ) -> Result<&Socket, Error> {
        self.bind_inner(options, Some(Box::new(callback)))
    }

    fn bind_inner(
        &self,
        options: BindOptions,
        callback: Option<Callback>,
    ) -> Result<&Socket, Error> {
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        crate::events::Emits::emitter(self).acted();
        {
            let mut st = self.state();
            if !st.open {
                return Err(Error::dgram_not_running());
            }
            if st.bind_state != BindState::Unbound {
                return Err(Error::socket_already_bound());
            }
            st.bind_state = BindState::Binding;
        }
        if let Some(callback) = callback {
            self.add_bind_callback(callback);
        }
        let address = match options.address {
            Some(a) if !a.is_empty() => a,
            _ => self.kind().any_address().to_string(),
        };
        let port = options.port;
        self.lookup(address, move |this, ip| this.bind_now(ip, port));
        Ok(self)
    }

    /// `socket.bind()` whose lookup throws synchronously: Node's
    /// `dns.lookup()` rejects an address that is not a string
    /// (`ERR_INVALID_ARG_TYPE` for the `"hostname"` argument) from inside
    /// `bind()`. Returns the error to throw.
    ///
    /// # Node compatibility
    ///
    /// By then `bind()` has made its checks and marked the socket as
    /// binding, and added the callback's listeners; nothing resets it: every
    /// later `bind()` fails with `ERR_SOCKET_ALREADY_BOUND`, and a later
    /// `send()` or `connect()` waits for a `'listening'` that never comes.
    ///
    /// # Errors
    ///
    /// Always: `ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`,
    /// `ERR_SOCKET_ALREADY_BOUND` once a bind was started, else `error`.
    pub fn bind_lookup_throws(&self, error: Error, callback: Option<Callback>) -> Error {
        {
            let mut st = self.state();
            if !st.open {
                return Error::dgram_not_running();
            }
            if st.bind_state != BindState::Unbound {
                return Error::socket_already_bound();
            }
            st.bind_state = BindState::Binding;
        }
        if let Some(callback) = callback {
            self.add_bind_callback(callback);
        }
        error
    }

    /// Node's `onListening` and `removeListeners` pair.
    fn add_bind_callback(&self, callback: Callback) {
        let ids: Once<(ListenerId, ListenerId)> = Arc::default();
        let remove = {
            let ids = ids.clone();
            move |this: &Socket| {
                if let Some((on_error, on_listening)) = take(&ids) {
                    this.off(on_error);
                    this.off(on_listening);
                }
            }
        };
        let on_error = self.on(SocketEventKind::Error, {
            let remove = remove.clone();
            move |this, _| remove(this)
        });
        let callback = Mutex::new(Some(callback));
        let on_listening = self.on(SocketEventKind::Listening, move |this, _| {
            remove(this);
            let callback = callback.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(cb) = callback {
                cb(this);
            }
        });
        *ids.lock().unwrap_or_else(|p| p.into_inner()) = Some((on_error, on_listening));
    }

    /// The lookup's answer for `bind()`: bind the system socket, or emit
    /// the error.
    fn bind_now(&self, ip: Result<String, Error>, port: u16) {
        let failure = {
            let mut st = self.state();
            if !st.open {
                return; // closed in the meantime
            }
            let bound = ip.and_then(|ip| {
                let options = &self.inner.options;
                sockaddr(options.kind, &ip, port)
                    .and_then(|addr| st.handle.bind(addr, options.reuse_addr, options.ipv6_only))
                    .map_err(|e| Error::system(e, "bind", Some(&ip), Some(port.into()), false))
            });
            match bound {
                Ok(()) => {
                    st.receiving = true;
                    st.bind_state = BindState::Bound;
                    None
                }
                Err(e) => {
                    st.bind_state = BindState::Unbound;
                    Some(e)
                }
            }
        };
        if let Some(err) = failure {
            self.emit(SocketEvent::Error(err));
            return;
        }
        // Node's startListening: the option sizes, then 'listening'. A
        // size the system refuses makes Node throw from its event loop: an
        // uncaught exception, and no 'listening' (the socket stays bound).
        let options = &self.inner.options;
        for (size, recv) in [
            (options.recv_buffer_size, true),
            (options.send_buffer_size, false),
        ] {
            if let Some(size) = size.filter(|s| *s != 0)
                && let Err(err) = self.buffer_size(size, recv)
            {
                self.inner.event_loop.report_uncaught(&err);
                return;
            }
        }
        self.emit(SocketEvent::Listening);
    }

    /// The socket's `lookup` (Node's `lookup4`/`lookup6`): an IP literal
    /// is answered on the next tick, a name once resolved for the socket's
    /// family; an empty address is the loopback address.
    pub(super) fn lookup(
        &self,
        address: String,
        then: impl FnOnce(&Socket, Result<String, Error>) + Send + 'static,
    ) {
        let address = if address.is_empty() {
            self.kind().loopback().to_string()
        } else {
            address
        };
        if dns::ip_literal(&address).is_some() {
            self.tick(move |this| then(this, Ok(address)));
            return;
        }
        let this = self.clone();
        let family = self.kind().family();
        crate::tasks::spawn(async move {
            let found = dns::lookup(&address, Some(family)).await;
            let ip = found.map(|ips| ips[0].to_string());
            this.tick(move |this| then(this, ip));
        });
    }

    /// Starts the implicit bind of `send()` and `connect()`.
    pub(super) fn bind_implicitly(&self) -> Result<(), Error> {
        if self.state().bind_state == BindState::Unbound {
            let options = BindOptions {
                exclusive: true,
                ..BindOptions::default()
            };
            self.bind_inner(options, None)?;
        }
        Ok(())
    }

    /// Node's `enqueue`: waits for `'listening'`. The first operation adds
    /// the `'listening'` listener that runs the queue (Node's
    /// `onListenSuccess`); an `'error'` drops the queue (see
    /// [`Socket::emit`]).
    ///
    /// Decided under the state lock the bind is completed under: a socket
    /// bound by now, with nothing queued, hands the operation back
    /// (`Err`) for the caller to carry out. Checked apart from the
    /// queueing, a caller outside the loop's turn could see the bind
    /// pending, then add its listener after the task had emitted
    /// `'listening'`: the operation never ran (a datagram sent by a unit
    /// test was lost so, about once in 60 runs of the lib tests).
    pub(super) fn enqueue(&self, operation: Queued) -> Result<(), Queued> {
        let mut st = self.state();
        if st.bind_state == BindState::Bound && st.queue.is_none() {
            return Err(operation);
        }
        match st.queue.as_mut() {
            Some((queue, _)) => queue.push(operation),
            None => {
                let flush = self
                    .inner
                    .emitter
                    .add(SocketEventKind::Listening, true, |this, _| {
                        this.flush_queue()
                    });
                st.queue = Some((vec![operation], flush));
            }
        }
        Ok(())
    }

    /// Node's `clearQueue`. What a queued operation throws (a second
    /// queued `close()`: `ERR_SOCKET_DGRAM_NOT_RUNNING`) is thrown from the
    /// `'listening'` emission in Node: an uncaught exception, and the
    /// operations queued after it never run.
    ///
    /// # Node compatibility
    ///
    /// Node's throw also skips the `'listening'` listeners added after
    /// this one (after the first queued operation); here they still run.
    fn flush_queue(&self) {
        let queue = self.state().queue.take();
        for operation in queue.map(|(q, _)| q).unwrap_or_default() {
            let done = match operation {
                Queued::Send(msg, port, address, cb) => {
                    self.send_inner(msg, port, address.as_deref(), cb)
                }
                Queued::Connect(port, address, cb) => self.connect_now(port, address, cb),
                Queued::Close => self.close_inner(None).map(|_| ()),
            };
            if let Err(err) = done {
                self.inner.event_loop.report_uncaught(&err);
                return;
            }
        }
    }

    // --- close -----------------------------------------------------------

    /// `socket.close()`: no more `'message'`; `'close'` on the next tick.
    ///
    /// See <https://nodejs.org/api/dgram.html#socketclosecallback>.
    ///
    /// # Node compatibility
    ///
    /// While a bind started by `send()` or `connect()` is pending, the
    /// close waits in the queue behind them: `'listening'` comes first,
    /// then the close, which drops the queued sends that are still being
    /// looked up. If that bind fails, the socket is not closed at all.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_DGRAM_NOT_RUNNING` when closed already.
    pub fn close(&self) -> Result<&Socket, Error> {
        self.close_inner(None)
    }

    /// `socket.close(callback)`: the callback is a `'close'` listener,
    /// added even when the close then fails (as in Node).
    pub fn close_with(
        &self,
        callback: impl FnOnce(&Socket) + Send + 'static,
    ) -> Result<&Socket, Error> {
        self.close_inner(Some(Box::new(callback)))
    }

    fn close_inner(&self, callback: Option<Callback>) -> Result<&Socket, Error> {
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        crate::events::Emits::emitter(self).acted();
        if let Some(cb) = callback {
            // `on`, not `once`: the listener stays after 'close'.
            let cb = Mutex::new(Some(cb));
            self.on(SocketEventKind::Close, move |this, _| {
                let cb = cb.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(cb) = cb {
                    cb(this);
                }
            });
        }
        let pending = {
            let mut st = self.state();
            if let Some((queue, _)) = st.queue.as_mut() {
                queue.push(Queued::Close);
                return Ok(self);
            }
            if !st.open {
                return Err(Error::dgram_not_running());
            }
            st.open = false;
            st.receiving = false;
            st.handle.close();
            std::mem::take(&mut st.send_queue)
        };
        self.tick(|this| {
            this.emit(SocketEvent::Close);
        });
        // libuv cancels the sends still in its queue, when the handle is
        // finally closed: after 'close'.
        for send in pending {
            send.cancel(self);
        }
        Ok(self)
    }

    // --- addresses -------------------------------------------------------

    /// `socket.address()`: the local address.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`; `getsockname EBADF`
    /// before the socket has a system socket (until its first bind
    /// reached the system, which is after `'listening'`'s tick started).
    pub fn address(&self) -> Result<crate::net::AddressInfo, Error> {
        let st = self.state();
        if !st.open {
            return Err(Error::dgram_not_running());
        }
        st.handle
            .local()
            .map_err(|e| Error::system(e, "getsockname", None, None, false))
    }

    /// `socket.remoteAddress()`: the connected peer.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`;
    /// `ERR_SOCKET_DGRAM_NOT_CONNECTED` unless connected.
    pub fn remote_address(&self) -> Result<crate::net::AddressInfo, Error> {
        let st = self.state();
        if !st.open {
            return Err(Error::dgram_not_running());
        }
        if st.connect_state != ConnectState::Connected {
            return Err(Error::dgram_not_connected());
        }
        st.handle
            .peer()
            .map_err(|e| Error::system(e, "getpeername", None, None, false))
    }
}

impl Emits for Socket {
    type Event = SocketEvent;
    fn emitter(&self) -> &Emitter<Socket, SocketEvent> {
        &self.inner.emitter
    }
    fn event_loop(&self) -> &EventLoop {
        &self.inner.event_loop
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.state();
        f.debug_struct("dgram::Socket")
            .field("type", &self.inner.options.kind)
            .field("open", &st.open)
            .field("bind_state", &st.bind_state)
            .field("connect_state", &st.connect_state)
            .finish()
    }
}

/// `rinfo` for a datagram of `size` bytes from `from`.
pub(super) fn remote_info(from: SocketAddr, size: usize) -> RemoteInfo {
    RemoteInfo {
        address: from.ip().to_string(),
        family: dns::Family::of(&from.ip()),
        port: from.port(),
        size,
    }
}

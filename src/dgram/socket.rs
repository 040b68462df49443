//! [`Socket`]: Node's `dgram.Socket`, following `lib/dgram.js` step by
//! step: the bind and connect states, the queue of operations made while
//! binding, and which step waits for a tick.
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
enum BindState {
    Unbound,
    Binding,
    Bound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnectState {
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
    bind_state: BindState,
    connect_state: ConnectState,
    /// Operations waiting for a pending bind (Node's `state.queue`), and
    /// the `'listening'` listener that will run them.
    queue: Option<(Vec<Queued>, ListenerId)>,
    /// Sends the kernel could not take at once (libuv's write queue).
    pub(super) send_queue: VecDeque<task::PendingSend>,
    refed: bool,
    /// To the running task, if any.
    pub(super) task: Option<Sender<Command>>,
}

/// An operation made while a bind was pending.
enum Queued {
    Send(Datagram, Option<u16>, Option<String>, Option<SendCallback>),
    Connect(u16, String, Option<ConnectCallback>),
    Close,
}

/// An `FnOnce` callback shared by listeners that are `Fn`.
type Once<F> = Arc<Mutex<Option<F>>>;

fn take<F>(once: &Once<F>) -> Option<F> {
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

    /// Emits an event to the listeners.
    pub(super) fn emit(&self, event: SocketEvent) -> bool {
        if let SocketEvent::Error(_) = event {
            // Node's `errorMonitor` listener `onListenError`: a failed bind
            // drops the queued operations.
            let queue = self.state().queue.take();
            if let Some((_, flush)) = queue {
                self.inner.emitter.remove(flush);
            }
        }
        self.inner.emitter.emit(self, &event)
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
        // Node's startListening: the option sizes, then 'listening'. (A
        // size the system refuses makes Node throw from its event loop, an
        // uncaught exception; here it is an 'error' instead of
        // 'listening'.)
        let options = &self.inner.options;
        for (size, recv) in [
            (options.recv_buffer_size, true),
            (options.send_buffer_size, false),
        ] {
            if let Some(size) = size.filter(|s| *s != 0)
                && let Err(err) = self.buffer_size(size, recv)
            {
                self.emit(SocketEvent::Error(err));
                return;
            }
        }
        self.emit(SocketEvent::Listening);
    }

    /// The socket's `lookup` (Node's `lookup4`/`lookup6`): an IP literal
    /// is answered on the next tick, a name once resolved for the socket's
    /// family; an empty address is the loopback address.
    fn lookup(
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
        async_std::task::spawn(async move {
            let found = dns::lookup(&address, Some(family)).await;
            let ip = found.map(|ips| ips[0].to_string());
            this.tick(move |this| then(this, ip));
        });
    }

    /// Starts the implicit bind of `send()` and `connect()`.
    fn bind_implicitly(&self) -> Result<(), Error> {
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
    fn enqueue(&self, operation: Queued) {
        let mut st = self.state();
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
    }

    /// Node's `clearQueue`. What a queued operation throws is dropped (in
    /// Node it is thrown from the `'listening'` emission: an uncaught
    /// exception).
    fn flush_queue(&self) {
        let queue = self.state().queue.take();
        for operation in queue.map(|(q, _)| q).unwrap_or_default() {
            let _ = match operation {
                Queued::Send(msg, port, address, cb) => {
                    self.send_inner(msg, port, address.as_deref(), cb)
                }
                Queued::Connect(port, address, cb) => self.connect_now(port, address, cb),
                Queued::Close => self.close_inner(None).map(|_| ()),
            };
        }
    }

    // --- send ------------------------------------------------------------

    /// `socket.send(msg, port, address, callback)`: sends one datagram.
    ///
    /// On a connected socket, `port` and `address` must be `None` (or
    /// Node's falsy `0` and `""`); otherwise `port` is required and a
    /// missing `address` is the loopback address (`127.0.0.1` or `::1`).
    /// An unbound socket is bound first (`'listening'` comes before the
    /// callback).
    ///
    /// See <https://nodejs.org/api/dgram.html#socketsendmsg-offset-length-port-address-callback>.
    ///
    /// # Errors
    ///
    /// In Node's order: `ERR_SOCKET_DGRAM_IS_CONNECTED` for an address on
    /// a connected socket, `ERR_SOCKET_BAD_PORT` for no port (or `0`) on
    /// an unconnected one, `ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`.
    /// Later failures go to the callback only: a system error such as
    /// `send EMSGSIZE 127.0.0.1:41234` (with no callback it is dropped, as
    /// in Node), or the lookup error of a host name (with no callback that
    /// one is an `'error'` event).
    ///
    /// # Checks the caller owns
    ///
    /// Node's argument shuffling (`send(msg, port)` on a connected socket
    /// takes `port` as the callback), `offset`/`length` slicing
    /// (`ERR_BUFFER_OUT_OF_BOUNDS`) and the types of `msg` and `address`
    /// (`ERR_INVALID_ARG_TYPE`); ports above 65535.
    pub fn send(
        &self,
        msg: impl Into<Datagram>,
        port: Option<u16>,
        address: Option<&str>,
        callback: Option<SendCallback>,
    ) -> Result<(), Error> {
        self.send_inner(msg.into(), port, address, callback)
    }

    fn send_inner(
        &self,
        msg: Datagram,
        port: Option<u16>,
        address: Option<&str>,
        callback: Option<SendCallback>,
    ) -> Result<(), Error> {
        let (open, connected) = {
            let st = self.state();
            (st.open, st.connect_state == ConnectState::Connected)
        };
        // Node tests `port || address`: 0 and "" are no port and address.
        let given_port = port;
        let port = port.filter(|p| *p != 0);
        let address = address.filter(|a| !a.is_empty());
        if connected && (port.is_some() || address.is_some()) {
            return Err(Error::dgram_is_connected());
        }
        if !connected && port.is_none() {
            return Err(Error::socket_bad_port(given_port));
        }
        if !open {
            return Err(Error::dgram_not_running());
        }
        self.bind_implicitly()?;
        let msg = if msg.0.is_empty() {
            Datagram(vec![Vec::new()])
        } else {
            msg
        };
        if self.state().bind_state != BindState::Bound {
            self.enqueue(Queued::Send(
                msg,
                port,
                address.map(str::to_string),
                callback,
            ));
            return Ok(());
        }
        let address = address.map(str::to_string);
        if connected {
            self.send_now(Ok(None), msg, address, port, callback);
        } else {
            self.lookup(address.clone().unwrap_or_default(), move |this, ip| {
                this.send_now(ip.map(Some), msg, address, port, callback)
            });
        }
        Ok(())
    }

    /// Node's `doSend`, after the lookup (at once on a connected socket).
    fn send_now(
        &self,
        ip: Result<Option<String>, Error>,
        msg: Datagram,
        address: Option<String>,
        port: Option<u16>,
        callback: Option<SendCallback>,
    ) {
        let ip = match ip {
            Ok(ip) => ip,
            Err(err) => {
                match callback {
                    Some(cb) => self.tick(move |_| cb(Some(&err), None)),
                    None => self.tick(move |this| {
                        this.emit(SocketEvent::Error(err));
                    }),
                }
                return;
            }
        };
        let data = msg.concat();
        let sent = {
            let mut st = self.state();
            if !st.open {
                return; // closed in the meantime: dropped
            }
            let to = match (port, ip) {
                (Some(port), Some(ip)) => sockaddr(self.kind(), &ip, port).map(Some),
                _ => Ok(None),
            };
            let queued = !st.send_queue.is_empty();
            let sent = match to {
                Ok(to) => st.handle.try_send(&data, to, queued).map_err(|e| (e, to)),
                Err(e) => Err((e, None)),
            };
            match sent {
                Err((e, to)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    st.send_queue.push_back(task::PendingSend {
                        data,
                        to,
                        address,
                        port,
                        callback,
                    });
                    drop(st);
                    task::schedule(self, Command::Wake);
                    return;
                }
                Err((e, _)) => Err(task::send_error(e, address.as_deref(), port)),
                Ok(n) => Ok(n),
            }
        };
        if let Some(cb) = callback {
            match sent {
                Ok(n) => self.tick(move |_| cb(None, Some(n))),
                Err(err) => self.tick(move |_| cb(Some(&err), None)),
            }
        }
    }

    // --- connect ---------------------------------------------------------

    /// `socket.connect(port, address, callback)`: only datagrams from that
    /// peer are received, and `send()` takes no address. `'connect'` (or,
    /// without a callback, `'error'`) follows. A missing address is the
    /// loopback address; an unbound socket is bound first.
    ///
    /// See <https://nodejs.org/api/dgram.html#socketconnectport-address-callback>.
    ///
    /// # Node compatibility
    ///
    /// The callback becomes a once `'connect'` listener when the connect
    /// starts: after `'listening'` for an unbound socket, so after the
    /// `'connect'` listeners added meanwhile. On failure it is removed and
    /// called with the error, and nothing is emitted.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_BAD_PORT` for port 0; `ERR_SOCKET_DGRAM_IS_CONNECTED`
    /// while connected or connecting; `ERR_SOCKET_DGRAM_NOT_RUNNING` on a
    /// closed socket that was never bound; on a closed socket that was
    /// bound, the `TypeError` Node's code throws (`Cannot read properties
    /// of null (reading 'lookup')`). Either way the socket is left
    /// "connecting", as in Node.
    pub fn connect(
        &self,
        port: u16,
        address: Option<&str>,
        callback: Option<ConnectCallback>,
    ) -> Result<(), Error> {
        if port == 0 {
            return Err(Error::socket_bad_port(Some(0)));
        }
        let address = address.unwrap_or_default().to_string();
        {
            let mut st = self.state();
            if st.connect_state != ConnectState::Disconnected {
                return Err(Error::dgram_is_connected());
            }
            st.connect_state = ConnectState::Connecting;
        }
        self.bind_implicitly()?;
        if self.state().bind_state != BindState::Bound {
            self.enqueue(Queued::Connect(port, address, callback));
            return Ok(());
        }
        self.connect_now(port, address, callback)
    }

    /// Node's `_connect`: the callback becomes a `'connect'` listener, and
    /// the address is looked up.
    fn connect_now(
        &self,
        port: u16,
        address: String,
        callback: Option<ConnectCallback>,
    ) -> Result<(), Error> {
        let callback = callback.map(|cb| {
            let cb: Once<ConnectCallback> = Arc::new(Mutex::new(Some(cb)));
            let listener = cb.clone();
            let id = self.once(SocketEventKind::Connect, move |this, _| {
                if let Some(cb) = take(&listener) {
                    cb(this, None)
                }
            });
            (id, cb)
        });
        if !self.state().open {
            return Err(Error::null_handle("lookup"));
        }
        self.lookup(address.clone(), move |this, ip| {
            this.connect_resolved(ip, address, port, callback)
        });
        Ok(())
    }

    /// Node's `doConnect`.
    fn connect_resolved(
        &self,
        ip: Result<String, Error>,
        address: String,
        port: u16,
        callback: Option<(ListenerId, Once<ConnectCallback>)>,
    ) {
        let failure = {
            let mut st = self.state();
            if !st.open {
                return;
            }
            let connected = ip.and_then(|ip| {
                sockaddr(self.kind(), &ip, port)
                    .and_then(|addr| st.handle.connect(addr))
                    .map_err(|e| {
                        Error::system(e, "connect", Some(&address), Some(port.into()), false)
                    })
            });
            st.connect_state = match connected {
                Ok(()) => ConnectState::Connected,
                Err(_) => ConnectState::Disconnected,
            };
            connected.err()
        };
        match (failure, callback) {
            (None, _) => self.tick(|this| {
                this.emit(SocketEvent::Connect);
            }),
            (Some(err), Some((id, cb))) => self.tick(move |this| {
                this.off(id);
                if let Some(cb) = take(&cb) {
                    cb(this, Some(&err));
                }
            }),
            (Some(err), None) => self.tick(move |this| {
                this.emit(SocketEvent::Error(err));
            }),
        }
    }

    /// `socket.disconnect()`: synchronous.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_DGRAM_NOT_CONNECTED` unless connected (a connect in
    /// progress does not count); after `close()` of a connected socket,
    /// Node's `TypeError` (`Cannot read properties of null (reading
    /// 'disconnect')`).
    pub fn disconnect(&self) -> Result<(), Error> {
        let mut st = self.state();
        if st.connect_state != ConnectState::Connected {
            return Err(Error::dgram_not_connected());
        }
        if !st.open {
            return Err(Error::null_handle("disconnect"));
        }
        st.handle
            .disconnect()
            .map_err(|e| Error::system(e, "connect", None, None, false))?;
        st.connect_state = ConnectState::Disconnected;
        Ok(())
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

    // --- options ---------------------------------------------------------

    /// Runs a handle operation the way Node's socket-option setters do:
    /// with no `healthCheck`, so after `close()` the `TypeError` of reading
    /// `property` of `null`; a failure is `<syscall> <CODE>`.
    fn set_option(
        &self,
        property: &str,
        f: impl FnOnce(&mut Handle) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        let mut st = self.state();
        if !st.open {
            return Err(Error::null_handle(property));
        }
        f(&mut st.handle).map_err(|e| Error::system(e, property, None, None, false))
    }

    /// Like [`Socket::set_option`], for the methods Node guards with
    /// `healthCheck` (`ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`).
    fn set_checked_option(
        &self,
        syscall: &str,
        f: impl FnOnce(&mut Handle) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        if !self.state().open {
            return Err(Error::dgram_not_running());
        }
        self.set_option(syscall, f)
    }

    /// `socket.setBroadcast(flag)` (`SO_BROADCAST`).
    ///
    /// # Errors
    ///
    /// `setBroadcast EBADF` before the socket has a system socket; after
    /// `close()`, Node's `TypeError` (this method has no `healthCheck`).
    pub fn set_broadcast(&self, flag: bool) -> Result<(), Error> {
        self.set_option("setBroadcast", |h| h.set_broadcast(flag))
    }

    /// `socket.setTTL(ttl)`; returns `ttl`, as Node does.
    ///
    /// # Errors
    ///
    /// `setTTL EINVAL` outside 1 to 255 (checked first), `setTTL EBADF`
    /// before a system socket; after `close()`, Node's `TypeError`.
    ///
    /// # Checks the caller owns
    ///
    /// A number that is not one (`ERR_INVALID_ARG_TYPE`); Node converts
    /// the number to an `int32`.
    pub fn set_ttl(&self, ttl: i32) -> Result<i32, Error> {
        self.set_option("setTTL", |h| h.set_ttl(ttl)).map(|()| ttl)
    }

    /// `socket.setMulticastTTL(ttl)`, 0 to 255; returns `ttl`. Errors as
    /// [`Socket::set_ttl`], with syscall `setMulticastTTL`.
    pub fn set_multicast_ttl(&self, ttl: i32) -> Result<i32, Error> {
        self.set_option("setMulticastTTL", |h| h.set_multicast_ttl(ttl))
            .map(|()| ttl)
    }

    /// `socket.setMulticastLoopback(flag)`; returns `flag`. Errors as
    /// [`Socket::set_broadcast`], with syscall `setMulticastLoopback`.
    pub fn set_multicast_loopback(&self, flag: bool) -> Result<bool, Error> {
        self.set_option("setMulticastLoopback", |h| h.set_multicast_loop(flag))
            .map(|()| flag)
    }

    /// `socket.setMulticastInterface(interface)`: an IPv4 address, or an
    /// IPv6 zone such as `::%eth0`.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`; `EINVAL` for text
    /// that is no address (checked first), `EBADF` before a system socket,
    /// `ENOPROTOOPT` for an IPv6 zone on a `udp4` socket; syscall
    /// `setMulticastInterface`.
    pub fn set_multicast_interface(&self, interface: &str) -> Result<(), Error> {
        self.set_checked_option("setMulticastInterface", |h| {
            h.set_multicast_interface(interface)
        })
    }

    /// `socket.addMembership(multicastAddress[, multicastInterface])`.
    ///
    /// # Node compatibility
    ///
    /// On a socket with no system socket yet, libuv first binds one to the
    /// wildcard address on a random port (with `SO_REUSEADDR`): the socket
    /// is then bound for the system but not for Node, and a later `bind()`
    /// emits `'error'` with `bind EINVAL`. Call it after `'listening'`.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`, `ERR_MISSING_ARGS`
    /// for an empty address, `addMembership EINVAL` for a bad address or
    /// interface, and what the system says (`EADDRNOTAVAIL`…).
    pub fn add_membership(&self, group: &str, interface: Option<&str>) -> Result<(), Error> {
        self.membership("addMembership", group, interface, true)
    }

    /// `socket.dropMembership(multicastAddress[, multicastInterface])`:
    /// as [`Socket::add_membership`]; leaving a group that was not joined
    /// is `dropMembership EADDRNOTAVAIL`.
    pub fn drop_membership(&self, group: &str, interface: Option<&str>) -> Result<(), Error> {
        self.membership("dropMembership", group, interface, false)
    }

    fn membership(
        &self,
        syscall: &str,
        group: &str,
        interface: Option<&str>,
        join: bool,
    ) -> Result<(), Error> {
        if !self.state().open {
            return Err(Error::dgram_not_running());
        }
        if group.is_empty() {
            return Err(Error::type_error(
                "ERR_MISSING_ARGS",
                "The \"multicastAddress\" argument must be specified",
            ));
        }
        self.set_option(syscall, |h| h.set_membership(group, interface, join))
    }

    /// Node's `bufferSize`.
    fn buffer_size(&self, size: usize, recv: bool) -> Result<usize, Error> {
        if size > u32::MAX as usize {
            return Err(Error::socket_bad_buffer_size());
        }
        let st = self.state();
        if !st.open {
            return Err(Error::null_handle("bufferSize"));
        }
        let syscall = if recv {
            "uv_recv_buffer_size"
        } else {
            "uv_send_buffer_size"
        };
        st.handle
            .buffer_size(size, recv)
            .map_err(|e| Error::socket_buffer_size(e, syscall))
    }

    /// `socket.getRecvBufferSize()`: `SO_RCVBUF` as the kernel reports it
    /// (Linux doubles the size it was given).
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_BUFFER_SIZE` (a `SystemError` whose
    /// [`Error::info`] says `EBADF`) before a system socket; after
    /// `close()`, Node's `TypeError` (`reading 'bufferSize'`).
    pub fn get_recv_buffer_size(&self) -> Result<usize, Error> {
        self.buffer_size(0, true)
    }

    /// `socket.setRecvBufferSize(size)`. A size of 0 only reads, as in
    /// Node.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_BAD_BUFFER_SIZE` above `u32::MAX`;
    /// `ERR_SOCKET_BUFFER_SIZE` with `EINVAL` above `i32::MAX` and with
    /// `EBADF` before a system socket; Node's `TypeError` after `close()`.
    pub fn set_recv_buffer_size(&self, size: usize) -> Result<(), Error> {
        self.buffer_size(size, true).map(drop)
    }

    /// `socket.getSendBufferSize()`: as [`Socket::get_recv_buffer_size`].
    pub fn get_send_buffer_size(&self) -> Result<usize, Error> {
        self.buffer_size(0, false)
    }

    /// `socket.setSendBufferSize(size)`: as [`Socket::set_recv_buffer_size`].
    pub fn set_send_buffer_size(&self, size: usize) -> Result<(), Error> {
        self.buffer_size(size, false).map(drop)
    }

    /// `socket.getSendQueueSize()`: bytes of sends waiting for the kernel
    /// (libuv's `send_queue_size`; 0 unless the kernel refused one at
    /// once). After `close()`, Node's `TypeError`.
    pub fn get_send_queue_size(&self) -> Result<usize, Error> {
        let st = self.state();
        if !st.open {
            return Err(Error::null_handle("getSendQueueSize"));
        }
        Ok(st.send_queue.iter().map(|s| s.data.len()).sum())
    }

    /// `socket.getSendQueueCount()`: how many sends wait for the kernel.
    /// After `close()`, Node's `TypeError`.
    pub fn get_send_queue_count(&self) -> Result<usize, Error> {
        let st = self.state();
        if !st.open {
            return Err(Error::null_handle("getSendQueueCount"));
        }
        Ok(st.send_queue.len())
    }

    /// `socket.ref()`: nothing keeps a Rust process alive, so this only
    /// records the flag (a no-op after `close()`, as in Node).
    pub fn ref_(&self) -> &Socket {
        let mut st = self.state();
        if st.open {
            st.refed = true;
        }
        drop(st);
        self
    }

    /// `socket.unref()`.
    pub fn unref(&self) -> &Socket {
        let mut st = self.state();
        if st.open {
            st.refed = false;
        }
        drop(st);
        self
    }

    /// Whether the socket is ref'ed (`ref()`/`unref()`).
    pub fn has_ref(&self) -> bool {
        self.state().refed
    }
}

impl Emits for Socket {
    type Event = SocketEvent;
    fn emitter(&self) -> &Emitter<Socket, SocketEvent> {
        &self.inner.emitter
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

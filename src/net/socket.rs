//! [`Socket`]: Node's `net.Socket`, a duplex byte stream over TCP or a Unix
//! domain socket, with Node's events in Node's order.
//!
//! A `Socket` is a cheap handle. The connection itself is owned by one task
//! per socket, which receives the handle's commands over a channel and emits
//! events during turns of the socket's [`EventLoop`]. State that Node
//! exposes synchronously (`bytesWritten`, `readyState`, `writableLength`…)
//! lives beside the emitter, so getters never wait.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_std::channel::{Receiver, Sender, unbounded};
use async_std::io::{Read as _, Write as _};
use async_std::net::TcpStream;
#[cfg(unix)]
use async_std::os::unix::net::UnixStream;
use async_std::stream::Stream as _;

use crate::dns::{self, Family};
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::events::{Emits, Emitter, Event, ListenerId};
use crate::string_decoder::{Decoder, Encoding};

use super::ip::is_ip;

/// The write buffer size above which `write()` returns `false` (Node's
/// default `writableHighWaterMark`), and the read buffer size at which a
/// paused socket stops reading.
pub const HIGH_WATER_MARK: usize = 16 * 1024;

/// What a `'data'` event carries: bytes, or text once `setEncoding` was
/// called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    Bytes(Vec<u8>),
    Text(String),
}

impl Chunk {
    /// The chunk as bytes (text is UTF-8 encoded).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Chunk::Bytes(b) => b,
            Chunk::Text(s) => s.as_bytes(),
        }
    }
}

/// An event of a [`Socket`], named and shaped as in Node.
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
    /// `'resume'`: emitted after `resume()` (on Node's next tick), before
    /// the buffered data flows.
    Resume,
}

crate::event_kinds! {
    /// The Node event names of [`SocketEvent`].
    pub enum SocketEventKind {
        Close = "close",
        Connect = "connect",
        Data = "data",
        Drain = "drain",
        End = "end",
        Error = "error",
        Finish = "finish",
        Lookup = "lookup",
        Pause = "pause",
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
            SocketEvent::Resume => SocketEventKind::Resume,
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
    /// [`HIGH_WATER_MARK`]).
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
    /// [`ListenOptions::port_host`]: super::ListenOptions::port_host
    pub fn port_host(port: u16, host: impl Into<String>) -> ConnectOptions {
        ConnectOptions::Tcp {
            host: host.into(),
            port,
            local_address: None,
            local_port: None,
            family: None,
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

/// A write's completion callback: `None` on success.
pub type WriteCallback = Box<dyn FnOnce(Option<&Error>) + Send>;

/// Node's `net.Socket`.
///
/// Clone it freely: every clone is the same socket.
///
/// See <https://nodejs.org/api/net.html#class-netsocket>.
///
/// # Node compatibility
///
/// - A socket reads in *flowing mode* only once a `'data'` listener is
///   added ([`Socket::on_data`], or [`Socket::on`] with
///   [`SocketEventKind::Data`]) or [`Socket::resume`] is called; until then
///   received data waits in the socket (up to [`HIGH_WATER_MARK`] bytes).
///   `'end'` comes only after every chunk was delivered.
/// - `'error'` is always followed by `'close'` with `had_error: true`.
/// - Unless `allow_half_open` is set, the socket ends its writable side
///   when the peer ends, and closes once everything is flushed.
/// - Listeners stay registered after `'close'` (the socket may connect
///   again). They receive the socket as their first argument (Node's
///   `this`): a listener that holds a clone of its own socket instead
///   keeps the socket's memory alive until
///   [`Emits::remove_all_listeners`].
#[derive(Clone)]
pub struct Socket {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    emitter: Emitter<Socket, SocketEvent>,
    /// To the socket's task; replaced when a closed socket connects again.
    commands: Mutex<Sender<Command>>,
    event_loop: EventLoop,
    options: SocketOptions,
}

/// What the handle can see synchronously.
#[derive(Default)]
struct State {
    allow_half_open: bool,
    /// `connect()` was called and has not finished.
    connecting: bool,
    /// A connection exists or is being made (Node's `_handle`).
    has_handle: bool,
    /// The connection is (or will be) a Unix domain socket.
    unix: bool,
    /// No handle was ever attached and `connect()` was not called.
    pending: bool,
    destroyed: bool,
    /// `end()` was called (Node's `writableEnded`).
    ending: bool,
    /// `'end'` was emitted.
    end_emitted: bool,
    /// Readable flowing state: `None` until a data listener, `resume()` or
    /// `pause()` decides.
    flowing: Option<bool>,
    /// A `'resume'` event is on its way (Node's `resumeScheduled`).
    resume_scheduled: bool,
    /// `'finish'` was emitted (Node's `writableFinished`).
    finished: bool,
    /// Received bytes not yet delivered (Node's `readableLength`).
    readable_length: usize,
    /// `cork()` depth: writes wait in user memory while positive.
    corked: u32,
    /// The readable and writable high-water mark.
    high_water_mark: usize,
    /// The socket's task runs (it ends once the socket is closed).
    task_alive: bool,
    writable_length: usize,
    need_drain: bool,
    bytes_read: u64,
    bytes_written: u64,
    local: Option<Endpoint>,
    remote: Option<Endpoint>,
    /// Node caches the peer address the first time it is read.
    remote_cached: Option<Endpoint>,
    timeout: Option<u64>,
    encoding: Option<Encoding>,
    refed: bool,
    /// Called once when the socket is destroyed (the server's connection
    /// count).
    on_destroy: Option<Box<dyn FnOnce() + Send>>,
}

#[derive(Debug, Clone)]
enum Endpoint {
    Inet(SocketAddr),
    /// A Unix socket; Node reports no address for it.
    Path,
}

enum Command {
    Connect(ConnectOptions),
    Write(Vec<u8>, Option<WriteCallback>),
    End(Option<WriteCallback>),
    /// The error, and whether the socket had a connection (or attempt).
    Destroy(Option<Error>, bool),
    /// Close with a TCP RST (`resetAndDestroy()`).
    Reset,
    /// Flowing state or pause-on-connect changed: look at the buffer again;
    /// with `true`, emit the `'resume'` that `resume()` scheduled first.
    Resume(bool),
    /// Something the task reads changed (e.g. `uncork()`): look again.
    Wake,
    SetTimeout(Option<u64>),
    SetNoDelay(bool),
    SetKeepAlive(bool, u64),
    /// An accepted connection, handed over by the server.
    Attach(Stream, bool),
}

impl Socket {
    /// `new net.Socket(options)`: an unconnected socket in the global
    /// event loop.
    ///
    /// See <https://nodejs.org/api/net.html#new-netsocketoptions>.
    pub fn new(options: SocketOptions) -> Socket {
        Socket::new_in(&EventLoop::global(), options)
    }

    /// An unconnected socket in `event_loop`.
    pub fn new_in(event_loop: &EventLoop, options: SocketOptions) -> Socket {
        let (tx, rx) = unbounded();
        let state = State {
            allow_half_open: options.allow_half_open,
            high_water_mark: options.high_water_mark.unwrap_or(HIGH_WATER_MARK),
            pending: true,
            refed: true,
            task_alive: true,
            ..State::default()
        };
        let socket = Socket {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                emitter: Emitter::default(),
                commands: Mutex::new(tx),
                event_loop: event_loop.clone(),
                options: options.clone(),
            }),
        };
        let driver = Driver::new(socket.clone(), rx, options);
        async_std::task::spawn(driver.run());
        socket
    }

    /// A new task for a socket whose task ended with its last connection.
    fn respawn(&self) {
        let (tx, rx) = unbounded();
        *self
            .inner
            .commands
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = tx;
        self.state().task_alive = true;
        let driver = Driver::new(self.clone(), rx, self.inner.options.clone());
        async_std::task::spawn(driver.run());
    }

    /// A socket for a connection accepted by a server; reading starts
    /// unless `paused` (the server's `pauseOnConnect`).
    pub(crate) fn accepted(
        event_loop: &EventLoop,
        options: SocketOptions,
        stream: Stream,
        paused: bool,
        on_destroy: Box<dyn FnOnce() + Send>,
    ) -> Socket {
        let socket = Socket::new_in(event_loop, options);
        {
            let mut st = socket.state();
            st.pending = false;
            st.has_handle = true;
            st.local = stream.local();
            st.remote = stream.remote();
            st.unix = !matches!(stream, Stream::Tcp(_));
            st.on_destroy = Some(on_destroy);
            if paused {
                st.flowing = Some(false);
            }
        }
        socket.send(Command::Attach(stream, paused));
        socket
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, command: Command) {
        // The task lives until the socket is closed; later commands are moot
        // (connect() starts a new one).
        let _ = self
            .inner
            .commands
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .try_send(command);
    }

    /// The event loop this socket emits in.
    pub fn event_loop(&self) -> &EventLoop {
        &self.inner.event_loop
    }

    /// Whether two handles are the same socket.
    pub fn ptr_eq(&self, other: &Socket) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    // --- listeners -------------------------------------------------------

    /// `socket.on('data', listener)`, with the chunk only.
    pub fn on_data(
        &self,
        listener: impl Fn(&Socket, &Chunk) + Send + Sync + 'static,
    ) -> ListenerId {
        self.on(SocketEventKind::Data, move |this, e| {
            if let SocketEvent::Data(chunk) = e {
                listener(this, chunk)
            }
        })
    }

    pub(crate) fn emit(&self, event: SocketEvent) -> bool {
        self.inner.emitter.emit(self, &event)
    }

    // --- connecting ------------------------------------------------------

    /// `socket.connect(options[, connectListener])`: the listener (if any)
    /// is added as a once `'connect'` listener. Failures arrive as
    /// `'error'`.
    ///
    /// See <https://nodejs.org/api/net.html#socketconnect>.
    ///
    /// # Node compatibility
    ///
    /// A host name is resolved first and `'lookup'` reports the address
    /// chosen (family `4` or `6`); IP literals and paths emit no
    /// `'lookup'`. `connecting` is true from this call until just before
    /// `'connect'`.
    ///
    /// A socket that has closed may connect again: its state is reset
    /// (Node's `_undestroy`) and its listeners stay.
    pub fn connect(&self, options: ConnectOptions) -> &Socket {
        let respawn = {
            let mut st = self.state();
            if st.destroyed {
                st.ending = false;
                st.end_emitted = false;
                st.finished = false;
                st.need_drain = false;
                st.writable_length = 0;
                st.readable_length = 0;
                st.corked = 0;
                st.local = None;
                st.remote = None;
                st.remote_cached = None;
            }
            st.connecting = true;
            st.pending = false;
            st.has_handle = true;
            st.unix = matches!(options, ConnectOptions::Path(_));
            st.destroyed = false;
            !st.task_alive
        };
        if respawn {
            self.respawn();
        }
        self.send(Command::Connect(options));
        self
    }

    // --- writing ---------------------------------------------------------

    /// `socket.write(data)`; returns false once the buffered bytes reach
    /// [`HIGH_WATER_MARK`] (then wait for `'drain'`).
    ///
    /// See <https://nodejs.org/api/net.html#socketwritedata-encoding-callback>.
    pub fn write(&self, data: impl Into<Vec<u8>>) -> bool {
        self.write_inner(data.into(), None)
    }

    /// `socket.write(data, callback)`: the callback runs once the data is
    /// handed to the kernel, or with the error that prevented it.
    ///
    /// # Node compatibility
    ///
    /// The return value counts the chunk just written: a single 16384-byte
    /// write returns `false` even if it is flushed at once. Writing after
    /// `end()` returns false, calls the callback with
    /// `ERR_STREAM_WRITE_AFTER_END`, destroys the socket at once and emits
    /// `'error'` then `'close'` later.
    pub fn write_with(
        &self,
        data: impl Into<Vec<u8>>,
        callback: impl FnOnce(Option<&Error>) + Send + 'static,
    ) -> bool {
        self.write_inner(data.into(), Some(Box::new(callback)))
    }

    fn write_inner(&self, data: Vec<u8>, callback: Option<WriteCallback>) -> bool {
        let refusal = {
            let st = self.state();
            if st.ending {
                Some(Error::write_after_end())
            } else if st.destroyed {
                Some(Error::stream_destroyed("write"))
            } else {
                None
            }
        };
        if let Some(err) = refusal {
            if self.destroyed() {
                // Node: the callback on the next tick, and no 'error' (the
                // socket is gone already).
                if let Some(cb) = callback {
                    self.inner.event_loop.defer(move || cb(Some(&err)));
                }
            } else {
                self.send(Command::Write(
                    Vec::new(),
                    wrap_failed(callback, err.clone()),
                ));
                self.destroy(Some(err));
            }
            return false;
        }
        let fits = {
            let mut st = self.state();
            st.writable_length += data.len();
            let fits = st.writable_length < st.high_water_mark;
            if !fits {
                st.need_drain = true;
            }
            fits
        };
        self.send(Command::Write(data, callback));
        fits
    }

    /// `socket.end()`: half-closes after flushing pending writes.
    ///
    /// See <https://nodejs.org/api/net.html#socketenddata-encoding-callback>.
    pub fn end(&self) -> &Socket {
        self.end_with(None, None)
    }

    /// `socket.end([data][, callback])`: writes `data` first; the callback
    /// runs on `'finish'` (with no error) or with the error that ended the
    /// stream.
    pub fn end_with(&self, data: Option<Vec<u8>>, callback: Option<WriteCallback>) -> &Socket {
        if let Some(data) = data
            && !self.state().ending
        {
            self.write(data);
        }
        let refusal = {
            let st = self.state();
            st.destroyed.then(|| {
                if st.finished {
                    Error::plain(
                        "ERR_STREAM_ALREADY_FINISHED",
                        "Cannot call end after a stream was finished",
                    )
                } else {
                    Error::stream_destroyed("end")
                }
            })
        };
        if let Some(err) = refusal {
            if let Some(cb) = callback {
                self.inner.event_loop.defer(move || cb(Some(&err)));
            }
            return self;
        }
        let first = {
            let mut st = self.state();
            let first = !st.ending;
            st.ending = true;
            // end() uncorks.
            st.corked = 0;
            first
        };
        if first {
            self.send(Command::End(callback));
        } else if let Some(cb) = callback {
            // A repeated end(): Node calls the callback once finished; we
            // report it like the first one.
            self.send(Command::End(Some(cb)));
        }
        self
    }

    /// `socket.destroy([error])`: closes the connection now; with an error,
    /// `'error'` then `'close'(true)`, else `'close'(false)`.
    ///
    /// See <https://nodejs.org/api/net.html#socketdestroyerror>.
    pub fn destroy(&self, error: Option<Error>) -> &Socket {
        if let Some(had_handle) = self.mark_destroyed() {
            self.send(Command::Destroy(error, had_handle));
        }
        self
    }

    /// The synchronous part of `destroy()`: `destroyed` is true and the
    /// handle is gone. Returns whether there was a handle, or `None` if the
    /// socket was destroyed already.
    fn mark_destroyed(&self) -> Option<bool> {
        let (on_destroy, had_handle) = {
            let mut st = self.state();
            if st.destroyed {
                return None;
            }
            st.destroyed = true;
            st.connecting = false;
            let had_handle = st.has_handle;
            st.has_handle = false;
            (st.on_destroy.take(), had_handle)
        };
        if let Some(f) = on_destroy {
            f();
        }
        Some(had_handle)
    }

    /// `socket.resetAndDestroy()`: closes the TCP connection with an RST
    /// (the peer sees `ECONNRESET`); this socket emits `'close'` with
    /// `hadError` false. While connecting, the reset waits for
    /// `'connect'`. Without a connection it is `destroy(ERR_SOCKET_CLOSED)`.
    ///
    /// See <https://nodejs.org/api/net.html#socketresetanddestroy>.
    ///
    /// # Errors
    ///
    /// `ERR_INVALID_HANDLE_TYPE` (thrown by Node) for a Unix socket.
    pub fn reset_and_destroy(&self) -> Result<&Socket, Error> {
        let (has_handle, unix, connecting) = {
            let st = self.state();
            (st.has_handle, st.unix, st.connecting)
        };
        if !has_handle {
            self.destroy(Some(Error::socket_closed()));
            return Ok(self);
        }
        if unix {
            return Err(Error::invalid_handle_type());
        }
        if connecting || self.mark_destroyed().is_some() {
            self.send(Command::Reset);
        }
        Ok(self)
    }

    /// `socket.destroySoon()`: ends the writable side, and destroys the
    /// socket once everything is flushed.
    pub fn destroy_soon(&self) {
        if self.writable() {
            self.end();
        }
        if self.state().finished {
            self.destroy(None);
        } else {
            self.once(SocketEventKind::Finish, |this, _| {
                this.destroy(None);
            });
        }
    }

    /// `socket.cork()`: writes wait in memory until `uncork()` (or
    /// `end()`).
    pub fn cork(&self) {
        self.state().corked += 1;
    }

    /// `socket.uncork()`: undoes one `cork()`; the last one flushes.
    pub fn uncork(&self) {
        let flush = {
            let mut st = self.state();
            if st.corked > 0 {
                st.corked -= 1;
                st.corked == 0
            } else {
                false
            }
        };
        if flush {
            self.send(Command::Wake);
        }
    }

    // --- reading ---------------------------------------------------------

    /// `socket.pause()`: stops `'data'` events; emits `'pause'` (at once)
    /// unless the socket was paused already.
    pub fn pause(&self) -> &Socket {
        let changed = {
            let mut st = self.state();
            let changed = st.flowing != Some(false);
            st.flowing = Some(false);
            changed
        };
        if changed {
            self.emit(SocketEvent::Pause);
        }
        self
    }

    /// `socket.resume()`: (re)starts `'data'` events; also starts reading a
    /// socket accepted with `pauseOnConnect`. Unless the socket was flowing
    /// already, `'resume'` is emitted later (Node's next tick), just before
    /// the buffered data.
    pub fn resume(&self) -> &Socket {
        let emit = {
            let mut st = self.state();
            if st.flowing != Some(true) {
                st.flowing = Some(true);
                !std::mem::replace(&mut st.resume_scheduled, true)
            } else {
                false
            }
        };
        self.send(Command::Resume(emit));
        self
    }

    /// `socket.readableFlowing`: `None` (null) until something consumes
    /// the socket, then whether it is flowing.
    pub fn readable_flowing(&self) -> Option<bool> {
        self.state().flowing
    }

    /// `socket.readableLength`: bytes received and not yet delivered.
    pub fn readable_length(&self) -> usize {
        self.state().readable_length
    }

    /// `socket.readableEnded`: `'end'` was emitted.
    pub fn readable_ended(&self) -> bool {
        self.state().end_emitted
    }

    /// `socket.writableEnded`: `end()` was called.
    pub fn writable_ended(&self) -> bool {
        self.state().ending
    }

    /// `socket.writableFinished`: `'finish'` was emitted.
    pub fn writable_finished(&self) -> bool {
        self.state().finished
    }

    /// `socket.writableHighWaterMark` (and `readableHighWaterMark`):
    /// [`HIGH_WATER_MARK`] unless the `high_water_mark` option says
    /// otherwise.
    pub fn writable_high_water_mark(&self) -> usize {
        self.state().high_water_mark
    }

    /// `socket.bufferSize`: `writableLength` while there is a connection,
    /// `None` (undefined) otherwise.
    pub fn buffer_size(&self) -> Option<usize> {
        let st = self.state();
        st.has_handle.then_some(st.writable_length)
    }

    /// `socket.closed`: the socket was destroyed (its `'close'` may still
    /// be on the way).
    pub fn closed(&self) -> bool {
        self.state().destroyed
    }

    /// `socket.isPaused()`.
    pub fn is_paused(&self) -> bool {
        self.state().flowing == Some(false)
    }

    /// `socket.setEncoding(encoding)`: `'data'` then carries text;
    /// characters split across reads are decoded whole.
    pub fn set_encoding(&self, encoding: Option<Encoding>) -> &Socket {
        self.state().encoding = Some(encoding.unwrap_or(Encoding::Utf8));
        self.send(Command::Resume(false));
        self
    }

    // --- options ---------------------------------------------------------

    /// `socket.setTimeout(ms)`: emit `'timeout'` after `ms` idle
    /// milliseconds; `0` disables. The connection stays open.
    ///
    /// See <https://nodejs.org/api/net.html#socketsettimeouttimeout-callback>.
    ///
    /// A destroyed socket ignores the call.
    pub fn set_timeout(&self, ms: u64) -> &Socket {
        {
            let mut st = self.state();
            if st.destroyed {
                return self;
            }
            st.timeout = Some(ms);
        }
        self.send(Command::SetTimeout((ms > 0).then_some(ms)));
        self
    }

    /// `socket.setTimeout(ms, callback)`: the callback is a once
    /// `'timeout'` listener (with `0` Node removes it instead; here it is
    /// simply not added).
    pub fn set_timeout_with(
        &self,
        ms: u64,
        callback: impl Fn() + Send + Sync + 'static,
    ) -> &Socket {
        if ms > 0 && !self.destroyed() {
            self.once(SocketEventKind::Timeout, move |_, _| callback());
        }
        self.set_timeout(ms)
    }

    /// `socket.timeout`: the last idle timeout set (`0` once disabled),
    /// `None` (undefined) if `setTimeout` was never called.
    pub fn timeout(&self) -> Option<u64> {
        self.state().timeout
    }

    /// `socket.setNoDelay([noDelay])`.
    pub fn set_no_delay(&self, no_delay: bool) -> &Socket {
        self.send(Command::SetNoDelay(no_delay));
        self
    }

    /// `socket.setKeepAlive([enable][, initialDelay])`.
    pub fn set_keep_alive(&self, enable: bool, initial_delay_ms: u64) -> &Socket {
        self.send(Command::SetKeepAlive(enable, initial_delay_ms));
        self
    }

    /// `socket.ref()`: nothing keeps a Rust process alive, so this only
    /// records the flag.
    pub fn ref_(&self) -> &Socket {
        self.state().refed = true;
        self
    }

    /// `socket.unref()`.
    pub fn unref(&self) -> &Socket {
        self.state().refed = false;
        self
    }

    // --- state -----------------------------------------------------------

    /// `socket.address()`: the local address, `None` when unknown (Node
    /// gives `{}`).
    pub fn address(&self) -> Option<AddressInfo> {
        match self.state().local.clone()? {
            Endpoint::Inet(a) => Some(a.into()),
            Endpoint::Path => None,
        }
    }

    fn remote(&self) -> Option<SocketAddr> {
        let mut st = self.state();
        if !st.destroyed
            && !st.connecting
            && let Some(r) = st.remote.clone()
        {
            st.remote_cached = Some(r);
        }
        match st.remote_cached.clone()? {
            Endpoint::Inet(a) => Some(a),
            Endpoint::Path => None,
        }
    }

    /// `socket.remoteAddress`; `None` (undefined) before connecting, for
    /// Unix sockets, and once destroyed unless read while connected.
    pub fn remote_address(&self) -> Option<String> {
        self.remote().map(|a| a.ip().to_string())
    }

    /// `socket.remotePort`.
    pub fn remote_port(&self) -> Option<u16> {
        self.remote().map(|a| a.port())
    }

    /// `socket.remoteFamily`.
    pub fn remote_family(&self) -> Option<Family> {
        self.remote().map(|a| Family::of(&a.ip()))
    }

    fn local(&self) -> Option<SocketAddr> {
        let st = self.state();
        match (&st.local, st.destroyed) {
            (Some(Endpoint::Inet(a)), false) => Some(*a),
            _ => None,
        }
    }

    /// `socket.localAddress`.
    pub fn local_address(&self) -> Option<String> {
        self.local().map(|a| a.ip().to_string())
    }

    /// `socket.localPort`.
    pub fn local_port(&self) -> Option<u16> {
        self.local().map(|a| a.port())
    }

    /// `socket.localFamily`.
    pub fn local_family(&self) -> Option<Family> {
        self.local().map(|a| Family::of(&a.ip()))
    }

    /// `socket.bytesRead`.
    pub fn bytes_read(&self) -> u64 {
        self.state().bytes_read
    }

    /// `socket.bytesWritten`: bytes handed to the socket, including queued
    /// ones.
    pub fn bytes_written(&self) -> u64 {
        let st = self.state();
        st.bytes_written + st.writable_length as u64
    }

    /// `socket.writableLength`: bytes queued and not yet flushed.
    pub fn writable_length(&self) -> usize {
        self.state().writable_length
    }

    /// `socket.connecting`.
    pub fn connecting(&self) -> bool {
        self.state().connecting
    }

    /// `socket.pending`: not connected yet (never connected, or still
    /// connecting).
    pub fn pending(&self) -> bool {
        let st = self.state();
        st.pending || st.connecting || !st.has_handle
    }

    /// `socket.destroyed`.
    pub fn destroyed(&self) -> bool {
        self.state().destroyed
    }

    /// `socket.allowHalfOpen`.
    pub fn allow_half_open(&self) -> bool {
        self.state().allow_half_open
    }

    /// `socket.readable`.
    pub fn readable(&self) -> bool {
        let st = self.state();
        !st.destroyed && !st.end_emitted
    }

    /// `socket.writable`.
    pub fn writable(&self) -> bool {
        let st = self.state();
        !st.destroyed && !st.ending
    }

    /// `socket.readyState`.
    pub fn ready_state(&self) -> ReadyState {
        if self.connecting() {
            return ReadyState::Opening;
        }
        match (self.readable(), self.writable()) {
            (true, true) => ReadyState::Open,
            (true, false) => ReadyState::ReadOnly,
            (false, true) => ReadyState::WriteOnly,
            (false, false) => ReadyState::Closed,
        }
    }
}

fn wrap_failed(callback: Option<WriteCallback>, err: Error) -> Option<WriteCallback> {
    callback.map(|cb| Box::new(move |_: Option<&Error>| cb(Some(&err))) as WriteCallback)
}

impl Emits for Socket {
    type Event = SocketEvent;

    fn emitter(&self) -> &Emitter<Socket, SocketEvent> {
        &self.inner.emitter
    }

    /// A `'data'` listener starts the flow unless the socket was paused
    /// explicitly (Node's `Readable.prototype.on`).
    fn listener_added(&self, kind: SocketEventKind) {
        if kind == SocketEventKind::Data {
            let start = self.state().flowing != Some(false);
            if start {
                self.resume();
            }
        }
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("ready_state", &self.ready_state())
            .finish()
    }
}

// --- the connection --------------------------------------------------------

/// A connected stream of either family.
pub(crate) enum Stream {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Stream {
    fn local(&self) -> Option<Endpoint> {
        match self {
            Stream::Tcp(s) => s.local_addr().ok().map(Endpoint::Inet),
            #[cfg(unix)]
            Stream::Unix(_) => Some(Endpoint::Path),
        }
    }

    pub(crate) fn local_inet(&self) -> Option<SocketAddr> {
        match self.local()? {
            Endpoint::Inet(a) => Some(a),
            Endpoint::Path => None,
        }
    }

    pub(crate) fn remote_inet(&self) -> Option<SocketAddr> {
        match self.remote()? {
            Endpoint::Inet(a) => Some(a),
            Endpoint::Path => None,
        }
    }

    fn remote(&self) -> Option<Endpoint> {
        match self {
            Stream::Tcp(s) => s.peer_addr().ok().map(Endpoint::Inet),
            #[cfg(unix)]
            Stream::Unix(_) => Some(Endpoint::Path),
        }
    }

    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self {
            Stream::Tcp(s) => Pin::new(&mut &*s).poll_read(cx, buf),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(&mut &*s).poll_read(cx, buf),
        }
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self {
            Stream::Tcp(s) => Pin::new(&mut &*s).poll_write(cx, buf),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(&mut &*s).poll_write(cx, buf),
        }
    }

    fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Write),
            #[cfg(unix)]
            Stream::Unix(s) => s.shutdown(Shutdown::Write),
        }
    }

    fn set_no_delay(&self, on: bool) {
        if let Stream::Tcp(s) = self {
            let _ = s.set_nodelay(on);
        }
    }

    fn set_keep_alive(&self, on: bool, delay_ms: u64) {
        if let Stream::Tcp(s) = self {
            let sock = socket2::SockRef::from(s);
            let _ = sock.set_keepalive(on);
            if on && delay_ms >= 1000 {
                let ka =
                    socket2::TcpKeepalive::new().with_time(Duration::from_secs(delay_ms / 1000));
                let _ = sock.set_tcp_keepalive(&ka);
            }
        }
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

type ConnectFuture = Pin<Box<dyn Future<Output = Connected> + Send>>;

/// The outcome of `connect()`: the lookup (for host names) and the stream.
struct Connected {
    lookup: Option<SocketEvent>,
    result: Result<Stream, Error>,
}

async fn open(options: ConnectOptions) -> Connected {
    match options {
        ConnectOptions::Path(path) => {
            #[cfg(unix)]
            {
                let shown = path.display().to_string();
                let result = UnixStream::connect(sun_path(&path))
                    .await
                    .map(Stream::Unix)
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
                            result: Ok(Stream::Tcp(s)),
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
async fn connect_tcp(
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

/// What woke the socket task.
enum Wake {
    Command(Command),
    Closed,
    Connected(Connected),
    Read(io::Result<usize>),
    Wrote(io::Result<usize>),
    Timeout,
}

struct PendingWrite {
    data: Vec<u8>,
    offset: usize,
    callback: Option<WriteCallback>,
    /// Written while connecting: if the socket closes before connecting,
    /// Node calls back with `ERR_SOCKET_CLOSED_BEFORE_CONNECTION` after
    /// `'close'`.
    before_connect: bool,
}

/// The per-socket task: owns the stream and emits the socket's events.
struct Driver {
    socket: Socket,
    commands: Receiver<Command>,
    options: SocketOptions,
    stream: Option<Stream>,
    connecting: Option<ConnectFuture>,
    /// Reading is held back (pauseOnConnect) until `resume()`.
    hold_reading: bool,
    writes: VecDeque<PendingWrite>,
    end_callbacks: Vec<WriteCallback>,
    ending: bool,
    finished: bool,
    /// Received and not yet delivered.
    buffer: VecDeque<Vec<u8>>,
    buffered: usize,
    eof: bool,
    end_emitted: bool,
    decoder: Option<Decoder>,
    idle: Option<Duration>,
    deadline: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    read_buf: Vec<u8>,
    closed: bool,
    /// `resetAndDestroy()` was called while connecting.
    reset_on_connect: bool,
}

impl Driver {
    fn new(socket: Socket, commands: Receiver<Command>, options: SocketOptions) -> Driver {
        Driver {
            socket,
            commands,
            options,
            stream: None,
            connecting: None,
            hold_reading: false,
            writes: VecDeque::new(),
            end_callbacks: Vec::new(),
            ending: false,
            finished: false,
            buffer: VecDeque::new(),
            buffered: 0,
            eof: false,
            end_emitted: false,
            decoder: None,
            idle: None,
            deadline: None,
            read_buf: vec![0; 64 * 1024],
            closed: false,
            reset_on_connect: false,
        }
    }

    async fn run(mut self) {
        let event_loop = self.socket.inner.event_loop.clone();
        loop {
            let wake = std::future::poll_fn(|cx| self.poll_wake(cx)).await;
            let _turn = event_loop.turn().await;
            self.handle(wake);
            // Commands sent by listeners during this turn run in it too.
            // Once closed, only a new connect() matters.
            while let Ok(command) = self.commands.try_recv() {
                if self.closed && !matches!(command, Command::Connect(_)) {
                    continue;
                }
                self.command(command);
            }
            if !self.closed {
                self.settle();
            }
            if self.closed {
                // Still in the turn: a later connect() sees this and starts
                // a new task.
                self.socket.state().task_alive = false;
                return;
            }
        }
    }

    /// Forgets the last connection, for a new `connect()` on a closed
    /// socket.
    fn revive(&mut self) {
        self.stream = None;
        self.connecting = None;
        self.hold_reading = false;
        self.writes.clear();
        self.end_callbacks.clear();
        self.ending = false;
        self.finished = false;
        self.buffer.clear();
        self.buffered = 0;
        self.eof = false;
        self.end_emitted = false;
        self.decoder = None;
        self.idle = None;
        self.deadline = None;
        self.closed = false;
        self.reset_on_connect = false;
    }

    fn connected(&self) -> bool {
        self.stream.is_some() && !self.closed
    }

    fn wants_read(&self) -> bool {
        let flowing = self.socket.state().flowing;
        self.connected()
            && !self.eof
            && !self.hold_reading
            && (flowing == Some(true) || self.buffered < self.socket.state().high_water_mark)
    }

    fn poll_wake(&mut self, cx: &mut Context<'_>) -> Poll<Wake> {
        match Pin::new(&mut self.commands).poll_next(cx) {
            Poll::Ready(Some(c)) => return Poll::Ready(Wake::Command(c)),
            Poll::Ready(None) => return Poll::Ready(Wake::Closed),
            Poll::Pending => {}
        }
        if let Some(fut) = self.connecting.as_mut()
            && let Poll::Ready(c) = fut.as_mut().poll(cx)
        {
            self.connecting = None;
            return Poll::Ready(Wake::Connected(c));
        }
        if let Some(stream) = self.stream.as_ref()
            && let Some(w) = self.writes.front()
            && self.socket.state().corked == 0
            && let Poll::Ready(r) = stream.poll_write(cx, &w.data[w.offset..])
        {
            return Poll::Ready(Wake::Wrote(r));
        }
        if self.wants_read()
            && let Some(stream) = self.stream.as_ref()
            && let Poll::Ready(r) = stream.poll_read(cx, &mut self.read_buf)
        {
            return Poll::Ready(Wake::Read(r));
        }
        if let Some(d) = self.deadline.as_mut()
            && d.as_mut().poll(cx).is_ready()
        {
            self.deadline = None;
            return Poll::Ready(Wake::Timeout);
        }
        Poll::Pending
    }

    fn handle(&mut self, wake: Wake) {
        match wake {
            Wake::Command(c) => self.command(c),
            // Every handle is gone: nobody can observe this socket again.
            Wake::Closed => self.close(None, true),
            Wake::Connected(c) => self.on_connected(c),
            Wake::Read(r) => self.on_read(r),
            Wake::Wrote(r) => self.on_wrote(r),
            Wake::Timeout => {
                if self.idle.is_some() && !self.closed {
                    self.socket.emit(SocketEvent::Timeout);
                }
            }
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Connect(options) => {
                if self.closed {
                    self.revive();
                }
                if self.stream.is_none() && self.connecting.is_none() {
                    self.connecting = Some(Box::pin(open(options)));
                }
            }
            Command::Attach(stream, paused) => {
                self.hold_reading = paused;
                self.apply_options(&stream);
                self.stream = Some(stream);
                self.touch();
            }
            Command::Write(data, callback) => {
                if data.is_empty() && callback.is_some() && self.socket.state().destroyed {
                    // A refused write: report it, nothing to send.
                    if let Some(cb) = callback {
                        cb(None);
                    }
                    return;
                }
                let before_connect = self.stream.is_none();
                self.writes.push_back(PendingWrite {
                    data,
                    offset: 0,
                    callback,
                    before_connect,
                });
                self.flush_now();
            }
            Command::End(callback) => {
                if let Some(cb) = callback {
                    if self.finished {
                        cb(None);
                    } else {
                        self.end_callbacks.push(cb);
                    }
                }
                self.ending = true;
            }
            Command::Destroy(error, had_handle) => self.close(error, had_handle),
            Command::Reset => {
                if self.stream.is_some() {
                    self.reset();
                } else if self.connecting.is_some() {
                    self.reset_on_connect = true;
                }
            }
            Command::Resume(emit) => {
                self.hold_reading = false;
                if let Some(enc) = self.socket.state().encoding
                    && self.decoder.is_none()
                {
                    self.decoder = Some(Decoder::new(enc));
                }
                if emit {
                    self.socket.state().resume_scheduled = false;
                    self.socket.emit(SocketEvent::Resume);
                }
            }
            Command::Wake => self.flush_now(),
            Command::SetTimeout(ms) => {
                self.idle = ms.map(Duration::from_millis);
                self.touch();
            }
            Command::SetNoDelay(on) => {
                self.options.no_delay = on;
                if let Some(s) = &self.stream {
                    s.set_no_delay(on);
                }
            }
            Command::SetKeepAlive(on, delay) => {
                self.options.keep_alive = on;
                self.options.keep_alive_initial_delay = delay;
                if let Some(s) = &self.stream {
                    s.set_keep_alive(on, delay);
                }
            }
        }
    }

    fn apply_options(&self, stream: &Stream) {
        if self.options.no_delay {
            stream.set_no_delay(true);
        }
        if self.options.keep_alive {
            stream.set_keep_alive(true, self.options.keep_alive_initial_delay);
        }
    }

    /// Restarts the idle timer (Node's `_unrefTimer`).
    fn touch(&mut self) {
        self.deadline = self.idle.map(|d| {
            let at = Instant::now() + d;
            Box::pin(async_std::task::sleep(
                at.saturating_duration_since(Instant::now()),
            )) as Pin<Box<dyn Future<Output = ()> + Send>>
        });
    }

    fn on_connected(&mut self, connected: Connected) {
        if self.socket.state().destroyed {
            return;
        }
        if let Some(lookup) = connected.lookup {
            self.socket.emit(lookup);
        }
        match connected.result {
            Err(err) => {
                self.socket.state().connecting = false;
                self.socket.destroy(Some(err.clone()));
                // destroy() queued a command; close now to keep the order.
                self.close(Some(err), true);
            }
            Ok(stream) => {
                {
                    let mut st = self.socket.state();
                    st.connecting = false;
                    st.local = stream.local();
                    st.remote = stream.remote();
                }
                self.apply_options(&stream);
                self.stream = Some(stream);
                self.touch();
                for w in &mut self.writes {
                    w.before_connect = false;
                }
                self.socket.emit(SocketEvent::Connect);
                if self.reset_on_connect {
                    // Node's resetAndDestroy() while connecting is a once
                    // 'connect' listener.
                    self.socket.mark_destroyed();
                    self.reset();
                    return;
                }
                // Writes queued while connecting go out now, as Node's
                // pending 'connect' write does, before 'ready': what the
                // kernel takes at once completes inside the 'connect'
                // emission, 'drain' included.
                while let Ok(command) = self.commands.try_recv() {
                    if self.closed {
                        return;
                    }
                    self.command(command);
                }
                self.flush_now();
                self.maybe_drain();
                if self.closed {
                    return;
                }
                self.socket.emit(SocketEvent::Ready);
            }
        }
    }

    /// Writes as much as the kernel takes right now (libuv's try-write).
    fn flush_now(&mut self) {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        while !self.writes.is_empty() && self.connected() && self.socket.state().corked == 0 {
            let stream = self.stream.as_ref().expect("connected");
            let w = self.writes.front().expect("non-empty");
            match stream.poll_write(&mut cx, &w.data[w.offset..]) {
                Poll::Ready(r) => self.on_wrote(r),
                Poll::Pending => break,
            }
        }
    }

    fn on_wrote(&mut self, result: io::Result<usize>) {
        match result {
            Ok(n) => {
                let Some(w) = self.writes.front_mut() else {
                    return;
                };
                w.offset += n;
                let complete = w.offset >= w.data.len();
                {
                    let mut st = self.socket.state();
                    st.writable_length = st.writable_length.saturating_sub(n);
                    st.bytes_written += n as u64;
                }
                self.touch();
                if complete {
                    let done = self.writes.pop_front().expect("front");
                    if let Some(cb) = done.callback {
                        cb(None);
                    }
                }
            }
            Err(e) => {
                let err = Error::system(e, "write", None, None, false);
                self.socket.destroy(Some(err.clone()));
                self.close(Some(err), true);
            }
        }
    }

    fn on_read(&mut self, result: io::Result<usize>) {
        match result {
            Ok(0) => self.eof = true,
            Ok(n) => {
                self.socket.state().bytes_read += n as u64;
                self.touch();
                self.buffered += n;
                self.socket.state().readable_length = self.buffered;
                self.buffer.push_back(self.read_buf[..n].to_vec());
            }
            Err(e) => {
                let err = Error::system(e, "read", None, None, false);
                self.socket.destroy(Some(err.clone()));
                self.close(Some(err), true);
            }
        }
    }

    /// Delivers what the state now allows: buffered data in flowing mode,
    /// `'end'`, the half-close, `'drain'`, `'finish'` and the final close.
    fn settle(&mut self) {
        loop {
            if self.closed {
                return;
            }
            let flowing = self.socket.state().flowing == Some(true);
            if flowing && !self.buffer.is_empty() {
                let bytes = self.buffer.pop_front().expect("non-empty");
                self.buffered = self.buffered.saturating_sub(bytes.len());
                self.socket.state().readable_length = self.buffered;
                let chunk = self.chunk(bytes);
                if let Some(chunk) = chunk {
                    self.socket.emit(SocketEvent::Data(chunk));
                }
                continue;
            }
            if self.eof && self.buffer.is_empty() && !self.end_emitted {
                // StringDecoder.end(): a truncated character becomes U+FFFD.
                let rest = self.decoder.as_mut().map(Decoder::end).unwrap_or_default();
                if !rest.is_empty() && flowing {
                    self.socket.emit(SocketEvent::Data(Chunk::Text(rest)));
                }
                self.end_emitted = true;
                self.socket.state().end_emitted = true;
                self.socket.emit(SocketEvent::End);
                if !self.socket.state().allow_half_open {
                    self.socket.end();
                    while let Ok(command) = self.commands.try_recv() {
                        self.command(command);
                    }
                }
                continue;
            }
            break;
        }
        self.maybe_drain();
        if self.closed {
            return;
        }
        if self.ending && !self.finished && self.writes.is_empty() && self.connected() {
            if let Some(s) = &self.stream {
                let _ = s.shutdown_write();
            }
            self.finished = true;
            self.socket.state().finished = true;
            for cb in std::mem::take(&mut self.end_callbacks) {
                cb(None);
            }
            self.socket.emit(SocketEvent::Finish);
        }
        if self.finished && self.end_emitted && !self.closed {
            self.socket.destroy(None);
            self.close(None, true);
        }
    }

    /// Emits `'drain'` if a `write()` returned false and everything has
    /// been flushed since.
    fn maybe_drain(&mut self) {
        let drain = {
            let mut st = self.socket.state();
            let drain = st.need_drain && st.writable_length == 0 && self.writes.is_empty();
            if drain {
                st.need_drain = false;
            }
            drain
        };
        if drain && !self.closed {
            self.socket.emit(SocketEvent::Drain);
        }
    }

    /// `resetAndDestroy()`: SO_LINGER 0, then close, so the kernel sends
    /// an RST instead of a FIN.
    fn reset(&mut self) {
        if let Some(Stream::Tcp(s)) = &self.stream {
            let _ = socket2::SockRef::from(s).set_linger(Some(Duration::ZERO));
        }
        self.close(None, true);
    }

    fn chunk(&mut self, bytes: Vec<u8>) -> Option<Chunk> {
        let encoding = self.socket.state().encoding;
        match encoding {
            None => Some(Chunk::Bytes(bytes)),
            Some(enc) => {
                let d = self.decoder.get_or_insert_with(|| Decoder::new(enc));
                let text = d.write(&bytes);
                (!text.is_empty()).then_some(Chunk::Text(text))
            }
        }
    }

    /// Tears the connection down and emits `'error'` (if any) then
    /// `'close'` (with no argument if there never was a connection).
    fn close(&mut self, error: Option<Error>, had_handle: bool) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.connecting = None;
        self.stream = None;
        self.deadline = None;
        {
            let mut st = self.socket.state();
            st.destroyed = true;
            st.connecting = false;
            st.has_handle = false;
            st.remote = None;
        }
        let failure = error
            .clone()
            .unwrap_or_else(|| Error::stream_destroyed("write"));
        let (unconnected, writes): (Vec<_>, Vec<_>) =
            self.writes.drain(..).partition(|w| w.before_connect);
        for w in writes {
            if let Some(cb) = w.callback {
                cb(Some(&failure));
            }
        }
        for cb in self.end_callbacks.drain(..) {
            cb(Some(&failure));
        }
        let had_error = had_handle.then_some(error.is_some());
        if let Some(err) = error {
            self.socket.emit(SocketEvent::Error(err));
        }
        self.socket.emit(SocketEvent::Close { had_error });
        // Listeners stay, as in Node: the socket may connect again.
        let never_connected = Error::plain(
            "ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
            "Socket closed before the connection was established",
        );
        for w in unconnected {
            if let Some(cb) = w.callback {
                cb(Some(&never_connected));
            }
        }
    }
}

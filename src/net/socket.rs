//! [`Socket`]: Node's `net.Socket`, a duplex byte stream over TCP or a Unix
//! domain socket, with Node's events in Node's order.
//!
//! A `Socket` is a cheap handle. The connection itself is owned by one task
//! per socket (`socket/task.rs`), which receives the handle's commands over
//! a channel and emits events during turns of the socket's [`EventLoop`].
//! Node's stream state (the [`stream`](crate::stream) machines: buffers,
//! flowing state, the write queue) and net's own fields live beside the
//! emitter, shared with the task, so getters never wait.
//!
//! The plain types (events, options, addresses) are in `socket/options.rs`.

mod idle;
mod layering;
mod options;
mod properties;
mod task;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::dns::Family;
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::events::{Emits, Emitter, ListenerId};
use crate::stream::EndOutcome;
use crate::string_decoder::Encoding;

use super::transport::{BoxTransport, Endpoint};
pub use crate::stream::{Chunk, WriteCallback};
pub use options::{
    AddressInfo, ConnectOptions, ReadyState, SocketEvent, SocketEventKind, SocketOptions,
};
use task::{Command, State, Task, failed_call};

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
///   received data waits in the socket (up to
///   [`HIGH_WATER_MARK`](crate::stream::HIGH_WATER_MARK) bytes).
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
    commands: Mutex<crate::inbox::Sender<Command>>,
    event_loop: EventLoop,
    options: SocketOptions,
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
        let (tx, rx) = crate::inbox::inbox();
        let socket = Socket {
            inner: Arc::new(Inner {
                state: Mutex::new(State::new(&options)),
                emitter: Emitter::default(),
                commands: Mutex::new(tx),
                event_loop: event_loop.clone(),
                options: options.clone(),
            }),
        };
        crate::tasks::spawn(Task::new(socket.clone(), rx, options).run());
        socket
    }

    /// A new task for a socket whose task ended with its last connection.
    fn respawn(&self) {
        let (tx, rx) = crate::inbox::inbox();
        *self
            .inner
            .commands
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = tx;
        self.state().task_alive = true;
        let task = Task::new(self.clone(), rx, self.inner.options.clone());
        crate::tasks::spawn(task.run());
    }

    /// A socket for a connection accepted by a server; reading starts
    /// unless `paused` (the server's `pauseOnConnect`).
    pub(crate) fn accepted(
        event_loop: &EventLoop,
        options: SocketOptions,
        transport: BoxTransport,
        paused: bool,
        on_destroy: Box<dyn FnOnce() + Send>,
    ) -> Socket {
        let socket = Socket::new_in(event_loop, options);
        socket.state().on_destroy = Some(on_destroy);
        socket.attach(transport, paused);
        socket
    }

    /// Gives a new socket a connection that is already there (accepted,
    /// or taken over from another socket).
    pub(crate) fn attach(&self, transport: BoxTransport, paused: bool) {
        {
            let mut st = self.state();
            st.pending = false;
            st.has_handle = true;
            st.local = transport.local();
            st.remote = transport.remote();
            st.unix = transport.is_unix();
            if paused {
                // net's pauseOnCreate: `this.readableFlowing = false`.
                st.readable.set_flowing(Some(false));
            }
        }
        self.send(Command::Attach(transport, paused));
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, command: Command) {
        // The task lives until the socket is closed; later commands are moot
        // (connect() starts a new one).
        self.inner
            .commands
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(command);
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

    /// Emits an event ([`Emits::emit`]: an `'error'` nobody listens to is
    /// an uncaught exception).
    pub(crate) fn emit(&self, event: SocketEvent) -> bool {
        Emits::emit(self, &event)
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
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        self.inner.emitter.acted();
        let mut left = Vec::new();
        let respawn = {
            let mut st = self.state();
            if st.destroyed() {
                // Node's _undestroy(). Callbacks of a destroy() the task
                // has not carried out yet are failed here.
                left = st.writable.undestroy();
                st.readable.undestroy();
                st.close_emitted = false;
                st.local = None;
                st.remote = None;
                st.remote_cached = None;
            }
            st.connecting = true;
            st.pending = false;
            st.has_handle = true;
            st.unix = matches!(options, ConnectOptions::Path(_));
            !st.task_alive
        };
        for (cb, err) in left {
            self.inner.event_loop.defer(move || cb(Some(&err)));
        }
        if respawn {
            self.respawn();
        }
        // A Unix socket is connected inside connect() itself (Node's
        // internalConnect runs synchronously for a pipe): its
        // 'connectionAttempt' reaches only listeners added before the call.
        let attempt = match &options {
            ConnectOptions::Path(path) => Some(SocketEvent::ConnectionAttempt {
                ip: path.display().to_string(),
                port: None,
                family: None,
            }),
            ConnectOptions::Tcp { .. } => None,
        };
        self.send(Command::Connect(options));
        if let Some(attempt) = attempt {
            self.emit(attempt);
        }
        self
    }

    // --- writing ---------------------------------------------------------

    /// `socket.write(data)`; returns false once the buffered bytes reach
    /// [`HIGH_WATER_MARK`](crate::stream::HIGH_WATER_MARK) (then wait for `'drain'`).
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
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        self.inner.emitter.acted();
        let after_fin = {
            let st = self.state();
            st.ended_by_peer && st.writable.ending()
        };
        if after_fin {
            // Node's writeAfterFIN: the callback on the next tick, then
            // destroy(EPIPE) — not ERR_STREAM_WRITE_AFTER_END.
            return self.refuse_write(Error::ended_by_other_party(), callback);
        }
        let result = self.state().writable.write(data, callback);
        match result {
            Ok(fits) => {
                self.send(Command::Wake);
                fits
            }
            Err((err, callback)) => self.refuse_write(err, callback),
        }
    }

    /// A write Node refuses: the callback gets `err` on the next tick, then
    /// the socket is destroyed with it (nothing more if it was destroyed
    /// already). Returns `write()`'s `false`.
    fn refuse_write(&self, err: Error, callback: Option<WriteCallback>) -> bool {
        if self.destroyed() {
            if let Some(cb) = callback {
                self.inner.event_loop.defer(move || cb(Some(&err)));
            }
        } else {
            if let Some(cb) = callback {
                self.send(failed_call(cb, err.clone()));
            }
            self.destroy(Some(err));
        }
        false
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
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        self.inner.emitter.acted();
        // Writable.prototype.end: the chunk is written first, even on a
        // stream that is ending already, where the write fails with
        // ERR_STREAM_WRITE_AFTER_END and destroys it (errorOrDestroy).
        // The callback then gets that write's error (`err = ret`).
        let write_failed = data.is_some() && self.state().writable.ending();
        if let Some(data) = data {
            self.write(data);
        }
        let outcome = self.state().writable.end(callback);
        match outcome {
            EndOutcome::Refused(err, callback) => {
                let err = if write_failed {
                    Error::write_after_end()
                } else {
                    err
                };
                if let Some(cb) = callback {
                    self.inner.event_loop.defer(move || cb(Some(&err)));
                }
                return self;
            }
            EndOutcome::Waiting => {}
        }
        // The task finishes (and uncorked writes go out) in its turn.
        self.send(Command::Wake);
        self
    }

    /// `socket.destroy([error])`: closes the connection now; with an error,
    /// `'error'` then `'close'(true)`, else `'close'(false)`.
    ///
    /// See <https://nodejs.org/api/net.html#socketdestroyerror>.
    pub fn destroy(&self, error: Option<Error>) -> &Socket {
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        self.inner.emitter.acted();
        if let Some(had_handle) = self.mark_destroyed(error.as_ref()) {
            self.send(Command::Destroy(error, had_handle));
        }
        self
    }

    /// The synchronous part of `destroy()`: `destroyed` is true and the
    /// handle is gone. Returns whether there was a handle, or `None` if the
    /// socket was destroyed already.
    fn mark_destroyed(&self, error: Option<&Error>) -> Option<bool> {
        let (on_destroy, had_handle) = {
            let mut st = self.state();
            if st.destroyed() {
                return None;
            }
            st.readable.destroy(error);
            st.writable.destroy(error);
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
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        self.inner.emitter.acted();
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
        if connecting || self.mark_destroyed(None).is_some() {
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
        if self.writable_finished() {
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
        self.state().writable.cork();
    }

    /// `socket.uncork()`: undoes one `cork()`; the last one flushes.
    pub fn uncork(&self) {
        let flush = self.state().writable.uncork();
        if flush {
            self.send(Command::Wake);
        }
    }

    // --- reading ---------------------------------------------------------

    /// Node's `socket.readableFlowing = value` setter: no event, no
    /// read; `None` (null) lets the next `'data'` listener start the flow
    /// again (what `http.Server` does to a socket it hands over on
    /// upgrade).
    pub fn set_readable_flowing(&self, flowing: Option<bool>) {
        self.state().readable.set_flowing(flowing);
    }

    /// `socket.pause()`: stops `'data'` events; emits `'pause'` (at once)
    /// unless the socket was paused already.
    pub fn pause(&self) -> &Socket {
        let changed = self.state().readable.pause();
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
        let tick = self.state().readable.resume();
        self.send(Command::Resume(tick));
        self
    }

    /// `socket.bufferSize`: `writableLength` while there is a connection,
    /// `None` (undefined) otherwise.
    pub fn buffer_size(&self) -> Option<usize> {
        let st = self.state();
        st.has_handle.then_some(st.writable.length())
    }

    /// `socket.read([size])`: takes `size` bytes (all buffered data with
    /// `None`) from the read buffer, or returns `None` (null) when not
    /// that much is buffered and the peer has not ended. Returned data is
    /// also emitted as `'data'` (inside this call, as Node does, unless
    /// `'close'` was emitted). With `setEncoding`, text; `size` then
    /// counts UTF-16 code units.
    ///
    /// Call it from a listener (usually `'readable'`) or while holding the
    /// event loop's turn.
    ///
    /// See <https://nodejs.org/api/stream.html#readablereadsize>.
    ///
    /// # Node compatibility
    ///
    /// In paused mode (a `'readable'` listener), `'end'` comes only once a
    /// `read()` took the last byte; a `'readable'` listener that does not
    /// read leaves the socket open. Node's `read(0)` only announces data
    /// (`'readable'`); here too.
    pub fn read(&self, size: Option<usize>) -> Option<Chunk> {
        let (chunk, emit) = {
            let mut st = self.state();
            let chunk = st.readable.read(size);
            let emit = chunk.is_some() && !st.close_emitted;
            (chunk, emit)
        };
        if emit && let Some(c) = &chunk {
            self.emit(SocketEvent::Data(c.clone()));
        }
        // Below the high-water mark the socket reads again; a drained
        // ended stream emits 'end'.
        self.send(Command::Wake);
        chunk
    }

    /// `socket.setEncoding(encoding)`: `'data'` then carries text;
    /// characters split across reads are decoded whole.
    pub fn set_encoding(&self, encoding: Option<Encoding>) -> &Socket {
        // setEncoding(null) is UTF-8 (StringDecoder's default).
        let encoding = encoding.unwrap_or(Encoding::Utf8);
        self.state().readable.set_encoding(encoding);
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
            if st.destroyed() {
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

    /// `socket.address()`: the local address, `None` when there is none
    /// (Node gives `{}`): before connecting, for a Unix socket, and once
    /// destroyed (Node's `_getsockname` asks the handle, which is gone).
    pub fn address(&self) -> Option<AddressInfo> {
        let st = self.state();
        if st.destroyed() {
            return None;
        }
        match st.local.clone()? {
            Endpoint::Inet(a) => Some(a.into()),
            Endpoint::Path => None,
        }
    }

    fn remote(&self) -> Option<SocketAddr> {
        let mut st = self.state();
        if !st.destroyed()
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
        match (&st.local, st.destroyed()) {
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
        self.state().writable.bytes_written()
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

    /// `socket.allowHalfOpen`.
    pub fn allow_half_open(&self) -> bool {
        self.state().allow_half_open
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

impl Emits for Socket {
    type Event = SocketEvent;

    fn emitter(&self) -> &Emitter<Socket, SocketEvent> {
        &self.inner.emitter
    }

    fn event_loop(&self) -> &EventLoop {
        &self.inner.event_loop
    }

    /// A `'data'` listener starts the flow unless the socket was paused
    /// explicitly; a `'readable'` listener switches the socket to paused
    /// mode (Node's `Readable.prototype.on`). Removing a `'readable'`
    /// listener does not switch back (Node's `updateReadableListening` is
    /// not modelled).
    fn listener_added(&self, kind: SocketEventKind) {
        match kind {
            SocketEventKind::Data => {
                let start = self.state().readable.data_listener_added();
                if start {
                    self.resume();
                }
            }
            // Paused mode; data already buffered is announced.
            SocketEventKind::Readable => {
                self.state().readable.readable_listener_added();
                self.send(Command::Wake);
            }
            _ => {}
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

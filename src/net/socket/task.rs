//! The per-socket task: owns the `Transport`, moves bytes between it and
//! the [`stream`](crate::stream) state machines in the shared [`State`],
//! and applies net's own rules (connecting, `allowHalfOpen`, timeouts,
//! closing). It emits the socket's events during turns of its
//! [`EventLoop`](crate::event_loop::EventLoop).

use std::io;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::inbox::Receiver;

use super::idle::IdleTimer;

use super::{ConnectOptions, Socket, SocketEvent, SocketOptions};
use crate::error::Error;
use crate::net::transport::{self, BoxTransport, ConnectFuture, Connected, Endpoint, Layer};
use crate::stream::{Readable, ReadableEvent, Writable, WriteCallback};
use std::any::Any;
use std::sync::Arc;

/// The most bytes of small queued writes joined into one system call.
const WRITE_BATCH: usize = 64 * 1024;

/// What the handle sees synchronously (Node's `_readableState`,
/// `_writableState` and net's own fields), shared with the task.
pub(super) struct State {
    /// Node's readable side.
    pub(super) readable: Readable,
    /// Node's writable side, with the queue of writes.
    pub(super) writable: Writable,
    pub(super) allow_half_open: bool,
    /// The peer's FIN ended this socket (`allowHalfOpen: false`): from
    /// then on a write after `end()` is Node's `writeAfterFIN`, an `EPIPE`
    /// (Node swaps `socket.write` for good, so a reconnect keeps it).
    pub(super) ended_by_peer: bool,
    /// `connect()` was called and has not finished.
    pub(super) connecting: bool,
    /// A connection exists or is being made (Node's `_handle`).
    pub(super) has_handle: bool,
    /// The connection is (or will be) a Unix domain socket.
    pub(super) unix: bool,
    /// No handle was ever attached and `connect()` was not called.
    pub(super) pending: bool,
    /// The socket's task runs (it ends once the socket is closed).
    pub(super) task_alive: bool,
    /// `'close'` was emitted (Node's `closeEmitted`): `read()` emits no
    /// `'data'` any more.
    pub(super) close_emitted: bool,
    pub(super) bytes_read: u64,
    pub(super) local: Option<Endpoint>,
    pub(super) remote: Option<Endpoint>,
    /// Node caches the peer address the first time it is read.
    pub(super) remote_cached: Option<Endpoint>,
    pub(super) timeout: Option<u64>,
    pub(super) refed: bool,
    /// Called once when the socket is destroyed (the server's connection
    /// count).
    pub(super) on_destroy: Option<Box<dyn FnOnce() + Send>>,
    /// Put over the transport once connected (TLS).
    pub(super) layer: Option<Layer>,
    /// Node's `_hadError` (see `Socket::set_had_error`).
    pub(super) had_error_reported: bool,
    /// What a module built on net keeps with the socket (a TLS socket's
    /// state), found again from the socket alone.
    pub(super) extension: Option<Arc<dyn Any + Send + Sync>>,
}

impl State {
    pub(super) fn new(options: &SocketOptions) -> State {
        let hwm = options
            .high_water_mark
            .unwrap_or(crate::stream::HIGH_WATER_MARK);
        State {
            readable: Readable::new(hwm),
            writable: Writable::new(hwm),
            allow_half_open: options.allow_half_open,
            ended_by_peer: false,
            connecting: false,
            has_handle: false,
            unix: false,
            pending: true,
            task_alive: true,
            close_emitted: false,
            bytes_read: 0,
            local: None,
            remote: None,
            remote_cached: None,
            timeout: None,
            refed: true,
            on_destroy: None,
            layer: None,
            had_error_reported: false,
            extension: None,
        }
    }

    /// `socket.destroyed`: both sides are destroyed together.
    pub(super) fn destroyed(&self) -> bool {
        self.writable.destroyed()
    }
}

/// What the handle asks of the task.
pub(super) enum Command {
    Connect(ConnectOptions),
    /// The error, and whether the socket had a connection (or attempt).
    Destroy(Option<Error>, bool),
    /// Close with a TCP RST (`resetAndDestroy()`).
    Reset,
    /// Flowing state or pause-on-connect changed: look at the buffer again;
    /// with `true`, Node's `resume_` tick is due (`'resume'` first).
    Resume(bool),
    /// Something the task reads changed (a write, `end()`, `uncork()`):
    /// write what can be written and look again.
    Wake,
    /// A callback Node calls on the next tick (a refused write's, or
    /// `end()`'s on a finished socket), in the task's order.
    Call(Box<dyn FnOnce() + Send>),
    SetTimeout(Option<u64>),
    SetNoDelay(bool),
    SetKeepAlive(bool, u64),
    /// An accepted connection, handed over by the server.
    Attach(BoxTransport, bool),
    /// Give the connection, and the bytes read and not consumed, away.
    Surrender(Box<dyn FnOnce(BoxTransport, Vec<u8>) + Send>),
}

/// What woke the socket task.
enum Wake {
    Command(Command),
    Closed,
    Connected(Connected),
    /// What one read returned: the bytes (empty at the peer's end).
    Read(io::Result<Vec<u8>>),
    Wrote(io::Result<usize>),
    Timeout,
    Notice(transport::Notice),
}

/// The per-socket task: owns the transport and emits the socket's events.
pub(super) struct Task {
    socket: Socket,
    commands: Receiver<Command>,
    options: SocketOptions,
    transport: Option<BoxTransport>,
    connecting: Option<ConnectFuture>,
    /// Reading is held back (pauseOnConnect) until `resume()`.
    hold_reading: bool,
    idle: Option<Duration>,
    deadline: IdleTimer,
    closed: bool,
    /// `resetAndDestroy()` was called while connecting.
    reset_on_connect: bool,
    /// The last read did not fill the buffer: the kernel had no more, so
    /// the batch does not read again before waiting (libuv's `uv__read`
    /// stops the same way). Saves a read that finds nothing, and a
    /// readiness registration, per turn.
    drained: bool,
}

impl Task {
    pub(super) fn new(socket: Socket, commands: Receiver<Command>, options: SocketOptions) -> Task {
        Task {
            socket,
            commands,
            options,
            transport: None,
            connecting: None,
            hold_reading: false,
            idle: None,
            deadline: IdleTimer::default(),
            closed: false,
            reset_on_connect: false,
            drained: false,
        }
    }

    pub(super) async fn run(mut self) {
        let event_loop = self.socket.inner.event_loop.clone();
        loop {
            self.drained = false;
            let mut wake = std::future::poll_fn(|cx| self.poll_wake(cx)).await;
            let _turn = event_loop.turn().await;
            // What is ready meanwhile is handled in the same turn, up to
            // a bound, as libuv's uv__read reads up to 32 times per
            // readiness callback: a busy socket then pays for one turn
            // per batch, not per read. (Polled with a waker that does
            // nothing; the next poll_fn above registers the real one.)
            for round in 1..=BATCH {
                if crate::events::in_task(|| self.turn(wake)) {
                    return;
                }
                if round == BATCH {
                    // A wake polled now would have to be handled now: a
                    // read or a write it reports has happened.
                    break;
                }
                let mut cx = Context::from_waker(std::task::Waker::noop());
                match self.poll_wake(&mut cx) {
                    Poll::Ready(next) => wake = next,
                    Poll::Pending => break,
                }
            }
        }
    }

    /// One turn; returns whether the task is over.
    fn turn(&mut self, wake: Wake) -> bool {
        self.handle(wake);
        // Commands sent by listeners during this turn run in it too.
        // Once closed, only a new connect() matters.
        while let Some(command) = self.commands.try_recv() {
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
        }
        self.closed
    }

    /// Forgets the last connection, for a new `connect()` on a closed
    /// socket (the handle reset the stream state).
    fn revive(&mut self) {
        self.transport = None;
        self.connecting = None;
        self.hold_reading = false;
        self.idle = None;
        self.deadline.clear();
        self.closed = false;
        self.reset_on_connect = false;
    }

    fn connected(&self) -> bool {
        self.transport.is_some() && !self.closed
    }

    fn wants_read(&self) -> bool {
        self.connected() && !self.hold_reading && self.socket.state().readable.wants_read()
    }

    fn poll_wake(&mut self, cx: &mut Context<'_>) -> Poll<Wake> {
        match self.commands.poll_recv(cx) {
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
        if !self.closed
            && let Some(t) = self.transport.as_mut()
            && let Poll::Ready(notice) = t.poll_notice(cx)
        {
            return Poll::Ready(Wake::Notice(notice));
        }
        if let Some(t) = self.transport.as_mut() {
            let st = self.socket.state();
            if let Some(batch) = st.writable.next_batch(WRITE_BATCH)
                && let Poll::Ready(r) = t.poll_write(cx, &batch)
            {
                return Poll::Ready(Wake::Wrote(r));
            }
        }
        if !self.drained
            && self.wants_read()
            && let Some(t) = self.transport.as_mut()
            && let Poll::Ready(r) = read_ready(t.as_mut(), cx)
        {
            return Poll::Ready(Wake::Read(r));
        }
        if self.deadline.poll(cx).is_ready() {
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
            Wake::Notice(notice) => notice(&self.socket),
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Connect(options) => {
                if self.closed {
                    self.revive();
                }
                if self.transport.is_none() && self.connecting.is_none() {
                    let (now, future) = transport::start(options);
                    self.connecting = Some(future);
                    for event in now {
                        self.socket.emit(event);
                    }
                }
            }
            Command::Attach(transport, paused) => {
                self.hold_reading = paused;
                self.apply_options(&*transport);
                self.transport = Some(transport);
                self.touch();
            }
            Command::Call(f) => f(),
            Command::Surrender(take) => {
                if let Some(transport) = self.transport.take() {
                    let buffered = self.socket.state().readable.drain_bytes();
                    self.deadline.clear();
                    take(transport, buffered);
                }
            }
            Command::Destroy(error, had_handle) => {
                self.write_through();
                self.close(error, had_handle)
            }
            Command::Reset => {
                if self.transport.is_some() {
                    self.reset();
                } else if self.connecting.is_some() {
                    self.reset_on_connect = true;
                }
            }
            Command::Resume(tick) => {
                self.hold_reading = false;
                // Node's resume_: 'resume', then the buffer flows (settle).
                let emit = tick && self.socket.state().readable.resume_tick();
                if emit {
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
                if let Some(t) = &self.transport {
                    t.set_no_delay(on);
                }
            }
            Command::SetKeepAlive(on, delay) => {
                self.options.keep_alive = on;
                self.options.keep_alive_initial_delay = delay;
                if let Some(t) = &self.transport {
                    t.set_keep_alive(on, delay);
                }
            }
        }
    }

    fn apply_options(&self, transport: &dyn transport::Transport) {
        if self.options.no_delay {
            transport.set_no_delay(true);
        }
        if self.options.keep_alive {
            transport.set_keep_alive(true, self.options.keep_alive_initial_delay);
        }
    }

    /// Restarts the idle timer (Node's `_unrefTimer`).
    fn touch(&mut self) {
        self.deadline.set(self.idle.map(|d| Instant::now() + d));
    }

    fn on_connected(&mut self, connected: Connected) {
        if self.socket.state().destroyed() {
            return;
        }
        for event in connected.events {
            self.socket.emit(event);
            // A listener may have destroyed the socket meanwhile.
            if self.socket.state().destroyed() {
                return;
            }
        }
        match connected.result {
            Err(err) => {
                self.socket.state().connecting = false;
                self.socket.destroy(Some(err.clone()));
                // destroy() queued a command; close now to keep the order.
                self.close(Some(err), true);
            }
            Ok(transport) => {
                let layer = self.socket.state().layer.clone();
                let transport = match layer {
                    Some(layer) => (layer.0)(transport),
                    None => transport,
                };
                {
                    let mut st = self.socket.state();
                    st.connecting = false;
                    st.local = transport.local();
                    st.remote = transport.remote();
                }
                self.apply_options(&*transport);
                self.transport = Some(transport);
                self.touch();
                self.socket.emit(SocketEvent::Connect);
                if self.reset_on_connect {
                    // Node's resetAndDestroy() while connecting is a once
                    // 'connect' listener.
                    self.socket.mark_destroyed(None);
                    self.reset();
                    return;
                }
                // Writes queued while connecting go out now, as Node's
                // pending 'connect' write does, before 'ready': what the
                // kernel takes at once completes inside the 'connect'
                // emission, 'drain' included.
                while let Some(command) = self.commands.try_recv() {
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
        while !self.closed
            && let Some(t) = self.transport.as_mut()
        {
            let polled = {
                let st = self.socket.state();
                let Some(batch) = st.writable.next_batch(WRITE_BATCH) else {
                    break;
                };
                t.poll_write(&mut cx, &batch)
            };
            match polled {
                Poll::Ready(r) => self.on_wrote(r),
                Poll::Pending => break,
            }
        }
    }

    /// Before a close: hands the kernel what was written and not flushed,
    /// as far as it takes it without waiting. In Node, `write()` on an
    /// idle libuv stream writes to the kernel at once (`uv_try_write`),
    /// so `socket.write(x); socket.destroy()` sends `x` (http's answer to
    /// a malformed request is exactly that). Callbacks and counters are
    /// left as `destroy()` left them.
    fn write_through(&mut self) {
        let rest = {
            let st = self.socket.state();
            if st.writable.corked() > 0 {
                return;
            }
            st.writable.unwritten()
        };
        let Some(t) = self.transport.as_mut() else {
            return;
        };
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut at = 0;
        while at < rest.len() {
            match t.poll_write(&mut cx, &rest[at..]) {
                Poll::Ready(Ok(n)) if n > 0 => at += n,
                _ => break,
            }
        }
    }

    fn on_wrote(&mut self, result: io::Result<usize>) {
        match result {
            Ok(n) => {
                let done = self.socket.state().writable.wrote_batch(n);
                self.touch();
                for cb in done {
                    cb(None);
                }
            }
            Err(e) => {
                let err = Error::system(e, "write", None, None, false);
                self.socket.destroy(Some(err.clone()));
                self.close(Some(err), true);
            }
        }
    }

    fn on_read(&mut self, result: io::Result<Vec<u8>>) {
        match result {
            // net's onStreamRead: push(null), then read(0), which ends an
            // empty stream (settle hands out 'end').
            Ok(bytes) if bytes.is_empty() => self.socket.state().readable.push_eof(),
            Ok(bytes) => {
                self.drained = bytes.len() < READ_SIZE;
                let eof = self.transport.as_mut().is_some_and(|t| t.eof_pending());
                {
                    let mut st = self.socket.state();
                    st.bytes_read += bytes.len() as u64;
                    st.readable.push_owned(bytes);
                    if eof {
                        st.readable.push_eof();
                    }
                }
                self.touch();
            }
            Err(e) => {
                let err = Error::system(e, "read", None, None, false);
                self.socket.destroy(Some(err.clone()));
                self.close(Some(err), true);
            }
        }
    }

    /// Delivers what the state now allows: what the readable side hands
    /// out (`'data'`, `'end'`), the half-close, `'drain'`, `'finish'` and
    /// the final close.
    fn settle(&mut self) {
        loop {
            if self.closed {
                return;
            }
            let Some(event) = self.socket.state().readable.next_event() else {
                break;
            };
            match event {
                ReadableEvent::Data(chunk) => {
                    self.socket.emit(SocketEvent::Data(chunk));
                }
                ReadableEvent::Readable => {
                    self.socket.emit(SocketEvent::Readable);
                }
                ReadableEvent::End => {
                    self.socket.emit(SocketEvent::End);
                    // endReadableNT: without allowHalfOpen the writable side
                    // ends too.
                    let auto_end = {
                        let mut st = self.socket.state();
                        st.ended_by_peer |= !st.allow_half_open;
                        !st.allow_half_open
                    };
                    if auto_end {
                        self.socket.end();
                    }
                    // What 'end' listeners did (an end(data) on a socket
                    // ended already, a write) comes before autoDestroy,
                    // as in Node's endReadableNT.
                    while let Some(command) = self.commands.try_recv() {
                        self.command(command);
                    }
                    if self.closed {
                        return;
                    }
                }
            }
        }
        self.maybe_drain();
        if self.closed {
            return;
        }
        if self.connected() {
            let finished = self.socket.state().writable.finish();
            if let Some(callbacks) = finished {
                // net's _final: shutdown, then 'finish'.
                if let Some(t) = self.transport.as_mut() {
                    let _ = t.shutdown_write();
                }
                for cb in callbacks {
                    cb(None);
                }
                self.socket.emit(SocketEvent::Finish);
                // What 'finish' listeners did (a write, a destroy) comes
                // before autoDestroy, as in Node's finish().
                while let Some(command) = self.commands.try_recv() {
                    self.command(command);
                }
                if self.closed {
                    return;
                }
            }
        }
        let done = {
            let st = self.socket.state();
            st.writable.finished() && st.readable.end_emitted()
        };
        // Both sides are done: Node's autoDestroy.
        if done && !self.closed {
            self.socket.destroy(None);
            self.close(None, true);
        }
    }

    /// Emits `'drain'` if a `write()` returned false and everything has
    /// been flushed since.
    fn maybe_drain(&mut self) {
        let drain = self.socket.state().writable.take_drain();
        if drain && !self.closed {
            self.socket.emit(SocketEvent::Drain);
        }
    }

    /// `resetAndDestroy()`: an abortive close, so the kernel sends an RST
    /// instead of a FIN.
    fn reset(&mut self) {
        if let Some(t) = self.transport.as_mut() {
            t.reset();
        }
        self.close(None, true);
    }

    /// Tears the connection down and emits `'error'` (if any) then
    /// `'close'` (with no argument if there never was a connection).
    fn close(&mut self, error: Option<Error>, had_handle: bool) {
        if self.closed {
            return;
        }
        if self.transport.is_none() && self.socket.state().close_emitted {
            // Closed already, for a connection another socket took over.
            self.closed = true;
            return;
        }
        self.closed = true;
        self.connecting = None;
        self.deadline.clear();
        // Writes made while connecting: Node calls them back with
        // ERR_SOCKET_CLOSED_BEFORE_CONNECTION after 'close' if the
        // connection never came.
        let never_connected = self.transport.take().is_none();
        let (unconnected, failed) = {
            let mut st = self.socket.state();
            st.connecting = false;
            st.has_handle = false;
            st.remote = None;
            st.readable.destroy(error.as_ref());
            st.writable.destroy(error.as_ref());
            let unconnected = if never_connected {
                st.writable.take_queue()
            } else {
                Vec::new()
            };
            (unconnected, st.writable.fail_pending())
        };
        for (cb, err) in failed {
            cb(Some(&err));
        }
        let had_error = had_handle.then_some(error.is_some());
        if let Some(err) = error {
            self.socket.emit(SocketEvent::Error(err));
        }
        self.socket.state().close_emitted = true;
        self.socket.emit(SocketEvent::Close { had_error });
        // Listeners stay, as in Node: the socket may connect again.
        let never_connected = Error::plain(
            "ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
            "Socket closed before the connection was established",
        );
        for cb in unconnected.into_iter().flatten() {
            cb(Some(&never_connected));
        }
    }
}

/// How many wakes one turn may handle (see `Task::run`).
const BATCH: usize = 16;

/// How much one read may take: libuv's read callbacks get 64 KiB buffers
/// (`uv_buf_init(…, 64 * 1024)` in Node's stream_base allocator).
const READ_SIZE: usize = 64 * 1024;

std::thread_local! {
    /// The buffer every socket on this thread reads into. A socket owns no
    /// read buffer while it waits (an idle connection costs nothing here);
    /// what a read returns is copied out at its size, and that copy is the
    /// chunk the readable side keeps.
    static READ_BUF: std::cell::RefCell<Box<[u8]>> =
        std::cell::RefCell::new(vec![0; READ_SIZE].into_boxed_slice());
}

/// Polls one read through this thread's shared buffer.
fn read_ready(
    transport: &mut dyn transport::Transport,
    cx: &mut Context<'_>,
) -> Poll<io::Result<Vec<u8>>> {
    READ_BUF.with_borrow_mut(|buf| {
        transport
            .poll_read(cx, buf)
            .map(|r| r.map(|n| buf[..n].to_vec()))
    })
}

/// Runs `callback` with `error` as Node's next tick would, in the task's
/// order.
pub(super) fn failed_call(callback: WriteCallback, error: Error) -> Command {
    Command::Call(Box::new(move || callback(Some(&error))))
}

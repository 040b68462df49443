//! The task of a dgram [`Socket`]: Node's event loop for one socket.
//!
//! It runs, during turns of the socket's [`EventLoop`](crate::EventLoop):
//! - the *ticks* the socket schedules (what Node does on
//!   `process.nextTick` or in a `dns.lookup` callback), in the order they
//!   were scheduled; ticks scheduled during a turn run in that turn, after
//!   the current one, as Node drains its tick queue after each callback;
//! - reads: one datagram per wake-up, emitted whole as `'message'`, or a
//!   receive error (`recvmsg ECONNREFUSED`) as `'error'`;
//! - the sends the kernel could not take at once, when it can.
//!
//! The task starts with the first tick and ends once the socket is closed
//! and nothing is left to run; a later tick starts a new one.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_std::channel::{Receiver, unbounded};
use async_std::stream::Stream as _;

use super::Socket;
use super::options::{SendCallback, SocketEvent};
use super::socket::remote_info;
use crate::error::Error;

/// The largest datagram libuv reads (its receive buffer).
const RECV_BUFFER: usize = 64 * 1024;

/// What the socket asks of its task.
pub(super) enum Command {
    /// Run this on a later tick.
    Tick(Box<dyn FnOnce(&Socket) + Send>),
    /// Look at the send queue again.
    Wake,
}

/// A send the kernel could not take at once (libuv's `uv_udp_send`
/// queue): sent when the socket is writable; the callback then runs at
/// once, with the size even on failure (Node's `afterSend`).
pub(super) struct PendingSend {
    pub(super) data: Vec<u8>,
    pub(super) to: Option<SocketAddr>,
    /// The address and port `send()` was given, for the error.
    pub(super) address: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) callback: Option<SendCallback>,
}

impl PendingSend {
    /// The socket closed first: libuv completes it with `ECANCELED`.
    pub(super) fn cancel(self, socket: &Socket) {
        if let Some(cb) = self.callback {
            let size = self.data.len();
            let err = send_error(
                io::Error::from_raw_os_error(125),
                self.address.as_deref(),
                self.port,
            );
            socket.tick(move |_| cb(Some(&err), Some(size)));
        }
    }
}

/// Node's `ExceptionWithHostPort(err, 'send', address, port)`.
pub(super) fn send_error(err: io::Error, address: Option<&str>, port: Option<u16>) -> Error {
    Error::system(err, "send", address, port.map(i32::from), false)
}

/// Sends `command` to the socket's task, starting one if none runs. (The
/// check and the send happen under the state lock, as does the task's
/// decision to end, so no command is lost.)
pub(super) fn schedule(socket: &Socket, command: Command) {
    let mut st = socket.state();
    let tx = match st.task.as_ref() {
        Some(tx) => tx.clone(),
        None => {
            let (tx, rx) = unbounded();
            st.task = Some(tx.clone());
            crate::tasks::spawn(Task::new(socket.clone(), rx).run());
            tx
        }
    };
    let _ = tx.try_send(command);
}

enum Wake {
    Command(Command),
    Readable,
    Writable,
}

struct Task {
    socket: Socket,
    commands: Receiver<Command>,
    buf: Vec<u8>,
}

impl Task {
    fn new(socket: Socket, commands: Receiver<Command>) -> Task {
        Task {
            socket,
            commands,
            buf: vec![0; RECV_BUFFER],
        }
    }

    async fn run(mut self) {
        let event_loop = self.socket.event_loop().clone();
        loop {
            let Some(wake) = std::future::poll_fn(|cx| self.poll_wake(cx)).await else {
                return;
            };
            let _turn = event_loop.turn().await;
            if crate::events::in_task(|| self.turn(wake)) {
                return;
            }
        }
    }

    /// One turn; returns whether the task is finished.
    fn turn(&mut self, wake: Wake) -> bool {
        // Ticks scheduled before this turn run before any I/O, as Node
        // drains its tick queue before going back to the event loop;
        // those scheduled by this turn's listeners run after them.
        let io = match wake {
            Wake::Command(command) => {
                self.command(command);
                None
            }
            io => Some(io),
        };
        self.drain();
        if let Some(io) = io {
            match io {
                Wake::Readable => self.read(),
                Wake::Writable => self.write(),
                Wake::Command(command) => self.command(command),
            }
            self.drain();
        }
        self.finished()
    }

    /// Ends the task (still in the turn) when the socket is closed and
    /// nothing is left to run.
    fn finished(&self) -> bool {
        let mut st = self.socket.state();
        if !st.open && self.commands.is_empty() && st.send_queue.is_empty() {
            st.task = None;
            true
        } else {
            false
        }
    }

    fn poll_wake(&mut self, cx: &mut Context<'_>) -> Poll<Option<Wake>> {
        match Pin::new(&mut self.commands).poll_next(cx) {
            Poll::Ready(Some(c)) => return Poll::Ready(Some(Wake::Command(c))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        // A clone for this poll only: close() must be able to drop the
        // last one, which closes the system socket.
        let (fd, reading, writing) = {
            let st = self.socket.state();
            (
                st.handle.fd().cloned(),
                st.receiving,
                !st.send_queue.is_empty(),
            )
        };
        let Some(fd) = fd else {
            return Poll::Pending;
        };
        if reading && fd.poll_readable(cx).is_ready() {
            return Poll::Ready(Some(Wake::Readable));
        }
        if writing && fd.poll_writable(cx).is_ready() {
            return Poll::Ready(Some(Wake::Writable));
        }
        Poll::Pending
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Tick(f) => f(&self.socket),
            Command::Wake => {}
        }
    }

    fn drain(&mut self) {
        while let Ok(command) = self.commands.try_recv() {
            self.command(command);
        }
    }

    /// libuv's `uv__udp_recvmsg`, one datagram at a time.
    fn read(&mut self) {
        let fd = {
            let st = self.socket.state();
            match st.handle.fd() {
                Some(fd) if st.open && st.receiving => Arc::clone(fd),
                _ => return,
            }
        };
        let event = match fd.get_ref().recv_from(&mut self.buf) {
            Ok((n, from)) => SocketEvent::Message(self.buf[..n].to_vec(), remote_info(from, n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
            // Node's onMessage with nread < 0: `recvmsg ECONNREFUSED`.
            Err(e) => SocketEvent::Error(Error::system(e, "recvmsg", None, None, false)),
        };
        drop(fd);
        self.socket.emit(event);
    }

    /// libuv's `uv__udp_sendmsg`: sends what the kernel now takes, and
    /// calls each callback at once (not on a tick).
    fn write(&mut self) {
        loop {
            let (send, result) = {
                let mut st = self.socket.state();
                if !st.open {
                    return;
                }
                let Some(front) = st.send_queue.front() else {
                    return;
                };
                let result = st.handle.send_now(&front.data, front.to);
                if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
                    return;
                }
                (st.send_queue.pop_front().expect("front"), result)
            };
            if let Some(cb) = send.callback {
                let size = send.data.len();
                match result {
                    Ok(_) => cb(None, Some(size)),
                    Err(e) => {
                        let err = send_error(e, send.address.as_deref(), send.port);
                        cb(Some(&err), Some(size))
                    }
                }
            }
        }
    }
}

//! [`Server`]: Node's `net.Server`, accepting TCP or Unix-socket
//! connections and handing each to `'connection'` listeners as a
//! [`Socket`].
//!
//! This file is the public handle; the per-server task is in
//! `server/acceptor.rs`, binding and accepting in `server/listener.rs`, the
//! plain types in `server/options.rs`.

mod acceptor;
mod listener;
mod options;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use async_std::channel::{Sender, unbounded};

use super::socket::Socket;
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::events::{Emits, Emitter, ListenerId};
use acceptor::Acceptor;
pub use listener::ipv6_available;
use listener::{Listener, Shared, adopt, bind_tcp, bind_unix};
pub use options::{
    DEFAULT_BACKLOG, DropInfo, ListenHandle, ListenOptions, ServerAddress, ServerEvent,
    ServerEventKind, ServerOptions,
};

/// Node's `net.Server`. Clone it freely: every clone is the same server.
///
/// See <https://nodejs.org/api/net.html#class-netserver>.
///
/// # Node compatibility
///
/// - `listen()` binds at once: `listening` and `address()` are set when it
///   returns, `'listening'` (or `'error'`) comes later.
/// - `'error'` does not close the server; `listen()` may be called again.
/// - `close()` stops accepting at once; `'close'` comes when the last
///   connection is destroyed. Each `close()` on a closed server emits
///   `'close'` again, and its callback gets `ERR_SERVER_NOT_RUNNING`.
/// - `maxConnections` unset or `0` means no limit (Node v20); at the limit
///   new connections are closed and `'drop'` is emitted.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

/// A handle that does not keep the server alive: its task's, while the
/// server is idle.
pub(super) struct WeakServer(std::sync::Weak<Inner>);

impl WeakServer {
    pub(super) fn upgrade(&self) -> Option<Server> {
        self.0.upgrade().map(|inner| Server { inner })
    }
}

struct Inner {
    state: Mutex<State>,
    emitter: Emitter<Server, ServerEvent>,
    /// To the server's task; each command holds the server until the
    /// task has it (see `Acceptor::server`).
    commands: Sender<(Option<Server>, Command)>,
    event_loop: EventLoop,
    options: ServerOptions,
}

#[derive(Default)]
struct State {
    listening: bool,
    address: Option<ServerAddress>,
    connections: usize,
    max_connections: Option<u32>,
    /// The bound listener, kept so another server can share it.
    shared: Option<Shared>,
    /// Set when another server takes the listener over: this server's
    /// accept loop then takes no more connections.
    handed_over: Option<Arc<AtomicBool>>,
    /// A Unix socket path to unlink on close.
    unlink: Option<PathBuf>,
    refed: bool,
    /// Bumped by every listen/close, so a stale accept loop stops.
    generation: u64,
    /// `close()` calls since the last `listen()` whose `'close'` is still
    /// due. Each call emits at most one, once nothing is left open; the
    /// last connection closing settles them all with one (as Node's
    /// `_emitCloseIfDrained` does).
    close_pending: usize,
}

type Callback = Box<dyn FnOnce(Option<&Error>) + Send>;

enum Command {
    /// Start accepting and emit `'listening'`.
    Start(Listener, Arc<AtomicBool>, u64),
    /// Resolve a host name, then bind.
    ListenHost(String, u16, i32, bool, u64),
    /// Emit `'error'` for a failed listen.
    Failed(Error),
    /// Stop accepting.
    Stop,
    /// Another server took this one's handle (`server2.listen(server1)`):
    /// stop accepting, but stay listening, as Node's handle now calls the
    /// other server.
    HandOver,
    /// Emit `'close'` if nothing is left open.
    CloseIfDrained,
    ConnectionClosed,
    GetConnections(Box<dyn FnOnce(usize) + Send>),
}

impl Server {
    /// `new net.Server(options)` in the global event loop.
    pub fn new(options: ServerOptions) -> Server {
        Server::new_in(&EventLoop::global(), options)
    }

    /// A server in `event_loop`; its sockets belong to the same loop.
    pub fn new_in(event_loop: &EventLoop, options: ServerOptions) -> Server {
        let (tx, rx) = unbounded();
        let server = Server {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    refed: true,
                    ..State::default()
                }),
                emitter: Emitter::default(),
                commands: tx,
                event_loop: event_loop.clone(),
                options,
            }),
        };
        crate::tasks::spawn(Acceptor::new(&server, rx).run());
        server
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn downgrade(&self) -> WeakServer {
        WeakServer(Arc::downgrade(&self.inner))
    }

    fn send(&self, command: Command) {
        let _ = self.inner.commands.try_send((Some(self.clone()), command));
    }

    /// The event loop this server emits in.
    pub fn event_loop(&self) -> &EventLoop {
        &self.inner.event_loop
    }

    /// Whether two handles are the same server.
    pub fn ptr_eq(&self, other: &Server) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// `server.on('connection', listener)`, with the socket only.
    pub fn on_connection(
        &self,
        listener: impl Fn(&Server, &Socket) + Send + Sync + 'static,
    ) -> ListenerId {
        self.on(ServerEventKind::Connection, move |this, e| {
            if let ServerEvent::Connection(s) = e {
                listener(this, s)
            }
        })
    }

    /// Emits an event ([`Emits::emit`]: an `'error'` nobody listens to is
    /// an uncaught exception).
    fn emit(&self, event: ServerEvent) -> bool {
        Emits::emit(self, &event)
    }

    /// `server.listen(...)`: binds now and emits `'listening'` or `'error'`
    /// later. Errors only with `ERR_SERVER_ALREADY_LISTEN`, which Node
    /// throws synchronously.
    ///
    /// See <https://nodejs.org/api/net.html#serverlisten>.
    pub fn listen(&self, options: ListenOptions) -> Result<&Server, Error> {
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        self.inner.emitter.acted();
        let generation = {
            let mut st = self.state();
            if st.listening {
                return Err(Error::server_already_listen());
            }
            st.generation += 1;
            st.close_pending = 0;
            st.generation
        };
        let backlog = options.backlog.unwrap_or(DEFAULT_BACKLOG);
        let bound = if let Some(handle) = options.handle {
            adopt(handle)
        } else if let (None, Some(path)) = (options.port, options.path.clone()) {
            bind_unix(&path, backlog).inspect(|_| self.state().unlink = Some(path.clone()))
        } else {
            let port = options.port.unwrap_or(0);
            match options.host {
                // Node resolves any host first: `listening` stays false
                // until then.
                Some(host) => {
                    self.send(Command::ListenHost(
                        host,
                        port,
                        backlog,
                        options.ipv6_only,
                        generation,
                    ));
                    return Ok(self);
                }
                None => bind_tcp(None, port, backlog, options.ipv6_only),
            }
        };
        self.bound(bound, generation);
        Ok(self)
    }

    /// `server.listen(port[, host][, callback])` with the callback as a
    /// `'listening'` listener.
    pub fn listen_with(
        &self,
        options: ListenOptions,
        callback: impl Fn() + Send + Sync + 'static,
    ) -> Result<&Server, Error> {
        self.once(ServerEventKind::Listening, move |_, _| callback());
        self.listen(options)
    }

    /// Records a bound listener: `listening` and `address()` see it.
    /// Returns the flag for its accept loop.
    fn now_listening(&self, shared: Shared) -> Arc<AtomicBool> {
        let handed_over = Arc::new(AtomicBool::new(false));
        let mut st = self.state();
        st.listening = true;
        st.address = shared.address();
        st.shared = Some(shared);
        st.handed_over = Some(handed_over.clone());
        handed_over
    }

    fn bound(&self, bound: Result<(Shared, Listener), Error>, generation: u64) {
        match bound {
            Ok((shared, listener)) => {
                let handed_over = self.now_listening(shared);
                self.send(Command::Start(listener, handed_over, generation));
            }
            Err(err) => {
                self.state().listening = false;
                self.send(Command::Failed(err));
            }
        }
    }

    /// `server.close([callback])`: stops accepting now; `'close'` (and the
    /// callback) once every connection has ended. The callback gets
    /// `ERR_SERVER_NOT_RUNNING` if the server was not listening.
    ///
    /// See <https://nodejs.org/api/net.html#serverclosecallback>.
    pub fn close(&self) -> &Server {
        self.close_inner(None)
    }

    /// `server.close(callback)`.
    pub fn close_with(&self, callback: impl FnOnce(Option<&Error>) + Send + 'static) -> &Server {
        self.close_inner(Some(Box::new(callback)))
    }

    fn close_inner(&self, callback: Option<Callback>) -> &Server {
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        self.inner.emitter.acted();
        let was_listening = {
            let mut st = self.state();
            let was = st.listening;
            st.listening = false;
            st.address = None;
            if let Some(shared) = st.shared.take() {
                shared.stop_listening();
            }
            st.generation += 1;
            st.close_pending += 1;
            was
        };
        if let Some(cb) = callback {
            let cb = Mutex::new(Some(cb));
            self.once(ServerEventKind::Close, move |_, _| {
                if let Some(cb) = cb.lock().ok().and_then(|mut c| c.take()) {
                    if was_listening {
                        cb(None)
                    } else {
                        cb(Some(&Error::server_not_running()))
                    }
                }
            });
        }
        if was_listening {
            self.send(Command::Stop);
        }
        self.send(Command::CloseIfDrained);
        self
    }

    /// `server.address()`: `None` (null) before listening and after close.
    pub fn address(&self) -> Option<ServerAddress> {
        self.state().address.clone()
    }

    /// `server.listening`.
    pub fn listening(&self) -> bool {
        self.state().listening
    }

    /// `server.maxConnections` (`None` when unset).
    pub fn max_connections(&self) -> Option<u32> {
        self.state().max_connections
    }

    /// Sets `server.maxConnections`; `None` or `0` means unlimited.
    pub fn set_max_connections(&self, max: Option<u32>) {
        self.state().max_connections = max;
    }

    /// `server.getConnections(callback)`: the count, asynchronously.
    pub fn get_connections(&self, callback: impl FnOnce(usize) + Send + 'static) -> &Server {
        self.send(Command::GetConnections(Box::new(callback)));
        self
    }

    /// The number of open connections, now.
    pub fn connections(&self) -> usize {
        self.state().connections
    }

    /// `server.ref()`.
    pub fn ref_(&self) -> &Server {
        self.state().refed = true;
        self
    }

    /// `server.unref()`: records the flag (nothing keeps a Rust process
    /// alive).
    pub fn unref(&self) -> &Server {
        self.state().refed = false;
        self
    }
}

impl Emits for Server {
    type Event = ServerEvent;

    fn emitter(&self) -> &Emitter<Server, ServerEvent> {
        &self.inner.emitter
    }

    fn event_loop(&self) -> &EventLoop {
        &self.inner.event_loop
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("address", &self.address())
            .finish()
    }
}

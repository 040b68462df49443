//! The per-server task: accepts connections, resolves `listen()` hosts,
//! counts connections and emits the server's events during turns of its
//! [`EventLoop`](crate::event_loop::EventLoop).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_std::channel::Receiver;
use async_std::stream::Stream as _;

use super::listener::{Accepting, Listener, Shared, bind_addr};
use super::{Command, DropInfo, Server, ServerEvent, WeakServer};
use crate::dns;
use crate::error::Error;
use crate::net::transport::BoxTransport;
use crate::net::{Socket, SocketOptions};

/// What woke the server task.
enum Wake {
    Command(Command),
    Accepted(io::Result<BoxTransport>),
    Resolved(Result<(Shared, Listener), Error>, u64),
    Gone,
}

type Resolving = Pin<Box<dyn Future<Output = (Result<(Shared, Listener), Error>, u64)> + Send>>;

/// The per-server task: accepts connections and emits the server's events.
pub(super) struct Acceptor {
    /// Held while the server has something to do (listening, resolving a
    /// host, connections open, a `'close'` due) and from a command's
    /// arrival to the end of its turn: an idle server nobody else holds
    /// is dropped, which ends this task.
    server: Option<Server>,
    weak: WeakServer,
    commands: Receiver<(Option<Server>, Command)>,
    listener: Option<(Accepting, u64)>,
    resolving: Option<Resolving>,
}

impl Acceptor {
    pub(super) fn new(server: &Server, commands: Receiver<(Option<Server>, Command)>) -> Acceptor {
        Acceptor {
            server: None,
            weak: server.downgrade(),
            commands,
            listener: None,
            resolving: None,
        }
    }

    pub(super) async fn run(mut self) {
        loop {
            let wake = std::future::poll_fn(|cx| self.poll_wake(cx)).await;
            if let Wake::Gone = wake {
                return;
            }
            // A command brought the server (poll_wake); else it is held
            // or gone (while its connections' close notices were on the way).
            if self.server.is_none() {
                let Some(server) = self.weak.upgrade() else {
                    return;
                };
                self.server = Some(server);
            }
            let event_loop = srv(&self.server).inner.event_loop.clone();
            let _turn = event_loop.turn().await;
            crate::events::in_task(|| {
                self.handle(wake);
                while let Ok((_, c)) = self.commands.try_recv() {
                    self.handle(Wake::Command(c));
                }
            });
            if !self.busy() {
                self.server = None;
            }
        }
    }

    /// Whether the server must stay alive for what it is doing.
    fn busy(&self) -> bool {
        let st = srv(&self.server).state();
        st.listening || st.connections > 0 || st.close_pending > 0 || self.resolving.is_some()
    }

    fn poll_wake(&mut self, cx: &mut Context<'_>) -> Poll<Wake> {
        match Pin::new(&mut self.commands).poll_next(cx) {
            Poll::Ready(Some((holder, c))) => {
                // A user's command holds the server: a server whose last
                // handle was dropped right after `listen()` still listens.
                if self.server.is_none() {
                    self.server = holder;
                }
                return Poll::Ready(Wake::Command(c));
            }
            Poll::Ready(None) => return Poll::Ready(Wake::Gone),
            Poll::Pending => {}
        }
        if let Some(r) = self.resolving.as_mut()
            && let Poll::Ready((bound, generation)) = r.as_mut().poll(cx)
        {
            self.resolving = None;
            return Poll::Ready(Wake::Resolved(bound, generation));
        }
        if let Some((l, _)) = self.listener.as_mut()
            && let Poll::Ready(Some(r)) = Pin::new(&mut l.streams).poll_next(cx)
        {
            return Poll::Ready(Wake::Accepted(r));
        }
        Poll::Pending
    }

    fn current(&self, generation: u64) -> bool {
        srv(&self.server).state().generation == generation
    }

    fn handle(&mut self, wake: Wake) {
        match wake {
            Wake::Gone => {}
            Wake::Command(Command::Start(listener, handed_over, generation)) => {
                if self.current(generation) {
                    self.listener = Some((listener.start(handed_over), generation));
                    srv(&self.server).emit(ServerEvent::Listening);
                }
            }
            Wake::Command(Command::ListenHost(host, port, backlog, v6only, generation)) => {
                self.resolving = Some(Box::pin(async move {
                    // Node's listen() takes the first address dns.lookup gives.
                    let bound = match dns::lookup(&host, None).await {
                        Ok(ips) => bind_addr(SocketAddr::new(ips[0], port), backlog, v6only),
                        Err(e) => Err(e),
                    };
                    (bound, generation)
                }));
            }
            Wake::Resolved(bound, generation) => {
                if self.current(generation) {
                    match bound {
                        Ok((shared, listener)) => {
                            let handed_over = srv(&self.server).now_listening(shared);
                            self.listener = Some((listener.start(handed_over), generation));
                            srv(&self.server).emit(ServerEvent::Listening);
                        }
                        Err(err) => {
                            srv(&self.server).state().listening = false;
                            srv(&self.server).emit(ServerEvent::Error(err));
                        }
                    }
                }
            }
            Wake::Command(Command::Failed(err)) => {
                srv(&self.server).emit(ServerEvent::Error(err));
            }
            Wake::Command(Command::HandOver) => {
                self.listener = None;
            }
            Wake::Command(Command::Stop) => {
                self.listener = None;
                self.resolving = None;
                if let Some(path) = srv(&self.server).state().unlink.take() {
                    let _ = std::fs::remove_file(path);
                }
            }
            Wake::Command(Command::CloseIfDrained) => self.close_if_drained(),
            Wake::Command(Command::ConnectionClosed) => {
                let drained = {
                    let mut st = srv(&self.server).state();
                    st.connections = st.connections.saturating_sub(1);
                    let drained = st.connections == 0 && !st.listening && st.close_pending > 0;
                    if drained {
                        st.close_pending = 0;
                    }
                    drained
                };
                if drained {
                    srv(&self.server).emit(ServerEvent::Close);
                }
            }
            Wake::Command(Command::GetConnections(cb)) => cb(srv(&self.server).connections()),
            Wake::Accepted(Ok(stream)) => self.accepted(stream),
            // After close() shut the socket down, accept fails: not an error.
            Wake::Accepted(Err(_)) if !srv(&self.server).state().listening => {}
            Wake::Accepted(Err(err)) => {
                let err = Error::system(err, "accept", None, None, false);
                srv(&self.server).emit(ServerEvent::Error(err));
            }
        }
    }

    fn close_if_drained(&mut self) {
        let drained = {
            let mut st = srv(&self.server).state();
            let drained = !st.listening && st.connections == 0 && st.close_pending > 0;
            if drained {
                st.close_pending -= 1;
            }
            drained
        };
        if drained {
            srv(&self.server).emit(ServerEvent::Close);
        }
    }

    fn accepted(&mut self, stream: BoxTransport) {
        let (listening, full) = {
            let st = srv(&self.server).state();
            let full =
                matches!(st.max_connections, Some(m) if m > 0 && st.connections >= m as usize);
            (st.listening, full)
        };
        if !listening {
            return; // closed while this connection waited for the turn
        }
        if full {
            let inet = |e: Option<crate::net::transport::Endpoint>| e.and_then(|e| e.inet());
            let info = match (inet(stream.local()), inet(stream.remote())) {
                (Some(l), Some(r)) => Some(DropInfo {
                    local: l.into(),
                    remote: r.into(),
                }),
                _ => None,
            };
            drop(stream);
            srv(&self.server).emit(ServerEvent::Drop(info));
            return;
        }
        srv(&self.server).state().connections += 1;
        let options = &srv(&self.server).inner.options;
        let socket_options = SocketOptions {
            allow_half_open: options.allow_half_open,
            no_delay: options.no_delay,
            keep_alive: options.keep_alive,
            keep_alive_initial_delay: options.keep_alive_initial_delay,
            high_water_mark: options.high_water_mark,
        };
        let commands = srv(&self.server).inner.commands.clone();
        let stream = match &options.layer {
            Some(layer) => (layer.0)(stream),
            None => stream,
        };
        let socket = Socket::accepted(
            &srv(&self.server).inner.event_loop,
            socket_options,
            stream,
            options.pause_on_connect,
            Box::new(move || {
                let _ = commands.try_send((None, Command::ConnectionClosed));
            }),
        );
        srv(&self.server).emit(ServerEvent::Connection(socket));
    }
}

/// The server, during a turn (see `Acceptor::server`).
fn srv(server: &Option<Server>) -> &Server {
    server.as_ref().expect("held during the turn")
}

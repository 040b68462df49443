//! `node:https`: http's classes over TLS, by delegation (`lib/https.js`).
//!
//! - [`Server`]: an [`http::Server`] taking its connections from a
//!   [`tls::Server`]'s `'secureConnection'`, as Node's https.Server is a
//!   tls.Server with http's connection listener.
//! - [`agent_in`]: an [`http::Agent`] whose connector makes each socket a
//!   TLS client (`createConnection`), with https's session cache
//!   (`maxCachedSessions`): a new connection to an origin resumes the
//!   last session it saw.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::events::Emits;
use crate::http;
use crate::net::{SocketEvent, SocketEventKind};
use crate::tls::{self, ClientTls, TlsEvent, TlsEventKind};

/// Node's `https.Server`. Clone freely.
#[derive(Clone)]
pub struct Server {
    http: http::Server,
    tls: tls::Server,
}

impl Server {
    /// `https.createServer(options)`: `tls` for the TLS side (Node adds
    /// `ALPNProtocols: ['http/1.1']` unless given, and `noDelay`), `http`
    /// for the HTTP side.
    pub fn new_in(
        event_loop: &EventLoop,
        mut tls_options: tls::ServerOptions,
        http_options: http::ServerOptions,
    ) -> Server {
        if tls_options.alpn_protocols.is_empty() {
            tls_options.alpn_protocols = vec![b"http/1.1".to_vec()];
        }
        tls_options.net.no_delay = true;
        let tls = tls::Server::new_in(event_loop, tls_options);
        let source = tls.clone();
        let http = http::Server::over(http_options, tls.net().clone(), move |start| {
            source.on(tls::ServerEventKind::SecureConnection, move |_, e| {
                if let tls::ServerEvent::SecureConnection(s) = e {
                    start(s.socket());
                }
            });
        });
        // `tlsClientError` is `clientError`'s, or destroys the socket.
        let weak = http.downgrade();
        tls.on(tls::ServerEventKind::TlsClientError, move |_, e| {
            if let tls::ServerEvent::TlsClientError(err, socket) = e
                && let Some(http) = weak.upgrade()
                && !http.emit(http::ServerEvent::ClientError(
                    err.clone(),
                    socket.socket().clone(),
                ))
            {
                socket.socket().destroy(Some(err.clone()));
            }
        });
        Server { http, tls }
    }

    /// The HTTP side: requests, responses, timeouts.
    pub fn http(&self) -> &http::Server {
        &self.http
    }

    /// The TLS side it extends (and the net server under it).
    pub fn tls(&self) -> &tls::Server {
        &self.tls
    }
}

/// https's session cache (`_sessionCache`): the last session per pool
/// name, the oldest evicted beyond `max`.
struct SessionCache {
    max: usize,
    map: HashMap<String, Vec<u8>>,
    order: VecDeque<String>,
}

impl SessionCache {
    fn put(&mut self, key: &str, session: Vec<u8>) {
        if self.max == 0 {
            return;
        }
        if let Some(s) = self.map.get_mut(key) {
            *s = session;
            return;
        }
        if self.order.len() >= self.max
            && let Some(old) = self.order.pop_front()
        {
            self.map.remove(&old);
        }
        self.order.push_back(key.to_string());
        self.map.insert(key.to_string(), session);
    }

    fn evict(&mut self, key: &str) {
        self.order.retain(|k| k != key);
        self.map.remove(key);
    }
}

/// `new https.Agent(options)`: an http agent (`defaultPort` 443,
/// `protocol` `https:`) whose sockets are TLS clients, resuming sessions
/// from a cache of `max_cached_sessions` origins (Node's default 100).
///
/// Requests give their TLS options as [`http::Secure`] holding a
/// [`ClientTls`]; a request without them is refused.
pub fn agent_in(
    event_loop: &EventLoop,
    mut options: http::AgentOptions,
    max_cached_sessions: usize,
) -> http::Agent {
    let cache = Arc::new(Mutex::new(SessionCache {
        max: max_cached_sessions,
        map: HashMap::new(),
        order: VecDeque::new(),
    }));
    options.default_port = 443;
    options.protocol = "https:";
    options.max_cached_sessions = Some(max_cached_sessions);
    options.connector = Some(http::Connector(Arc::new(move |socket, origin| {
        let Some(mut client) = origin
            .secure
            .as_ref()
            .and_then(|s| s.options.downcast_ref::<ClientTls>())
            .cloned()
        else {
            return Err(Error::plain(
                "ERR_NODECOMPAT_UNSUPPORTED",
                "an https agent's request without TLS options",
            ));
        };
        let key = origin.name();
        if client.session.is_none() {
            client.session = cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .map
                .get(&key)
                .cloned();
        }
        let tls = tls::secure(socket, &client)?;
        let (c, k) = (cache.clone(), key.clone());
        tls.on(TlsEventKind::Session, move |_, e| {
            if let TlsEvent::Session(s) = e {
                c.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .put(&k, s.clone());
            }
        });
        let c = cache.clone();
        socket.once(SocketEventKind::Close, move |_, e| {
            if let SocketEvent::Close {
                had_error: Some(true),
            } = e
            {
                c.lock().unwrap_or_else(|p| p.into_inner()).evict(&key);
            }
        });
        Ok(())
    })));
    http::Agent::new_in(event_loop, options)
}

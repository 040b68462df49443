//! One accepted connection of an `http.Server`: the socket's bytes through
//! the request parser, requests and responses in order, keep-alive, and
//! what Node does when parsing fails.
//!
//! The rules are those of Node 20's `lib/_http_server.js`, named after its
//! functions: `connectionListenerInternal`, `parserOnIncoming`,
//! `resOnFinish`, `socketOnError`, `socketOnEnd`, `socketOnClose`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use super::h1::{self, Parsed, RequestParser};
use super::server::{Server, ServerEvent, WeakServer};
use super::{IncomingMessage, ServerResponse};
use crate::error::Error;
use crate::events::Emits;
use crate::net::{Socket, SocketEvent, SocketEventKind};

/// `HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER`: the socket's idle timeout is
/// the advertised keep-alive timeout plus this.
const KEEP_ALIVE_TIMEOUT_BUFFER: u64 = 1000;

/// What Node writes when it answers a client error itself.
fn error_response(code: &str) -> &'static [u8] {
    match code {
        "HPE_HEADER_OVERFLOW" => {
            b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
        }
        "HPE_CHUNK_EXTENSIONS_OVERFLOW" => {
            b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n"
        }
        "ERR_HTTP_REQUEST_TIMEOUT" => b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n",
        _ => b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
    }
}

/// A parse error as Node makes it: `code`, `reason`, and the message
/// `"Parse Error: " + reason`.
fn parse_error(e: &h1::ParseError) -> Error {
    Error::plain(e.code, e.to_string())
}

pub(crate) struct Connection {
    /// Itself, for the listeners it adds to its responses.
    me: Weak<Connection>,
    server: WeakServer,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    parser: RequestParser,
    /// socketOnError ran: later errors are ignored (Node removes the
    /// listener).
    errored: bool,
    /// Requests whose response has not finished (Node's
    /// `state.incoming`).
    incoming: VecDeque<IncomingMessage>,
    /// Responses waiting for the socket (Node's `state.outgoing`).
    outgoing: VecDeque<ServerResponse>,
    /// The response writing to the socket (Node's `socket._httpMessage`).
    current: Option<ServerResponse>,
    /// The request whose body is arriving.
    reading: Option<IncomingMessage>,
    closed: bool,
}

impl Connection {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `connectionListenerInternal`: the parser and the socket's
    /// listeners. Node adds a `'data'` listener (the socket emits
    /// `'resume'`), and listens to `'error'`, so a socket error is never
    /// uncaught: it goes to `'clientError'`.
    pub(crate) fn start(server: &Server, socket: &Socket) {
        let conn = Arc::new_cyclic(|me| Connection {
            me: me.clone(),
            server: server.downgrade(),
            state: Mutex::new(State {
                // The h1 core holds Node's default limit (16 KiB); the
                // `maxHeaderSize` option is not applied yet.
                parser: RequestParser::new(),
                ..State::default()
            }),
        });
        let c = conn.clone();
        socket.on_data(move |sock, chunk| c.on_data(sock, chunk.as_bytes()));
        let c = conn.clone();
        socket.on(SocketEventKind::Error, move |sock, e| {
            if let SocketEvent::Error(err) = e {
                c.on_error(sock, err.clone());
            }
        });
        let c = conn.clone();
        socket.on(SocketEventKind::End, move |sock, _| c.on_end(sock));
        let c = conn.clone();
        socket.on(SocketEventKind::Timeout, move |sock, _| c.on_timeout(sock));
        socket.on(SocketEventKind::Close, move |_, _| conn.on_close());
    }

    fn on_data(&self, socket: &Socket, bytes: &[u8]) {
        let mut items = Vec::new();
        let result = self.state().parser.feed(bytes, &mut items);
        let mut touched: Vec<IncomingMessage> = Vec::new();
        for item in items {
            if let Some(req) = self.parsed(socket, item)
                && !touched.iter().any(|r| r.ptr_eq(&req))
            {
                touched.push(req);
            }
        }
        for req in touched {
            req.settle();
        }
        if let Err(e) = result {
            self.on_error(socket, parse_error(&e));
        }
    }

    /// One item of the parser's output; the request it concerns.
    fn parsed(&self, socket: &Socket, item: Parsed) -> Option<IncomingMessage> {
        match item {
            Parsed::Head(head) => Some(self.on_incoming(socket, head)),
            Parsed::Body(bytes) => {
                let req = self.state().reading.clone()?;
                req.push(bytes);
                Some(req)
            }
            Parsed::Trailers(trailers) => {
                let req = self.state().reading.clone()?;
                req.set_trailers(trailers);
                Some(req)
            }
            Parsed::Complete => {
                let req = self.state().reading.take()?;
                req.push_eof();
                Some(req)
            }
            // Upgrades and CONNECT are not implemented: the parser stops
            // there, and so does the connection.
            Parsed::Upgraded(_) => None,
        }
    }

    /// `parserOnIncoming`: a request's head arrived.
    fn on_incoming(&self, socket: &Socket, head: h1::RequestHead) -> IncomingMessage {
        let server = self.server.upgrade();
        let (keep_alive_timeout, max_requests) = server.as_ref().map_or((5000, 0), |s| {
            let st = s.settings();
            (st.keep_alive_timeout, st.max_requests_per_socket)
        });
        // A request after a keep-alive pause: the idle timeout is off.
        socket.set_timeout(0);
        let req = IncomingMessage::new(head, socket.clone());
        let res = ServerResponse::new(req.head(), socket.clone(), keep_alive_timeout, max_requests);
        {
            let mut st = self.state();
            st.incoming.push_back(req.clone());
            st.reading = Some(req.clone());
            if st.current.is_none() {
                st.current = Some(res.clone());
                drop(st);
                res.attach();
            } else {
                st.outgoing.push_back(res.clone());
            }
        }
        // resOnFinish, before any listener the user adds.
        let conn = self.me.clone();
        let (r, s) = (req.clone(), socket.clone());
        res.once(super::response::ResponseEventKind::Finish, move |res, _| {
            if let Some(c) = conn.upgrade() {
                c.on_response_finish(&s, &r, res);
            }
        });
        if let Some(server) = server {
            let expect = req
                .head()
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("expect"))
                .map(|(_, v)| v.clone());
            match expect {
                Some(v) if req.head().version == (1, 1) => {
                    if v.to_ascii_lowercase().contains("100-continue") {
                        let _ = socket.write(&b"HTTP/1.1 100 Continue\r\n\r\n"[..]);
                        server.emit(ServerEvent::Request(req.clone(), res));
                    } else {
                        let _ = res.write_head(417, None, &[]);
                        let _ = res.end(None);
                    }
                }
                _ => {
                    server.emit(ServerEvent::Request(req.clone(), res));
                }
            }
        }
        req
    }

    /// `resOnFinish`.
    fn on_response_finish(&self, socket: &Socket, req: &IncomingMessage, res: &ServerResponse) {
        let next = {
            let mut st = self.state();
            st.incoming.retain(|r| !r.ptr_eq(req));
            st.current = None;
            let next = st.outgoing.pop_front();
            st.current = next.clone();
            next
        };
        // Nobody read the body: let it flow away.
        if !req.consumed() {
            req.dump();
            req.settle();
        }
        if res.last() {
            socket.destroy_soon();
        } else if let Some(next) = next {
            next.attach();
        } else if let Some(server) = self.server.upgrade() {
            let t = server.keep_alive_timeout();
            if t > 0 {
                socket.set_timeout(t + KEEP_ALIVE_TIMEOUT_BUFFER);
            }
        }
    }

    /// `socketOnError`: `'clientError'`, or Node's own answer and the
    /// socket destroyed with the error.
    fn on_error(&self, socket: &Socket, err: Error) {
        let headers_sent = {
            let mut st = self.state();
            if std::mem::replace(&mut st.errored, true) {
                return;
            }
            st.current.as_ref().is_some_and(ServerResponse::head_sent)
        };
        let Some(server) = self.server.upgrade() else {
            socket.destroy(Some(err));
            return;
        };
        if !server.emit(ServerEvent::ClientError(err.clone(), socket.clone())) {
            if socket.writable() && !headers_sent {
                socket.write(error_response(err.code()));
            }
            socket.destroy(Some(err));
        }
    }

    /// `socketOnEnd`: the parser's verdict on a message cut short, else
    /// the end of our side (an `http.Server` does not stay half-open).
    fn on_end(&self, socket: &Socket) {
        let finished = self.state().parser.finish();
        match finished {
            Err(e) => self.on_error(socket, parse_error(&e)),
            Ok(()) => {
                socket.end();
            }
        }
    }

    /// `socketOnTimeout` with no `'timeout'` listener on the request, the
    /// response or the server: the idle connection is destroyed.
    fn on_timeout(&self, socket: &Socket) {
        socket.destroy(None);
    }

    /// `socketOnClose`: requests still open are aborted, the response
    /// writing closes.
    fn on_close(&self) {
        let (incoming, current, outgoing) = {
            let mut st = self.state();
            st.closed = true;
            st.reading = None;
            (
                std::mem::take(&mut st.incoming),
                st.current.take(),
                std::mem::take(&mut st.outgoing),
            )
        };
        for req in incoming {
            req.destroy_now(Some(Error::plain("ECONNRESET", "aborted")));
        }
        if let Some(res) = current {
            res.close();
        }
        drop(outgoing);
    }
}

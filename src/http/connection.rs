//! One accepted connection of an `http.Server`: the socket's bytes through
//! the request parser, requests and responses in order, keep-alive, and
//! what Node does when parsing fails.
//!
//! The rules are those of Node 20's `lib/_http_server.js`, named after its
//! functions: `connectionListenerInternal`, `parserOnIncoming`,
//! `resOnFinish`, `socketOnError`, `socketOnEnd`, `socketOnClose`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use super::h1::{self, Parsed, Phase, RequestParser};
use super::incoming::{HeaderField, MessageHead, headers_object};
use super::server::{Server, ServerEvent, ServerEventKind, WeakServer};
use super::{IncomingMessage, ServerResponse};
use crate::error::{Error, ErrorProp};
use crate::events::{Emits, ListenerId};
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

/// Node's `continueExpression`: `100-continue` as a word, any case.
fn continue_expected(expect: &str) -> bool {
    let lower = expect.to_ascii_lowercase();
    let word = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    lower.match_indices("100-continue").any(|(i, m)| {
        let bytes = lower.as_bytes();
        !word(i.checked_sub(1).map(|j| bytes[j])) && !word(bytes.get(i + m.len()).copied())
    })
}

/// A parse error as Node makes it: `code`, `reason`, and the message
/// `"Parse Error: " + reason`.
pub(crate) fn parse_error(e: &h1::ParseError, chunk: &[u8], chunk_start: usize) -> Error {
    // `bytesParsed` counts from the start of the chunk being parsed
    // (llhttp's position in the buffer it was given); `rawPacket` is that
    // chunk (prepareError).
    Error::plain(e.code, e.to_string()).with_props(vec![
        (
            "bytesParsed",
            ErrorProp::Number(e.position.saturating_sub(chunk_start) as f64),
        ),
        ("reason", ErrorProp::String(e.reason.to_string())),
        ("rawPacket", ErrorProp::Bytes(chunk.to_vec())),
    ])
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
    /// Bytes given to the parser so far.
    fed: usize,
    /// When the request arriving began (llhttp's `on_message_begin`;
    /// Node's `last_message_start_`), until it is complete or timed out.
    message_start: Option<Instant>,
    /// Its headers are complete.
    headers_done: bool,
    /// It timed out: not timed again until the next request begins
    /// (Node erases it from the active connections).
    timed_out: bool,
    /// The keep-alive timeout is on the socket (`keepAliveTimeoutSet`).
    keep_alive_timeout_set: bool,
    /// `maxHeadersCount` when the connection started.
    max_headers: Option<u32>,
    /// A request that leaves HTTP, and the bytes after its head.
    upgrade: Option<(IncomingMessage, Vec<u8>)>,
    /// The connection let go of its socket (upgrade, CONNECT).
    handed_over: bool,
    /// The listeners it added to the socket, removed on hand-over.
    listeners: Vec<ListenerId>,
    /// Requests counted against `maxRequestsPerSocket`.
    requests: u32,
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
                parser: RequestParser::new(),
                ..State::default()
            }),
        });
        conn.state()
            .parser
            .set_max_header_size(server.options().max_header_size);
        conn.state().max_headers = server.max_headers_count();
        // connectionListenerInternal: `server.timeout` on each socket.
        if server.timeout() > 0 {
            socket.set_timeout(server.timeout());
        }
        server.add_connection(Arc::downgrade(&conn), socket.clone());
        let c = conn.clone();
        let mut ids = vec![socket.on_data(move |sock, chunk| c.on_data(sock, chunk.as_bytes()))];
        let c = conn.clone();
        ids.push(socket.on(SocketEventKind::Error, move |sock, e| {
            if let SocketEvent::Error(err) = e {
                c.on_error(sock, err.clone());
            }
        }));
        let c = conn.clone();
        ids.push(socket.on(SocketEventKind::End, move |sock, _| c.on_end(sock)));
        let c = conn.clone();
        ids.push(socket.on(SocketEventKind::Timeout, move |sock, _| c.on_timeout(sock)));
        let c = conn.clone();
        ids.push(socket.on(SocketEventKind::Close, move |sock, _| c.on_close(sock)));
        // socketOnDrain: the response writing now gets its 'drain'.
        let c = conn.clone();
        ids.push(socket.on(SocketEventKind::Drain, move |_, _| {
            let current = c.state().current.clone();
            if let Some(res) = current {
                res.socket_drained();
            }
        }));
        conn.state().listeners = ids;
    }

    fn on_data(&self, socket: &Socket, bytes: &[u8]) {
        let mut items = Vec::new();
        // parserOnIncoming: an upgrade leaves HTTP only if someone
        // listens for it.
        let upgrades = self
            .server
            .upgrade()
            .is_some_and(|s| s.listener_count(ServerEventKind::Upgrade) > 0);
        let (result, start) = {
            let mut st = self.state();
            if st.handed_over {
                return;
            }
            st.parser.set_upgrades(upgrades);
            let start = st.fed;
            st.fed += bytes.len();
            (st.parser.feed(bytes, &mut items), start)
        };
        let mut touched: Vec<IncomingMessage> = Vec::new();
        let completed = items.iter().any(|i| matches!(i, Parsed::Complete));
        for item in items {
            if let Some(req) = self.parsed(socket, item)
                && !touched.iter().any(|r| r.ptr_eq(&req))
            {
                touched.push(req);
            }
        }
        self.track_message(completed);
        // A parse error in the same read is answered before the requests
        // it follows flow: Node emits their 'end' on a later tick, after
        // socketOnError destroyed the socket (a handler answering on 'end'
        // then writes nothing).
        if let Err(e) = result {
            self.client_error(socket, parse_error(&e, bytes, start));
        }
        for req in touched {
            req.settle();
        }
        let upgrade = self.state().upgrade.take();
        if let Some((req, head)) = upgrade {
            self.hand_over(socket, req, head);
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
            Parsed::Upgraded(rest) => {
                if let Some((_, head)) = self.state().upgrade.as_mut() {
                    head.extend_from_slice(&rest);
                }
                None
            }
        }
    }

    /// `parserOnIncoming`: a request's head arrived.
    fn on_incoming(&self, socket: &Socket, head: h1::RequestHead) -> IncomingMessage {
        let server = self.server.upgrade();
        let (keep_alive_timeout, max_requests) = server.as_ref().map_or((5000, 0), |s| {
            let st = s.settings();
            (st.keep_alive_timeout, st.max_requests_per_socket)
        });
        // resetSocketTimeout: after a keep-alive pause, back to
        // `server.timeout`.
        let reset = {
            let mut st = self.state();
            st.headers_done = true;
            std::mem::take(&mut st.keep_alive_timeout_set)
        };
        if reset {
            socket.set_timeout(server.as_ref().map_or(0, Server::timeout));
        }
        let max_headers = self.state().max_headers;
        let upgrades = head.method == "CONNECT"
            || (head.upgrade
                && server
                    .as_ref()
                    .is_some_and(|s| s.listener_count(ServerEventKind::Upgrade) > 0));
        if upgrades {
            // parserOnIncoming returns 2: no response, not in flight.
            let req = IncomingMessage::new(MessageHead::Request(head), socket.clone(), max_headers);
            self.state().upgrade = Some((req.clone(), Vec::new()));
            return req;
        }
        let res = ServerResponse::new(&head, socket.clone(), keep_alive_timeout, max_requests);
        let req = IncomingMessage::new(MessageHead::Request(head), socket.clone(), max_headers);
        {
            let mut st = self.state();
            st.incoming.push_back(req.clone());
            st.reading = Some(req.clone());
            if st.current.is_none() {
                st.current = Some(res.clone());
                drop(st);
                res.attach();
            } else {
                // Its bytes follow the previous response's on the socket
                // as soon as that one has ended (see `set_next`).
                let previous = st.outgoing.back().or(st.current.as_ref()).cloned();
                st.outgoing.push_back(res.clone());
                drop(st);
                if let Some(previous) = previous {
                    previous.set_next(res.clone());
                }
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
            self.dispatch(&server, socket, &req, res);
        }
        req
    }

    /// The end of `parserOnIncoming`: `Host` required, the request limit,
    /// `Expect`, else `'request'`.
    fn dispatch(
        &self,
        server: &Server,
        socket: &Socket,
        req: &IncomingMessage,
        res: ServerResponse,
    ) {
        if req.head().version() == (1, 1) {
            // `req.headers`, as far as `maxHeadersCount` lets it see.
            let header = |name: &str| {
                headers_object(req.counted_headers())
                    .into_iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| match v {
                        HeaderField::One(s) => s,
                        HeaderField::Many(vs) => vs.join(", "),
                    })
            };
            if server.options().require_host_header && header("host").is_none() {
                let _ = res.write_head(400, None, &[("Connection".into(), "close".into())]);
                let _ = res.end(None);
                return;
            }
            let max = server.max_requests_per_socket();
            if max > 0 {
                let count = {
                    let mut st = self.state();
                    st.requests += 1;
                    st.requests
                };
                res.set_max_requests_reached(max <= count);
                if max < count {
                    server.emit(ServerEvent::DropRequest(req.clone(), socket.clone()));
                    let _ = res.write_head(503, None, &[]);
                    let _ = res.end(None);
                    return;
                }
            }
            if let Some(expect) = header("expect") {
                if continue_expected(&expect) {
                    res.with_core_mut(|c| c.expect_continue = true);
                    if server.listener_count(ServerEventKind::CheckContinue) > 0 {
                        server.emit(ServerEvent::CheckContinue(req.clone(), res));
                    } else {
                        res.write_continue();
                        server.emit(ServerEvent::Request(req.clone(), res));
                    }
                } else if server.listener_count(ServerEventKind::CheckExpectation) > 0 {
                    server.emit(ServerEvent::CheckExpectation(req.clone(), res));
                } else {
                    let _ = res.write_head(417, None, &[]);
                    let _ = res.end(None);
                }
                return;
            }
        }
        server.emit(ServerEvent::Request(req.clone(), res));
    }

    /// onParserExecuteCommon's upgrade branch: the HTTP side lets go of
    /// the socket (its listeners removed, `readableFlowing` back to null)
    /// and hands it to `'upgrade'` or `'connect'`; a CONNECT nobody
    /// listens for is destroyed.
    fn hand_over(&self, socket: &Socket, req: IncomingMessage, head: Vec<u8>) {
        let listeners = {
            let mut st = self.state();
            st.handed_over = true;
            st.reading = None;
            std::mem::take(&mut st.listeners)
        };
        for id in listeners {
            socket.off(id);
        }
        let Some(server) = self.server.upgrade() else {
            return;
        };
        server.remove_connection(socket);
        let connect = req.method() == Some("CONNECT");
        if connect && server.listener_count(ServerEventKind::Connect) == 0 {
            socket.destroy(None);
            return;
        }
        socket.set_readable_flowing(None);
        let event = if connect {
            ServerEvent::Connect(req, socket.clone(), head)
        } else {
            ServerEvent::Upgrade(req, socket.clone(), head)
        };
        server.emit(event);
    }

    /// After a read: when the request arriving began (llhttp's
    /// `on_message_begin`, Node's `last_message_start_`), and whether its
    /// headers are complete, from where the parser stands. A request that
    /// began in the same read as the previous one completed is a new one.
    fn track_message(&self, completed: bool) {
        let mut st = self.state();
        let phase = st.parser.phase();
        if completed || phase == Phase::Idle {
            st.timed_out = false;
        }
        match phase {
            Phase::Idle => st.message_start = None,
            Phase::Head | Phase::Body => {
                if (st.message_start.is_none() && !st.timed_out) || completed {
                    st.message_start = Some(Instant::now());
                }
                st.headers_done = phase == Phase::Body;
            }
        }
    }

    /// No request in progress: none arriving, none waiting for its
    /// response (Node's `ConnectionsList.idle()`).
    pub(crate) fn idle(&self) -> bool {
        let st = self.state();
        st.incoming.is_empty() && st.current.is_none() && st.parser.phase() == Phase::Idle
    }

    /// `resOnFinish`.
    fn on_response_finish(&self, socket: &Socket, req: &IncomingMessage, res: &ServerResponse) {
        let next = {
            let mut st = self.state();
            st.incoming.retain(|r| !r.ptr_eq(req));
            st.current = None;
            // After a last response Node never assigns the next one.
            let next = if res.last() {
                None
            } else {
                st.outgoing.pop_front()
            };
            st.current = next.clone();
            next
        };
        res.detach();
        // Nobody read the body: let it flow away.
        if !req.consumed() {
            req.dump();
            req.settle();
        }
        if res.last() {
            socket.destroy_soon();
        } else if next.is_some() {
            // It writes already (it was attached when this one ended).
        } else if let Some(server) = self.server.upgrade() {
            let t = server.keep_alive_timeout();
            if t > 0 {
                socket.set_timeout(t + KEEP_ALIVE_TIMEOUT_BUFFER);
                self.state().keep_alive_timeout_set = true;
            }
        }
    }

    /// The socket's `'error'`: `socketOnError`, once (Node removes the
    /// listener the first time it runs).
    fn on_error(&self, socket: &Socket, err: Error) {
        if std::mem::replace(&mut self.state().errored, true) {
            return;
        }
        self.client_error(socket, err);
    }

    /// `socketOnError`: `'clientError'`, or Node's own answer and the
    /// socket destroyed with the error. Parse errors come here directly,
    /// every time: a listener that leaves the socket open hears one per
    /// chunk that follows.
    fn client_error(&self, socket: &Socket, err: Error) {
        let headers_sent = {
            let mut st = self.state();
            st.errored = true;
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
            // socketOnEnd hands llhttp_finish's error to socketOnError
            // without prepareError: the message stays "Parse Error", with
            // no rawPacket (live Node 20).
            Err(e) => self.client_error(
                socket,
                Error::plain(e.code, "Parse Error").with_props(vec![
                    ("bytesParsed", ErrorProp::Number(0.0)),
                    ("reason", ErrorProp::String(e.reason.to_string())),
                ]),
            ),
            Ok(()) => {
                socket.end();
            }
        }
    }

    /// `socketOnTimeout`: the server's `'timeout'`; with no listener the
    /// idle connection is destroyed. (Node first offers it to the
    /// request and the response; the reference does not emit `'timeout'`
    /// on them.)
    /// `socketOnTimeout`: the request still arriving, the response being
    /// written and the server each get `'timeout'`; if none of them
    /// listens, the socket is destroyed.
    fn on_timeout(&self, socket: &Socket) {
        let (req, res) = {
            let st = self.state();
            (st.reading.clone(), st.current.clone())
        };
        let req_heard = req.is_some_and(|r| r.emit_timeout(Some(socket.clone())));
        let res_heard = res.is_some_and(|r| r.emit_timeout(socket));
        let heard = self
            .server
            .upgrade()
            .is_some_and(|s| s.emit(ServerEvent::Timeout(socket.clone())));
        if !req_heard && !res_heard && !heard {
            socket.destroy(None);
        }
    }

    /// `ConnectionsList::Expired`: a request begun before the request
    /// deadline, or whose headers are not complete by the headers
    /// deadline. An expired connection is not checked again until its
    /// next request begins.
    pub(crate) fn expired(&self, now: Instant, headers: u64, request: u64) -> bool {
        let mut st = self.state();
        let Some(start) = st.message_start else {
            return false;
        };
        let age = now.saturating_duration_since(start);
        let late = (!st.headers_done && headers > 0 && age > Duration::from_millis(headers))
            || (request > 0 && age > Duration::from_millis(request));
        if late {
            st.message_start = None;
            st.timed_out = true;
        }
        late
    }

    /// `onRequestTimeout`: socketOnError with `ERR_HTTP_REQUEST_TIMEOUT`.
    pub(crate) fn request_timeout(&self, socket: &Socket) {
        self.client_error(
            socket,
            Error::plain("ERR_HTTP_REQUEST_TIMEOUT", "Request timeout"),
        );
    }

    /// `socketOnClose`: requests still open are aborted, the response
    /// writing closes.
    fn on_close(&self, socket: &Socket) {
        if let Some(server) = self.server.upgrade() {
            server.remove_connection(socket);
        }
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

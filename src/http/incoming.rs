//! `http.IncomingMessage`: a request as the server reads it, or a
//! response as the client reads it; a `stream.Readable` the connection
//! pushes the body into.
//!
//! The readable side is the shared state machine ([`Readable`]); this
//! file emits what it hands out, and adds what Node's
//! `lib/_http_incoming.js` adds: `complete`, `aborted`, the head, and
//! `_destroy`'s `'aborted'`. As in Node, the stream destroys itself after
//! `'end'` (autoDestroy), which emits `'close'`.

use std::sync::{Arc, Mutex, MutexGuard};

use super::h1::{RequestHead, ResponseHead};
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::events::{Emits, Emitter, Event};
use crate::net::Socket;
use crate::stream::Chunk;
use crate::stream::readable::{Readable, ReadableEvent};

crate::event_kinds! {
    /// The Node event names of an `IncomingMessage`.
    pub enum IncomingEventKind {
        Aborted = "aborted",
        Close = "close",
        Data = "data",
        End = "end",
        Error = "error",
        Pause = "pause",
        Resume = "resume",
        Timeout = "timeout",
    }
}

/// An event of an `IncomingMessage`.
#[derive(Debug, Clone)]
pub enum IncomingEvent {
    /// `'aborted'` (deprecated, still emitted): destroyed before the
    /// whole message arrived.
    Aborted,
    Close,
    Data(Chunk),
    End,
    Error(Error),
    Pause,
    Resume,
    /// The socket was idle: a client's response (`responseOnTimeout`, no
    /// argument), or a server's request not complete yet
    /// (`socketOnTimeout`, with the socket).
    Timeout(Option<Socket>),
}

impl Event for IncomingEvent {
    type Kind = IncomingEventKind;

    fn kind(&self) -> IncomingEventKind {
        match self {
            IncomingEvent::Aborted => IncomingEventKind::Aborted,
            IncomingEvent::Close => IncomingEventKind::Close,
            IncomingEvent::Data(_) => IncomingEventKind::Data,
            IncomingEvent::End => IncomingEventKind::End,
            IncomingEvent::Error(_) => IncomingEventKind::Error,
            IncomingEvent::Pause => IncomingEventKind::Pause,
            IncomingEvent::Resume => IncomingEventKind::Resume,
            IncomingEvent::Timeout(_) => IncomingEventKind::Timeout,
        }
    }

    fn error(&self) -> Option<&Error> {
        match self {
            IncomingEvent::Error(e) => Some(e),
            _ => None,
        }
    }
}

/// What an `IncomingMessage` is the body of.
#[derive(Debug, Clone)]
pub enum MessageHead {
    /// A request, on the server's side.
    Request(RequestHead),
    /// A response, on the client's side.
    Response(ResponseHead),
}

impl MessageHead {
    /// `rawHeaders`, as pairs.
    pub fn raw_headers(&self) -> &[(String, String)] {
        match self {
            MessageHead::Request(h) => &h.headers,
            MessageHead::Response(h) => &h.headers,
        }
    }

    /// `httpVersionMajor` and `httpVersionMinor`.
    pub fn version(&self) -> (u8, u8) {
        match self {
            MessageHead::Request(h) => h.version,
            MessageHead::Response(h) => h.version,
        }
    }
}

/// A request on the server's side, or a response on the client's.
#[derive(Clone)]
pub struct IncomingMessage {
    inner: Arc<Inner>,
}

struct Inner {
    head: MessageHead,
    /// How many header pairs `headers` and `headersDistinct` show
    /// (`maxHeadersCount`; `rawHeaders` has them all).
    headers_count: usize,
    socket: Socket,
    emitter: Emitter<IncomingMessage, IncomingEvent>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    readable: Readable,
    /// `req.complete`: the whole message arrived.
    complete: bool,
    /// `req.aborted`.
    aborted: bool,
    /// `req.rawTrailers` as pairs.
    trailers: Vec<(String, String)>,
    /// `resume()` scheduled Node's `resume_` tick.
    resume_due: bool,
    /// `_dump()` ran.
    dumped: bool,
    /// Destroyed: `'close'` is on its way or out.
    destroyed: bool,
    closed: bool,
    /// A settle is running (listeners may act on the message meanwhile).
    settling: bool,
    again: bool,
}

impl IncomingMessage {
    pub(crate) fn new(
        head: MessageHead,
        socket: Socket,
        max_headers: Option<u32>,
    ) -> IncomingMessage {
        let hwm = socket.readable_high_water_mark();
        // parserOnHeadersComplete: `n = min(n, maxHeaderPairs)`, where
        // maxHeaderPairs is twice maxHeadersCount (2000 by default).
        let limit = max_headers.filter(|n| *n > 0).unwrap_or(2000) as usize;
        IncomingMessage {
            inner: Arc::new(Inner {
                headers_count: head.raw_headers().len().min(limit),
                head,
                socket,
                emitter: Emitter::default(),
                state: Mutex::new(State {
                    readable: Readable::new(hwm),
                    ..State::default()
                }),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether two handles are the same message.
    pub fn ptr_eq(&self, other: &IncomingMessage) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The parsed head: a request's or a response's.
    pub fn head(&self) -> &MessageHead {
        &self.inner.head
    }

    /// `req.method`: `None` for a response (Node's `null`).
    pub fn method(&self) -> Option<&str> {
        match &self.inner.head {
            MessageHead::Request(h) => Some(&h.method),
            MessageHead::Response(_) => None,
        }
    }

    /// The header pairs `req.headers` is made of (`maxHeadersCount`).
    pub fn counted_headers(&self) -> &[(String, String)] {
        &self.inner.head.raw_headers()[..self.inner.headers_count]
    }

    /// `req.socket`.
    pub fn socket(&self) -> &Socket {
        &self.inner.socket
    }

    /// `req.complete`.
    pub fn complete(&self) -> bool {
        self.state().complete
    }

    /// `req.aborted`.
    pub fn aborted(&self) -> bool {
        self.state().aborted
    }

    /// `req.rawTrailers`, as pairs.
    pub fn trailers(&self) -> Vec<(String, String)> {
        self.state().trailers.clone()
    }

    /// `req.destroyed`.
    pub fn destroyed(&self) -> bool {
        self.state().destroyed
    }

    /// `req.readableEnded`.
    pub fn readable_ended(&self) -> bool {
        self.state().readable.end_emitted()
    }

    /// `req.readableFlowing`.
    pub fn readable_flowing(&self) -> Option<bool> {
        self.state().readable.flowing()
    }

    // --- the connection's side -------------------------------------------

    /// parserOnBody: a piece of the body.
    pub(crate) fn push(&self, bytes: Vec<u8>) {
        let mut st = self.state();
        if !st.dumped {
            st.readable.push_owned(bytes);
        }
    }

    pub(crate) fn set_trailers(&self, trailers: Vec<(String, String)>) {
        self.state().trailers = trailers;
    }

    /// parserOnMessageComplete: `complete = true`, `push(null)`.
    pub(crate) fn push_eof(&self) {
        let mut st = self.state();
        st.complete = true;
        st.readable.push_eof();
    }

    /// Whether something reads it (Node's `_consuming`, or a resume on
    /// its way): resOnFinish dumps it otherwise.
    pub(crate) fn consumed(&self) -> bool {
        let st = self.state();
        st.resume_due || st.readable.flowing() == Some(true) || st.readable.did_read()
    }

    /// `req._dump()`: drop `'data'` listeners and let the rest of the
    /// body flow away.
    pub(crate) fn dump(&self) {
        let first = !std::mem::replace(&mut self.state().dumped, true);
        if first {
            self.emitter().remove_kind(IncomingEventKind::Data);
            self.resume();
        }
    }

    // --- the reader's side -----------------------------------------------

    /// `req.resume()`.
    pub fn resume(&self) -> &IncomingMessage {
        self.resume_now();
        self.defer_settle();
        self
    }

    fn resume_now(&self) {
        let mut st = self.state();
        if st.readable.resume() {
            st.resume_due = true;
        }
    }

    /// `message.setTimeout(ms)`: the socket's idle timeout (its
    /// `'timeout'` reaches the message if the connection passes it on).
    pub fn set_timeout(&self, ms: u64) -> &IncomingMessage {
        self.inner.socket.set_timeout(ms);
        self
    }

    /// `'timeout'`, from the connection (with the socket on a server's
    /// side); whether anyone listened.
    pub(crate) fn emit_timeout(&self, socket: Option<Socket>) -> bool {
        self.emit(IncomingEvent::Timeout(socket))
    }

    /// `req.pause()`: `'pause'` at once unless paused already.
    pub fn pause(&self) -> &IncomingMessage {
        let emit = self.state().readable.pause();
        if emit {
            self.emit(IncomingEvent::Pause);
        }
        self
    }

    /// `req.destroy([err])` (Node's `IncomingMessage._destroy`): a
    /// request not read to its end is aborted, and its socket destroyed;
    /// `'error'` (when someone listens) and `'close'` follow once the
    /// socket has closed (`finished(socket, …)`).
    pub fn destroy(&self, err: Option<Error>) -> &IncomingMessage {
        let Some(aborted) = self.mark_destroyed(err.as_ref()) else {
            return self;
        };
        let socket = &self.inner.socket;
        if aborted && !socket.destroyed() {
            socket.destroy(err.clone());
            let me = self.clone();
            let err = std::sync::Mutex::new(err);
            socket.once(crate::net::SocketEventKind::Close, move |_, _| {
                let err = err.lock().ok().and_then(|mut e| e.take());
                me.after_destroy(err);
            });
        } else {
            let me = self.clone();
            self.event_loop().defer(move || me.after_destroy(err));
        }
        self
    }

    /// Node's `onError` after `_destroy`: `'error'` only when someone
    /// listens, then `'close'`.
    fn after_destroy(&self, err: Option<Error>) {
        if let Some(e) = err
            && self.listener_count(IncomingEventKind::Error) > 0
        {
            self.emit(IncomingEvent::Error(e));
        }
        self.close();
    }

    /// `_destroy` where the socket is gone already (autoDestroy, the
    /// connection's close): `'aborted'` if the message was not read to its
    /// end, then `'error'` and `'close'` at once.
    pub(crate) fn destroy_now(&self, err: Option<Error>) {
        if self.mark_destroyed(err.as_ref()).is_some() {
            self.after_destroy(err);
        }
    }

    /// The first part of `_destroy`: destroyed, and `'aborted'` if the
    /// message was not read to its end. `None` if it was destroyed
    /// already, else whether it was aborted.
    fn mark_destroyed(&self, err: Option<&Error>) -> Option<bool> {
        let aborted = {
            let mut st = self.state();
            if st.destroyed {
                return None;
            }
            st.destroyed = true;
            st.readable.destroy(err);
            let aborted = !(st.readable.end_emitted() && st.complete);
            st.aborted |= aborted;
            aborted
        };
        if aborted {
            self.emit(IncomingEvent::Aborted);
        }
        Some(aborted)
    }

    fn close(&self) {
        let first = !std::mem::replace(&mut self.state().closed, true);
        if first {
            self.emit(IncomingEvent::Close);
        }
    }

    fn defer_settle(&self) {
        let me = self.clone();
        self.inner.socket.event_loop().defer(move || me.settle());
    }

    /// Emits what the state allows now: the `resume` tick, buffered data
    /// while flowing, `'end'`, then autoDestroy's `'close'`. Called by
    /// the connection after it pushed, and in a later turn after the
    /// reader acted.
    pub(crate) fn settle(&self) {
        {
            let mut st = self.state();
            if st.settling {
                st.again = true;
                return;
            }
            st.settling = true;
        }
        loop {
            let resume = {
                let mut st = self.state();
                std::mem::take(&mut st.resume_due) && st.readable.resume_tick()
            };
            if resume {
                self.emit(IncomingEvent::Resume);
            }
            loop {
                // Unlike a socket's (net answers its end of stream with
                // `read(0)`), a request's `'end'` comes only once something
                // reads it: nothing is handed out until it flows.
                let next = {
                    let mut st = self.state();
                    if st.closed || st.readable.flowing() != Some(true) {
                        None
                    } else {
                        st.readable.next_event()
                    }
                };
                match next {
                    Some(ReadableEvent::Data(chunk)) => {
                        self.emit(IncomingEvent::Data(chunk));
                    }
                    Some(ReadableEvent::Readable) => {}
                    Some(ReadableEvent::End) => {
                        self.emit(IncomingEvent::End);
                        // autoDestroy: the whole message was read.
                        self.destroy_now(None);
                    }
                    None => break,
                }
            }
            let mut st = self.state();
            if !std::mem::take(&mut st.again) && !st.resume_due {
                st.settling = false;
                return;
            }
        }
    }

    fn emit(&self, event: IncomingEvent) -> bool {
        Emits::emit(self, &event)
    }
}

impl Emits for IncomingMessage {
    type Event = IncomingEvent;

    fn emitter(&self) -> &Emitter<IncomingMessage, IncomingEvent> {
        &self.inner.emitter
    }

    fn event_loop(&self) -> &EventLoop {
        self.inner.socket.event_loop()
    }

    /// Node's `Readable.prototype.on`: a `'data'` listener resumes the
    /// stream unless it was paused explicitly.
    fn listener_added(&self, kind: IncomingEventKind) {
        if kind == IncomingEventKind::Data {
            let start = self.state().readable.data_listener_added();
            if start {
                self.resume();
            }
        }
    }
}

impl std::fmt::Debug for IncomingMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingMessage")
            .field("head", &self.inner.head)
            .finish()
    }
}

/// `req.headers`: Node's `_addHeaderLine` rules. Keys are lower-cased;
/// a second value of a header that can have only one (`content-type`,
/// `host`…) is dropped; `set-cookie` values make an array; `cookie`
/// values are joined with `"; "`, every other header's with `", "`.
pub fn headers_object(raw: &[(String, String)]) -> Vec<(String, HeaderField)> {
    const FIRST_ONLY: &[&str] = &[
        "content-type",
        "content-length",
        "user-agent",
        "referer",
        "host",
        "authorization",
        "proxy-authorization",
        "if-modified-since",
        "if-unmodified-since",
        "from",
        "location",
        "max-forwards",
        "retry-after",
        "etag",
        "last-modified",
        "server",
        "age",
        "expires",
    ];
    let mut out: Vec<(String, HeaderField)> = Vec::new();
    for (name, value) in raw {
        let key = name.to_ascii_lowercase();
        let existing = out.iter_mut().find(|(k, _)| *k == key);
        match (existing, key.as_str()) {
            (None, "set-cookie") => out.push((key, HeaderField::Many(vec![value.clone()]))),
            (None, _) => out.push((key, HeaderField::One(value.clone()))),
            (Some((_, HeaderField::Many(vs))), _) => vs.push(value.clone()),
            (Some(_), k) if FIRST_ONLY.contains(&k) => {}
            (Some((_, HeaderField::One(v))), "cookie") => {
                v.push_str("; ");
                v.push_str(value);
            }
            (Some((_, HeaderField::One(v))), _) => {
                v.push_str(", ");
                v.push_str(value);
            }
        }
    }
    out
}

/// `req.headersDistinct`: every value of every header, in order, under
/// its lower-cased name.
pub fn headers_distinct(raw: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in raw {
        let key = name.to_ascii_lowercase();
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, vs)) => vs.push(value.clone()),
            None => out.push((key, vec![value.clone()])),
        }
    }
    out
}

/// A value of `req.headers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderField {
    One(String),
    /// `set-cookie`.
    Many(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn duplicates_follow_nodes_rules() {
        let h = headers_object(&pairs(&[
            ("Host", "a"),
            ("host", "b"),
            ("X-A", "1"),
            ("x-a", "2"),
            ("Set-Cookie", "c=1"),
            ("set-cookie", "d=2"),
            ("Cookie", "e=1"),
            ("cookie", "f=2"),
        ]));
        assert_eq!(
            h,
            vec![
                ("host".into(), HeaderField::One("a".into())),
                ("x-a".into(), HeaderField::One("1, 2".into())),
                (
                    "set-cookie".into(),
                    HeaderField::Many(vec!["c=1".into(), "d=2".into()])
                ),
                ("cookie".into(), HeaderField::One("e=1; f=2".into())),
            ]
        );
        assert_eq!(
            headers_distinct(&pairs(&[("A", "1"), ("a", "2")])),
            vec![("a".to_string(), vec!["1".to_string(), "2".to_string()])]
        );
    }
}

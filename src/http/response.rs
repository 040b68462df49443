//! `http.ServerResponse`: the head and body rules of the h1 core
//! ([`h1::OutgoingMessage`]) written to the connection's socket, with the
//! events Node's `OutgoingMessage` emits.
//!
//! A response made while an earlier one on the same connection is still
//! being written (pipelining) is not attached to the socket yet: what it
//! writes waits, in order, until the earlier one finished (Node's
//! `state.outgoing` and `outputData`).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use super::h1::{self, HeaderValue, OutgoingError};
use super::outgoing;
use crate::error::Error;
use crate::event_loop::EventLoop;
use crate::events::{Emits, Emitter, Event};
use crate::net::Socket;

crate::event_kinds! {
    /// The Node event names of a `ServerResponse`.
    pub enum ResponseEventKind {
        Close = "close",
        Drain = "drain",
        Error = "error",
        Finish = "finish",
        Prefinish = "prefinish",
        Timeout = "timeout",
    }
}

/// An event of a `ServerResponse`.
#[derive(Debug, Clone)]
pub enum ResponseEvent {
    Close,
    Drain,
    Error(Error),
    Finish,
    Prefinish,
    /// The socket was idle while this response was being written
    /// (`socketOnTimeout`).
    Timeout(Socket),
}

impl Event for ResponseEvent {
    type Kind = ResponseEventKind;

    fn kind(&self) -> ResponseEventKind {
        match self {
            ResponseEvent::Close => ResponseEventKind::Close,
            ResponseEvent::Drain => ResponseEventKind::Drain,
            ResponseEvent::Error(_) => ResponseEventKind::Error,
            ResponseEvent::Finish => ResponseEventKind::Finish,
            ResponseEvent::Prefinish => ResponseEventKind::Prefinish,
            ResponseEvent::Timeout(_) => ResponseEventKind::Timeout,
        }
    }

    fn error(&self) -> Option<&Error> {
        match self {
            ResponseEvent::Error(e) => Some(e),
            _ => None,
        }
    }
}

/// A response on the server's side.
#[derive(Clone)]
pub struct ServerResponse {
    inner: Arc<Inner>,
}

struct Inner {
    socket: Socket,
    emitter: Emitter<ServerResponse, ResponseEvent>,
    state: Mutex<State>,
}

struct State {
    core: h1::OutgoingMessage,
    /// Writing to the socket (Node's `assignSocket`); before that,
    /// output waits in `pending`.
    attached: bool,
    pending: Vec<u8>,
    /// `end()` was called (`writableEnded`).
    ended: bool,
    /// `'finish'` was emitted (`writableFinished`).
    finished: bool,
    /// `'close'` was emitted.
    closed: bool,
    /// `res.destroyed`: `destroy()` was called, or the response closed.
    destroyed: bool,
    /// `detachSocket` ran (the response finished): `res.socket` is null.
    detached: bool,
    /// A `write()` returned false: `'drain'` is owed (Node's
    /// `kNeedDrain`).
    need_drain: bool,
    /// `destroy()` before the response had the socket: done on attach
    /// (Node's `once('socket', …)`).
    destroy_on_attach: Option<Option<Error>>,
    /// The response after this one on the connection: it writes once this
    /// one has ended.
    next: Option<ServerResponse>,
    /// Errors of writes after `end()`, due between `'finish'` and
    /// `'close'` (Node's nextTick order).
    after_finish: Vec<(Error, Option<WriteCallback>)>,
}

/// A write's callback: called with the error that kept the chunk from the
/// socket, or `None` once it is written.
pub type WriteCallback = Box<dyn FnOnce(Option<&Error>) + Send>;

/// An `Error` with Node's code (and class) for a call the h1 core refused;
/// `what` is the verb of `ERR_HTTP_HEADERS_SENT`'s message.
pub fn outgoing_error(e: OutgoingError, what: &str) -> Error {
    let (kind, message) = match e.code {
        "ERR_HTTP_HEADERS_SENT" => (
            "Error",
            format!("Cannot {what} headers after they are sent to the client"),
        ),
        "ERR_INVALID_HTTP_TOKEN" => ("TypeError", "Header name must be a valid HTTP token".into()),
        "ERR_INVALID_CHAR" => ("TypeError", "Invalid character in header content".into()),
        "ERR_HTTP_INVALID_HEADER_VALUE" => ("TypeError", "Invalid value for header".into()),
        "ERR_HTTP_INVALID_STATUS_CODE" => ("RangeError", "Invalid status code".into()),
        "ERR_STREAM_WRITE_AFTER_END" => ("Error", "write after end".into()),
        "ERR_INVALID_ARG_VALUE" => ("TypeError", "The argument 'headers' is invalid.".into()),
        "ERR_HTTP_CONTENT_LENGTH_MISMATCH" => (
            "Error",
            "Response body's content-length does not match the content-length header".into(),
        ),
        other => ("Error", other.to_string()),
    };
    match kind {
        "TypeError" => Error::type_error(e.code, message),
        "RangeError" => Error::range_error(e.code, message),
        _ => Error::plain(e.code, message),
    }
}

/// Node's `utcDate()`: the IMF-fixdate of now (`Mon, 30 Nov 2026 09:00:00
/// GMT`).
pub fn http_date(now: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let u = crate::calendar::Utc::of(now);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[u.days_since_thursday as usize],
        u.day,
        MONTHS[(u.month - 1) as usize],
        u.year,
        u.hour,
        u.minute,
        u.second
    )
}

/// Node's `utcDate()`: today's date, formatted once per second (Node
/// caches it the same way).
fn cached_date() -> String {
    static CACHE: std::sync::Mutex<(u64, String)> =
        std::sync::Mutex::new((u64::MAX, String::new()));
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if cache.0 != second {
        *cache = (second, http_date(now));
    }
    cache.1.clone()
}

/// Whether `b` is an IMF-fixdate as [`http_date`] writes it (`Mon, 30 Nov
/// 2026 09:00:00 GMT`): 29 bytes, day and month names, digits, `GMT`.
pub fn is_http_date(b: &[u8]) -> bool {
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() == 29
        && DAYS.contains(&&b[0..3])
        && &b[3..5] == b", "
        && digits(5..7)
        && b[7] == b' '
        && MONTHS.contains(&&b[8..11])
        && b[11] == b' '
        && digits(12..16)
        && b[16] == b' '
        && digits(17..19)
        && b[19] == b':'
        && digits(20..22)
        && b[22] == b':'
        && digits(23..25)
        && &b[25..] == b" GMT"
}

impl ServerResponse {
    pub(crate) fn new(
        request: &h1::RequestHead,
        socket: Socket,
        keep_alive_timeout: u64,
        max_requests_per_socket: u32,
    ) -> ServerResponse {
        ServerResponse {
            inner: Arc::new(Inner {
                socket,
                emitter: Emitter::default(),
                state: Mutex::new(State {
                    core: h1::OutgoingMessage::response(
                        request,
                        keep_alive_timeout,
                        max_requests_per_socket,
                    ),
                    attached: false,
                    pending: Vec::new(),
                    ended: false,
                    finished: false,
                    closed: false,
                    destroyed: false,
                    detached: false,
                    need_drain: false,
                    destroy_on_attach: None,
                    next: None,
                    after_finish: Vec::new(),
                }),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether two handles are the same response.
    pub fn ptr_eq(&self, other: &ServerResponse) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// `res.socket`: `None` once the response finished (Node's
    /// `resOnFinish` calls `detachSocket` before any other `'finish'`
    /// listener).
    pub fn socket(&self) -> Option<&Socket> {
        (!self.state().detached).then_some(&self.inner.socket)
    }

    /// Node's `detachSocket`.
    pub(crate) fn detach(&self) {
        self.state().detached = true;
    }

    /// Reads the h1 core: status, headers, flags.
    pub fn with_core<R>(&self, f: impl FnOnce(&h1::OutgoingMessage) -> R) -> R {
        f(&self.state().core)
    }

    /// Changes what the h1 core allows before the head is sent
    /// (`statusCode`, `statusMessage`, `sendDate`).
    pub fn with_core_mut<R>(&self, f: impl FnOnce(&mut h1::OutgoingMessage) -> R) -> R {
        f(&mut self.state().core)
    }

    /// `res.headersSent`: the head is made (by `writeHead` or a write).
    pub fn headers_sent(&self) -> bool {
        self.state().core.head_made()
    }

    /// Whether the head went out to the socket (Node's `_headerSent`).
    pub(crate) fn head_sent(&self) -> bool {
        self.state().core.headers_sent()
    }

    /// `res.writableEnded`.
    pub fn writable_ended(&self) -> bool {
        self.state().ended
    }

    /// `res.writableFinished`.
    pub fn writable_finished(&self) -> bool {
        self.state().finished
    }

    /// Whether the connection closes after this response (Node's `_last`).
    pub(crate) fn last(&self) -> bool {
        self.state().core.last()
    }

    /// Node's `maxRequestsOnConnectionReached`: this response says
    /// `Connection: close`.
    pub(crate) fn set_max_requests_reached(&self, reached: bool) {
        self.state().core.max_requests_reached = reached;
    }

    /// `res.writeContinue()`: `HTTP/1.1 100 Continue`, straight to the
    /// socket (Node's `_writeRaw`), before anything of the response.
    ///
    /// Like the response's own bytes (Node's `_writeRaw`), it waits in
    /// the queue while an earlier response is being written.
    pub fn write_continue(&self) {
        self.state().core.sent_100 = true;
        self.send(b"HTTP/1.1 100 Continue\r\n\r\n".to_vec(), None);
    }

    /// `res.setHeader(name, value)`.
    pub fn set_header(&self, name: &str, value: HeaderValue) -> Result<&Self, Error> {
        self.state()
            .core
            .set_header(name, value)
            .map_err(|e| outgoing_error(e, "set"))?;
        Ok(self)
    }

    /// `res.removeHeader(name)`.
    pub fn remove_header(&self, name: &str) -> Result<(), Error> {
        self.state()
            .core
            .remove_header(name)
            .map_err(|e| outgoing_error(e, "remove"))
    }

    /// `res.writeHead(statusCode[, statusMessage][, headers])`.
    pub fn write_head(
        &self,
        status: u16,
        message: Option<&str>,
        headers: &[(String, HeaderValue)],
    ) -> Result<&Self, Error> {
        {
            let mut st = self.state();
            st.core.date = cached_date();
            st.core
                .write_head(status, message, headers)
                .map_err(|e| outgoing_error(e, "write"))?;
        }
        Ok(self)
    }

    /// `res.writeHead` with Node's argument shapes (see
    /// [`h1::OutgoingMessage::write_head_with`]).
    pub fn write_head_with(
        &self,
        status: u16,
        message: Option<&str>,
        headers: &[(String, Option<HeaderValue>)],
        odd: bool,
    ) -> Result<&Self, Error> {
        {
            let mut st = self.state();
            st.core.date = cached_date();
            st.core
                .write_head_with(status, message, headers, odd)
                .map_err(|e| outgoing_error(e, "write"))?;
        }
        Ok(self)
    }

    /// `res.appendHeader(name, value)`.
    pub fn append_header(&self, name: &str, value: HeaderValue) -> Result<&Self, Error> {
        self.state()
            .core
            .append_header(name, value)
            .map_err(|e| outgoing_error(e, "append"))?;
        Ok(self)
    }

    /// `res.flushHeaders()`.
    pub fn flush_headers(&self) -> Result<(), Error> {
        let out = {
            let mut st = self.state();
            st.core.date = cached_date();
            st.core
                .flush_headers()
                .map_err(|e| outgoing_error(e, "write"))?;
            st.core.take_output()
        };
        self.send(out, None);
        Ok(())
    }

    /// `res.write(chunk)`: whether the socket's buffer is below its
    /// high-water mark.
    pub fn write(&self, chunk: &[u8]) -> Result<bool, Error> {
        self.write_with(chunk, None)
    }

    /// `res.write(chunk, callback)`. After `end()` (or once destroyed) it
    /// returns false and the error comes later, as Node's `write_` does:
    /// to the callback, then as `'error'` unless destroyed.
    pub fn write_with(&self, chunk: &[u8], callback: Option<WriteCallback>) -> Result<bool, Error> {
        let out = {
            let mut st = self.state();
            if st.ended || st.destroyed {
                let err = if st.ended && !st.destroyed {
                    outgoing_error(
                        OutgoingError {
                            code: "ERR_STREAM_WRITE_AFTER_END",
                        },
                        "write",
                    )
                } else {
                    Error::plain(
                        "ERR_STREAM_DESTROYED",
                        "Cannot call write after a stream was destroyed",
                    )
                };
                if st.destroyed {
                    drop(st);
                    if let Some(cb) = callback {
                        self.event_loop().defer(move || cb(Some(&err)));
                    }
                } else if !st.finished {
                    st.after_finish.push((err, callback));
                } else {
                    drop(st);
                    let me = self.clone();
                    self.event_loop()
                        .defer(move || me.write_failed(err, callback));
                }
                return Ok(false);
            }
            st.core.date = cached_date();
            st.core
                .write(chunk)
                .map_err(|e| outgoing_error(e, "write"))?;
            st.core.take_output()
        };
        Ok(self.send(out, callback))
    }

    /// Node's `emitErrorNt`: the callback, then `'error'` unless destroyed.
    fn write_failed(&self, err: Error, callback: Option<WriteCallback>) {
        if let Some(cb) = callback {
            cb(Some(&err));
        }
        if !self.state().destroyed {
            self.emit(ResponseEvent::Error(err));
        }
    }

    /// `res.end([chunk])`: `'finish'` once the socket wrote the last
    /// byte, then `'close'`. A `strictContentLength` mismatch throws after
    /// the chunk went out, and the response is not ended.
    pub fn end(&self, chunk: Option<&[u8]>) -> Result<&Self, Error> {
        self.end_with(chunk, None)
    }

    /// `res.end([chunk][, callback])`: the callback listens once to
    /// `'finish'`. After `end()`, a chunk fails as a write after end
    /// does, and a callback alone waits for `'finish'` or, once finished,
    /// gets `ERR_STREAM_ALREADY_FINISHED` (Node's `OutgoingMessage.end`).
    pub fn end_with(
        &self,
        chunk: Option<&[u8]>,
        callback: Option<WriteCallback>,
    ) -> Result<&Self, Error> {
        let chunk = chunk.filter(|c| !c.is_empty());
        let (ended, finished) = {
            let st = self.state();
            (st.ended, st.finished)
        };
        if ended {
            outgoing::end_again(
                self,
                ResponseEventKind::Finish,
                finished,
                chunk,
                callback,
                |c, cb| self.write_with(c, cb),
            )?;
            return Ok(self);
        }
        if let Some(cb) = callback {
            outgoing::once_finished(self, ResponseEventKind::Finish, cb);
        }
        let (out, result) = {
            let mut st = self.state();
            st.core.date = cached_date();
            let result = st.core.end(chunk);
            if result.is_ok() {
                st.ended = true;
            }
            (st.core.take_output(), result)
        };
        match result {
            Ok(()) => {
                self.send_last(out);
                // `_finish` at the end of `end()`, when the response owns
                // the socket (else when it gets it: `_flush`).
                if self.state().attached {
                    self.emit(ResponseEvent::Prefinish);
                }
                Ok(self)
            }
            Err(e) => {
                self.send(out, None);
                Err(outgoing_error(e, "write"))
            }
        }
    }

    /// `res.setTimeout(ms)`: the socket's idle timeout, while the
    /// response has it.
    pub fn set_timeout(&self, ms: u64) -> &Self {
        if let Some(s) = self.socket() {
            s.set_timeout(ms);
        }
        self
    }

    /// `'timeout'`, from the connection; whether anyone listened.
    pub(crate) fn emit_timeout(&self, socket: &Socket) -> bool {
        self.emit(ResponseEvent::Timeout(socket.clone()))
    }

    /// `res.destroyed`.
    pub fn destroyed(&self) -> bool {
        self.state().destroyed
    }

    /// `res.destroy([error])`: destroys the socket (the response closes
    /// with it) — when the response has it: a response still waiting for
    /// it (pipelined) destroys it once it gets it, and one that finished
    /// (detached) leaves it alone (Node's `OutgoingMessage.destroy`).
    pub fn destroy(&self, error: Option<Error>) -> &Self {
        let now = {
            let mut st = self.state();
            if std::mem::replace(&mut st.destroyed, true) {
                return self;
            }
            if st.detached {
                false
            } else if !st.attached {
                st.destroy_on_attach = Some(error.clone());
                false
            } else {
                true
            }
        };
        if now {
            self.inner.socket.destroy(error);
        }
        self
    }

    /// Called by the connection when the socket emits `'drain'` (Node's
    /// `socketOnDrain`): the response that owed it one emits it.
    pub(crate) fn socket_drained(&self) {
        let due = {
            let mut st = self.state();
            !st.ended && std::mem::take(&mut st.need_drain)
        };
        if due {
            self.emit(ResponseEvent::Drain);
        }
    }

    /// Writes now if attached, else queues. A queued write's callback runs
    /// in the next turn rather than once the bytes reach the socket (a
    /// simplification: Node calls it when the queued bytes are written).
    fn send(&self, out: Vec<u8>, callback: Option<WriteCallback>) -> bool {
        let attached = {
            let mut st = self.state();
            if !st.attached {
                st.pending.extend_from_slice(&out);
            }
            st.attached
        };
        let socket = &self.inner.socket;
        let ok = match (attached, callback) {
            (false, cb) => {
                if let Some(cb) = cb {
                    self.event_loop().defer(move || cb(None));
                }
                // `_writeRaw` while queued: `outputSize < highWaterMark`.
                return self.state().pending.len() < socket.writable_high_water_mark();
            }
            (true, Some(cb)) => socket.write_with(out, cb),
            (true, None) if out.is_empty() => true,
            (true, None) => socket.write(out),
        };
        if !ok {
            self.state().need_drain = true;
        }
        ok
    }

    /// The last bytes: `'finish'` follows their write.
    fn send_last(&self, out: Vec<u8>) {
        let attached = {
            let mut st = self.state();
            if !st.attached {
                st.pending.extend_from_slice(&out);
            }
            st.attached
        };
        if attached {
            self.write_last(out);
        }
    }

    /// Writes the last bytes; `'finish'` once the socket took them (not if
    /// it failed, nor on a socket destroyed already: Node's `_writeRaw`
    /// drops the write and its callback then), and the next response may
    /// write after them.
    fn write_last(&self, out: Vec<u8>) {
        let socket = &self.inner.socket;
        if socket.destroyed() {
            return;
        }
        let me = self.clone();
        socket.write_with(out, move |e| {
            if e.is_none() {
                me.finish();
            }
        });
        self.pass_on();
    }

    /// The next response of the connection (pipelining). Node writes it
    /// once this one finished (`resOnFinish` → `assignSocket`); here its
    /// bytes go to the socket's queue as soon as this one has ended, after
    /// all of this one's, so that the answers to one read's requests leave
    /// in one write. Its `'finish'` still comes after this one's: the
    /// socket completes writes in order.
    pub(crate) fn set_next(&self, next: ServerResponse) {
        let now = {
            let mut st = self.state();
            if st.core.last() && st.ended {
                // The connection ends after this one: Node never gives the
                // next its socket.
                return;
            }
            if st.attached && st.ended {
                true
            } else {
                st.next = Some(next.clone());
                false
            }
        };
        if now {
            next.attach();
        }
    }

    /// This response has handed all its bytes to the socket: the next may
    /// write.
    fn pass_on(&self) {
        let next = {
            let mut st = self.state();
            let next = st.next.take();
            // `Connection: close` on this one: the next is never sent.
            next.filter(|_| !st.core.last())
        };
        if let Some(next) = next {
            if next.state().destroy_on_attach.is_some() {
                // It destroys the socket as it gets it: not before this
                // one finished, as in Node (assignSocket in resOnFinish).
                self.state().next = Some(next);
            } else {
                next.attach();
            }
        }
    }

    /// Node's `assignSocket`: the earlier responses are done; what waited
    /// goes out now.
    pub(crate) fn attach(&self) {
        let (out, ended, destroy) = {
            let mut st = self.state();
            st.attached = true;
            (
                std::mem::take(&mut st.pending),
                st.ended,
                st.destroy_on_attach.take(),
            )
        };
        if let Some(error) = destroy {
            self.inner.socket.destroy(error);
            return;
        }
        if ended {
            self.write_last(out);
            self.emit(ResponseEvent::Prefinish);
        } else if !out.is_empty() && !self.inner.socket.write(out) {
            self.state().need_drain = true;
        }
    }

    /// The last byte is written: `'finish'` (the connection's own
    /// listener first), then `'close'` (Node's `emitCloseNT`).
    fn finish(&self) {
        let (first, next) = {
            let mut st = self.state();
            let first = !st.closed && !std::mem::replace(&mut st.finished, true);
            (first, if first { st.next.take() } else { None })
        };
        if let Some(next) = next {
            next.attach();
        }
        if first {
            self.emit(ResponseEvent::Finish);
            let failed = std::mem::take(&mut self.state().after_finish);
            for (err, cb) in failed {
                self.write_failed(err, cb);
            }
            self.close();
        }
    }

    /// `'close'`, once: after `'finish'`, or when the socket closed first
    /// (Node's `onServerResponseClose`).
    pub(crate) fn close(&self) {
        let (first, failed) = {
            let mut st = self.state();
            st.destroyed = true;
            (
                !std::mem::replace(&mut st.closed, true),
                std::mem::take(&mut st.after_finish),
            )
        };
        // Writes after end() that were waiting for 'finish': destroyed
        // now, so only their callbacks hear of it (emitErrorNt).
        for (err, cb) in failed {
            if let Some(cb) = cb {
                cb(Some(&err));
            }
        }
        if first {
            self.emit(ResponseEvent::Close);
        }
    }

    fn emit(&self, event: ResponseEvent) -> bool {
        Emits::emit(self, &event)
    }
}

impl Emits for ServerResponse {
    type Event = ResponseEvent;

    fn emitter(&self) -> &Emitter<ServerResponse, ResponseEvent> {
        &self.inner.emitter
    }

    fn event_loop(&self) -> &EventLoop {
        self.inner.socket.event_loop()
    }
}

impl std::fmt::Debug for ServerResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerResponse").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_imf_fixdates() {
        let at = |s| http_date(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(at(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(at(1_796_029_261), "Mon, 30 Nov 2026 09:01:01 GMT");
        assert!(is_http_date(at(1_796_029_261).as_bytes()));
        assert!(!is_http_date(b"Mon, 30 Nov 2026 09:01:01 UTC"));
        assert!(!is_http_date(b"Mon, 30 Nov 2026 09:01:0"));
    }
}

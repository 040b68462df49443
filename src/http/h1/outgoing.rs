//! What an outgoing message — a server's response or a client's request —
//! puts on the wire, decided the way Node's `OutgoingMessage`,
//! `ServerResponse` and `ClientRequest` decide it (`_http_outgoing.js`:
//! `_storeHeader`, `write_`, `end`; `_http_server.js`: `writeHead`;
//! `_http_client.js`: the `ClientRequest` constructor and
//! `_implicitHeader`), without I/O: calls in, bytes out.
//!
//! The head is stored when it is decided (`writeHead`, or the first
//! write) and goes out with the first bytes after it, as Node's `_send`
//! prepends it.

use super::RequestHead;

/// Node's `http.STATUS_CODES`.
pub const STATUS_CODES: &[(u16, &str)] = &[
    (100, "Continue"),
    (101, "Switching Protocols"),
    (102, "Processing"),
    (103, "Early Hints"),
    (200, "OK"),
    (201, "Created"),
    (202, "Accepted"),
    (203, "Non-Authoritative Information"),
    (204, "No Content"),
    (205, "Reset Content"),
    (206, "Partial Content"),
    (207, "Multi-Status"),
    (208, "Already Reported"),
    (226, "IM Used"),
    (300, "Multiple Choices"),
    (301, "Moved Permanently"),
    (302, "Found"),
    (303, "See Other"),
    (304, "Not Modified"),
    (305, "Use Proxy"),
    (307, "Temporary Redirect"),
    (308, "Permanent Redirect"),
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (402, "Payment Required"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (406, "Not Acceptable"),
    (407, "Proxy Authentication Required"),
    (408, "Request Timeout"),
    (409, "Conflict"),
    (410, "Gone"),
    (411, "Length Required"),
    (412, "Precondition Failed"),
    (413, "Payload Too Large"),
    (414, "URI Too Long"),
    (415, "Unsupported Media Type"),
    (416, "Range Not Satisfiable"),
    (417, "Expectation Failed"),
    (418, "I'm a Teapot"),
    (421, "Misdirected Request"),
    (422, "Unprocessable Entity"),
    (423, "Locked"),
    (424, "Failed Dependency"),
    (425, "Too Early"),
    (426, "Upgrade Required"),
    (428, "Precondition Required"),
    (429, "Too Many Requests"),
    (431, "Request Header Fields Too Large"),
    (451, "Unavailable For Legal Reasons"),
    (500, "Internal Server Error"),
    (501, "Not Implemented"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Gateway Timeout"),
    (505, "HTTP Version Not Supported"),
    (506, "Variant Also Negotiates"),
    (507, "Insufficient Storage"),
    (508, "Loop Detected"),
    (509, "Bandwidth Limit Exceeded"),
    (510, "Not Extended"),
    (511, "Network Authentication Required"),
];

/// The reason phrase Node gives a status code (`'unknown'` if none).
pub fn status_text(code: u16) -> &'static str {
    STATUS_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("unknown", |(_, t)| t)
}

/// A header's value: one string, a number (Node keeps what `setHeader`
/// was given: `getHeader` returns the number), or an array (each sent as
/// its own line, `Set-Cookie`'s arrays included).
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderValue {
    /// One value.
    One(String),
    /// A number, sent as JavaScript's `String(n)`.
    Number(f64),
    /// Several, one line each.
    Many(Vec<String>),
}

impl HeaderValue {
    /// The texts it is sent as, one per line.
    pub fn texts(&self) -> Vec<String> {
        match self {
            HeaderValue::One(v) => vec![v.clone()],
            HeaderValue::Number(n) => vec![crate::number::to_js_string(*n)],
            HeaderValue::Many(vs) => vs.clone(),
        }
    }
}

/// Node's `validateHeaderName` then `validateHeaderValue`: a name that is
/// not a token, a value that is `undefined` (`None`), a value with a
/// character HTTP does not allow.
pub fn validate_header(name: &str, value: Option<&HeaderValue>) -> Result<(), OutgoingError> {
    if !is_token(name) {
        return fail("ERR_INVALID_HTTP_TOKEN");
    }
    let Some(value) = value else {
        return fail("ERR_HTTP_INVALID_HEADER_VALUE");
    };
    if value.texts().iter().any(|v| has_invalid_char(v)) {
        return fail("ERR_INVALID_CHAR");
    }
    Ok(())
}

impl From<&str> for HeaderValue {
    fn from(s: &str) -> HeaderValue {
        HeaderValue::One(s.to_string())
    }
}

/// An error a call makes, with Node's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingError {
    /// Node's `err.code`, e.g. `ERR_HTTP_HEADERS_SENT`.
    pub code: &'static str,
}

fn fail(code: &'static str) -> Result<(), OutgoingError> {
    Err(OutgoingError { code })
}

/// RFC 9110 `token`, Node's `checkIsHttpToken`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Node's `checkInvalidHeaderChar`: anything but HTAB, 0x20-0x7E and
/// 0x80-0xFF.
fn has_invalid_char(s: &str) -> bool {
    s.chars()
        .any(|c| !(c == '\t' || (' '..='~').contains(&c) || ('\u{80}'..='\u{ff}').contains(&c)))
}

/// Node's `RE_CONN_CLOSE` / `RE_TE_CHUNKED`: the word, case-insensitive,
/// between non-word characters.
fn has_word(value: &str, word: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    lower.match_indices(word).any(|(i, _)| {
        let before = i == 0 || !is_word(bytes[i - 1]);
        let end = i + word.len();
        let after = end == bytes.len() || !is_word(bytes[end]);
        before && after
    })
}

/// An outgoing message from its first call to its end: a server's
/// response ([`OutgoingMessage::response`]) or a client's request
/// ([`OutgoingMessage::request`]).
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    /// A request's first line (`GET /x HTTP/1.1\r\n`); `None` for a
    /// response, whose line `writeHead` makes.
    request_line: Option<String>,
    /// A request made through an agent (Node's `this.agent`): it may say
    /// `Connection: keep-alive` without a known length.
    agent: bool,
    /// `res.statusCode`.
    pub status_code: u16,
    /// `res.statusMessage` (unset: the code's text when the head is made).
    pub status_message: Option<String>,
    /// `res.sendDate`.
    pub send_date: bool,
    /// The `Date` value to send (the caller's clock: Node's `utcDate()`).
    pub date: String,
    /// Headers set so far, in Node's `kOutHeaders` order: (name as last
    /// set, value).
    headers: Vec<(String, HeaderValue)>,
    should_keep_alive: bool,
    use_chunked_by_default: bool,
    has_body: bool,
    keep_alive_timeout_ms: u64,
    max_requests_per_socket: u32,
    /// Node's `maxRequestsOnConnectionReached`.
    pub max_requests_reached: bool,
    default_keep_alive: bool,
    content_length: Option<u64>,
    chunked: bool,
    last: bool,
    head: Option<Vec<u8>>,
    head_sent: bool,
    /// `kOutHeaders` exists: `setHeader` (or `appendHeader`) was called,
    /// so `writeHead`'s headers go through `setHeader` too.
    headers_touched: bool,
    /// `res.strictContentLength`.
    pub strict_content_length: bool,
    /// Node's `kBytesWritten` (counted while `strictContentLength`).
    bytes_written: u64,
    /// The request said `Expect: 100-continue` (`_expect_continue`).
    pub expect_continue: bool,
    /// `100 Continue` was written (`_sent100`).
    pub sent_100: bool,
    trailer: String,
    finished: bool,
    out: Vec<u8>,
    /// `removeHeader('connection')` (Node's `_removedConnection`): no
    /// `Connection` header is made up.
    removed_connection: bool,
    /// `removeHeader('content-length')` (`_removedContLen`).
    removed_cont_len: bool,
    /// `removeHeader('transfer-encoding')` (`_removedTE`).
    removed_te: bool,
}

impl OutgoingMessage {
    /// A client's request (`new ClientRequest`): no `Date`, chunked by
    /// default unless the method is one that has no body by convention
    /// (GET, HEAD, DELETE, OPTIONS, TRACE, CONNECT), `Connection:
    /// keep-alive` when `keep_alive` (an agent that may reuse the socket),
    /// else `Connection: close`.
    pub fn request(method: &str, path: &str, keep_alive: bool) -> OutgoingMessage {
        let bodiless = ["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"].contains(&method);
        OutgoingMessage {
            request_line: Some(format!("{method} {path} HTTP/1.1\r\n")),
            // `agent: false` still makes one (`new Agent()`); only a
            // `createConnection` option goes without, and it is not
            // supported here.
            agent: true,
            send_date: false,
            should_keep_alive: keep_alive,
            use_chunked_by_default: !bodiless,
            keep_alive_timeout_ms: 0,
            // `_last` is set from the agent's choice; `_storeHeader` sets
            // it again when it writes `Connection: close`.
            last: !keep_alive,
            ..OutgoingMessage::blank()
        }
    }

    /// The response to `request`, on a server with this `keepAliveTimeout`
    /// (Node's default 5000) and `maxRequestsPerSocket` (0: no limit).
    pub fn response(
        request: &RequestHead,
        keep_alive_timeout_ms: u64,
        max_requests_per_socket: u32,
    ) -> OutgoingMessage {
        // ServerResponse(): below HTTP/1.1 (major or minor 0: 0.9, 1.0,
        // 2.0) chunked only if the request's TE asks for it.
        let use_chunked_by_default = if request.version.0 < 1 || request.version.1 < 1 {
            request
                .headers
                .iter()
                .any(|(n, v)| n.eq_ignore_ascii_case("te") && has_word(v, "chunked"))
        } else {
            true
        };
        OutgoingMessage {
            // parserOnIncoming: res.shouldKeepAlive = keepAlive.
            should_keep_alive: request.keep_alive,
            use_chunked_by_default,
            has_body: request.method != "HEAD",
            keep_alive_timeout_ms,
            max_requests_per_socket,
            ..OutgoingMessage::blank()
        }
    }

    /// Node's `OutgoingMessage` before its subclass sets it up.
    fn blank() -> OutgoingMessage {
        OutgoingMessage {
            request_line: None,
            agent: false,
            status_code: 200,
            status_message: None,
            send_date: true,
            date: String::new(),
            headers: Vec::new(),
            should_keep_alive: false,
            use_chunked_by_default: true,
            has_body: true,
            keep_alive_timeout_ms: 0,
            max_requests_per_socket: 0,
            max_requests_reached: false,
            default_keep_alive: true,
            content_length: None,
            chunked: false,
            last: false,
            head: None,
            head_sent: false,
            headers_touched: false,
            strict_content_length: false,
            bytes_written: 0,
            expect_continue: false,
            sent_100: false,
            trailer: String::new(),
            finished: false,
            out: Vec::new(),
            removed_connection: false,
            removed_cont_len: false,
            removed_te: false,
        }
    }

    /// The headers set so far, in order: (name as last set, value).
    pub fn headers(&self) -> &[(String, HeaderValue)] {
        &self.headers
    }

    /// `res.headersSent` (Node's `!!this._header`): the head is made,
    /// by `writeHead` or the first write, whether or not it went out.
    pub fn head_made(&self) -> bool {
        self.head.is_some()
    }

    /// Whether the head went out (Node's `_headerSent`).
    pub fn headers_sent(&self) -> bool {
        self.head_sent
    }

    /// Whether the connection closes after this response (Node's `_last`).
    pub fn last(&self) -> bool {
        self.last
    }

    /// The bytes to write now.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// `res.setHeader(name, value)`.
    pub fn set_header(&mut self, name: &str, value: HeaderValue) -> Result<(), OutgoingError> {
        if self.head.is_some() {
            return fail("ERR_HTTP_HEADERS_SENT");
        }
        validate_header(name, Some(&value))?;
        self.headers_touched = true;
        // kOutHeaders[lower] = [name, value]: the key keeps its place.
        match self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(entry) => *entry = (name.to_string(), value),
            None => self.headers.push((name.to_string(), value)),
        }
        Ok(())
    }

    /// `res.appendHeader(name, value)`: another value for a header set
    /// already (its value becomes an array), else `setHeader`.
    pub fn append_header(&mut self, name: &str, value: HeaderValue) -> Result<(), OutgoingError> {
        if self.head.is_some() {
            return fail("ERR_HTTP_HEADERS_SENT");
        }
        validate_header(name, Some(&value))?;
        match self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some((_, existing)) => {
                let mut all = existing.texts();
                all.extend(value.texts());
                *existing = HeaderValue::Many(all);
                Ok(())
            }
            None => self.set_header(name, value),
        }
    }

    /// `res.getHeader(name)`.
    pub fn get_header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// `res.removeHeader(name)`.
    pub fn remove_header(&mut self, name: &str) -> Result<(), OutgoingError> {
        if self.head.is_some() {
            return fail("ERR_HTTP_HEADERS_SENT");
        }
        // Node's removeHeader: the head Node would make up without these
        // is not made up either.
        match name.to_ascii_lowercase().as_str() {
            "connection" => self.removed_connection = true,
            "content-length" => self.removed_cont_len = true,
            "transfer-encoding" => self.removed_te = true,
            "date" => self.send_date = false,
            _ => {}
        }
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        Ok(())
    }

    /// `res.writeHead(statusCode[, statusMessage][, headers])`, headers as
    /// pairs (an object's, or an array's in order), set with `setHeader`.
    pub fn write_head(
        &mut self,
        status_code: u16,
        status_message: Option<&str>,
        headers: &[(String, HeaderValue)],
    ) -> Result<(), OutgoingError> {
        let given: Vec<(String, Option<HeaderValue>)> = headers
            .iter()
            .map(|(n, v)| (n.clone(), Some(v.clone())))
            .collect();
        self.write_head_with(status_code, status_message, &given, false)
    }

    /// `writeHead` as Node runs it: `odd` for an array of names and values
    /// of odd length, `None` for an `undefined` value. When no header was
    /// set before, the given ones are the head as they are (duplicates
    /// kept, each validated); otherwise each goes through `setHeader`.
    pub fn write_head_with(
        &mut self,
        status_code: u16,
        status_message: Option<&str>,
        headers: &[(String, Option<HeaderValue>)],
        odd: bool,
    ) -> Result<(), OutgoingError> {
        if self.head.is_some() {
            return fail("ERR_HTTP_HEADERS_SENT");
        }
        if !(100..=999).contains(&status_code) {
            return fail("ERR_HTTP_INVALID_STATUS_CODE");
        }
        if let Some(m) = status_message {
            self.status_message = Some(m.to_string());
        } else if self.status_message.is_none() {
            self.status_message = Some(status_text(status_code).to_string());
        }
        self.status_code = status_code;
        if odd {
            return fail("ERR_INVALID_ARG_VALUE");
        }
        let list = if self.headers_touched {
            for (name, value) in headers.iter().filter(|(n, _)| !n.is_empty()) {
                let Some(value) = value else {
                    validate_header(name, None)?;
                    continue;
                };
                self.set_header(name, value.clone())?;
            }
            self.headers.clone()
        } else {
            let mut list = Vec::new();
            for (name, value) in headers {
                validate_header(name, value.as_ref())?;
                if let Some(v) = value {
                    list.push((name.clone(), v.clone()));
                }
            }
            list
        };
        let message = self.status_message.clone().unwrap_or_default();
        if has_invalid_char(&message) {
            return fail("ERR_INVALID_CHAR");
        }
        if status_code == 204 || status_code == 304 || (100..=199).contains(&status_code) {
            self.has_body = false;
        }
        // writeHead: a final status without `100 Continue` first ends
        // the connection (the client may still send the body).
        if self.expect_continue && !self.sent_100 {
            self.should_keep_alive = false;
        }
        let first = format!("HTTP/1.1 {status_code} {message}\r\n");
        self.store_head(first, &list)
    }

    /// `res.flushHeaders()`: the head now, made if need be.
    pub fn flush_headers(&mut self) -> Result<(), OutgoingError> {
        if self.head.is_none() {
            self.implicit_head()?;
        }
        self.send(b"");
        Ok(())
    }

    /// Node's `strictContentLength(msg)`: the check applies.
    fn strict(&self) -> bool {
        self.strict_content_length
            && self.content_length.is_some()
            && self.has_body
            && !self.chunked
            && self.get_header("transfer-encoding").is_none()
    }

    fn mismatch(&self, written: u64) -> Result<(), OutgoingError> {
        let _ = written;
        fail("ERR_HTTP_CONTENT_LENGTH_MISMATCH")
    }

    /// `res.write(chunk)`: queues the bytes (with the head first).
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), OutgoingError> {
        if self.finished {
            return fail("ERR_STREAM_WRITE_AFTER_END");
        }
        self.write_body(chunk, false)
    }

    /// `res.end([chunk])`.
    pub fn end(&mut self, chunk: Option<&[u8]>) -> Result<(), OutgoingError> {
        if self.finished {
            return Ok(());
        }
        match chunk {
            Some(c) if !c.is_empty() => self.write_body(c, true)?,
            _ if self.head.is_none() => {
                self.content_length = Some(0);
                self.implicit_head()?;
            }
            _ => {}
        }
        // Thrown after the chunk was queued, before the message ends.
        if self.strict() && Some(self.bytes_written) != self.content_length {
            return self.mismatch(self.bytes_written);
        }
        if self.has_body && self.chunked {
            let end = format!("0\r\n{}\r\n", self.trailer);
            self.send(end.as_bytes());
        } else {
            self.send(b"");
        }
        self.finished = true;
        Ok(())
    }

    /// `res.addTrailers(headers)`: sent after the last chunk.
    pub fn add_trailers(&mut self, trailers: &[(String, String)]) -> Result<(), OutgoingError> {
        for (name, value) in trailers {
            if !is_token(name) {
                return fail("ERR_INVALID_HTTP_TOKEN");
            }
            if has_invalid_char(value) {
                return fail("ERR_INVALID_CHAR");
            }
            self.trailer.push_str(&format!("{name}: {value}\r\n"));
        }
        Ok(())
    }

    /// Node's `_implicitHeader`: a response's `writeHead(statusCode)`,
    /// a request's `_storeHeader(method + ' ' + path + ' HTTP/1.1')`.
    fn implicit_head(&mut self) -> Result<(), OutgoingError> {
        match self.request_line.clone() {
            Some(line) => {
                let list = self.headers.clone();
                self.store_head(line, &list)
            }
            None => self.write_head(self.status_code, None, &[]),
        }
    }

    /// A request's head from headers given as an array (`headers: [name,
    /// value, …]`): stored at once as they are, duplicates and order
    /// kept, without the headers set so far (Node's constructor calls
    /// `_storeHeader(firstLine, options.headers)`: no `Host` is added).
    pub fn store_request_head(
        &mut self,
        list: &[(String, HeaderValue)],
    ) -> Result<(), OutgoingError> {
        for (name, value) in list {
            validate_header(name, Some(value))?;
        }
        let line = self.request_line.clone().unwrap_or_default();
        self.store_head(line, list)
    }

    /// Makes the head now if it is not made (a request with `Expect`:
    /// Node's constructor calls `_storeHeader` at once).
    pub fn make_head(&mut self) -> Result<(), OutgoingError> {
        if self.head.is_some() {
            return fail("ERR_HTTP_HEADERS_SENT");
        }
        self.implicit_head()
    }

    /// Node's `shouldKeepAlive`: what the agent (a request) or the
    /// request (a response) asked for, and what a `Connection` header set
    /// on the message said (any value but `close` asks for keep-alive).
    pub fn should_keep_alive(&self) -> bool {
        self.should_keep_alive
    }

    /// Sets `shouldKeepAlive` (a client whose server did not keep the
    /// connection alive).
    pub fn set_should_keep_alive(&mut self, keep: bool) {
        self.should_keep_alive = keep;
    }

    /// Node's `write_`.
    fn write_body(&mut self, chunk: &[u8], from_end: bool) -> Result<(), OutgoingError> {
        if self.strict_content_length {
            let len = chunk.len() as u64;
            let total = self.bytes_written + len;
            if self.strict() {
                let over = match self.content_length {
                    Some(cl) if from_end => total != cl,
                    Some(cl) => total > cl,
                    None => false,
                };
                if over {
                    return self.mismatch(total);
                }
            }
            self.bytes_written = total;
        }
        if self.head.is_none() {
            if from_end {
                self.content_length = Some(chunk.len() as u64);
            }
            self.implicit_head()?;
        }
        if !self.has_body {
            // A HEAD, 204 or 304 response: the body is dropped.
            return Ok(());
        }
        if self.chunked && !chunk.is_empty() {
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
            self.send(&framed);
        } else {
            self.send(chunk);
        }
        Ok(())
    }

    /// Node's `_send`: the head goes out with the first bytes after it.
    fn send(&mut self, data: &[u8]) {
        if !self.head_sent
            && let Some(head) = &self.head
        {
            self.out.extend_from_slice(head);
            self.head_sent = true;
        }
        self.out.extend_from_slice(data);
    }

    /// Node's `_storeHeader`.
    fn store_head(
        &mut self,
        first_line: String,
        list: &[(String, HeaderValue)],
    ) -> Result<(), OutgoingError> {
        let mut head = first_line;
        let (mut connection, mut cont_len, mut te, mut date, mut trailer, mut expect) =
            (false, false, false, false, false, false);
        for (name, value) in list {
            let values: Vec<String> = match value {
                // processHeader: a `Cookie` of two or more values is one
                // line joined with "; "; any other array (`Set-Cookie`
                // included) is one line per value.
                HeaderValue::Many(vs) if vs.len() >= 2 && name.eq_ignore_ascii_case("cookie") => {
                    vec![vs.join("; ")]
                }
                other => other.texts(),
            };
            for v in &values {
                head.push_str(&format!("{name}: {v}\r\n"));
                match name.to_ascii_lowercase().as_str() {
                    "connection" => {
                        connection = true;
                        self.removed_connection = false;
                        if has_word(v, "close") {
                            self.last = true;
                        } else {
                            self.should_keep_alive = true;
                        }
                    }
                    "transfer-encoding" => {
                        te = true;
                        self.removed_te = false;
                        if has_word(v, "chunked") {
                            self.chunked = true;
                        }
                    }
                    "content-length" => {
                        cont_len = true;
                        self.removed_cont_len = false;
                        self.content_length = v.trim().parse().ok();
                    }
                    "date" => date = true,
                    "trailer" => trailer = true,
                    "expect" => expect = true,
                    "keep-alive" => self.default_keep_alive = false,
                    _ => {}
                }
            }
        }
        if self.send_date && !date {
            head.push_str(&format!("Date: {}\r\n", self.date));
        }
        if self.chunked && (self.status_code == 204 || self.status_code == 304) {
            self.chunked = false;
            self.should_keep_alive = false;
        }
        if self.removed_connection {
            self.last = !self.should_keep_alive;
        } else if !connection {
            let send_keep_alive =
                self.should_keep_alive && (cont_len || self.use_chunked_by_default || self.agent);
            if send_keep_alive && self.max_requests_reached {
                // The limit is reached: the client is told, but Node does
                // not make this response the last (`_last` stays).
                head.push_str("Connection: close\r\n");
            } else if send_keep_alive {
                head.push_str("Connection: keep-alive\r\n");
                if self.keep_alive_timeout_ms > 0 && self.default_keep_alive {
                    let max = if self.max_requests_per_socket > 0 {
                        format!(", max={}", self.max_requests_per_socket)
                    } else {
                        String::new()
                    };
                    head.push_str(&format!(
                        "Keep-Alive: timeout={}{max}\r\n",
                        self.keep_alive_timeout_ms / 1000
                    ));
                }
            } else {
                self.last = true;
                head.push_str("Connection: close\r\n");
            }
        }
        if !cont_len && !te {
            if !self.has_body {
                self.chunked = false;
            } else if !self.use_chunked_by_default {
                self.last = true;
            } else if let (false, false, Some(n)) =
                (trailer, self.removed_cont_len, self.content_length)
            {
                head.push_str(&format!("Content-Length: {n}\r\n"));
            } else if !self.removed_te {
                head.push_str("Transfer-Encoding: chunked\r\n");
                self.chunked = true;
            } else {
                // Neither a length nor chunks: the body ends with the
                // connection.
                self.last = true;
            }
        }
        if !self.chunked && trailer {
            return fail("ERR_HTTP_TRAILER_INVALID");
        }
        head.push_str("\r\n");
        self.head = Some(head.into_bytes());
        // `if (state.expect) this._send('')`: the head goes out at once,
        // so that the peer can answer `100 Continue` before the body.
        if expect {
            self.send(b"");
        }
        Ok(())
    }
}

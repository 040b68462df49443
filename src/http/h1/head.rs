//! A request's head, line by line: the request line (our own scanner, as
//! llhttp accepts more versions than httparse), header lines (tokenised
//! by httparse, after the line discipline llhttp enforces), and the
//! framing headers' rules, each failing with llhttp's code and reason.

use super::{MAX_HEADER_SIZE, ParseError};

/// Node's `http.METHODS`: the methods llhttp knows (Node 20). Anything
/// else is `HPE_INVALID_METHOD`.
pub const METHODS: &[&str] = &[
    "ACL",
    "BIND",
    "CHECKOUT",
    "CONNECT",
    "COPY",
    "DELETE",
    "GET",
    "HEAD",
    "LINK",
    "LOCK",
    "M-SEARCH",
    "MERGE",
    "MKACTIVITY",
    "MKCALENDAR",
    "MKCOL",
    "MOVE",
    "NOTIFY",
    "OPTIONS",
    "PATCH",
    "POST",
    "PROPFIND",
    "PROPPATCH",
    "PURGE",
    "PUT",
    "QUERY",
    "REBIND",
    "REPORT",
    "SEARCH",
    "SOURCE",
    "SUBSCRIBE",
    "TRACE",
    "UNBIND",
    "UNLINK",
    "UNLOCK",
    "UNSUBSCRIBE",
];

/// How a message's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: …, chunked`.
    Chunked,
}

/// A parsed request head, as Node's `IncomingMessage` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// `req.method`.
    pub method: String,
    /// `req.url`, as sent.
    pub url: String,
    /// `req.httpVersion`'s digits: `(1, 1)` is `"1.1"`.
    pub version: (u8, u8),
    /// `req.rawHeaders` as pairs: names as sent, values trimmed.
    pub headers: Vec<(String, String)>,
    /// How the body is delimited.
    pub framing: Framing,
    /// Whether the connection stays open after this message (llhttp's
    /// `should_keep_alive`).
    pub keep_alive: bool,
    /// `Connection: upgrade` with an `Upgrade` header, or `CONNECT`: what
    /// follows the head is not HTTP.
    pub upgrade: bool,
}

impl RequestHead {
    /// `req.httpVersion`.
    pub fn http_version(&self) -> String {
        format!("{}.{}", self.version.0, self.version.1)
    }
}

fn err(code: &'static str, reason: &'static str, at: usize) -> ParseError {
    ParseError::new(code, reason, at)
}

/// The request line, once complete.
#[derive(Debug, Clone)]
pub(super) struct RequestLine {
    method: String,
    url: String,
    version: (u8, u8),
}

/// Checks what has arrived of a request line (`line`, without its end),
/// as llhttp does byte by byte: a method that cannot become one of
/// [`METHODS`] fails before the line is complete. `at` is the line's
/// position in the stream.
pub(super) fn check_partial_request_line(line: &[u8], at: usize) -> Result<(), ParseError> {
    let method_end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    let method = &line[..method_end];
    for i in 0..method.len() {
        let prefix = &method[..=i];
        if !METHODS.iter().any(|m| m.as_bytes().starts_with(prefix)) {
            return Err(err(
                "HPE_INVALID_METHOD",
                "Invalid method encountered",
                at + i,
            ));
        }
    }
    Ok(())
}

/// Parses a complete request line: `line` runs up to and including its
/// `\n`; `at` is its position in the stream.
pub(super) fn request_line(line: &[u8], at: usize) -> Result<RequestLine, ParseError> {
    check_partial_request_line(line, at)?;
    let mut i = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    let method = &line[..i];
    if !METHODS.iter().any(|m| m.as_bytes() == method) {
        return Err(err(
            "HPE_INVALID_METHOD",
            "Invalid method encountered",
            at + i,
        ));
    }
    // llhttp takes any number of spaces between the parts.
    while line.get(i) == Some(&b' ') {
        i += 1;
    }
    let url_start = i;
    while let Some(&b) = line.get(i) {
        if b == b' ' {
            break;
        }
        if b < 0x21 || b == 0x7f {
            return Err(err("HPE_INVALID_URL", "Invalid char in url path", at + i));
        }
        i += 1;
    }
    let url = &line[url_start..i];
    while line.get(i) == Some(&b' ') {
        i += 1;
    }
    for (k, &want) in b"HTTP/".iter().enumerate() {
        if line.get(i + k) != Some(&want) {
            return Err(err(
                "HPE_INVALID_CONSTANT",
                "Expected HTTP/, RTSP/ or ICE/",
                at + i + k,
            ));
        }
    }
    i += 5;
    let digit = |j: usize| line.get(j).filter(|b| b.is_ascii_digit()).map(|b| b - b'0');
    let major =
        digit(i).ok_or_else(|| err("HPE_INVALID_VERSION", "Invalid major version", at + i))?;
    if line.get(i + 1) != Some(&b'.') {
        return Err(err("HPE_INVALID_VERSION", "Expected dot", at + i + 1));
    }
    let minor = digit(i + 2)
        .ok_or_else(|| err("HPE_INVALID_VERSION", "Invalid minor version", at + i + 2))?;
    i += 3;
    // llhttp knows 0.9, 1.0, 1.1 and 2.0 (checked on live Node 20: 1.2,
    // 2.1, 3.0 fail; 0.9 and 2.0 are parsed as HTTP/1 requests).
    if !matches!((major, minor), (0, 9) | (1, 0) | (1, 1) | (2, 0)) {
        return Err(err("HPE_INVALID_VERSION", "Invalid HTTP version", at + i));
    }
    match (line.get(i), line.get(i + 1)) {
        (Some(b'\r'), Some(b'\n')) => {}
        (Some(b'\r'), _) => {
            return Err(err("HPE_STRICT", "Expected CRLF after version", at + i + 1));
        }
        _ => {
            return Err(err(
                "HPE_INVALID_VERSION",
                "Expected CRLF after version",
                at + i,
            ));
        }
    }
    Ok(RequestLine {
        method: String::from_utf8_lossy(method).into_owned(),
        url: String::from_utf8_lossy(url).into_owned(),
        version: (major, minor),
    })
}

/// One header line (up to and including its `\n`, not the blank line),
/// as (name, trimmed value, the value's length as Node counts it: from
/// its first non-blank byte to the CR). `at` is its position in the
/// stream.
pub(super) fn header_line(line: &[u8], at: usize) -> Result<(String, String, usize), ParseError> {
    let end = line.len() - 1; // the '\n'
    if end == 0 || line[end - 1] != b'\r' {
        return Err(err(
            "HPE_CR_EXPECTED",
            "Missing expected CR after header value",
            at + end,
        ));
    }
    if let Some(cr) = line[..end - 1].iter().position(|&b| b == b'\r') {
        return Err(err(
            "HPE_LF_EXPECTED",
            "Missing expected LF after header value",
            at + cr + 1,
        ));
    }
    if matches!(line[0], b' ' | b'\t') {
        // obs-fold: llhttp (strict) refuses a continuation line.
        return Err(err(
            "HPE_INVALID_HEADER_TOKEN",
            "Unexpected whitespace after header value",
            at,
        ));
    }
    // httparse wants a whole block: the line, then the blank line.
    let mut block = Vec::with_capacity(line.len() + 2);
    block.extend_from_slice(line);
    block.extend_from_slice(b"\r\n");
    let mut headers = [httparse::EMPTY_HEADER; 1];
    match httparse::parse_headers(&block, &mut headers) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(httparse::Error::HeaderName) => {
            return Err(err("HPE_INVALID_HEADER_TOKEN", "Invalid header token", at));
        }
        Err(httparse::Error::HeaderValue) => {
            return Err(err(
                "HPE_INVALID_HEADER_TOKEN",
                "Invalid header value char",
                at,
            ));
        }
        Err(_) => {
            return Err(err("HPE_INVALID_HEADER_TOKEN", "Invalid header token", at));
        }
    }
    let h = headers[0];
    if h.name.is_empty() {
        return Err(err("HPE_INVALID_HEADER_TOKEN", "Invalid header token", at));
    }
    let colon = line.iter().position(|&b| b == b':').unwrap_or(0);
    let raw = line[colon + 1..end - 1]
        .iter()
        .skip_while(|&&b| matches!(b, b' ' | b'\t'))
        .count();
    let value = h.value.trim_ascii();
    Ok((h.name.to_string(), latin1(value), raw))
}

/// Header bytes as Node decodes them (`latin1`).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// What the framing headers said so far, checked as each arrives.
#[derive(Debug, Default)]
pub(super) struct FramingRules {
    content_length: Option<u64>,
    transfer_encoding: bool,
    chunked_seen: bool,
    chunked_last: bool,
    close: bool,
    keep_alive: bool,
    upgrade_token: bool,
    upgrade_header: bool,
    /// Node counts the url, header names and values against
    /// `maxHeaderSize` (`TrackHeader` in node_http_parser.cc): at the
    /// limit, `HPE_HEADER_OVERFLOW`.
    pub(super) counted: usize,
}

impl FramingRules {
    /// Takes one header (raw value as sent, `value` trimmed) at `at`.
    pub(super) fn header(
        &mut self,
        name: &str,
        value: &str,
        raw_len: usize,
        at: usize,
    ) -> Result<(), ParseError> {
        self.count(name.len() + raw_len, at)?;
        if name.eq_ignore_ascii_case("content-length") {
            if self.content_length.is_some() {
                return Err(err(
                    "HPE_UNEXPECTED_CONTENT_LENGTH",
                    "Duplicate Content-Length",
                    at,
                ));
            }
            if self.transfer_encoding {
                return Err(err(
                    "HPE_INVALID_CONTENT_LENGTH",
                    "Content-Length can't be present with Transfer-Encoding",
                    at,
                ));
            }
            if value.is_empty() {
                return Err(err(
                    "HPE_INVALID_CONTENT_LENGTH",
                    "Empty Content-Length",
                    at,
                ));
            }
            let mut n: u64 = 0;
            for b in value.bytes() {
                if !b.is_ascii_digit() {
                    return Err(err(
                        "HPE_INVALID_CONTENT_LENGTH",
                        "Invalid character in Content-Length",
                        at,
                    ));
                }
                n = n
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(b - b'0')))
                    .ok_or_else(|| {
                        err("HPE_INVALID_CONTENT_LENGTH", "Content-Length overflow", at)
                    })?;
            }
            self.content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if self.content_length.is_some() {
                return Err(err(
                    "HPE_INVALID_TRANSFER_ENCODING",
                    "Transfer-Encoding can't be present with Content-Length",
                    at,
                ));
            }
            self.transfer_encoding = true;
            for coding in value.split(',').map(str::trim) {
                if self.chunked_seen {
                    // Anything after `chunked`, in this header or another.
                    return Err(err(
                        "HPE_INVALID_TRANSFER_ENCODING",
                        "Invalid `Transfer-Encoding` header value",
                        at,
                    ));
                }
                if coding.eq_ignore_ascii_case("chunked") {
                    self.chunked_seen = true;
                }
            }
            self.chunked_last = self.chunked_seen;
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    self.close = true;
                } else if token.eq_ignore_ascii_case("keep-alive") {
                    self.keep_alive = true;
                } else if token.eq_ignore_ascii_case("upgrade") {
                    self.upgrade_token = true;
                }
            }
        } else if name.eq_ignore_ascii_case("upgrade") {
            self.upgrade_header = true;
        }
        Ok(())
    }

    /// Counts bytes against `maxHeaderSize`.
    pub(super) fn count(&mut self, n: usize, at: usize) -> Result<(), ParseError> {
        self.counted += n;
        if self.counted >= MAX_HEADER_SIZE {
            return Err(err("HPE_HEADER_OVERFLOW", "Header overflow", at));
        }
        Ok(())
    }

    /// The head is complete: the message's framing and connection.
    pub(super) fn finish(
        self,
        line: RequestLine,
        headers: Vec<(String, String)>,
        at: usize,
    ) -> Result<RequestHead, ParseError> {
        let framing = if self.transfer_encoding {
            if !self.chunked_last {
                return Err(err(
                    "HPE_INVALID_TRANSFER_ENCODING",
                    "Request has invalid `Transfer-Encoding`",
                    at,
                ));
            }
            Framing::Chunked
        } else {
            match self.content_length {
                Some(0) | None => Framing::None,
                Some(n) => Framing::Length(n),
            }
        };
        let keep_alive = if line.version >= (1, 1) {
            !self.close
        } else {
            self.keep_alive && !self.close
        };
        let upgrade = line.method == "CONNECT" || (self.upgrade_token && self.upgrade_header);
        Ok(RequestHead {
            method: line.method,
            url: line.url,
            version: line.version,
            headers,
            framing,
            keep_alive,
            upgrade,
        })
    }
}

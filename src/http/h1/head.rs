//! A request's head, line by line: the request line (our own scanner, as
//! llhttp accepts more versions and url forms than httparse) and header
//! lines (tokenised by httparse, after the line discipline llhttp
//! enforces), each failing with llhttp's code and reason. The framing
//! headers' rules are `framing.rs`'s.

use super::ParseError;

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
    /// Until the connection ends (a response with neither, or with a
    /// `Transfer-Encoding` that is not chunked).
    UntilEof,
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

impl RequestLine {
    /// What Node counts of it against `maxHeaderSize`.
    pub(super) fn url_len(&self) -> usize {
        self.url.len()
    }
}

pub(super) fn err(code: &'static str, reason: &'static str, at: usize) -> ParseError {
    ParseError::new(code, reason, at)
}

/// The request line, once complete.
#[derive(Debug, Clone)]
pub(super) struct RequestLine {
    pub(super) method: String,
    pub(super) url: String,
    pub(super) version: (u8, u8),
}

/// Checks what has arrived of a request line, as llhttp does byte by
/// byte, so a bad line fails before it is complete: `line` is the line so
/// far (up to and including its `\n` once that came); `at` is its position
/// in the stream. `Ok(None)`: valid so far, more is needed.
pub(super) fn request_line(
    line: &[u8],
    at: usize,
    limit: usize,
) -> Result<Option<RequestLine>, ParseError> {
    let fail = |code, reason, i: usize| Err(err(code, reason, at + i));
    let mut i = 0;
    // The method, matched against the methods llhttp knows.
    loop {
        let Some(&b) = line.get(i) else {
            return Ok(None);
        };
        let so_far = &line[..i];
        let longer = [so_far, &[b]].concat();
        if METHODS.iter().any(|m| m.as_bytes().starts_with(&longer)) {
            i += 1;
            continue;
        }
        if METHODS.iter().any(|m| m.as_bytes() == so_far) {
            if b == b' ' {
                break;
            }
            return fail("HPE_INVALID_METHOD", "Expected space after method", i);
        }
        return fail("HPE_INVALID_METHOD", "Invalid method encountered", i);
    }
    let method = &line[..i];
    while line.get(i) == Some(&b' ') {
        i += 1;
    }
    // The url: llhttp's url parser (origin form, `*`, or a scheme), or
    // CONNECT's authority.
    let url_start = i;
    let Some(&first) = line.get(i) else {
        return Ok(None);
    };
    let connect = method == b"CONNECT";
    match first {
        b'/' | b'*' => {}
        _ if connect => {}
        b if b.is_ascii_alphabetic() => {
            // A scheme: letters, then "://".
            while line.get(i).is_some_and(u8::is_ascii_alphabetic) {
                i += 1;
            }
            match line.get(i) {
                None => return Ok(None),
                Some(b':') => {}
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    return fail("HPE_INVALID_URL", "Invalid characters in url", i);
                }
                Some(_) => return fail("HPE_INVALID_URL", "Unexpected char in url schema", i),
            }
            for k in 1..=2 {
                match line.get(i + k) {
                    None => return Ok(None),
                    Some(b'/') => {}
                    Some(_) => {
                        return fail("HPE_INVALID_URL", "Unexpected char in url schema", i + k);
                    }
                }
            }
            i += 3;
        }
        b'\t' | b'\r' | b'\n' => return fail("HPE_INVALID_URL", "Invalid characters in url", i),
        _ => return fail("HPE_INVALID_URL", "Unexpected start char in url", i),
    }
    loop {
        // Node counts the url against maxHeaderSize: at the limit the
        // overflow is the error, wherever the line is split.
        if i - url_start >= limit {
            return fail("HPE_HEADER_OVERFLOW", "Header overflow", i);
        }
        let Some(&b) = line.get(i) else {
            return Ok(None);
        };
        match b {
            b' ' | b'\r' | b'\n' => break,
            b'\t' => return fail("HPE_INVALID_URL", "Invalid characters in url", i),
            0x21..=0x7e | 0x80..=0xff => i += 1,
            _ => return fail("HPE_INVALID_URL", "Invalid char in url path", i),
        }
    }
    let url = latin1(&line[url_start..i]);
    let method = latin1(method);
    // No version: an HTTP/0.9 request line ("GET /path"), whose headers
    // llhttp still reads.
    match line.get(i) {
        Some(b'\r') => {
            return match line.get(i + 1) {
                None => Ok(None),
                Some(b'\n') => Ok(Some(RequestLine {
                    method,
                    url,
                    version: (0, 9),
                })),
                Some(_) => fail("HPE_INVALID_URL", "Expected CRLF", i + 1),
            };
        }
        Some(b'\n') => {
            return Ok(Some(RequestLine {
                method,
                url,
                version: (0, 9),
            }));
        }
        _ => {}
    }
    while line.get(i) == Some(&b' ') {
        i += 1;
    }
    if line.get(i) == Some(&b'\t') {
        return fail("HPE_INVALID_URL", "Invalid characters in url", i);
    }
    for (k, &want) in b"HTTP/".iter().enumerate() {
        match line.get(i + k) {
            None => return Ok(None),
            Some(&b) if b == want => {}
            Some(_) => {
                return fail(
                    "HPE_INVALID_CONSTANT",
                    "Expected HTTP/, RTSP/ or ICE/",
                    i + k,
                );
            }
        }
    }
    i += 5;
    let digit = |j: usize| line.get(j).map(|b| b.is_ascii_digit().then(|| b - b'0'));
    let major = match digit(i) {
        None => return Ok(None),
        Some(None) => return fail("HPE_INVALID_VERSION", "Invalid major version", i),
        Some(Some(d)) => d,
    };
    match line.get(i + 1) {
        None => return Ok(None),
        Some(b'.') => {}
        Some(_) => return fail("HPE_INVALID_VERSION", "Expected dot", i + 1),
    }
    let minor = match digit(i + 2) {
        None => return Ok(None),
        Some(None) => return fail("HPE_INVALID_VERSION", "Invalid minor version", i + 2),
        Some(Some(d)) => d,
    };
    i += 3;
    // llhttp knows 0.9, 1.0, 1.1 and 2.0 (checked on live Node 20: 1.2,
    // 2.1, 3.0 fail; 0.9 and 2.0 are parsed as HTTP/1 requests).
    if !matches!((major, minor), (0, 9) | (1, 0) | (1, 1) | (2, 0)) {
        return fail("HPE_INVALID_VERSION", "Invalid HTTP version", i);
    }
    match (line.get(i), line.get(i + 1)) {
        (None, _) | (Some(b'\r'), None) => Ok(None),
        (Some(b'\r'), Some(b'\n')) => Ok(Some(RequestLine {
            method,
            url,
            version: (major, minor),
        })),
        (Some(b'\r'), _) => fail("HPE_STRICT", "Expected CRLF after version", i + 1),
        _ => fail("HPE_INVALID_VERSION", "Expected CRLF after version", i),
    }
}

/// The header names llhttp matches letter by letter: a bad character
/// right after one of them is "Invalid header field char".
const MATCHED_NAMES: &[&str] = &[
    "connection",
    "content-length",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

/// A header line, parsed: what the framing rules must see before the
/// line's end is judged.
pub(super) struct HeaderLine {
    pub(super) name: String,
    /// The value, trimmed.
    pub(super) value: String,
    /// The value's length as Node counts it: from its first non-blank
    /// byte to its end.
    pub(super) raw_len: usize,
    /// What is wrong with the line's end (a CR without LF, a bare LF):
    /// llhttp finds it after the value is complete, so after the framing
    /// rules had their say.
    pub(super) ending: Option<ParseError>,
}

/// Where a header line sits, for the checks that depend on it.
#[derive(Debug, Clone, Copy)]
pub(super) struct LinePlace {
    /// Right after the request line.
    pub(super) first: bool,
    /// The previous header's value was empty.
    pub(super) after_empty: bool,
}

/// The first error in what has arrived of a header line (all of it, or a
/// prefix): its start, its name, its value's characters, and the point
/// where the name and value bring the head's count to `maxHeaderSize`,
/// whichever comes first in the line. Position-based, so a line split
/// anywhere fails the same way; the line's end and the framing rules are
/// [`header_line`]'s.
pub(super) fn scan_header_prefix(
    line: &[u8],
    at: usize,
    place: LinePlace,
    counted: usize,
    limit: usize,
) -> Option<ParseError> {
    let overflow = |i: usize| Some(err("HPE_HEADER_OVERFLOW", "Header overflow", at + i));
    // A lone CR may be the blank line's: the next byte decides.
    if line == b"\r" {
        return None;
    }
    let mut count = counted;
    let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    let mut i = 0;
    // The start and the name.
    while let Some(&b) = line.get(i) {
        if b == b':' && i > 0 {
            break;
        }
        if !is_tchar(b) {
            // header_line words it (it sees the same byte first).
            return header_line(&line[..=i], at, place).err();
        }
        count += 1;
        if count >= limit {
            return overflow(i + 1);
        }
        i += 1;
    }
    i += 1;
    while matches!(line.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    while let Some(&b) = line.get(i) {
        if matches!(b, b'\r' | b'\n') {
            return None;
        }
        if b != b'\t' && (b < 0x20 || b == 0x7f) {
            return Some(err(
                "HPE_INVALID_HEADER_TOKEN",
                "Invalid header value char",
                at + i,
            ));
        }
        count += 1;
        if count >= limit {
            return overflow(i + 1);
        }
        i += 1;
    }
    // Leading blanks are not counted; a line of nothing else is refused
    // at some point all the same.
    if line.len() > 2 * limit {
        return overflow(line.len());
    }
    None
}

/// One header line (up to and including its `\n`, or a `\r` and the byte
/// after it; not the blank line). `at` is its position in the stream. The
/// checks come in llhttp's order: the line's start, the name, the
/// value's characters; the line's end is left in
/// [`HeaderLine::ending`].
pub(super) fn header_line(
    line: &[u8],
    at: usize,
    place: LinePlace,
) -> Result<HeaderLine, ParseError> {
    let fail = |code, reason, i: usize| Err(err(code, reason, at + i));
    match line[0] {
        // Not the blank line: a CR must be followed by its LF.
        b'\r' => return fail("HPE_STRICT", "Expected LF after headers", 1),
        b'\n' => return fail("HPE_INVALID_HEADER_TOKEN", "Invalid header field char", 0),
        b'\t' if place.first => return fail("HPE_INVALID_HEADER_TOKEN", "Invalid header token", 0),
        b' ' if place.first => {
            return fail(
                "HPE_UNEXPECTED_SPACE",
                "Unexpected space after start line",
                0,
            );
        }
        // A continuation of an empty value: llhttp is still in the value.
        b' ' | b'\t' if place.after_empty => {
            return fail("HPE_INVALID_HEADER_TOKEN", "Invalid header value char", 0);
        }
        // obs-fold: llhttp (strict) refuses a continuation line.
        b' ' | b'\t' => {
            return fail(
                "HPE_INVALID_HEADER_TOKEN",
                "Unexpected whitespace after header value",
                0,
            );
        }
        _ => {}
    }
    let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    let colon = match line.iter().position(|&b| !is_tchar(b)) {
        Some(c) if line[c] == b':' && c > 0 => c,
        Some(c) => {
            let name = String::from_utf8_lossy(&line[..c]).to_ascii_lowercase();
            let blank = line[c] == b' ';
            return if blank && MATCHED_NAMES.contains(&name.as_str()) {
                fail("HPE_INVALID_HEADER_TOKEN", "Invalid header field char", c)
            } else {
                fail("HPE_INVALID_HEADER_TOKEN", "Invalid header token", c)
            };
        }
        None => {
            return fail(
                "HPE_INVALID_HEADER_TOKEN",
                "Invalid header token",
                line.len(),
            );
        }
    };
    let value_start = colon
        + 1
        + line[colon + 1..]
            .iter()
            .take_while(|&&b| matches!(b, b' ' | b'\t'))
            .count();
    let Some(end) = line[value_start..]
        .iter()
        .position(|&b| matches!(b, b'\r' | b'\n'))
    else {
        return fail(
            "HPE_INVALID_HEADER_TOKEN",
            "Invalid header token",
            line.len(),
        );
    };
    let end = value_start + end;
    // The value's characters first (httparse's rule: HTAB, SP..~, obs-text).
    if let Some(bad) = line[value_start..end]
        .iter()
        .position(|&b| b != b'\t' && (b < 0x20 || b == 0x7f))
    {
        return fail(
            "HPE_INVALID_HEADER_TOKEN",
            "Invalid header value char",
            value_start + bad,
        );
    }
    let ending = match (line[end], line.get(end + 1)) {
        (b'\r', Some(b'\n')) => None,
        // An empty value's CR without LF: llhttp checks it at once.
        (b'\r', _) if end == value_start => {
            return fail("HPE_STRICT", "Expected LF after CR", end + 1);
        }
        (b'\r', _) => Some(err(
            "HPE_LF_EXPECTED",
            "Missing expected LF after header value",
            at + end + 1,
        )),
        // A bare LF: after an empty value llhttp calls it a bad value char.
        _ if end == value_start => {
            return fail("HPE_INVALID_HEADER_TOKEN", "Invalid header value char", end);
        }
        _ => Some(err(
            "HPE_CR_EXPECTED",
            "Missing expected CR after header value",
            at + end,
        )),
    };
    // httparse tokenises what the checks above let through; it wants a
    // whole block, so the line goes to it with a proper end.
    let mut block = Vec::with_capacity(end + 4);
    block.extend_from_slice(&line[..end]);
    block.extend_from_slice(b"\r\n\r\n");
    let mut headers = [httparse::EMPTY_HEADER; 1];
    match httparse::parse_headers(&block, &mut headers) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::HeaderValue) => {
            return fail(
                "HPE_INVALID_HEADER_TOKEN",
                "Invalid header value char",
                value_start,
            );
        }
        Ok(httparse::Status::Partial) | Err(_) => {
            return fail("HPE_INVALID_HEADER_TOKEN", "Invalid header token", 0);
        }
    }
    let h = headers[0];
    Ok(HeaderLine {
        name: h.name.to_string(),
        value: latin1(h.value.trim_ascii()),
        raw_len: end - value_start,
        ending,
    })
}

/// Header bytes as Node decodes them (`latin1`).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

//! Responses, as Node's client parses them: the status line and what a
//! response's head decides, on the shared [`Parser`](super::parser::Parser).

use super::framing::FramingRules;
use super::head::err;
use super::parser::{Decided, Kind, Next, Parser};
use super::{Framing, ParseError, Parsed};

/// A parsed response head, as Node's client `IncomingMessage` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// `res.statusCode`.
    pub status: u16,
    /// `res.statusMessage`, as sent (empty when there is none).
    pub reason: String,
    /// `res.httpVersion`'s digits.
    pub version: (u8, u8),
    /// `res.rawHeaders` as pairs.
    pub headers: Vec<(String, String)>,
    /// How the body is delimited.
    pub framing: Framing,
    /// Whether the connection stays open after it.
    pub keep_alive: bool,
    /// A `101` with `Upgrade` and `Connection: upgrade` (llhttp's
    /// `upgrade`): what follows its head is not HTTP.
    pub upgrade: bool,
}

impl ResponseHead {
    /// `res.httpVersion`.
    pub fn http_version(&self) -> String {
        format!("{}.{}", self.version.0, self.version.1)
    }
}

/// A parsed status line.
#[derive(Debug)]
pub(super) struct StatusLine {
    version: (u8, u8),
    status: u16,
    reason: String,
}

/// The responses side: it knows whether the request was a HEAD (whose
/// response has no body).
#[derive(Debug)]
pub(super) struct Responses {
    head_request: bool,
    /// The request was a `CONNECT`: whatever the answer, what follows its
    /// head is the tunnel (Node's `parserOnIncomingClient` returns 2).
    connect_request: bool,
}

/// Checks what has arrived of a status line (`HTTP/1.1 200 OK`), as
/// llhttp does, with its codes and reasons (checked on live Node 20).
fn status_line(line: &[u8], at: usize) -> Result<Option<StatusLine>, ParseError> {
    let fail = |code, reason, i: usize| Err(err(code, reason, at + i));
    for (k, &want) in b"HTTP/".iter().enumerate() {
        match line.get(k) {
            None => return Ok(None),
            Some(&b) if b == want => {}
            Some(_) => return fail("HPE_INVALID_CONSTANT", "Expected HTTP/, RTSP/ or ICE/", k),
        }
    }
    let digit = |j: usize| line.get(j).map(|b| b.is_ascii_digit().then(|| b - b'0'));
    let major = match digit(5) {
        None => return Ok(None),
        Some(None) => return fail("HPE_INVALID_VERSION", "Invalid major version", 5),
        Some(Some(d)) => d,
    };
    match line.get(6) {
        None => return Ok(None),
        Some(b'.') => {}
        Some(_) => return fail("HPE_INVALID_VERSION", "Expected dot", 6),
    }
    let minor = match digit(7) {
        None => return Ok(None),
        Some(None) => return fail("HPE_INVALID_VERSION", "Invalid minor version", 7),
        Some(Some(d)) => d,
    };
    if !matches!((major, minor), (0, 9) | (1, 0) | (1, 1) | (2, 0)) {
        return fail("HPE_INVALID_VERSION", "Invalid HTTP version", 8);
    }
    match line.get(8) {
        None => return Ok(None),
        Some(b' ') => {}
        Some(_) => return fail("HPE_INVALID_VERSION", "Expected space after version", 8),
    }
    // Three digits.
    let mut status: u16 = 0;
    for i in 9..12 {
        match digit(i) {
            None => return Ok(None),
            Some(None) => return fail("HPE_INVALID_STATUS", "Invalid status code", i),
            Some(Some(d)) => status = status * 10 + u16::from(d),
        }
    }
    let mut i = 12;
    match line.get(i) {
        None => return Ok(None),
        Some(b' ') => i += 1,
        Some(b'\r' | b'\n') => {}
        Some(_) => return fail("HPE_INVALID_STATUS", "Invalid response status", i),
    }
    let reason_start = i;
    loop {
        match line.get(i) {
            None => return Ok(None),
            Some(b'\r') => match line.get(i + 1) {
                None => return Ok(None),
                Some(b'\n') => break,
                Some(_) => {
                    return fail("HPE_STRICT", "Expected LF after CR", i + 1);
                }
            },
            Some(b'\n') => {
                return fail(
                    "HPE_CR_EXPECTED",
                    "Missing expected CR after response line",
                    i,
                );
            }
            Some(_) => i += 1,
        }
    }
    let reason = line[reason_start..i]
        .iter()
        .map(|&b| char::from(b))
        .collect();
    Ok(Some(StatusLine {
        version: (major, minor),
        status,
        reason,
    }))
}

impl Kind for Responses {
    const RESPONSE: bool = true;

    type Start = StatusLine;
    type Head = ResponseHead;

    fn start_line(
        &self,
        line: &[u8],
        at: usize,
        _limit: usize,
    ) -> Result<Option<StatusLine>, ParseError> {
        status_line(line, at)
    }

    fn counted(_: &StatusLine) -> usize {
        0
    }

    fn decide(
        &mut self,
        start: StatusLine,
        rules: FramingRules,
        headers: Vec<(String, String)>,
        _at: usize,
    ) -> Result<Decided<ResponseHead>, ParseError> {
        let (framing, keep_alive, upgrade) =
            rules.finish_response(start.status, start.version, self.head_request);
        // An informational response is followed by another head; 101
        // hands the connection over.
        let next = if upgrade || self.connect_request {
            Next::Upgrade
        } else if (100..200).contains(&start.status) && start.status != 101 {
            // Node's `statusIsInformational`: 101 is a final answer.
            Next::FinalResponse
        } else {
            Next::Message
        };
        Ok(Decided {
            head: ResponseHead {
                status: start.status,
                reason: start.reason,
                version: start.version,
                headers,
                framing,
                keep_alive,
                upgrade,
            },
            framing,
            keep_alive,
            next,
            after_head: None,
            stop_after: false,
        })
    }
}

/// Parses the response to one request, as Node's client does with llhttp:
/// informational heads (1xx), then the final head, its body and its end.
#[derive(Debug)]
pub struct ResponseParser(Parser<Responses>);

impl ResponseParser {
    /// A parser for the response to a request of `method` (a HEAD's
    /// response has no body, whatever its headers say).
    pub fn new(method: &str) -> ResponseParser {
        ResponseParser(Parser::new(Responses {
            head_request: method.eq_ignore_ascii_case("HEAD"),
            connect_request: method.eq_ignore_ascii_case("CONNECT"),
        }))
    }

    /// `maxHeaderSize` (0: Node's default).
    pub fn set_max_header_size(&mut self, limit: usize) {
        self.0.set_limit(limit);
    }

    /// Parses `input`, appending what it makes to `out` (what came before
    /// an error included).
    pub fn feed(
        &mut self,
        input: &[u8],
        out: &mut Vec<Parsed<ResponseHead>>,
    ) -> Result<(), ParseError> {
        self.0.feed(input, out)
    }

    /// The connection's end: completes a body read until it, or fails if
    /// a message was cut short (`HPE_INVALID_EOF_STATE`).
    pub fn finish(&mut self, out: &mut Vec<Parsed<ResponseHead>>) -> Result<(), ParseError> {
        self.0.finish(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_helper_is_shared() {
        // The same header rules as requests: an obs-fold is refused.
        let mut parser = ResponseParser::new("GET");
        let mut out = Vec::new();
        let e = parser
            .feed(b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", &mut out)
            .unwrap_err();
        assert_eq!(e.reason, "Unexpected whitespace after header value");
    }
}

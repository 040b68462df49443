//! The framing headers' rules (`Content-Length`, `Transfer-Encoding`,
//! `Connection`, `Upgrade`), checked where llhttp checks them, and what
//! they decide for the message: its body's framing, keep-alive, upgrade;
//! and the count of header bytes against `maxHeaderSize`.

use super::head::{RequestHead, RequestLine, err};
use super::{Framing, ParseError};

/// What the framing headers said so far, checked as each arrives.
#[derive(Debug)]
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
    /// That limit (`maxHeaderSize`).
    pub(super) limit: usize,
    /// A response's head: a coding after `chunked` is not an error there
    /// (the body is read until the connection ends).
    response: bool,
}

impl FramingRules {
    /// The rules of a head whose size is limited to `limit` bytes, on a
    /// request's or (`response`) a response's side.
    pub(super) fn new(limit: usize, response: bool) -> FramingRules {
        FramingRules {
            transfer_encoding: false,
            chunked_seen: false,
            chunked_last: false,
            close: false,
            keep_alive: false,
            upgrade_token: false,
            upgrade_header: false,
            content_length: None,
            counted: 0,
            limit,
            response,
        }
    }

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
            if let Some(e) = self.before_value(name, !value.is_empty(), at) {
                return Err(e);
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
            if let Some(e) = self.before_value(name, true, at) {
                return Err(e);
            }
            self.transfer_encoding = true;
            for coding in value.split(',').map(str::trim) {
                if self.chunked_seen && !self.response {
                    // Anything after `chunked`, in this header or another
                    // (a request's error only).
                    return Err(err(
                        "HPE_INVALID_TRANSFER_ENCODING",
                        "Invalid `Transfer-Encoding` header value",
                        at,
                    ));
                }
                self.chunked_last = coding.eq_ignore_ascii_case("chunked");
                self.chunked_seen |= self.chunked_last;
            }
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

    /// The checks llhttp makes before it reads a value: where the name
    /// ends, the conflict between `Content-Length` and
    /// `Transfer-Encoding`; where a non-empty value starts, a second
    /// `Content-Length`. (So they come before the value's characters are
    /// judged, and an empty second `Content-Length` is "Empty".)
    pub(super) fn before_value(
        &self,
        name: &str,
        has_value: bool,
        at: usize,
    ) -> Option<ParseError> {
        if name.eq_ignore_ascii_case("content-length") {
            if self.transfer_encoding {
                return Some(err(
                    "HPE_INVALID_CONTENT_LENGTH",
                    "Content-Length can't be present with Transfer-Encoding",
                    at,
                ));
            }
            if has_value && self.content_length.is_some() {
                return Some(err(
                    "HPE_UNEXPECTED_CONTENT_LENGTH",
                    "Duplicate Content-Length",
                    at,
                ));
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") && self.content_length.is_some() {
            return Some(err(
                "HPE_INVALID_TRANSFER_ENCODING",
                "Transfer-Encoding can't be present with Content-Length",
                at,
            ));
        }
        None
    }

    /// llhttp reads a `Content-Length` value digit by digit, so a bad
    /// byte in it is "Invalid character in Content-Length" before any
    /// other check of value characters: digits, then blanks to the end.
    fn content_length_chars(
        &self,
        name: &str,
        after_colon: &[u8],
        at: usize,
    ) -> Option<ParseError> {
        if !name.eq_ignore_ascii_case("content-length") {
            return None;
        }
        let start = after_colon
            .iter()
            .take_while(|&&b| matches!(b, b' ' | b'\t'))
            .count();
        let value = &after_colon[start..];
        let mut trailing = false;
        // Digits, then spaces: a tab after the first digit is refused
        // (checked on live Node 20: "3\t" and "3 \t" are, "3 " and a
        // leading tab are not).
        for &b in value.iter().take_while(|&&b| !matches!(b, b'\r' | b'\n')) {
            match b {
                b'0'..=b'9' if !trailing => {}
                b' ' => trailing = true,
                _ => {
                    return Some(err(
                        "HPE_INVALID_CONTENT_LENGTH",
                        "Invalid character in Content-Length",
                        at,
                    ));
                }
            }
        }
        None
    }

    /// [`FramingRules::before_value`] on what has arrived of a header
    /// line: nothing until the name is complete (and, for a duplicate,
    /// until the value has started).
    pub(super) fn before_value_in(&self, line: &[u8], at: usize) -> Option<ParseError> {
        let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        let colon = line.iter().position(|&b| !is_tchar(b))?;
        if colon == 0 || line[colon] != b':' {
            return None;
        }
        let name = String::from_utf8_lossy(&line[..colon]);
        let after = &line[colon + 1..];
        let ws = after
            .iter()
            .take_while(|&&b| matches!(b, b' ' | b'\t'))
            .count();
        let first = after.get(ws);
        let found = match first {
            // The value has not started yet (or the line's end is a
            // partial CR): a duplicate is not known.
            None if !line.ends_with(b"\n") => self
                .before_value(&name, false, at)
                .filter(|e| e.code != "HPE_UNEXPECTED_CONTENT_LENGTH"),
            None | Some(b'\r' | b'\n') => self.before_value(&name, false, at),
            Some(_) => self.before_value(&name, true, at),
        };
        // llhttp blames the byte after the colon for a conflict it sees
        // at the name's end, the value's first byte for a duplicate (as
        // Node's `bytesParsed` shows: fixtures/http/llhttp-facts.jsonl).
        let found = found.map(|mut e| {
            e.position = at
                + colon
                + 1
                + if e.code == "HPE_UNEXPECTED_CONTENT_LENGTH" {
                    ws
                } else {
                    0
                };
            e
        });
        // Then the value's digits.
        found.or_else(|| self.content_length_chars(&name, after, at))
    }

    /// Counts bytes against `maxHeaderSize`.
    pub(super) fn count(&mut self, n: usize, at: usize) -> Result<(), ParseError> {
        self.counted += n;
        if self.counted >= self.limit {
            return Err(err("HPE_HEADER_OVERFLOW", "Header overflow", at));
        }
        Ok(())
    }

    /// The head is complete: the message's framing and connection, and
    /// the error llhttp raises once the head was handed out (a
    /// `Transfer-Encoding` whose last coding is not `chunked`).
    pub(super) fn finish(
        self,
        line: RequestLine,
        headers: Vec<(String, String)>,
        at: usize,
    ) -> (RequestHead, Option<ParseError>) {
        let mut refused = None;
        let framing = if self.transfer_encoding {
            if !self.chunked_last {
                refused = Some(err(
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
        // llhttp_should_keep_alive: HTTP/1.1 rules when major and minor
        // are both above zero (close wins); 1.0's otherwise, 0.9 and 2.0
        // included (keep-alive wins, even beside close).
        let keep_alive = if line.version.0 > 0 && line.version.1 > 0 {
            !self.close
        } else {
            self.keep_alive
        };
        let upgrade = line.method == "CONNECT" || (self.upgrade_token && self.upgrade_header);
        let head = RequestHead {
            method: line.method,
            url: line.url,
            version: line.version,
            headers,
            framing,
            keep_alive,
            upgrade,
        };
        (head, refused)
    }

    /// A response's head is complete: its body's framing (llhttp: none
    /// for a HEAD request's response, 1xx, 204 and 304; chunked if the
    /// last coding is; until the end of the stream for another
    /// `Transfer-Encoding` or no framing header), whether the connection
    /// stays open, and whether it is an upgrade (101).
    pub(super) fn finish_response(
        &self,
        status: u16,
        version: (u8, u8),
        head_request: bool,
    ) -> (Framing, bool, bool) {
        // A 101 leaves HTTP only when it says so (`Upgrade` and
        // `Connection: upgrade`: llhttp's `upgrade` flag); otherwise it is
        // an ordinary response without a body.
        let upgrade = status == 101 && self.upgrade_header && self.upgrade_token;
        let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
            Framing::None
        } else if self.transfer_encoding {
            if self.chunked_last {
                Framing::Chunked
            } else {
                Framing::UntilEof
            }
        } else {
            match self.content_length {
                Some(0) => Framing::None,
                Some(n) => Framing::Length(n),
                None => Framing::UntilEof,
            }
        };
        // llhttp judges keep-alive on the headers alone, before Node tells
        // it a HEAD's response has no body: a HEAD answered without a
        // length is not kept alive.
        let keep_alive = framing != Framing::UntilEof
            && if version.0 > 0 && version.1 > 0 {
                !self.close
            } else {
                self.keep_alive
            };
        let framing = if head_request { Framing::None } else { framing };
        (framing, keep_alive, upgrade)
    }
}

//! The request parser: bytes in, heads and bodies out, one message after
//! another on a connection (keep-alive and pipelining), with llhttp's
//! decisions at every step.

use super::body::{BodyDecoder, BodyItem};
use super::head::{self, Framing, FramingRules, RequestHead, RequestLine};
use super::{MAX_HEADER_SIZE, ParseError};

/// What the parser made of the bytes it was given, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A request's head (Node's `'request'`).
    Head(RequestHead),
    /// A piece of the body (Node's `'data'` on the `IncomingMessage`).
    Body(Vec<u8>),
    /// A chunked body's trailers (`req.rawTrailers` as pairs).
    Trailers(Vec<(String, String)>),
    /// The message is complete (Node's `'end'`).
    Complete,
    /// Bytes after an upgrade's or a `CONNECT`'s head: not HTTP (Node's
    /// `'upgrade'`/`'connect'` `head` and what follows).
    Upgraded(Vec<u8>),
}

#[derive(Debug)]
enum State {
    /// Reading a head: the current line, the parts done.
    Head {
        line: Vec<u8>,
        line_at: usize,
        request: Option<RequestLine>,
        headers: Vec<(String, String)>,
        rules: FramingRules,
    },
    Body(BodyDecoder, bool),
    /// The last message did not keep the connection alive.
    Closed,
    Upgraded,
}

impl State {
    fn head() -> State {
        State::Head {
            line: Vec::new(),
            line_at: 0,
            request: None,
            headers: Vec::new(),
            rules: FramingRules::default(),
        }
    }
}

/// Parses the requests of one connection, as Node's server does with
/// llhttp.
///
/// Give it the bytes as they arrive ([`RequestParser::feed`]), and the end
/// of the stream ([`RequestParser::finish`]). The items are the same
/// whatever the split of the input (body pieces aside, which follow the
/// reads). After an error, the parser stays failed: Node answers and
/// closes the connection.
#[derive(Debug)]
pub struct RequestParser {
    state: State,
    position: usize,
    failed: Option<ParseError>,
}

impl Default for RequestParser {
    fn default() -> Self {
        RequestParser::new()
    }
}

impl RequestParser {
    /// A parser at the start of a connection.
    pub fn new() -> RequestParser {
        RequestParser {
            state: State::head(),
            position: 0,
            failed: None,
        }
    }

    /// Parses `input`, the next bytes of the connection, appending what
    /// it makes to `out`. On an error, what came before it is in `out`
    /// (Node emits a request that completed before a parse error).
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<Parsed>) -> Result<(), ParseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.run(input, out);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    /// The connection's end: an error if a message was cut short (llhttp's
    /// `HPE_INVALID_EOF_STATE` from `llhttp_finish`).
    pub fn finish(&mut self) -> Result<(), ParseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let cut = match &self.state {
            State::Head { line, request, .. } => !line.is_empty() || request.is_some(),
            State::Body(..) => true,
            State::Closed | State::Upgraded => false,
        };
        if cut {
            let e = ParseError::new("HPE_INVALID_EOF_STATE", "Invalid EOF state", self.position);
            self.failed = Some(e.clone());
            return Err(e);
        }
        Ok(())
    }

    fn run(&mut self, input: &[u8], out: &mut Vec<Parsed>) -> Result<(), ParseError> {
        let mut i = 0;
        while i < input.len() {
            let at = self.position + i;
            match &mut self.state {
                State::Upgraded => {
                    out.push(Parsed::Upgraded(input[i..].to_vec()));
                    i = input.len();
                }
                State::Closed => {
                    // llhttp passes blank lines between messages.
                    if !matches!(input[i], b'\r' | b'\n') {
                        return Err(ParseError::new(
                            "HPE_CLOSED_CONNECTION",
                            "Data after `Connection: close`",
                            at,
                        ));
                    }
                    i += 1;
                }
                State::Body(decoder, keep_alive) => {
                    let keep_alive = *keep_alive;
                    let mut items = Vec::new();
                    i += decoder.feed(&input[i..], at, &mut items)?;
                    for item in items {
                        match item {
                            BodyItem::Data(d) => out.push(Parsed::Body(d)),
                            BodyItem::Trailers(t) => out.push(Parsed::Trailers(t)),
                            BodyItem::End => {
                                out.push(Parsed::Complete);
                                self.state = after_message(keep_alive);
                            }
                        }
                    }
                }
                State::Head {
                    line,
                    line_at,
                    request,
                    ..
                } => {
                    // llhttp skips blank lines before a request.
                    if line.is_empty() && request.is_none() && matches!(input[i], b'\r' | b'\n') {
                        i += 1;
                        continue;
                    }
                    if line.is_empty() {
                        *line_at = at;
                    }
                    let rest = &input[i..];
                    let take = rest.iter().position(|&b| b == b'\n').map(|p| p + 1);
                    let n = take.unwrap_or(rest.len());
                    line.extend_from_slice(&rest[..n]);
                    i += n;
                    if take.is_some() {
                        self.line_done(out)?;
                    } else {
                        let (line, line_at) = (line.clone(), *line_at);
                        self.partial_line(&line, line_at)?;
                    }
                }
            }
        }
        self.position += input.len();
        Ok(())
    }

    /// Checks what has arrived of an unfinished line.
    fn partial_line(&self, line: &[u8], at: usize) -> Result<(), ParseError> {
        let State::Head { request, rules, .. } = &self.state else {
            return Ok(());
        };
        if request.is_none() {
            head::check_partial_request_line(line, at)?;
        }
        // A line that long overflows once complete; do not wait for it.
        if rules.counted + line.len() >= MAX_HEADER_SIZE + 64 {
            return Err(ParseError::new(
                "HPE_HEADER_OVERFLOW",
                "Header overflow",
                at + line.len(),
            ));
        }
        Ok(())
    }

    /// A complete line of the head.
    fn line_done(&mut self, out: &mut Vec<Parsed>) -> Result<(), ParseError> {
        let State::Head {
            line,
            line_at,
            request,
            headers,
            rules,
        } = &mut self.state
        else {
            return Ok(());
        };
        let text = std::mem::take(line);
        let at = *line_at;
        if request.is_none() {
            let parsed = head::request_line(&text, at)?;
            rules.count(parsed_url_len(&text), at)?;
            *request = Some(parsed);
            return Ok(());
        }
        if text != b"\r\n" {
            let (name, value, raw) = head::header_line(&text, at)?;
            rules.header(&name, &value, raw, at)?;
            headers.push((name, value));
            return Ok(());
        }
        // The blank line: the head is complete.
        let request = request.take().expect("the request line came first");
        let rules = std::mem::take(rules);
        let headers = std::mem::take(headers);
        let head = rules.finish(request, headers, at)?;
        let (framing, keep_alive, upgrade) = (head.framing, head.keep_alive, head.upgrade);
        out.push(Parsed::Head(head));
        self.state = if upgrade {
            // What follows the head is the upgraded protocol's.
            out.push(Parsed::Complete);
            State::Upgraded
        } else {
            match framing {
                Framing::None => {
                    out.push(Parsed::Complete);
                    after_message(keep_alive)
                }
                Framing::Length(n) => State::Body(BodyDecoder::length(n), keep_alive),
                Framing::Chunked => {
                    State::Body(BodyDecoder::chunked(FramingRules::default()), keep_alive)
                }
            }
        };
        Ok(())
    }
}

/// The url's length in a request line (what Node counts of it).
fn parsed_url_len(line: &[u8]) -> usize {
    let mut parts = line.split(|&b| b == b' ').filter(|p| !p.is_empty());
    parts.next();
    parts.next().map_or(0, <[u8]>::len)
}

/// Where a connection goes after a complete message.
fn after_message(keep_alive: bool) -> State {
    if keep_alive {
        State::head()
    } else {
        State::Closed
    }
}

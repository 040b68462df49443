//! The request parser: bytes in, heads and bodies out, one message after
//! another on a connection (keep-alive and pipelining), with llhttp's
//! decisions at every step.

use super::ParseError;
use super::body::{BodyDecoder, BodyItem};
use super::framing::FramingRules;
use super::head::{self, Framing, LinePlace, RequestHead, RequestLine};

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
        // What the last line holds is judged before its end is missed.
        if let State::Head { line, line_at, .. } = &self.state
            && !line.is_empty()
        {
            let (line, line_at) = (line.clone(), *line_at);
            if let Err(e) = self.partial_line(&line, line_at) {
                self.failed = Some(e.clone());
                return Err(e);
            }
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
                    // What came before an error is delivered, as Node's
                    // 'data' events are, before the error.
                    let fed = decoder.feed(&input[i..], at, &mut items);
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
                    i += fed?;
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
                    let take = line_end(line, rest);
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

    /// Checks what has arrived of an unfinished line (the checks are by
    /// position, so when they run does not change what they find).
    fn partial_line(&self, line: &[u8], at: usize) -> Result<(), ParseError> {
        let State::Head {
            request,
            rules,
            headers,
            ..
        } = &self.state
        else {
            return Ok(());
        };
        if request.is_none() {
            head::request_line(line, at)?;
        } else if let Some(e) = rules
            .before_value_in(line, at)
            .or_else(|| head::scan_header_prefix(line, at, place_after(headers), rules.counted))
        {
            return Err(e);
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
            // A whole line (ended by LF, or by CR and another byte) is
            // always decided; were it not, llhttp would still be waiting.
            let Some(parsed) = head::request_line(&text, at)? else {
                *line = text;
                return Ok(());
            };
            rules.count(parsed.url_len(), at)?;
            *request = Some(parsed);
            return Ok(());
        }
        if text != b"\r\n" {
            let place = place_after(headers);
            if let Some(e) = rules
                .before_value_in(&text, at)
                .or_else(|| head::scan_header_prefix(&text, at, place, rules.counted))
            {
                return Err(e);
            }
            let line = head::header_line(&text, at, place)?;
            rules.header(&line.name, &line.value, line.raw_len, at)?;
            if let Some(e) = line.ending {
                return Err(e);
            }
            headers.push((line.name, line.value));
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

/// Where the next header line sits, after `headers`.
fn place_after(headers: &[(String, String)]) -> LinePlace {
    LinePlace {
        first: headers.is_empty(),
        after_empty: headers.last().is_some_and(|(_, v)| v.is_empty()),
    }
}

/// How many bytes of `rest` complete the line begun with `line`: up to
/// its `\n`, or a `\r` and the byte after it when that is not `\n`
/// (llhttp fails there at once, without waiting for a line end).
fn line_end(line: &[u8], rest: &[u8]) -> Option<usize> {
    let mut previous = line.last().copied();
    for (k, &b) in rest.iter().enumerate() {
        if b == b'\n' || previous == Some(b'\r') {
            return Some(k + 1);
        }
        previous = Some(b);
    }
    None
}

/// Where a connection goes after a complete message.
fn after_message(keep_alive: bool) -> State {
    if keep_alive {
        State::head()
    } else {
        State::Closed
    }
}

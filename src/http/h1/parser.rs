//! The message parser both sides share: bytes in, heads and bodies out,
//! one message after another on a connection (keep-alive and pipelining),
//! with llhttp's decisions at every step. What differs between requests
//! and responses (the start line, what the head decides) is a [`Kind`].

use super::ParseError;
use super::body::{BodyDecoder, BodyItem};
use super::framing::FramingRules;
use super::head::{self, Framing, LinePlace, RequestHead};

/// What a parser made of the bytes it was given, in order. `H` is the
/// head: a [`RequestHead`] or a
/// [`ResponseHead`](super::ResponseHead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<H = RequestHead> {
    /// A message's head (Node's `'request'`, or the client's
    /// `'information'` and `'response'`).
    Head(H),
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

/// What a head decided for what follows it.
pub(super) struct Decided<H> {
    pub(super) head: H,
    pub(super) framing: Framing,
    pub(super) keep_alive: bool,
    pub(super) next: Next,
    /// An error llhttp raises only after `on_headers_complete` (Node has
    /// emitted the request by then): the head is given, then the error.
    pub(super) after_head: Option<ParseError>,
    /// Parse nothing after this message (an upgrade the server declined).
    pub(super) stop_after: bool,
}

/// Where a connection's parser is: between messages (llhttp has not seen
/// a message begin; blank lines between messages do not begin one), in a
/// head, or in a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Idle,
    Head,
    Body,
}

/// What comes after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Another message (if the connection is kept alive).
    Message,
    /// The final response after an informational one (1xx): always.
    FinalResponse,
    /// Not HTTP any more (an upgrade, CONNECT).
    Upgrade,
}

/// Requests or responses: what differs between the two sides.
pub(super) trait Kind: std::fmt::Debug {
    /// The parsed start line.
    type Start: std::fmt::Debug;
    /// The head the parser gives.
    type Head;
    /// Checks what has arrived of a start line (`Ok(None)`: valid so
    /// far).
    /// Whether this side parses responses (some of llhttp's rules are a
    /// request's only).
    const RESPONSE: bool;
    /// `limit` is `maxHeaderSize` (a request's url counts against it).
    fn start_line(
        &self,
        line: &[u8],
        at: usize,
        limit: usize,
    ) -> Result<Option<Self::Start>, ParseError>;
    /// What Node counts of the start line against `maxHeaderSize`.
    fn counted(start: &Self::Start) -> usize;
    /// The head is complete: what it decides.
    fn decide(
        &mut self,
        start: Self::Start,
        rules: FramingRules,
        headers: Vec<(String, String)>,
        at: usize,
    ) -> Result<Decided<Self::Head>, ParseError>;
}

#[derive(Debug)]
enum State<S> {
    /// Reading a head: the current line, the parts done.
    Head {
        line: Vec<u8>,
        line_at: usize,
        start: Option<S>,
        headers: Vec<(String, String)>,
        rules: FramingRules,
    },
    Body(BodyDecoder, After),
    /// The last message did not keep the connection alive.
    Closed,
    Upgraded,
}

impl<S> State<S> {
    fn head(rules: FramingRules) -> State<S> {
        State::Head {
            line: Vec::new(),
            line_at: 0,
            start: None,
            headers: Vec::new(),
            rules,
        }
    }
}

/// The shared parser (see [`super::RequestParser`] and
/// [`super::ResponseParser`]).
#[derive(Debug)]
pub(super) struct Parser<K: Kind> {
    kind: K,
    state: State<K::Start>,
    position: usize,
    failed: Option<ParseError>,
    /// `maxHeaderSize`.
    limit: usize,
}

impl<K: Kind> Parser<K> {
    /// Where the connection is between messages or in one.
    pub(super) fn phase(&self) -> Phase {
        match &self.state {
            State::Head { line, start, .. } if line.is_empty() && start.is_none() => Phase::Idle,
            State::Head { .. } => Phase::Head,
            State::Body(..) => Phase::Body,
            State::Closed | State::Upgraded => Phase::Idle,
        }
    }

    /// The side's own settings.
    pub(super) fn kind_mut(&mut self) -> &mut K {
        &mut self.kind
    }

    /// A parser at the start of a connection.
    pub(super) fn new(kind: K) -> Parser<K> {
        Parser {
            kind,
            state: State::head(FramingRules::new(super::MAX_HEADER_SIZE, K::RESPONSE)),
            position: 0,
            failed: None,
            limit: super::MAX_HEADER_SIZE,
        }
    }

    /// The rules a new head starts with.
    fn rules(&self) -> FramingRules {
        FramingRules::new(self.limit, K::RESPONSE)
    }

    /// What follows a message, as it decided.
    fn after_message(&self, after: After) -> State<K::Start> {
        match after {
            After::Next => State::head(self.rules()),
            After::Closed => State::Closed,
            After::Stopped => State::Upgraded,
        }
    }

    /// `maxHeaderSize` from now on (0: Node's default, 16 KiB).
    pub(super) fn set_limit(&mut self, limit: usize) {
        self.limit = if limit == 0 {
            super::MAX_HEADER_SIZE
        } else {
            limit
        };
        if let State::Head { rules, .. } = &mut self.state {
            rules.limit = self.limit;
        }
    }

    /// Parses `input`, the next bytes of the connection, appending what
    /// it makes to `out`. On an error, what came before it is in `out`
    /// (Node emits a request that completed before a parse error).
    pub(super) fn feed(
        &mut self,
        input: &[u8],
        out: &mut Vec<Parsed<K::Head>>,
    ) -> Result<(), ParseError> {
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
    ///
    /// After an error it has nothing more to say: `llhttp_finish` returns
    /// 0 on a parser in error (Node's server then just ends its side).
    pub(super) fn finish(&mut self, out: &mut Vec<Parsed<K::Head>>) -> Result<(), ParseError> {
        if self.failed.is_some() {
            return Ok(());
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
        // A body read until the end of the stream ends here.
        if let State::Body(BodyDecoder::UntilEof, _) = self.state {
            out.push(Parsed::Complete);
            self.state = State::Closed;
            return Ok(());
        }
        let cut = match &self.state {
            State::Head { line, start, .. } => !line.is_empty() || start.is_some(),
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

    fn run(&mut self, input: &[u8], out: &mut Vec<Parsed<K::Head>>) -> Result<(), ParseError> {
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
                                self.state = self.after_message(keep_alive);
                            }
                        }
                    }
                    i += fed?;
                }
                State::Head {
                    line,
                    line_at,
                    start,
                    ..
                } => {
                    // llhttp skips blank lines before a message.
                    if line.is_empty() && start.is_none() && matches!(input[i], b'\r' | b'\n') {
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
            start,
            rules,
            headers,
            ..
        } = &self.state
        else {
            return Ok(());
        };
        if start.is_none() {
            self.kind.start_line(line, at, rules.limit)?;
        } else if let Some(e) = rules.before_value_in(line, at).or_else(|| {
            head::scan_header_prefix(line, at, place_after(headers), rules.counted, rules.limit)
        }) {
            return Err(e);
        }
        Ok(())
    }

    /// A complete line of the head.
    fn line_done(&mut self, out: &mut Vec<Parsed<K::Head>>) -> Result<(), ParseError> {
        let fresh = self.rules();
        let State::Head {
            line,
            line_at,
            start,
            headers,
            rules,
        } = &mut self.state
        else {
            return Ok(());
        };
        let text = std::mem::take(line);
        let at = *line_at;
        if start.is_none() {
            // A whole line (ended by LF, or by CR and another byte) is
            // always decided; were it not, llhttp would still be waiting.
            let Some(parsed) = self.kind.start_line(&text, at, rules.limit)? else {
                *line = text;
                return Ok(());
            };
            rules.count(K::counted(&parsed), at)?;
            *start = Some(parsed);
            return Ok(());
        }
        if text != b"\r\n" {
            let place = place_after(headers);
            if let Some(e) = rules
                .before_value_in(&text, at)
                .or_else(|| head::scan_header_prefix(&text, at, place, rules.counted, rules.limit))
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
        let start = start.take().expect("the start line came first");
        let rules = std::mem::replace(rules, fresh);
        let headers = std::mem::take(headers);
        let decided = self.kind.decide(start, rules, headers, at)?;
        out.push(Parsed::Head(decided.head));
        if let Some(e) = decided.after_head {
            return Err(e);
        }
        let after = if decided.stop_after {
            After::Stopped
        } else if decided.keep_alive {
            After::Next
        } else {
            After::Closed
        };
        self.state = match (decided.next, decided.framing) {
            (Next::Upgrade, _) => {
                // What follows the head is the upgraded protocol's.
                out.push(Parsed::Complete);
                State::Upgraded
            }
            (Next::FinalResponse, _) => {
                out.push(Parsed::Complete);
                State::head(self.rules())
            }
            (Next::Message, Framing::None) => {
                out.push(Parsed::Complete);
                self.after_message(after)
            }
            (Next::Message, Framing::Length(n)) => State::Body(BodyDecoder::length(n), after),
            (Next::Message, Framing::Chunked) => {
                State::Body(BodyDecoder::chunked(self.rules()), after)
            }
            (Next::Message, Framing::UntilEof) => {
                let after = if after == After::Stopped {
                    after
                } else {
                    After::Closed
                };
                State::Body(BodyDecoder::until_eof(), after)
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
/// What the connection does once a message is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// Another message may follow (keep-alive).
    Next,
    /// Nothing may follow (`Connection: close`): more is an error.
    Closed,
    /// Nothing more is parsed, silently: an upgrade request the server
    /// did not take (llhttp pauses after it, and Node leaves it paused).
    Stopped,
}

//! Requests: the request line and what a request's head decides, on the
//! shared [`Parser`](super::parser::Parser).

use super::ParseError;
use super::framing::FramingRules;
use super::head::{self, RequestLine};
use super::parser::{Decided, Kind, Next, Parser, Phase};
use super::{Parsed, RequestHead};

/// The requests side.
#[derive(Debug)]
pub(super) struct Requests {
    /// Whether an `Upgrade` request leaves HTTP (Node: only when the
    /// server has an `'upgrade'` listener; a `CONNECT` always does).
    upgrades: bool,
}

impl Kind for Requests {
    const RESPONSE: bool = false;

    type Start = RequestLine;
    type Head = RequestHead;

    fn start_line(
        &self,
        line: &[u8],
        at: usize,
        limit: usize,
    ) -> Result<Option<RequestLine>, ParseError> {
        head::request_line(line, at, limit)
    }

    fn counted(start: &RequestLine) -> usize {
        start.url_len()
    }

    fn decide(
        &mut self,
        start: RequestLine,
        rules: FramingRules,
        headers: Vec<(String, String)>,
        at: usize,
    ) -> Result<Decided<RequestHead>, ParseError> {
        let (head, refused) = rules.finish(start, headers, at);
        let upgrade = head.method == "CONNECT" || (head.upgrade && self.upgrades);
        Ok(Decided {
            framing: head.framing,
            keep_alive: head.keep_alive,
            next: if upgrade {
                Next::Upgrade
            } else {
                Next::Message
            },
            // llhttp checks the Transfer-Encoding after on_headers_complete,
            // and not at all for a connection that leaves HTTP.
            after_head: refused.filter(|_| !upgrade),
            // Node's server declined the upgrade (no 'upgrade' listener):
            // the request is served, and llhttp, paused after it, parses
            // nothing more on the connection.
            stop_after: head.upgrade && !upgrade,
            head,
        })
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
pub struct RequestParser(Parser<Requests>);

impl Default for RequestParser {
    fn default() -> Self {
        RequestParser::new()
    }
}

impl RequestParser {
    /// A parser at the start of a connection.
    pub fn new() -> RequestParser {
        RequestParser(Parser::new(Requests { upgrades: true }))
    }

    /// Parses `input`, the next bytes of the connection, appending what
    /// it makes to `out`. On an error, what came before it is in `out`
    /// (Node emits a request that completed before a parse error).
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<Parsed>) -> Result<(), ParseError> {
        self.0.feed(input, out)
    }

    /// Whether a request asking to upgrade (`Connection: upgrade` and
    /// `Upgrade`) ends HTTP on the connection, from the next head on
    /// (true by default). Node's server decides it per request: only with
    /// an `'upgrade'` listener; otherwise the request is an ordinary one,
    /// body and all. A `CONNECT` always ends HTTP.
    pub fn set_upgrades(&mut self, upgrades: bool) {
        self.0.kind_mut().upgrades = upgrades;
    }

    /// `maxHeaderSize`: the limit on the url, header names and values
    /// together (0: Node's default, [`MAX_HEADER_SIZE`](super::MAX_HEADER_SIZE)).
    pub fn set_max_header_size(&mut self, limit: usize) {
        self.0.set_limit(limit);
    }

    /// Where the connection is now: between requests, in a head, in a
    /// body (Node's `last_message_start_` and `headers_completed_`).
    pub fn phase(&self) -> Phase {
        self.0.phase()
    }

    /// The connection's end: an error if a message was cut short (llhttp's
    /// `HPE_INVALID_EOF_STATE` from `llhttp_finish`).
    pub fn finish(&mut self) -> Result<(), ParseError> {
        // A request's body never runs to the end of the stream.
        self.0.finish(&mut Vec::new())
    }
}

//! HTTP/1.x as Node parses it, on bytes alone: no sockets, no tasks.
//!
//! Node parses with llhttp (strict mode, unless `insecureHTTPParser`).
//! Heads are tokenised here by httparse; where httparse and llhttp decide
//! differently (httparse takes a bare LF as a line end, knows only
//! HTTP/1.0 and 1.1, and has no opinion on framing headers), the checks
//! in this module make the decision llhttp makes, with llhttp's error
//! code (`HPE_*`, Node's `err.code` on `'clientError'`) and reason (Node's
//! `err.reason`). The facts behind each rule were read from live Node 20
//! (`fixtures/http/llhttp-facts.jsonl`, made by
//! `scripts/h1-facts.js`), and the tests hold the parser to them.
//!
//! - [`RequestParser`]: bytes in, [`Parsed`] items out (a head, body
//!   pieces, trailers, the end of each message), pipelined messages one
//!   after the other, at any split of the input.
//! - [`ResponseParser`]: the client's side: informational heads (1xx),
//!   the final head, its body (`Content-Length`, chunked, or until the
//!   connection ends; none after HEAD, 204, 304), with the same header
//!   rules and error codes.
//! - [`OutgoingMessage`]: a response's or a request's `setHeader`,
//!   `writeHead`, `write`, `end`, `addTrailers` in, the bytes Node writes
//!   out (its head rules: `Date`, `Connection`, `Keep-Alive`,
//!   `Content-Length` or chunked).

mod body;
mod framing;
mod head;
mod outgoing;
mod parser;
mod request;
mod response;
#[cfg(test)]
mod tests;

pub use head::{Framing, METHODS, RequestHead};
pub use outgoing::{
    HeaderValue, OutgoingError, OutgoingMessage, STATUS_CODES, status_text, validate_header,
};
pub use parser::{Parsed, Phase};
pub use request::RequestParser;
pub use response::{ResponseHead, ResponseParser};

/// Node's default `maxHeaderSize` (`--max-http-header-size`): 16 KiB.
pub const MAX_HEADER_SIZE: usize = 16 * 1024;

/// A parse error as Node reports it on `'clientError'`: `err.code` (an
/// llhttp `HPE_*` code) and `err.reason` (llhttp's text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// llhttp's error code, e.g. `HPE_INVALID_METHOD`.
    pub code: &'static str,
    /// llhttp's reason, e.g. `Invalid method encountered`.
    pub reason: &'static str,
    /// Where in the stream (bytes from the parser's start) the error was
    /// found. Node's `bytesParsed` counts from the start of the chunk the
    /// error is in; which byte llhttp blames is not always this one.
    pub position: usize,
}

impl ParseError {
    pub(crate) fn new(code: &'static str, reason: &'static str, position: usize) -> ParseError {
        ParseError {
            code,
            reason,
            position,
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Node's message: "Parse Error: " + reason.
        write!(f, "Parse Error: {}", self.reason)
    }
}

impl std::error::Error for ParseError {}

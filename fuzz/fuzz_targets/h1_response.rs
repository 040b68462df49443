//! The HTTP/1 response parser on arbitrary bytes: no panic, and the same
//! result whether the bytes come at once or in pieces.
//!
//! The first byte picks the request's method (odd: HEAD, whose response
//! has no body) and the piece size (its upper 7 bits: 1 to 127, or 0 for
//! one piece); the rest is what the server sent.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common/joined.rs"]
mod common;
use common::joined;

use nodecompat::http::h1::{Parsed, ResponseHead, ResponseParser};

type Outcome = (
    Vec<Parsed<ResponseHead>>,
    Option<(&'static str, &'static str)>,
);

fn outcome<'a>(method: &str, pieces: impl Iterator<Item = &'a [u8]>) -> Outcome {
    let mut parser = ResponseParser::new(method);
    let mut items = Vec::new();
    let mut error = None;
    for piece in pieces {
        if let Err(e) = parser.feed(piece, &mut items) {
            error = Some((e.code, e.reason));
            break;
        }
    }
    if error.is_none() {
        error = parser.finish(&mut items).err().map(|e| (e.code, e.reason));
    }
    (joined(items), error)
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let method = if first & 1 == 1 { "HEAD" } else { "GET" };
    let size = usize::from(first >> 1);
    let whole = outcome(method, std::iter::once(bytes));
    if size > 0 {
        let pieces = outcome(method, bytes.chunks(size));
        assert_eq!(whole, pieces, "{method}, split into pieces of {size}");
    }
});

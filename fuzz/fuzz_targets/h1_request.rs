//! The HTTP/1 request parser on arbitrary bytes: no panic, and the same
//! result whether the bytes come at once or in pieces.
//!
//! The first byte of the input picks the piece size (1 to 255 bytes, and
//! 0 means one piece); the rest is the connection's bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common/joined.rs"]
mod common;
use common::joined;

use nodecompat::http::h1::{Parsed, RequestParser};

/// What a parser made of the pieces: the items with body pieces joined,
/// and its error (code, reason).
fn outcome<'a>(
    pieces: impl Iterator<Item = &'a [u8]>,
) -> (Vec<Parsed>, Option<(&'static str, &'static str)>) {
    let mut parser = RequestParser::new();
    let mut items = Vec::new();
    let mut error = None;
    for piece in pieces {
        if let Err(e) = parser.feed(piece, &mut items) {
            error = Some((e.code, e.reason));
            break;
        }
    }
    if error.is_none() {
        error = parser.finish().err().map(|e| (e.code, e.reason));
    }
    (joined(items), error)
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, bytes)) = data.split_first() else {
        return;
    };
    let whole = outcome(std::iter::once(bytes));
    if size > 0 {
        let pieces = outcome(bytes.chunks(usize::from(size)));
        assert_eq!(whole, pieces, "split into pieces of {size}");
    }
});

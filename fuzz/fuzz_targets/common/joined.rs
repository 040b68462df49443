//! What both HTTP/1 targets compare: a parser's items with adjacent body
//! (and upgraded) pieces joined, since how the bytes were cut decides
//! only how those pieces are split.

use nodecompat::http::h1::Parsed;

/// `items` with adjacent `Body` and `Upgraded` pieces joined.
pub fn joined<H>(items: Vec<Parsed<H>>) -> Vec<Parsed<H>> {
    let mut out: Vec<Parsed<H>> = Vec::new();
    for item in items {
        match (out.last_mut(), item) {
            (Some(Parsed::Body(a)), Parsed::Body(b)) => a.extend(b),
            (Some(Parsed::Upgraded(a)), Parsed::Upgraded(b)) => a.extend(b),
            (_, item) => out.push(item),
        }
    }
    out
}

//! Body framing, byte by byte: `Content-Length` and `chunked` (sizes,
//! extensions, data, trailers), with llhttp's strict-mode errors.

use super::ParseError;
use super::framing::FramingRules;
use super::head::{LinePlace, header_line, scan_header_prefix};

/// What a body yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum BodyItem {
    Data(Vec<u8>),
    Trailers(Vec<(String, String)>),
    End,
}

#[derive(Debug)]
pub(super) enum Chunked {
    /// Hex digits of a chunk size; `digits` read so far.
    Size {
        size: u64,
        digits: usize,
    },
    ExtName {
        size: u64,
        empty: bool,
    },
    ExtValue {
        size: u64,
        empty: bool,
    },
    Quoted {
        size: u64,
    },
    QuotedEscape {
        size: u64,
    },
    AfterQuoted {
        size: u64,
    },
    SizeLf {
        size: u64,
    },
    /// The LF after an extension's CR.
    ExtLf {
        size: u64,
    },
    Data {
        left: u64,
    },
    DataCr,
    DataLf,
    /// Trailer lines after the last chunk; the line being read.
    Trailers {
        line: Vec<u8>,
        trailers: Vec<(String, String)>,
    },
}

/// A body being read.
#[derive(Debug)]
pub(super) enum BodyDecoder {
    Length(u64),
    /// Everything until the end of the stream.
    UntilEof,
    Chunked(Chunked, FramingRules),
}

/// After a chunk size's line: the data, or the trailers after the last.
fn after_size(size: u64) -> Chunked {
    if size == 0 {
        Chunked::Trailers {
            line: Vec::new(),
            trailers: Vec::new(),
        }
    } else {
        Chunked::Data { left: size }
    }
}

fn strict(reason: &'static str, at: usize) -> ParseError {
    ParseError::new("HPE_STRICT", reason, at)
}

/// RFC 9110 `tchar`: what a chunk extension's name or plain value may hold.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

impl BodyDecoder {
    pub(super) fn length(n: u64) -> BodyDecoder {
        BodyDecoder::Length(n)
    }

    pub(super) fn until_eof() -> BodyDecoder {
        BodyDecoder::UntilEof
    }

    /// A chunked body; `rules` carries the head's header count (trailers
    /// count against `maxHeaderSize` too).
    pub(super) fn chunked(rules: FramingRules) -> BodyDecoder {
        BodyDecoder::Chunked(Chunked::Size { size: 0, digits: 0 }, rules)
    }

    /// Reads what it can of `input` (at stream position `at`): how many
    /// bytes it took, and what they made. Stops after the body's end.
    pub(super) fn feed(
        &mut self,
        input: &[u8],
        at: usize,
        out: &mut Vec<BodyItem>,
    ) -> Result<usize, ParseError> {
        match self {
            BodyDecoder::Length(left) => {
                let n = (*left).min(input.len() as u64) as usize;
                if n > 0 {
                    out.push(BodyItem::Data(input[..n].to_vec()));
                }
                *left -= n as u64;
                if *left == 0 {
                    out.push(BodyItem::End);
                }
                Ok(n)
            }
            BodyDecoder::UntilEof => {
                if !input.is_empty() {
                    out.push(BodyItem::Data(input.to_vec()));
                }
                Ok(input.len())
            }
            BodyDecoder::Chunked(state, rules) => chunked(state, rules, input, at, out),
        }
    }
}

fn chunked(
    state: &mut Chunked,
    rules: &mut FramingRules,
    input: &[u8],
    at: usize,
    out: &mut Vec<BodyItem>,
) -> Result<usize, ParseError> {
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        let pos = at + i;
        *state = match std::mem::replace(state, Chunked::DataCr) {
            Chunked::Size { size, digits } => match (b as char).to_digit(16) {
                Some(d) => {
                    let size = size
                        .checked_mul(16)
                        .and_then(|s| s.checked_add(u64::from(d)))
                        .ok_or_else(|| {
                            ParseError::new("HPE_INVALID_CHUNK_SIZE", "Chunk size overflow", pos)
                        })?;
                    Chunked::Size {
                        size,
                        digits: digits + 1,
                    }
                }
                None if digits > 0 && b == b';' => Chunked::ExtName { size, empty: true },
                None if digits > 0 && b == b'\r' => Chunked::SizeLf { size },
                None if digits > 0 && b == b'\n' => {
                    return Err(ParseError::new(
                        "HPE_CR_EXPECTED",
                        "Missing expected CR after chunk size",
                        pos,
                    ));
                }
                None => {
                    return Err(ParseError::new(
                        "HPE_INVALID_CHUNK_SIZE",
                        "Invalid character in chunk size",
                        pos,
                    ));
                }
            },
            // An extension's name; `empty` right after its `;`. llhttp lets
            // empty names pass (";;a", ";=b"), and words a blank there
            // differently from a bad byte later in the name.
            Chunked::ExtName { size, empty } => match b {
                b'=' => Chunked::ExtValue { size, empty: true },
                b';' => Chunked::ExtName { size, empty: true },
                b'\r' => Chunked::ExtLf { size },
                b'\n' => {
                    return Err(ParseError::new(
                        "HPE_CR_EXPECTED",
                        "Missing expected CR after chunk extension name",
                        pos,
                    ));
                }
                b if is_token(b) => Chunked::ExtName { size, empty: false },
                b' ' | b'\t' if empty => {
                    return Err(strict("Invalid character in chunk extensions", pos));
                }
                _ => return Err(strict("Invalid character in chunk extensions name", pos)),
            },
            Chunked::ExtValue { size, empty } => match b {
                b'"' if empty => Chunked::Quoted { size },
                b';' if !empty => Chunked::ExtName { size, empty: true },
                b'\r' => Chunked::ExtLf { size },
                b if is_token(b) => Chunked::ExtValue { size, empty: false },
                _ => return Err(strict("Invalid character in chunk extensions value", pos)),
            },
            Chunked::Quoted { size } => match b {
                b'"' => Chunked::AfterQuoted { size },
                b'\\' => Chunked::QuotedEscape { size },
                b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff => {
                    Chunked::Quoted { size }
                }
                _ => {
                    return Err(strict(
                        "Invalid character in chunk extensions quoted value",
                        pos,
                    ));
                }
            },
            Chunked::QuotedEscape { size } => match b {
                b'\t' | 0x20..=0x7e | 0x80..=0xff => Chunked::Quoted { size },
                _ => {
                    return Err(strict(
                        "Invalid character in chunk extensions quoted value",
                        pos,
                    ));
                }
            },
            Chunked::AfterQuoted { size } => match b {
                b';' => Chunked::ExtName { size, empty: true },
                b'\r' => Chunked::ExtLf { size },
                // (sic: llhttp's text says "quote value" here)
                _ => {
                    return Err(strict(
                        "Invalid character in chunk extensions quote value",
                        pos,
                    ));
                }
            },
            Chunked::ExtLf { size } => match b {
                b'\n' => after_size(size),
                _ => return Err(strict("Invalid character in chunk extensions", pos)),
            },
            Chunked::SizeLf { size } => match b {
                b'\n' => after_size(size),
                _ => return Err(strict("Expected LF after chunk size", pos)),
            },
            Chunked::Data { left } => {
                let n = left.min((input.len() - i) as u64) as usize;
                out.push(BodyItem::Data(input[i..i + n].to_vec()));
                i += n;
                *state = if left == n as u64 {
                    Chunked::DataCr
                } else {
                    Chunked::Data {
                        left: left - n as u64,
                    }
                };
                continue;
            }
            Chunked::DataCr => match b {
                b'\r' => Chunked::DataLf,
                b'\n' => {
                    return Err(ParseError::new(
                        "HPE_CR_EXPECTED",
                        "Missing expected CR after chunk data",
                        pos,
                    ));
                }
                _ => return Err(strict("Expected LF after chunk data", pos)),
            },
            Chunked::DataLf => match b {
                b'\n' => Chunked::Size { size: 0, digits: 0 },
                _ => return Err(strict("Expected LF after chunk data", pos)),
            },
            Chunked::Trailers {
                mut line,
                mut trailers,
            } => {
                let ends = b == b'\n' || line.last() == Some(&b'\r');
                line.push(b);
                let line_at = pos + 1 - line.len();
                let place = LinePlace {
                    first: false,
                    after_empty: trailers.last().is_some_and(|(_, v)| v.is_empty()),
                };
                if !ends {
                    // Checked now and then while it grows (by position: the
                    // same error whenever it is found).
                    if line.len() % 1024 == 0
                        && let Some(e) =
                            scan_header_prefix(&line, line_at, place, rules.counted, rules.limit)
                    {
                        return Err(e);
                    }
                    Chunked::Trailers { line, trailers }
                } else if line == b"\r\n" {
                    out.push(BodyItem::Trailers(trailers));
                    out.push(BodyItem::End);
                    return Ok(i + 1);
                } else {
                    if let Some(e) =
                        scan_header_prefix(&line, line_at, place, rules.counted, rules.limit)
                    {
                        return Err(e);
                    }
                    let parsed = header_line(&line, line_at, place)?;
                    rules.count(parsed.name.len() + parsed.raw_len, line_at)?;
                    if let Some(e) = parsed.ending {
                        return Err(e);
                    }
                    trailers.push((parsed.name, parsed.value));
                    Chunked::Trailers {
                        line: Vec::new(),
                        trailers,
                    }
                }
            }
        };
        i += 1;
    }
    Ok(i)
}

//! Node's `Buffer` encodings and its `StringDecoder`: `setEncoding()` turns
//! received bytes into strings without splitting a character.

use base64::Engine as _;

/// A character encoding accepted by `setEncoding` and `write`.
///
/// See <https://nodejs.org/api/buffer.html#buffers-and-character-encodings>.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Latin1,
    Ascii,
    Hex,
    Base64,
}

impl Encoding {
    /// Parses a Node encoding name (case-insensitive, with Node's aliases).
    pub fn from_name(name: &str) -> Option<Encoding> {
        Some(match name.to_ascii_lowercase().as_str() {
            "utf8" | "utf-8" => Encoding::Utf8,
            "latin1" | "binary" => Encoding::Latin1,
            "ascii" => Encoding::Ascii,
            "hex" => Encoding::Hex,
            "base64" => Encoding::Base64,
            _ => return None,
        })
    }

    /// Node's canonical name, as `readableEncoding` reports it
    /// (StringDecoder normalizes `"utf-8"` to `"utf8"`, `"binary"` to
    /// `"latin1"`).
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf8",
            Encoding::Latin1 => "latin1",
            Encoding::Ascii => "ascii",
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
        }
    }

    /// Encodes a string into bytes, as `Buffer.from(string, encoding)`.
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Latin1 | Encoding::Ascii => text.chars().map(|c| c as u32 as u8).collect(),
            Encoding::Hex => {
                let digits: Vec<u8> = text
                    .as_bytes()
                    .chunks(2)
                    .map_while(|p| std::str::from_utf8(p).ok()?.parse::<HexByte>().ok())
                    .map(|h| h.0)
                    .collect();
                digits
            }
            Encoding::Base64 => base64::engine::general_purpose::STANDARD
                .decode(text.trim_end_matches('='))
                .or_else(|_| {
                    base64::engine::general_purpose::STANDARD_NO_PAD
                        .decode(text.trim_end_matches('='))
                })
                .unwrap_or_default(),
        }
    }
}

struct HexByte(u8);
impl std::str::FromStr for HexByte {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        if s.len() != 2 {
            return Err(());
        }
        u8::from_str_radix(s, 16).map(HexByte).map_err(|_| ())
    }
}

/// Decodes a byte stream chunk by chunk, carrying an incomplete character
/// (or base64 group) over to the next chunk.
#[derive(Debug)]
pub struct Decoder {
    encoding: Encoding,
    carry: Vec<u8>,
}

impl Decoder {
    /// A decoder for `encoding`.
    pub fn new(encoding: Encoding) -> Decoder {
        Decoder {
            encoding,
            carry: Vec::new(),
        }
    }

    /// Decodes the next chunk; may return an empty string.
    pub fn write(&mut self, bytes: &[u8]) -> String {
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(bytes);
        match self.encoding {
            Encoding::Utf8 => {
                let keep = incomplete_utf8_tail(&buf);
                self.carry = buf.split_off(buf.len() - keep);
                String::from_utf8_lossy(&buf).into_owned()
            }
            Encoding::Base64 => {
                let keep = buf.len() % 3;
                self.carry = buf.split_off(buf.len() - keep);
                base64::engine::general_purpose::STANDARD.encode(&buf)
            }
            Encoding::Latin1 => buf.iter().map(|&b| b as char).collect(),
            Encoding::Ascii => buf.iter().map(|&b| (b & 0x7f) as char).collect(),
            Encoding::Hex => buf.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// Flushes what is left at end of stream (an incomplete UTF-8 sequence
    /// becomes U+FFFD, as in Node).
    pub fn end(&mut self) -> String {
        let rest = std::mem::take(&mut self.carry);
        match self.encoding {
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(&rest),
            _ if rest.is_empty() => String::new(),
            _ => String::from_utf8_lossy(&rest).into_owned(),
        }
    }
}

/// How many bytes at the end of `buf` start a UTF-8 sequence that is not
/// complete yet.
fn incomplete_utf8_tail(buf: &[u8]) -> usize {
    for back in 1..=buf.len().min(3) {
        let b = buf[buf.len() - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back
        }
        let need = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return 0,
        };
        return if need > back { back } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn split_euro_sign_decodes_whole() {
        let euro = "€".as_bytes();
        let mut d = Decoder::new(Encoding::Utf8);
        assert_eq!(d.write(&euro[..1]), "");
        assert_eq!(d.write(&euro[1..2]), "");
        assert_eq!(d.write(&euro[2..]), "€");
        assert_eq!(d.end(), "");
    }

    #[test]
    fn truncated_character_ends_as_replacement() {
        let mut d = Decoder::new(Encoding::Utf8);
        assert_eq!(d.write(&"€".as_bytes()[..2]), "");
        assert_eq!(d.end(), "\u{fffd}");
    }

    proptest! {
        #[test]
        fn any_split_of_utf8_decodes_the_same(s in "\\PC{0,40}", cut in 0usize..200) {
            let bytes = s.as_bytes();
            let cut = cut.min(bytes.len());
            let mut d = Decoder::new(Encoding::Utf8);
            let mut out = d.write(&bytes[..cut]);
            out += &d.write(&bytes[cut..]);
            out += &d.end();
            prop_assert_eq!(out, s);
        }
    }
}

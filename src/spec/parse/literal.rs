//! Literals that are values in both scripts and patterns: strings (with
//! `.repeat(n)`), numbers, keywords and the `Buffer` constructors, computed
//! here so drivers only ever see values; and the folding of literal-only
//! objects and arrays into values.

use base64::Engine as _;

use super::{MAX_DATA, ParseError, Parser};
use crate::protocol::Value;
use crate::spec::ast::Ast;
use crate::spec::lexer::Tok;

impl Parser<'_> {
    /// Literals that are values in both scripts and patterns: strings (with
    /// `.repeat(n)`), numbers, keywords and the `Buffer` constructors.
    pub(super) fn data_literal(&mut self) -> Result<Option<Value>, ParseError> {
        let v = match self.peek() {
            Some(Tok::Str(s)) => {
                self.i += 1;
                if self.at_punct(".")
                    && matches!(self.peek_at(1), Some(Tok::Ident(m)) if m == "repeat")
                {
                    self.i += 2;
                    let col = self.col();
                    let n = self.count_args(1)?[0];
                    if s.len().saturating_mul(n) > MAX_DATA {
                        return Err((
                            col,
                            format!("`.repeat({n})` makes more than {MAX_DATA} bytes"),
                        ));
                    }
                    self.spend(s.len() * n, col)?;
                    Value::String(s.repeat(n))
                } else {
                    Value::String(s.clone())
                }
            }
            Some(Tok::Number(n)) => {
                self.i += 1;
                Value::Number(*n)
            }
            Some(Tok::Punct("-"))
                if matches!(self.peek_at(1), Some(Tok::Number(_)) | Some(Tok::Ident(_))) =>
            {
                let col = self.col();
                self.i += 1;
                match self.data_literal()? {
                    Some(Value::Number(n)) => Value::Number(-n),
                    _ => return Err((col, "`-` must precede a number".into())),
                }
            }
            Some(Tok::Ident(s)) => {
                let v = match s.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    "undefined" => Value::Undefined,
                    "NaN" => Value::Number(f64::NAN),
                    "Infinity" => Value::Number(f64::INFINITY),
                    "Buffer" if self.peek_at(1) == Some(&Tok::Punct(".")) => {
                        self.i += 1;
                        return self.buffer().map(Some);
                    }
                    _ => return Ok(None),
                };
                self.i += 1;
                v
            }
            _ => return Ok(None),
        };
        Ok(Some(v))
    }

    /// `Buffer.from(string[, encoding])`, `Buffer.from([bytes])`,
    /// `Buffer.alloc(n[, fill])`; the `Buffer` token is consumed.
    fn buffer(&mut self) -> Result<Value, ParseError> {
        self.expect_punct(".")?;
        let col = self.col();
        let f = self.ident("`from` or `alloc`")?;
        self.expect_punct("(")?;
        let bytes = match f.as_str() {
            "from" => {
                let arg_col = self.col();
                match self.next() {
                    Some(Tok::Str(s)) => {
                        let s = s.clone();
                        let enc = if self.eat_punct(",") {
                            match self.next() {
                                Some(Tok::Str(e)) => e.clone(),
                                _ => {
                                    self.i -= 1;
                                    return self.error("an encoding string");
                                }
                            }
                        } else {
                            "utf8".into()
                        };
                        decode(&s, &enc).map_err(|m| (arg_col, m))?
                    }
                    Some(Tok::Punct("[")) => {
                        let mut bytes = Vec::new();
                        while !self.eat_punct("]") {
                            match self.next() {
                                Some(Tok::Number(n))
                                    if (0.0..256.0).contains(n) && n.fract() == 0.0 =>
                                {
                                    bytes.push(*n as u8)
                                }
                                _ => {
                                    self.i -= 1;
                                    return self.error("a byte (0 to 255)");
                                }
                            }
                            if !self.eat_punct(",") && !self.at_punct("]") {
                                return self.error("`,` or `]`");
                            }
                        }
                        bytes
                    }
                    _ => {
                        self.i -= 1;
                        return self.error("a string or an array of bytes");
                    }
                }
            }
            "alloc" => {
                let n = match self.next() {
                    Some(Tok::Number(n))
                        if *n >= 0.0 && n.fract() == 0.0 && *n <= MAX_DATA as f64 =>
                    {
                        *n as usize
                    }
                    _ => {
                        self.i -= 1;
                        return self.error("a length (at most 64 MiB)");
                    }
                };
                self.spend(n, col)?;
                let fill = if self.eat_punct(",") {
                    match self.next() {
                        Some(Tok::Str(s)) if !s.is_empty() => s.as_bytes().to_vec(),
                        Some(Tok::Number(b)) if (0.0..256.0).contains(b) => vec![*b as u8],
                        _ => {
                            self.i -= 1;
                            return self.error("a fill string or byte");
                        }
                    }
                } else {
                    vec![0]
                };
                // `repeat` copies in doubling blocks; a byte-by-byte cycle
                // took seconds for the largest allowed buffers when fuzzing.
                let mut bytes = fill.repeat(n.div_ceil(fill.len()));
                bytes.truncate(n);
                bytes
            }
            other => {
                return Err((
                    col,
                    format!(
                        "`Buffer.{other}` is not supported; use `Buffer.from` or `Buffer.alloc`"
                    ),
                ));
            }
        };
        self.expect_punct(")")?;
        Ok(Value::Buffer(bytes))
    }

    pub(super) fn count_args(&mut self, n: usize) -> Result<Vec<usize>, ParseError> {
        self.expect_punct("(")?;
        let mut out = Vec::new();
        for k in 0..n {
            if k > 0 {
                self.expect_punct(",")?;
            }
            match self.next() {
                Some(Tok::Number(v)) if *v >= 0.0 && v.fract() == 0.0 => out.push(*v as usize),
                _ => {
                    self.i -= 1;
                    return self.error("a count");
                }
            }
        }
        self.expect_punct(")")?;
        Ok(out)
    }
}

fn decode(s: &str, encoding: &str) -> Result<Vec<u8>, String> {
    match encoding {
        "utf8" | "utf-8" => Ok(s.as_bytes().to_vec()),
        "latin1" | "binary" => Ok(s.chars().map(|c| c as u32 as u8).collect()),
        "hex" => {
            if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("{s:?} is not an even-length hex string"));
            }
            Ok((0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
                .collect())
        }
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| format!("bad base64: {e}")),
        other => Err(format!(
            "unsupported encoding {other:?}: use utf8, latin1, hex or base64"
        )),
    }
}

/// An object literal whose members are all literals is itself a literal.
pub(super) fn fold_object(members: Vec<(String, Ast)>) -> Ast {
    if members.iter().all(|(_, a)| matches!(a, Ast::Lit(_))) {
        Ast::Lit(Value::Object(
            members
                .into_iter()
                .map(|(k, a)| match a {
                    Ast::Lit(v) => (k, v),
                    _ => unreachable!("checked above"),
                })
                .collect(),
        ))
    } else {
        Ast::Object(members)
    }
}

pub(super) fn fold_array(items: Vec<Ast>) -> Ast {
    if items.iter().all(|a| matches!(a, Ast::Lit(_))) {
        Ast::Lit(Value::Array(
            items
                .into_iter()
                .map(|a| match a {
                    Ast::Lit(v) => v,
                    _ => unreachable!("checked above"),
                })
                .collect(),
        ))
    } else {
        Ast::Array(items)
    }
}

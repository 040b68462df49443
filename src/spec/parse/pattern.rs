//! Patterns: what an event's argument or a line's result is matched
//! against (`<string>`, `{k: p, ...}`, `RangeError {code: "X"}`, byte
//! templates), and the arguments of an event line.

use super::{ParseError, Parser};
use crate::spec::ast::*;
use crate::spec::lexer::Tok;

impl Parser<'_> {
    /// `Buffer.concat([piece, …])` as a pattern, `Buffer.concat` consumed:
    /// each piece a string or Buffer literal, `<date>`, or `<name>` (a
    /// script variable).
    pub(super) fn template(&mut self) -> Result<Pattern, ParseError> {
        self.expect_punct("(")?;
        self.expect_punct("[")?;
        let mut pieces = Vec::new();
        while !self.eat_punct("]") {
            if self.eat_punct("<") {
                let t = self.ident("`date` or a script variable")?;
                self.expect_punct(">")?;
                pieces.push(if t == "date" {
                    Piece::Date
                } else {
                    Piece::Var(t)
                });
            } else {
                let col = self.col();
                match self.data_literal()? {
                    Some(crate::protocol::Value::String(s)) => {
                        pieces.push(Piece::Bytes(s.into_bytes()))
                    }
                    Some(crate::protocol::Value::Buffer(b)) => pieces.push(Piece::Bytes(b)),
                    _ => {
                        return Err((
                            col,
                            "a template holds strings, Buffers, <date> and <variable>".to_string(),
                        ));
                    }
                }
            }
            if !self.eat_punct(",") && !self.at_punct("]") {
                return self.error("`,` or `]`");
            }
        }
        self.expect_punct(")")?;
        Ok(Pattern::Template(pieces))
    }

    /// Every nesting of patterns goes through here, one level deeper.
    pub(super) fn pattern(&mut self) -> Result<Pattern, ParseError> {
        self.nested(Self::pattern_here)
    }

    pub(super) fn pattern_here(&mut self) -> Result<Pattern, ParseError> {
        if matches!(self.peek(), Some(Tok::Ident(s)) if s == "Buffer")
            && self.peek_at(1) == Some(&Tok::Punct("."))
            && matches!(self.peek_at(2), Some(Tok::Ident(s)) if s == "concat")
        {
            self.i += 3;
            return self.template();
        }
        if let Some(v) = self.data_literal()? {
            return Ok(Pattern::Exact(v));
        }
        match self.peek() {
            Some(Tok::Punct("<")) => {
                self.i += 1;
                let col = self.col();
                let t = self.ident("a type name")?;
                if ![
                    "string", "number", "boolean", "Buffer", "object", "function",
                ]
                .contains(&t.as_str())
                {
                    return Err((
                        col,
                        format!(
                            "unknown type `<{t}>`: use <string>, <number>, <boolean>, <Buffer>, <object> or <function>"
                        ),
                    ));
                }
                self.expect_punct(">")?;
                Ok(Pattern::Type(t))
            }
            Some(Tok::Punct("{")) => self.object_pattern(None),
            Some(Tok::Punct("[")) => {
                self.i += 1;
                let mut items = Vec::new();
                while !self.eat_punct("]") {
                    items.push(self.pattern()?);
                    if !self.eat_punct(",") && !self.at_punct("]") {
                        return self.error("`,` or `]`");
                    }
                }
                Ok(Pattern::Array(items))
            }
            Some(Tok::Ident(s)) if s == "_" => {
                self.i += 1;
                Ok(Pattern::Any)
            }
            Some(Tok::Ident(s)) => {
                let s = s.clone();
                let col = self.col();
                self.i += 1;
                if crate::spec::vocabulary::ERROR_NAMES.contains(&s.as_str()) {
                    if self.at_punct("{") {
                        self.object_pattern(Some(s))
                    } else {
                        Ok(Pattern::Object {
                            class: Some(s),
                            props: Vec::new(),
                            rest: false,
                        })
                    }
                } else if self.at_punct(".")
                    && let Some(Tok::Ident(short)) = self.peek_at(1)
                {
                    // `net.Socket`: a class, by its qualified id.
                    let id = format!("{s}.{short}");
                    if crate::spec::vocabulary::class(&id).is_none() {
                        return Err((col, format!("unknown class `{id}`")));
                    }
                    self.i += 2;
                    Ok(Pattern::Class(id))
                } else {
                    let qualified = crate::spec::vocabulary::classes_named(&s);
                    if qualified.is_empty() {
                        Ok(Pattern::Name(s))
                    } else {
                        Err((
                            col,
                            format!(
                                "write the class with its module: {}",
                                qualified
                                    .iter()
                                    .map(|q| format!("`{q}`"))
                                    .collect::<Vec<_>>()
                                    .join(" or ")
                            ),
                        ))
                    }
                }
            }
            _ => self.error("a pattern"),
        }
    }

    pub(super) fn object_pattern(&mut self, class: Option<String>) -> Result<Pattern, ParseError> {
        self.expect_punct("{")?;
        let mut props = Vec::new();
        let mut rest = false;
        while !self.eat_punct("}") {
            if self.at_punct(".") {
                let col = self.col();
                for _ in 0..3 {
                    self.expect_punct(".")?;
                }
                if class.is_some() {
                    return Err((
                        col,
                        "`...` belongs to plain object patterns; an error pattern checks only the properties it names".into(),
                    ));
                }
                rest = true;
                if !self.at_punct("}") {
                    return self.error("`}` after `...`");
                }
                continue;
            }
            let key = self.key()?;
            self.expect_punct(":")?;
            props.push((key, self.pattern()?));
            if !self.eat_punct(",") && !self.at_punct("}") {
                return self.error("`,` or `}`");
            }
        }
        Ok(Pattern::Object { class, props, rest })
    }

    pub(super) fn arg_patterns(&mut self) -> Result<Vec<ArgPattern>, ParseError> {
        let mut args = Vec::new();
        while self.peek().is_some() && !self.at_ident("within") && !self.at_ident("as") {
            let col = self.col();
            let name = match (self.peek(), self.peek_at(1)) {
                (Some(Tok::Ident(n)), Some(Tok::Punct("="))) => {
                    let n = n.clone();
                    self.i += 2;
                    Some(n)
                }
                _ => None,
            };
            args.push(ArgPattern {
                name,
                pattern: self.pattern()?,
                col,
            });
        }
        Ok(args)
    }
}

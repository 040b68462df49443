//! Parses script lines, event lines and patterns.
//!
//! The script language is a strict subset of JavaScript expressions (calls,
//! property access, `new`, literals) plus `wait`, `sleep` and `observe`.
//! Data constructors (`Buffer.from`, `Buffer.alloc`, `"x".repeat(n)`) are
//! evaluated here, so drivers only ever see values.

use std::time::Duration;

use base64::Engine as _;

use super::ast::*;
use super::lexer::{Tok, Token, tokenize};
use crate::protocol::Value;

/// The most data one literal may build (`Buffer.alloc`, `.repeat`).
pub const MAX_DATA: usize = 64 << 20;

/// A parse error at a column of the line.
pub type ParseError = (usize, String);

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    line: usize,
    /// Column just past the end of the line, for "expected … at end".
    end_col: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.i).map(|t| &t.kind)
    }
    fn peek_at(&self, k: usize) -> Option<&'a Tok> {
        self.toks.get(self.i + k).map(|t| &t.kind)
    }
    fn col(&self) -> usize {
        self.toks.get(self.i).map_or(self.end_col, |t| t.col)
    }
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col(),
        }
    }
    fn next(&mut self) -> Option<&'a Tok> {
        let t = self.toks.get(self.i).map(|t| &t.kind);
        self.i += 1;
        t
    }
    fn at_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }
    fn at_ident(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(q)) if q == s)
    }
    fn eat_punct(&mut self, p: &str) -> bool {
        if self.at_punct(p) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn error<T>(&self, what: &str) -> Result<T, ParseError> {
        let found = match self.peek() {
            Some(t) => format!("found {}", t.describe()),
            None => "found the end of the line".to_string(),
        };
        Err((self.col(), format!("expected {what}, {found}")))
    }
    fn expect_punct(&mut self, p: &str) -> Result<(), ParseError> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            self.error(&format!("`{p}`"))
        }
    }
    fn ident(&mut self, what: &str) -> Result<String, ParseError> {
        match self.peek() {
            Some(Tok::Ident(s)) => {
                self.i += 1;
                Ok(s.clone())
            }
            _ => self.error(what),
        }
    }
    fn done(&self) -> Result<(), ParseError> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err((
                self.col(),
                format!("unexpected {} after the end of the line", t.describe()),
            )),
        }
    }

    // ---- script expressions ----

    fn expr(&mut self) -> Result<Ast, ParseError> {
        let e = self.member()?;
        if self.at_ident("instanceof") {
            let pos = self.pos();
            self.i += 1;
            let class = self.constructor("a class after `instanceof`")?;
            return Ok(Ast::InstanceOf(Box::new(e), Box::new(class), pos));
        }
        Ok(e)
    }

    /// A constructor: `net.Socket` or a global such as `Error`.
    fn constructor(&mut self, what: &str) -> Result<Ast, ParseError> {
        let pos = self.pos();
        let mut e = Ast::Ident(self.ident(what)?, pos);
        if self.eat_punct(".") {
            let pos = self.pos();
            e = Ast::Get(Box::new(e), self.ident("a class name")?, pos);
        }
        Ok(e)
    }

    /// A primary expression and its `.property` / `.method(…)` chain.
    fn member(&mut self) -> Result<Ast, ParseError> {
        let mut e = self.primary()?;
        while self.at_punct(".") {
            self.i += 1;
            let pos = self.pos();
            let name = self.ident("a property or method name after `.`")?;
            if self.at_punct("(") {
                let args = self.args()?;
                e = Ast::Call(Box::new(e), name, args, pos);
            } else {
                e = Ast::Get(Box::new(e), name, pos);
            }
        }
        Ok(e)
    }

    fn args(&mut self) -> Result<Vec<Ast>, ParseError> {
        self.expect_punct("(")?;
        let mut args = Vec::new();
        while !self.eat_punct(")") {
            args.push(self.expr()?);
            if !self.eat_punct(",") && !self.at_punct(")") {
                return self.error("`,` or `)`");
            }
        }
        Ok(args)
    }

    fn primary(&mut self) -> Result<Ast, ParseError> {
        let pos = self.pos();
        if let Some(v) = self.data_literal()? {
            return Ok(Ast::Lit(v));
        }
        match self.peek() {
            Some(Tok::Punct("@")) => {
                self.i += 1;
                Ok(Ast::Callback(self.ident("a callback name after `@`")?, pos))
            }
            Some(Tok::Punct("(")) => {
                self.i += 1;
                let e = self.expr()?;
                self.expect_punct(")")?;
                Ok(e)
            }
            Some(Tok::Punct("{")) => {
                self.i += 1;
                let mut members = Vec::new();
                while !self.eat_punct("}") {
                    let key = self.key()?;
                    self.expect_punct(":")?;
                    members.push((key, self.expr()?));
                    if !self.eat_punct(",") && !self.at_punct("}") {
                        return self.error("`,` or `}`");
                    }
                }
                Ok(fold_object(members))
            }
            Some(Tok::Punct("[")) => {
                self.i += 1;
                let mut items = Vec::new();
                while !self.eat_punct("]") {
                    items.push(self.expr()?);
                    if !self.eat_punct(",") && !self.at_punct("]") {
                        return self.error("`,` or `]`");
                    }
                }
                Ok(fold_array(items))
            }
            Some(Tok::Ident(s)) if s == "new" => {
                self.i += 1;
                let callee = self.constructor("a class after `new`")?;
                let args = if self.at_punct("(") {
                    self.args()?
                } else {
                    Vec::new()
                };
                Ok(Ast::New(Box::new(callee), args, pos))
            }
            Some(Tok::Ident(s)) if s == "typeof" => {
                self.i += 1;
                Ok(Ast::Typeof(Box::new(self.member()?)))
            }
            Some(Tok::Ident(s)) if s == "tempPath" => {
                self.i += 1;
                self.expect_punct("(")?;
                let col = self.col();
                let name = match self.next() {
                    Some(Tok::Str(s)) => s.clone(),
                    _ => {
                        self.i -= 1;
                        return self.error("a string naming the path");
                    }
                };
                // One plain file name: the path must stay in the case's
                // scratch directory.
                if name.is_empty()
                    || name == "."
                    || name == ".."
                    || name.contains(['/', '\\', '\0'])
                {
                    return Err((
                        col,
                        format!("tempPath takes a plain file name, not {name:?}"),
                    ));
                }
                self.expect_punct(")")?;
                Ok(Ast::TempPath(name))
            }
            Some(Tok::Ident(s)) => {
                self.i += 1;
                Ok(Ast::Ident(s.clone(), pos))
            }
            _ => self.error("an expression"),
        }
    }

    fn key(&mut self) -> Result<String, ParseError> {
        match self.next() {
            Some(Tok::Ident(s)) | Some(Tok::Str(s)) => Ok(s.clone()),
            _ => {
                self.i -= 1;
                self.error("a property name")
            }
        }
    }

    /// Literals that are values in both scripts and patterns: strings (with
    /// `.repeat(n)`), numbers, keywords and the `Buffer` constructors.
    fn data_literal(&mut self) -> Result<Option<Value>, ParseError> {
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
                fill.iter().copied().cycle().take(n).collect()
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

    fn count_args(&mut self, n: usize) -> Result<Vec<usize>, ParseError> {
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

    fn duration(&mut self) -> Result<Duration, ParseError> {
        let col = self.col();
        let n = match self.next() {
            Some(Tok::Number(n)) if *n >= 0.0 => *n,
            _ => {
                self.i -= 1;
                return self.error("a duration such as `50ms` or `2s`");
            }
        };
        let unit = match self.peek() {
            Some(Tok::Ident(u)) if u == "ms" || u == "s" => {
                self.i += 1;
                u.clone()
            }
            _ => return Err((col, "a duration needs a unit: `ms` or `s`".into())),
        };
        let ms = if unit == "s" { n * 1000.0 } else { n };
        Ok(Duration::from_micros((ms * 1000.0) as u64))
    }

    // ---- patterns ----

    fn pattern(&mut self) -> Result<Pattern, ParseError> {
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
                if super::vocabulary::ERROR_NAMES.contains(&s.as_str()) {
                    if self.at_punct("{") {
                        self.object_pattern(Some(s))
                    } else {
                        Ok(Pattern::Object {
                            class: Some(s),
                            props: Vec::new(),
                        })
                    }
                } else if self.at_punct(".")
                    && let Some(Tok::Ident(short)) = self.peek_at(1)
                {
                    // `net.Socket`: a class, by its qualified id.
                    let id = format!("{s}.{short}");
                    if super::vocabulary::class(&id).is_none() {
                        return Err((col, format!("unknown class `{id}`")));
                    }
                    self.i += 2;
                    Ok(Pattern::Class(id))
                } else {
                    let qualified = super::vocabulary::classes_named(&s);
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

    fn object_pattern(&mut self, class: Option<String>) -> Result<Pattern, ParseError> {
        self.expect_punct("{")?;
        let mut props = Vec::new();
        while !self.eat_punct("}") {
            let key = self.key()?;
            self.expect_punct(":")?;
            props.push((key, self.pattern()?));
            if !self.eat_punct(",") && !self.at_punct("}") {
                return self.error("`,` or `}`");
            }
        }
        Ok(Pattern::Object { class, props })
    }

    /// `a, _, b` after `as`: names, `_` skipping a position.
    fn capture_names(&mut self) -> Result<Vec<Option<String>>, ParseError> {
        let mut names = Vec::new();
        loop {
            let name = self.ident("a name to capture as (or `_`)")?;
            names.push((name != "_").then_some(name));
            if !self.eat_punct(",") {
                return Ok(names);
            }
        }
    }

    /// `(a, b)`: a reaction's parameters (the parentheses may be empty or
    /// left out).
    fn params(&mut self) -> Result<Vec<String>, ParseError> {
        let mut params = Vec::new();
        if !self.eat_punct("(") {
            return Ok(params);
        }
        while !self.eat_punct(")") {
            params.push(self.ident("a parameter name")?);
            if !self.eat_punct(",") && !self.at_punct(")") {
                return self.error("`,` or `)`");
            }
        }
        Ok(params)
    }

    /// A reaction's actions, separated by `;`: expressions and property
    /// assignments.
    fn actions(&mut self) -> Result<Vec<Ast>, ParseError> {
        let mut body = Vec::new();
        loop {
            let e = self.expr()?;
            let e = if self.at_punct("=") {
                let eq_col = self.col();
                self.i += 1;
                let rhs = self.expr()?;
                match e {
                    Ast::Get(target, prop, pos) => Ast::Set(target, prop, Box::new(rhs), pos),
                    _ => {
                        return Err((eq_col, "a reaction can assign properties, not names".into()));
                    }
                }
            } else {
                e
            };
            body.push(e);
            if !self.eat_punct(";") {
                return Ok(body);
            }
        }
    }

    fn arg_patterns(&mut self) -> Result<Vec<ArgPattern>, ParseError> {
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
fn fold_object(members: Vec<(String, Ast)>) -> Ast {
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

fn fold_array(items: Vec<Ast>) -> Ast {
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

/// Tokenizes `line` and runs `f` on a parser over it; `Ok(None)` for a
/// blank or comment line.
fn with_parser<T>(
    line: &str,
    line_no: usize,
    f: impl FnOnce(&mut Parser) -> Result<T, ParseError>,
) -> Result<Option<T>, ParseError> {
    let toks = tokenize(line)?;
    if toks.is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        toks: &toks,
        i: 0,
        line: line_no,
        end_col: line.chars().count() + 1,
    };
    let out = f(&mut p)?;
    p.done()?;
    Ok(Some(out))
}

/// Parses one script line; `Ok(None)` for a blank or comment line.
pub fn statement(line: &str, line_no: usize) -> Result<Option<Stmt>, ParseError> {
    with_parser(line, line_no, |p| statement_in(p, line))
}

fn statement_in(p: &mut Parser, line: &str) -> Result<Stmt, ParseError> {
    let pos = p.pos();
    let keyword = match (p.peek(), p.peek_at(1)) {
        (Some(Tok::Ident(k)), Some(Tok::Ident(_) | Tok::Number(_))) => Some(k.as_str()),
        _ => None,
    };
    let kind = match keyword {
        Some("wait") => {
            p.i += 1;
            let object = p.ident("an object name")?;
            let event_col = p.col();
            let event = p.ident("an event name")?;
            let args = p.arg_patterns()?;
            let captures = if p.at_ident("as") {
                p.i += 1;
                p.capture_names()?
            } else {
                Vec::new()
            };
            let within = if p.at_ident("within") {
                p.i += 1;
                Some(p.duration()?)
            } else {
                None
            };
            StmtKind::Wait {
                object,
                event,
                event_col,
                args,
                captures,
                within,
            }
        }
        Some(keyword @ ("on" | "once")) => {
            let once = keyword == "once";
            p.i += 1;
            let object = p.ident("an object name")?;
            let event_col = p.col();
            let event = p.ident("an event name")?;
            let params = p.params()?;
            p.expect_punct("=>")?;
            let body = p.actions()?;
            StmtKind::On {
                object,
                event,
                event_col,
                params,
                body,
                once,
            }
        }
        Some("sleep") => {
            p.i += 1;
            StmtKind::Sleep(p.duration()?)
        }
        Some("observe") => {
            p.i += 1;
            let object = p.ident("an object name")?;
            let mut events = vec![p.ident("an event name")?];
            while p.peek().is_some() {
                events.push(p.ident("an event name")?);
            }
            StmtKind::Observe { object, events }
        }
        _ => {
            let lhs = p.expr()?;
            let (assign, expr) = if p.at_punct("=") {
                let eq_col = p.col();
                p.i += 1;
                let rhs = p.expr()?;
                match lhs {
                    Ast::Ident(name, _) => (Some(name), rhs),
                    Ast::Get(target, prop, pos) => {
                        (None, Ast::Set(target, prop, Box::new(rhs), pos))
                    }
                    _ => return Err((eq_col, "only a name or a property can be assigned".into())),
                }
            } else {
                (None, lhs)
            };
            let expect = if p.eat_punct("=>") {
                if p.at_ident("throws") {
                    p.i += 1;
                    let pat = if p.peek().is_none() {
                        Pattern::Any
                    } else {
                        p.pattern()?
                    };
                    Some(Expect::Throws(pat))
                } else {
                    Some(Expect::Returns(p.pattern()?))
                }
            } else {
                None
            };
            StmtKind::Eval {
                assign,
                expr,
                expect,
            }
        }
    };
    Ok(Stmt {
        kind,
        pos,
        text: line.trim().to_string(),
    })
}

/// Parses one events line; `Ok(None)` for a blank or comment line.
pub fn event_line(line: &str, line_no: usize) -> Result<Option<EventLine>, ParseError> {
    with_parser(line, line_no, event_line_in)
}

fn event_line_in(p: &mut Parser) -> Result<EventLine, ParseError> {
    let pos = p.pos();
    let object = p.ident("an object name")?;
    let event_col = p.col();
    let event = p.ident("an event name")?;
    let args = p.arg_patterns()?;
    if p.at_ident("within") || p.at_ident("as") {
        return Err((
            p.col(),
            "`within` and `as` belong to `wait` lines in the script".into(),
        ));
    }
    Ok(EventLine {
        object,
        event,
        args,
        pos,
        event_col,
    })
}

/// Parses a standalone pattern (used by tests and `record`).
pub fn pattern(text: &str) -> Result<Pattern, ParseError> {
    with_parser(text, 1, |p| p.pattern())?.ok_or((1, "expected a pattern, found nothing".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(s: &str) -> StmtKind {
        statement(s, 1).unwrap().unwrap().kind
    }

    #[test]
    fn parses_assignment_calls_and_expectations() {
        let StmtKind::Eval {
            assign,
            expr,
            expect,
        } = stmt(r#"c = net.connect(s.address().port, "127.0.0.1") => net.Socket"#)
        else {
            panic!()
        };
        assert_eq!(assign.as_deref(), Some("c"));
        assert!(matches!(expr, Ast::Call(_, ref m, ref a, _) if m == "connect" && a.len() == 2));
        assert_eq!(
            expect,
            Some(Expect::Returns(Pattern::Class("net.Socket".into())))
        );
    }

    #[test]
    fn evaluates_data_constructors() {
        let StmtKind::Eval { expr, .. } = stmt(
            r#"c.write(Buffer.alloc(3, "ab"), "x".repeat(2), Buffer.from("6869", "hex"), -1)"#,
        ) else {
            panic!()
        };
        let Ast::Call(_, _, args, _) = expr else {
            panic!()
        };
        assert_eq!(args[0], Ast::Lit(Value::Buffer(b"aba".to_vec())));
        assert_eq!(args[1], Ast::Lit(Value::String("xx".into())));
        assert_eq!(args[2], Ast::Lit(Value::Buffer(b"hi".to_vec())));
        assert_eq!(args[3], Ast::Lit(Value::Number(-1.0)));
    }

    #[test]
    fn parses_waits_with_limits_and_throws() {
        assert_eq!(
            stmt("wait c close hadError=true within 3s"),
            StmtKind::Wait {
                object: "c".into(),
                event: "close".into(),
                event_col: 8,
                args: vec![ArgPattern {
                    name: Some("hadError".into()),
                    pattern: Pattern::Exact(Value::Bool(true)),
                    col: 14
                }],
                captures: Vec::new(),
                within: Some(Duration::from_secs(3)),
            }
        );
        let StmtKind::Eval { expect, .. } =
            stmt(r#"s.listen(65536) => throws RangeError {code: "ERR_SOCKET_BAD_PORT"}"#)
        else {
            panic!()
        };
        assert!(
            matches!(expect, Some(Expect::Throws(Pattern::Object { class: Some(ref c), .. })) if c == "RangeError")
        );
    }

    #[test]
    fn errors_name_the_column() {
        assert_eq!(
            statement("s.listen(0,, 1)", 4).unwrap_err(),
            (12, "expected an expression, found `,`".into())
        );
        assert_eq!(
            statement("sleep 5", 4).unwrap_err().1,
            "a duration needs a unit: `ms` or `s`"
        );
        assert_eq!(event_line("peer data <strin>", 1).unwrap_err().0, 12);
        assert!(statement("x = \"x\".repeat(1e20)", 1).is_err());
        assert!(statement("x = Buffer.alloc(1e20)", 1).is_err());
    }
}

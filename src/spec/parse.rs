//! Parses script lines, event lines and patterns.
//!
//! The script language is a strict subset of JavaScript expressions (calls,
//! property access, `new`, literals) plus `wait`, `sleep` and `observe`.
//! Data constructors (`Buffer.from`, `Buffer.alloc`, `"x".repeat(n)`) are
//! evaluated here, so drivers only ever see values.

use std::time::Duration;

mod literal;
mod pattern;

use super::ast::*;
use super::lexer::{Tok, Token, tokenize};
use literal::{fold_array, fold_object};

/// The most data one literal may build (`Buffer.alloc`, `.repeat`).
pub const MAX_DATA: usize = 64 << 20;

/// The most data the literals of one spec file may build together. A
/// short line such as `a = Buffer.alloc(67108864, "x")`, repeated, would
/// otherwise make a file of a few kilobytes cost gigabytes and seconds to
/// load (found while fuzzing the loader, `fuzz/`). The suite's largest
/// file builds 32 MiB.
pub const MAX_FILE_DATA: usize = 4 * MAX_DATA;

/// How deep expressions or patterns may nest in one line (`[[1]]` is
/// three deep). The parser descends once per level, so without a bound a
/// line of a few thousand `[` overflows the stack (found while fuzzing the
/// loader).
pub const MAX_DEPTH: usize = 64;

/// What the data constructors (`Buffer.alloc`, `.repeat`) of one spec
/// file may still build, in bytes: [`MAX_FILE_DATA`] when the file starts.
/// Other literals build no more than their own text, so they are free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataBudget(usize);

impl DataBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> DataBudget {
        DataBudget(bytes)
    }
}

impl Default for DataBudget {
    fn default() -> DataBudget {
        DataBudget(MAX_FILE_DATA)
    }
}

/// A parse error at a column of the line.
pub type ParseError = (usize, String);

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    line: usize,
    /// Column just past the end of the line, for "expected … at end".
    end_col: usize,
    /// Expressions or patterns being parsed around the current token.
    depth: usize,
    /// What data constructors may still build in this file.
    budget: DataBudget,
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
    /// Runs `f` one nesting level deeper; past [`MAX_DEPTH`] an error.
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.depth == MAX_DEPTH {
            return Err((self.col(), format!("nested more than {MAX_DEPTH} deep")));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }
    /// Takes `bytes` from the file's [`DataBudget`] before a data
    /// constructor builds them; `col` is the constructor's.
    fn spend(&mut self, bytes: usize, col: usize) -> Result<(), ParseError> {
        match self.budget.0.checked_sub(bytes) {
            Some(left) => {
                self.budget.0 = left;
                Ok(())
            }
            None => Err((
                col,
                format!("the data literals of this file make more than {MAX_FILE_DATA} bytes"),
            )),
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

    /// Every nesting of expressions goes through here, one level deeper.
    fn primary(&mut self) -> Result<Ast, ParseError> {
        self.nested(Self::primary_here)
    }

    fn primary_here(&mut self) -> Result<Ast, ParseError> {
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
            Some(Tok::Ident(s)) if s == "fixture" => {
                let pos = self.pos();
                self.i += 1;
                self.expect_punct("(")?;
                let col = self.col();
                let path = match self.next() {
                    Some(Tok::Str(s)) => s.clone(),
                    _ => {
                        self.i -= 1;
                        return self.error("a string naming a file under fixtures/");
                    }
                };
                // A relative path that stays inside fixtures/.
                let inside = !path.is_empty()
                    && !path.starts_with('/')
                    && !path.contains(['\\', '\0'])
                    && path
                        .split('/')
                        .all(|c| !c.is_empty() && c != "." && c != "..");
                if !inside {
                    return Err((
                        col,
                        format!(
                            "fixture takes a path inside fixtures/ (`tls/ca.pem`), not {path:?}"
                        ),
                    ));
                }
                self.expect_punct(")")?;
                Ok(Ast::Fixture {
                    path,
                    pos,
                    contents: None,
                })
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
}

/// Tokenizes `line` and runs `f` on a parser over it; `Ok(None)` for a
/// blank or comment line. What the line's data constructors build comes
/// out of `budget`, even when the line turns out wrong.
fn with_parser<T>(
    line: &str,
    line_no: usize,
    budget: &mut DataBudget,
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
        depth: 0,
        budget: *budget,
    };
    let out = f(&mut p);
    *budget = p.budget;
    let out = out?;
    p.done()?;
    Ok(Some(out))
}

/// Parses one script line on its own; `Ok(None)` for a blank or comment
/// line.
pub fn statement(line: &str, line_no: usize) -> Result<Option<Stmt>, ParseError> {
    statement_with(line, line_no, &mut DataBudget::default())
}

/// Parses one script line of a file whose data literals share `budget`.
pub fn statement_with(
    line: &str,
    line_no: usize,
    budget: &mut DataBudget,
) -> Result<Option<Stmt>, ParseError> {
    with_parser(line, line_no, budget, |p| statement_in(p, line))
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

/// Parses one events line on its own; `Ok(None)` for a blank or comment
/// line.
pub fn event_line(line: &str, line_no: usize) -> Result<Option<EventLine>, ParseError> {
    event_line_with(line, line_no, &mut DataBudget::default())
}

/// Parses one events line of a file whose data literals share `budget`.
pub fn event_line_with(
    line: &str,
    line_no: usize,
    budget: &mut DataBudget,
) -> Result<Option<EventLine>, ParseError> {
    with_parser(line, line_no, budget, event_line_in)
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
    with_parser(text, 1, &mut DataBudget::default(), |p| p.pattern())?
        .ok_or((1, "expected a pattern, found nothing".into()))
}

#[cfg(test)]
mod tests;

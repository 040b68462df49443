//! The mutation check of the suite: small wrong edits of each case's
//! `events` block, each of which the suite must notice.
//!
//! A case earns its keep only if the harness fails it when its block says
//! something Node did not do. For every passing case this module makes
//! mutants of the block, one edit each:
//!
//! - **delete** an expected line (an implementation that emits an event
//!   Node does not, as the block now reads);
//! - **swap** two lines of one object (the same events, in another order);
//! - **arg**: change one argument (a value, a class, a property, one element,
//!   the number of arguments);
//! - **extra**: repeat a line right after itself (an event Node emits once,
//!   expected twice).
//!
//! Running a mutant that passes means a divergence of that kind would go
//! unseen: a survivor. Edits that provably cannot change the result are not
//! made at all, and the reason is the rule that makes them equivalent:
//!
//! - swapping two identical lines;
//! - deleting a property of a pattern that only lists properties "at least":
//!   `{…, ...}`, and an error's properties other than `code` (an error
//!   pattern names what it checks; only a `code` must be absent when it is
//!   not named: spec/README.md, Patterns);
//! - repeating a line of an event whose emissions are joined (`data` of a
//!   byte stream: two such lines in a row are one, by definition);
//!
//! And `_` is never changed: it claims nothing, so there is no claim to
//! falsify.
//!
//! Generation works on the block's text and knows nothing of I/O; running
//! the mutants is `nodecompat mutants`.

use crate::protocol::Value;
use crate::spec::ast::{ArgPattern, EventLine, Pattern, Piece};
use crate::spec::{parse, render, vocabulary};

/// What kind of edit a mutant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Delete,
    Swap,
    Arg,
    Extra,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 4] = [Kind::Delete, Kind::Swap, Kind::Arg, Kind::Extra];

    /// Its name in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Delete => "delete",
            Kind::Swap => "swap",
            Kind::Arg => "arg",
            Kind::Extra => "extra",
        }
    }
}

/// One mutant of an events block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    pub kind: Kind,
    /// The file line the edit is about.
    pub line: usize,
    /// The edit, as a person reads it: `- client close hadError=false`,
    /// `client end <-> client finish`, `hadError=false -> hadError=true`.
    pub edit: String,
    /// The mutated block, line by line.
    pub lines: Vec<String>,
}

/// Every mutant of an events block. `lines` are the block's lines as
/// written, `first_line` the file line of the first; `class_of` gives an
/// object's qualified class (for joined events), `names` the names a case
/// defines (objects, captures, script variables), for name edits.
pub fn mutants(
    lines: &[String],
    first_line: usize,
    class_of: &dyn Fn(&str) -> Option<&'static str>,
    names: &[String],
) -> Vec<Mutant> {
    let parsed: Vec<(usize, EventLine)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            parse::event_line(l, first_line + i)
                .ok()
                .flatten()
                .map(|e| (i, e))
        })
        .collect();
    let width = parsed
        .iter()
        .map(|(_, e)| e.object.len())
        .max()
        .unwrap_or(0);
    let show = |e: &EventLine| format!("{} {}", e.object, render::event_text(&e.event, &e.args));
    let mut out = Vec::new();

    for (i, e) in &parsed {
        let mut m = lines.to_vec();
        m.remove(*i);
        out.push(Mutant {
            kind: Kind::Delete,
            line: first_line + i,
            edit: format!("- {}", show(e)),
            lines: m,
        });
    }

    for (k, (i, a)) in parsed.iter().enumerate() {
        let Some((j, b)) = parsed[k + 1..].iter().find(|(_, b)| b.object == a.object) else {
            continue;
        };
        if show(a) == show(b) {
            continue;
        }
        let mut m = lines.to_vec();
        m.swap(*i, *j);
        out.push(Mutant {
            kind: Kind::Swap,
            line: first_line + i,
            edit: format!("{} <-> {}", show(a), show(b)),
            lines: m,
        });
    }

    for (i, e) in &parsed {
        for (args, edit) in arg_edits(e, names) {
            let changed = EventLine { args, ..e.clone() };
            let mut m = lines.to_vec();
            m[*i] = render::event_line(&changed, width);
            out.push(Mutant {
                kind: Kind::Arg,
                line: first_line + i,
                edit: format!("{}: {edit}", show(e)),
                lines: m,
            });
        }
    }

    for (i, e) in &parsed {
        if vocabulary::joins(class_of(&e.object), &e.event) {
            continue;
        }
        let mut m = lines.to_vec();
        m.insert(i + 1, lines[*i].clone());
        out.push(Mutant {
            kind: Kind::Extra,
            line: first_line + i,
            edit: format!("+ {} (again)", show(e)),
            lines: m,
        });
    }
    out
}

/// The argument edits of one line: each changed argument list with what
/// changed.
fn arg_edits(e: &EventLine, names: &[String]) -> Vec<(Vec<ArgPattern>, String)> {
    let mut out = Vec::new();
    for (k, a) in e.args.iter().enumerate() {
        for (p, what) in pattern_edits(&a.pattern, names) {
            let mut args = e.args.clone();
            args[k].pattern = p;
            let label = a
                .name
                .clone()
                .unwrap_or_else(|| format!("argument {}", k + 1));
            out.push((args, format!("{label}: {what}")));
        }
    }
    // Arity: one argument fewer. (One more cannot be written: the checker
    // holds a line to its event's arity in the vocabulary, and an
    // implementation that emits more is caught at run time by the exact
    // arity rule, which conformance/ tests with a driver that does it.)
    if let Some(last) = e.args.last() {
        let mut args = e.args.clone();
        args.pop();
        let label = last
            .name
            .clone()
            .unwrap_or_else(|| "the last argument".into());
        out.push((args, format!("{label} dropped")));
    }
    out
}

/// Each way to change one pattern, with a description.
fn pattern_edits(p: &Pattern, names: &[String]) -> Vec<(Pattern, String)> {
    let r = render::pattern;
    let mut out = Vec::new();
    match p {
        Pattern::Any => {}
        Pattern::Exact(v) => {
            let w = other_value(v);
            out.push((
                Pattern::Exact(w.clone()),
                format!("{} -> {}", r(p), render::value(&w)),
            ));
        }
        Pattern::Type(t) => {
            let other = match t.as_str() {
                "string" => "number",
                "number" => "string",
                "boolean" => "number",
                "Buffer" => "string",
                "object" => "function",
                _ => "object",
            };
            out.push((Pattern::Type(other.into()), format!("<{t}> -> <{other}>")));
        }
        Pattern::Object { class, props, rest } => {
            if let Some(c) = class {
                let other = if c == "Error" { "TypeError" } else { "Error" };
                out.push((
                    Pattern::Object {
                        class: Some(other.into()),
                        props: props.clone(),
                        rest: *rest,
                    },
                    format!("class {c} -> {other}"),
                ));
            }
            for (k, (key, value)) in props.iter().enumerate() {
                for (q, what) in pattern_edits(value, names) {
                    let mut props = props.clone();
                    props[k].1 = q;
                    out.push((
                        Pattern::Object {
                            class: class.clone(),
                            props,
                            rest: *rest,
                        },
                        format!("{key}: {what}"),
                    ));
                }
                let loosening = *rest || (class.is_some() && key != "code");
                if !loosening {
                    let mut props = props.clone();
                    props.remove(k);
                    out.push((
                        Pattern::Object {
                            class: class.clone(),
                            props,
                            rest: *rest,
                        },
                        format!("{key} dropped"),
                    ));
                }
            }
        }
        Pattern::Array(items) => {
            for (k, item) in items.iter().enumerate() {
                for (q, what) in pattern_edits(item, names) {
                    let mut items = items.clone();
                    items[k] = q;
                    out.push((Pattern::Array(items), format!("[{k}]: {what}")));
                }
            }
            if !items.is_empty() {
                let mut fewer = items.clone();
                fewer.pop();
                out.push((Pattern::Array(fewer), "last element dropped".into()));
            }
        }
        Pattern::Name(n) => {
            if let Some(other) = names.iter().find(|m| *m != n) {
                out.push((Pattern::Name(other.clone()), format!("{n} -> {other}")));
            }
        }
        Pattern::Template(pieces) => {
            // The bytes around the date: one changed, as a slightly wrong
            // implementation would send them.
            if let Some(k) = pieces
                .iter()
                .rposition(|p| matches!(p, Piece::Bytes(b) if !b.is_empty()))
            {
                let mut changed = pieces.clone();
                if let Piece::Bytes(b) = &mut changed[k] {
                    let last = b.len() - 1;
                    b[last] = b[last].wrapping_add(1);
                }
                out.push((
                    Pattern::Template(changed),
                    "a byte of the template changed".into(),
                ));
            }
        }
        Pattern::Class(c) => {
            let other = if c == "net.Socket" {
                "net.Server"
            } else {
                "net.Socket"
            };
            out.push((Pattern::Class(other.into()), format!("{c} -> {other}")));
        }
    }
    out
}

/// A value near `v` but different: what a slightly wrong implementation
/// would emit.
fn other_value(v: &Value) -> Value {
    match v {
        Value::Undefined => Value::Null,
        Value::Null => Value::Undefined,
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) if n.is_finite() => Value::Number(n + 1.0),
        Value::Number(_) => Value::Number(0.0),
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Buffer(b) => {
            let mut b = b.clone();
            match b.last_mut() {
                Some(x) => *x = x.wrapping_add(1),
                None => b.push(b'x'),
            }
            Value::Buffer(b)
        }
        // Other values are written as patterns, not exact values.
        _ => Value::Undefined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    fn socket(name: &str) -> Option<&'static str> {
        (name != "server").then_some("net.Socket")
    }

    fn edits(text: &str, kind: Kind) -> Vec<String> {
        mutants(&block(text), 10, &socket, &["client".into(), "peer".into()])
            .into_iter()
            .filter(|m| m.kind == kind)
            .map(|m| format!("{}: {}", m.line, m.edit))
            .collect()
    }

    const BLOCK: &str = "server  listening\n\
                         server  connection peer\n\
                         # a comment\n\
                         client  data \"hi\"\n\
                         client  end\n\
                         client  close hadError=false";

    #[test]
    fn delete_makes_one_mutant_per_event_line() {
        let d = edits(BLOCK, Kind::Delete);
        assert_eq!(d.len(), 5, "{d:?}");
        assert_eq!(d[2], "13: - client data \"hi\"");
    }

    #[test]
    fn swap_pairs_neighbouring_lines_of_one_object() {
        assert_eq!(
            edits(BLOCK, Kind::Swap),
            [
                "10: server listening <-> server connection peer",
                "13: client data \"hi\" <-> client end",
                "14: client end <-> client close hadError=false",
            ]
        );
    }

    #[test]
    fn swapping_identical_lines_is_not_a_mutant() {
        assert!(edits("a  close\na  close", Kind::Swap).is_empty());
    }

    #[test]
    fn extra_repeats_lines_but_not_joined_data() {
        let x = edits(BLOCK, Kind::Extra);
        assert_eq!(x.len(), 4, "{x:?}");
        assert!(!x.iter().any(|e| e.contains("data")));
    }

    #[test]
    fn arg_edits_values_names_and_arity() {
        assert_eq!(
            edits(BLOCK, Kind::Arg),
            [
                "11: server connection peer: argument 1: peer -> client",
                "11: server connection peer: the last argument dropped",
                "13: client data \"hi\": argument 1: \"hi\" -> \"hix\"",
                "13: client data \"hi\": the last argument dropped",
                "15: client close hadError=false: hadError: false -> true",
                "15: client close hadError=false: hadError dropped",
            ]
        );
    }

    #[test]
    fn error_diagnostics_and_at_least_objects_are_not_dropped() {
        let e = edits(
            "client  error Error {code: \"E\", syscall: \"connect\"}\nclient  x {a: 1, ...}",
            Kind::Arg,
        );
        assert!(e.iter().any(|x| x.contains("code dropped")), "{e:?}");
        assert!(!e.iter().any(|x| x.contains("syscall dropped")), "{e:?}");
        assert!(!e.iter().any(|x| x.contains("a dropped")), "{e:?}");
        assert!(
            e.iter().any(|x| x.contains("class Error -> TypeError")),
            "{e:?}"
        );
    }

    #[test]
    fn mutated_lines_parse() {
        for m in mutants(&block(BLOCK), 1, &socket, &["client".into()]) {
            for l in &m.lines {
                assert!(parse::event_line(l, 1).is_ok(), "{}: {l}", m.edit);
            }
        }
    }
}

//! Matching: a case's expected events against the events a driver observed.
//!
//! Each object's events are a total order and must match exactly, each with
//! exactly the arguments its line gives; there is no order between objects.
//! Consecutive emissions of a joined event (`data` of a byte stream, as the
//! vocabulary says) are joined first unless the case asks for exact chunks.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::protocol::Value;
use crate::spec::ast::{ArgPattern, Chunks, EventLine, Pattern, Piece};
use crate::spec::{render, vocabulary};

/// One observed event.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub event: String,
    pub args: Vec<Value>,
}

/// Every event a case observed, per object, in arrival order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    pub objects: BTreeMap<String, Vec<Observed>>,
    /// (object, index) in global arrival order, for rendering a story.
    pub arrival: Vec<(String, usize)>,
    /// Plain values the script named (`port = server.address().port`), so
    /// patterns can refer to them.
    pub vars: Vars,
}

/// Script variables holding plain values.
pub type Vars = BTreeMap<String, Value>;

impl Trace {
    pub fn push(&mut self, object: &str, event: &str, args: Vec<Value>) {
        let list = self.objects.entry(object.to_string()).or_default();
        self.arrival.push((object.to_string(), list.len()));
        list.push(Observed {
            event: event.to_string(),
            args,
        });
    }

    pub fn len(&self) -> usize {
        self.arrival.len()
    }

    pub fn is_empty(&self) -> bool {
        self.arrival.is_empty()
    }

    /// The class of an object the case did not name (`#n`), from the
    /// handles the trace saw it in.
    pub fn anonymous_class(&self, object: &str) -> Option<&'static str> {
        fn find(v: &Value, id: &str) -> Option<String> {
            match v {
                Value::Handle { class, id: i } if i == id => Some(class.clone()),
                Value::Array(items) => items.iter().find_map(|x| find(x, id)),
                Value::Object(m) | Value::Error(m) => m.values().find_map(|x| find(x, id)),
                _ => None,
            }
        }
        let class = self
            .objects
            .values()
            .flatten()
            .flat_map(|o| &o.args)
            .find_map(|v| find(v, object))?;
        vocabulary::class(&class).map(|c| c.id)
    }

    /// Sets the script variables that `wait … as` captured from plain
    /// arguments (`msg`, `rinfo`), from the emissions they name.
    pub fn bind_captures(&mut self, plan: &crate::spec::Plan) {
        for c in plan.value_captures() {
            let emitted = self
                .objects
                .get(&c.object)
                .into_iter()
                .flatten()
                .filter(|o| o.event == c.event)
                .nth(c.nth - 1);
            if let Some(o) = emitted {
                let v = o.args.get(c.arg).cloned().unwrap_or(Value::Undefined);
                self.vars.insert(c.name.clone(), v);
            }
        }
    }

    /// How many times `object` emitted `event`.
    pub fn count(&self, object: &str, event: &str) -> usize {
        self.objects
            .get(object)
            .map_or(0, |l| l.iter().filter(|o| o.event == event).count())
    }

    /// An object's events with consecutive joined events (`data` of a byte
    /// stream) joined, per `chunks`; `class` is the object's class id.
    pub fn normalized(&self, object: &str, class: Option<&str>, chunks: Chunks) -> Vec<Observed> {
        self.normalized_with_origin(object, class, chunks)
            .into_iter()
            .map(|(_, o)| o)
            .collect()
    }

    /// Like [`normalized`](Self::normalized), each event with the index of
    /// the first raw event it was made from.
    pub fn normalized_with_origin(
        &self,
        object: &str,
        class: Option<&str>,
        chunks: Chunks,
    ) -> Vec<(usize, Observed)> {
        let mut out: Vec<(usize, Observed)> = Vec::new();
        for (i, o) in self.objects.get(object).into_iter().flatten().enumerate() {
            if chunks == Chunks::Joined
                && vocabulary::joins(class, &o.event)
                && let Some((_, last)) = out.last_mut().filter(|(_, l)| l.event == o.event)
                && let ([a], [b]) = (last.args.as_mut_slice(), o.args.as_slice())
                && join(a, b)
            {
                continue;
            }
            out.push((i, o.clone()));
        }
        out
    }

    /// The bytes of every `event` emission of an object, concatenated (the
    /// stream a joined event carries).
    pub fn joined_bytes(&self, object: &str, event: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for o in self.objects.get(object).into_iter().flatten() {
            if o.event == event {
                match o.args.first() {
                    Some(Value::Buffer(b)) => out.extend_from_slice(b),
                    Some(Value::String(s)) => out.extend_from_slice(s.as_bytes()),
                    _ => {}
                }
            }
        }
        out
    }
}

/// Appends `b` to `a` when both are strings or both are buffers.
fn join(a: &mut Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Buffer(x), Value::Buffer(y)) => {
            x.extend_from_slice(y);
            true
        }
        (Value::String(x), Value::String(y)) => {
            x.push_str(y);
            true
        }
        _ => false,
    }
}

/// Whether `value` matches `pattern`. A name matches the object registered
/// under it, or the plain value a script variable holds.
pub fn matches(pattern: &Pattern, value: &Value, vars: &Vars) -> bool {
    match pattern {
        Pattern::Any => true,
        Pattern::Exact(expected) => same(expected, value),
        Pattern::Type(t) => matches!(
            (t.as_str(), value),
            ("string", Value::String(_))
                | ("number", Value::Number(_))
                | ("boolean", Value::Bool(_))
                | ("Buffer", Value::Buffer(_))
                | ("function", Value::Function(_))
                | (
                    "object",
                    Value::Object(_) | Value::Error(_) | Value::Array(_) | Value::Handle { .. }
                )
        ),
        Pattern::Object { class, props, rest } => {
            let named = |k: &str| props.iter().any(|(n, _)| n == k);
            let fields = match (class, value) {
                // A plain object: exactly the named keys, unless `...`.
                (None, Value::Object(m)) => {
                    if !rest && m.keys().any(|k| !named(k)) {
                        return false;
                    }
                    m
                }
                // An error: exactly that class, and no code the pattern
                // does not name (messages and system details are not
                // pinned unless named).
                (Some(c), Value::Error(m)) => {
                    if !matches!(m.get("name"), Some(Value::String(n)) if n == c) {
                        return false;
                    }
                    if !named("code") && !matches!(m.get("code"), None | Some(Value::Undefined)) {
                        return false;
                    }
                    m
                }
                _ => return false,
            };
            props
                .iter()
                .all(|(k, p)| matches(p, fields.get(k).unwrap_or(&Value::Undefined), vars))
        }
        Pattern::Array(items) => match value {
            Value::Array(vs) => {
                vs.len() == items.len() && items.iter().zip(vs).all(|(p, v)| matches(p, v, vars))
            }
            _ => false,
        },
        Pattern::Name(n) => match (value, vars.get(n)) {
            (Value::Handle { id, .. }, _) => id == n,
            (v, Some(held)) => same(held, v),
            _ => false,
        },
        Pattern::Class(c) => matches!(value, Value::Handle { class, .. } if class == c),
        Pattern::Template(pieces) => {
            matches!(value, Value::Buffer(b) if template_matches(pieces, b, false, vars))
        }
    }
}

/// Whether `got` is what a template describes, or with `prefix`, could be
/// the start of it (a stream still arriving). A variable's piece is
/// its value's text; an unset variable matches nothing.
pub fn template_matches(pieces: &[Piece], got: &[u8], prefix: bool, vars: &Vars) -> bool {
    let mut at = 0;
    for piece in pieces {
        let rest = &got[at..];
        let text;
        let piece = match piece {
            Piece::Var(n) => match vars.get(n) {
                Some(Value::String(s)) => {
                    text = Piece::Bytes(s.clone().into_bytes());
                    &text
                }
                Some(Value::Number(x)) => {
                    text = Piece::Bytes(crate::number::to_js_string(*x).into_bytes());
                    &text
                }
                _ => return false,
            },
            p => p,
        };
        let (want, is_date) = match piece {
            Piece::Bytes(b) => (b.len(), false),
            Piece::Date | Piece::Var(_) => (29, true),
        };
        if rest.len() < want {
            return prefix
                && match piece {
                    Piece::Bytes(b) => b.starts_with(rest),
                    Piece::Date | Piece::Var(_) => true,
                };
        }
        let ok = if is_date {
            crate::http::is_http_date(&rest[..want])
        } else {
            matches!(piece, Piece::Bytes(b) if &rest[..want] == b.as_slice())
        };
        if !ok {
            return false;
        }
        at += want;
    }
    at == got.len()
}

/// Value equality as a spec means it: NaN equals NaN, numbers by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) | (Value::Error(x), Value::Error(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => a == b,
    }
}

/// The argument index each pattern of an events line applies to.
fn arg_index(class: Option<&str>, event: &str, args: &[ArgPattern]) -> Vec<usize> {
    let names = class
        .and_then(vocabulary::class)
        .and_then(|c| c.event(event))
        .map_or(&[][..], |e| e.args);
    let mut positional = 0;
    args.iter()
        .map(|a| match &a.name {
            Some(n) => names.iter().position(|x| x.name == n).unwrap_or(usize::MAX),
            None => {
                positional += 1;
                positional - 1
            }
        })
        .collect()
}

/// How many arguments an events line says the event has: every position up
/// to the last one it gives (a position a named argument skips is `_`).
/// Drivers drop trailing `undefined` arguments, so this is exact: `close`
/// is an emission with no argument, `close hadError=false` one with one.
pub fn arity(class: Option<&str>, event: &str, args: &[ArgPattern]) -> usize {
    arg_index(class, event, args)
        .into_iter()
        .map(|i| i.saturating_add(1))
        .max()
        .unwrap_or(0)
}

/// Whether an observed event matches an expected line: the same event,
/// exactly as many arguments as the line gives, each matching.
pub fn line_matches(class: Option<&str>, line: &EventLine, o: &Observed, vars: &Vars) -> bool {
    args_match(class, &line.event, &line.args, o, vars)
}

/// Whether an observed event matches a `wait`: a bare `wait obj event`
/// takes any emission of the event; with arguments, it matches like an
/// events line.
pub fn wait_matches(
    class: Option<&str>,
    event: &str,
    args: &[ArgPattern],
    o: &Observed,
    vars: &Vars,
) -> bool {
    if args.is_empty() {
        o.event == event
    } else {
        args_match(class, event, args, o, vars)
    }
}

fn args_match(
    class: Option<&str>,
    event: &str,
    args: &[ArgPattern],
    o: &Observed,
    vars: &Vars,
) -> bool {
    o.event == event
        && o.args.len() == arity(class, event, args)
        && arg_index(class, event, args)
            .into_iter()
            .zip(args)
            .all(|(i, a)| matches(&a.pattern, o.args.get(i).unwrap_or(&Value::Undefined), vars))
}

/// The difference for one object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectDiff {
    pub object: String,
    /// Index of the first event that differs.
    pub first: usize,
    pub expected: Vec<String>,
    pub actual: Vec<String>,
}

/// Expected lines grouped by object, in order.
pub fn expected_by_object(lines: &[EventLine]) -> BTreeMap<String, Vec<&EventLine>> {
    let mut out: BTreeMap<String, Vec<&EventLine>> = BTreeMap::new();
    for l in lines {
        out.entry(l.object.clone()).or_default().push(l);
    }
    out
}

/// Renders an observed event the way the events block would write it,
/// without the object: `close hadError=false`.
pub fn show_observed(class: Option<&str>, o: &Observed) -> String {
    render::event_text(&o.event, &render::observed_args(class, &o.event, &o.args))
}

/// Like [`show_observed`], but an error or object argument shows the
/// properties the expected line asks about (`syscall`, `port`…), so the
/// diff says what differs rather than only the code.
pub fn show_observed_against(
    class: Option<&str>,
    o: &Observed,
    expected: Option<&EventLine>,
) -> String {
    let mut args = render::observed_args(class, &o.event, &o.args);
    if let Some(line) = expected.filter(|l| l.event == o.event) {
        for (i, a) in arg_index(class, &line.event, &line.args)
            .into_iter()
            .zip(&line.args)
        {
            if let (Some(v), Some(slot)) = (o.args.get(i), args.get_mut(i)) {
                slot.pattern = pattern_against(v, &a.pattern);
            }
        }
    }
    render::event_text(&o.event, &args)
}

/// A value as a pattern a person compares with `expected`: an error or
/// object shows its `code` and every property `expected` asks about (so a
/// diff says what differs, not only the code); anything else as `record`
/// would write it.
pub fn pattern_against(v: &Value, expected: &Pattern) -> Pattern {
    let written = render::pattern_of(v);
    let (Pattern::Object { props, rest, .. }, Value::Object(fields) | Value::Error(fields)) =
        (expected, v)
    else {
        return written;
    };
    // A plain object shows all its keys, so an extra one is seen.
    if matches!(v, Value::Object(_)) && !rest {
        return written;
    }
    let class = match written {
        Pattern::Object { class, .. } => class,
        _ => None,
    };
    let mut shown: Vec<(String, Pattern)> = Vec::new();
    if let (Some(code), false) = (fields.get("code"), props.iter().any(|(k, _)| k == "code")) {
        shown.push(("code".into(), render::pattern_of(code)));
    }
    for (k, p) in props {
        let value = fields.get(k).cloned().unwrap_or(Value::Undefined);
        shown.push((k.clone(), pattern_against(&value, p)));
    }
    Pattern::Object {
        class,
        props: shown,
        rest: *rest,
    }
}

/// Whether every object has emitted at least its expected events, each
/// matching: the run may stop waiting.
pub fn covered(
    expected: &[EventLine],
    trace: &Trace,
    classes: &BTreeMap<String, &'static str>,
    chunks: Chunks,
) -> bool {
    expected_by_object(expected).iter().all(|(obj, lines)| {
        let class = classes.get(obj).copied();
        let actual = trace.normalized(obj, class, chunks);
        actual.len() >= lines.len()
            && lines
                .iter()
                .zip(&actual)
                .all(|(l, o)| line_matches(class, l, o, &trace.vars))
    })
}

/// Whether some object's events already differ in a way more events cannot
/// mend (a mismatch before the end, or extra events), so waiting longer is
/// pointless. Data still arriving is not a difference yet.
pub fn diverged(
    expected: &[EventLine],
    trace: &Trace,
    classes: &BTreeMap<String, &'static str>,
    chunks: Chunks,
) -> bool {
    let by_obj = expected_by_object(expected);
    trace.objects.keys().any(|obj| {
        let class = classes.get(obj).copied();
        let lines = by_obj.get(obj).cloned().unwrap_or_default();
        let actual = trace.normalized(obj, class, chunks);
        let first = lines
            .iter()
            .zip(&actual)
            .take_while(|(l, o)| line_matches(class, l, o, &trace.vars))
            .count();
        if first == actual.len() {
            return false;
        }
        if first == lines.len() {
            return true;
        }
        // A joined stream still arriving is not a difference yet, if what
        // came so far is the start of what is expected.
        let growing = chunks == Chunks::Joined
            && first + 1 == actual.len()
            && vocabulary::joins(class, &actual[first].event)
            && lines[first].event == actual[first].event
            && match (
                lines[first].args.first().map(|a| &a.pattern),
                actual[first].args.first(),
            ) {
                (Some(Pattern::Exact(Value::String(want))), Some(Value::String(got))) => {
                    want.starts_with(got.as_str())
                }
                (Some(Pattern::Exact(Value::Buffer(want))), Some(Value::Buffer(got))) => {
                    want.starts_with(got)
                }
                (Some(Pattern::Template(pieces)), Some(Value::Buffer(got))) => {
                    template_matches(pieces, got, true, &trace.vars)
                }
                _ => false,
            };
        !growing
    })
}

/// Compares; returns one diff per object that differs. `objects` lists
/// every object the case names (those without lines must emit nothing).
pub fn compare(
    expected: &[EventLine],
    trace: &Trace,
    classes: &BTreeMap<String, &'static str>,
    chunks: Chunks,
) -> Vec<ObjectDiff> {
    let by_obj = expected_by_object(expected);
    // Every object, named or not: an object the case never named (`#n`)
    // must emit nothing the case did not expect.
    let mut names: Vec<String> = classes.keys().cloned().collect();
    for k in by_obj.keys().chain(trace.objects.keys()) {
        if !names.contains(k) {
            names.push(k.clone());
        }
    }
    let mut diffs = Vec::new();
    for obj in names {
        let class = classes
            .get(&obj)
            .copied()
            .or_else(|| trace.anonymous_class(&obj));
        let lines = by_obj.get(&obj).cloned().unwrap_or_default();
        let actual = trace.normalized(&obj, class, chunks);
        let first = lines
            .iter()
            .zip(&actual)
            .take_while(|(l, o)| line_matches(class, l, o, &trace.vars))
            .count();
        if first == lines.len() && first == actual.len() {
            continue;
        }
        diffs.push(ObjectDiff {
            object: obj.clone(),
            first,
            expected: lines
                .iter()
                .map(|l| render::event_text(&l.event, &l.args))
                .collect(),
            actual: actual
                .iter()
                .enumerate()
                .map(|(k, o)| show_observed_against(class, o, lines.get(k).copied()))
                .collect(),
        });
    }
    diffs
}

/// A readable diff: matching events once, then the expected rest (`-`) and
/// the actual rest (`+`), the first divergence marked.
pub fn render_diffs(diffs: &[ObjectDiff]) -> String {
    let mut s = String::new();
    for d in diffs {
        let what = if d.object.starts_with('#') {
            " (an object the case did not name)"
        } else {
            ""
        };
        let _ = writeln!(s, "  {}{what}: differs at event {}", d.object, d.first + 1);
        for line in d.actual.iter().take(d.first) {
            let _ = writeln!(s, "        {line}");
        }
        for (k, line) in d.expected.iter().enumerate().skip(d.first) {
            let mark = if k == d.first { ">" } else { " " };
            let _ = writeln!(s, "    {mark} - {}", clip(line));
        }
        if d.expected.len() <= d.first {
            let _ = writeln!(s, "    > - (nothing more)");
        }
        for (k, line) in d.actual.iter().enumerate().skip(d.first) {
            let mark = if k == d.first { ">" } else { " " };
            let _ = writeln!(s, "    {mark} + {}", clip(line));
        }
        if d.actual.len() <= d.first {
            let _ = writeln!(s, "    > + (nothing more)");
        }
    }
    s
}

/// Long lines (a megabyte of data) are shortened for display.
fn clip(line: &str) -> String {
    const MAX: usize = 300;
    if line.chars().count() <= MAX {
        line.to_string()
    } else {
        let head: String = line.chars().take(MAX).collect();
        format!("{head}… ({} characters)", line.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::parse;

    fn lines(text: &str) -> Vec<EventLine> {
        text.lines()
            .enumerate()
            .filter_map(|(i, l)| parse::event_line(l, i + 1).unwrap())
            .collect()
    }

    fn classes() -> BTreeMap<String, &'static str> {
        BTreeMap::from([
            ("c".to_string(), "net.Socket"),
            ("s".to_string(), "net.Server"),
        ])
    }

    #[test]
    fn data_is_joined_and_objects_are_independent() {
        let mut t = Trace::default();
        t.push("c", "data", vec![Value::Buffer(b"hel".to_vec())]);
        t.push("s", "listening", vec![]);
        t.push("c", "data", vec![Value::Buffer(b"lo".to_vec())]);
        t.push("c", "close", vec![Value::Bool(false)]);
        let exp = lines("c data Buffer.from(\"hello\")\nc close hadError=false\ns listening");
        assert!(covered(&exp, &t, &classes(), Chunks::Joined));
        assert!(compare(&exp, &t, &classes(), Chunks::Joined).is_empty());
        assert_eq!(compare(&exp, &t, &classes(), Chunks::Exact).len(), 1);
    }

    #[test]
    fn arity_is_exact() {
        let mut t = Trace::default();
        t.push(
            "s",
            "listening",
            vec![
                Value::Null,
                Value::String("127.0.0.1".into()),
                Value::Number(8080.0),
            ],
        );
        t.push("c", "close", vec![Value::Bool(false), Value::Number(1.0)]);
        let exp = lines("s listening\nc close hadError=false");
        let diffs = compare(&exp, &t, &classes(), Chunks::Joined);
        assert_eq!(diffs.len(), 2, "{diffs:?}");
        // A named argument counts every position before it: `_` there.
        let exp = lines("c lookup family=4");
        let mut t = Trace::default();
        t.push(
            "c",
            "lookup",
            vec![Value::Null, Value::String("::1".into()), Value::Number(4.0)],
        );
        assert!(compare(&exp, &t, &classes(), Chunks::Joined).is_empty());
        t.push("c", "close", vec![]);
        let exp = lines("c lookup family=4\nc close _");
        assert_eq!(compare(&exp, &t, &classes(), Chunks::Joined).len(), 1);
    }

    #[test]
    fn a_diff_marks_the_first_divergence() {
        let mut t = Trace::default();
        t.push("c", "end", vec![]);
        t.push("c", "close", vec![Value::Bool(true)]);
        let exp = lines("c end\nc finish\nc close hadError=false");
        let diffs = compare(&exp, &t, &classes(), Chunks::Joined);
        assert_eq!(diffs[0].first, 1);
        insta::assert_snapshot!("diff_first_divergence", render_diffs(&diffs));
    }

    #[test]
    fn patterns_match_errors_by_name_and_code() {
        let err = Value::Error(BTreeMap::from([
            ("name".into(), Value::String("RangeError".into())),
            ("code".into(), Value::String("ERR_SOCKET_BAD_PORT".into())),
        ]));
        let p = |s: &str| parse::pattern(s).unwrap();
        assert!(matches(
            &p(r#"RangeError {code: "ERR_SOCKET_BAD_PORT"}"#),
            &err,
            &Vars::new()
        ));
        assert!(!matches(
            &p(r#"TypeError {code: "ERR_SOCKET_BAD_PORT"}"#),
            &err,
            &Vars::new()
        ));
        assert!(!matches(&p(r#"{code: "X"}"#), &err, &Vars::new()));
        // An error pattern checks the class exactly, and an error's code
        // unless the pattern names it.
        assert!(!matches(
            &p(r#"Error {code: "ERR_SOCKET_BAD_PORT"}"#),
            &err,
            &Vars::new()
        ));
        assert!(!matches(&p("RangeError"), &err, &Vars::new()));
        // A plain pattern matches plain objects only, with exactly its keys
        // unless it says `...`.
        assert!(!matches(
            &p(r#"{code: "ERR_SOCKET_BAD_PORT"}"#),
            &err,
            &Vars::new()
        ));
        let obj = Value::Object(BTreeMap::from([
            ("a".into(), Value::Number(1.0)),
            ("b".into(), Value::Number(2.0)),
        ]));
        assert!(!matches(&p("{a: 1}"), &obj, &Vars::new()));
        assert!(matches(&p("{a: 1, ...}"), &obj, &Vars::new()));
        assert!(matches(&p("{a: 1, b: 2}"), &obj, &Vars::new()));
        assert!(!matches(&p("{}"), &obj, &Vars::new()));
        assert!(parse::pattern("Error {code: \"X\", ...}").is_err());
        assert!(matches(&p("<number>"), &Value::Number(3.0), &Vars::new()));
        assert!(!matches(
            &p(r#""hi""#),
            &Value::Buffer(b"hi".to_vec()),
            &Vars::new()
        ));
        let vars = Vars::from([("port".to_string(), Value::Number(8080.0))]);
        assert!(matches(
            &p("{port: port}"),
            &Value::Object(BTreeMap::from([("port".into(), Value::Number(8080.0))])),
            &vars
        ));
        assert!(!matches(&p("port"), &Value::Number(80.0), &vars));
    }

    #[test]
    fn a_template_variable_is_its_value_as_javascript_prints_it() {
        let p =
            crate::spec::parse::pattern(r#"Buffer.concat(["Host: h:", <port>, "\r\n"])"#).unwrap();
        let got = |s: &str| Value::Buffer(s.as_bytes().to_vec());
        let vars = Vars::from([("port".to_string(), Value::Number(8080.0))]);
        assert!(matches(&p, &got("Host: h:8080\r\n"), &vars));
        assert!(!matches(&p, &got("Host: h:8081\r\n"), &vars));
        assert!(!matches(&p, &got("Host: h:8080.0\r\n"), &vars));
        // Unset: nothing matches.
        assert!(!matches(&p, &got("Host: h:8080\r\n"), &Vars::new()));
        let Pattern::Template(pieces) = &p else {
            unreachable!()
        };
        assert!(template_matches(pieces, b"Host: h:80", true, &vars));
        assert!(!template_matches(pieces, b"Host: h:9", true, &vars));
    }

    #[test]
    fn a_template_matches_its_bytes_around_an_http_date() {
        let p = crate::spec::parse::pattern(
            r#"Buffer.concat(["HTTP/1.1 400 Bad\r\nDate: ", <date>, "\r\n\r\n"])"#,
        )
        .unwrap();
        assert_eq!(
            render::pattern(&p),
            r#"Buffer.concat(["HTTP/1.1 400 Bad\r\nDate: ", <date>, "\r\n\r\n"])"#
        );
        let got = |s: &str| Value::Buffer(s.as_bytes().to_vec());
        let vars = Vars::default();
        let good = "HTTP/1.1 400 Bad\r\nDate: Mon, 30 Nov 2026 09:00:00 GMT\r\n\r\n";
        assert!(matches(&p, &got(good), &vars));
        // Not a date, one byte more, one byte less, a string: no.
        assert!(!matches(&p, &got(&good.replace("GMT", "UTC")), &vars));
        assert!(!matches(&p, &got(&format!("{good}x")), &vars));
        assert!(!matches(&p, &got(&good[..good.len() - 1]), &vars));
        assert!(!matches(&p, &Value::String(good.into()), &vars));
        let Pattern::Template(pieces) = &p else {
            unreachable!()
        };
        // A stream still arriving may be the start of it.
        assert!(template_matches(
            pieces,
            b"HTTP/1.1 400 Bad\r\nDate: Mon, 3",
            true,
            &vars
        ));
        assert!(!template_matches(pieces, b"HTTP/1.1 500", true, &vars));
    }
}

//! Writes values, patterns and event lines back as spec text: for `record`,
//! for diffs, and for the round-trip property (render, parse, compare).

use super::ast::{ArgPattern, EventLine, Pattern, Piece};
use super::vocabulary;
use crate::protocol::Value;

/// Long runs of one byte are written as `Buffer.alloc(n, "x")`.
const RUN_THRESHOLD: usize = 64;

fn string_literal(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn key(k: &str) -> String {
    if is_ident(k) {
        k.to_string()
    } else {
        string_literal(k)
    }
}

fn number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A value as a spec literal that parses back to the same value.
pub fn value(v: &Value) -> String {
    match v {
        Value::Undefined => "undefined".into(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number(*n),
        Value::String(s) => {
            let first = s.chars().next();
            if s.len() >= RUN_THRESHOLD && first.is_some_and(|f| s.chars().all(|c| c == f)) {
                let f = first.unwrap_or(' ').to_string();
                format!("{}.repeat({})", string_literal(&f), s.chars().count())
            } else {
                string_literal(s)
            }
        }
        Value::Buffer(b) => buffer(b),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(value).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => {
            let members: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", key(k), value(v)))
                .collect();
            format!("{{{}}}", members.join(", "))
        }
        Value::Error(m) => {
            let name = error_name(m);
            // Messages are not matched by default, so a recorded error
            // names its code; only an error without one keeps its message.
            let props: Vec<String> = match m.get("code") {
                Some(code) => vec![format!("code: {}", value(code))],
                None => m
                    .get("message")
                    .map(|msg| format!("message: {}", value(msg)))
                    .into_iter()
                    .collect(),
            };
            if props.is_empty() {
                name
            } else {
                format!("{name} {{{}}}", props.join(", "))
            }
        }
        Value::Handle { class, id } => {
            if id.starts_with('#') {
                class.clone()
            } else {
                id.clone()
            }
        }
        Value::Function(_) => "<function>".into(),
    }
}

/// An error's class as written: its `name`, which need not be one the spec
/// language knows (Bun's lookup errors are `DNSException`: a diff must say
/// so rather than show `Error` on both sides).
fn error_name(m: &std::collections::BTreeMap<String, Value>) -> String {
    match m.get("name") {
        Some(Value::String(n)) if is_ident(n) => n.clone(),
        _ => "Error".into(),
    }
}

fn buffer(b: &[u8]) -> String {
    if b.len() >= RUN_THRESHOLD && b.iter().all(|x| *x == b[0]) {
        return if b[0].is_ascii_graphic() && b[0] != b'"' && b[0] != b'\\' {
            format!("Buffer.alloc({}, \"{}\")", b.len(), b[0] as char)
        } else {
            format!("Buffer.alloc({}, {})", b.len(), b[0])
        };
    }
    match std::str::from_utf8(b) {
        Ok(s)
            if s.chars()
                .all(|c| !c.is_control() || c == '\n' || c == '\r' || c == '\t') =>
        {
            format!("Buffer.from({})", string_literal(s))
        }
        _ => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            format!("Buffer.from(\"{hex}\", \"hex\")")
        }
    }
}

/// A pattern as spec text.
pub fn pattern(p: &Pattern) -> String {
    match p {
        Pattern::Any => "_".into(),
        Pattern::Exact(v) => value(v),
        Pattern::Type(t) => format!("<{t}>"),
        Pattern::Object { class, props, rest } => {
            let mut members: Vec<String> = props
                .iter()
                .map(|(k, p)| format!("{}: {}", key(k), pattern(p)))
                .collect();
            if *rest {
                members.push("...".into());
            }
            match (class, members.is_empty()) {
                (Some(c), true) => c.clone(),
                (Some(c), false) => format!("{c} {{{}}}", members.join(", ")),
                (None, _) => format!("{{{}}}", members.join(", ")),
            }
        }
        Pattern::Array(items) => format!(
            "[{}]",
            items.iter().map(pattern).collect::<Vec<_>>().join(", ")
        ),
        Pattern::Name(n) | Pattern::Class(n) => n.clone(),
        Pattern::Template(pieces) => format!(
            "Buffer.concat([{}])",
            pieces
                .iter()
                .map(|p| match p {
                    Piece::Date => "<date>".to_string(),
                    Piece::Var(n) => format!("<{n}>"),
                    Piece::Bytes(b) => match std::str::from_utf8(b) {
                        Ok(s) => string_literal(s),
                        Err(_) => buffer(b),
                    },
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn arg(a: &ArgPattern) -> String {
    match &a.name {
        Some(n) => format!("{n}={}", pattern(&a.pattern)),
        None => pattern(&a.pattern),
    }
}

/// An events line, with the object column padded to `width`.
pub fn event_line(line: &EventLine, width: usize) -> String {
    format!(
        "{:width$}  {}",
        line.object,
        event_text(&line.event, &line.args)
    )
}

/// An event and its arguments, without the object: `close hadError=false`.
pub fn event_text(event: &str, args: &[ArgPattern]) -> String {
    let mut s = event.to_string();
    for a in args {
        s.push(' ');
        s.push_str(&arg(a));
    }
    s
}

/// The canonical pattern for an observed value: what `record` writes.
/// Objects become names (or class patterns when unnamed), errors keep their
/// name and code, plain objects and arrays are matched member by member.
pub fn pattern_of(v: &Value) -> Pattern {
    match v {
        Value::Handle { class, id } if id.starts_with('#') => Pattern::Class(class.clone()),
        Value::Handle { id, .. } => Pattern::Name(id.clone()),
        Value::Function(_) => Pattern::Type("function".into()),
        Value::Array(items) => Pattern::Array(items.iter().map(pattern_of).collect()),
        Value::Object(m) => Pattern::Object {
            class: None,
            props: m.iter().map(|(k, v)| (k.clone(), pattern_of(v))).collect(),
            rest: false,
        },
        Value::Error(m) => {
            // As `value` writes it: the code, or else the message.
            let props = match m.get("code") {
                Some(code) => vec![("code".to_string(), pattern_of(code))],
                None => m
                    .get("message")
                    .map(|msg| ("message".to_string(), pattern_of(msg)))
                    .into_iter()
                    .collect(),
            };
            Pattern::Object {
                class: Some(error_name(m)),
                props,
                rest: false,
            }
        }
        other => Pattern::Exact(other.clone()),
    }
}

/// Arguments of an observed event as patterns: named where the vocabulary
/// says so (`close hadError=false`), positional otherwise.
pub fn observed_args(class: Option<&str>, event: &str, args: &[Value]) -> Vec<ArgPattern> {
    let ev = class
        .and_then(vocabulary::class)
        .and_then(|c| c.event(event));
    args.iter()
        .enumerate()
        .map(|(i, v)| ArgPattern {
            name: ev
                .filter(|e| e.named)
                .and_then(|e| e.args.get(i))
                .map(|a| a.name.to_string()),
            pattern: pattern_of(v),
            col: 0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn values_render_as_literals_that_parse_back() {
        let samples = vec![
            Value::Buffer(b"hello\n".to_vec()),
            Value::Buffer(vec![0, 255, 7]),
            Value::Buffer(vec![b'x'; 100]),
            Value::String("y".repeat(70)),
            Value::Object(BTreeMap::from([
                ("a-b".into(), Value::Number(1.5)),
                ("port".into(), Value::Number(80.0)),
            ])),
            Value::Array(vec![
                Value::Null,
                Value::Undefined,
                Value::Number(f64::NEG_INFINITY),
            ]),
        ];
        for v in samples {
            let text = value(&v);
            assert_eq!(
                super::super::parse::pattern(&text).unwrap(),
                pattern_of(&v),
                "{text}"
            );
        }
        let err = Value::Error(BTreeMap::from([
            ("name".into(), Value::String("RangeError".into())),
            ("code".into(), Value::String("ERR_SOCKET_BAD_PORT".into())),
            ("message".into(), Value::String("no".into())),
        ]));
        assert_eq!(value(&err), r#"RangeError {code: "ERR_SOCKET_BAD_PORT"}"#);
    }
}

#[cfg(test)]
mod round_trip {
    //! A case written back to Markdown, as `record` does, parses to the
    //! same case.
    use super::*;
    use crate::spec::{LoadOptions, parse_file};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Undefined),
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-1.0e6..1.0e6f64).prop_map(Value::Number),
            any::<i32>().prop_map(|n| Value::Number(n as f64)),
            Just(Value::Number(f64::INFINITY)),
            ".*".prop_map(Value::String),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Buffer),
            (1usize..200, any::<u8>()).prop_map(|(n, b)| Value::Buffer(vec![b; n])),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(2, 12, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z][a-zA-Z0-9]{0,6}|.{0,4}", inner, 0..4)
                    .prop_map(Value::Object),
                ("[A-Z_]{1,12}", "(Range|Type)?Error").prop_map(|(code, name)| Value::Error(
                    BTreeMap::from([
                        ("code".to_string(), Value::String(code)),
                        ("name".to_string(), Value::String(name)),
                    ])
                )),
            ]
        })
    }

    /// (object, event, args) triples that the checker accepts: socket and
    /// server events with their declared arities.
    fn line() -> impl Strategy<Value = (String, String, Vec<Value>)> {
        prop_oneof![
            ("data", proptest::collection::vec(value(), 1..2)).prop_map(|(e, a)| (
                "client".to_string(),
                e.to_string(),
                a
            )),
            any::<bool>().prop_map(|b| (
                "client".to_string(),
                "close".to_string(),
                vec![Value::Bool(b)]
            )),
            value().prop_map(|v| ("client".to_string(), "error".to_string(), vec![v])),
            (value(), value()).prop_map(|(a, b)| (
                "client".to_string(),
                "lookup".to_string(),
                vec![Value::Null, a, Value::Number(4.0), b]
            )),
            Just(("server".to_string(), "listening".to_string(), vec![])),
            Just(("client".to_string(), "end".to_string(), vec![])),
        ]
    }

    proptest! {
        #[test]
        fn a_recorded_case_parses_back_unchanged(lines in proptest::collection::vec(line(), 0..8)) {
            let rendered: Vec<String> = lines
                .iter()
                .map(|(obj, ev, args)| {
                    let line = EventLine {
                        object: obj.clone(),
                        event: ev.clone(),
                        args: observed_args(Some(if obj == "server" { "net.Server" } else { "net.Socket" }), ev, args),
                        pos: Default::default(),
                        event_col: 0,
                    };
                    event_line(&line, 6)
                })
                .collect();
            let text = format!(
                "# T\n\n## case\n<!-- {{\"chunks\": \"exact\"}} -->\nhttps://nodejs.org/api/net.html\n\n```script\nserver = net.createServer()\nclient = net.connect(1)\n```\n\n```events\n{}\n```\n",
                rendered.join("\n")
            );
            let cases = parse_file(&text, "t.md", "net/t", LoadOptions::default()).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
            let parsed = cases[0].case.events.clone().unwrap_or_default();
            prop_assert_eq!(parsed.len(), lines.len());
            for (p, (obj, ev, args)) in parsed.iter().zip(&lines) {
                let class = if obj == "server" { "net.Server" } else { "net.Socket" };
                prop_assert_eq!(&p.object, obj);
                prop_assert_eq!(&p.event, ev);
                let expected = observed_args(Some(class), ev, args);
                let got: Vec<(Option<String>, Pattern)> = p.args.iter().map(|a| (a.name.clone(), a.pattern.clone())).collect();
                let want: Vec<(Option<String>, Pattern)> = expected.into_iter().map(|a| (a.name, a.pattern)).collect();
                prop_assert_eq!(got, want);
            }
        }
    }
}

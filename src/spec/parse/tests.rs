//! The parser on script lines, event lines and patterns.

use std::time::Duration;

use super::*;
use crate::protocol::Value;

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
    let StmtKind::Eval { expr, .. } =
        stmt(r#"c.write(Buffer.alloc(3, "ab"), "x".repeat(2), Buffer.from("6869", "hex"), -1)"#)
    else {
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

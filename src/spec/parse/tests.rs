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

/// Deep nesting is an error, not a stack overflow: the fuzz target's
/// crashing input was a script line of a few thousand `[`.
#[test]
fn nesting_is_bounded() {
    // `[[1]]` is three levels: two arrays and the number.
    let nest = |n: usize| format!("x = {}1{}", "[".repeat(n), "]".repeat(n));
    assert!(statement(&nest(MAX_DEPTH - 1), 1).is_ok());
    assert!(statement(&nest(MAX_DEPTH), 1).is_err());
    let deep = format!("x = {}", "[".repeat(100_000));
    assert_eq!(
        statement(&deep, 1).unwrap_err(),
        (5 + MAX_DEPTH, format!("nested more than {MAX_DEPTH} deep"))
    );
    let typeofs = format!("x = {}s", "typeof ".repeat(10_000));
    assert!(statement(&typeofs, 1).is_err());
    let patterns = format!("s error {}", "{a: ".repeat(10_000));
    assert!(event_line(&patterns, 1).is_err());
}

/// The lines of one file share a data budget, spent before building.
#[test]
fn data_literals_share_a_budget() {
    let mut budget = DataBudget::new(10);
    assert!(statement_with("a = Buffer.alloc(6)", 1, &mut budget).is_ok());
    assert_eq!(
        statement_with(r#"b = "xy".repeat(3)"#, 2, &mut budget).unwrap_err(),
        (
            16,
            format!("the data literals of this file make more than {MAX_FILE_DATA} bytes")
        )
    );
    assert!(event_line_with(r#"s data "xy".repeat(2)"#, 3, &mut budget).is_ok());
    assert_eq!(budget, DataBudget::new(0));
    assert_eq!(
        event_line_with("s data Buffer.alloc(1)", 4, &mut budget)
            .unwrap_err()
            .0,
        15
    );
}

//! Fuzzes the spec loader, `nodecompat::spec::parse_file`: any text must
//! load or be rejected, never panic, and every rejection must point at a
//! place in the text as `file:line:col: message`.
//!
//! Hangs are libFuzzer's to catch: run with `-timeout=N` (fuzz/README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nodecompat::spec::{LoadOptions, SpecError, parse_file};

const FILE: &str = "fuzz/input.md";

fuzz_target!(|data: &[u8]| {
    // Input that is not UTF-8 is skipped, not converted lossily: the real
    // loader (`spec::load_file`) reads files with `fs::read_to_string`,
    // which rejects such bytes before the parser sees them, and a lossy
    // conversion would only add U+FFFD, which valid inputs reach anyway.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `run` loads strictly; `record` accepts cases without `events`.
    for allow_missing_events in [false, true] {
        let opts = LoadOptions {
            allow_missing_events,
        };
        match parse_file(text, FILE, "fuzz/input", opts) {
            Ok(cases) => {
                for lc in &cases {
                    assert!(lc.case.id.starts_with("fuzz/input/"), "{}", lc.case.id);
                }
            }
            Err(errors) => {
                assert!(!errors.is_empty(), "a rejection with no error");
                for e in &errors {
                    check_position(text, e);
                }
            }
        }
    }
});

/// The error renders as `file:line:col: message`, with a 1-based line of
/// the text and a 1-based column at most one past the line's end. Columns
/// are counted in chars by the lexer and in bytes by the Markdown pass, so
/// the bound is the line's length in bytes, which is the larger.
fn check_position(text: &str, e: &SpecError) {
    let rendered = e.to_string();
    let prefix = format!("{FILE}:{}:{}: ", e.pos.line, e.pos.col);
    assert!(rendered.starts_with(&prefix), "{rendered:?}");
    assert!(!e.message.is_empty(), "{rendered:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        (1..=lines.len()).contains(&e.pos.line),
        "line {} of {} lines: {rendered:?}",
        e.pos.line,
        lines.len()
    );
    let len = lines[e.pos.line - 1].len();
    assert!(
        (1..=len + 1).contains(&e.pos.col),
        "column {} on a line of {len} bytes: {rendered:?}",
        e.pos.col
    );
}

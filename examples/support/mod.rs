//! What the example programs share: JSON lines on stdout, and failing with
//! a message. Included by each with `#[path = "support/mod.rs"] mod
//! support;` (a folder under `examples/` is not an example of its own).

use std::io::Write as _;

/// Prints one JSON line on stdout; the process ends if stdout is gone
/// (its orchestrator ended).
pub fn emit(value: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{value}").and_then(|()| out.flush()).is_err() {
        std::process::exit(1);
    }
}

/// Reports a failure on stderr, prefixed with the program's name, and
/// ends the process with status 1.
pub fn fail(message: &str) -> ! {
    let program = std::env::args()
        .next()
        .and_then(|p| {
            std::path::Path::new(&p)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "example".into());
    eprintln!("{program}: {message}");
    std::process::exit(1);
}

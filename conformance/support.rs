//! What the test targets share: the checkout, the `node` to run, and the
//! CLI as a person runs it.

#![allow(dead_code)] // each target uses its own part

use std::path::PathBuf;
use std::process::Command;

/// The checkout.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `node` (or `NODECOMPAT_NODE`) if it runs; `None` when it is not there
/// (the tests that need it are then reported as ignored, with the
/// reason).
pub fn node() -> Option<String> {
    let node = std::env::var("NODECOMPAT_NODE").unwrap_or_else(|_| "node".into());
    Command::new(&node)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        .then_some(node)
}

/// Runs `nodecompat ARGS` in the checkout: (exit status, stdout, stderr).
pub fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nodecompat"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("the CLI runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

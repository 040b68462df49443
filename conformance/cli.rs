//! The command line as a person uses it: selecting cases (`--exact`,
//! `--failed-from`), `run --repeat`, what a closed pipe does, the help
//! text and the coverage report (snapshotted). A test that needs `node` (for the fake driver) is
//! reported as ignored, with the reason, when it is not on PATH.

use std::process::{Command, Stdio};

#[path = "support.rs"]
mod support;
use support::{cli, root};

use libtest_mimic::{Arguments, Completion, Trial};

/// The ids a `list` printed.
fn ids(listing: &str) -> Vec<&str> {
    listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(root().join("conformance").join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

/// `net/server-state/max-connections` is a substring of two other ids (it
/// is one of the suite's ids that are): a filter selects all three,
/// `--exact` just it.
fn exact_selects_one_case_a_substring_selects_three() {
    let id = "net/server-state/max-connections";
    let (code, out, err) = cli(&["list", id]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        ids(&out),
        [
            id,
            "net/server-state/max-connections-zero",
            "net/server-state/max-connections-zero-drops"
        ]
    );
    let (code, out, err) = cli(&["list", "--exact", id]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(ids(&out), [id]);
    let (code, out, err) = cli(&["run", "--exact", id, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("a JSON report");
    let ran: Vec<&str> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ran, [id]);
}

fn an_exact_id_that_names_no_case_is_an_error_naming_it() {
    let (code, out, err) = cli(&[
        "run",
        "--exact",
        "net/server-state/max-conections",
        "net/connect/timeout",
        "net/server-state",
    ]);
    assert_eq!(code, 2);
    assert_eq!(out, "", "nothing ran");
    settings().bind(|| insta::assert_snapshot!("cli__unknown_exact_ids", err));
    for command in ["list", "matrix", "mutants"] {
        let (code, _, err2) = cli(&[command, "--exact", "net/server-state/max-conections"]);
        assert_eq!(code, 2, "{command}");
        assert_eq!(err2.lines().next(), err.lines().next(), "{command}");
    }
    // record: the exact id is checked against the file's cases before
    // anything is run or written.
    let (code, _, err) = cli(&[
        "record",
        "spec/net/server-state.md",
        "--exact",
        "--case",
        "net/server-state/max-conections",
        "--impl",
        "reference",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "spec/net/server-state.md: no case has the id `net/server-state/max-conections` (did you mean `net/server-state/max-connections`?)"
        ),
        "{err}"
    );
}

/// A JSON report whose `net/is-ip/ipv4` (a substring of another id) and
/// `net/is-ip/ipv6` say `failed` and `xfail`: `--failed-from` reruns the
/// first only.
fn failed_from_reruns_exactly_what_failed() {
    let (code, out, err) = cli(&["run", "net/is-ip", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let mut report: serde_json::Value = serde_json::from_str(&out).expect("a JSON report");
    for r in report["results"].as_array_mut().expect("results") {
        match r["id"].as_str() {
            Some("net/is-ip/ipv4") => r["status"] = "failed".into(),
            Some("net/is-ip/ipv6") => r["status"] = "xfail".into(),
            _ => {}
        }
    }
    let dir = std::env::temp_dir().join(format!("nodecompat-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("report.json");
    std::fs::write(&file, report.to_string()).expect("written");
    let path = file.display().to_string();

    let (code, out, err) = cli(&["list", "--failed-from", &path]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(ids(&out), ["net/is-ip/ipv4"]);
    let (code, out, err) = cli(&["run", "--failed-from", &path, "--format", "tap"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1..1\nok 1 - net/is-ip/ipv4"), "{out}");
    // Filters narrow it further; nothing left is nothing to rerun.
    let (code, out, err) = cli(&["run", "--failed-from", &path, "dgram/"]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert!(err.contains("nothing to rerun"), "{err}");

    report["schema"] = 99.into();
    std::fs::write(&file, report.to_string()).expect("written");
    let (code, _, err) = cli(&["run", "--failed-from", &path]);
    assert_eq!(code, 2);
    settings().bind(|| {
        insta::assert_snapshot!("cli__failed_from_schema", err.replace(&path, "REPORT.json"))
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn repeat_on_a_stable_implementation_finds_nothing() {
    let (code, out, err) = cli(&["run", "--repeat", "2", "net/is-ip"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.starts_with("run 1 of 2\n"), "{out}");
    assert!(out.contains("\nrun 2 of 2\n"), "{out}");
    assert!(out.ends_with("\n2 runs: 0 unstable case(s)\n"), "{out}");
    let (code, out, err) = cli(&["run", "--repeat", "2", "net/is-ip", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("a JSON report");
    assert_eq!(
        report["repeat"],
        serde_json::json!({"runs": 2, "unstable": []})
    );
    let (code, _, err) = cli(&["run", "--repeat", "0"]);
    assert_eq!(code, 2, "{err}");
}

/// The fake driver with `--flip` crashes on every other case it begins:
/// over three runs one case fails, passes, fails.
fn repeat_reports_a_case_whose_result_changes() {
    let dir = std::env::temp_dir().join(format!("nodecompat-flip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let counter = dir.join("count");
    let imp = format!(
        "node {} --flip {}",
        root().join("fixtures/drivers/fake-driver.js").display(),
        counter.display()
    );
    let (code, out, err) = cli(&[
        "run",
        "--spec-dir",
        "fixtures/robust-spec",
        "--impl",
        &imp,
        "--repeat",
        "3",
        "--exact",
        "robust/cases/first",
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 1, "{err}\n{out}");
    assert!(
        out.contains(
            "\nUNSTABLE robust/cases/first: failed, passed, failed\n3 runs: 1 unstable case(s)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("  unstable over 3 runs:\n    run 1: failed: during line `net.isIP"),
        "{out}"
    );
}

/// Writing to a pipe whose reader is gone ends the command quietly with
/// status 141, whatever the command.
fn a_closed_pipe_ends_each_command_quietly() {
    for args in [
        &["list"][..],
        &["impls"],
        &["run", "net/is-ip", "--format", "json"],
        &["run", "net/is-ip"],
        &["--help"],
        &["matrix", "--impl", "reference", "--exact", "net/is-ip/ipv4"],
    ] {
        // The reading end is closed before the command starts: its first
        // write finds no reader. (A pipe whose reader this process held
        // could leak, for an instant, into a command another test starts.)
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_nodecompat"))
            .current_dir(root())
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("the CLI runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(141), "{args:?}: {err}");
        // Nothing about the pipe (matrix says its progress on stderr).
        assert!(
            !err.contains("panicked") && !err.contains("pipe"),
            "{args:?}: {err}"
        );
        if args[0] != "matrix" {
            assert_eq!(err, "", "{args:?}");
        }
    }
}

fn help_says_how_to_select_cases() {
    for (name, args) in [
        ("run", &["run", "--help"][..]),
        ("list", &["list", "--help"]),
        ("record", &["record", "--help"]),
    ] {
        let (code, out, _) = cli(args);
        assert_eq!(code, 0);
        settings().bind(|| insta::assert_snapshot!(format!("cli__help_{name}"), out));
    }
}

/// `coverage` prints the numbers per module (snapshotted: they change
/// only when cases start or stop covering items) and exits 0 on the suite;
/// a case naming an id the catalogue lacks makes `check` and `coverage`
/// fail, naming the file, the case and the nearest id.
fn coverage_reports_numbers_and_stale_names() {
    let (code, out, err) = cli(&["coverage"]);
    assert_eq!(code, 0, "{err}");
    settings().bind(|| insta::assert_snapshot!("cli__coverage", out));
    let dir = std::env::temp_dir().join(format!("nc-coverage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("spec/net")).expect("a scratch project");
    std::fs::create_dir_all(dir.join("catalogue")).expect("a scratch project");
    std::fs::copy(
        root().join("catalogue/node-api.md"),
        dir.join("catalogue/node-api.md"),
    )
    .expect("the catalogue");
    let spec = std::fs::read_to_string(root().join("spec/net/is-ip.md")).expect("a spec");
    let spec = spec.replacen("\"net.isIPv6()\"", "\"net.isIPV6()\"", 1);
    std::fs::write(dir.join("spec/net/is-ip.md"), spec).expect("the spec");
    let spec_dir = dir.join("spec");
    let spec_dir = spec_dir.to_str().expect("a UTF-8 path");
    for command in ["check", "coverage"] {
        let (code, _, err) = cli(&["--spec-dir", spec_dir, command]);
        assert_eq!(code, 2, "{command}: {err}");
        assert!(
            err.contains(
                "is-ip.md:13:1: case `net/is-ip/ipv4` covers `net.isIPV6()`, which is no item of"
            ) && err.contains("did you mean `net.isIPv6()`?"),
            "{command}: {err}"
        );
        // The rest of the catalogue has no case in this one-file suite.
        assert!(
            err.contains("P0 item `net.createServer()` has no case"),
            "{err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let args = Arguments::from_args();
    let trials = vec![
        Trial::test("exact_selects_one_case_a_substring_selects_three", || {
            exact_selects_one_case_a_substring_selects_three();
            Ok(())
        }),
        Trial::test(
            "an_exact_id_that_names_no_case_is_an_error_naming_it",
            || {
                an_exact_id_that_names_no_case_is_an_error_naming_it();
                Ok(())
            },
        ),
        Trial::test("failed_from_reruns_exactly_what_failed", || {
            failed_from_reruns_exactly_what_failed();
            Ok(())
        }),
        Trial::test("repeat_on_a_stable_implementation_finds_nothing", || {
            repeat_on_a_stable_implementation_finds_nothing();
            Ok(())
        }),
        Trial::ignorable_test("repeat_reports_a_case_whose_result_changes", || {
            if support::node().is_none() {
                return Ok(Completion::ignored_with(
                    "`node` is not on PATH (or $NODECOMPAT_NODE); the fake driver needs it",
                ));
            }
            repeat_reports_a_case_whose_result_changes();
            Ok(Completion::Completed)
        }),
        Trial::test("a_closed_pipe_ends_each_command_quietly", || {
            a_closed_pipe_ends_each_command_quietly();
            Ok(())
        }),
        Trial::test("help_says_how_to_select_cases", || {
            help_says_how_to_select_cases();
            Ok(())
        }),
        Trial::test("coverage_reports_numbers_and_stale_names", || {
            coverage_reports_numbers_and_stale_names();
            Ok(())
        }),
    ];
    libtest_mimic::run(&args, trials).exit();
}

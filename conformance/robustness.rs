//! The harness against drivers that crash, hang, get killed or print
//! garbage: each such case fails with the reason, the run finishes, and no
//! driver process is left behind. Also: malformed specs through the CLI.

use std::sync::Arc;

#[path = "support.rs"]
mod support;
use support::{cli, node, root};

use nodecompat::driver::Implementation;
use nodecompat::harness::runner::{Mode, Status};
use nodecompat::harness::suite;
use nodecompat::spec::{self, LoadOptions};

const NO_NODE: &str = "`node` was not found on PATH; the fake driver needs it";

/// Processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(marker) {
                found.push(format!("{}: {cmd}", entry.file_name().to_string_lossy()));
            }
        }
    }
    found
}

fn fake(node: &str, marker: &str, extra: &[&str]) -> Implementation {
    let script = root().join("fixtures/drivers/fake-driver.js");
    let mut argv = vec![
        node.to_string(),
        script.display().to_string(),
        marker.to_string(),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    Implementation::command(argv)
}

fn each_misbehaving_driver_fails_its_case_and_the_run_goes_on(node: &str) {
    let marker = format!("--marker-{}", std::process::id());
    let cases = spec::load_suite(&root().join("fixtures/robust-spec"), LoadOptions::default())
        .expect("fixture specs load");
    assert_eq!(cases.len(), 6);
    let imp = fake(node, &marker, &[]);
    let (results, hello) =
        async_std::task::block_on(suite::run_all(&imp, Arc::new(cases), 1, Mode::Check, None));
    assert_eq!(hello.map(|h| h.implementation), Some("fake".to_string()));
    let by_id = |id: &str| {
        results
            .iter()
            .find(|r| r.id == format!("robust/cases/{id}"))
            .expect("every case has a result")
    };

    assert_eq!(by_id("first").status, Status::Passed);
    assert_eq!(
        by_id("last").status,
        Status::Passed,
        "a fresh driver serves the cases after the failures"
    );
    for (id, reason) in [
        ("crash", "the driver exited (exit status: 3)"),
        ("kill", "signal: 9"),
        ("garbage", "the driver wrote a line that is not protocol"),
        ("hang", "the driver did not answer line"),
    ] {
        let r = by_id(id);
        assert_eq!(r.status, Status::Failed, "{id}");
        assert!(r.message.contains(reason), "{id}: {}", r.message);
        assert!(r.driver_lost, "{id}");
    }
    assert!(
        by_id("crash").message.contains("crashing on purpose"),
        "the stderr tail is quoted"
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        processes_with(&marker),
        Vec::<String>::new(),
        "no driver process is left behind"
    );
}

fn a_driver_that_never_says_hello_fails_the_case_with_the_reason(node: &str) {
    let marker = format!("--silent-{}", std::process::id());
    let cases: Vec<_> =
        spec::load_suite(&root().join("fixtures/robust-spec"), LoadOptions::default())
            .expect("fixture specs load")
            .into_iter()
            .filter(|c| c.case.id.ends_with("/first"))
            .collect();
    let imp = fake(node, &marker, &["--no-hello"]);
    let (results, _) =
        async_std::task::block_on(suite::run_all(&imp, Arc::new(cases), 1, Mode::Check, None));
    assert_eq!(results[0].status, Status::Failed);
    assert!(
        results[0].message.contains("sent no `hello`"),
        "{}",
        results[0].message
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(processes_with(&marker), Vec::<String>::new());
}

fn a_driver_that_cannot_start_fails_with_the_reason() {
    let cases: Vec<_> =
        spec::load_suite(&root().join("fixtures/robust-spec"), LoadOptions::default())
            .expect("fixture specs load")
            .into_iter()
            .take(2)
            .collect();
    let imp = Implementation::command(vec!["/nonexistent/driver".into()]);
    let (results, hello) =
        async_std::task::block_on(suite::run_all(&imp, Arc::new(cases), 2, Mode::Check, None));
    assert!(hello.is_none());
    for r in results {
        assert_eq!(r.status, Status::Failed);
        assert!(
            r.message
                .contains("cannot start the driver `/nonexistent/driver`"),
            "{}",
            r.message
        );
    }
}

fn a_malformed_spec_gives_file_line_col_and_exit_status_2() {
    let (code, _, err) = cli(&["check", "fixtures/bad-specs/syntax.md"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("fixtures/bad-specs/syntax.md:8:24: expected an expression, found `,`"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let (code, _, err) = cli(&["run", "--spec-dir", "fixtures"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("fixtures/bad-specs/unknown-method.md:"),
        "{err}"
    );
    let (code, _, _) = cli(&["check", "fixtures/bad-specs/no-such-file.md"]);
    assert_eq!(code, 2);
}

fn the_reference_over_stdio_matches_the_reference_in_process() {
    // `nodecompat driver` serves the same implementation over the protocol:
    // every case must come out the same both ways.
    let cases = Arc::new(
        spec::load_suite(&root().join("spec"), LoadOptions::default()).expect("the suite loads"),
    );
    let stdio = Implementation::command(vec![
        env!("CARGO_BIN_EXE_nodecompat").into(),
        "driver".into(),
    ]);
    let (over_stdio, hello) =
        async_std::task::block_on(suite::run_all(&stdio, cases.clone(), 2, Mode::Check, None));
    let (in_process, _) = async_std::task::block_on(suite::run_all(
        &Implementation::reference(),
        cases.clone(),
        2,
        Mode::Check,
        None,
    ));
    assert_eq!(
        hello.map(|h| h.implementation),
        Some("nodecompat-reference".to_string())
    );
    let differ: Vec<String> = over_stdio
        .iter()
        .zip(&in_process)
        .filter(|(a, b)| a.status != b.status)
        .map(|(a, b)| {
            format!(
                "{}: stdio {:?} / in-process {:?}\n{}\n{}",
                a.id, a.status, b.status, a.message, b.message
            )
        })
        .collect();
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
    assert!(over_stdio.len() >= 60);
}

fn main() {
    use libtest_mimic::{Arguments, Completion, Trial};
    let args = Arguments::from_args();
    let with_node = |name: &str, f: fn(&str)| {
        Trial::ignorable_test(name, move || match node() {
            Some(node) => {
                f(&node);
                Ok(Completion::Completed)
            }
            None => Ok(Completion::ignored_with(NO_NODE)),
        })
    };
    let plain = |name: &str, f: fn()| {
        Trial::test(name, move || {
            f();
            Ok(())
        })
    };
    let trials = vec![
        with_node(
            "each_misbehaving_driver_fails_its_case_and_the_run_goes_on",
            each_misbehaving_driver_fails_its_case_and_the_run_goes_on,
        ),
        with_node(
            "a_driver_that_never_says_hello_fails_the_case_with_the_reason",
            a_driver_that_never_says_hello_fails_the_case_with_the_reason,
        ),
        plain(
            "a_driver_that_cannot_start_fails_with_the_reason",
            a_driver_that_cannot_start_fails_with_the_reason,
        ),
        plain(
            "a_malformed_spec_gives_file_line_col_and_exit_status_2",
            a_malformed_spec_gives_file_line_col_and_exit_status_2,
        ),
        plain(
            "the_reference_over_stdio_matches_the_reference_in_process",
            the_reference_over_stdio_matches_the_reference_in_process,
        ),
    ];
    libtest_mimic::run(&args, trials).exit();
}

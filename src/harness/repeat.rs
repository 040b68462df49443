//! `run --repeat N`: the same selection run N times, and the cases whose
//! result differs between runs.
//!
//! A case's result in one run is its status and, for a failure, its first
//! divergence ([`signature`]): a case that fails in every run but at another
//! place is unstable too. An unstable case is a failure of the whole run,
//! whatever the manifest expects of it, except when the manifest says
//! `flaky`: then varying is what it expects.

use std::time::Duration;

use super::expectations::{Expect, Manifest, signature};
use super::runner::{CaseResult, Status};

/// How one run ended for a case, as compared between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    /// The outcome's name (`passed`, `failed`, `xfail`…), as reports say it.
    pub status: &'static str,
    /// A failure's first divergence.
    pub divergence: Option<String>,
}

/// A case whose result differed between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unstable {
    pub id: String,
    /// Each run's result, in run order.
    pub runs: Vec<RunResult>,
    /// The manifest says `flaky`: varying is expected.
    pub flaky: bool,
}

/// The runs of one selection, merged: one result per case, and the cases
/// that were unstable.
pub struct Merged {
    /// Each case's result: a stable case's last result; an unstable
    /// case's is a failure whose message lists each run (a `flaky` one keeps
    /// its last result).
    pub results: Vec<CaseResult>,
    pub unstable: Vec<Unstable>,
    /// The runs' durations, added up.
    pub duration: Duration,
}

/// How a result compares between runs: its status, and a failure's first
/// divergence (its per-case scratch directory, numbered in start order,
/// left out).
fn key(r: &CaseResult) -> (u8, String) {
    match &r.status {
        Status::Passed => (0, String::new()),
        Status::Failed => (1, unscratch(&signature(&r.message))),
        Status::Skipped(why) => (2, why.clone()),
    }
}

/// `text` with each per-case scratch directory (`/tmp/nc-PID-TAGN`, see
/// `runner::Scratch`) written `<tmp>`.
fn unscratch(text: &str) -> String {
    let prefix = std::env::temp_dir().join("nc-").display().to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        out.push_str(&rest[..at]);
        out.push_str("<tmp>");
        let after = &rest[at + prefix.len()..];
        let end = after
            .find(|c: char| c == '/' || c == '"' || c.is_whitespace())
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Merges `runs` (each the results of the same cases, in the same order).
pub fn merge(runs: Vec<(Vec<CaseResult>, Duration)>, manifest: Option<&Manifest>) -> Merged {
    let empty = Manifest::default();
    let manifest = manifest.unwrap_or(&empty);
    let duration = runs.iter().map(|(_, d)| *d).sum();
    let count = runs.first().map_or(0, |(r, _)| r.len());
    let mut results = Vec::with_capacity(count);
    let mut unstable = Vec::new();
    for i in 0..count {
        let of_case: Vec<&CaseResult> = runs.iter().filter_map(|(r, _)| r.get(i)).collect();
        let last = of_case[of_case.len() - 1];
        if of_case.iter().all(|r| key(r) == key(last)) {
            results.push(last.clone());
            continue;
        }
        let flaky = manifest
            .get(&last.id)
            .is_some_and(|e| e.expect == Expect::Flaky);
        // A flaky case's outcome is `flaky` whichever way it went: show
        // what it did.
        let judge = if flaky { &empty } else { manifest };
        let each: Vec<RunResult> = of_case
            .iter()
            .map(|r| RunResult {
                status: judge.outcome(r).name(),
                divergence: (r.status == Status::Failed).then(|| signature(&r.message)),
            })
            .collect();
        unstable.push(Unstable {
            id: last.id.clone(),
            runs: each,
            flaky,
        });
        if flaky {
            results.push(last.clone());
            continue;
        }
        let mut message = format!("unstable over {} runs:\n", of_case.len());
        for (n, r) in unstable[unstable.len() - 1].runs.iter().enumerate() {
            message.push_str(&format!("  run {}: {}", n + 1, r.status));
            if let Some(d) = &r.divergence {
                message.push_str(&format!(": {d}"));
            }
            message.push('\n');
        }
        if let Some((n, failed)) = of_case
            .iter()
            .enumerate()
            .find(|(_, r)| r.status == Status::Failed)
        {
            message.push_str(&format!("run {}'s failure:\n{}", n + 1, failed.message));
        }
        results.push(CaseResult {
            status: Status::Failed,
            message,
            ..last.clone()
        });
    }
    Merged {
        results,
        unstable,
        duration,
    }
}

/// The manifest to judge merged results by: without the entries of
/// unstable cases that are not `flaky`, so that an expected failure which
/// sometimes passes is reported as the failure it is, not as `xfail`.
pub fn judged_by(manifest: &Manifest, unstable: &[Unstable]) -> Manifest {
    let mut m = manifest.clone();
    for u in unstable.iter().filter(|u| !u.flaky) {
        m.entries.remove(&u.id);
    }
    m
}

/// The lines a pretty report ends with: each unstable case with every
/// run's status, then the count.
pub fn summary(merged: &Merged, runs: usize) -> String {
    let mut s = String::new();
    for u in &merged.unstable {
        let statuses: Vec<&str> = u.runs.iter().map(|r| r.status).collect();
        let what = if u.flaky {
            "flaky (as the manifest expects)"
        } else {
            "UNSTABLE"
        };
        // Same statuses, other places: say so.
        let moved = u.runs.iter().any(|a| {
            u.runs
                .iter()
                .any(|b| a.status == b.status && a.divergence != b.divergence)
        });
        s.push_str(&format!(
            "{what} {}: {}{}\n",
            u.id,
            statuses.join(", "),
            if moved {
                " (failing at different places)"
            } else {
                ""
            }
        ));
    }
    let problems = merged.unstable.iter().filter(|u| !u.flaky).count();
    let flaky = merged.unstable.len() - problems;
    s.push_str(&format!(
        "{runs} runs: {problems} unstable case(s){}\n",
        if flaky > 0 {
            format!(", {flaky} flaky case(s) varied as their manifest allows")
        } else {
            String::new()
        }
    ));
    s
}

/// The `repeat` member of a JSON report: the number of runs and each case
/// that varied, with every run's status.
pub fn json(merged: &Merged, runs: usize) -> serde_json::Value {
    serde_json::json!({
        "runs": runs,
        "unstable": merged.unstable.iter().map(|u| serde_json::json!({
            "id": u.id,
            "flaky": u.flaky,
            "runs": u.runs.iter().map(|r| serde_json::json!({
                "status": r.status,
                "divergence": r.divergence,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, status: Status, message: &str) -> CaseResult {
        CaseResult::sample(id, status, message)
    }

    const DIFF_A: &str = "events differ (- expected, + actual):\n  client: differs at event 3\n    > - close hadError=false\n    > + end";
    const DIFF_B: &str = "events differ (- expected, + actual):\n  client: differs at event 1\n    > - connect\n    > + error";

    /// Three runs of five cases: `stable` passes each time, `sometimes`
    /// fails in run 2 only, `moves` fails each time but at another event in
    /// run 2, `flaky` fails in run 2, `xfail` fails the same way each time.
    fn runs() -> Vec<(Vec<CaseResult>, Duration)> {
        let run = |second: bool| {
            let (s, sm) = if second {
                (Status::Failed, DIFF_A)
            } else {
                (Status::Passed, "")
            };
            (
                vec![
                    result("net/x/stable", Status::Passed, ""),
                    result("net/x/sometimes", s.clone(), sm),
                    result(
                        "net/x/moves",
                        Status::Failed,
                        if second { DIFF_B } else { DIFF_A },
                    ),
                    result("net/x/flaky", s, sm),
                    result("net/x/xfail", Status::Failed, DIFF_A),
                ],
                Duration::from_millis(100),
            )
        };
        vec![run(false), run(true), run(false)]
    }

    fn manifest() -> Manifest {
        Manifest::parse(
            "[\"net/x/flaky\"]\nexpect = \"flaky\"\nreason = \"races\"\n\
             [\"net/x/sometimes\"]\nexpect = \"fail\"\nreason = \"r\"\n\
             divergence = \"client: differs at event 3: - close hadError=false / + end\"\n\
             [\"net/x/xfail\"]\nexpect = \"fail\"\nreason = \"r\"\n\
             divergence = \"client: differs at event 3: - close hadError=false / + end\"\n",
        )
        .unwrap()
    }

    #[test]
    fn scratch_directories_do_not_make_a_failure_unstable() {
        let tmp = std::env::temp_dir().join("nc-").display().to_string();
        let at = |n: u32| {
            format!(
                "events differ (- expected, + actual):\n  server: differs at event 1\n    > - listening\n    > + error Error {{address: \"{tmp}4242-c{n}/s.sock\"}}"
            )
        };
        let run = |n| {
            (
                vec![result("net/x/unix", Status::Failed, &at(n))],
                Duration::ZERO,
            )
        };
        let merged = merge(vec![run(12), run(3456)], None);
        assert!(merged.unstable.is_empty());
        assert_eq!(
            unscratch(&format!("\"{tmp}1-c2/s.sock\" and {tmp}3-d4")),
            "\"<tmp>/s.sock\" and <tmp>"
        );
    }

    #[test]
    fn a_case_that_varies_is_unstable_and_a_failure() {
        let merged = merge(runs(), None);
        assert_eq!(merged.duration, Duration::from_millis(300));
        let ids: Vec<&str> = merged.unstable.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["net/x/sometimes", "net/x/moves", "net/x/flaky"]);
        let statuses: Vec<&str> = merged
            .results
            .iter()
            .map(|r| match r.status {
                Status::Passed => "passed",
                Status::Failed => "failed",
                Status::Skipped(_) => "skipped",
            })
            .collect();
        assert_eq!(statuses, ["passed", "failed", "failed", "failed", "failed"]);
        insta::assert_snapshot!("unstable_message", merged.results[1].message);
        insta::assert_snapshot!("moved_divergence_message", merged.results[2].message);
        insta::assert_snapshot!("repeat_summary", summary(&merged, 3));
    }

    #[test]
    fn with_a_manifest_flaky_varies_freely_and_an_expected_failure_must_stay() {
        let m = manifest();
        let merged = merge(runs(), Some(&m));
        let judge = judged_by(&m, &merged.unstable);
        let outcomes: Vec<&str> = merged
            .results
            .iter()
            .map(|r| judge.outcome(r).name())
            .collect();
        // `sometimes` is an expected failure that passed in two runs: a
        // failure, not xfail; `flaky` is flaky; `xfail` failed as recorded
        // every time.
        assert_eq!(outcomes, ["passed", "failed", "failed", "flaky", "xfail"]);
        let sometimes = &merged.unstable[0];
        let each: Vec<&str> = sometimes.runs.iter().map(|r| r.status).collect();
        assert_eq!(each, ["xpass", "xfail", "xpass"]);
        insta::assert_snapshot!("repeat_summary_manifest", summary(&merged, 3));
        insta::assert_snapshot!(
            "repeat_json",
            serde_json::to_string_pretty(&json(&merged, 3)).unwrap()
        );
    }
}

//! Expectation manifests: what an implementation is known to do differently
//! from Node, so its own CI can gate on regressions only.
//!
//! One TOML file per implementation (`expectations/bun.toml`), one table per
//! exact case id:
//!
//! ```toml
//! ["net/socket-lifecycle/destroy-no-error"]
//! expect = "fail"          # or "flaky", or "skip"
//! reason = "Bun emits `end` before `close` after destroy()"
//! link = "https://github.com/oven-sh/bun/issues/…"   # optional
//! divergence = "client: differs at event 3: - close hadError=false / + end"
//! ```
//!
//! Expected failures still run. Failing as recorded is `xfail`; passing is
//! an unexpected pass; failing at another first divergence than the recorded
//! one is `changed`. A run with a manifest succeeds exactly when every
//! result is what the manifest expects.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::runner::{CaseResult, Status};

/// What a manifest expects of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// `fail`, `flaky` or `skip`.
    pub expect: Expect,
    /// Why: what the implementation does instead (required).
    #[serde(default)]
    pub reason: String,
    /// An issue or document about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The first divergence recorded for an expected failure (see
    /// [`signature`]); a failure elsewhere is reported as changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub divergence: Option<String>,
}

/// An expectation other than "passes".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// Fails, the way `divergence` says.
    Fail,
    /// Passes or fails from run to run.
    Flaky,
    /// Not run (it hangs, or takes the driver down).
    Skip,
}

/// A manifest: case id → expectation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub entries: BTreeMap<String, Entry>,
}

/// How a result compares with what the manifest expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Passed, as expected.
    Passed,
    /// Failed, unexpectedly.
    Failed,
    /// Skipped (a requirement, a version range, or the manifest).
    Skipped,
    /// Failed, as the manifest expects.
    XFail,
    /// Passed, although the manifest expects a failure.
    XPass,
    /// Failed, but not the way the manifest recorded.
    Changed,
    /// A flaky case, whichever way it went.
    Flaky,
}

impl Outcome {
    /// Whether this outcome makes the run fail.
    pub fn is_problem(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::XPass | Outcome::Changed)
    }

    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::XFail => "xfail",
            Outcome::XPass => "xpass",
            Outcome::Changed => "changed",
            Outcome::Flaky => "flaky",
        }
    }
}

impl Manifest {
    /// Reads a manifest; the error names the file (and, from the TOML
    /// parser, the line: a case id given twice is one).
    pub fn load(file: &Path) -> Result<Manifest, String> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
        Manifest::parse(&text).map_err(|e| format!("{}: {e}", file.display()))
    }

    /// Parses a manifest's text.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let entries: BTreeMap<String, Entry> = toml::from_str(text).map_err(|e| e.to_string())?;
        Ok(Manifest { entries })
    }

    /// The expectation for `id`, if any (exact ids only).
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// How `result` compares with this manifest.
    pub fn outcome(&self, result: &CaseResult) -> Outcome {
        let entry = self.get(&result.id);
        match (&result.status, entry.map(|e| e.expect)) {
            (Status::Skipped(_), _) => Outcome::Skipped,
            (_, Some(Expect::Flaky)) => Outcome::Flaky,
            (Status::Passed, Some(Expect::Fail)) => Outcome::XPass,
            (Status::Passed, _) => Outcome::Passed,
            (Status::Failed, Some(Expect::Fail)) => {
                let recorded = entry.and_then(|e| e.divergence.as_deref());
                match recorded {
                    Some(d) if d != signature(&result.message) => Outcome::Changed,
                    _ => Outcome::XFail,
                }
            }
            (Status::Failed, _) => Outcome::Failed,
        }
    }

    /// Problems a person must fix: entries naming cases that do not exist,
    /// entries without a reason, expected failures without a recorded
    /// divergence.
    pub fn lint(&self, known: &dyn Fn(&str) -> bool) -> Vec<String> {
        let mut problems = Vec::new();
        for (id, e) in &self.entries {
            if !known(id) {
                problems.push(format!("{id}: no such case (ids are exact)"));
            }
            if e.reason.trim().is_empty() {
                problems.push(format!("{id}: no reason given"));
            }
            if e.expect == Expect::Fail && e.divergence.is_none() {
                problems.push(format!(
                    "{id}: an expected failure without its `divergence` (`expectations update` records it)"
                ));
            }
        }
        problems
    }

    /// The manifest a run says: every failure an expected failure (keeping
    /// the reason and link already written for it), flaky and skipped
    /// entries kept, entries of cases that now pass dropped. New entries
    /// have an empty reason, which `lint` refuses until a person writes one.
    pub fn updated(&self, results: &[CaseResult]) -> Manifest {
        let mut entries = BTreeMap::new();
        for r in results {
            let old = self.get(&r.id);
            match (old.map(|e| e.expect), &r.status) {
                (Some(Expect::Flaky | Expect::Skip), _) => {
                    entries.insert(r.id.clone(), old.cloned().expect("matched Some"));
                }
                (_, Status::Failed) => {
                    entries.insert(
                        r.id.clone(),
                        Entry {
                            expect: Expect::Fail,
                            reason: old.map(|e| e.reason.clone()).unwrap_or_default(),
                            link: old.and_then(|e| e.link.clone()),
                            divergence: Some(signature(&r.message)),
                        },
                    );
                }
                _ => {}
            }
        }
        Manifest { entries }
    }

    /// The manifest as TOML, entries in id order.
    pub fn to_toml(&self, header: &str) -> String {
        let mut s = String::new();
        for line in header.lines() {
            let _ = writeln!(s, "# {line}");
        }
        for (id, e) in &self.entries {
            let table: BTreeMap<&str, &Entry> = BTreeMap::from([(id.as_str(), e)]);
            let text = toml::to_string(&table).unwrap_or_default();
            let _ = write!(s, "\n{text}");
        }
        s
    }
}

/// A failure's first divergence, as a line that does not change from run to
/// run, nor when the spec file moves a case's lines: the first object that
/// differs with its first expected and actual events, or else the first
/// problem. Long numbers (ports, pids) become `<n>`, a case's scratch
/// directory `<scratch>`, and a script line is named by its text alone.
pub fn signature(message: &str) -> String {
    let lines: Vec<&str> = message.lines().collect();
    let text = match lines.iter().position(|l| l.contains(": differs at event")) {
        Some(i) => {
            let mark = |sign: &str| {
                lines[i + 1..]
                    .iter()
                    .map(|l| l.trim())
                    .find(|l| l.starts_with(&format!("> {sign} ")))
                    .map(|l| l[2..].to_string())
                    .unwrap_or_default()
            };
            format!("{}: {} / {}", lines[i].trim(), mark("-"), mark("+"))
        }
        None => lines
            .first()
            .map(|l| l.trim().to_string())
            .unwrap_or_default(),
    };
    mask_numbers(&unnumber_lines(&mask_scratch(&text)))
}

/// `/tmp/nc-123-c45/s.sock` → `<scratch>/s.sock`: the per-case directory
/// ([`super::runner::Scratch`]) is named by process and start order.
fn mask_scratch(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("/nc-") {
        // Back to the start of the path: the temp dir before `/nc-`.
        let start = rest[..i]
            .rfind(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .map_or(0, |j| j + 1);
        out.push_str(&rest[..start]);
        let after = &rest[i + 4..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(after.len());
        out.push_str("<scratch>");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// `line 189 \`x\` …` → `line \`x\` …`: the statement's text says which it is.
fn unnumber_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("line ") {
        out.push_str(&rest[..i + 5]);
        let after = &rest[i + 5..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        rest = if digits > 0 && after[digits..].starts_with(" `") {
            &after[digits + 1..]
        } else {
            after
        };
    }
    out.push_str(rest);
    out
}

/// Replaces runs of four or more digits (ports, pids, timings) by `<n>`.
fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 4 {
            out.push_str("<n>");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn result(id: &str, status: Status, message: &str) -> CaseResult {
        CaseResult {
            duration: Duration::ZERO,
            ..CaseResult::sample(id, status, message)
        }
    }

    const DIFF: &str = "events differ (- expected, + actual):\n  client: differs at event 3\n        connect\n    > - close hadError=false\n    > + end\n      + close hadError=false";

    #[test]
    fn outcomes_follow_the_manifest() {
        let m = Manifest::parse(
            r#"
            ["net/x/a"]
            expect = "fail"
            reason = "ends first"
            divergence = "client: differs at event 3: - close hadError=false / + end"
            ["net/x/b"]
            expect = "fail"
            reason = "r"
            divergence = "something else"
            ["net/x/c"]
            expect = "flaky"
            reason = "r"
            "#,
        )
        .unwrap();
        assert_eq!(
            m.outcome(&result("net/x/a", Status::Failed, DIFF)),
            Outcome::XFail
        );
        assert_eq!(
            m.outcome(&result("net/x/a", Status::Passed, "")),
            Outcome::XPass
        );
        assert_eq!(
            m.outcome(&result("net/x/b", Status::Failed, DIFF)),
            Outcome::Changed
        );
        assert_eq!(
            m.outcome(&result("net/x/c", Status::Failed, DIFF)),
            Outcome::Flaky
        );
        assert_eq!(
            m.outcome(&result("net/x/d", Status::Failed, DIFF)),
            Outcome::Failed
        );
        // Exact ids only: a prefix is not an entry.
        assert_eq!(
            m.outcome(&result("net/x/a2", Status::Failed, DIFF)),
            Outcome::Failed
        );
    }

    #[test]
    fn signatures_ignore_ports() {
        assert_eq!(
            signature("line 4 `x` returned 41234, expected 80"),
            "line `x` returned <n>, expected 80"
        );
        assert_eq!(
            signature(
                "line 189 `server.listen(path)` threw Error {address: \"/tmp/nc-4242-c219/s.sock\"}"
            ),
            "line `server.listen(path)` threw Error {address: \"<scratch>/s.sock\"}"
        );
        assert_eq!(
            signature(DIFF),
            "client: differs at event 3: - close hadError=false / + end"
        );
    }

    #[test]
    fn lint_names_each_problem_and_update_keeps_reasons() {
        let m = Manifest::parse(
            "[\"net/gone\"]\nexpect = \"fail\"\nreason = \"\"\n[\"net/x/a\"]\nexpect = \"skip\"\nreason = \"hangs\"\n",
        )
        .unwrap();
        let problems = m.lint(&|id| id.starts_with("net/x/"));
        assert_eq!(
            problems,
            vec![
                "net/gone: no such case (ids are exact)",
                "net/gone: no reason given",
                "net/gone: an expected failure without its `divergence` (`expectations update` records it)",
            ]
        );
        assert!(
            Manifest::parse("[\"a\"]\nexpect = \"fail\"\n[\"a\"]\nexpect = \"fail\"\n").is_err()
        );
        let next = m.updated(&[
            result("net/x/a", Status::Skipped("x".into()), ""),
            result("net/x/b", Status::Failed, DIFF),
            result("net/x/c", Status::Passed, ""),
        ]);
        assert_eq!(next.entries.len(), 2);
        assert_eq!(next.entries["net/x/a"].reason, "hangs");
        assert_eq!(next.entries["net/x/b"].reason, "");
        let text = next.to_toml("bun");
        assert_eq!(Manifest::parse(&text).unwrap(), next);
        insta::assert_snapshot!("manifest_toml", text);
    }
}

//! Reports: what was compared (implementation, its version, the Node
//! version it is held to, the protocol version, the suite's revision) and
//! each case's outcome, as pretty text, JSON, JUnit XML or TAP. With an
//! expectation manifest, outcomes say whether each result is what the
//! manifest expects (`xfail`, `xpass`, `changed`, `flaky`).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::json;

use super::expectations::{Manifest, Outcome};
use super::runner::{CaseResult, Status};
use crate::protocol::{Hello, PROTOCOL_VERSION};

/// The version of the JSON report's shape.
pub const JSON_SCHEMA: u32 = 2;

/// A finished run.
pub struct Report {
    /// The implementation's name (`--impl` as resolved).
    pub imp: String,
    pub hello: Option<Hello>,
    pub suite: String,
    pub results: Vec<CaseResult>,
    pub duration: Duration,
    /// The expectation manifest the results are judged against, if any,
    /// and where it came from.
    pub manifest: Option<(Manifest, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Pretty,
    Json,
    Junit,
    Tap,
}

impl Report {
    /// How `r` compares with the manifest (or with "passes", without one).
    pub fn outcome(&self, r: &CaseResult) -> Outcome {
        match &self.manifest {
            Some((m, _)) => m.outcome(r),
            None => Manifest::default().outcome(r),
        }
    }

    /// How many results have this outcome.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results
            .iter()
            .filter(|r| self.outcome(r) == outcome)
            .count()
    }
    pub fn passed(&self) -> usize {
        self.count(Outcome::Passed)
    }
    /// Results that make the run fail: unexpected failures, unexpected
    /// passes and changed failures.
    pub fn failed(&self) -> usize {
        self.results
            .iter()
            .filter(|r| self.outcome(r).is_problem())
            .count()
    }
    pub fn skipped(&self) -> usize {
        self.count(Outcome::Skipped)
    }

    /// "node v20.20.2 (held to Node v20.20.2), protocol 3, suite 1d73071".
    pub fn compared(&self) -> String {
        let imp = match &self.hello {
            Some(h) => format!(
                "{} {} (held to Node {})",
                h.implementation, h.version, h.node
            ),
            None => format!("{} (no driver started)", self.imp),
        };
        let mut s = format!("{imp}, protocol {PROTOCOL_VERSION}, suite {}", self.suite);
        if let Some((_, file)) = &self.manifest {
            let _ = write!(s, ", expectations {file}");
        }
        s
    }

    /// The counts line: every outcome that occurred.
    pub fn summary(&self) -> String {
        let mut parts = vec![
            format!("{} passed", self.passed()),
            format!("{} failed", self.count(Outcome::Failed)),
            format!("{} skipped", self.skipped()),
        ];
        for o in [
            Outcome::XFail,
            Outcome::XPass,
            Outcome::Changed,
            Outcome::Flaky,
        ] {
            let n = self.count(o);
            if n > 0 || (self.manifest.is_some() && o == Outcome::XFail) {
                parts.push(format!("{n} {}", o.name()));
            }
        }
        parts.join(", ")
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Pretty => self.pretty(),
            Format::Json => serde_json::to_string_pretty(&self.json()).unwrap_or_default() + "\n",
            Format::Junit => self.junit(),
            Format::Tap => self.tap(),
        }
    }

    /// Failures with their diffs, then the summary. (Progress lines are
    /// printed while running, by the CLI.)
    pub fn pretty(&self) -> String {
        let mut s = String::new();
        for r in &self.results {
            let o = self.outcome(r);
            if !o.is_problem() {
                continue;
            }
            let what = match o {
                Outcome::XPass => "XPASS (the manifest expects a failure)",
                Outcome::Changed => "CHANGED (fails, but not as the manifest recorded)",
                _ => "FAIL",
            };
            let _ = writeln!(s, "\n{what} {} ({}:{})", r.id, r.file, r.line);
            if o == Outcome::Changed
                && let Some(e) = self.manifest.as_ref().and_then(|(m, _)| m.get(&r.id))
            {
                let _ = writeln!(
                    s,
                    "  recorded: {}",
                    e.divergence.as_deref().unwrap_or_default()
                );
            }
            for line in self.problem_text(r, o).lines() {
                let _ = writeln!(s, "  {line}");
            }
        }
        let _ = writeln!(s, "\n{}", self.compared());
        let _ = writeln!(s, "{}", self.summary());
        s
    }

    pub fn json(&self) -> serde_json::Value {
        json!({
            "schema": JSON_SCHEMA,
            "harness": {"name": "nodecompat", "version": env!("CARGO_PKG_VERSION")},
            "platform": {"os": std::env::consts::OS, "arch": std::env::consts::ARCH},
            "date": rfc3339(SystemTime::now()),
            "impl": self.imp,
            "implementation": self.hello.as_ref().map(|h| json!({
                "name": h.implementation,
                "version": h.version,
                "node": h.node,
                "features": h.features,
                "modules": h.modules,
            })),
            "protocol": PROTOCOL_VERSION,
            "suite": self.suite,
            "expectations": self.manifest.as_ref().map(|(_, f)| f.clone()),
            "total": self.results.len(),
            "passed": self.passed(),
            "failed": self.failed(),
            "skipped": self.skipped(),
            "xfail": self.count(Outcome::XFail),
            "xpass": self.count(Outcome::XPass),
            "changed": self.count(Outcome::Changed),
            "flaky": self.count(Outcome::Flaky),
            "duration_ms": self.duration.as_millis() as u64,
            "results": self.results.iter().map(|r| {
                let message = match &r.status {
                    Status::Passed => None,
                    Status::Failed => Some(r.message.clone()),
                    Status::Skipped(why) => Some(why.clone()),
                };
                json!({
                    "id": r.id,
                    "file": r.file,
                    "line": r.line,
                    "status": self.outcome(r).name(),
                    "duration_ms": r.duration.as_millis() as u64,
                    "message": message,
                })
            }).collect::<Vec<_>>(),
        })
    }

    /// JUnit XML as common consumers read it: `tests`, `failures`,
    /// `errors`, `skipped`, `time`; a failure's `message` and `type`.
    /// Expected failures are skipped tests that say so.
    pub fn junit(&self) -> String {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let skipped = self.results.len() - self.failed() - self.count(Outcome::Passed);
        let _ = writeln!(
            s,
            "<testsuites name=\"nodecompat\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">",
            self.results.len(),
            self.failed(),
            skipped,
            self.duration.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">",
            xml(&self.compared()),
            self.results.len(),
            self.failed(),
            skipped,
            self.duration.as_secs_f64()
        );
        for r in &self.results {
            let (class, name) = r.id.rsplit_once('/').unwrap_or(("", &r.id));
            let _ = write!(
                s,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.3}\"",
                xml(&class.replace('/', ".")),
                xml(name),
                xml(&r.file),
                r.line,
                r.duration.as_secs_f64()
            );
            let o = self.outcome(r);
            match o {
                Outcome::Passed => s.push_str("/>\n"),
                o if o.is_problem() => {
                    let body = self.problem_text(r, o);
                    let first = body.lines().next().unwrap_or("failed");
                    let _ = writeln!(
                        s,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        xml(first),
                        o.name(),
                        xml(&body)
                    );
                }
                _ => {
                    let why = match &r.status {
                        Status::Skipped(why) => why.clone(),
                        _ => format!("{}: {}", o.name(), self.reason(r)),
                    };
                    let _ = writeln!(
                        s,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml(&why)
                    );
                }
            }
        }
        s.push_str("  </testsuite>\n</testsuites>\n");
        s
    }

    /// What a problem result says: the failure, or why an unexpected pass
    /// is one.
    fn problem_text(&self, r: &CaseResult, o: Outcome) -> String {
        match o {
            Outcome::XPass => format!(
                "passed, but the manifest expects a failure: {}",
                self.reason(r)
            ),
            _ => r.message.clone(),
        }
    }

    /// The manifest's reason for a result's entry.
    fn reason(&self, r: &CaseResult) -> String {
        self.manifest
            .as_ref()
            .and_then(|(m, _)| m.get(&r.id))
            .map(|e| e.reason.clone())
            .unwrap_or_default()
    }

    pub fn tap(&self) -> String {
        let mut s = format!(
            "TAP version 13\n# {}\n1..{}\n",
            self.compared(),
            self.results.len()
        );
        for (i, r) in self.results.iter().enumerate() {
            let n = i + 1;
            match (self.outcome(r), &r.status) {
                (Outcome::Skipped, Status::Skipped(why)) => {
                    let _ = writeln!(s, "ok {n} - {} # SKIP {}", r.id, why.replace('\n', " "));
                }
                (Outcome::Passed, _) => {
                    let _ = writeln!(s, "ok {n} - {}", r.id);
                }
                (o @ (Outcome::XFail | Outcome::Flaky), _) => {
                    let ok = if r.status == Status::Passed {
                        "ok"
                    } else {
                        "not ok"
                    };
                    let reason = self.reason(r).replace('\n', " ");
                    let _ = writeln!(s, "{ok} {n} - {} # TODO {}: {reason}", r.id, o.name());
                }
                (o, _) => {
                    let _ = writeln!(s, "not ok {n} - {}", r.id);
                    let _ = writeln!(
                        s,
                        "  ---\n  outcome: {}\n  at: {}:{}\n  message: |",
                        o.name(),
                        r.file,
                        r.line
                    );
                    for line in self.problem_text(r, o).lines() {
                        let _ = writeln!(s, "    {line}");
                    }
                    s.push_str("  ...\n");
                }
            }
        }
        s
    }
}

/// Text as XML 1.0 character data or attribute value. Characters XML 1.0
/// cannot hold at all (most C0 controls) become `\u{…}` text, so the
/// document stays valid whatever a message contains. (HTML takes it too:
/// the matrix page uses it.)
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A time as RFC 3339 in UTC (`2026-11-30T04:12:00Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let u = crate::calendar::Utc::of(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        u.year, u.month, u.day, u.hour, u.minute, u.second
    )
}

/// The suite's revision: `git describe` of the checkout holding `spec_root`,
/// or the crate version when it is not a git checkout.
pub fn suite_revision(spec_root: &Path) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(spec_root)
        .args(["describe", "--always", "--dirty", "--abbrev=10"])
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => format!("nodecompat {}", env!("CARGO_PKG_VERSION")),
    }
}

/// A digest of the suite's content: the spec files' paths (relative to
/// `spec_root`) and texts, FNV-1a 64 in hex. Unlike the revision it does not
/// change with commits that touch no spec, so a committed matrix names the
/// suite it was run on and a rerun can tell it is the same one.
pub fn suite_digest(spec_root: &Path) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for file in crate::spec::spec_files(spec_root).unwrap_or_default() {
        let rel = file.strip_prefix(spec_root).unwrap_or(&file);
        feed(rel.to_string_lossy().as_bytes());
        feed(&[0]);
        feed(&std::fs::read(&file).unwrap_or_default());
        feed(&[0]);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        let result = |id: &str, status: Status, message: &str| CaseResult {
            id: id.to_string(),
            file: "spec/net/x.md".into(),
            line: 7,
            status,
            duration: Duration::from_millis(12),
            message: message.to_string(),
            trace: Default::default(),
            driver_lost: false,
        };
        Report {
            imp: "node".into(),
            hello: Some(Hello {
                protocol: 2,
                implementation: "node".into(),
                version: "v20.20.2".into(),
                node: "v20.20.2".into(),
                features: vec!["ipv6".into()],
                modules: vec!["net".into()],
            }),
            suite: "abc1234".into(),
            results: vec![
                result("net/x/passes", Status::Passed, ""),
                result(
                    "net/x/fails",
                    Status::Failed,
                    "events differ (- expected, + actual):\n  peer: differs at event 1\n    > - end\n    > + close hadError=true",
                ),
                result(
                    "net/x/skips",
                    Status::Skipped("requires ipv6, which fake does not support here".into()),
                    "",
                ),
            ],
            duration: Duration::from_millis(40),
            manifest: None,
        }
    }

    /// The JSON report with its run-time fields (date, platform) fixed.
    fn json_text(r: &Report) -> String {
        let mut v = r.json();
        v["date"] = json!("<date>");
        v["platform"] = json!("<platform>");
        v["harness"]["version"] = json!("<version>");
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }

    #[test]
    fn every_format_names_what_was_compared_and_each_outcome() {
        let r = sample();
        insta::assert_snapshot!("report_pretty", r.render(Format::Pretty));
        insta::assert_snapshot!("report_json", json_text(&r));
        insta::assert_snapshot!("report_junit", r.render(Format::Junit));
        insta::assert_snapshot!("report_tap", r.render(Format::Tap));
    }

    #[test]
    fn a_manifest_turns_failures_into_expected_ones() {
        let mut r = sample();
        let manifest = Manifest::parse(
            "[\"net/x/fails\"]\nexpect = \"fail\"\nreason = \"ends early\"\ndivergence = \"peer: differs at event 1: - end / + close hadError=true\"\n[\"net/x/passes\"]\nexpect = \"fail\"\nreason = \"was broken\"\ndivergence = \"x\"\n",
        )
        .unwrap();
        r.manifest = Some((manifest, "expectations/node.toml".into()));
        assert_eq!(r.failed(), 1, "the unexpected pass");
        insta::assert_snapshot!("report_manifest_pretty", r.render(Format::Pretty));
        insta::assert_snapshot!("report_manifest_tap", r.render(Format::Tap));
        insta::assert_snapshot!("report_manifest_junit", r.render(Format::Junit));
    }

    #[test]
    fn junit_stays_valid_xml_whatever_a_message_holds() {
        let text = xml("a\u{1}b\u{1b}[31m<&>\"\n");
        assert_eq!(text, "a\\u{1}b\\u{1b}[31m&lt;&amp;&gt;&quot;\n");
        assert_eq!(
            rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_235_520)),
            "2026-11-21T04:32:00Z"
        );
    }
}

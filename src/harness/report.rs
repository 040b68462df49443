//! Reports: what was compared (implementation, its version, the protocol
//! version, the suite's revision) and each case's outcome, as pretty text,
//! JSON, JUnit XML or TAP.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use super::runner::{CaseResult, Status};
use crate::protocol::{Hello, PROTOCOL_VERSION};

/// A finished run.
pub struct Report {
    /// `--impl` as given.
    pub imp: String,
    pub hello: Option<Hello>,
    pub suite: String,
    pub results: Vec<CaseResult>,
    pub duration: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Pretty,
    Json,
    Junit,
    Tap,
}

impl Report {
    pub fn count(&self, f: impl Fn(&Status) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.status)).count()
    }
    pub fn passed(&self) -> usize {
        self.count(|s| *s == Status::Passed)
    }
    pub fn failed(&self) -> usize {
        self.count(|s| *s == Status::Failed)
    }
    pub fn skipped(&self) -> usize {
        self.count(|s| matches!(s, Status::Skipped(_)))
    }

    /// "node v20.20.2 (claims Node v20.20.2), protocol 1, suite 1d73071".
    pub fn compared(&self) -> String {
        let imp = match &self.hello {
            Some(h) => format!(
                "{} {} (held to Node {})",
                h.implementation, h.version, h.node
            ),
            None => format!("{} (no driver started)", self.imp),
        };
        format!("{imp}, protocol {PROTOCOL_VERSION}, suite {}", self.suite)
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
        for r in self.results.iter().filter(|r| r.status == Status::Failed) {
            let _ = writeln!(s, "\nFAIL {} ({}:{})", r.id, r.file, r.line);
            for line in r.message.lines() {
                let _ = writeln!(s, "  {line}");
            }
        }
        let _ = writeln!(s, "\n{}", self.compared());
        let _ = writeln!(
            s,
            "{} passed, {} failed, {} skipped",
            self.passed(),
            self.failed(),
            self.skipped()
        );
        s
    }

    pub fn json(&self) -> serde_json::Value {
        json!({
            "impl": self.imp,
            "implementation": self.hello.as_ref().map(|h| json!({
                "name": h.implementation,
                "version": h.version,
                "node": h.node,
                "features": h.features,
            })),
            "protocol": PROTOCOL_VERSION,
            "suite": self.suite,
            "total": self.results.len(),
            "passed": self.passed(),
            "failed": self.failed(),
            "skipped": self.skipped(),
            "duration_ms": self.duration.as_millis() as u64,
            "results": self.results.iter().map(|r| {
                let (status, message) = match &r.status {
                    Status::Passed => ("passed", None),
                    Status::Failed => ("failed", Some(r.message.clone())),
                    Status::Skipped(why) => ("skipped", Some(why.clone())),
                };
                json!({
                    "id": r.id,
                    "file": r.file,
                    "line": r.line,
                    "status": status,
                    "duration_ms": r.duration.as_millis() as u64,
                    "message": message,
                })
            }).collect::<Vec<_>>(),
        })
    }

    pub fn junit(&self) -> String {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            s,
            "<testsuites name=\"nodecompat\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            self.results.len(),
            self.failed(),
            self.skipped(),
            self.duration.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            xml(&self.compared()),
            self.results.len(),
            self.failed(),
            self.skipped()
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
            match &r.status {
                Status::Passed => s.push_str("/>\n"),
                Status::Failed => {
                    let first = r.message.lines().next().unwrap_or("failed");
                    let _ = writeln!(
                        s,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        xml(first),
                        xml(&r.message)
                    );
                }
                Status::Skipped(why) => {
                    let _ = writeln!(
                        s,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml(why)
                    );
                }
            }
        }
        s.push_str("  </testsuite>\n</testsuites>\n");
        s
    }

    pub fn tap(&self) -> String {
        let mut s = format!(
            "TAP version 13\n# {}\n1..{}\n",
            self.compared(),
            self.results.len()
        );
        for (i, r) in self.results.iter().enumerate() {
            match &r.status {
                Status::Passed => {
                    let _ = writeln!(s, "ok {} - {}", i + 1, r.id);
                }
                Status::Skipped(why) => {
                    let _ = writeln!(
                        s,
                        "ok {} - {} # SKIP {}",
                        i + 1,
                        r.id,
                        why.replace('\n', " ")
                    );
                }
                Status::Failed => {
                    let _ = writeln!(s, "not ok {} - {}", i + 1, r.id);
                    let _ = writeln!(s, "  ---\n  at: {}:{}\n  message: |", r.file, r.line);
                    for line in r.message.lines() {
                        let _ = writeln!(s, "    {line}");
                    }
                    s.push_str("  ...\n");
                }
            }
        }
        s
    }
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {
                out.push_str(&format!("&#x{:x};", c as u32))
            }
            c => out.push(c),
        }
    }
    out
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
        }
    }

    #[test]
    fn every_format_names_what_was_compared_and_each_outcome() {
        let r = sample();
        insta::assert_snapshot!("report_pretty", r.render(Format::Pretty));
        insta::assert_snapshot!("report_json", r.render(Format::Json));
        insta::assert_snapshot!("report_junit", r.render(Format::Junit));
        insta::assert_snapshot!("report_tap", r.render(Format::Tap));
    }
}

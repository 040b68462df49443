//! The compatibility matrix: the suite run on several implementations, cases
//! down and implementations across, as Markdown (for a README), JSON (for
//! tools, and for `nodecompat diff`) and a self-contained HTML page whose
//! failing cells open their expected-vs-actual diff.
//!
//! The Markdown holds only what a rerun reproduces: outcomes, not durations
//! or messages (a diff names run-time ports), and the suite by the digest of
//! its spec files rather than by commit (committing the matrix makes a new
//! commit). Apart from its date line, a rerun on the same pinned runtimes
//! prints the same text.

use std::fmt::Write as _;

use serde_json::{Value as Json, json};

use super::expectations::Outcome;
use super::report::{Report, xml as html};
use crate::protocol::{Hello, PROTOCOL_VERSION};

/// The version of the matrix JSON's shape.
pub const MATRIX_SCHEMA: u32 = 1;

/// One implementation: what it said it is, or why it could not run.
#[derive(Debug, Clone)]
pub struct Column {
    /// The name it was chosen by (`node22`).
    pub name: String,
    pub hello: Option<Hello>,
    /// The manifest its results were judged by.
    pub expectations: Option<String>,
    /// Why it did not run at all.
    pub error: Option<String>,
}

/// One implementation's result for one case.
#[derive(Debug, Clone)]
pub struct Cell {
    pub outcome: Outcome,
    /// The failure (with its diff), or why it was skipped.
    pub message: Option<String>,
    /// The manifest's reason, for an expected failure or a flaky case.
    pub reason: Option<String>,
}

/// One case across the implementations (`None`: that implementation did
/// not run).
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub file: String,
    pub line: usize,
    pub cells: Vec<Option<Cell>>,
}

/// A whole matrix.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// The suite's revision (`git describe`).
    pub suite: String,
    /// A digest of the spec files' contents: equal digests, same suite.
    pub digest: String,
    pub date: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

/// The outcomes in the order the summary lists them.
const OUTCOMES: [Outcome; 7] = [
    Outcome::Passed,
    Outcome::Failed,
    Outcome::XFail,
    Outcome::XPass,
    Outcome::Changed,
    Outcome::Flaky,
    Outcome::Skipped,
];

impl Matrix {
    /// Builds a matrix from one run per implementation: a report, or the
    /// implementation's name and why it could not run. `cases` are the
    /// selected cases (id, file, line), in order.
    pub fn new(
        suite: String,
        digest: String,
        date: String,
        cases: &[(String, String, usize)],
        runs: Vec<Result<Report, (String, String)>>,
    ) -> Matrix {
        let mut columns = Vec::new();
        let mut rows: Vec<Row> = cases
            .iter()
            .map(|(id, file, line)| Row {
                id: id.clone(),
                file: file.clone(),
                line: *line,
                cells: Vec::new(),
            })
            .collect();
        for run in runs {
            match run {
                Ok(report) => {
                    for row in rows.iter_mut() {
                        let cell = report.results.iter().find(|r| r.id == row.id).map(|r| {
                            let outcome = report.outcome(r);
                            let reason = report
                                .manifest
                                .as_ref()
                                .and_then(|(m, _)| m.get(&r.id))
                                .map(|e| e.reason.clone());
                            let message = match &r.status {
                                super::runner::Status::Passed => None,
                                super::runner::Status::Failed => Some(r.message.clone()),
                                super::runner::Status::Skipped(why) => Some(why.clone()),
                            };
                            Cell {
                                outcome,
                                message,
                                reason,
                            }
                        });
                        row.cells.push(cell);
                    }
                    columns.push(Column {
                        name: report.imp.clone(),
                        hello: report.hello.clone(),
                        expectations: report.manifest.as_ref().map(|(_, f)| f.clone()),
                        error: None,
                    });
                }
                Err((name, error)) => {
                    rows.iter_mut().for_each(|r| r.cells.push(None));
                    columns.push(Column {
                        name,
                        hello: None,
                        expectations: None,
                        error: Some(error),
                    });
                }
            }
        }
        Matrix {
            suite,
            digest,
            date,
            columns,
            rows,
        }
    }

    /// How many cells of column `c` have `outcome`.
    pub fn count(&self, c: usize, outcome: Outcome) -> usize {
        self.rows
            .iter()
            .filter(|r| r.cells[c].as_ref().is_some_and(|x| x.outcome == outcome))
            .count()
    }

    /// Whether every implementation ran and every result is what its
    /// manifest expects.
    pub fn ok(&self) -> bool {
        self.columns.iter().all(|c| c.error.is_none())
            && self
                .rows
                .iter()
                .all(|r| r.cells.iter().flatten().all(|c| !c.outcome.is_problem()))
    }

    /// The Markdown page: a summary per implementation, then every case.
    pub fn markdown(&self) -> String {
        let mut s = String::from("# Compatibility matrix\n\n");
        let _ = writeln!(
            s,
            "Suite digest `{}` ({} cases), protocol {PROTOCOL_VERSION}, nodecompat {}, {}/{}.",
            self.digest,
            self.rows.len(),
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        let _ = writeln!(s, "Run on {}.\n", self.date);
        s.push_str(
            "Outcomes: **pass**; **FAIL** (unexpected); *xfail* (fails as its manifest \
             records); **XPASS** (passes, the manifest expects a failure); **CHANGED** \
             (fails, not as recorded); *flaky*; skip (a requirement or a Node version \
             range the implementation does not meet); n/a (did not run).\n\n",
        );
        s.push_str("| implementation | version | held to Node | expectations | pass | FAIL | xfail | XPASS | CHANGED | flaky | skip |\n");
        s.push_str("|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|\n");
        for (i, c) in self.columns.iter().enumerate() {
            let (version, node) = match (&c.hello, &c.error) {
                (Some(h), _) => (
                    format!("{} {}", h.implementation, h.version),
                    h.node.clone(),
                ),
                (None, Some(e)) => (format!("did not run: {}", md_cell(e)), "–".into()),
                (None, None) => ("–".into(), "–".into()),
            };
            let _ = write!(
                s,
                "| {} | {version} | {node} | {} |",
                c.name,
                c.expectations.as_deref().unwrap_or("–")
            );
            for o in OUTCOMES {
                let _ = write!(s, " {} |", self.count(i, o));
            }
            s.push('\n');
        }
        s.push_str("\n## Cases\n\n| case |");
        for c in &self.columns {
            let _ = write!(s, " {} |", c.name);
        }
        s.push_str("\n|---|");
        s.push_str(&"---|".repeat(self.columns.len()));
        s.push('\n');
        for r in &self.rows {
            let _ = write!(s, "| `{}` |", r.id);
            for cell in &r.cells {
                let _ = write!(s, " {} |", md_outcome(cell.as_ref().map(|c| c.outcome)));
            }
            s.push('\n');
        }
        s
    }

    /// The JSON document `nodecompat diff` reads.
    pub fn json(&self) -> Json {
        json!({
            "schema": MATRIX_SCHEMA,
            "kind": "matrix",
            "harness": {"name": "nodecompat", "version": env!("CARGO_PKG_VERSION")},
            "platform": {"os": std::env::consts::OS, "arch": std::env::consts::ARCH},
            "date": self.date,
            "suite": self.suite,
            "digest": self.digest,
            "protocol": PROTOCOL_VERSION,
            "implementations": self.columns.iter().enumerate().map(|(i, c)| json!({
                "name": c.name,
                "implementation": c.hello.as_ref().map(|h| &h.implementation),
                "version": c.hello.as_ref().map(|h| &h.version),
                "node": c.hello.as_ref().map(|h| &h.node),
                "protocol": c.hello.as_ref().map(|h| h.protocol),
                "expectations": c.expectations,
                "error": c.error,
                "counts": OUTCOMES.iter().map(|o| (o.name().to_string(), json!(self.count(i, *o)))).collect::<serde_json::Map<_, _>>(),
            })).collect::<Vec<_>>(),
            "cases": self.rows.iter().map(|r| json!({
                "id": r.id,
                "file": r.file,
                "line": r.line,
                "results": self.columns.iter().zip(&r.cells).filter_map(|(c, cell)| {
                    cell.as_ref().map(|x| (c.name.clone(), json!({
                        "status": x.outcome.name(),
                        "message": x.message,
                        "reason": x.reason,
                    })))
                }).collect::<serde_json::Map<_, _>>(),
            })).collect::<Vec<_>>(),
        })
    }

    /// A self-contained HTML page: cases down, implementations across, a
    /// colour per outcome; a cell that did not pass opens its message.
    pub fn html(&self) -> String {
        let mut s = String::from(HTML_HEAD);
        let _ = writeln!(
            s,
            "<h1>Compatibility matrix</h1>\n<p>Suite {} (digest <code>{}</code>, {} cases), protocol {PROTOCOL_VERSION}, nodecompat {}, {}/{}, run on {}.</p>",
            html(&self.suite),
            html(&self.digest),
            self.rows.len(),
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH,
            html(&self.date)
        );
        s.push_str("<table class=\"summary\"><tr><th>implementation</th><th>version</th><th>held to Node</th><th>expectations</th>");
        for o in OUTCOMES {
            let _ = write!(s, "<th class=\"{0}\">{0}</th>", o.name());
        }
        s.push_str("</tr>\n");
        for (i, c) in self.columns.iter().enumerate() {
            let version = match (&c.hello, &c.error) {
                (Some(h), _) => format!("{} {}", h.implementation, h.version),
                (None, Some(e)) => format!("did not run: {e}"),
                (None, None) => String::new(),
            };
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                html(&c.name),
                html(&version),
                html(c.hello.as_ref().map_or("", |h| h.node.as_str())),
                html(c.expectations.as_deref().unwrap_or(""))
            );
            for o in OUTCOMES {
                let _ = write!(s, "<td>{}</td>", self.count(i, o));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</table>\n<p><label><input type=\"checkbox\" id=\"differ\"> only cases where some implementation did not pass</label></p>\n<table class=\"cases\"><thead><tr><th>case</th>");
        for c in &self.columns {
            let _ = write!(s, "<th>{}</th>", html(&c.name));
        }
        s.push_str("</tr></thead><tbody>\n");
        for r in &self.rows {
            let all_pass = r
                .cells
                .iter()
                .all(|c| c.as_ref().is_some_and(|c| c.outcome == Outcome::Passed));
            let _ = write!(
                s,
                "<tr{}><td title=\"{}:{}\">{}</td>",
                if all_pass { " class=\"same\"" } else { "" },
                html(&r.file),
                r.line,
                html(&r.id)
            );
            for cell in &r.cells {
                match cell {
                    None => s.push_str("<td class=\"na\">n/a</td>"),
                    Some(c) if c.message.is_none() && c.reason.is_none() => {
                        let _ = write!(s, "<td class=\"{0}\">{0}</td>", c.outcome.name());
                    }
                    Some(c) => {
                        let mut text = String::new();
                        if let Some(why) = &c.reason {
                            let _ = writeln!(text, "manifest: {why}");
                        }
                        if let Some(m) = &c.message {
                            text.push_str(m);
                        }
                        let _ = write!(
                            s,
                            "<td class=\"{0}\"><details><summary>{0}</summary><pre>{1}</pre></details></td>",
                            c.outcome.name(),
                            html(&text)
                        );
                    }
                }
            }
            s.push_str("</tr>\n");
        }
        s.push_str(HTML_TAIL);
        s
    }
}

fn md_outcome(o: Option<Outcome>) -> &'static str {
    match o {
        None => "n/a",
        Some(Outcome::Passed) => "pass",
        Some(Outcome::Failed) => "**FAIL**",
        Some(Outcome::XFail) => "*xfail*",
        Some(Outcome::XPass) => "**XPASS**",
        Some(Outcome::Changed) => "**CHANGED**",
        Some(Outcome::Flaky) => "*flaky*",
        Some(Outcome::Skipped) => "skip",
    }
}

/// Text safe inside a Markdown table cell.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

const HTML_HEAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>nodecompat: compatibility matrix</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; vertical-align: top; }
table.cases td:first-child { font-family: ui-monospace, monospace; white-space: nowrap; }
.passed { background: #d4f7d4; } .failed { background: #f9b4b4; }
.xfail { background: #fde3b5; } .xpass { background: #e2c6f7; }
.changed { background: #f7a8e0; } .flaky { background: #fff3a0; }
.skipped { background: #eee; color: #666; } .na { background: #fff; color: #999; }
summary { cursor: pointer; }
pre { max-width: 70em; max-height: 30em; overflow: auto; white-space: pre-wrap; font-size: 12px; background: #fff; padding: 4px; }
body.differ tr.same { display: none; }
</style></head><body>
"#;

const HTML_TAIL: &str = r#"</tbody></table>
<script>
document.getElementById('differ').addEventListener('change', (e) => {
  document.body.classList.toggle('differ', e.target.checked);
});
</script>
</body></html>
"#;

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::harness::expectations::Manifest;
    use crate::harness::runner::{CaseResult, Status};
    use std::time::Duration;

    fn result(id: &str, status: Status, message: &str) -> CaseResult {
        CaseResult {
            line: 3,
            duration: Duration::from_millis(5),
            ..CaseResult::sample(id, status, message)
        }
    }

    fn hello(name: &str, version: &str, node: &str) -> Hello {
        Hello {
            protocol: PROTOCOL_VERSION,
            implementation: name.into(),
            version: version.into(),
            node: node.into(),
            features: vec![],
            modules: vec!["net".into()],
        }
    }

    pub fn sample() -> Matrix {
        let cases = vec![
            ("net/x/a".to_string(), "spec/net/x.md".to_string(), 3),
            ("net/x/b".to_string(), "spec/net/x.md".to_string(), 9),
        ];
        let node = Report {
            imp: "node22".into(),
            hello: Some(hello("node", "v22.1.0", "v22.1.0")),
            suite: "abc".into(),
            results: vec![
                result("net/x/a", Status::Passed, ""),
                result("net/x/b", Status::Passed, ""),
            ],
            duration: Duration::ZERO,
            manifest: None,
        };
        let manifest = Manifest::parse(
            "[\"net/x/b\"]\nexpect = \"fail\"\nreason = \"emits end <twice>\"\ndivergence = \"client: differs at event 2: - close / + end\"\n",
        )
        .unwrap();
        let bun = Report {
            imp: "bun".into(),
            hello: Some(hello("bun", "1.4.5", "v24.0.0")),
            suite: "abc".into(),
            results: vec![
                result("net/x/a", Status::Skipped("requires ipv6".into()), ""),
                result(
                    "net/x/b",
                    Status::Failed,
                    "events differ (- expected, + actual):\n  client: differs at event 2\n    > - close\n    > + end",
                ),
            ],
            duration: Duration::ZERO,
            manifest: Some((manifest, "expectations/bun.toml".into())),
        };
        Matrix::new(
            "abc".into(),
            "0123456789abcdef".into(),
            "2026-11-30T00:00:00Z".into(),
            &cases,
            vec![
                Ok(node),
                Ok(bun),
                Err((
                    "deno".into(),
                    "not installed | run scripts/install-runtimes".into(),
                )),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::sample;

    #[test]
    fn markdown_shows_outcomes_not_messages() {
        insta::assert_snapshot!(sample().markdown());
    }

    #[test]
    fn html_escapes_and_opens_failing_cells() {
        let page = sample().html();
        assert!(page.contains("emits end &lt;twice&gt;"), "{page}");
        assert!(page.contains("<td class=\"xfail\"><details><summary>xfail</summary>"));
        assert!(page.contains("<td class=\"na\">n/a</td>"));
        assert!(!page.contains("<twice>"));
    }

    #[test]
    fn json_counts_and_a_missing_implementation() {
        let m = sample();
        assert!(!m.ok(), "deno did not run");
        let j = m.json();
        assert_eq!(j["implementations"][1]["counts"]["xfail"], 1);
        assert_eq!(
            j["implementations"][2]["error"],
            "not installed | run scripts/install-runtimes"
        );
        assert_eq!(j["cases"][1]["results"]["bun"]["status"], "xfail");
        assert!(j["cases"][1]["results"].get("deno").is_none());
    }
}

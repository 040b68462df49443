//! `nodecompat diff OLD.json NEW.json`: what changed between two runs. Each
//! side is a run report (`run --format json`) or a matrix
//! (`matrix --json`); both come down to implementation → case → outcome.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value as Json;

use super::matrix::MATRIX_SCHEMA;
use super::report::JSON_SCHEMA;

/// One implementation's side of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImplRun {
    /// `bun 1.4.5 (held to Node v24.0.0)`, when the run knew it.
    pub identity: Option<String>,
    /// Case id → outcome name (`passed`, `xfail`…).
    pub cases: BTreeMap<String, String>,
}

/// A run or a matrix: implementation name → its results.
pub type Runs = BTreeMap<String, ImplRun>;

/// Reads a run report or a matrix.
pub fn load(doc: &Json) -> Result<Runs, String> {
    let schema = doc.get("schema").and_then(Json::as_u64);
    // A matrix names the implementation under `implementation`, a run
    // report's `implementation` object under `name`.
    let identity = |imp: &Json, key: &str| -> Option<String> {
        let name = imp.get(key).and_then(Json::as_str)?;
        let version = imp.get("version").and_then(Json::as_str).unwrap_or("?");
        let node = imp.get("node").and_then(Json::as_str).unwrap_or("?");
        Some(format!("{name} {version} (held to Node {node})"))
    };
    if doc.get("kind").and_then(Json::as_str) == Some("matrix") {
        if schema != Some(u64::from(MATRIX_SCHEMA)) {
            return Err(format!(
                "a matrix of schema {}, this nodecompat reads schema {MATRIX_SCHEMA}",
                show(schema)
            ));
        }
        let mut runs = Runs::new();
        for imp in array(doc, "implementations")? {
            let name = string(imp, "name")?;
            runs.insert(
                name,
                ImplRun {
                    identity: identity(imp, "implementation"),
                    cases: BTreeMap::new(),
                },
            );
        }
        for case in array(doc, "cases")? {
            let id = string(case, "id")?;
            if let Some(results) = case.get("results").and_then(Json::as_object) {
                for (name, r) in results {
                    let status = string(r, "status")?;
                    runs.entry(name.clone())
                        .or_default()
                        .cases
                        .insert(id.clone(), status);
                }
            }
        }
        return Ok(runs);
    }
    if schema != Some(u64::from(JSON_SCHEMA)) {
        return Err(format!(
            "a run report of schema {}, this nodecompat reads schema {JSON_SCHEMA} (or a matrix)",
            show(schema)
        ));
    }
    let name = string(doc, "impl")?;
    let mut run = ImplRun {
        identity: doc.get("implementation").and_then(|i| identity(i, "name")),
        cases: BTreeMap::new(),
    };
    for r in array(doc, "results")? {
        run.cases.insert(string(r, "id")?, string(r, "status")?);
    }
    Ok(Runs::from([(name, run)]))
}

fn show(schema: Option<u64>) -> String {
    schema.map_or("(none)".into(), |s| s.to_string())
}

fn array<'a>(doc: &'a Json, key: &str) -> Result<&'a Vec<Json>, String> {
    doc.get(key)
        .and_then(Json::as_array)
        .ok_or(format!("no `{key}` list"))
}

fn string(doc: &Json, key: &str) -> Result<String, String> {
    doc.get(key)
        .and_then(Json::as_str)
        .map(str::to_string)
        .ok_or(format!("an entry without a string `{key}`"))
}

/// What an outcome says of the behaviour: it did what Node does, or not.
fn passes(status: &str) -> Option<bool> {
    match status {
        "passed" | "xpass" => Some(true),
        "failed" | "xfail" | "changed" => Some(false),
        _ => None,
    }
}

/// Outcomes that fail a gated run.
fn is_problem(status: &str) -> bool {
    matches!(status, "failed" | "xpass" | "changed")
}

/// The changes between two runs.
#[derive(Debug, Default)]
pub struct Diff {
    pub text: String,
    /// Cases that passed and now fail, or whose outcome became a problem.
    pub regressions: usize,
}

/// Compares `old` with `new`, implementation by implementation.
pub fn diff(old: &Runs, new: &Runs) -> Diff {
    let mut d = Diff::default();
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for name in names {
        let (o, n) = match (old.get(name), new.get(name)) {
            (Some(o), Some(n)) => (o, n),
            (Some(_), None) => {
                let _ = writeln!(d.text, "{name}: only in the old run");
                continue;
            }
            (None, Some(n)) => {
                let _ = writeln!(
                    d.text,
                    "{name}: only in the new run ({} cases)",
                    n.cases.len()
                );
                continue;
            }
            (None, None) => continue,
        };
        let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let ids: BTreeSet<&String> = o.cases.keys().chain(n.cases.keys()).collect();
        for id in ids {
            let (before, after) = (o.cases.get(id), n.cases.get(id));
            let (group, line) = match (before, after) {
                (Some(b), Some(a)) if b == a => continue,
                (Some(b), Some(a)) => {
                    let group = match (passes(b), passes(a)) {
                        (Some(true), Some(false)) => "now fail",
                        (Some(false), Some(true)) => "now pass",
                        _ if is_problem(a) && !is_problem(b) => "now a problem",
                        _ => "other changes",
                    };
                    (group, format!("{id}: {b} -> {a}"))
                }
                (None, Some(a)) => ("new cases", format!("{id}: {a}")),
                (Some(b), None) => ("cases gone", format!("{id}: was {b}")),
                (None, None) => continue,
            };
            if group == "now fail"
                || group == "now a problem"
                || (group == "new cases" && after.is_some_and(|a| is_problem(a)))
            {
                d.regressions += 1;
            }
            groups.entry(group).or_default().push(line);
        }
        let identity = match (&o.identity, &n.identity) {
            (Some(a), Some(b)) if a != b => format!("was {a}, now {b}"),
            (_, Some(b)) => b.clone(),
            _ => String::new(),
        };
        if groups.is_empty() {
            let _ = writeln!(d.text, "{name}: no change ({identity})");
            continue;
        }
        let _ = writeln!(d.text, "{name}: {identity}");
        for group in [
            "now fail",
            "now a problem",
            "now pass",
            "other changes",
            "new cases",
            "cases gone",
        ] {
            if let Some(lines) = groups.get(group) {
                let _ = writeln!(d.text, "  {group} ({}):", lines.len());
                for l in lines {
                    let _ = writeln!(d.text, "    {l}");
                }
            }
        }
    }
    let _ = writeln!(d.text, "{} regression(s)", d.regressions);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(imp: &str, version: &str, results: &[(&str, &str)]) -> Json {
        json!({
            "schema": JSON_SCHEMA,
            "impl": imp,
            "implementation": {"name": imp, "version": version, "node": "v24.0.0"},
            "results": results.iter().map(|(id, s)| json!({"id": id, "status": s})).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn run_reports_compare_case_by_case() {
        let old = load(&report(
            "bun",
            "1.4.5",
            &[
                ("a", "passed"),
                ("b", "xfail"),
                ("c", "passed"),
                ("d", "skipped"),
                ("gone", "passed"),
            ],
        ))
        .unwrap();
        let new = load(&report(
            "bun",
            "1.4.6",
            &[
                ("a", "failed"),
                ("b", "xpass"),
                ("c", "passed"),
                ("d", "passed"),
                ("e", "failed"),
            ],
        ))
        .unwrap();
        let d = diff(&old, &new);
        insta::assert_snapshot!(d.text);
        assert_eq!(d.regressions, 2, "a now fails; e is new and fails");
    }

    #[test]
    fn a_matrix_reads_as_one_run_per_implementation() {
        let m = crate::harness::matrix::tests_support::sample().json();
        let runs = load(&m).unwrap();
        assert_eq!(runs.keys().collect::<Vec<_>>(), ["bun", "deno", "node22"]);
        assert_eq!(runs["bun"].cases["net/x/b"], "xfail");
        assert!(runs["deno"].cases.is_empty());
        assert_eq!(diff(&runs, &runs).regressions, 0);
    }

    #[test]
    fn unknown_schemas_are_refused() {
        let e = load(&json!({"schema": 1, "results": []})).unwrap_err();
        assert_eq!(
            e,
            "a run report of schema 1, this nodecompat reads schema 2 (or a matrix)"
        );
        let e = load(&json!({"kind": "matrix", "schema": 99})).unwrap_err();
        assert_eq!(e, "a matrix of schema 99, this nodecompat reads schema 1");
    }
}

//! Which cases a command takes: filters on case ids (substrings, or exact
//! ids with `--exact`, as `cargo test -- --exact` does), and the cases a
//! previous JSON report counted as failed (`run --failed-from`).

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use super::report::JSON_SCHEMA;

/// Filters on case ids: empty selects every case; otherwise a case is
/// selected when its id contains one of the patterns, or, `exact`, when it
/// is one of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub patterns: Vec<String>,
    pub exact: bool,
}

impl Filter {
    pub fn new(patterns: Vec<String>, exact: bool) -> Filter {
        Filter { patterns, exact }
    }

    /// Whether the case `id` is selected.
    pub fn matches(&self, id: &str) -> bool {
        self.patterns.is_empty()
            || self.patterns.iter().any(|p| {
                if self.exact {
                    id == p
                } else {
                    id.contains(p.as_str())
                }
            })
    }

    /// Checks the filter against the ids that exist: with `exact`, every
    /// pattern must be one of them.
    pub fn check<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Result<(), UnknownIds> {
        if !self.exact {
            return Ok(());
        }
        let ids: BTreeSet<&str> = ids.into_iter().collect();
        let unknown: Vec<Unknown> = self
            .patterns
            .iter()
            .filter(|p| !ids.contains(p.as_str()))
            .map(|p| Unknown::new(p, &ids))
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(UnknownIds(unknown))
        }
    }
}

/// Exact ids that name no case: the error says each, with what was meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownIds(pub Vec<Unknown>);

/// One exact id that names no case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub id: String,
    /// The closest id, when one is close (a typo).
    pub did_you_mean: Option<String>,
    /// How many ids contain it (it was meant as a substring filter).
    pub containing: usize,
}

impl Unknown {
    fn new(id: &str, ids: &BTreeSet<&str>) -> Unknown {
        let containing: Vec<&str> = ids.iter().copied().filter(|i| i.contains(id)).collect();
        // A typo first; else the one id it is part of.
        let did_you_mean = closest(id, ids.iter().copied())
            .or(match containing[..] {
                [only] => Some(only),
                _ => None,
            })
            .map(str::to_string);
        Unknown {
            id: id.to_string(),
            did_you_mean,
            containing: containing.len(),
        }
    }
}

impl fmt::Display for UnknownIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, u) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "no case has the id `{}`", u.id)?;
            match (&u.did_you_mean, u.containing) {
                (Some(m), _) => write!(f, " (did you mean `{m}`?)")?,
                (None, 0) => {}
                (None, n) => write!(
                    f,
                    " ({n} cases' ids contain it: drop --exact to select them by substring)"
                )?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for UnknownIds {}

/// The id closest to `given` by edit distance, when it is close enough to
/// be a typo of it: at most 3 edits, and at most a quarter of its length
/// (at least 1).
pub fn closest<'a>(given: &str, ids: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (given.chars().count() / 4).clamp(1, 3);
    ids.into_iter()
        .map(|id| (edit_distance(given, id), id))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, id)| (*d, *id))
        .map(|(_, id)| id)
}

/// Levenshtein distance, on characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The statuses of a JSON report that `--failed-from` selects: those that
/// made that run fail (the report's `failed` count). Expected failures
/// (`xfail`), `flaky`, `passed` and `skipped` are not rerun.
pub const RERUN_STATUSES: [&str; 3] = ["failed", "xpass", "changed"];

/// What `--failed-from` read from a JSON report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedFrom {
    /// The implementation the report was a run of (`impl`).
    pub imp: String,
    /// The ids whose status is one of [`RERUN_STATUSES`], in report order.
    pub ids: Vec<String>,
}

impl FailedFrom {
    /// Reads a report written by `nodecompat run --format json`; the error
    /// names the file.
    pub fn load(file: &Path) -> Result<FailedFrom, String> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
        FailedFrom::parse(&text).map_err(|e| format!("{}: {e}", file.display()))
    }

    /// Parses a JSON report's text. Only this harness's schema version is
    /// read: another one is an error that says which.
    pub fn parse(text: &str) -> Result<FailedFrom, String> {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("not a JSON report (`run --format json` writes one): {e}"))?;
        let schema = match v.get("schema") {
            Some(s) => s,
            None => {
                return Err(
                    "not a nodecompat JSON report: it has no `schema` (`run --format json` writes one)"
                        .into(),
                );
            }
        };
        if schema.as_u64() != Some(u64::from(JSON_SCHEMA)) {
            return Err(format!(
                "a report of schema {schema}; this nodecompat reads schema {JSON_SCHEMA} only: \
                 write the report again with this nodecompat's `run --format json`"
            ));
        }
        let imp = v
            .get("impl")
            .and_then(|i| i.as_str())
            .unwrap_or_default()
            .to_string();
        let results = v
            .get("results")
            .and_then(|r| r.as_array())
            .ok_or("a report without a `results` list")?;
        let mut ids = Vec::new();
        for (n, r) in results.iter().enumerate() {
            let field = |name: &str| {
                r.get(name)
                    .and_then(|x| x.as_str())
                    .ok_or_else(|| format!("results[{n}] has no `{name}` string"))
            };
            let (id, status) = (field("id")?, field("status")?);
            const KNOWN: [&str; 7] = [
                "passed", "failed", "skipped", "xfail", "xpass", "changed", "flaky",
            ];
            if !KNOWN.contains(&status) {
                return Err(format!(
                    "results[{n}] ({id}) has an unknown status `{status}`"
                ));
            }
            if RERUN_STATUSES.contains(&status) {
                ids.push(id.to_string());
            }
        }
        Ok(FailedFrom { imp, ids })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four of the suite's ids, two of them substrings of others.
    const IDS: [&str; 4] = [
        "net/server-state/max-connections",
        "net/server-state/max-connections-zero",
        "net/server-state/max-connections-zero-drops",
        "net/connect/timeout-option",
    ];

    #[test]
    fn exact_selects_one_case_where_a_substring_selects_three() {
        let substring = Filter::new(vec!["net/server-state/max-connections".into()], false);
        assert_eq!(IDS.iter().filter(|i| substring.matches(i)).count(), 3);
        let exact = Filter::new(vec!["net/server-state/max-connections".into()], true);
        let picked: Vec<&str> = IDS.iter().copied().filter(|i| exact.matches(i)).collect();
        assert_eq!(picked, ["net/server-state/max-connections"]);
        assert_eq!(exact.check(IDS), Ok(()));
        assert!(Filter::default().matches("anything"));
    }

    #[test]
    fn an_unknown_exact_id_is_an_error_naming_it() {
        let f = Filter::new(
            vec![
                "net/server-state/max-conections".into(),
                "server-state".into(),
                "net/connect/timeout".into(),
                "net/connect/timeout-option".into(),
                "dgram/nothing/like-it".into(),
            ],
            true,
        );
        let err = f.check(IDS).unwrap_err();
        assert_eq!(err.0.len(), 4);
        insta::assert_snapshot!("unknown_exact_ids", err.to_string());
        // Substring filters never fail this way.
        assert_eq!(
            Filter::new(vec!["nothing".into()], false).check(IDS),
            Ok(())
        );
    }

    #[test]
    fn closest_is_a_typo_away_or_nothing() {
        assert_eq!(
            closest("net/connect/timeout-optoin", IDS),
            Some("net/connect/timeout-option")
        );
        assert_eq!(closest("net/connect/timeout", IDS), None);
        assert_eq!(
            closest("net/connect/bad-port", ["net/connect/timeout"]),
            None
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    const REPORT: &str = r#"{
      "schema": 2, "impl": "bun",
      "results": [
        {"id": "net/a", "status": "passed"},
        {"id": "net/b", "status": "failed"},
        {"id": "net/c", "status": "xfail"},
        {"id": "net/d", "status": "xpass"},
        {"id": "net/e", "status": "changed"},
        {"id": "net/f", "status": "flaky"},
        {"id": "net/g", "status": "skipped"}
      ]
    }"#;

    #[test]
    fn failed_from_takes_what_made_the_run_fail() {
        let f = FailedFrom::parse(REPORT).unwrap();
        assert_eq!(f.imp, "bun");
        assert_eq!(f.ids, ["net/b", "net/d", "net/e"]);
    }

    #[test]
    fn failed_from_rejects_what_it_cannot_read() {
        let errors = [
            FailedFrom::parse(&REPORT.replace("\"schema\": 2", "\"schema\": 3")),
            FailedFrom::parse(&REPORT.replace("\"schema\": 2,", "")),
            FailedFrom::parse("TAP version 13"),
            FailedFrom::parse(&REPORT.replace("\"xfail\"", "\"exploded\"")),
            FailedFrom::parse(r#"{"schema": 2}"#),
        ]
        .map(|r| r.unwrap_err())
        .join("\n");
        insta::assert_snapshot!("failed_from_errors", errors);
    }
}

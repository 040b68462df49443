//! `nodecompat mutants`: the mutation check of the suite. Every passing
//! case's events block is edited in small wrong ways
//! ([`nodecompat::harness::mutants`]), each mutant is run against the
//! implementation, and every mutant that still passes is listed: a kind of
//! divergence the suite would not see.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use nodecompat::harness::mutants::{self, Kind, Mutant};
use nodecompat::harness::runner::{Mode, Status};
use nodecompat::harness::selection::Filter;
use nodecompat::harness::suite;
use nodecompat::spec::{self, LoadedCase, StmtKind};

use super::output::{out, outln};
use super::run::default_jobs;
use super::{Choice, choose, select_some};

/// One mutant and what became of it.
struct Outcome {
    case: usize,
    mutant: Mutant,
    fate: Fate,
}

enum Fate {
    /// The checker refused the mutated block (a name no longer defined…).
    Rejected(String),
    /// The run failed: the suite saw the edit.
    Killed,
    /// The run passed: a divergence of this kind goes unseen.
    Survived,
    /// The run was skipped (cannot happen for a case whose original ran,
    /// but counted rather than assumed).
    Skipped(String),
}

pub fn mutants(
    root: &Path,
    filter: &Filter,
    choice: &Choice,
    jobs: Option<usize>,
    kinds: &[String],
    verbose: bool,
) -> ExitCode {
    let kinds: Vec<Kind> = if kinds.is_empty() {
        Kind::ALL.to_vec()
    } else {
        let mut out = Vec::new();
        for k in kinds {
            match Kind::ALL.iter().find(|x| x.name() == k) {
                Some(x) => out.push(*x),
                None => {
                    eprintln!(
                        "nodecompat: unknown mutant kind `{k}` (known: delete, swap, arg, extra)"
                    );
                    return ExitCode::from(2);
                }
            }
        }
        out
    };
    let cases = match select_some(root, filter) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let implementation = match choose(root, choice) {
        Ok(i) => i,
        Err(code) => return code,
    };
    if let Err(e) = async_std::task::block_on(implementation.start()) {
        eprintln!("nodecompat: {} cannot be used: {e}", implementation.name);
        return ExitCode::from(2);
    }
    let jobs = jobs.unwrap_or_else(|| default_jobs(&implementation));
    let started = Instant::now();

    // Mutants of a case that does not pass tell nothing: only passing
    // cases are mutated.
    let cases = Arc::new(cases);
    let (baseline, _) = async_std::task::block_on(suite::run_all(
        &implementation,
        cases.clone(),
        jobs,
        Mode::Check,
        None,
    ));
    let mut not_passing = Vec::new();
    let mut outcomes = Vec::new();
    let mut runnable = Vec::new();
    for (i, (lc, r)) in cases.iter().zip(&baseline).enumerate() {
        match &r.status {
            Status::Passed => {}
            Status::Skipped(_) => continue,
            Status::Failed => {
                not_passing.push(lc.case.id.clone());
                continue;
            }
        }
        for m in case_mutants(lc) {
            if !kinds.contains(&m.kind) {
                continue;
            }
            match spec::with_events(lc, &m.lines) {
                Ok(mutated) => {
                    runnable.push(mutated);
                    outcomes.push(Outcome {
                        case: i,
                        mutant: m,
                        fate: Fate::Survived,
                    });
                }
                Err(errors) => outcomes.push(Outcome {
                    case: i,
                    mutant: m,
                    fate: Fate::Rejected(errors[0].message.clone()),
                }),
            }
        }
    }
    outln!(
        "{} mutant(s) of {} passing case(s) against {}, {} to run",
        outcomes.len(),
        baseline
            .iter()
            .filter(|r| r.status == Status::Passed)
            .count(),
        implementation.name,
        runnable.len()
    );
    let (results, _) = async_std::task::block_on(suite::run_all(
        &implementation,
        Arc::new(runnable),
        jobs,
        Mode::Check,
        None,
    ));
    let mut results = results.into_iter();
    for o in outcomes.iter_mut() {
        if matches!(o.fate, Fate::Survived) {
            let r = results.next().expect("one result per mutant run");
            o.fate = match r.status {
                Status::Passed => Fate::Survived,
                Status::Failed => Fate::Killed,
                Status::Skipped(why) => Fate::Skipped(why),
            };
        }
    }

    out!("{}", summary(&cases, &outcomes, &not_passing, verbose));
    outln!("({:.1} s)", started.elapsed().as_secs_f64());
    let bad = outcomes
        .iter()
        .any(|o| matches!(o.fate, Fate::Survived | Fate::Skipped(_)));
    if bad || !not_passing.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The mutants of one case's events block.
fn case_mutants(lc: &LoadedCase) -> Vec<Mutant> {
    let Some(block) = &lc.case.events_block else {
        return Vec::new();
    };
    // Names a pattern may use: the objects, the captures, the script's
    // variables.
    let mut names: BTreeSet<String> = lc.plan.objects.keys().cloned().collect();
    names.extend(lc.plan.captures.iter().map(|c| c.name.clone()));
    for s in &lc.case.script {
        if let StmtKind::Eval {
            assign: Some(n), ..
        } = &s.kind
        {
            names.insert(n.clone());
        }
    }
    let names: Vec<String> = names.into_iter().collect();
    let class_of = |n: &str| lc.plan.objects.get(n).copied();
    mutants::mutants(&block.lines, block.first_line, &class_of, &names)
}

/// The report: counts per kind, the kill rate, then every survivor.
fn summary(
    cases: &[LoadedCase],
    outcomes: &[Outcome],
    not_passing: &[String],
    verbose: bool,
) -> String {
    let mut s = String::new();
    let mut per_kind: BTreeMap<Kind, [usize; 4]> = BTreeMap::new();
    for o in outcomes {
        let slot = match o.fate {
            Fate::Killed => 0,
            Fate::Rejected(_) => 1,
            Fate::Survived => 2,
            Fate::Skipped(_) => 3,
        };
        per_kind.entry(o.mutant.kind).or_default()[slot] += 1;
    }
    s.push_str("kind     mutants  failed  refused by the checker  survived\n");
    let mut total = [0; 4];
    for (kind, n) in &per_kind {
        s.push_str(&format!(
            "{:<8} {:>7}  {:>6}  {:>22}  {:>8}\n",
            kind.name(),
            n.iter().sum::<usize>(),
            n[0],
            n[1],
            n[2] + n[3]
        ));
        for (t, x) in total.iter_mut().zip(n) {
            *t += x;
        }
    }
    let all: usize = total.iter().sum();
    let killed = total[0] + total[1];
    let rate = if all == 0 {
        100.0
    } else {
        killed as f64 * 100.0 / all as f64
    };
    s.push_str(&format!(
        "killed {killed} of {all} mutants ({rate:.2}%), {} survived\n",
        total[2] + total[3]
    ));
    for o in outcomes {
        let why = match &o.fate {
            Fate::Survived => "survived".to_string(),
            Fate::Skipped(w) => format!("skipped: {w}"),
            Fate::Rejected(w) if verbose => format!("refused: {w}"),
            _ => continue,
        };
        let lc = &cases[o.case];
        s.push_str(&format!(
            "  {}:{}  {}  [{}] {}  ({why})\n",
            lc.case.file,
            o.mutant.line,
            lc.case.id,
            o.mutant.kind.name(),
            o.mutant.edit
        ));
    }
    for id in not_passing {
        s.push_str(&format!("  {id} does not pass as written: not mutated\n"));
    }
    s
}

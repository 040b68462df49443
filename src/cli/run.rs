//! `nodecompat run`: a suite against one implementation, with progress
//! lines and a report, judged by the implementation's expectation manifest
//! when it has one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nodecompat::driver::Implementation;
use nodecompat::harness::expectations::{Expect, Manifest};
use nodecompat::harness::repeat;
use nodecompat::harness::report::{self, Format, Report};
use nodecompat::harness::runner::{CaseResult, Mode, Status};
use nodecompat::harness::suite::{self, Progress};
use nodecompat::spec::LoadedCase;

use super::output::{out, outln};
use super::{Choice, ExpectationsArgs, SelectArgs, Selected, choose, pick, repo_root};

pub fn run(
    root: &Path,
    select: &SelectArgs,
    choice: &Choice,
    expectations: &ExpectationsArgs,
    jobs: Option<usize>,
    format: Format,
    repeat: usize,
) -> ExitCode {
    let Selected { cases, report } = match pick(root, select) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some((file, failed)) = &report {
        if cases.is_empty() {
            if failed.ids.is_empty() {
                eprintln!(
                    "nodecompat: nothing to rerun: {} has no failed case",
                    file.display()
                );
            } else {
                eprintln!(
                    "nodecompat: nothing to rerun: none of the {} case(s) that failed in {} is {}",
                    failed.ids.len(),
                    file.display(),
                    if select.ids.filters.is_empty() {
                        "in this suite"
                    } else {
                        "in this suite and selected by FILTERS"
                    }
                );
            }
            return ExitCode::SUCCESS;
        }
        if failed.imp != choice.imp {
            eprintln!(
                "nodecompat: note: {} is a run of {}; this run is of {}",
                file.display(),
                failed.imp,
                choice.imp
            );
        }
    }
    if cases.is_empty() {
        eprintln!("nodecompat: no case matches {:?}", select.ids.filters);
        return ExitCode::from(2);
    }
    let implementation = match choose(root, choice) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let manifest = match manifest_for(root, &implementation, expectations) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let pretty = format == Format::Pretty;
    let mut runs = Vec::with_capacity(repeat);
    let mut last = None;
    for n in 1..=repeat.max(1) {
        if pretty && repeat > 1 {
            outln!("run {n} of {repeat}");
        }
        let report = match execute(
            root,
            cases.clone(),
            &implementation,
            manifest.clone(),
            jobs,
            pretty,
        ) {
            Ok(r) => r,
            Err(code) => return code,
        };
        runs.push((report.results.clone(), report.duration));
        last = Some(report);
    }
    let Some(mut report) = last else {
        return ExitCode::from(2);
    };
    let mut merged = None;
    if repeat > 1 {
        let m = repeat::merge(runs, manifest.as_ref().map(|(m, _)| m));
        report.results = m.results.clone();
        report.duration = m.duration;
        if let Some((manifest, _)) = &mut report.manifest {
            *manifest = repeat::judged_by(manifest, &m.unstable);
        }
        merged = Some(m);
    }
    match (&merged, format) {
        (Some(m), Format::Json) => {
            let mut v = report.json();
            v["repeat"] = repeat::json(m, repeat);
            out!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        (Some(m), Format::Pretty) => {
            out!("{}", report.render(format));
            out!("{}", repeat::summary(m, repeat));
        }
        _ => out!("{}", report.render(format)),
    }
    if report.passed() == 0 && report.skipped() == report.results.len() {
        eprintln!("nodecompat: warning: every selected case was skipped; nothing was tested");
    }
    if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The manifest a run is judged by: `--expectations`, else
/// `expectations/NAME.toml` for a named implementation when it exists.
pub fn manifest_for(
    root: &Path,
    implementation: &Implementation,
    args: &ExpectationsArgs,
) -> Result<Option<(Manifest, String)>, ExitCode> {
    if args.no_expectations {
        return Ok(None);
    }
    let file = match &args.expectations {
        Some(f) => f.clone(),
        None => match default_manifest(root, &implementation.name) {
            Some(f) if f.is_file() => f,
            _ => return Ok(None),
        },
    };
    match Manifest::load(&file) {
        Ok(m) => Ok(Some((m, shown(root, &file)))),
        Err(e) => {
            eprintln!("nodecompat: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// `expectations/NAME.toml` beside the spec directory, for a plain name.
pub fn default_manifest(root: &Path, name: &str) -> Option<PathBuf> {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plain.then(|| {
        repo_root(root)
            .join("expectations")
            .join(format!("{name}.toml"))
    })
}

/// A path as reports show it: relative to the checkout when inside it.
fn shown(root: &Path, file: &Path) -> String {
    let base = repo_root(root);
    let abs = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
    abs.strip_prefix(&base)
        .map(Path::to_path_buf)
        .unwrap_or(abs)
        .display()
        .to_string()
}

/// Runs `cases` on `implementation` (cases the manifest says to skip are not
/// run) and returns the report. A driver that cannot start is one error.
pub fn execute(
    root: &Path,
    cases: Vec<LoadedCase>,
    implementation: &Implementation,
    manifest: Option<(Manifest, String)>,
    jobs: Option<usize>,
    progress: bool,
) -> Result<Report, ExitCode> {
    // A driver that cannot start (or speaks another protocol) is one clear
    // error, not a failure per case.
    if let Err(e) = async_std::task::block_on(implementation.start()) {
        eprintln!("nodecompat: {} cannot be used: {e}", implementation.name);
        return Err(ExitCode::from(2));
    }
    let skip = |lc: &LoadedCase| {
        manifest
            .as_ref()
            .and_then(|(m, _)| m.get(&lc.case.id))
            .filter(|e| e.expect == Expect::Skip)
            .map(|e| format!("skipped by the manifest: {}", e.reason))
    };
    let order: Vec<String> = cases.iter().map(|c| c.case.id.clone()).collect();
    let (skipped, to_run): (Vec<LoadedCase>, Vec<LoadedCase>) =
        cases.into_iter().partition(|c| skip(c).is_some());
    let mut results: Vec<CaseResult> = skipped
        .iter()
        .map(|lc| CaseResult {
            id: lc.case.id.clone(),
            file: lc.case.file.clone(),
            line: lc.case.pos.line,
            status: Status::Skipped(skip(lc).unwrap_or_default()),
            duration: Duration::ZERO,
            message: String::new(),
            trace: Default::default(),
            driver_lost: false,
        })
        .collect();
    let jobs = jobs.unwrap_or_else(|| default_jobs(implementation));
    let total = to_run.len();
    let started = Instant::now();
    let (tx, rx) = async_std::channel::unbounded();
    let printer = async_std::task::spawn(async move {
        let mut done = 0;
        while let Ok(p) = rx.recv().await {
            if progress {
                done += print_progress(&p, done, total);
            }
        }
    });
    let (ran, hello) = async_std::task::block_on(suite::run_all(
        implementation,
        Arc::new(to_run),
        jobs,
        Mode::Check,
        Some(tx),
    ));
    async_std::task::block_on(printer);
    results.extend(ran);
    // Back in the order the cases were selected in.
    results.sort_by_key(|r| order.iter().position(|id| *id == r.id));
    Ok(Report {
        imp: implementation.name.clone(),
        hello,
        suite: report::suite_revision(root),
        results,
        duration: started.elapsed(),
        manifest,
    })
}

/// How many sessions to run at once. The in-process reference spends most
/// of a case waiting on the loopback, so many sessions overlap well; an
/// external driver is a process each.
pub fn default_jobs(implementation: &Implementation) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    match implementation.kind {
        nodecompat::driver::Kind::Reference => 32,
        nodecompat::driver::Kind::Command { .. } => (cores * 2).max(4),
    }
}

/// Prints one progress line; returns how many cases finished (0 or 1).
fn print_progress(p: &Progress, done: usize, total: usize) -> usize {
    match p {
        Progress::Started(h) => {
            outln!(
                "running {total} case(s) against {} {} (held to Node {})",
                h.implementation,
                h.version,
                h.node
            );
            0
        }
        Progress::Finished(r) => {
            let tag = match &r.status {
                Status::Passed => "ok  ",
                Status::Failed => "FAIL",
                Status::Skipped(_) => "skip",
            };
            let why = match &r.status {
                Status::Skipped(w) => format!(" ({w})"),
                _ => String::new(),
            };
            outln!(
                "[{:>3}/{total}] {tag} {} {}ms{why}",
                done + 1,
                r.id,
                r.duration.as_millis()
            );
            1
        }
    }
}

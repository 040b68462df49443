//! The commands of the `nodecompat` binary.
//!
//! - this file: finding the spec directory and the implementations, and the
//!   small commands (`list`, `check`, `record`, `impls`);
//! - [`run`]: running a suite against an implementation, with progress and
//!   a report;
//! - [`coverage`]: the catalogue's items against the cases naming them;
//! - [`expectations`]: linting and updating expectation manifests;
//! - [`matrix`]: the suite on several implementations, and `diff`;
//! - [`mutants`]: the mutation check of the suite;
//! - [`output`]: stdout, where a closed pipe ends the process quietly.

pub mod coverage;
pub mod expectations;
pub mod matrix;
pub mod mutants;
pub mod output;
pub mod run;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use nodecompat::driver::{Implementation, config};
use nodecompat::harness::record;
use nodecompat::harness::selection::{FailedFrom, Filter};
use nodecompat::spec::{self, LoadOptions, LoadedCase};

use output::outln;

/// Which implementation a command runs: `--impl`, the registry file, and a
/// held-to Node version that overrides the configured one.
pub struct Choice<'a> {
    pub imp: &'a str,
    pub registry: Option<&'a Path>,
    pub node_version: Option<&'a str>,
}

/// FILTERS on case ids, as substrings or, with `--exact`, as whole ids.
#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// Only cases whose id contains one of these (e.g. net/half-open); with
    /// --exact, only the cases with exactly these ids.
    #[arg(value_name = "FILTERS")]
    pub filters: Vec<String>,
    /// Match FILTERS as whole case ids, not substrings (as `cargo test --
    /// --exact` does): `--exact net/server-state/max-connections` selects
    /// that case and not net/server-state/max-connections-zero. An id that
    /// names no case is an error.
    #[arg(long)]
    pub exact: bool,
}

impl FilterArgs {
    pub fn filter(&self) -> Filter {
        Filter::new(self.filters.clone(), self.exact)
    }
}

/// Which cases `run` and `list` take: [`FilterArgs`], and the failures of
/// a previous run.
#[derive(Args, Debug, Clone, Default)]
pub struct SelectArgs {
    #[command(flatten)]
    pub ids: FilterArgs,
    /// Only the cases that made the run of this JSON report (written by
    /// `run --format json`) fail: its `failed`, `xpass` and `changed`
    /// results (not `xfail`, `flaky` or `skipped`). FILTERS narrow them
    /// further.
    #[arg(long, value_name = "REPORT.json")]
    pub failed_from: Option<PathBuf>,
}

impl SelectArgs {
    pub fn filter(&self) -> Filter {
        self.ids.filter()
    }
}

/// What [`pick`] selected.
pub struct Selected {
    pub cases: Vec<LoadedCase>,
    /// `--failed-from`: the report's file and what it said.
    pub report: Option<(PathBuf, FailedFrom)>,
}

/// Which expectation manifest judges a run.
#[derive(Args, Debug, Clone, Default)]
pub struct ExpectationsArgs {
    /// The manifest to judge results by (default: expectations/NAME.toml
    /// when it exists for a named implementation).
    #[arg(long)]
    pub expectations: Option<PathBuf>,
    /// Judge every result as "must pass", even with a manifest.
    #[arg(long, conflicts_with = "expectations")]
    pub no_expectations: bool,
}

/// `nodecompat expectations …`.
#[derive(Subcommand)]
pub enum ExpectationsCommand {
    /// Check manifests: every id names an existing case, every entry has a
    /// reason, every expected failure its recorded divergence (default: all
    /// of expectations/*.toml).
    Lint { files: Vec<PathBuf> },
    /// Run the suite on an implementation and rewrite its manifest from the
    /// results (reasons already written are kept; new entries need one),
    /// for a person to review.
    Update {
        /// The implementation, by name.
        #[arg(long = "impl")]
        imp: String,
        /// The manifest to write (default: expectations/NAME.toml).
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
    },
}

/// The spec directory: `--spec-dir`, else `./spec`, else the one this build
/// came from.
pub fn spec_root(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = given {
        return if p.is_dir() {
            Ok(p.to_path_buf())
        } else {
            Err(format!("{} is not a directory", p.display()))
        };
    }
    let here = PathBuf::from("spec");
    if here.is_dir() {
        return Ok(here);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    if built.is_dir() {
        return Ok(built);
    }
    Err("no spec directory here; pass --spec-dir".into())
}

/// The folder holding the spec directory (and `implementations.toml`,
/// `expectations/`, `scripts/`).
pub fn repo_root(spec_root: &Path) -> PathBuf {
    let abs = spec_root
        .canonicalize()
        .unwrap_or_else(|_| spec_root.to_path_buf());
    abs.parent().map(Path::to_path_buf).unwrap_or(abs)
}

/// The implementations file: `--implementations`, else
/// `implementations.toml` beside the spec directory.
fn registry(root: &Path, file: Option<&Path>) -> Result<config::Registry, ExitCode> {
    let file = file.map_or_else(|| repo_root(root).join(config::FILE), Path::to_path_buf);
    config::Registry::load(&file).map_err(|e| {
        eprintln!("nodecompat: {e}");
        ExitCode::from(2)
    })
}

/// `--impl` resolved: a configured name, a built-in one, or a command line.
pub fn implementation(
    root: &Path,
    file: Option<&Path>,
    imp: &str,
) -> Result<Implementation, ExitCode> {
    let registry = registry(root, file)?;
    Implementation::parse_with(imp, &repo_root(root), &registry).map_err(|e| {
        eprintln!("nodecompat: {e}");
        ExitCode::from(2)
    })
}

/// A [`Choice`] resolved, its held-to version checked.
pub fn choose(root: &Path, choice: &Choice) -> Result<Implementation, ExitCode> {
    let mut implementation = implementation(root, choice.registry, choice.imp)?;
    if let Some(v) = choice.node_version {
        if let Err(e) = spec::version::Range::parse(v) {
            eprintln!("nodecompat: --node-version {v}: {e}");
            return Err(ExitCode::from(2));
        }
        implementation.node = Some(v.to_string());
    }
    Ok(implementation)
}

pub fn impls(root: &Path, file: Option<&Path>) -> ExitCode {
    let registry = match registry(root, file) {
        Ok(r) => r,
        Err(code) => return code,
    };
    outln!(
        "{:<24} the Rust reference implementation, in-process (built in)",
        "reference"
    );
    outln!(
        "{:<24} the `node` on PATH or $NODECOMPAT_NODE (built in)",
        "node"
    );
    for name in registry.names() {
        let (description, node) = registry.describe(name).unwrap_or_default();
        let held = node
            .map(|n| format!(" (held to Node {n})"))
            .unwrap_or_default();
        outln!("{name:<24} {description}{held}");
    }
    ExitCode::SUCCESS
}

/// Every case, or those whose id contains one of `filters`.
pub fn load(root: &Path, filters: &[String]) -> Result<Vec<LoadedCase>, ExitCode> {
    select(root, &Filter::new(filters.to_vec(), false))
}

/// [`select`], for a command that has nothing to do without a case:
/// selecting none is an error (exit status 2).
pub fn select_some(root: &Path, filter: &Filter) -> Result<Vec<LoadedCase>, ExitCode> {
    let cases = select(root, filter)?;
    if cases.is_empty() {
        eprintln!("nodecompat: no case matches {:?}", filter.patterns);
        return Err(ExitCode::from(2));
    }
    Ok(cases)
}

/// The cases `filter` selects. An exact id that names no case is an error
/// (exit status 2) naming it.
pub fn select(root: &Path, filter: &Filter) -> Result<Vec<LoadedCase>, ExitCode> {
    match spec::load_suite(root, LoadOptions::default()) {
        Ok(cases) => {
            if let Err(e) = filter.check(cases.iter().map(|c| c.case.id.as_str())) {
                for line in e.to_string().lines() {
                    eprintln!("nodecompat: {line}");
                }
                return Err(ExitCode::from(2));
            }
            Ok(cases
                .into_iter()
                .filter(|c| filter.matches(&c.case.id))
                .collect())
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("{} problem(s) in the specs", errors.len());
            Err(ExitCode::from(2))
        }
    }
}

/// The cases [`SelectArgs`] selects: the filters, and the failures of a
/// report given with `--failed-from` (a note on stderr names those the suite
/// no longer has).
pub fn pick(root: &Path, args: &SelectArgs) -> Result<Selected, ExitCode> {
    let report = match &args.failed_from {
        None => None,
        Some(file) => match FailedFrom::load(file) {
            Ok(f) => Some((file.clone(), f)),
            Err(e) => {
                eprintln!("nodecompat: --failed-from {e}");
                return Err(ExitCode::from(2));
            }
        },
    };
    let filter = args.filter();
    let mut cases = select(root, &filter)?;
    if let Some((file, failed)) = &report {
        let gone: Vec<&str> = failed
            .ids
            .iter()
            .map(String::as_str)
            .filter(|id| filter.matches(id) && !cases.iter().any(|c| c.case.id == *id))
            .collect();
        if !gone.is_empty() {
            eprintln!(
                "nodecompat: note: {} names {} failed case(s) this suite does not have: {}",
                file.display(),
                gone.len(),
                gone.join(", ")
            );
        }
        cases.retain(|c| failed.ids.contains(&c.case.id));
    }
    Ok(Selected { cases, report })
}

pub fn list(root: &Path, select_args: &SelectArgs) -> ExitCode {
    match pick(root, select_args) {
        Ok(Selected { cases, .. }) => {
            for c in &cases {
                outln!("{}  {}:{}", c.case.id, c.case.file, c.case.pos.line);
            }
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

pub fn check(root: &Path, files: &[PathBuf]) -> ExitCode {
    if files.is_empty() {
        // The whole suite: its cases, and what they say they cover.
        return match load(root, &[]) {
            Ok(cases) => match coverage::report_problems(root, &cases) {
                0 => {
                    outln!("{} case(s), no problems", cases.len());
                    ExitCode::SUCCESS
                }
                n => {
                    eprintln!("{n} problem(s)");
                    ExitCode::from(2)
                }
            },
            Err(code) => code,
        };
    }
    let mut problems = 0;
    let mut count = 0;
    for f in files {
        match spec::load_file(f, root, LoadOptions::default()) {
            Ok(cases) => count += cases.len(),
            Err(errors) => {
                for e in &errors {
                    eprintln!("{e}");
                }
                problems += errors.len();
            }
        }
    }
    if problems == 0 {
        outln!("{count} case(s), no problems");
        ExitCode::SUCCESS
    } else {
        eprintln!("{problems} problem(s)");
        ExitCode::from(2)
    }
}

pub fn record_file(
    root: &Path,
    file: &Path,
    only: &Filter,
    implementation: &Implementation,
) -> ExitCode {
    match async_std::task::block_on(record::record_file(implementation, root, file, only)) {
        Ok(summary) => {
            outln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// `nodecompat docs --out DIR [--matrix FILE]`.
pub fn docs(root: &Path, out: &Path, matrix: Option<&Path>) -> ExitCode {
    let started = std::time::Instant::now();
    let default = root.parent().map(|p| p.join("docs/matrix.json"));
    let statuses = match matrix
        .map(Path::to_path_buf)
        .or(default.filter(|p| p.exists()))
    {
        Some(path) => match nodecompat::site::Statuses::read(&path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("nodecompat: {e}");
                return ExitCode::from(2);
            }
        },
        None => nodecompat::site::Statuses::default(),
    };
    match nodecompat::site::build(root, out, &statuses) {
        Ok(summary) => {
            println!(
                "wrote {} pages ({} cases) to {} in {} ms; open {}",
                summary.pages,
                summary.cases,
                out.display(),
                started.elapsed().as_millis(),
                out.join("index.html").display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprint!("nodecompat: {e}");
            ExitCode::from(2)
        }
    }
}

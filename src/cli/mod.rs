//! The commands of the `nodecompat` binary.
//!
//! - this file: finding the spec directory and the implementations, and the
//!   small commands (`list`, `check`, `record`, `impls`);
//! - [`run`]: running a suite against an implementation, with progress and
//!   a report;
//! - [`expectations`]: linting and updating expectation manifests;
//! - [`matrix`]: the suite on several implementations, and `diff`;
//! - [`mutants`]: the mutation check of the suite.

pub mod expectations;
pub mod matrix;
pub mod mutants;
pub mod run;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use nodecompat::driver::{Implementation, config};
use nodecompat::harness::record;
use nodecompat::spec::{self, LoadOptions, LoadedCase};

/// Which implementation a command runs: `--impl`, the registry file, and a
/// held-to Node version that overrides the configured one.
pub struct Choice<'a> {
    pub imp: &'a str,
    pub registry: Option<&'a Path>,
    pub node_version: Option<&'a str>,
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
    println!(
        "{:<24} the Rust reference implementation, in-process (built in)",
        "reference"
    );
    println!(
        "{:<24} the `node` on PATH or $NODECOMPAT_NODE (built in)",
        "node"
    );
    for name in registry.names() {
        let (description, node) = registry.describe(name).unwrap_or_default();
        let held = node
            .map(|n| format!(" (held to Node {n})"))
            .unwrap_or_default();
        println!("{name:<24} {description}{held}");
    }
    ExitCode::SUCCESS
}

/// Every case, or those whose id contains one of `filters`.
pub fn load(root: &Path, filters: &[String]) -> Result<Vec<LoadedCase>, ExitCode> {
    match spec::load_suite(root, LoadOptions::default()) {
        Ok(cases) => Ok(cases
            .into_iter()
            .filter(|c| {
                filters.is_empty() || filters.iter().any(|f| c.case.id.contains(f.as_str()))
            })
            .collect()),
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("{} problem(s) in the specs", errors.len());
            Err(ExitCode::from(2))
        }
    }
}

pub fn list(root: &Path, filters: &[String]) -> ExitCode {
    use std::io::Write as _;
    match load(root, filters) {
        Ok(cases) => {
            let mut out = std::io::stdout().lock();
            for c in &cases {
                // A closed pipe (`nodecompat list | head`) ends the listing
                // quietly.
                if writeln!(out, "{}  {}:{}", c.case.id, c.case.file, c.case.pos.line).is_err() {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

pub fn check(root: &Path, files: &[PathBuf]) -> ExitCode {
    if files.is_empty() {
        return match load(root, &[]) {
            Ok(cases) => {
                println!("{} case(s), no problems", cases.len());
                ExitCode::SUCCESS
            }
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
        println!("{count} case(s), no problems");
        ExitCode::SUCCESS
    } else {
        eprintln!("{problems} problem(s)");
        ExitCode::from(2)
    }
}

pub fn record_file(
    root: &Path,
    file: &Path,
    case: Option<&str>,
    implementation: &Implementation,
) -> ExitCode {
    match async_std::task::block_on(record::record_file(implementation, root, file, case)) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

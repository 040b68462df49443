//! The `nodecompat` command line: parses arguments and calls the library.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand};
use nodecompat::driver::{Implementation, config};
use nodecompat::harness::record;
use nodecompat::harness::report::{self, Format, Report};
use nodecompat::harness::runner::{Mode, Status};
use nodecompat::harness::suite::{self, Progress};
use nodecompat::spec::{self, LoadOptions, LoadedCase};

/// How far an implementation of Node.js networking is from Node.
#[derive(Parser)]
#[command(name = "nodecompat", version, about)]
struct Cli {
    /// The spec directory (default: ./spec, else the one this build came from).
    #[arg(long, global = true)]
    spec_dir: Option<PathBuf>,
    /// The file that names implementations (default: implementations.toml
    /// beside the spec directory).
    #[arg(long, global = true)]
    implementations: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run specs against an implementation; exit 0 exactly when all selected pass.
    Run {
        /// Run only cases whose id contains one of these (e.g. net/half-open).
        filters: Vec<String>,
        /// A name (`reference`, `node`, `node22`, `bun`… see `nodecompat impls`)
        /// or a driver command line.
        #[arg(long = "impl", default_value = "reference")]
        imp: String,
        /// The Node version to hold the implementation to, instead of the
        /// configured or claimed one (cases for other versions are skipped).
        #[arg(long)]
        node_version: Option<String>,
        /// Cases run in parallel, each on its own driver session.
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        #[arg(long, value_enum, default_value = "pretty")]
        format: Format,
    },
    /// List the cases (id, file:line) without running them.
    List { filters: Vec<String> },
    /// Validate spec files without running them.
    Check { files: Vec<PathBuf> },
    /// Run a spec's scripts and write what the implementation did into its events blocks.
    Record {
        file: PathBuf,
        /// Only cases whose id contains this.
        #[arg(long)]
        case: Option<String>,
        #[arg(long = "impl", default_value = "node")]
        imp: String,
    },
    /// Serve the reference implementation over the driver protocol on stdin/stdout.
    Driver,
    /// List the implementations `--impl` knows by name.
    Impls,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = match spec_root(cli.spec_dir.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nodecompat: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Run {
            filters,
            imp,
            node_version,
            jobs,
            format,
        } => {
            let mut implementation =
                match implementation(&root, cli.implementations.as_deref(), &imp) {
                    Ok(i) => i,
                    Err(code) => return code,
                };
            if let Some(v) = node_version {
                if let Err(e) = spec::version::Range::parse(&v) {
                    eprintln!("nodecompat: --node-version {v}: {e}");
                    return ExitCode::from(2);
                }
                implementation.node = Some(v);
            }
            run(&root, &filters, &implementation, jobs, format)
        }
        Command::List { filters } => list(&root, &filters),
        Command::Check { files } => check(&root, &files),
        Command::Record { file, case, imp } => {
            match implementation(&root, cli.implementations.as_deref(), &imp) {
                Ok(i) => record_file(&root, &file, case.as_deref(), &i),
                Err(code) => code,
            }
        }
        Command::Impls => impls(&root, cli.implementations.as_deref()),
        Command::Driver => {
            async_std::task::block_on(nodecompat::driver::stdio::serve_reference());
            ExitCode::SUCCESS
        }
    }
}

fn spec_root(given: Option<&Path>) -> Result<PathBuf, String> {
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

fn repo_root(spec_root: &Path) -> PathBuf {
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
fn implementation(root: &Path, file: Option<&Path>, imp: &str) -> Result<Implementation, ExitCode> {
    let registry = registry(root, file)?;
    Implementation::parse_with(imp, &repo_root(root), &registry).map_err(|e| {
        eprintln!("nodecompat: {e}");
        ExitCode::from(2)
    })
}

fn impls(root: &Path, file: Option<&Path>) -> ExitCode {
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

fn load(root: &Path, filters: &[String]) -> Result<Vec<LoadedCase>, ExitCode> {
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

fn run(
    root: &Path,
    filters: &[String],
    implementation: &Implementation,
    jobs: Option<usize>,
    format: Format,
) -> ExitCode {
    let cases = match load(root, filters) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if cases.is_empty() {
        eprintln!("nodecompat: no case matches {filters:?}");
        return ExitCode::from(2);
    }
    // A driver that cannot start (or speaks another protocol) is one clear
    // error, not a failure per case.
    match async_std::task::block_on(implementation.start()) {
        Ok(session) => drop(session),
        Err(e) => {
            eprintln!("nodecompat: {} cannot be used: {e}", implementation.name);
            return ExitCode::from(2);
        }
    }
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let total = cases.len();
    let started = Instant::now();
    let (tx, rx) = async_std::channel::unbounded();
    let pretty = format == Format::Pretty;
    let printer = async_std::task::spawn(async move {
        let mut done = 0;
        while let Ok(p) = rx.recv().await {
            if !pretty {
                continue;
            }
            match p {
                Progress::Started(h) => println!(
                    "running {total} case(s) against {} {} (held to Node {})",
                    h.implementation, h.version, h.node
                ),
                Progress::Finished(r) => {
                    done += 1;
                    let tag = match &r.status {
                        Status::Passed => "ok  ".to_string(),
                        Status::Failed => "FAIL".to_string(),
                        Status::Skipped(_) => "skip".to_string(),
                    };
                    let why = match &r.status {
                        Status::Skipped(w) => format!(" ({w})"),
                        _ => String::new(),
                    };
                    println!(
                        "[{done:>3}/{total}] {tag} {} {}ms{why}",
                        r.id,
                        r.duration.as_millis()
                    );
                    let _ = std::io::stdout().flush();
                }
            }
        }
    });
    let (results, hello) = async_std::task::block_on(suite::run_all(
        implementation,
        Arc::new(cases),
        jobs,
        Mode::Check,
        Some(tx),
    ));
    async_std::task::block_on(printer);
    let report = Report {
        imp: implementation.name.clone(),
        hello,
        suite: report::suite_revision(root),
        results,
        duration: started.elapsed(),
    };
    print!("{}", report.render(format));
    if report.passed() == 0 && report.skipped() > 0 {
        eprintln!("nodecompat: warning: every selected case was skipped; nothing was tested");
    }
    if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn list(root: &Path, filters: &[String]) -> ExitCode {
    match load(root, filters) {
        Ok(cases) => {
            for c in &cases {
                println!("{}  {}:{}", c.case.id, c.case.file, c.case.pos.line);
            }
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn check(root: &Path, files: &[PathBuf]) -> ExitCode {
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

fn record_file(
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

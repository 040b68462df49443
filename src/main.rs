//! The `nodecompat` command line: parses arguments and calls the library.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand};
use nodecompat::driver::Implementation;
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run specs against an implementation; exit 0 exactly when all selected pass.
    Run {
        /// Run only cases whose id contains one of these (e.g. net/half-open).
        filters: Vec<String>,
        /// `reference` (in-process Rust), `node` (live Node), or a driver command line.
        #[arg(long = "impl", default_value = "reference")]
        imp: String,
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
            jobs,
            format,
        } => run(&root, &filters, &imp, jobs, format),
        Command::List { filters } => list(&root, &filters),
        Command::Check { files } => check(&root, &files),
        Command::Record { file, case, imp } => record_file(&root, &file, case.as_deref(), &imp),
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
    imp: &str,
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
    let implementation = match Implementation::parse(imp, &repo_root(root)) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("nodecompat: {e}");
            return ExitCode::from(2);
        }
    };
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
                    "running {total} case(s) against {} {} (Node {})",
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
        &implementation,
        Arc::new(cases),
        jobs,
        Mode::Check,
        Some(tx),
    ));
    async_std::task::block_on(printer);
    let report = Report {
        imp: imp.to_string(),
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

fn record_file(root: &Path, file: &Path, case: Option<&str>, imp: &str) -> ExitCode {
    let implementation = match Implementation::parse(imp, &repo_root(root)) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("nodecompat: {e}");
            return ExitCode::from(2);
        }
    };
    match async_std::task::block_on(record::record_file(&implementation, root, file, case)) {
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

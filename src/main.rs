//! The `nodecompat` command line: parses arguments and calls the library
//! (the commands themselves are in `cli/`).

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nodecompat::harness::report::Format;
use nodecompat::harness::selection::Filter;

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
    /// Run specs against an implementation. Without a manifest, exit 0
    /// exactly when every selected case passes; with one, exactly when
    /// every result is what it expects.
    Run {
        #[command(flatten)]
        select: cli::SelectArgs,
        /// A name (`reference`, `node`, `node22`, `bun`… see `nodecompat impls`)
        /// or a driver command line.
        #[arg(long = "impl", default_value = "reference")]
        imp: String,
        /// The Node version to hold the implementation to, instead of the
        /// configured or claimed one (cases for other versions are skipped).
        #[arg(long)]
        node_version: Option<String>,
        #[command(flatten)]
        expectations: cli::ExpectationsArgs,
        /// Cases run in parallel, each on its own driver session.
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        #[arg(long, value_enum, default_value = "pretty")]
        format: Format,
        /// Run the selection N times and report every case whose result
        /// (status, or where a failure first diverges) differs between runs,
        /// with each run's status. An unstable case fails the run, unless
        /// the manifest says it is `flaky`.
        #[arg(long, value_name = "N", default_value_t = 1,
              value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
    },
    /// List the cases (id, file:line) without running them.
    List {
        #[command(flatten)]
        select: cli::SelectArgs,
    },
    /// Validate spec files without running them.
    Check { files: Vec<PathBuf> },
    /// Run a spec's scripts and write what the implementation did into its events blocks.
    Record {
        file: PathBuf,
        /// Only cases whose id contains this.
        #[arg(long)]
        case: Option<String>,
        /// Match --case as a whole case id, not a substring (an id that
        /// names no case of the file is an error).
        #[arg(long, requires = "case")]
        exact: bool,
        #[arg(long = "impl", default_value = "node")]
        imp: String,
    },
    /// The mutation check of the suite: edit each passing case's events
    /// block in small wrong ways (delete a line, swap two, change an
    /// argument, repeat a line), run every mutant, and list those that still
    /// pass. Exit 0 exactly when every mutant failed.
    Mutants {
        #[command(flatten)]
        ids: cli::FilterArgs,
        /// The implementation the mutants run against.
        #[arg(long = "impl", default_value = "reference")]
        imp: String,
        /// Only these kinds (delete, swap, arg, extra); default all.
        #[arg(long = "kind")]
        kinds: Vec<String>,
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Also list the mutants the checker refused, with its reason.
        #[arg(long, short = 'v')]
        verbose: bool,
    },
    /// Run the suite on several implementations and print the
    /// compatibility matrix (Markdown); `--out DIR` also writes
    /// DIR/matrix.{md,json,html}. Each implementation is judged by its
    /// manifest; exit 0 exactly when all ran and every result is expected.
    Matrix {
        #[command(flatten)]
        ids: cli::FilterArgs,
        /// The implementations, by name, comma-separated.
        #[arg(
            long = "impl",
            value_delimiter = ',',
            default_value = "reference,node20,node22,node24,bun,deno"
        )]
        imps: Vec<String>,
        /// Cases run in parallel per implementation (default: what suits each).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Where to write matrix.md, matrix.json and matrix.html.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// What changed between two runs: each a report of `run --format json`
    /// or a matrix.json. Exit 1 when a case regressed.
    Diff { old: PathBuf, new: PathBuf },
    /// Build the suite as a static site (one folder, relative links, opens
    /// from the file system): a page per spec file with each case's
    /// statuses and sequence diagram, an index and a search.
    Docs {
        /// The folder to write.
        #[arg(long)]
        out: PathBuf,
        /// The matrix JSON whose statuses the pages show (default:
        /// docs/matrix.json beside the spec directory, if there is one).
        #[arg(long)]
        matrix: Option<PathBuf>,
    },
    /// How the suite covers Node's documented API (`catalogue/node-api.md`):
    /// items covered per module and priority, the P0/P1 items without a
    /// case with the reason, and what went stale (exit 2).
    Coverage {
        /// Only this module (net, dgram, http, https, tls).
        #[arg(long)]
        module: Option<String>,
        /// Also list every item with the cases that cover it.
        #[arg(long)]
        all: bool,
    },
    /// Serve the reference implementation over the driver protocol on stdin/stdout.
    Driver,
    /// List the implementations `--impl` knows by name.
    Impls,
    /// Check or rewrite expectation manifests (`expectations/NAME.toml`).
    Expectations {
        #[command(subcommand)]
        command: cli::ExpectationsCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::try_parse().unwrap_or_else(|e| cli::output::clap_exit(e));
    let root = match cli::spec_root(cli.spec_dir.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nodecompat: {e}");
            return ExitCode::from(2);
        }
    };
    let registry = cli.implementations.as_deref();
    match cli.command {
        Command::Run {
            select,
            imp,
            node_version,
            expectations,
            jobs,
            format,
            repeat,
        } => cli::run::run(
            &root,
            &select,
            &cli::Choice {
                imp: &imp,
                registry,
                node_version: node_version.as_deref(),
            },
            &expectations,
            jobs,
            format,
            repeat as usize,
        ),
        Command::List { select } => cli::list(&root, &select),
        Command::Check { files } => cli::check(&root, &files),
        Command::Record {
            file,
            case,
            exact,
            imp,
        } => match cli::implementation(&root, registry, &imp) {
            Ok(i) => cli::record_file(
                &root,
                &file,
                &Filter::new(case.into_iter().collect(), exact),
                &i,
            ),
            Err(code) => code,
        },
        Command::Driver => {
            async_std::task::block_on(nodecompat::driver::stdio::serve_reference());
            ExitCode::SUCCESS
        }
        Command::Mutants {
            ids,
            imp,
            kinds,
            jobs,
            verbose,
        } => cli::mutants::mutants(
            &root,
            &ids.filter(),
            &cli::Choice {
                imp: &imp,
                registry,
                node_version: None,
            },
            jobs,
            &kinds,
            verbose,
        ),
        Command::Matrix {
            ids,
            imps,
            jobs,
            out,
        } => cli::matrix::matrix(&root, registry, &ids.filter(), &imps, jobs, out.as_deref()),
        Command::Diff { old, new } => cli::matrix::diff(&old, &new),
        Command::Docs { out, matrix } => cli::docs(&root, &out, matrix.as_deref()),
        Command::Coverage { module, all } => cli::coverage::command(&root, module.as_deref(), all),
        Command::Impls => cli::impls(&root, registry),
        Command::Expectations { command } => cli::expectations::command(&root, registry, command),
    }
}

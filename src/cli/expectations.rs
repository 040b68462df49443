//! `nodecompat expectations lint` and `update`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use nodecompat::harness::expectations::Manifest;

use super::output::outln;
use super::run::{default_manifest, execute, manifest_for};
use super::{Choice, ExpectationsArgs, ExpectationsCommand, choose, load, repo_root};

pub fn command(root: &Path, registry: Option<&Path>, command: ExpectationsCommand) -> ExitCode {
    match command {
        ExpectationsCommand::Lint { files } => lint(root, files),
        ExpectationsCommand::Update { imp, file, jobs } => update(root, registry, &imp, file, jobs),
    }
}

/// Every problem of every manifest, each with its file; exit 1 if any.
fn lint(root: &Path, files: Vec<PathBuf>) -> ExitCode {
    let cases = match load(root, &[]) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let files = if files.is_empty() {
        let dir = repo_root(root).join("expectations");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    } else {
        files
    };
    let known = |id: &str| cases.iter().any(|c| c.case.id == id);
    let mut problems = 0;
    for f in &files {
        match Manifest::load(f) {
            Ok(m) => {
                for p in m.lint(&known) {
                    eprintln!("{}: {p}", f.display());
                    problems += 1;
                }
            }
            Err(e) => {
                eprintln!("{e}");
                problems += 1;
            }
        }
    }
    if problems == 0 {
        outln!("{} manifest(s), no problems", files.len());
        ExitCode::SUCCESS
    } else {
        eprintln!("{problems} problem(s)");
        ExitCode::from(1)
    }
}

/// Runs every case on the implementation and writes the manifest the run
/// says, for a person to review (new entries have no reason yet).
fn update(
    root: &Path,
    registry: Option<&Path>,
    imp: &str,
    file: Option<PathBuf>,
    jobs: Option<usize>,
) -> ExitCode {
    let implementation = match choose(
        root,
        &Choice {
            imp,
            registry,
            node_version: None,
        },
    ) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let Some(file) = file.or_else(|| default_manifest(root, &implementation.name)) else {
        eprintln!("nodecompat: name the manifest to write with --file");
        return ExitCode::from(2);
    };
    let args = ExpectationsArgs {
        expectations: file.is_file().then(|| file.clone()),
        no_expectations: !file.is_file(),
    };
    let old = match manifest_for(root, &implementation, &args) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let cases = match load(root, &[]) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let report = match execute(root, cases, &implementation, old.clone(), jobs, false) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let next = old
        .map(|(m, _)| m)
        .unwrap_or_default()
        .updated(&report.results);
    let header = format!(
        "What {} is known to do differently from Node (held to Node {}).\n\
         Written by `nodecompat expectations update --impl {}`; every entry needs a reason.\n\
         expect = \"fail\" (with the recorded first divergence), \"flaky\" or \"skip\".",
        implementation.name,
        report.hello.as_ref().map_or("?", |h| h.node.as_str()),
        implementation.name
    );
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&file, next.to_toml(&header)) {
        Ok(()) => {
            let empty = next
                .entries
                .values()
                .filter(|e| e.reason.trim().is_empty())
                .count();
            outln!(
                "wrote {} entries to {} ({empty} without a reason yet)",
                next.entries.len(),
                file.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nodecompat: cannot write {}: {e}", file.display());
            ExitCode::from(2)
        }
    }
}

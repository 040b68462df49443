//! `nodecompat matrix`: the suite on several implementations, one after
//! another, as one table; and `nodecompat diff`: what changed between two
//! runs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use nodecompat::harness::diff;
use nodecompat::harness::matrix::Matrix;
use nodecompat::harness::report;
use nodecompat::harness::selection::Filter;

use super::output::out;
use super::run::{execute, manifest_for};
use super::{Choice, ExpectationsArgs, choose, select_some};

pub fn matrix(
    root: &Path,
    registry: Option<&Path>,
    filter: &Filter,
    imps: &[String],
    jobs: Option<usize>,
    out: Option<&Path>,
) -> ExitCode {
    let cases = match select_some(root, filter) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let ids: Vec<(String, String, usize)> = cases
        .iter()
        .map(|c| (c.case.id.clone(), c.case.file.clone(), c.case.pos.line))
        .collect();
    let mut runs = Vec::new();
    for name in imps {
        let choice = Choice {
            imp: name,
            registry,
            node_version: None,
        };
        // A name that means nothing is a usage error; an implementation
        // that does not start is a column saying why.
        let implementation = match choose(root, &choice) {
            Ok(i) => i,
            Err(code) => return code,
        };
        if let Err(e) = async_std::task::block_on(implementation.start()) {
            eprintln!("{name}: did not run: {e}");
            runs.push(Err((name.clone(), e.to_string())));
            continue;
        }
        let manifest = match manifest_for(root, &implementation, &ExpectationsArgs::default()) {
            Ok(m) => m,
            Err(code) => return code,
        };
        let started = Instant::now();
        match execute(root, cases.clone(), &implementation, manifest, jobs, false) {
            Ok(mut r) => {
                r.imp = name.clone();
                eprintln!(
                    "{name}: {} ({:.1} s)",
                    r.summary(),
                    started.elapsed().as_secs_f64()
                );
                runs.push(Ok(r));
            }
            Err(_) => runs.push(Err((name.clone(), "the driver did not start".into()))),
        }
    }
    let matrix = Matrix::new(
        report::suite_revision(root),
        report::suite_digest(root),
        report::rfc3339(SystemTime::now()),
        &ids,
        runs,
    );
    // Unexpected results, with their diffs, where a person (or a CI log)
    // sees them; the tables only say which.
    for row in &matrix.rows {
        for (column, cell) in matrix.columns.iter().zip(&row.cells) {
            if let Some(c) = cell.as_ref().filter(|c| c.outcome.is_problem()) {
                eprintln!(
                    "\n{} {} {} ({}:{})",
                    column.name,
                    c.outcome.name().to_uppercase(),
                    row.id,
                    row.file,
                    row.line
                );
                for line in c.message.as_deref().unwrap_or_default().lines() {
                    eprintln!("  {line}");
                }
            }
        }
    }
    let markdown = matrix.markdown();
    out!("{markdown}");
    if let Some(dir) = out {
        let files: [(&str, String); 3] = [
            ("matrix.md", markdown),
            (
                "matrix.json",
                serde_json::to_string_pretty(&matrix.json()).unwrap_or_default() + "\n",
            ),
            ("matrix.html", matrix.html()),
        ];
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("nodecompat: cannot create {}: {e}", dir.display());
            return ExitCode::from(2);
        }
        for (name, text) in files {
            let path: PathBuf = dir.join(name);
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!("nodecompat: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        eprintln!("wrote {}/matrix.{{md,json,html}}", dir.display());
    }
    if matrix.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Reads a run report or matrix; the error names the file.
fn read(file: &Path) -> Result<diff::Runs, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", file.display()))?;
    diff::load(&doc).map_err(|e| format!("{}: {e}", file.display()))
}

pub fn diff(old: &Path, new: &Path) -> ExitCode {
    let (old, new) = match (read(old), read(new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("nodecompat: {e}");
            return ExitCode::from(2);
        }
    };
    let d = diff::diff(&old, &new);
    out!("{}", d.text);
    if d.regressions == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

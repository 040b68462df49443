//! `nodecompat coverage`: the catalogue's items against the cases that
//! name them — a table per module, the P0/P1 items without a case (each
//! with its reason), and, on request, every item with its cases.

use std::path::Path;
use std::process::ExitCode;

use nodecompat::catalogue::coverage::Coverage;
use nodecompat::catalogue::{self, Catalogue, Problem};
use nodecompat::spec::LoadedCase;

use super::output::outln;

/// Loads the project's catalogue; `None` (and nothing printed) when the
/// spec directory has none beside it, as a third party's suite may not.
pub fn catalogue_of(root: &Path) -> Option<Result<Catalogue, Vec<Problem>>> {
    let path = catalogue::path_for(root);
    path.exists().then(|| Catalogue::load(&path))
}

/// The problems between the suite and its catalogue, printed to stderr;
/// returns how many.
pub fn report_problems(root: &Path, cases: &[LoadedCase]) -> usize {
    let problems = match catalogue_of(root) {
        None => return 0,
        Some(Err(problems)) => problems,
        Some(Ok(catalogue)) => Coverage::of(&catalogue, cases.iter().map(|c| &c.case)).problems,
    };
    for p in &problems {
        eprintln!("{p}");
    }
    problems.len()
}

/// The command. `module` limits the listing; `all` lists every item.
pub fn command(root: &Path, module: Option<&str>, all: bool) -> ExitCode {
    let cases = match super::load(root, &[]) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let catalogue = match catalogue_of(root) {
        None => {
            eprintln!(
                "nodecompat: no catalogue at {}",
                catalogue::path_for(root).display()
            );
            return ExitCode::from(2);
        }
        Some(Err(problems)) => {
            for p in &problems {
                eprintln!("{p}");
            }
            return ExitCode::from(2);
        }
        Some(Ok(c)) => c,
    };
    if let Some(m) = module
        && !catalogue.modules().contains(&m)
    {
        eprintln!(
            "nodecompat: no module `{m}` in the catalogue (it has {})",
            catalogue.modules().join(", ")
        );
        return ExitCode::from(2);
    }
    let coverage = Coverage::of(&catalogue, cases.iter().map(|c| &c.case));
    let shown = |m: &str| module.is_none_or(|want| want == m);
    outln!("{:<8} {:>9} {:>9} {:>9}", "module", "P0", "P1", "P2");
    for t in coverage.tallies().iter().filter(|t| shown(&t.module)) {
        let cell = |t: nodecompat::catalogue::coverage::Tally| match t.total {
            0 => "–".to_string(),
            _ => format!("{}/{}", t.covered, t.total),
        };
        outln!(
            "{:<8} {:>9} {:>9} {:>9}",
            t.module,
            cell(t.p0),
            cell(t.p1),
            cell(t.p2)
        );
    }
    outln!("(items covered by a case / items; P1 includes P1†)");
    let uncovered: Vec<_> = coverage
        .items()
        .filter(|(i, c)| shown(&i.module) && i.priority.required() && c.is_empty())
        .collect();
    if !uncovered.is_empty() {
        outln!("\nP0/P1 items without a case:");
        for (item, _) in uncovered {
            outln!(
                "  [{}] {}: {}",
                item.priority.label(),
                item.id,
                item.uncovered.as_deref().unwrap_or("(no reason given)")
            );
        }
    }
    if all {
        outln!();
        for (item, cases) in coverage.items().filter(|(i, _)| shown(&i.module)) {
            let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
            outln!(
                "[{}] {}  {}",
                item.priority.label(),
                item.id,
                if ids.is_empty() {
                    "-".to_string()
                } else {
                    ids.join(", ")
                }
            );
        }
    }
    if coverage.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!();
        for p in &coverage.problems {
            eprintln!("{p}");
        }
        eprintln!("{} problem(s)", coverage.problems.len());
        ExitCode::from(2)
    }
}

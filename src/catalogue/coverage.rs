//! Which cases cover which catalogue items, from the cases' `"covers"`,
//! and what went stale between the two.

use super::{Catalogue, Item, Priority, Problem};
use crate::spec::Case;

/// A case, as the coverage page names it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRef {
    /// `net/connect/options-form`.
    pub id: String,
    /// The spec file, as the suite loaded it.
    pub file: String,
    pub title: String,
}

/// The catalogue with, for each item, the cases that cover it.
#[derive(Debug, Clone)]
pub struct Coverage<'a> {
    pub catalogue: &'a Catalogue,
    /// Per item (the catalogue's order), the cases naming it.
    pub cases: Vec<Vec<CaseRef>>,
    /// Ids no item has, required items left unexplained, stale reasons.
    pub problems: Vec<Problem>,
}

/// Covered and total items of one priority group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub covered: usize,
    pub total: usize,
}

/// A module's tallies: P0, P1 (P1† included) and P2.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleTally {
    pub module: String,
    pub p0: Tally,
    pub p1: Tally,
    pub p2: Tally,
    /// Required items with no case (each explained, when there are no
    /// problems).
    pub uncovered_required: usize,
}

impl<'a> Coverage<'a> {
    /// Puts the cases' `"covers"` against the catalogue.
    pub fn of<'c>(catalogue: &'a Catalogue, cases: impl IntoIterator<Item = &'c Case>) -> Self {
        let mut covered: Vec<Vec<CaseRef>> = vec![Vec::new(); catalogue.items.len()];
        let mut problems = Vec::new();
        for case in cases {
            for (i, id) in case.meta.covers.iter().enumerate() {
                let at = |message: String| Problem {
                    file: case.file.clone(),
                    line: case.pos.line,
                    col: case.pos.col,
                    message,
                };
                if case.meta.covers[..i].contains(id) {
                    problems.push(at(format!("case `{}` covers `{id}` twice", case.id)));
                    continue;
                }
                match catalogue.items.iter().position(|item| &item.id == id) {
                    Some(k) => covered[k].push(CaseRef {
                        id: case.id.clone(),
                        file: case.file.clone(),
                        title: case.title.clone(),
                    }),
                    None => problems.push(at(format!(
                        "case `{}` covers `{id}`, which is no item of {}{}",
                        case.id,
                        catalogue.file,
                        did_you_mean(catalogue, id)
                    ))),
                }
            }
        }
        for (item, cases) in catalogue.items.iter().zip(&covered) {
            let at = |message: String| Problem {
                file: catalogue.file.clone(),
                line: item.line,
                col: 0,
                message,
            };
            match (&item.uncovered, cases.first()) {
                (Some(_), Some(case)) => problems.push(at(format!(
                    "`{}` says why no case covers it, but `{}` does: drop the \"uncovered\" reason (keep what still holds as a \"note\")",
                    item.id, case.id
                ))),
                (None, None) if item.priority.required() => problems.push(at(format!(
                    "{} item `{}` has no case (no \"covers\" names it) and no \"uncovered\" reason",
                    item.priority.label(),
                    item.id
                ))),
                _ => {}
            }
        }
        problems.sort();
        Coverage {
            catalogue,
            cases: covered,
            problems,
        }
    }

    /// The items with the cases covering each.
    pub fn items(&self) -> impl Iterator<Item = (&'a Item, &[CaseRef])> {
        self.catalogue
            .items
            .iter()
            .zip(self.cases.iter().map(Vec::as_slice))
    }

    /// Per module, in the catalogue's order.
    pub fn tallies(&self) -> Vec<ModuleTally> {
        self.catalogue
            .modules()
            .into_iter()
            .map(|module| {
                let mut t = ModuleTally {
                    module: module.to_string(),
                    ..ModuleTally::default()
                };
                for (item, cases) in self.items().filter(|(i, _)| i.module == module) {
                    let tally = match item.priority {
                        Priority::P0 => &mut t.p0,
                        Priority::P1 | Priority::P1Dagger => &mut t.p1,
                        Priority::P2 => &mut t.p2,
                    };
                    tally.total += 1;
                    if !cases.is_empty() {
                        tally.covered += 1;
                    } else if item.priority.required() {
                        t.uncovered_required += 1;
                    }
                }
                t
            })
            .collect()
    }
}

/// ", did you mean `…`?" when an id is close to one the catalogue has.
fn did_you_mean(catalogue: &Catalogue, id: &str) -> String {
    let ids = catalogue.items.iter().map(|i| i.id.as_str());
    match crate::harness::selection::closest(id, ids) {
        Some(near) => format!(", did you mean `{near}`?"),
        None => String::new(),
    }
}

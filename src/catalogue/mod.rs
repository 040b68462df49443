//! Node's documented API as data: `catalogue/node-api.md`, the project's
//! copy of the API catalogue, whose every item line (`- [P0] …`) ends with
//! a metadata comment naming the item (`<!-- {"id": "net.connect(options)"} -->`),
//! and, for an item the suite leaves out on purpose, why (`"uncovered"`).
//!
//! Cases name the items they pin down (`"covers"` in their own metadata
//! comment); [`coverage`] puts the two together and finds what went stale:
//! an id no item has, a P0/P1 item nobody covers or explains, a reason
//! left on an item a case now covers.
//!
//! The catalogue counts its own items in a table ("API item counts");
//! [`Catalogue::parse`] checks the items it read against it, so an item
//! lost or added by an edit shows.

pub mod coverage;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

/// Where the catalogue lives, relative to the project (the spec
/// directory's parent).
pub const PATH: &str = "catalogue/node-api.md";

/// How much an item matters, as the catalogue ranks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// The basics every tutorial covers.
    P0,
    /// Commonly used.
    P1,
    /// A P1 item every P0 test needs anyway (`write`, `end`, `destroy`…).
    P1Dagger,
    /// Rare, deprecated, experimental or very new.
    P2,
}

impl Priority {
    /// As the catalogue writes it.
    pub fn label(self) -> &'static str {
        match self {
            Priority::P0 => "P0",
            Priority::P1 => "P1",
            Priority::P1Dagger => "P1†",
            Priority::P2 => "P2",
        }
    }

    /// P0 and P1 (with P1†): an item the suite covers or says why not.
    pub fn required(self) -> bool {
        self != Priority::P2
    }

    fn parse(s: &str) -> Option<Priority> {
        Some(match s {
            "P0" => Priority::P0,
            "P1" => Priority::P1,
            "P1†" => Priority::P1Dagger,
            "P2" => Priority::P2,
            _ => return None,
        })
    }
}

/// One API item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The name cases use in `"covers"`: `net.connect(options)`,
    /// `net.Socket 'close'`, `net.ipc.path-length-limit`.
    pub id: String,
    /// `net`, `dgram`, `http`, `https` or `tls`.
    pub module: String,
    /// The `###` heading the item is under (Markdown).
    pub section: String,
    pub priority: Priority,
    /// What the line names before its description (Markdown).
    pub name: String,
    /// The description after the name (Markdown), without the comment.
    pub description: String,
    /// Why the suite has no case for it (a P0/P1 item without a case
    /// must say).
    pub uncovered: Option<String>,
    /// Anything else a reader of the coverage page should know (where
    /// live Node disagrees with the catalogue, a part left out).
    pub note: Option<String>,
    /// 1-based line in the catalogue file.
    pub line: usize,
}

/// The catalogue: its items in file order.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub file: String,
    pub items: Vec<Item>,
}

/// A problem in the catalogue or in what cases say they cover: file, line
/// and column (1-based; column 0 when a whole line is meant) and what.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// Where the catalogue of a project whose specs are in `spec_root` is.
pub fn path_for(spec_root: &Path) -> PathBuf {
    spec_root.parent().unwrap_or(spec_root).join(PATH)
}

impl Catalogue {
    /// Reads and parses the catalogue file.
    pub fn load(path: &Path) -> Result<Catalogue, Vec<Problem>> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![Problem {
                file: file.clone(),
                line: 0,
                col: 0,
                message: format!("cannot read: {e}"),
            }]
        })?;
        Catalogue::parse(&text, &file)
    }

    /// Parses a catalogue: every `- [Px]` line under a `## module` heading
    /// is an item and must carry its metadata comment; the items must
    /// match the counts table.
    pub fn parse(text: &str, file: &str) -> Result<Catalogue, Vec<Problem>> {
        let mut problems = Vec::new();
        let problem = |line: usize, col: usize, message: String| Problem {
            file: file.to_string(),
            line,
            col,
            message,
        };
        let mut items: Vec<Item> = Vec::new();
        let mut module: Option<String> = None;
        let mut section = String::new();
        // The counts table's rows, and the line of its heading.
        let mut table: Option<(usize, Vec<CountRow>)> = None;
        let mut lines = text.lines().enumerate().peekable();
        while let Some((i, line)) = lines.next() {
            let n = i + 1;
            if let Some(h) = line.strip_prefix("## ") {
                module = module_of_heading(h);
                if h.starts_with("API item counts") {
                    let mut rows = Vec::new();
                    while let Some((_, l)) = lines.next_if(|(_, l)| !l.starts_with('#')) {
                        rows.extend(count_row(l));
                    }
                    table = Some((n, rows));
                }
                continue;
            }
            if let Some(h) = line.strip_prefix("### ") {
                section = h.to_string();
                // The tls pieces sit under https's heading; they are a
                // module of their own here, as the counts table has them.
                if h.starts_with("`node:tls`") {
                    module = Some("tls".into());
                } else if h.starts_with("`node:https`") {
                    module = Some("https".into());
                }
                continue;
            }
            let Some(rest) = line.strip_prefix("- [") else {
                continue;
            };
            let Some((label, rest)) = rest.split_once("] ") else {
                continue;
            };
            let Some(priority) = Priority::parse(label) else {
                continue;
            };
            let Some(module) = module.clone() else {
                problems.push(problem(
                    n,
                    1,
                    "an item outside a module's `##` section".into(),
                ));
                continue;
            };
            match item_line(rest) {
                Ok((name, description, meta)) => items.push(Item {
                    id: meta.id,
                    module,
                    section: section.clone(),
                    priority,
                    name,
                    description,
                    uncovered: meta.uncovered,
                    note: meta.note,
                    line: n,
                }),
                Err((col, message)) => {
                    problems.push(problem(n, col + line.len() - rest.len(), message))
                }
            }
        }
        for (i, item) in items.iter().enumerate() {
            if let Some(first) = items[..i].iter().find(|o| o.id == item.id) {
                problems.push(problem(
                    item.line,
                    0,
                    format!(
                        "duplicate item id `{}` (also at line {})",
                        item.id, first.line
                    ),
                ));
            }
        }
        match table {
            None => problems.push(problem(
                0,
                0,
                "no \"## API item counts\" table to check the items against".into(),
            )),
            // Counts are compared once every item line was read: a broken
            // line is reported where it is, not again as a count.
            Some((line, rows)) if problems.is_empty() => problems.extend(
                count_mismatches(&items, &rows)
                    .into_iter()
                    .map(|m| problem(line, 0, m)),
            ),
            Some(_) => {}
        }
        if problems.is_empty() {
            Ok(Catalogue {
                file: file.to_string(),
                items,
            })
        } else {
            problems.sort();
            Err(problems)
        }
    }

    /// The item with this id.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    /// The modules, in the catalogue's order.
    pub fn modules(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for i in &self.items {
            if !out.contains(&i.module.as_str()) {
                out.push(&i.module);
            }
        }
        out
    }
}

/// `net`, `dgram`, `http`, `https`: a `##` heading's module, if it names one.
fn module_of_heading(h: &str) -> Option<String> {
    let word = h.split_whitespace().next()?;
    ["net", "dgram", "http", "https", "tls"]
        .contains(&word)
        .then(|| word.to_string())
}

/// The metadata comment at the end of an item line.
struct ItemMeta {
    id: String,
    uncovered: Option<String>,
    note: Option<String>,
}

/// Splits an item line (after `- [Px] `) into name, description and
/// metadata; an error is (column in `rest`, message).
fn item_line(rest: &str) -> Result<(String, String, ItemMeta), (usize, String)> {
    let Some(open) = rest.rfind("<!--") else {
        return Err((
            rest.len() + 1,
            "an item without its metadata comment (`<!-- {\"id\": \"…\"} -->` at the end of the line)"
                .into(),
        ));
    };
    let comment = rest[open + 4..].trim_end();
    let Some(json) = comment.strip_suffix("-->") else {
        return Err((
            open + 1,
            "the metadata comment does not end the line".into(),
        ));
    };
    let meta = item_meta(json.trim()).map_err(|m| (open + 1, m))?;
    let text = rest[..open].trim_end();
    let (name, description) = match text.split_once(" — ") {
        Some((n, d)) => (n.to_string(), d.to_string()),
        None => (text.to_string(), String::new()),
    };
    Ok((name, description, meta))
}

fn item_meta(json: &str) -> Result<ItemMeta, String> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| format!("the metadata comment is not valid JSON: {e}"))?;
    let obj = value
        .as_object()
        .ok_or("the metadata comment must hold a JSON object")?;
    let mut id = None;
    let mut uncovered = None;
    let mut note = None;
    for (k, v) in obj {
        let s = v
            .as_str()
            .map(str::to_string)
            .ok_or(format!("metadata `{k}` must be a string"))?;
        match k.as_str() {
            "id" => id = Some(s),
            "uncovered" => uncovered = Some(s),
            "note" => note = Some(s),
            other => {
                return Err(format!(
                    "unknown metadata key `{other}` (known: id, uncovered, note)"
                ));
            }
        }
    }
    let id = id.ok_or("the metadata comment has no `id`")?;
    if id.trim() != id || id.is_empty() || id.contains('"') {
        return Err(format!(
            "`{id}` is not an item id (no quotes, no outer spaces)"
        ));
    }
    Ok(ItemMeta {
        id,
        uncovered,
        note,
    })
}

/// A module's P0, P1 and P2 counts, as the catalogue's table gives them.
type CountRow = (String, [usize; 3]);

/// A row of the counts table: the module (its first word; "tls" for the
/// tls pieces) and P0, P1, P2 (each the row's first number).
fn count_row(line: &str) -> Option<CountRow> {
    let cells: Vec<&str> = line
        .trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect();
    if cells.len() < 5 {
        return None;
    }
    let first_number = |c: &str| -> Option<usize> {
        c.trim_matches('*')
            .split_whitespace()
            .next()?
            .trim_matches('*')
            .parse()
            .ok()
    };
    let name = cells[0]
        .trim_matches('*')
        .split_whitespace()
        .next()?
        .to_string();
    let counts = [
        first_number(cells[1])?,
        first_number(cells[2])?,
        first_number(cells[3])?,
    ];
    Some((name, counts))
}

/// Where the items read differ from the table's counts.
fn count_mismatches(items: &[Item], rows: &[CountRow]) -> Vec<String> {
    let count = |module: Option<&str>| {
        let mut c = [0usize; 3];
        for i in items
            .iter()
            .filter(|i| module.is_none_or(|m| i.module == m))
        {
            c[match i.priority {
                Priority::P0 => 0,
                Priority::P1 | Priority::P1Dagger => 1,
                Priority::P2 => 2,
            }] += 1;
        }
        c
    };
    let mut out = Vec::new();
    if rows.is_empty() {
        out.push("the \"API item counts\" table has no rows".into());
    }
    for (name, expected) in rows {
        let module = (name != "all").then_some(name.as_str());
        let found = count(module);
        if found != *expected {
            out.push(format!(
                "the counts table says {name} has P0/P1/P2 {}/{}/{} items; the catalogue lists {}/{}/{}",
                expected[0], expected[1], expected[2], found[0], found[1], found[2]
            ));
        }
    }
    out
}

//! `nodecompat docs`: the suite as a static site — one page per spec file
//! (its prose rendered from the Markdown, each case with its status per
//! implementation and a sequence diagram of its events), an index by
//! module, and a client-side search over case titles, prose and event
//! names. The site is one folder of relative links that opens from the
//! file system and fetches nothing.
//!
//! - `page.rs`: a spec file's page (Markdown → HTML with pulldown-cmark,
//!   the case panels put in after each case's `events` block).
//! - `diagram.rs`: a case's sequence diagram as inline SVG.
//! - `coverage.rs`: the coverage page (the catalogue's items and the
//!   cases that cover them).
//! - `assets.rs`: the style sheet and the search script.

mod assets;
mod coverage;
mod diagram;
mod page;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::catalogue::{self, Catalogue};
use crate::spec::{self, LoadOptions, LoadedCase};

/// What went wrong building the site.
#[derive(Debug)]
pub enum SiteError {
    /// A spec file did not load (file, line, column and problem each).
    Spec(Vec<spec::SpecError>),
    /// Reading or writing a file.
    Io(PathBuf, std::io::Error),
    /// The matrix JSON given could not be read.
    Matrix(PathBuf, String),
    /// The catalogue did not load, or the cases name items it does not
    /// have, or an item is neither covered nor explained.
    Coverage(Vec<catalogue::Problem>),
}

impl std::fmt::Display for SiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SiteError::Spec(errors) => {
                for e in errors {
                    writeln!(f, "{e}")?;
                }
                Ok(())
            }
            SiteError::Coverage(problems) => {
                for p in problems {
                    writeln!(f, "{p}")?;
                }
                Ok(())
            }
            SiteError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            SiteError::Matrix(p, e) => write!(f, "{}: not a matrix JSON: {e}", p.display()),
        }
    }
}

/// Each case's result per implementation, from `matrix.json`.
#[derive(Debug, Default, Clone)]
pub struct Statuses {
    /// The implementations' names, in the matrix's order.
    pub implementations: Vec<String>,
    /// Case id → implementation → (status, message).
    pub cases: BTreeMap<String, BTreeMap<String, (String, Option<String>)>>,
}

impl Statuses {
    /// Reads a `nodecompat matrix --out` JSON.
    pub fn read(path: &Path) -> Result<Statuses, SiteError> {
        let err = |e: String| SiteError::Matrix(path.to_path_buf(), e);
        let text = std::fs::read_to_string(path).map_err(|e| SiteError::Io(path.into(), e))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        let implementations = v["implementations"]
            .as_array()
            .ok_or_else(|| err("no implementations".into()))?
            .iter()
            .filter_map(|i| i["name"].as_str().map(str::to_string))
            .collect();
        let mut cases = BTreeMap::new();
        for c in v["cases"]
            .as_array()
            .ok_or_else(|| err("no cases".into()))?
        {
            let (Some(id), Some(results)) = (c["id"].as_str(), c["results"].as_object()) else {
                continue;
            };
            let per = results
                .iter()
                .map(|(imp, r)| {
                    let status = r["status"].as_str().unwrap_or("n/a").to_string();
                    let message = r["message"].as_str().map(str::to_string);
                    (imp.clone(), (status, message))
                })
                .collect();
            cases.insert(id.to_string(), per);
        }
        Ok(Statuses {
            implementations,
            cases,
        })
    }
}

/// What a build wrote.
#[derive(Debug)]
pub struct Summary {
    pub pages: usize,
    pub cases: usize,
}

/// Builds the site of the suite under `spec_root` into `out`.
pub fn build(spec_root: &Path, out: &Path, statuses: &Statuses) -> Result<Summary, SiteError> {
    let cases = spec::load_suite(spec_root, LoadOptions::default()).map_err(SiteError::Spec)?;
    // The coverage page, if the project keeps a catalogue (a third
    // party's suite may not): stale names stop the build.
    let catalogue_path = catalogue::path_for(spec_root);
    let catalogue = match catalogue_path.exists() {
        true => Some(Catalogue::load(&catalogue_path).map_err(SiteError::Coverage)?),
        false => None,
    };
    let coverage = catalogue
        .as_ref()
        .map(|c| catalogue::coverage::Coverage::of(c, cases.iter().map(|lc| &lc.case)));
    if let Some(c) = &coverage
        && !c.problems.is_empty()
    {
        return Err(SiteError::Coverage(c.problems.clone()));
    }
    let mut by_file: BTreeMap<String, Vec<&LoadedCase>> = BTreeMap::new();
    for lc in &cases {
        by_file.entry(lc.case.file.clone()).or_default().push(lc);
    }
    let write = |path: PathBuf, text: &str| -> Result<(), SiteError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| SiteError::Io(dir.into(), e))?;
        }
        std::fs::write(&path, text).map_err(|e| SiteError::Io(path, e))
    };
    let mut search = Vec::new();
    let mut pages = 0;
    let mut files = spec::spec_files(spec_root).map_err(|e| SiteError::Io(spec_root.into(), e))?;
    // The format guide and the protocol, at the top: pages without cases.
    let top = std::fs::read_dir(spec_root).map_err(|e| SiteError::Io(spec_root.into(), e))?;
    for entry in top.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") && !files.contains(&path) {
            files.push(path);
        }
    }
    files.sort();
    let mut index: BTreeMap<String, Vec<(String, String, usize)>> = BTreeMap::new();
    for file in &files {
        let rel = file
            .strip_prefix(spec_root)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).map_err(|e| SiteError::Io(file.clone(), e))?;
        let file_cases: Vec<&LoadedCase> = by_file
            .iter()
            .find(|(f, _)| f.as_str() == rel || f.ends_with(&format!("/{rel}")))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let target = page::page_path(&rel);
        let html = page::render(&rel, &text, &file_cases, statuses, coverage.is_some());
        write(out.join(&target), &html)?;
        pages += 1;
        let module = match rel.split_once('/') {
            Some((module, _)) => module.to_string(),
            None => "the suite".to_string(),
        };
        let title = page::title_of(&text, &rel);
        index
            .entry(module)
            .or_default()
            .push((target.clone(), title, file_cases.len()));
        for lc in &file_cases {
            search.push(page::search_entry(lc, &target, &text));
        }
    }
    let tallies = coverage.as_ref().map(|c| c.tallies());
    write(
        out.join("index.html"),
        &index_page(&index, cases.len(), statuses, tallies.as_deref()),
    )?;
    if let (Some(c), Some(tallies)) = (&coverage, &tallies) {
        write(out.join(coverage::PAGE), &coverage::render(c, tallies))?;
        pages += 1;
    }
    write(out.join("style.css"), assets::STYLE)?;
    let mut js = String::from("window.NODECOMPAT_SEARCH = ");
    js.push_str(&serde_json::Value::Array(search).to_string());
    js.push_str(";\n");
    js.push_str(assets::SEARCH_JS);
    write(out.join("search.js"), &js)?;
    Ok(Summary {
        pages,
        cases: cases.len(),
    })
}

/// The index: modules, their files and case counts, the matrix's
/// summary, and the search box.
fn index_page(
    index: &BTreeMap<String, Vec<(String, String, usize)>>,
    cases: usize,
    statuses: &Statuses,
    tallies: Option<&[catalogue::coverage::ModuleTally]>,
) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>nodecompat: what Node's networking does</h1>\n<p>{cases} cases, each checked against live Node. Search case titles, prose, actions and event names:</p>\n<input id=\"search\" type=\"search\" placeholder=\"e.g. secureConnect, ECONNRESET, keep-alive\" autofocus>\n<ol id=\"results\"></ol>\n"
    );
    if !statuses.implementations.is_empty() {
        body.push_str("<h2>Implementations</h2>\n<table><tr><th>implementation</th><th>pass</th><th>not as Node</th></tr>\n");
        for imp in &statuses.implementations {
            let (mut pass, mut other) = (0, 0);
            for per in statuses.cases.values() {
                match per.get(imp).map(|(s, _)| s.as_str()) {
                    Some("passed") => pass += 1,
                    Some("skipped") | None => {}
                    Some(_) => other += 1,
                }
            }
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{pass}</td><td>{other}</td></tr>",
                page::escape(imp)
            );
        }
        body.push_str("</table>\n");
    }
    if let Some(tallies) = tallies {
        let (mut covered, mut total, mut unexplained) = (0, 0, 0);
        for t in tallies {
            covered += t.p0.covered + t.p1.covered;
            total += t.p0.total + t.p1.total;
            unexplained += t.uncovered_required;
        }
        let others = match unexplained {
            0 => String::new(),
            n => format!("; the {n} others say why not"),
        };
        let _ = writeln!(
            body,
            "<h2>Coverage</h2>\n<p>{covered} of the {total} P0 and P1 items of Node's documented API have a case{others}. <a href=\"{}\">Every item, with its cases</a>.</p>",
            coverage::PAGE
        );
    }
    for (module, files) in index {
        let _ = writeln!(body, "<h2>{}</h2>\n<ul>", page::escape(module));
        for (target, title, n) in files {
            let _ = writeln!(
                body,
                "<li><a href=\"{}\">{}</a> <span class=\"count\">{n} case{}</span></li>",
                page::escape(target),
                page::escape(title),
                if *n == 1 { "" } else { "s" }
            );
        }
        body.push_str("</ul>\n");
    }
    page::document("nodecompat", "", &body, true)
}

#[cfg(test)]
mod tests;

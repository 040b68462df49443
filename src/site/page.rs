//! One spec file's page: its Markdown rendered (pulldown-cmark), each
//! case's heading anchored by the case id, and after each case's
//! `events` block a panel: the Node docs link, the versions and
//! requirements, the status per implementation (a failing cell opens its
//! diff) and the sequence diagram.

use std::fmt::Write as _;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

use super::Statuses;
use super::diagram;
use crate::spec::LoadedCase;

/// Where a spec file's page goes: `net/half-open.md` → `net/half-open.html`.
pub(super) fn page_path(rel: &str) -> String {
    match rel.strip_suffix(".md") {
        Some(stem) => format!("{stem}.html"),
        None => format!("{rel}.html"),
    }
}

/// The file's `#` heading, else its path.
pub(super) fn title_of(text: &str, rel: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(|t| t.replace('`', ""))
        .unwrap_or_else(|| rel.to_string())
}

/// HTML text: the report's XML escaping, which HTML takes too.
pub(super) use crate::harness::report::xml as escape;

/// A page: `prefix` leads back to the site's root (`../` from a module).
pub(super) fn document(title: &str, prefix: &str, body: &str, search: bool) -> String {
    let script = if search {
        format!("<script src=\"{prefix}search.js\"></script>\n")
    } else {
        String::new()
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<link rel=\"stylesheet\" href=\"{prefix}style.css\">\n</head>\n<body>\n<nav><a href=\"{prefix}index.html\">nodecompat</a></nav>\n<main>\n{body}</main>\n{script}</body>\n</html>\n",
        escape(title)
    )
}

/// The page of spec file `rel` (relative to the spec root).
/// With `coverage`, a case's covered items link to the coverage page.
pub(super) fn render(
    rel: &str,
    text: &str,
    cases: &[&LoadedCase],
    statuses: &Statuses,
    coverage: bool,
) -> String {
    let depth = rel.matches('/').count();
    let prefix = "../".repeat(depth);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // From the bottom up, so earlier line numbers stay right.
    let mut edits: Vec<(usize, String)> = Vec::new();
    for lc in cases {
        let case = &lc.case;
        edits.push((
            case.pos.line.saturating_sub(1),
            format!(
                "<a id=\"{}\" class=\"case-anchor\"></a>\n",
                escape(&case.id)
            ),
        ));
        let after = case
            .events_block
            .as_ref()
            .map_or(case.script_block.fence.1, |b| b.fence.1);
        let covers = coverage.then_some(prefix.as_str());
        edits.push((after, format!("\n{}\n", panel(lc, statuses, covers))));
    }
    edits.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    for (at, html) in edits {
        let at = at.min(lines.len());
        lines.insert(at, html);
    }
    let markdown = lines.join("\n");
    let mut body = String::new();
    html::push_html(&mut body, relink(rel, &markdown));
    document(&title_of(text, rel), &prefix, &body, false)
}

/// pulldown-cmark's events, with links between spec files made links
/// between pages, and links that leave the spec folder made plain text
/// (the site is the spec folder alone).
fn relink<'a>(rel: &str, markdown: &'a str) -> impl Iterator<Item = Event<'a>> {
    let dir: Vec<String> = rel
        .split('/')
        .rev()
        .skip(1)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(str::to_string)
        .collect();
    let mut dropped = 0usize;
    Parser::new_ext(markdown, Options::ENABLE_TABLES).filter_map(move |e| match e {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let url = dest_url.to_string();
            if url.contains("://") || url.starts_with('#') || url.starts_with("mailto:") {
                return Some(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            let (path, anchor) = url.split_once('#').unwrap_or((&url, ""));
            if !inside(&dir, path) || !path.ends_with(".md") {
                dropped += 1;
                return None;
            }
            let mut target = page_path(path);
            if !anchor.is_empty() {
                target = format!("{target}#{anchor}");
            }
            Some(Event::Start(Tag::Link {
                link_type,
                dest_url: CowStr::from(target),
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) if dropped > 0 => {
            dropped -= 1;
            None
        }
        other => Some(other),
    })
}

/// Whether `path`, relative to the folder `dir` (inside the spec root),
/// stays inside the spec root.
fn inside(dir: &[String], path: &str) -> bool {
    let mut depth = dir.len() as isize;
    for part in path.split('/') {
        match part {
            ".." => depth -= 1,
            "." | "" => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

/// A case's panel: docs, versions, requirements, the catalogue items it
/// covers (linked to the coverage page, `covers` leading back to the
/// site's root, when there is one), statuses, diagram.
fn panel(lc: &LoadedCase, statuses: &Statuses, covers: Option<&str>) -> String {
    let case = &lc.case;
    let mut p = String::from("<div class=\"case-panel\">\n<p class=\"case-meta\">");
    let _ = write!(p, "<code class=\"case-id\">{}</code>", escape(&case.id));
    if let Some(docs) = &case.docs {
        let _ = write!(p, " · <a href=\"{}\">Node docs</a>", escape(docs));
    }
    if let Some(node) = &case.meta.node {
        let _ = write!(p, " · Node {}", escape(node));
    }
    if !case.meta.requires.is_empty() {
        let _ = write!(p, " · requires {}", escape(&case.meta.requires.join(", ")));
    }
    p.push_str("</p>\n");
    if let (Some(prefix), false) = (covers, case.meta.covers.is_empty()) {
        let links: Vec<String> = case
            .meta
            .covers
            .iter()
            .map(|id| {
                format!(
                    "<a href=\"{prefix}{}#{}\"><code>{}</code></a>",
                    super::coverage::PAGE,
                    escape(&super::coverage::anchor(id)),
                    escape(id)
                )
            })
            .collect();
        let _ = writeln!(
            p,
            "<p class=\"case-covers\">covers {}</p>",
            links.join(", ")
        );
    }
    if let Some(per) = statuses.cases.get(&case.id) {
        p.push_str("<table class=\"statuses\"><tr>");
        for imp in &statuses.implementations {
            let _ = write!(p, "<th>{}</th>", escape(imp));
        }
        p.push_str("</tr><tr>");
        for imp in &statuses.implementations {
            match per.get(imp) {
                Some((status, Some(message))) if status != "passed" => {
                    let _ = write!(
                        p,
                        "<td class=\"st-{0}\"><details><summary>{0}</summary><pre>{1}</pre></details></td>",
                        escape(status),
                        escape(message)
                    );
                }
                Some((status, _)) => {
                    let _ = write!(p, "<td class=\"st-{0}\">{0}</td>", escape(status));
                }
                None => p.push_str("<td>n/a</td>"),
            }
        }
        p.push_str("</tr></table>\n");
    }
    p.push_str(&diagram::svg(case));
    p.push_str("</div>");
    p
}

/// The search index's entry of a case: its id, title, page, and the words
/// a search looks at (prose, actions, event names).
pub(super) fn search_entry(lc: &LoadedCase, page: &str, text: &str) -> serde_json::Value {
    let case = &lc.case;
    let lines: Vec<&str> = text.lines().collect();
    let start = case.pos.line;
    let end = case.script_block.fence.0.saturating_sub(1);
    let prose: String = lines
        .get(start..end.max(start))
        .unwrap_or_default()
        .iter()
        .filter(|l| !l.trim_start().starts_with("<!--"))
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let events: Vec<String> = case
        .events
        .iter()
        .flatten()
        .map(|e| e.event.clone())
        .collect();
    serde_json::json!({
        "id": case.id,
        "title": case.title.replace('`', ""),
        "url": format!("{page}#{}", case.id),
        "prose": prose,
        "actions": case.script_block.lines.join("\n"),
        "events": events.join(" "),
        "covers": case.meta.covers.join(" "),
    })
}

//! The coverage page: every item of the catalogue, module by module and
//! section by section, with the cases that cover it (links to their
//! anchors) or why none does; a table of the numbers, and the items
//! without a case listed by priority.

use std::fmt::Write as _;

use pulldown_cmark::{Parser, html};

use super::page::{self, escape};
use crate::catalogue::coverage::{Coverage, ModuleTally, Tally};
use crate::catalogue::{Item, Priority};

/// The page's file name, at the site's root.
pub(super) const PAGE: &str = "coverage.html";

/// An item's anchor on the page: its id with everything but letters,
/// digits, `.` and `-` made `-` (ids hold spaces, quotes, brackets).
pub(super) fn anchor(id: &str) -> String {
    let slug: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("item-{}", slug.trim_matches('-'))
}

/// Inline Markdown (an item's name or description) as HTML, without the
/// paragraph around it.
fn inline(markdown: &str) -> String {
    let mut out = String::new();
    html::push_html(&mut out, Parser::new(markdown));
    let out = out.trim();
    out.strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
        .unwrap_or(out)
        .to_string()
}

fn cell(t: Tally) -> String {
    match t.total {
        0 => "–".to_string(),
        _ => format!("{}/{}", t.covered, t.total),
    }
}

/// The page, with the coverage's `tallies` (the index shows them too).
pub(super) fn render(coverage: &Coverage, tallies: &[ModuleTally]) -> String {
    let mut body = String::from("<h1>Coverage of Node's documented API</h1>\n");
    let _ = writeln!(
        body,
        "<p>Every item of the API catalogue (<code>{}</code>, {} items), with the cases that pin it down. A case names what it covers in its metadata (<code>\"covers\"</code>); a P0 or P1 item without a case says why. P0: the basics; P1: commonly used (P1†: needed by every P0 test); P2: rare, experimental or very new.</p>",
        escape(crate::catalogue::PATH),
        coverage.catalogue.items.len()
    );
    body.push_str("<table class=\"tally\"><tr><th>module</th><th>P0</th><th>P1</th><th>P2</th><th>P0/P1 without a case</th></tr>\n");
    let mut all = [Tally::default(); 3];
    let mut all_uncovered = 0;
    for t in tallies {
        let _ = writeln!(
            body,
            "<tr><td><a href=\"#module-{0}\">{0}</a></td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td></tr>",
            escape(&t.module),
            cell(t.p0),
            cell(t.p1),
            cell(t.p2),
            t.uncovered_required
        );
        for (sum, t) in all.iter_mut().zip([t.p0, t.p1, t.p2]) {
            sum.covered += t.covered;
            sum.total += t.total;
        }
        all_uncovered += t.uncovered_required;
    }
    let _ = writeln!(
        body,
        "<tr class=\"total\"><td>all</td><td>{}</td><td>{}</td><td>{}</td><td>{all_uncovered}</td></tr>\n</table>\n<p class=\"count\">Items covered by at least one case / items.</p>",
        cell(all[0]),
        cell(all[1]),
        cell(all[2])
    );
    for t in tallies {
        module_section(&mut body, coverage, &t.module);
    }
    page::document("Coverage — nodecompat", "", &body, false)
}

/// One module: its items without a case by priority, then every item
/// under its catalogue section.
fn module_section(body: &mut String, coverage: &Coverage, module: &str) {
    let _ = writeln!(body, "<h2 id=\"module-{0}\">{0}</h2>", escape(module));
    let items: Vec<(&Item, &[crate::catalogue::coverage::CaseRef])> = coverage
        .items()
        .filter(|(i, _)| i.module == module)
        .collect();
    // The required items without a case first, each with its reason;
    // the P2 ones folded, as most of them are.
    let without: Vec<&Item> = items
        .iter()
        .filter(|(_, cases)| cases.is_empty())
        .map(|(i, _)| *i)
        .collect();
    let (required, rare): (Vec<&Item>, Vec<&Item>) =
        without.into_iter().partition(|i| i.priority.required());
    if !required.is_empty() {
        body.push_str("<h3>P0 and P1 items without a case</h3>\n");
        uncovered_list(body, &required);
    }
    if !rare.is_empty() {
        let _ = writeln!(
            body,
            "<details class=\"rare\"><summary>{} P2 item{} without a case</summary>",
            rare.len(),
            if rare.len() == 1 { "" } else { "s" }
        );
        uncovered_list(body, &rare);
        body.push_str("</details>\n");
    }
    let mut section = None;
    for (item, cases) in items {
        if section != Some(&item.section) {
            if section.is_some() {
                body.push_str("</table>\n");
            }
            section = Some(&item.section);
            let _ = writeln!(
                body,
                "<h3>{}</h3>\n<table class=\"items\"><tr><th>item</th><th>cases</th></tr>",
                inline(&item.section)
            );
        }
        let _ = write!(
            body,
            "<tr id=\"{}\"><td><span class=\"prio prio-{}\">{}</span> {}<br><code class=\"item-id\">{}</code>",
            escape(&anchor(&item.id)),
            prio_class(item.priority),
            escape(item.priority.label()),
            inline(&item.name),
            escape(&item.id)
        );
        if let Some(note) = &item.note {
            let _ = write!(body, "<div class=\"note\">{}</div>", escape(note));
        }
        body.push_str("</td><td>");
        if cases.is_empty() {
            match &item.uncovered {
                Some(why) => {
                    let _ = write!(body, "<span class=\"none\">none: {}</span>", escape(why));
                }
                None => body.push_str("<span class=\"none\">none</span>"),
            }
        } else {
            let links: Vec<String> = cases
                .iter()
                .map(|c| {
                    let rel = c
                        .file
                        .rsplit_once("spec/")
                        .map_or(c.file.as_str(), |(_, r)| r);
                    format!(
                        "<a href=\"{}#{}\" title=\"{}\">{}</a>",
                        escape(&page::page_path(rel)),
                        escape(&c.id),
                        escape(&c.title.replace('`', "")),
                        escape(&c.id)
                    )
                })
                .collect();
            body.push_str(&links.join("<br>"));
        }
        body.push_str("</td></tr>\n");
    }
    if section.is_some() {
        body.push_str("</table>\n");
    }
}

/// A list of items without a case, each linked to its row, with its
/// reason if it gives one.
fn uncovered_list(body: &mut String, items: &[&Item]) {
    body.push_str("<ul class=\"uncovered\">\n");
    for item in items {
        let _ = write!(
            body,
            "<li><span class=\"prio prio-{}\">{}</span> <a href=\"#{}\"><code>{}</code></a>",
            prio_class(item.priority),
            escape(item.priority.label()),
            escape(&anchor(&item.id)),
            escape(&item.id)
        );
        if let Some(why) = &item.uncovered {
            let _ = write!(body, ": {}", escape(why));
        }
        body.push_str("</li>\n");
    }
    body.push_str("</ul>\n");
}

fn prio_class(p: Priority) -> &'static str {
    match p {
        Priority::P0 => "p0",
        Priority::P1 | Priority::P1Dagger => "p1",
        Priority::P2 => "p2",
    }
}

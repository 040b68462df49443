//! A case's sequence diagram, inline SVG: one lane per object of the
//! `events` block (in the order they first appear), each event a mark in
//! its object's lane, top to bottom in the block's order, with its
//! arguments (cut short; all of them on hover). The events a script
//! `wait`s for are drawn as the causal edges they are: an arrow from the
//! reader's lane (the script, on the left) to the event.

use std::fmt::Write as _;

use super::page::escape;
use crate::spec::ast::Case;

const LANE: usize = 150;
const ROW: usize = 26;
const TOP: usize = 40;
const SHOWN: usize = 22;

/// The diagram of `case`, or nothing for an empty `events` block.
pub(super) fn svg(case: &Case) -> String {
    let Some(block) = &case.events_block else {
        return String::new();
    };
    let rows: Vec<(&str, &str, String)> = block
        .lines
        .iter()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let object = parts.next()?;
            let event = parts.next()?;
            Some((object, event, parts.collect::<Vec<_>>().join(" ")))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut lanes: Vec<&str> = vec!["script"];
    for (o, _, _) in &rows {
        if !lanes.contains(o) {
            lanes.push(o);
        }
    }
    // `wait obj event …`: the events the script waits for.
    let waits: Vec<(String, String)> = case
        .script_block
        .lines
        .iter()
        .filter_map(|l| {
            let mut p = l.trim().strip_prefix("wait ")?.split_whitespace();
            Some((p.next()?.to_string(), p.next()?.to_string()))
        })
        .collect();
    // Room on the right for the last lane's labels.
    let width = lanes.len() * LANE + LANE;
    let height = TOP + rows.len() * ROW + 10;
    let x = |lane: &str| lanes.iter().position(|l| *l == lane).unwrap_or(0) * LANE + LANE / 2;
    let mut s = format!(
        "<svg class=\"diagram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"events of {}\">\n",
        escape(&case.id)
    );
    s.push_str("<defs><marker id=\"arrow\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" class=\"arrowhead\"/></marker></defs>\n");
    for lane in &lanes {
        let lx = x(lane);
        let _ = writeln!(
            s,
            "<text x=\"{lx}\" y=\"18\" class=\"lane-name\" text-anchor=\"middle\">{}</text><line x1=\"{lx}\" y1=\"26\" x2=\"{lx}\" y2=\"{}\" class=\"lane\"/>",
            escape(lane),
            height - 4
        );
    }
    let mut waited = waits.clone();
    for (i, (object, event, args)) in rows.iter().enumerate() {
        let y = TOP + i * ROW;
        let ox = x(object);
        let full = if args.is_empty() {
            (*event).to_string()
        } else {
            format!("{event} {args}")
        };
        let shown: String = if full.chars().count() > SHOWN {
            format!("{}…", full.chars().take(SHOWN).collect::<String>())
        } else {
            full.clone()
        };
        let class = if event.contains("rror") {
            "event error"
        } else {
            "event"
        };
        if let Some(at) = waited.iter().position(|(o, e)| o == object && e == event) {
            waited.remove(at);
            let _ = writeln!(
                s,
                "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" class=\"wait\" marker-end=\"url(#arrow)\"/>",
                x("script"),
                ox - 6
            );
        }
        let _ = writeln!(
            s,
            "<g class=\"{class}\"><title>{} {}</title><circle cx=\"{ox}\" cy=\"{y}\" r=\"4\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
            escape(object),
            escape(&full),
            ox + 8,
            y + 4,
            escape(&shown)
        );
    }
    s.push_str("</svg>\n");
    s
}

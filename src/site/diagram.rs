//! A case's sequence diagram, inline SVG: one lane per object of the
//! `events` block (in the order they first appear) beside the script's
//! lane on the left, each event a mark in its object's lane, top to
//! bottom in the block's order, with its arguments (cut short; all of them
//! on hover). The script's actions are arrows from its lane to the object
//! they act on, and the events it `wait`s for are drawn as the causal
//! edges they are: an arrow from the event back to the reader's lane.
//! Actions stand after the wait that precedes them in the script, so the
//! diagram reads as the case runs: act, wait, act.

use std::fmt::Write as _;

use super::page::escape;
use crate::spec::ast::{Case, Stmt, StmtKind};

const LANE: usize = 150;
const ROW: usize = 26;
const TOP: usize = 40;
const SHOWN: usize = 22;

/// One row of the diagram.
enum Row<'a> {
    /// An event of the block: object, event, arguments, and whether the
    /// script waits for it.
    Event(&'a str, &'a str, String, bool),
    /// An action of the script on a lane's object (its text as written).
    Action(String, &'a str),
    /// A pause of the script (`sleep`).
    Pause(&'a str),
}

/// The diagram of `case`, or nothing for an empty `events` block.
pub(super) fn svg(case: &Case) -> String {
    let Some(block) = &case.events_block else {
        return String::new();
    };
    let events: Vec<(&str, &str, String)> = block
        .lines
        .iter()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let object = parts.next()?;
            let event = parts.next()?;
            Some((object, event, parts.collect::<Vec<_>>().join(" ")))
        })
        .collect();
    if events.is_empty() {
        return String::new();
    }
    let mut lanes: Vec<&str> = vec!["script"];
    for (o, _, _) in &events {
        if !lanes.contains(o) {
            lanes.push(o);
        }
    }
    let rows = interleave(&case.script, &events, &lanes);
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
    let sx = x("script");
    for (i, row) in rows.iter().enumerate() {
        let y = TOP + i * ROW;
        match row {
            Row::Event(object, event, args, waited) => {
                let ox = x(object);
                let full = if args.is_empty() {
                    (*event).to_string()
                } else {
                    format!("{event} {args}")
                };
                let class = if event.contains("rror") {
                    "event error"
                } else {
                    "event"
                };
                if *waited {
                    let _ = writeln!(
                        s,
                        "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" class=\"wait\" marker-end=\"url(#arrow)\"/>",
                        ox - 6,
                        sx + 4
                    );
                }
                let _ = writeln!(
                    s,
                    "<g class=\"{class}\"><title>{} {}</title><circle cx=\"{ox}\" cy=\"{y}\" r=\"4\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
                    escape(object),
                    escape(&full),
                    ox + 8,
                    y + 4,
                    escape(&cut(&full))
                );
            }
            Row::Action(text, object) => {
                let ox = x(object);
                let _ = writeln!(
                    s,
                    "<g class=\"action\"><title>{}</title><line x1=\"{sx}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" marker-end=\"url(#arrow)\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
                    escape(text),
                    ox - 6,
                    sx + 6,
                    y - 4,
                    escape(&cut(text))
                );
            }
            Row::Pause(text) => {
                let _ = writeln!(
                    s,
                    "<g class=\"pause\"><title>{}</title><text x=\"{}\" y=\"{}\">{}</text></g>",
                    escape(text),
                    sx + 6,
                    y + 4,
                    escape(&cut(text))
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

/// `text`, cut to what fits beside a mark.
fn cut(text: &str) -> String {
    if text.chars().count() > SHOWN {
        format!("{}…", text.chars().take(SHOWN).collect::<String>())
    } else {
        text.to_string()
    }
}

/// The rows in reading order: the actions before the first wait, then the
/// events, each run of actions placed after the event its preceding wait
/// waits for (never before an earlier run, so the script's order holds).
fn interleave<'a>(
    script: &'a [Stmt],
    events: &'a [(&'a str, &'a str, String)],
    lanes: &[&'a str],
) -> Vec<Row<'a>> {
    // The actions before the first wait, and after each wait.
    let mut first: Vec<Row> = Vec::new();
    // Each wait: (object, event) and the actions after it.
    let mut waits: Vec<((&str, &str), Vec<Row>)> = Vec::new();
    for stmt in script {
        let row = match &stmt.kind {
            StmtKind::Wait { object, event, .. } => {
                waits.push(((object, event), Vec::new()));
                continue;
            }
            StmtKind::Eval { .. } => match acted_on(&stmt.text, lanes) {
                Some(lane) => Row::Action(stmt.text.trim().to_string(), lane),
                None => continue,
            },
            StmtKind::Sleep(_) => Row::Pause(stmt.text.trim()),
            StmtKind::On { .. } | StmtKind::Observe { .. } => continue,
        };
        match waits.last_mut() {
            Some((_, actions)) => actions.push(row),
            None => first.push(row),
        }
    }
    // Which event row each wait is satisfied by: the first one not taken,
    // after the previous wait's if there is one there.
    let mut taken = vec![false; events.len()];
    let mut after: Vec<Option<usize>> = Vec::new();
    let mut last: Option<usize> = None;
    for ((object, event), _) in &waits {
        let matches = |i: &usize| !taken[*i] && events[*i].0 == *object && events[*i].1 == *event;
        let from = last.map_or(0, |l| l + 1);
        let found = (from..events.len())
            .find(matches)
            .or_else(|| (0..events.len()).find(matches));
        if let Some(i) = found {
            taken[i] = true;
        }
        // A run of actions never goes above the previous run.
        let at = match (found, last) {
            (Some(i), Some(l)) => Some(i.max(l)),
            (found, last) => found.or(last),
        };
        after.push(at);
        last = at;
    }
    let mut rows = first;
    let mut segments: Vec<(Option<usize>, Vec<Row>)> = after
        .into_iter()
        .zip(waits.into_iter().map(|(_, s)| s))
        .collect();
    // Runs placed nowhere (their wait found no event) open the diagram.
    for (_, actions) in segments.iter_mut().filter(|(at, _)| at.is_none()) {
        rows.append(actions);
    }
    for (i, (object, event, args)) in events.iter().enumerate() {
        rows.push(Row::Event(object, event, args.clone(), taken[i]));
        for (_, actions) in segments.iter_mut().filter(|(at, _)| *at == Some(i)) {
            rows.append(actions);
        }
    }
    rows
}

/// The lane an action acts on: the object its expression starts from
/// (`client.write("x")`), else the object it names (`client =
/// net.connect(…)`).
fn acted_on<'a>(text: &str, lanes: &[&'a str]) -> Option<&'a str> {
    let text = text.trim();
    let (target, expr) = match text.split_once('=') {
        Some((t, e))
            if !t.trim().is_empty()
                && t.trim().chars().all(|c| c.is_alphanumeric() || c == '_')
                && !e.starts_with('=') =>
        {
            (Some(t.trim()), e.trim())
        }
        _ => (None, text),
    };
    let root: String = expr
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let lane = |name: &str| lanes.iter().skip(1).find(|l| **l == name).copied();
    lane(&root).or_else(|| target.and_then(lane))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_acts_on_the_object_it_starts_from_or_names() {
        let lanes = ["script", "server", "client"];
        assert_eq!(acted_on("client.write(\"x\")", &lanes), Some("client"));
        assert_eq!(
            acted_on("client = net.connect(port)", &lanes),
            Some("client")
        );
        assert_eq!(
            acted_on("port = server.address().port", &lanes),
            Some("server")
        );
        assert_eq!(acted_on("x = 1 + 2", &lanes), None);
        assert_eq!(acted_on("script.foo()", &lanes), None);
    }

    #[test]
    fn actions_follow_the_wait_before_them() {
        let text = "\
# T

## a case
See [net](https://nodejs.org/api/net.html).

```script
server = net.createServer()
server.listen(0, \"127.0.0.1\")
wait server listening
client = net.connect(server.address().port, \"127.0.0.1\")
wait client connect
client.end()
```

```events
server listening
client connectionAttempt ip=\"127.0.0.1\" port=<number> family=4
client connect
client finish
```
";
        let cases = crate::spec::parse_file(text, "spec/t.md", "t", Default::default())
            .expect("the case loads");
        let case = &cases[0].case;
        let events: Vec<(&str, &str, String)> = vec![
            ("server", "listening", String::new()),
            ("client", "connectionAttempt", String::new()),
            ("client", "connect", String::new()),
            ("client", "finish", String::new()),
        ];
        let lanes = ["script", "server", "client"];
        let rows = interleave(&case.script, &events, &lanes);
        let shown: Vec<String> = rows
            .iter()
            .map(|r| match r {
                Row::Event(o, e, _, w) => format!("{o} {e}{}", if *w { " (waited)" } else { "" }),
                Row::Action(t, lane) => format!("-> {lane}: {t}"),
                Row::Pause(t) => format!("pause {t}"),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "-> server: server = net.createServer()",
                "-> server: server.listen(0, \"127.0.0.1\")",
                "server listening (waited)",
                "-> client: client = net.connect(server.address().port, \"127.0.0.1\")",
                "client connectionAttempt",
                "client connect (waited)",
                "-> client: client.end()",
                "client finish",
            ]
        );
    }
}

//! Finds the cases of a spec file: `##` sections, their metadata comment,
//! prose links and fenced `script` / `events` blocks. Everything else in the
//! Markdown is documentation and is left alone.

use super::ast::{Block, Pos};

/// A `##` section as found in the file, before its lines are parsed.
#[derive(Debug, Clone)]
pub struct Section {
    pub title: String,
    pub pos: Pos,
    /// The metadata comment's JSON text and position.
    pub meta: Option<(String, Pos)>,
    /// The first link to Node's API docs in the section's prose.
    pub docs_link: Option<String>,
    pub script: Option<Block>,
    pub events: Option<Block>,
}

/// A structural problem at a position.
pub type MdError = (Pos, String);

const DOCS_PREFIX: &str = "https://nodejs.org/api/";

/// Splits `text` into `##` sections. Errors: unterminated fences, duplicate
/// blocks, blocks outside a section, unterminated metadata comments.
pub fn sections(text: &str) -> Result<Vec<Section>, MdError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<Section> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let line_no = i + 1;
        let trimmed = line.trim_start();
        if let Some((fence, info)) = fence_open(trimmed) {
            let start = i;
            i += 1;
            while i < lines.len() && !is_fence_close(lines[i].trim_start(), fence) {
                i += 1;
            }
            if i == lines.len() {
                return Err((
                    pos(line_no, 1),
                    format!("this code block is never closed (no closing {fence})"),
                ));
            }
            let block = Block {
                lines: lines[start + 1..i].iter().map(|s| s.to_string()).collect(),
                first_line: start + 2,
                fence: (start + 1, i + 1),
            };
            let kind = info.split_whitespace().next().unwrap_or("");
            if kind == "script" || kind == "events" {
                let Some(section) = out.last_mut() else {
                    return Err((
                        pos(line_no, 1),
                        format!("a `{kind}` block must be under a `##` case heading"),
                    ));
                };
                let slot = if kind == "script" {
                    &mut section.script
                } else {
                    &mut section.events
                };
                if slot.is_some() {
                    return Err((
                        pos(line_no, 1),
                        format!("the case `{}` already has a `{kind}` block", section.title),
                    ));
                }
                *slot = Some(block);
            }
            i += 1;
            continue;
        }
        if let Some(title) = line.strip_prefix("## ") {
            out.push(Section {
                title: title.trim().to_string(),
                pos: pos(line_no, 1),
                meta: None,
                docs_link: None,
                script: None,
                events: None,
            });
        } else if line.starts_with("# ") {
            // A new top-level heading ends the current case: later blocks
            // would otherwise attach to it.
            if out
                .last()
                .is_some_and(|s| s.script.is_some() || s.events.is_some())
            {
                out.push(Section {
                    title: String::new(),
                    pos: pos(line_no, 1),
                    meta: None,
                    docs_link: None,
                    script: None,
                    events: None,
                });
            }
        } else if let Some(section) = out.last_mut() {
            if let Some(col) = trimmed
                .find("<!--")
                .map(|c| c + 1 + (line.len() - trimmed.len()))
            {
                let start = i;
                let mut body = String::new();
                let mut rest = &line[col - 1 + 4..];
                loop {
                    if let Some(end) = rest.find("-->") {
                        body.push_str(&rest[..end]);
                        break;
                    }
                    body.push_str(rest);
                    body.push('\n');
                    i += 1;
                    if i == lines.len() {
                        return Err((
                            pos(start + 1, col),
                            "this comment is never closed (`-->`)".into(),
                        ));
                    }
                    rest = lines[i];
                }
                let body = body.trim();
                if body.starts_with('{') && section.script.is_none() {
                    if section.meta.is_some() {
                        return Err((
                            pos(start + 1, col),
                            format!(
                                "the case `{}` already has a metadata comment",
                                section.title
                            ),
                        ));
                    }
                    section.meta = Some((body.to_string(), pos(start + 1, col + 4)));
                }
            } else if section.docs_link.is_none()
                && let Some(at) = line.find(DOCS_PREFIX)
            {
                let link: String = line[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != ')' && *c != '>' && *c != ']')
                    .collect();
                section.docs_link = Some(link);
            }
        }
        i += 1;
    }
    out.retain(|s| !s.title.is_empty() || s.script.is_some());
    Ok(out)
}

fn pos(line: usize, col: usize) -> Pos {
    Pos { line, col }
}

fn fence_open(line: &str) -> Option<(&'static str, &str)> {
    for fence in ["```", "~~~"] {
        if let Some(rest) = line.strip_prefix(fence) {
            let rest = rest.trim_start_matches(fence.chars().next().unwrap_or('`'));
            return Some((fence, rest.trim()));
        }
    }
    None
}

fn is_fence_close(line: &str, fence: &str) -> bool {
    line.starts_with(fence)
        && line
            .trim_start_matches(fence.chars().next().unwrap_or('`'))
            .trim()
            .is_empty()
}

/// The slug of a heading: lowercase letters and digits, `-` between words.
pub fn slug(title: &str) -> String {
    let mut s = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sections_blocks_meta_and_links() {
        let text = "# T\nintro\n## A case!\n<!-- {\"id\": \"a\"} -->\nSee [x](https://nodejs.org/api/net.html#event-end).\n```script\nx = 1\n```\n\n```events\n```\n## Prose only\ntext\n";
        let s = sections(text).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].title, "A case!");
        assert_eq!(s[0].meta.as_ref().unwrap().0, "{\"id\": \"a\"}");
        assert_eq!(
            s[0].docs_link.as_deref(),
            Some("https://nodejs.org/api/net.html#event-end")
        );
        let script = s[0].script.as_ref().unwrap();
        assert_eq!(
            (script.first_line, script.lines.clone()),
            (7, vec!["x = 1".to_string()])
        );
        assert!(s[1].script.is_none());
        assert_eq!(
            slug("Client ends first; the server side ends too"),
            "client-ends-first-the-server-side-ends-too"
        );
    }

    #[test]
    fn reports_unclosed_fences_and_duplicate_blocks() {
        assert_eq!(sections("## A\n```script\nx\n").unwrap_err().0, pos(2, 1));
        let err = sections("## A\n```script\n```\n```script\n```\n").unwrap_err();
        assert_eq!(
            err,
            (
                pos(4, 1),
                "the case `A` already has a `script` block".into()
            )
        );
    }
}

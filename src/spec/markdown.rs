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

/// Splits `text` into `##` sections. Errors: unterminated fences and
/// comments, duplicate blocks, blocks or metadata outside a case.
pub fn sections(text: &str) -> Result<Vec<Section>, MdError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<Section> = Vec::new();
    // The section blocks attach to: none before the first `##` heading, or
    // after a `#` heading.
    let mut current: Option<usize> = None;
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
                    format!(
                        "this code block is never closed (no closing {})",
                        fence.0.to_string().repeat(fence.1)
                    ),
                ));
            }
            let block = Block {
                lines: lines[start + 1..i].iter().map(|s| s.to_string()).collect(),
                first_line: start + 2,
                fence: (start + 1, i + 1),
            };
            let kind = info.split_whitespace().next().unwrap_or("");
            if kind == "script" || kind == "events" {
                let Some(section) = current.map(|k| &mut out[k]) else {
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
        if let Some(at) = trimmed.find("<!--") {
            // A comment hides what it contains, headings included.
            let col = at + 1 + (line.len() - trimmed.len());
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
            if body.starts_with('{') {
                let here = pos(start + 1, col);
                let section = current.map(|k| &mut out[k]);
                match section {
                    Some(s) if s.script.is_none() && s.events.is_none() && s.meta.is_none() => {
                        s.meta = Some((body.to_string(), pos(start + 1, col + 4)));
                    }
                    Some(s) if s.meta.is_some() => {
                        return Err((
                            here,
                            format!("the case `{}` already has a metadata comment", s.title),
                        ));
                    }
                    _ => {
                        return Err((here, "a metadata comment must come right under a `##` case heading, before its blocks".into()));
                    }
                }
            }
        } else if let Some(title) = line.strip_prefix("## ") {
            out.push(Section {
                title: title.trim().to_string(),
                pos: pos(line_no, 1),
                meta: None,
                docs_link: None,
                script: None,
                events: None,
            });
            current = Some(out.len() - 1);
        } else if line.starts_with("# ") {
            current = None;
        } else if let Some(section) = current.map(|k| &mut out[k])
            && section.docs_link.is_none()
            && let Some(at) = line.find(DOCS_PREFIX)
        {
            let link: String = line[at..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != ')' && *c != '>' && *c != ']')
                .collect();
            section.docs_link = Some(link);
        }
        i += 1;
    }
    Ok(out)
}

fn pos(line: usize, col: usize) -> Pos {
    Pos { line, col }
}

/// An opening fence: its character and length (three or more backticks or
/// tildes), and the info string.
fn fence_open(line: &str) -> Option<((char, usize), &str)> {
    let c = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = line.chars().take_while(|x| *x == c).count();
    (n >= 3).then(|| ((c, n), line[n..].trim()))
}

/// A closing fence: the same character, at least as many, nothing else
/// (CommonMark), so a ```` block can hold ``` examples.
fn is_fence_close(line: &str, (c, n): (char, usize)) -> bool {
    let run = line.chars().take_while(|x| *x == c).count();
    run >= n && line[run..].trim().is_empty()
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
    fn longer_fences_hold_shorter_ones_and_comments_hide_headings() {
        let text = "# T\n<!--\n## hidden\n```script\n```\n-->\n## A\n````markdown\n```script\nx\n```\n````\n```script\ny = 1\n```\n# Part two\ntext\n";
        let s = sections(text).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(
            s[0].script.as_ref().unwrap().lines,
            vec!["y = 1".to_string()]
        );
        let after_part = sections("## A\ntext\n# Part\n```script\nx\n```\n").unwrap_err();
        assert_eq!(after_part.0, pos(4, 1));
        let late_meta =
            sections("## A\n```script\nx\n```\n<!-- {\"id\": \"a\"} -->\n").unwrap_err();
        assert_eq!(late_meta.0, pos(5, 1));
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

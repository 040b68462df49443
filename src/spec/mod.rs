//! The spec model: literate Markdown spec files parsed into cases.
//!
//! - [`markdown`] finds the cases, their metadata and fenced blocks;
//! - [`lexer`] and [`parse`] read script and events lines;
//! - [`check`] validates names against the [`vocabulary`] and derives each
//!   case's [`Plan`](check::Plan);
//! - [`render`] writes values, patterns and events back as spec text;
//! - [`version`] matches Node version ranges.

pub mod ast;
pub mod check;
pub mod lexer;
pub mod markdown;
pub mod parse;
pub mod render;
pub mod version;
pub mod vocabulary;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use ast::*;
pub use check::Plan;

/// A problem in a spec file, with its position.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SpecError {
    pub file: String,
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.pos.line, self.pos.col, self.message
        )
    }
}

impl std::error::Error for SpecError {}

/// A loaded case with its derived plan.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedCase {
    pub case: Case,
    pub plan: Plan,
}

/// How strictly to load.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Accept cases without an `events` block (for `record`).
    pub allow_missing_events: bool,
}

/// Parses one spec file's text. `file` is the path shown in errors; `id_prefix`
/// the file's path under `spec/` without `.md` (`net/half-open`).
pub fn parse_file(
    text: &str,
    file: &str,
    id_prefix: &str,
    opts: LoadOptions,
) -> Result<Vec<LoadedCase>, Vec<SpecError>> {
    let err = |pos: Pos, message: String| SpecError {
        file: file.to_string(),
        pos,
        message,
    };
    let sections = markdown::sections(text).map_err(|(pos, m)| vec![err(pos, m)])?;
    // One budget for the whole file: see `parse::MAX_FILE_DATA`.
    let mut budget = parse::DataBudget::default();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for section in sections {
        let Some(script_block) = section.script.clone() else {
            if let Some(events) = &section.events {
                errors.push(err(
                    Pos {
                        line: events.fence.0,
                        col: 1,
                    },
                    format!(
                        "the case `{}` has an `events` block but no `script` block",
                        section.title
                    ),
                ));
            }
            continue;
        };
        let mut case_errors = Vec::new();
        let meta = match &section.meta {
            Some((json, pos)) => parse_meta(json).unwrap_or_else(|m| {
                case_errors.push(err(*pos, m));
                Meta::default()
            }),
            None => Meta::default(),
        };
        let mut script = Vec::new();
        for (k, line) in script_block.lines.iter().enumerate() {
            let line_no = script_block.first_line + k;
            match parse::statement_with(line, line_no, &mut budget) {
                Ok(Some(s)) => script.push(s),
                Ok(None) => {}
                Err((col, m)) => case_errors.push(err(Pos { line: line_no, col }, m)),
            }
        }
        if script.is_empty() && case_errors.is_empty() {
            case_errors.push(err(
                Pos {
                    line: script_block.fence.0,
                    col: 1,
                },
                "the `script` block is empty".into(),
            ));
        }
        let events = section.events.as_ref().map(|block| {
            let mut lines = Vec::new();
            for (k, line) in block.lines.iter().enumerate() {
                let line_no = block.first_line + k;
                match parse::event_line_with(line, line_no, &mut budget) {
                    Ok(Some(l)) => lines.push(l),
                    Ok(None) => {}
                    Err((col, m)) => case_errors.push(err(Pos { line: line_no, col }, m)),
                }
            }
            lines
        });
        if events.is_none() && !opts.allow_missing_events {
            case_errors.push(err(
                section.pos,
                format!("the case `{}` has no `events` block (`nodecompat record` can capture one from live Node)", section.title),
            ));
        }
        let docs = meta.docs.clone().or(section.docs_link.clone());
        if docs.is_none() {
            case_errors.push(err(
                section.pos,
                format!("the case `{}` links no Node documentation (add a https://nodejs.org/api/… link or \"docs\")", section.title),
            ));
        }
        let local = meta
            .id
            .clone()
            .unwrap_or_else(|| markdown::slug(&section.title));
        if local.is_empty() || !local.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            case_errors.push(err(
                section.pos,
                format!("the case id `{local}` must be letters, digits and `-`"),
            ));
        }
        let plan = if case_errors.is_empty() {
            match check::check(&script, events.as_deref(), meta.chunks) {
                Ok(plan) => Some(plan),
                Err(es) => {
                    case_errors.extend(es.into_iter().map(|(pos, m)| err(pos, m)));
                    None
                }
            }
        } else {
            None
        };
        match plan {
            Some(plan) if case_errors.is_empty() => out.push(LoadedCase {
                case: Case {
                    id: format!("{id_prefix}/{local}"),
                    title: section.title.clone(),
                    file: file.to_string(),
                    pos: section.pos,
                    meta,
                    docs,
                    script,
                    events,
                    events_block: section.events.clone(),
                    script_block,
                },
                plan,
            }),
            _ => errors.extend(case_errors),
        }
    }
    for (i, a) in out.iter().enumerate() {
        if let Some(b) = out[..i].iter().find(|b| b.case.id == a.case.id) {
            errors.push(err(
                a.case.pos,
                format!(
                    "duplicate case id `{}` (also at line {})",
                    a.case.id, b.case.pos.line
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort();
        Err(errors)
    }
}

fn parse_meta(json: &str) -> Result<Meta, String> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| format!("the metadata comment is not valid JSON: {e}"))?;
    let obj = value
        .as_object()
        .ok_or("the metadata comment must hold a JSON object")?;
    let mut meta = Meta::default();
    for (k, v) in obj {
        let string = || {
            v.as_str()
                .map(str::to_string)
                .ok_or(format!("metadata `{k}` must be a string"))
        };
        match k.as_str() {
            "id" => meta.id = Some(string()?),
            "docs" => meta.docs = Some(string()?),
            "node" => {
                let range = string()?;
                version::Range::parse(&range).map_err(|e| format!("metadata `node`: {e}"))?;
                meta.node = Some(range);
            }
            "requires" => {
                let items = v
                    .as_array()
                    .ok_or("metadata `requires` must be an array of strings")?;
                for item in items {
                    let f = item
                        .as_str()
                        .ok_or("metadata `requires` must be an array of strings")?;
                    if !vocabulary::FEATURES.contains(&f) {
                        return Err(format!(
                            "unknown requirement `{f}` (known: {})",
                            vocabulary::FEATURES.join(", ")
                        ));
                    }
                    meta.requires.push(f.to_string());
                }
            }
            "covers" => {
                let items = v
                    .as_array()
                    .ok_or("metadata `covers` must be an array of catalogue item ids")?;
                for item in items {
                    match item.as_str() {
                        Some(id) if !id.trim().is_empty() => meta.covers.push(id.to_string()),
                        _ => {
                            return Err(
                                "metadata `covers` must be an array of catalogue item ids".into()
                            );
                        }
                    }
                }
            }
            "timeout" => {
                let ms = v
                    .as_u64()
                    .ok_or("metadata `timeout` must be a number of milliseconds")?;
                meta.timeout = Some(Duration::from_millis(ms));
            }
            "chunks" => {
                meta.chunks = match v.as_str() {
                    Some("exact") => Chunks::Exact,
                    Some("joined") => Chunks::Joined,
                    _ => return Err("metadata `chunks` must be \"exact\" or \"joined\"".into()),
                }
            }
            other => {
                return Err(format!(
                    "unknown metadata key `{other}` (known: id, docs, node, requires, timeout, chunks, covers)"
                ));
            }
        }
    }
    Ok(meta)
}

/// Reads and parses one spec file. `root` is the `spec/` directory that ids
/// are relative to.
pub fn load_file(
    path: &Path,
    root: &Path,
    opts: LoadOptions,
) -> Result<Vec<LoadedCase>, Vec<SpecError>> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![SpecError {
            file: shown.clone(),
            pos: Pos { line: 0, col: 0 },
            message: format!("cannot read: {e}"),
        }]
    })?;
    let rel = path.strip_prefix(root).unwrap_or(path).with_extension("");
    let prefix: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let mut cases = parse_file(&text, &shown, &prefix.join("/"), opts)?;
    // `fixture("…")` reads from the suite's `fixtures/`, beside `spec/`.
    let fixtures = root.parent().unwrap_or(root).join("fixtures");
    let mut errors = Vec::new();
    for c in &mut cases {
        for stmt in &mut c.case.script {
            let asts: Vec<&mut Ast> = match &mut stmt.kind {
                StmtKind::Eval { expr, .. } => vec![expr],
                StmtKind::On { body, .. } => body.iter_mut().collect(),
                _ => Vec::new(),
            };
            for ast in asts {
                read_fixtures(ast, &fixtures, &shown, &mut errors);
            }
        }
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

/// Fills in the contents of every `fixture("…")` in `ast`.
fn read_fixtures(ast: &mut Ast, dir: &Path, file: &str, errors: &mut Vec<SpecError>) {
    match ast {
        Ast::Fixture {
            path,
            pos,
            contents,
        } => match std::fs::read_to_string(dir.join(&*path)) {
            Ok(text) => *contents = Some(text),
            Err(e) => errors.push(SpecError {
                file: file.to_string(),
                pos: *pos,
                message: format!(
                    "fixture `{path}`: cannot read {}: {e}",
                    dir.join(&*path).display()
                ),
            }),
        },
        Ast::Get(t, _, _) | Ast::Typeof(t) => read_fixtures(t, dir, file, errors),
        Ast::Set(t, _, v, _) | Ast::InstanceOf(t, v, _) => {
            read_fixtures(t, dir, file, errors);
            read_fixtures(v, dir, file, errors);
        }
        Ast::Call(t, _, args, _) | Ast::New(t, args, _) => {
            read_fixtures(t, dir, file, errors);
            for a in args {
                read_fixtures(a, dir, file, errors);
            }
        }
        Ast::Object(members) => {
            for (_, v) in members {
                read_fixtures(v, dir, file, errors);
            }
        }
        Ast::Array(items) => {
            for v in items {
                read_fixtures(v, dir, file, errors);
            }
        }
        Ast::Lit(_) | Ast::Ident(..) | Ast::Callback(..) | Ast::TempPath(_) => {}
    }
}

/// Every spec file under `root` (`*.md` below a module folder; the guides
/// at the top level are not specs), sorted.
pub fn spec_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root)? {
        let dir = entry?.path();
        if dir.is_dir() {
            walk(&dir, &mut out)?;
        }
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
    Ok(())
}

/// Loads every case under `root`; errors of all files are collected, and a
/// case id used twice across files is an error too.
pub fn load_suite(root: &Path, opts: LoadOptions) -> Result<Vec<LoadedCase>, Vec<SpecError>> {
    let files = spec_files(root).map_err(|e| {
        vec![SpecError {
            file: root.display().to_string(),
            pos: Pos::default(),
            message: format!("cannot list spec files: {e}"),
        }]
    })?;
    let mut cases: Vec<LoadedCase> = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match load_file(&f, root, opts) {
            Ok(cs) => {
                for c in cs {
                    if let Some(other) = cases.iter().find(|o| o.case.id == c.case.id) {
                        errors.push(SpecError {
                            file: c.case.file.clone(),
                            pos: c.case.pos,
                            message: format!(
                                "duplicate case id `{}` (also in {})",
                                c.case.id, other.case.file
                            ),
                        });
                    } else {
                        cases.push(c);
                    }
                }
            }
            Err(es) => errors.extend(es),
        }
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

/// The same case with another `events` block (its lines, as written): parsed
/// and checked as if the file held it, so errors carry the block's real
/// positions. The mutation check builds its mutants with this.
pub fn with_events(lc: &LoadedCase, lines: &[String]) -> Result<LoadedCase, Vec<SpecError>> {
    let err = |pos: Pos, message: String| SpecError {
        file: lc.case.file.clone(),
        pos,
        message,
    };
    let first_line = lc.case.events_block.as_ref().map_or(0, |b| b.first_line);
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        let line_no = first_line + k;
        match parse::event_line(line, line_no) {
            Ok(Some(l)) => events.push(l),
            Ok(None) => {}
            Err((col, m)) => errors.push(err(Pos { line: line_no, col }, m)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let plan = check::check(&lc.case.script, Some(&events), lc.case.meta.chunks).map_err(|es| {
        es.into_iter()
            .map(|(pos, m)| err(pos, m))
            .collect::<Vec<_>>()
    })?;
    let mut case = lc.case.clone();
    case.events = Some(events);
    if let Some(block) = &mut case.events_block {
        block.lines = lines.to_vec();
    }
    Ok(LoadedCase { case, plan })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `fixture("…")` is a file under `fixtures/` beside `spec/`, read when
    /// the spec loads; a missing one is an error at its place; a path
    /// leaving `fixtures/` is refused when the line is parsed.
    #[test]
    fn fixtures_are_read_when_the_spec_loads() {
        let dir = std::env::temp_dir().join(format!("nc-fixture-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("spec/tls")).unwrap();
        std::fs::create_dir_all(dir.join("fixtures/tls")).unwrap();
        std::fs::write(dir.join("fixtures/tls/a.pem"), "PEM").unwrap();
        let spec = |line: &str| {
            format!(
                "## c\n<!-- {{\"id\": \"c\", \"docs\": \"https://nodejs.org/api/tls.html\"}} -->\n```script\n{line}\n```\n```events\n```\n"
            )
        };
        let file = dir.join("spec/tls/x.md");
        std::fs::write(&file, spec("x = {ca: [fixture(\"tls/a.pem\")]}")).unwrap();
        let cases = load_file(&file, &dir.join("spec"), LoadOptions::default()).unwrap();
        let StmtKind::Eval { expr, .. } = &cases[0].case.script[0].kind else {
            panic!("an eval")
        };
        let Ast::Object(members) = expr else {
            panic!("an object")
        };
        let Ast::Array(items) = &members[0].1 else {
            panic!("an array")
        };
        assert!(matches!(&items[0], Ast::Fixture { contents: Some(c), .. } if c == "PEM"));
        std::fs::write(&file, spec("x = fixture(\"tls/missing.pem\")")).unwrap();
        let errors = load_file(&file, &dir.join("spec"), LoadOptions::default()).unwrap_err();
        let shown = errors[0].to_string();
        assert!(
            shown.starts_with(&format!(
                "{}:4:5: fixture `tls/missing.pem`: cannot read",
                file.display()
            )),
            "{shown}"
        );
        std::fs::write(&file, spec("x = fixture(\"../secret\")")).unwrap();
        let errors = load_file(&file, &dir.join("spec"), LoadOptions::default()).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .contains("fixture takes a path inside fixtures/")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// What the fuzz target found: a 1.4 KB file of
    /// `aN = Buffer.alloc(67108864, "x")` lines made the loader build
    /// 2.5 GiB. The file's literals now share `parse::MAX_FILE_DATA`.
    #[test]
    fn a_file_cannot_build_unbounded_data() {
        let mut text = String::from("## c\nhttps://nodejs.org/api/net.html\n```script\n");
        for i in 1..=6 {
            text.push_str(&format!("a{i} = \"x\".repeat(67108864)\n"));
        }
        text.push_str("```\n```events\n```\n");
        let errors = parse_file(&text, "big.md", "big", LoadOptions::default()).unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let over = format!(
            "the data literals of this file make more than {} bytes",
            parse::MAX_FILE_DATA
        );
        assert_eq!(
            shown,
            [
                format!("big.md:8:16: {over}"),
                format!("big.md:9:16: {over}")
            ]
        );
    }
    /// The wire peer lives in the harness: it starts statements of its
    /// own, and the checker refuses it anywhere the implementation would
    /// have to evaluate it.
    #[test]
    fn a_wire_peer_stays_on_the_harness_side() {
        let case = |script: &str| {
            format!(
                "## c\nhttps://nodejs.org/api/http.html\n```script\nserver = http.createServer()\nraw = wire.connect(server.address().port)\n{script}\n```\n```events\n```\n"
            )
        };
        let errors = |script: &str| -> Vec<String> {
            match parse_file(&case(script), "w.md", "w", LoadOptions::default()) {
                Ok(_) => vec![],
                Err(e) => e.iter().map(ToString::to_string).collect(),
            }
        };
        assert_eq!(
            errors("raw.write(\"GET\")\nraw.trickle(\"x\", 5)\nraw.end()"),
            Vec::<String>::new()
        );
        // A wire server's port is a value the implementation may use.
        assert_eq!(
            errors("srv = wire.listen()\nc = net.connect(srv.port)\nsrv.close()"),
            Vec::<String>::new()
        );
        let taken = "belongs to the wire peer, which the harness runs";
        for (script, problem) in [
            ("x = server.listen(raw)", taken),
            ("x = wire.connect(1).write(\"a\")", taken),
            (
                "raw.write(\"a\") => undefined",
                "a wire peer's methods return nothing",
            ),
            (
                "on raw data (c) => server.close()",
                "reactions run in the implementation",
            ),
            ("observe raw data", "every event of it is reported already"),
            ("raw.send(\"a\")", "wire.Peer has no method `send`"),
            ("wire.accept(0)", "`wire` has no function `accept`"),
            ("x = raw.port", "wire.Peer has no property `port`"),
        ] {
            let found = errors(script);
            assert!(
                found
                    .iter()
                    .any(|e| e.starts_with("w.md:6:") && e.contains(problem)),
                "{script}: {found:?}"
            );
        }
    }
}

//! `nodecompat record`: runs a spec's scripts and writes what the
//! implementation did into each case's `events` block, for a person to
//! review. The rest of the file is left byte for byte as it was.

use std::path::Path;

use super::matcher::show_observed;
use super::runner::{self, Mode, Status};
use super::selection::Filter;
use crate::driver::Implementation;
use crate::spec::{self, LoadOptions};

/// Records every case of `file` that `only` selects; returns a summary
/// line. An exact id that names no case of the file is an error.
pub async fn record_file(
    imp: &Implementation,
    root: &Path,
    file: &Path,
    only: &Filter,
) -> Result<String, String> {
    let opts = LoadOptions {
        allow_missing_events: true,
    };
    let cases = spec::load_file(file, root, opts).map_err(|es| {
        es.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    only.check(cases.iter().map(|lc| lc.case.id.as_str()))
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let selected = cases.iter().filter(|lc| only.matches(&lc.case.id)).count();
    if selected == 0 {
        return Err(format!(
            "no case in {} matches {:?}",
            file.display(),
            only.patterns
        ));
    }
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    // Keep the file's line endings: only events blocks change.
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let session = imp.start().await.map_err(|e| e.to_string())?;
    let mut lost = None;
    let mut recorded = 0;
    let mut notes = Vec::new();
    // Later cases first, so earlier line numbers stay valid while editing.
    for lc in cases.iter().rev() {
        if !only.matches(&lc.case.id) {
            continue;
        }
        let r = runner::run_case(&session, lc, Mode::Record).await;
        match &r.status {
            Status::Skipped(why) => {
                notes.push(format!("{}: skipped ({why})", lc.case.id));
                continue;
            }
            Status::Failed => notes.push(format!("{}: {}", lc.case.id, r.message)),
            Status::Passed => {}
        }
        if r.driver_lost {
            // Keep what was recorded so far (later cases, already spliced).
            lost = Some(format!(
                "{}: the driver was lost: {}",
                lc.case.id, r.message
            ));
            break;
        }
        let width = r
            .trace
            .objects
            .keys()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0);
        let mut block = vec!["```events".to_string()];
        // Each normalized event by (object, index of the raw event it
        // starts at): a run of joined `data` is written once, where it began.
        let normalized: std::collections::HashMap<(&String, usize), _> = r
            .trace
            .objects
            .keys()
            .flat_map(|k| {
                r.trace
                    .normalized_with_origin(k, lc.plan.objects.get(k).copied(), lc.case.meta.chunks)
                    .into_iter()
                    .map(move |(origin, o)| ((k, origin), o))
            })
            .collect();
        for (obj, i) in &r.trace.arrival {
            let Some(o) = normalized.get(&(obj, *i)) else {
                continue;
            };
            let class = lc.plan.objects.get(obj).copied();
            block.push(format!("{obj:width$}  {}", show_observed(class, o)));
        }
        block.push("```".to_string());
        match &lc.case.events_block {
            Some(b) => {
                lines.splice(b.fence.0 - 1..b.fence.1, block);
            }
            None => {
                let after = lc.case.script_block.fence.1;
                block.insert(0, String::new());
                lines.splice(after..after, block);
            }
        }
        recorded += 1;
    }
    let mut out = lines.join(newline);
    if text.ends_with('\n') {
        out.push_str(newline);
    }
    std::fs::write(file, out).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut summary = format!(
        "recorded {recorded} case(s) into {} with {} {}",
        file.display(),
        session.hello.implementation,
        session.hello.version
    );
    for n in notes {
        summary.push_str(&format!("\n  note: {n}"));
    }
    match lost {
        Some(reason) => Err(format!("{summary}\n{reason}")),
        None => Ok(summary),
    }
}

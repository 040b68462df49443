//! The matcher's former blind spots, one test each: a divergence of that
//! kind now fails a case.
//!
//! The fixture cases (`fixtures/blind-spots/net/divergences.md`) pass on live
//! Node and on the reference as written. Each divergence is live Node patched
//! to differ in one way (`fixtures/divergences/patch.cjs`, preloaded with
//! `node -r`): the test runs the case on it and checks that the case fails,
//! with the diff naming what differs. Tests that need `node` report
//! themselves ignored, with the reason, when it is not on PATH.
//!
//! The observation tests need no Node: they delete the lines of events that
//! are observed only when the script asks (`data`) or by default (`pause`,
//! `resume`) from real cases, and check the reference then fails them.

use std::sync::Arc;

#[path = "support.rs"]
mod support;
use support::{node, root};

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use nodecompat::driver::{Implementation, Kind};
use nodecompat::harness::runner::{self, CaseResult, Mode, Status};
use nodecompat::spec::{self, LoadOptions, LoadedCase};

const NO_NODE: &str =
    "`node` was not found on PATH (or $NODECOMPAT_NODE): the patched Node needs it";

/// Live Node, patched by `patch` (None: as it is).
fn patched_node(node: &str, patch: Option<&str>) -> Implementation {
    let r = root();
    let mut argv = vec![node.to_string()];
    if patch.is_some() {
        argv.push("-r".into());
        argv.push(
            r.join("fixtures/divergences/patch.cjs")
                .display()
                .to_string(),
        );
    }
    argv.push(r.join("scripts/node-driver.cjs").display().to_string());
    let env = patch
        .map(|p| vec![("NODECOMPAT_DIVERGENCE".to_string(), p.to_string())])
        .unwrap_or_default();
    Implementation {
        name: format!("node patched with {}", patch.unwrap_or("nothing")),
        kind: Kind::Command { argv, env },
        node: None,
        install: None,
    }
}

fn run(imp: &Implementation, lc: &LoadedCase) -> Result<CaseResult, Failed> {
    async_std::task::block_on(async {
        let session = imp.start().await.map_err(|e| e.to_string())?;
        Ok(runner::run_case(&session, lc, Mode::Check).await)
    })
}

fn case<'a>(cases: &'a [LoadedCase], id: &str) -> &'a LoadedCase {
    cases
        .iter()
        .find(|c| c.case.id == id)
        .unwrap_or_else(|| panic!("no fixture case {id}"))
}

/// One divergence: the patch, the fixture case it is tried on, and text
/// the failure must contain.
struct Divergence {
    blind_spot: &'static str,
    patch: &'static str,
    case: &'static str,
    shows: &'static [&'static str],
}

const DIVERGENCES: &[Divergence] = &[
    Divergence {
        blind_spot: "events of an object the case never named",
        patch: "unnamed-error",
        case: "an-unnamed-accepted-socket",
        shows: &[
            "#1 (an object the case did not name)",
            "+ error Error {code: \"ECONNRESET\"}",
        ],
    },
    Divergence {
        blind_spot: "arity: arguments on an event Node emits without any",
        patch: "listening-args",
        case: "listening-and-the-address",
        shows: &["- listening", "+ listening null \"127.0.0.1\""],
    },
    Divergence {
        blind_spot: "object patterns: a property Node does not have",
        patch: "address-extra-key",
        case: "listening-and-the-address",
        shows: &["flowlabel: 0"],
    },
    Divergence {
        blind_spot: "error patterns: another error class",
        patch: "error-class",
        case: "a-refused-connection",
        shows: &["+ error TypeError {code: \"ECONNREFUSED\""],
    },
    Divergence {
        blind_spot: "plain patterns: an Error where Node emits a plain object",
        patch: "plain-to-error",
        case: "destroyed-with-a-plain-object",
        shows: &[
            "- error {code: \"EBOOM\"}",
            "+ error Error {code: \"EBOOM\"}",
        ],
    },
    Divergence {
        blind_spot: "a bare `call` line: a callback called with an argument",
        patch: "close-callback-arg",
        case: "a-refused-connection",
        shows: &["closed: differs at event 1", "+ call null"],
    },
    Divergence {
        blind_spot: "events observed by default: one the block never names",
        patch: "extra-timeout",
        case: "an-unnamed-accepted-socket",
        shows: &["+ timeout"],
    },
    Divergence {
        blind_spot: "unhandled errors",
        patch: "uncaught",
        case: "listening-and-the-address",
        shows: &[
            "process: differs at event 1",
            "+ uncaughtException Error {message: \"boom\"}",
        ],
    },
    Divergence {
        blind_spot: "an extra event inside the settle window",
        patch: "late-close-10ms",
        case: "a-refused-connection",
        shows: &["+ close hadError=true"],
    },
];

/// Lines whose deletion must fail a case on the reference: events that are
/// observed because the script says so (`data`) or by default (`pause`,
/// `resume`), from the cases where such a deletion once went unseen.
const OBSERVATION: &[(&str, &[&str])] = &[
    ("net/flow/pause-resume", &["pause", "resume", "data"]),
    (
        "net/more-forms/server-options-and-listener",
        &["resume", "data"],
    ),
    ("net/pause-on-connect/end-after-resume", &["resume", "data"]),
];

fn main() {
    let args = Arguments::from_args();
    let fixtures = spec::load_suite(&root().join("fixtures/blind-spots"), LoadOptions::default())
        .expect("the fixture specs load");
    let fixtures = Arc::new(fixtures);
    let node = node();
    let mut trials = Vec::new();

    // The fixture cases hold on Node and on the reference as written:
    // otherwise their failures below would prove nothing.
    for lc in fixtures.iter() {
        let (lc1, lc2, node) = (lc.clone(), lc.clone(), node.clone());
        trials.push(Trial::test(
            format!("as-written:reference:{}", lc.case.id),
            move || expect_pass(run(&Implementation::reference(), &lc1)?),
        ));
        trials.push(Trial::ignorable_test(
            format!("as-written:node:{}", lc.case.id),
            move || {
                let Some(node) = node else {
                    return Ok(Completion::ignored_with(NO_NODE));
                };
                expect_pass(run(&patched_node(&node, None), &lc2)?).map(|()| Completion::Completed)
            },
        ));
    }

    for d in DIVERGENCES {
        let (fixtures, node) = (fixtures.clone(), node.clone());
        let name = format!("{}: {}", d.patch, d.blind_spot);
        trials.push(Trial::ignorable_test(name, move || {
            let Some(node) = node else {
                return Ok(Completion::ignored_with(NO_NODE));
            };
            let lc = case(&fixtures, &format!("net/divergences/{}", d.case));
            let r = run(&patched_node(&node, Some(d.patch)), lc)?;
            if r.status != Status::Failed {
                return Err(
                    format!("{} {:?} on Node patched with {}", r.id, r.status, d.patch).into(),
                );
            }
            for s in d.shows {
                if !r.message.contains(s) {
                    return Err(format!("the failure does not show `{s}`:\n{}", r.message).into());
                }
            }
            Ok(Completion::Completed)
        }));
    }

    // What the harness cannot see, by design (spec/README.md, Matching): an
    // extra event well after the settle window. This pins the documented
    // limit; a harness that sees further should change the guide with it.
    {
        let (fixtures, node) = (fixtures.clone(), node.clone());
        trials.push(Trial::ignorable_test(
            "late-close-300ms: an extra event after the settle window is not seen (documented)",
            move || {
                let Some(node) = node else {
                    return Ok(Completion::ignored_with(NO_NODE));
                };
                let lc = case(&fixtures, "net/divergences/a-refused-connection");
                expect_pass(run(&patched_node(&node, Some("late-close-300ms")), lc)?)
                    .map(|()| Completion::Completed)
            },
        ));
    }

    let suite = Arc::new(
        spec::load_suite(&root().join("spec"), LoadOptions::default()).expect("the suite loads"),
    );
    for (id, events) in OBSERVATION {
        for event in *events {
            let suite = suite.clone();
            trials.push(Trial::test(
                format!("observation: deleting a `{event}` line of {id} fails it"),
                move || deletions_fail(case(&suite, id), event),
            ));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn expect_pass(r: CaseResult) -> Result<(), Failed> {
    match r.status {
        Status::Passed => Ok(()),
        other => Err(format!("{} {other:?}\n{}", r.id, r.message).into()),
    }
}

/// Every line of `event` in the case's block, deleted one at a time: the
/// reference must fail each mutant.
fn deletions_fail(lc: &LoadedCase, event: &str) -> Result<(), Failed> {
    let block = lc
        .case
        .events_block
        .as_ref()
        .ok_or("the case has no events block")?;
    let mut tried = 0;
    for (k, line) in block.lines.iter().enumerate() {
        let is_it = spec::parse::event_line(line, 0)
            .ok()
            .flatten()
            .is_some_and(|e| e.event == event);
        if !is_it {
            continue;
        }
        tried += 1;
        let mut lines = block.lines.clone();
        lines.remove(k);
        let mutant = spec::with_events(lc, &lines).map_err(|e| format!("{e:?}"))?;
        let r = run(&Implementation::reference(), &mutant)?;
        if r.status != Status::Failed {
            return Err(format!(
                "{}: without line {} `{line}` the case still {:?}",
                lc.case.id,
                block.first_line + k,
                r.status
            )
            .into());
        }
    }
    if tried == 0 {
        return Err(format!("{} has no `{event}` line to delete", lc.case.id).into());
    }
    Ok(())
}

//! The spec suite as tests: one test per case, named by its id, so
//! `cargo test net/half-open` runs exactly those cases.
//!
//! - `net/…`: the case against the reference implementation, in-process,
//!   with an insta snapshot of its trace (per object, in order);
//! - `node:net/…`: the same case against live Node through
//!   `scripts/node-driver.cjs`, when `node` is on PATH (otherwise each is
//!   reported as ignored, with the reason printed);
//! - `fixtures/bad-specs/…`: each malformed spec's error messages, snapshotted.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use nodecompat::driver::{Implementation, Session};
use nodecompat::harness::matcher::{Trace, show_observed};
use nodecompat::harness::runner::{self, Mode, Status};
use nodecompat::protocol::Value;
use nodecompat::spec::{self, LoadOptions, LoadedCase};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A trace as a person reads it: each object's events in order.
fn render_trace(lc: &LoadedCase, trace: &Trace) -> String {
    let mut s = String::new();
    // Anonymous `#n` objects are numbered in arrival order, which is not
    // deterministic between peers: only named objects are snapshotted.
    for obj in trace.objects.keys().filter(|k| !k.starts_with('#')) {
        let class = lc.plan.objects.get(obj).copied();
        for mut o in trace.normalized(obj, class, lc.case.meta.chunks) {
            let names = class
                .and_then(nodecompat::spec::vocabulary::class)
                .and_then(|c| c.event(&o.event))
                .map_or(&[][..], |e| e.args);
            for (i, arg) in o.args.iter_mut().enumerate() {
                let is_port = names
                    .get(i)
                    .is_some_and(|a| a.name.ends_with("port") || a.name.ends_with("Port"));
                if is_port && matches!(arg, Value::Number(_)) {
                    *arg = Value::String("<port>".into());
                }
                redact_ports(arg);
                redact_scratch(arg);
            }
            s.push_str(&format!("{obj}  {}\n", show_observed(class, &o)));
        }
    }
    s
}

/// Ports are chosen by the OS at run time: snapshots show `"<port>"`.
fn redact_ports(v: &mut Value) {
    match v {
        Value::Object(m) | Value::Error(m) => {
            for (k, x) in m.iter_mut() {
                if k.ends_with("port") || k.ends_with("Port") {
                    if let Value::Number(_) = x {
                        *x = Value::String("<port>".into());
                    }
                } else {
                    redact_ports(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_ports),
        _ => {}
    }
}

/// Per-case scratch paths (`tempPath()`) differ between runs: snapshots
/// show `<tmp>/name`.
fn redact_scratch(v: &mut Value) {
    match v {
        Value::String(s) => {
            let tmp = std::env::temp_dir().join("nc-").display().to_string();
            if let Some(rest) = s.strip_prefix(&tmp)
                && let Some((_, name)) = rest.split_once('/')
            {
                *s = format!("<tmp>/{name}");
            }
        }
        Value::Object(m) | Value::Error(m) => m.values_mut().for_each(redact_scratch),
        Value::Array(items) => items.iter_mut().for_each(redact_scratch),
        _ => {}
    }
}

fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("conformance").join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

/// Sessions to a driver, reused across tests (one per concurrent test).
struct Pool {
    imp: Implementation,
    idle: Mutex<Vec<Session>>,
}

impl Pool {
    fn run(&self, lc: &LoadedCase) -> Result<runner::CaseResult, String> {
        let session = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let session = match session {
            Some(s) => s,
            None => async_std::task::block_on(self.imp.start()).map_err(|e| e.to_string())?,
        };
        let r = async_std::task::block_on(runner::run_case(&session, lc, Mode::Check));
        if !r.driver_lost {
            self.idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(session);
        }
        Ok(r)
    }
}

fn outcome(r: runner::CaseResult) -> Result<Completion, Failed> {
    match r.status {
        Status::Passed => Ok(Completion::Completed),
        Status::Skipped(why) => Ok(Completion::ignored_with(why)),
        Status::Failed => Err(format!("{} ({}:{})\n{}", r.id, r.file, r.line, r.message).into()),
    }
}

fn node_available() -> bool {
    let node = std::env::var("NODECOMPAT_NODE").unwrap_or_else(|_| "node".into());
    std::process::Command::new(node)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn bad_spec_trials() -> Vec<Trial> {
    let dir = root().join("fixtures").join("bad-specs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(format!("fixtures/bad-specs/{name}"), move || {
                let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
                let shown = format!("fixtures/bad-specs/{name}.md");
                match spec::parse_file(
                    &text,
                    &shown,
                    &format!("bad/{name}"),
                    LoadOptions::default(),
                ) {
                    Ok(_) => Err(format!("{shown} loaded without an error").into()),
                    Err(errors) => {
                        let text: String = errors.iter().map(|e| format!("{e}\n")).collect();
                        snapshot_settings()
                            .bind(|| insta::assert_snapshot!(format!("bad-spec__{name}"), text));
                        Ok(())
                    }
                }
            })
        })
        .collect()
}

fn main() {
    let args = Arguments::from_args();
    let cases = match spec::load_suite(&root().join("spec"), LoadOptions::default()) {
        Ok(c) => c,
        Err(errors) => {
            let msg: String = errors.iter().map(|e| format!("{e}\n")).collect();
            let trial = Trial::test("spec/load", move || Err(msg.into()));
            libtest_mimic::run(&args, vec![trial]).exit();
        }
    };
    let mut trials = vec![Trial::test("spec/load", || Ok(()))];
    trials.extend(bad_spec_trials());

    let reference = Arc::new(Pool {
        imp: Implementation::reference(),
        idle: Mutex::new(Vec::new()),
    });
    for lc in &cases {
        let (lc, pool) = (lc.clone(), reference.clone());
        trials.push(Trial::ignorable_test(lc.case.id.clone(), move || {
            let r = pool.run(&lc)?;
            if r.status == Status::Passed {
                let text = render_trace(&lc, &r.trace);
                let name = format!("trace__{}", lc.case.id.replace('/', "__"));
                snapshot_settings().bind(|| insta::assert_snapshot!(name, text));
            }
            outcome(r)
        }));
    }

    static NODE: OnceLock<bool> = OnceLock::new();
    let has_node = *NODE.get_or_init(node_available);
    if !has_node {
        println!(
            "live Node check skipped: `node` was not found on PATH (set NODECOMPAT_NODE to use another binary)"
        );
    }
    let node_pool = Arc::new(Pool {
        imp: Implementation::parse("node", Path::new(env!("CARGO_MANIFEST_DIR")))
            .expect("`node` always parses"),
        idle: Mutex::new(Vec::new()),
    });
    for lc in &cases {
        let (lc, pool) = (lc.clone(), node_pool.clone());
        trials.push(Trial::ignorable_test(
            format!("node:{}", lc.case.id),
            move || {
                if !has_node {
                    return Ok(Completion::ignored_with("`node` not found on PATH"));
                }
                outcome(pool.run(&lc)?)
            },
        ));
    }
    libtest_mimic::run(&args, trials).exit();
}

//! The spec suite as tests: one test per case, named by its id, so
//! `cargo test net/half-open` runs exactly those cases.
//!
//! - `net/…`: the case against the reference implementation, in-process,
//!   with an insta snapshot of its trace (per object, in order);
//! - `node:net/…`: the same case against live Node through
//!   `scripts/node-driver.cjs`, when `node` is on PATH (otherwise each is
//!   reported as ignored, with the reason printed);
//! - `bun:net/…`, `deno:…`, `node20:…`, `node22:…`, `node24:…`: the same
//!   case against each runtime `implementations.toml` names (every external
//!   implementation but `reference-over-protocol`), judged by its manifest
//!   `expectations/NAME.toml` when there is one (its `skip` entries are not
//!   run). The first runtime trial to run starts every runtime's selected
//!   cases at once, each runtime over 4 sessions; a runtime's trials are
//!   ignored, with the reason, when it is not installed
//!   (`scripts/install-runtimes`) or `NODECOMPAT_RUNTIMES` leaves it out;
//! - `fixtures/bad-specs/…`: each malformed spec's error messages, snapshotted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use nodecompat::driver::{Implementation, Kind, Session, config};
use nodecompat::harness::expectations::{Expect, Manifest, Outcome, signature};
use nodecompat::harness::matcher::{Trace, show_observed};
use nodecompat::harness::runner::{self, Mode, Status};
use nodecompat::harness::suite;
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
                redact_dates(arg);
                redact_tls(&o.event, arg);
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

/// A response's `Date` header holds the clock, a client's `Host` the
/// port the OS chose: snapshots show `Date: <date>` and
/// `Host: 127.0.0.1:<port>`.
fn redact_dates(v: &mut Value) {
    if let Value::Buffer(b) = v {
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let host = b"Host: 127.0.0.1:";
            if b[i..].starts_with(b"Date: ")
                && b.len() >= i + 35
                && nodecompat::http::is_http_date(&b[i + 6..i + 35])
            {
                out.extend_from_slice(b"Date: <date>");
                i += 35;
            } else if b[i..].starts_with(host)
                && b.get(i + host.len()).is_some_and(u8::is_ascii_digit)
            {
                out.extend_from_slice(host);
                out.extend_from_slice(b"<port>");
                i += host.len();
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        *b = out;
    }
}

/// TLS is random by design: key log lines, session tickets and records
/// seen by a plain peer differ on every run. Snapshots show `<keylog>`,
/// `<session>` and `<TLS records>`.
fn redact_tls(event: &str, v: &mut Value) {
    if let Value::Buffer(b) = v {
        let shown = match event {
            "keylog" => "<keylog>",
            "session" => "<session>",
            _ if matches!(b.as_slice(), [0x14..=0x17, 0x03, ..]) => "<TLS records>",
            _ => return,
        };
        *v = Value::String(shown.into());
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

/// Which runtimes run: `NODECOMPAT_RUNTIMES` is `all` (the default), `none`,
/// or a comma-separated list of names.
const RUNTIMES_VAR: &str = "NODECOMPAT_RUNTIMES";

/// Sessions each runtime's cases are spread over.
const RUNTIME_JOBS: usize = 4;

/// One runtime of `implementations.toml`: its selected cases are run
/// together, once, over [`RUNTIME_JOBS`] sessions; every trial then reads
/// its case's result. The first runtime trial to run starts every runtime
/// at once, each on its own thread: they spend most of a case waiting.
struct Runtime {
    imp: Implementation,
    /// `expectations/NAME.toml` (as shown) and what it says, or why it
    /// cannot be read.
    manifest: Option<(String, Result<Manifest, String>)>,
    /// Why its trials are ignored, if they are.
    ignored: Option<String>,
    /// The cases whose trials libtest will run.
    selected: Vec<LoadedCase>,
    results: OnceLock<HashMap<String, runner::CaseResult>>,
}

/// Every runtime that runs, for the first trial to start them all.
static RUNTIMES: OnceLock<Vec<Arc<Runtime>>> = OnceLock::new();

impl Runtime {
    fn result(&self, id: &str) -> Option<&runner::CaseResult> {
        static START: std::sync::Once = std::sync::Once::new();
        START.call_once(|| {
            for rt in RUNTIMES.get().into_iter().flatten() {
                if rt.ignored.is_none() && !rt.selected.is_empty() {
                    let rt = rt.clone();
                    std::thread::spawn(move || {
                        rt.results();
                    });
                }
            }
        });
        self.results().get(id)
    }

    /// The results, run now or by another thread (which this waits for).
    fn results(&self) -> &HashMap<String, runner::CaseResult> {
        self.results.get_or_init(|| {
            let (results, _) = async_std::task::block_on(suite::run_all(
                &self.imp,
                Arc::new(self.selected.clone()),
                RUNTIME_JOBS,
                Mode::Check,
                None,
            ));
            results.into_iter().map(|r| (r.id.clone(), r)).collect()
        })
    }

    /// A trial's verdict: the result judged by the manifest.
    fn judge(&self, id: &str) -> Result<Completion, Failed> {
        if let Some(why) = &self.ignored {
            return Ok(Completion::ignored_with(why.clone()));
        }
        let manifest = match &self.manifest {
            Some((file, Err(e))) => return Err(format!("{file}: {e}").into()),
            Some((file, Ok(m))) => Some((file, m)),
            None => None,
        };
        if let Some(why) = manifest.and_then(|(_, m)| skipped_by(m, id)) {
            return Ok(Completion::ignored_with(why));
        }
        let r = self
            .result(id)
            .ok_or_else(|| format!("{id}: no result from {}", self.imp.name))?;
        let Some((file, m)) = manifest else {
            return outcome(r.clone());
        };
        let entry = m.get(id);
        let reason = entry.map(|e| e.reason.as_str()).unwrap_or_default();
        match m.outcome(r) {
            Outcome::Passed | Outcome::XFail | Outcome::Flaky => Ok(Completion::Completed),
            Outcome::Skipped | Outcome::Failed => outcome(r.clone()),
            Outcome::XPass => Err(format!(
                "{id} passed, but {file} expects a failure ({reason}): remove its entry"
            )
            .into()),
            Outcome::Changed => Err(format!(
                "{id} fails, but not as {file} records ({reason})\n  recorded: {}\n  now:      {}\n{}",
                entry.and_then(|e| e.divergence.as_deref()).unwrap_or_default(),
                signature(&r.message),
                r.message
            )
            .into()),
        }
    }
}

/// Why the manifest says not to run `id` (it hangs, or takes the driver
/// down), if it does.
fn skipped_by(m: &Manifest, id: &str) -> Option<String> {
    m.get(id)
        .filter(|e| e.expect == Expect::Skip)
        .map(|e| format!("skipped by the manifest: {}", e.reason))
}

/// Where `program` is: a path as given, else found on PATH.
fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return p.is_file().then_some(p);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// The runtimes `implementations.toml` names, each with the trials of the
/// cases it will run.
fn runtime_trials(cases: &[LoadedCase], args: &Arguments) -> Vec<Trial> {
    let registry = match config::Registry::load(&root().join(config::FILE)) {
        Ok(r) => r,
        Err(e) => {
            let msg = e.to_string();
            return vec![Trial::test("runtimes/implementations.toml", move || {
                Err(msg.into())
            })];
        }
    };
    let wanted = std::env::var(RUNTIMES_VAR).unwrap_or_else(|_| "all".into());
    let chosen = |name: &str| match wanted.trim() {
        "all" => true,
        "none" | "" => false,
        list => list.split(',').any(|n| n.trim() == name),
    };
    let me = std::env::current_exe().ok();
    let mut trials = Vec::new();
    let mut runtimes = Vec::new();
    for name in registry.names() {
        let Some(imp) = registry.get(name) else {
            continue;
        };
        let Kind::Command { argv, .. } = &imp.kind else {
            continue;
        };
        // `node:` is the node on PATH, above.
        if name == "node" {
            continue;
        }
        // `{nodecompat}` is this test binary here, not the CLI: the
        // reference over the protocol has its own test (robustness).
        if me.as_deref() == Some(Path::new(&argv[0])) {
            continue;
        }
        let ignored = if find_program(&argv[0]).is_none() {
            Some(format!(
                "{name} is not installed: run {}",
                imp.install.as_deref().unwrap_or("its install step")
            ))
        } else if !chosen(name) {
            Some(format!(
                "{RUNTIMES_VAR}={wanted} leaves {name} out (set it to `all` or a list naming {name})"
            ))
        } else {
            None
        };
        let file = root().join("expectations").join(format!("{name}.toml"));
        let manifest = file
            .is_file()
            .then(|| (format!("expectations/{name}.toml"), Manifest::load(&file)));
        let trial_name = |lc: &LoadedCase| format!("{name}:{}", lc.case.id);
        let skip = |lc: &LoadedCase| match &manifest {
            Some((_, Ok(m))) => skipped_by(m, &lc.case.id).is_some(),
            _ => false,
        };
        let selected = cases
            .iter()
            .filter(|lc| !args.is_filtered_out(&Trial::test(trial_name(lc), || Ok(()))))
            .filter(|lc| !skip(lc))
            .cloned()
            .collect();
        let runtime = Arc::new(Runtime {
            imp,
            manifest,
            ignored,
            selected,
            results: OnceLock::new(),
        });
        runtimes.push(runtime.clone());
        for lc in cases {
            let (id, runtime) = (lc.case.id.clone(), runtime.clone());
            trials.push(Trial::ignorable_test(trial_name(lc), move || {
                runtime.judge(&id)
            }));
        }
    }
    let _ = RUNTIMES.set(runtimes);
    trials
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
    trials.extend(runtime_trials(&cases, &args));
    libtest_mimic::run(&args, trials).exit();
}

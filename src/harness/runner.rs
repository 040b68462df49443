//! Runs one case against one driver session: sends the script's actions,
//! honours its waits, records the trace, then matches it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::driver::{Incoming, Session};
use crate::protocol::{Expr, Message, Reaction, Request, Value};
use crate::spec::ast::{Ast, Expect, Stmt, StmtKind};
use crate::spec::version::Range;
use crate::spec::{LoadedCase, render, vocabulary};

use super::matcher::{self, Trace};

mod harness_side;
mod waits;
use super::wire::{Wire, WireEvent};

/// How long a `wait` waits unless it says otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(2);
/// How long a driver may take to answer a request.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// After the expected events arrived, how long to watch for extra ones.
pub const SETTLE: Duration = Duration::from_millis(50);
/// `record`: the trace is complete once nothing arrived for this long.
pub const RECORD_QUIET: Duration = Duration::from_millis(300);

/// What a run is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Match the events block.
    Check,
    /// Record what happens; nothing is matched.
    Record,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    Skipped(String),
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub id: String,
    pub file: String,
    pub line: usize,
    pub status: Status,
    pub duration: Duration,
    /// Why it failed: the problems, then the events diff.
    pub message: String,
    pub trace: Trace,
    /// The driver is unusable afterwards (crashed, hung, or lost sync).
    pub driver_lost: bool,
}

impl CaseResult {
    /// A result with no trace, for the tests of what reads results
    /// (manifests, the matrix, `--repeat`): 10 ms, line 1 of
    /// `spec/net/x.md`.
    #[cfg(test)]
    pub(crate) fn sample(id: &str, status: Status, message: &str) -> CaseResult {
        CaseResult {
            id: id.into(),
            file: "spec/net/x.md".into(),
            line: 1,
            status,
            duration: Duration::from_millis(10),
            message: message.into(),
            trace: Default::default(),
            driver_lost: false,
        }
    }
}

/// Where a run keeps per-case files (Unix socket paths).
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    /// A fresh directory under the system temp dir, short enough for
    /// Unix socket paths (107 bytes on Linux).
    pub fn new(tag: &str) -> std::io::Result<Scratch> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("nc-{}-{tag}{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch { dir })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Why a case could not go on.
enum Stop {
    /// The case failed; the driver is still in sync.
    Fail(String),
    /// The driver is gone or out of sync.
    Lost(String),
}

struct Run<'a> {
    session: &'a Session,
    lc: &'a LoadedCase,
    trace: Trace,
    next_id: u64,
    problems: Vec<String>,
    scratch: PathBuf,
    /// Per (object, event): how many emissions earlier waits consumed.
    consumed: BTreeMap<(String, String), usize>,
    /// Per object: how many data bytes earlier data waits consumed.
    data_consumed: BTreeMap<String, usize>,
    /// False until `begin` is answered: events before that are a previous
    /// case's, sent after its `end` (a driver bug), and are not this case's.
    recording: bool,
    /// The case's wire peers, run by the harness itself.
    wire: Wire,
}

/// Whether the session's driver can run this case; the reason if not.
pub fn skip_reason(lc: &LoadedCase, session: &Session) -> Option<String> {
    for m in &lc.plan.modules {
        if !session.hello.modules.iter().any(|x| x == m) {
            return Some(format!(
                "uses node:{m}, which {} does not implement",
                session.hello.implementation
            ));
        }
    }
    for r in &lc.case.meta.requires {
        if !session.hello.features.contains(r) {
            return Some(format!(
                "requires {r}, which {} does not support here",
                session.hello.implementation
            ));
        }
    }
    if let Some(range) = &lc.case.meta.node
        && let Ok(r) = Range::parse(range)
        && !r.matches(&session.hello.node)
    {
        return Some(format!(
            "holds for Node {range}; {} claims {}",
            session.hello.implementation, session.hello.node
        ));
    }
    None
}

/// Runs one case. Never panics on driver misbehaviour: every problem ends
/// up in the result.
pub async fn run_case(session: &Session, lc: &LoadedCase, mode: Mode) -> CaseResult {
    let started = Instant::now();
    let mut result = CaseResult {
        id: lc.case.id.clone(),
        file: lc.case.file.clone(),
        line: lc.case.pos.line,
        status: Status::Passed,
        duration: Duration::ZERO,
        message: String::new(),
        trace: Trace::default(),
        driver_lost: false,
    };
    if let Some(reason) = skip_reason(lc, session) {
        result.status = Status::Skipped(reason);
        return result;
    }
    let scratch = match Scratch::new("c") {
        Ok(s) => s,
        Err(e) => {
            result.status = Status::Failed;
            result.message = format!("cannot create a scratch directory: {e}");
            return result;
        }
    };
    let mut run = Run {
        session,
        lc,
        trace: Trace::default(),
        next_id: 0,
        problems: Vec::new(),
        scratch: scratch.dir.clone(),
        consumed: BTreeMap::new(),
        data_consumed: BTreeMap::new(),
        recording: false,
        wire: Wire::default(),
    };
    let outcome = run.execute(mode).await;
    let mut lost = None;
    match outcome {
        Ok(()) => {}
        Err(Stop::Fail(m)) => run.problems.push(m),
        Err(Stop::Lost(m)) => {
            run.problems.push(m.clone());
            lost = Some(m);
        }
    }
    if lost.is_none() {
        // Tear down even after a failure, so the driver is clean for the next case.
        // What the wire peers see from here on is the teardown's doing
        // (a server closed, its connections ended): not the case's. They
        // close only once the driver stopped reporting, so that their
        // closing is not the implementation's news either.
        run.wire.mute();
        let id = run.id();
        if let Err(stop) = run.request(Request::End { id }, None).await {
            let m = match stop {
                Stop::Fail(m) | Stop::Lost(m) => m,
            };
            run.problems.push(format!("teardown: {m}"));
            lost = Some(m);
        }
    }
    run.wire.stop();
    result.driver_lost = lost.is_some();

    // The diff is shown even when the script went wrong: it tells how far
    // the story got.
    run.trace.bind_captures(&lc.plan);
    if let (Mode::Check, Some(expected)) = (mode, &lc.case.events) {
        let diffs = matcher::compare(expected, &run.trace, &lc.plan.objects, lc.case.meta.chunks);
        if !diffs.is_empty() {
            run.problems.push(format!(
                "events differ (- expected, + actual):\n{}",
                matcher::render_diffs(&diffs).trim_end()
            ));
        }
    }
    if !run.problems.is_empty() {
        result.status = Status::Failed;
        result.message = run.problems.join("\n");
    }
    result.trace = run.trace;
    result.duration = started.elapsed();
    result
}

impl Run<'_> {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    async fn execute(&mut self, mode: Mode) -> Result<(), Stop> {
        let id = self.id();
        self.request(
            Request::Begin {
                id,
                case: self.lc.case.id.clone(),
                // Captures of the wire objects' events are the harness's.
                captures: self
                    .lc
                    .plan
                    .captures
                    .iter()
                    .filter(|c| !self.is_harness_object(&c.object))
                    .cloned()
                    .collect(),
                reactions: self
                    .lc
                    .plan
                    .reactions
                    .iter()
                    .map(|r| Reaction {
                        object: r.object.clone(),
                        event: r.event.clone(),
                        params: r.params.clone(),
                        body: r.body.iter().map(|a| self.to_expr(a)).collect(),
                        once: r.once,
                    })
                    .collect(),
                defaults: vocabulary::CLASSES
                    .iter()
                    .filter(|c| c.id.contains('.') && !vocabulary::harness_class(c.id))
                    .map(|c| (c.id.to_string(), vocabulary::default_observed(c)))
                    .collect(),
            },
            None,
        )
        .await?;
        self.recording = true;
        for stmt in &self.lc.case.script {
            self.statement(stmt).await?;
        }
        match mode {
            Mode::Check => self.await_expected().await,
            Mode::Record => self.await_quiet().await,
        }
    }

    async fn statement(&mut self, stmt: &Stmt) -> Result<(), Stop> {
        let at = format!("line {} `{}`", stmt.pos.line, stmt.text);
        match &stmt.kind {
            StmtKind::Eval {
                assign,
                expr,
                expect,
            } => {
                if let Some((target, method, args)) = self.harness_call(expr) {
                    return self
                        .harness_statement(assign.as_deref(), target, method, args, &at)
                        .await;
                }
                let observe = assign
                    .as_ref()
                    .and_then(|n| self.lc.plan.observe.get(n))
                    .cloned()
                    .unwrap_or_default();
                let id = self.id();
                let reply = self
                    .request(
                        Request::Eval {
                            id,
                            expr: self.to_expr(expr),
                            assign: assign.clone(),
                            observe,
                        },
                        Some(&at),
                    )
                    .await?;
                if let (Some(name), Message::Result { value, .. }) = (assign, &reply)
                    && !matches!(value, Value::Handle { .. })
                {
                    self.trace.vars.insert(name.clone(), value.clone());
                }
                match (reply, expect) {
                    (Message::Result { .. }, None) => {}
                    (Message::Result { value, .. }, Some(Expect::Returns(p))) => {
                        if !matcher::matches(p, &value, &self.trace.vars) {
                            self.problems.push(format!(
                                "{at} returned {}, expected {}",
                                render::pattern(&matcher::pattern_against(&value, p)),
                                render::pattern(p)
                            ));
                        }
                    }
                    (Message::Result { value, .. }, Some(Expect::Throws(p))) => {
                        self.problems.push(format!(
                            "{at} returned {}, expected it to throw {}",
                            render::value(&value),
                            render::pattern(p)
                        ));
                    }
                    (Message::Throw { error, .. }, Some(Expect::Throws(p))) => {
                        if !matcher::matches(p, &error, &self.trace.vars) {
                            self.problems.push(format!(
                                "{at} threw {}, expected it to throw {}",
                                thrown_against(&error, p),
                                render::pattern(p)
                            ));
                        }
                    }
                    (Message::Throw { error, .. }, _) => {
                        return Err(Stop::Fail(format!("{at} threw {}", describe_error(&error))));
                    }
                    (Message::Error { message, .. }, _) => {
                        return Err(Stop::Fail(format!(
                            "{at}: the driver could not run it: {message}"
                        )));
                    }
                    (other, _) => {
                        return Err(Stop::Lost(format!("{at}: unexpected reply {other:?}")));
                    }
                }
            }
            StmtKind::Wait {
                object,
                event,
                args,
                within,
                ..
            } => {
                let limit = within.unwrap_or(DEFAULT_WAIT);
                self.wait(object, event, args, limit, &at).await?;
            }
            // Declared at `begin`: attached when the object is named.
            StmtKind::On { .. } => {}
            StmtKind::Sleep(d) => {
                let deadline = Instant::now() + *d;
                while Instant::now() < deadline {
                    self.pump(deadline).await?;
                }
            }
            // About an object named later: subscribed when it is named.
            StmtKind::Observe { .. } if self.lc.plan.deferred_observes.contains(&stmt.pos.line) => {
            }
            StmtKind::Observe { object, events } => {
                let id = self.id();
                let reply = self
                    .request(
                        Request::Observe {
                            id,
                            object: object.clone(),
                            events: events.clone(),
                        },
                        Some(&at),
                    )
                    .await?;
                if let Message::Error { message, .. } = reply {
                    return Err(Stop::Fail(format!(
                        "{at}: the driver could not run it: {message}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// After the script: wait until every expected event arrived (or the
    /// case's limit passed), then watch a little longer for extra ones.
    async fn await_expected(&mut self) -> Result<(), Stop> {
        let Some(expected) = &self.lc.case.events else {
            return Ok(());
        };
        let limit = self.lc.case.meta.timeout.unwrap_or(DEFAULT_WAIT);
        let deadline = Instant::now() + limit;
        while !matcher::covered(
            expected,
            &self.trace,
            &self.lc.plan.objects,
            self.lc.case.meta.chunks,
        ) {
            if matcher::diverged(
                expected,
                &self.trace,
                &self.lc.plan.objects,
                self.lc.case.meta.chunks,
            ) {
                break;
            }
            if Instant::now() >= deadline {
                return Err(Stop::Fail(format!(
                    "the expected events did not all arrive within {} ms after the script",
                    limit.as_millis()
                )));
            }
            self.pump(deadline).await?;
        }
        let settle = Instant::now() + SETTLE;
        while Instant::now() < settle {
            self.pump(settle).await?;
        }
        Ok(())
    }

    async fn await_quiet(&mut self) -> Result<(), Stop> {
        // A case that waits on time (an idle timeout) says so with
        // `timeout`: record at least that long without news.
        let window = self
            .lc
            .case
            .meta
            .timeout
            .map_or(RECORD_QUIET, |t| t.max(RECORD_QUIET));
        let overall = Instant::now() + window + Duration::from_secs(5);
        loop {
            let before = self.trace.len();
            let quiet = (Instant::now() + window).min(overall);
            while Instant::now() < quiet {
                self.pump(quiet).await?;
            }
            if self.trace.len() == before || Instant::now() >= overall {
                return Ok(());
            }
        }
    }

    async fn pump_until(
        &mut self,
        deadline: Instant,
        at: &str,
        limit: Duration,
    ) -> Result<(), Stop> {
        if Instant::now() >= deadline {
            return Err(Stop::Fail(format!(
                "{at} timed out after {} ms",
                limit.as_millis()
            )));
        }
        self.pump(deadline).await
    }

    /// Receives one message by `deadline`: events are recorded, a reply is
    /// returned, and `None` means the deadline passed or an event arrived
    /// (so the caller re-checks what it waits for). The wire peers' events
    /// are recorded as they come, like the driver's.
    async fn recv(&mut self, deadline: Instant) -> Result<Option<Message>, Stop> {
        use async_std::prelude::FutureExt;
        enum Next {
            Driver(Option<Incoming>),
            Wire(WireEvent),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let next = async { Next::Driver(self.session.recv().await) }
            .race(async { Next::Wire(self.wire.recv().await) });
        let got = match async_std::future::timeout(left, next).await {
            Ok(Next::Wire(e)) => {
                if self.recording {
                    self.trace.push(&e.object, e.event, e.args);
                }
                return Ok(None);
            }
            Ok(Next::Driver(m)) => Ok(m),
            Err(timeout) => Err(timeout),
        };
        match got {
            Err(_) => Ok(None),
            Ok(None) => Err(Stop::Lost("the driver is gone".into())),
            Ok(Some(Incoming::Failed(reason))) => Err(Stop::Lost(reason.to_string())),
            Ok(Some(Incoming::Message(Message::Event {
                object,
                event,
                args,
            }))) => {
                if self.recording {
                    self.trace.push(&object, &event, args);
                }
                Ok(None)
            }
            Ok(Some(Incoming::Message(m))) => Ok(Some(m)),
        }
    }

    /// Records events until `deadline` or the next one; no reply is due.
    async fn pump(&mut self, deadline: Instant) -> Result<(), Stop> {
        match self.recv(deadline).await? {
            None => Ok(()),
            Some(other) => Err(Stop::Lost(format!("a reply nobody asked for: {other:?}"))),
        }
    }

    /// Sends a request and waits for its reply, recording events meanwhile.
    async fn request(&mut self, r: Request, at: Option<&str>) -> Result<Message, Stop> {
        let (id, op) = match &r {
            Request::Begin { id, .. } => (*id, "begin"),
            Request::Eval { id, .. } => (*id, "eval"),
            Request::Observe { id, .. } => (*id, "observe"),
            Request::End { id } => (*id, "end"),
            Request::Bye => (0, "bye"),
        };
        let what = at.map_or_else(|| format!("`{op}`"), str::to_string);
        self.session
            .send(r)
            .await
            .map_err(|e| Stop::Lost(e.to_string()))?;
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            let reply = self.recv(deadline).await.map_err(|stop| match stop {
                Stop::Lost(reason) => Stop::Lost(format!("during {what}: {reason}")),
                other => other,
            })?;
            let Some(m) = reply else {
                if Instant::now() >= deadline {
                    return Err(Stop::Lost(format!(
                        "the driver did not answer {what} within {} s",
                        REPLY_TIMEOUT.as_secs()
                    )));
                }
                continue;
            };
            let reply_id = match &m {
                Message::Ok { id }
                | Message::Result { id, .. }
                | Message::Throw { id, .. }
                | Message::Error { id, .. } => *id,
                Message::Hello(_) | Message::Event { .. } => u64::MAX,
            };
            if reply_id != id {
                return Err(Stop::Lost(format!("the driver answered {what} with {m:?}")));
            }
            if let (Message::Error { message, .. }, "begin" | "end") = (&m, op) {
                return Err(Stop::Lost(format!("the driver refused `{op}`: {message}")));
            }
            return Ok(m);
        }
    }

    fn to_expr(&self, a: &Ast) -> Expr {
        match a {
            Ast::Lit(v) => Expr::Value(v.clone()),
            Ast::Ident(n, _) => {
                let global = vocabulary::module(n).is_some() || vocabulary::global_constructor(n);
                if global && !self.lc.plan.objects.contains_key(n) {
                    Expr::Global(n.clone())
                } else {
                    Expr::Ref(n.clone())
                }
            }
            // `srv.port`: the harness knows it.
            Ast::Get(t, p, _) if matches!(t.as_ref(), Ast::Ident(n, _) if self.is_harness_object(n)) =>
            {
                let Ast::Ident(n, _) = t.as_ref() else {
                    unreachable!("matched above")
                };
                Expr::Value(self.wire.property(n, p).unwrap_or(Value::Undefined))
            }
            Ast::Get(t, p, _) => Expr::Get {
                target: Box::new(self.to_expr(t)),
                property: p.clone(),
            },
            Ast::Set(t, p, v, _) => Expr::Set {
                target: Box::new(self.to_expr(t)),
                property: p.clone(),
                value: Box::new(self.to_expr(v)),
            },
            Ast::Call(t, m, args, _) => Expr::Call {
                target: Box::new(self.to_expr(t)),
                method: m.clone(),
                args: args.iter().map(|a| self.to_expr(a)).collect(),
            },
            Ast::New(callee, args, _) => Expr::New {
                target: Box::new(self.to_expr(callee)),
                args: args.iter().map(|a| self.to_expr(a)).collect(),
            },
            Ast::Typeof(v) => Expr::Typeof(Box::new(self.to_expr(v))),
            Ast::InstanceOf(v, c, _) => Expr::Instanceof {
                value: Box::new(self.to_expr(v)),
                class: Box::new(self.to_expr(c)),
            },
            Ast::Object(m) => Expr::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), self.to_expr(v)))
                    .collect(),
            ),
            Ast::Array(items) => Expr::Array(items.iter().map(|a| self.to_expr(a)).collect()),
            Ast::Callback(n, _) => Expr::Callback(n.clone()),
            Ast::TempPath(name) => {
                Expr::Value(Value::String(self.scratch.join(name).display().to_string()))
            }
            // Read when the spec was loaded (`load_file` refuses a case
            // whose fixture is missing).
            Ast::Fixture { contents, .. } => {
                Expr::Value(Value::String(contents.clone().unwrap_or_default()))
            }
        }
    }
}

/// A thrown error as the expected pattern asks about it, with its message
/// when the pattern does not name it: `RangeError {code: "X"} ("…")`.
fn thrown_against(error: &Value, expected: &crate::spec::Pattern) -> String {
    let shown = render::pattern(&matcher::pattern_against(error, expected));
    let names_message = matches!(expected, crate::spec::Pattern::Object { props, .. }
        if props.iter().any(|(k, _)| k == "message"));
    match error.prop("message") {
        Some(Value::String(m)) if !names_message => format!("{shown} ({m:?})"),
        _ => shown,
    }
}

/// An error for a message: its name, code and message.
fn describe_error(v: &Value) -> String {
    let text = |k: &str| match v.prop(k) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    match (text("name"), text("code"), text("message")) {
        (name, code, Some(msg)) => {
            let mut s = name.unwrap_or_else(|| "Error".into());
            if let Some(c) = code {
                s.push_str(&format!(" [{c}]"));
            }
            format!("{s}: {msg}")
        }
        _ => render::value(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_mismatched_throw_shows_what_the_pattern_asks_about() {
        let error = Value::Error(BTreeMap::from([
            ("name".into(), Value::String("RangeError".into())),
            ("code".into(), Value::String("ERR_SOCKET_BAD_PORT".into())),
            ("message".into(), Value::String("Port should be > 0".into())),
            ("syscall".into(), Value::String("bind".into())),
        ]));
        let p = |s: &str| crate::spec::parse::pattern(s).unwrap();
        insta::assert_snapshot!(
            "thrown_against",
            [
                thrown_against(&error, &p("TypeError")),
                thrown_against(&error, &p(r#"Error {code: "EBADF", syscall: "send"}"#)),
                thrown_against(&error, &p(r#"{message: "no"}"#)),
            ]
            .join("\n")
        );
    }
}

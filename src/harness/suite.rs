//! Runs many cases over a pool of driver sessions: `--jobs N` sessions, each
//! serving cases one after another. A session whose driver crashed or hung
//! is dropped (its process killed) and a fresh one serves the next case.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_std::channel::{Sender, unbounded};

use super::runner::{self, CaseResult, Mode, Status};
use crate::driver::{Implementation, Session};
use crate::protocol::{Hello, Request};
use crate::spec::LoadedCase;

/// What the pool reports as it goes.
pub enum Progress {
    Started(Hello),
    Finished(Box<CaseResult>),
}

/// Runs `cases` with `jobs` sessions of `imp`; results come back in the
/// order of `cases`. Progress goes to `progress` as cases finish.
pub async fn run_all(
    imp: &Implementation,
    cases: Arc<Vec<LoadedCase>>,
    jobs: usize,
    mode: Mode,
    progress: Option<Sender<Progress>>,
) -> (Vec<CaseResult>, Option<Hello>) {
    let queue: Arc<Mutex<VecDeque<usize>>> = Arc::new(Mutex::new((0..cases.len()).collect()));
    let (tx, rx) = unbounded::<(usize, CaseResult)>();
    let hello: Arc<Mutex<Option<Hello>>> = Arc::default();
    let mut workers = Vec::new();
    for _ in 0..jobs.max(1).min(cases.len().max(1)) {
        let (queue, cases, tx, imp, hello, progress) = (
            queue.clone(),
            cases.clone(),
            tx.clone(),
            imp.clone(),
            hello.clone(),
            progress.clone(),
        );
        workers.push(async_std::task::spawn(async move {
            let mut session: Option<Session> = None;
            loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                let Some(i) = next else { break };
                let lc = &cases[i];
                if session.is_none() {
                    match imp.start().await {
                        Ok(s) => {
                            let first = {
                                let mut h = hello.lock().unwrap_or_else(|e| e.into_inner());
                                let first = h.is_none();
                                h.get_or_insert_with(|| s.hello.clone());
                                first
                            };
                            if let (true, Some(p)) = (first, &progress) {
                                let _ = p.send(Progress::Started(s.hello.clone())).await;
                            }
                            session = Some(s);
                        }
                        Err(reason) => {
                            let r = failed_to_start(lc, reason.to_string());
                            if let Some(p) = &progress {
                                let _ = p.send(Progress::Finished(Box::new(r.clone()))).await;
                            }
                            let _ = tx.send((i, r)).await;
                            continue;
                        }
                    }
                }
                let s = session.as_ref().expect("started above");
                let r = runner::run_case(s, lc, mode).await;
                if r.driver_lost {
                    // Dropping the session kills the driver process.
                    session = None;
                }
                if let Some(p) = &progress {
                    let _ = p.send(Progress::Finished(Box::new(r.clone()))).await;
                }
                let _ = tx.send((i, r)).await;
            }
            if let Some(s) = session {
                let _ = s.send(Request::Bye).await;
                // Give it a moment to exit on its own; the drop kills it anyway.
                async_std::task::sleep(std::time::Duration::from_millis(20)).await;
            }
        }));
    }
    drop(tx);
    let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
    while let Ok((i, r)) = rx.recv().await {
        results[i] = Some(r);
    }
    for w in workers {
        w.await;
    }
    let hello = hello.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (results.into_iter().flatten().collect(), hello)
}

fn failed_to_start(lc: &LoadedCase, reason: String) -> CaseResult {
    CaseResult {
        id: lc.case.id.clone(),
        file: lc.case.file.clone(),
        line: lc.case.pos.line,
        status: Status::Failed,
        duration: std::time::Duration::ZERO,
        message: format!("the driver did not start: {reason}"),
        trace: Default::default(),
        driver_lost: true,
    }
}

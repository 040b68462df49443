//! External drivers: a child process speaking the protocol on stdin/stdout.
//!
//! The process is killed when its session drops, so a run never leaves a
//! driver behind, whatever state it was in. Its stderr is kept (the last
//! lines) to explain a failure.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_std::channel::unbounded;
use async_std::io::BufReader;
use async_std::prelude::*;
use async_std::process::{Child, Command, Stdio};

use super::{Error, Incoming, Session};
use crate::protocol::{Hello, Message, Request};

const STDERR_LINES: usize = 20;

/// Owns the child process; dropping it kills the driver.
pub struct ChildGuard {
    child: Arc<Mutex<Child>>,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(mut c) = self.child.lock() {
            let _ = c.kill();
        }
    }
}

/// Spawns `argv` and wires it to a session. The handshake is read by the
/// caller; `hello` is a placeholder until then.
pub fn spawn(argv: &[String], env: &[(String, String)]) -> Result<Session, Error> {
    let failed = |reason: String| Error::Spawn {
        command: argv.join(" "),
        reason,
    };
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(e.to_string()))?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| failed("no stdin".into()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| failed("no stdout".into()))?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| failed("no stderr".into()))?;
    let child = Arc::new(Mutex::new(child));
    let tail: Arc<Mutex<VecDeque<String>>> = Arc::default();

    let (req_tx, req_rx) = unbounded::<Request>();
    let (in_tx, in_rx) = unbounded::<Incoming>();

    // Requests → stdin, one JSON line each.
    async_std::task::spawn(async move {
        let mut stdin = stdin;
        while let Ok(r) = req_rx.recv().await {
            let mut line = serde_json::to_string(&r).unwrap_or_default();
            line.push('\n');
            if stdin.write_all(line.as_bytes()).await.is_err() || stdin.flush().await.is_err() {
                break;
            }
        }
    });

    // stderr → the last lines, for failure reports.
    let tail_w = tail.clone();
    async_std::task::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Some(Ok(line)) = lines.next().await {
            let mut t = tail_w.lock().unwrap_or_else(|e| e.into_inner());
            if t.len() == STDERR_LINES {
                t.pop_front();
            }
            t.push_back(line);
        }
    });

    // stdout → messages; anything else ends the session with a reason.
    let child_r = child.clone();
    async_std::task::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        let reason = loop {
            match lines.next().await {
                Some(Ok(line)) if line.trim().is_empty() => continue,
                Some(Ok(line)) => match serde_json::from_str::<Message>(&line) {
                    Ok(m) => {
                        if in_tx.send(Incoming::Message(m)).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let shown: String = line.chars().take(200).collect();
                        break format!(
                            "the driver wrote a line that is not protocol ({e}): {shown}"
                        );
                    }
                },
                Some(Err(e)) => break format!("reading the driver's output failed: {e}"),
                None => {
                    // Give the process a moment to be reaped, for its status.
                    let mut status = None;
                    for _ in 0..20 {
                        status = child_r
                            .lock()
                            .ok()
                            .and_then(|mut c| c.try_status().ok().flatten());
                        if status.is_some() {
                            break;
                        }
                        async_std::task::sleep(Duration::from_millis(25)).await;
                    }
                    break match status {
                        Some(s) => format!("the driver exited ({s})"),
                        None => "the driver closed its output".to_string(),
                    };
                }
            }
        };
        // Let the stderr reader catch up before quoting it.
        async_std::task::sleep(Duration::from_millis(50)).await;
        let quoted: Vec<String> = tail
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|l| format!("    {l}"))
            .collect();
        let reason = if quoted.is_empty() {
            reason
        } else {
            format!("{reason}; its stderr ended with:\n{}", quoted.join("\n"))
        };
        let _ = in_tx.send(Incoming::Failed(Error::Gone(reason))).await;
    });

    Ok(Session {
        hello: Hello {
            protocol: 0,
            implementation: argv.join(" "),
            version: String::new(),
            node: String::new(),
            features: Vec::new(),
            modules: Vec::new(),
        },
        requests: req_tx,
        incoming: in_rx,
        _child: Some(ChildGuard { child }),
    })
}

//! Drivers: the things that run a case's actions and report events.
//!
//! The harness talks to every implementation the same way, through a
//! [`Session`]: protocol [`Request`]s go in, [`Incoming`] messages come out.
//! - [`reference`] serves the Rust reference implementation in-process;
//! - [`process`] runs an external driver program (live Node through
//!   `scripts/node-driver.js`, or any program that speaks the protocol).

pub mod process;
pub mod reference;
pub mod stdio;

use std::path::PathBuf;

use async_std::channel::{Receiver, Sender, unbounded};

use crate::protocol::{Hello, Message, PROTOCOL_VERSION, Request};

/// Why a driver cannot be used. The `Display` text is for people; match on
/// the variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `--impl` is neither a known name nor a usable command line.
    BadCommandLine(String),
    /// The driver program could not be started.
    Spawn {
        /// The command line, as given.
        command: String,
        /// What the operating system said.
        reason: String,
    },
    /// The driver did not open with a valid `hello`.
    Handshake(String),
    /// The driver speaks another protocol version.
    Protocol {
        /// The version its `hello` gave.
        theirs: u32,
    },
    /// The driver is gone: it exited, closed its output, or wrote a line
    /// that is not protocol (with the tail of its stderr, if any).
    Gone(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::BadCommandLine(m) => write!(f, "--impl: {m}"),
            Error::Spawn { command, reason } => {
                write!(f, "cannot start the driver `{command}`: {reason}")
            }
            Error::Handshake(m) | Error::Gone(m) => f.write_str(m),
            Error::Protocol { theirs } => write!(
                f,
                "the driver speaks protocol {theirs}, this nodecompat speaks {PROTOCOL_VERSION}"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// What a session delivers: a protocol message, or why the driver is gone.
#[derive(Debug, Clone)]
pub enum Incoming {
    Message(Message),
    Failed(Error),
}

/// A live connection to one driver.
pub struct Session {
    pub hello: Hello,
    requests: Sender<Request>,
    incoming: Receiver<Incoming>,
    /// Keeps an external process alive; killed when the session drops.
    _child: Option<process::ChildGuard>,
}

impl Session {
    /// Sends a request; fails when the driver is gone.
    pub async fn send(&self, r: Request) -> Result<(), Error> {
        self.requests
            .send(r)
            .await
            .map_err(|_| Error::Gone("the driver is gone".into()))
    }

    /// The next message or failure; `None` when the channel closed without
    /// a reason.
    pub async fn recv(&self) -> Option<Incoming> {
        self.incoming.recv().await.ok()
    }
}

/// An implementation to run specs against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Implementation {
    /// The Rust reference implementation, in-process.
    Reference,
    /// An external driver program and its arguments.
    Command(Vec<String>),
}

impl Implementation {
    /// Parses `--impl`: `reference`, `node` (this repository's Node driver,
    /// with `node` from PATH or `$NODECOMPAT_NODE`), or a command line.
    pub fn parse(text: &str, repo_root: &std::path::Path) -> Result<Implementation, Error> {
        match text.trim() {
            "reference" => Ok(Implementation::Reference),
            "node" => {
                let node = std::env::var("NODECOMPAT_NODE").unwrap_or_else(|_| "node".into());
                let mut script: PathBuf = repo_root.join("scripts").join("node-driver.js");
                if !script.exists() {
                    script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("scripts")
                        .join("node-driver.js");
                }
                Ok(Implementation::Command(vec![
                    node,
                    script.display().to_string(),
                ]))
            }
            other => {
                let argv = split_command_line(other).map_err(Error::BadCommandLine)?;
                if argv.is_empty() {
                    return Err(Error::BadCommandLine(
                        "needs `reference`, `node` or a command line".into(),
                    ));
                }
                Ok(Implementation::Command(argv))
            }
        }
    }

    /// Starts a session: spawns the driver (or the in-process reference)
    /// and reads its handshake.
    pub async fn start(&self) -> Result<Session, Error> {
        let mut session = match self {
            Implementation::Reference => {
                let (req_tx, req_rx) = unbounded();
                let (msg_tx, msg_rx) = unbounded::<Message>();
                let (in_tx, in_rx) = unbounded();
                let closer = msg_tx.clone();
                async_std::task::spawn(async move {
                    reference::serve(req_rx, msg_tx).await;
                    // Listeners may still hold senders: close, so the
                    // forwarding task below ends too.
                    closer.close();
                });
                async_std::task::spawn(async move {
                    while let Ok(m) = msg_rx.recv().await {
                        if in_tx.send(Incoming::Message(m)).await.is_err() {
                            break;
                        }
                    }
                });
                let hello = reference::hello();
                let session = Session {
                    hello: hello.clone(),
                    requests: req_tx,
                    incoming: in_rx,
                    _child: None,
                };
                return check_hello(session);
            }
            Implementation::Command(argv) => process::spawn(argv)?,
        };
        let first =
            async_std::future::timeout(std::time::Duration::from_secs(10), session.recv()).await;
        match first {
            Ok(Some(Incoming::Message(Message::Hello(h)))) => {
                session.hello = h;
                check_hello(session)
            }
            Ok(Some(Incoming::Message(other))) => Err(Error::Handshake(format!(
                "the driver's first message is not `hello`: {other:?}"
            ))),
            Ok(Some(Incoming::Failed(reason))) => Err(reason),
            Ok(None) => Err(Error::Handshake(
                "the driver closed its output before `hello`".into(),
            )),
            Err(_) => Err(Error::Handshake(
                "the driver sent no `hello` within 10s".into(),
            )),
        }
    }
}

fn check_hello(session: Session) -> Result<Session, Error> {
    if session.hello.protocol != PROTOCOL_VERSION {
        return Err(Error::Protocol {
            theirs: session.hello.protocol,
        });
    }
    Ok(session)
}

/// Splits a command line on whitespace, honouring single and double quotes
/// and backslash escapes (no other shell syntax).
pub fn split_command_line(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') | (None, '\\') => {
                cur.push(
                    chars
                        .next()
                        .ok_or("a trailing backslash in the command line")?,
                );
                in_word = true;
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("an unclosed quote in the command line".into());
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_like_a_shell_would() {
        assert_eq!(
            split_command_line(r#"deno run -A "my driver.js" --x='a b' c\ d"#).unwrap(),
            vec!["deno", "run", "-A", "my driver.js", "--x=a b", "c d"]
        );
        assert!(split_command_line("node 'x").is_err());
    }
}

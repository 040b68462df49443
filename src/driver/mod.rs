//! Drivers: the things that run a case's actions and report events.
//!
//! The harness talks to every implementation the same way, through a
//! [`Session`]: protocol [`Request`]s go in, [`Incoming`] messages come out.
//! - [`reference`] serves the Rust reference implementation in-process;
//! - [`process`] runs an external driver program (live Node through
//!   `scripts/node-driver.cjs`, or any program that speaks the protocol).

pub mod config;
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

/// An implementation to run specs against: how to start it, and the Node
/// version it is held to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Implementation {
    /// The name it was chosen by (`reference`, `bun`), or its command line.
    pub name: String,
    /// How to start it.
    pub kind: Kind,
    /// The Node version it is held to: cases limited to other versions are
    /// skipped. `None`: the version its driver's `hello` claims.
    pub node: Option<String>,
    /// How to install it, said when it cannot start.
    pub install: Option<String>,
}

/// How an implementation runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The Rust reference implementation, in-process.
    Reference,
    /// An external driver program, its arguments and environment.
    Command {
        argv: Vec<String>,
        env: Vec<(String, String)>,
    },
}

impl Implementation {
    /// The in-process reference implementation.
    pub fn reference() -> Implementation {
        Implementation {
            name: "reference".into(),
            kind: Kind::Reference,
            node: None,
            install: None,
        }
    }

    /// An external driver started with `argv`.
    pub fn command(argv: Vec<String>) -> Implementation {
        Implementation {
            name: argv.join(" "),
            kind: Kind::Command {
                argv,
                env: Vec::new(),
            },
            node: None,
            install: None,
        }
    }

    /// Parses `--impl`: a name from `implementations.toml` (beside the spec
    /// directory, in `repo_root`), one of the built-in names `reference`,
    /// `reference-over-protocol` and `node` (this repository's Node driver
    /// on the `node` of PATH or `$NODECOMPAT_NODE`), or a command line.
    pub fn parse(text: &str, repo_root: &std::path::Path) -> Result<Implementation, Error> {
        let registry = config::Registry::load(&repo_root.join(config::FILE))?;
        Implementation::parse_with(text, repo_root, &registry)
    }

    /// [`Implementation::parse`] with a registry already read.
    pub fn parse_with(
        text: &str,
        repo_root: &std::path::Path,
        registry: &config::Registry,
    ) -> Result<Implementation, Error> {
        let text = text.trim();
        if let Some(imp) = registry.get(text) {
            return Ok(imp);
        }
        match text {
            "reference" => Ok(Implementation::reference()),
            "reference-over-protocol" => {
                let me = std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|_| "nodecompat".into());
                let mut imp = Implementation::command(vec![me, "driver".into()]);
                imp.name = text.into();
                Ok(imp)
            }
            "node" => {
                let node = std::env::var("NODECOMPAT_NODE").unwrap_or_else(|_| "node".into());
                let mut script: PathBuf = repo_root.join("scripts").join("node-driver.cjs");
                if !script.exists() {
                    script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("scripts")
                        .join("node-driver.cjs");
                }
                let mut imp = Implementation::command(vec![node, script.display().to_string()]);
                imp.name = "node".into();
                Ok(imp)
            }
            other => {
                let argv = split_command_line(other).map_err(Error::BadCommandLine)?;
                if argv.is_empty() {
                    return Err(Error::BadCommandLine(
                        "needs a name (`reference`, `node`, or one of implementations.toml) or a command line".into(),
                    ));
                }
                if argv.len() == 1 && !argv[0].contains('/') && which(&argv[0]).is_none() {
                    let mut known: Vec<&str> = ["reference", "reference-over-protocol", "node"]
                        .into_iter()
                        .chain(registry.names())
                        .collect();
                    known.sort();
                    known.dedup();
                    return Err(Error::BadCommandLine(format!(
                        "`{other}` is neither a known implementation ({}) nor a program on PATH",
                        known.join(", ")
                    )));
                }
                Ok(Implementation::command(argv))
            }
        }
    }

    /// Starts a session: spawns the driver (or the in-process reference)
    /// and reads its handshake. The held-to Node version, if any, replaces
    /// the one the driver claims.
    pub async fn start(&self) -> Result<Session, Error> {
        let mut session = self.start_driver().await?;
        if let Some(node) = &self.node {
            // Written as `process.version` writes it, whichever way the
            // configuration or `--node-version` did.
            session.hello.node = if node.starts_with('v') {
                node.clone()
            } else {
                format!("v{node}")
            };
        }
        Ok(session)
    }

    async fn start_driver(&self) -> Result<Session, Error> {
        let mut session = match &self.kind {
            Kind::Reference => {
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
            Kind::Command { argv, env } => {
                process::spawn(argv, env).map_err(|e| match (e, &self.install) {
                    (Error::Spawn { command, reason }, Some(install)) => Error::Spawn {
                        command,
                        reason: format!("{reason} (install it with: {install})"),
                    },
                    (e, _) => e,
                })?
            }
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

/// A program on PATH, if there is one by that name.
fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
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

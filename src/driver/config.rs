//! Implementations by name: `implementations.toml` says, for each name `--impl`
//! accepts, how to start the driver and which Node version the
//! implementation is held to.
//!
//! ```toml
//! [bun]
//! command = ["{runtimes}/.bin/bun", "{driver}"]
//! node = "24.0.0"   # check Bun against Node 24's behaviour
//! ```
//!
//! In a command, `{driver}` is `scripts/node-driver.cjs`, `{runtimes}` the
//! folder `scripts/install-runtimes` installs into (`runtimes/node_modules`),
//! `{node}` the `node` on PATH (or `$NODECOMPAT_NODE`), `{nodecompat}` this
//! program. `reference` is built in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Error, Implementation, Kind};

/// The configuration file's name, beside `spec/`.
pub const FILE: &str = "implementations.toml";

/// One entry of the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// What the entry is, for `nodecompat impls`.
    #[serde(default)]
    description: Option<String>,
    /// `"reference"`: the in-process reference implementation.
    #[serde(default)]
    builtin: Option<String>,
    /// The driver's command line.
    #[serde(default)]
    command: Option<Vec<String>>,
    /// Environment variables for the driver.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// The Node version the implementation is held to; without it, the
    /// version its driver's `hello` claims.
    #[serde(default)]
    node: Option<String>,
    /// How to get it, shown when its program is missing.
    #[serde(default)]
    install: Option<String>,
}

/// The implementations a configuration file names.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: BTreeMap<String, Entry>,
    /// The folder the file is in: paths are relative to it.
    root: PathBuf,
}

impl Registry {
    /// Reads `file` (a missing file is an empty registry: only the built-in
    /// names).
    pub fn load(file: &Path) -> Result<Registry, Error> {
        let root = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Registry {
                    entries: BTreeMap::new(),
                    root,
                });
            }
            Err(e) => {
                return Err(Error::BadCommandLine(format!(
                    "cannot read {}: {e}",
                    file.display()
                )));
            }
        };
        Registry::parse(&text, &file.display().to_string(), root)
    }

    /// Parses a configuration's text; `shown` names it in errors.
    pub fn parse(text: &str, shown: &str, root: PathBuf) -> Result<Registry, Error> {
        let entries: BTreeMap<String, Entry> =
            toml::from_str(text).map_err(|e| Error::BadCommandLine(format!("{shown}: {e}")))?;
        for (name, e) in &entries {
            let problem = match (&e.builtin, &e.command) {
                (Some(_), Some(_)) => Some("has both `builtin` and `command`"),
                (None, None) => Some("needs `command` (or `builtin`)"),
                (Some(b), None) if b != "reference" => Some("`builtin` can only be \"reference\""),
                (None, Some(c)) if c.is_empty() => Some("has an empty `command`"),
                _ => None,
            };
            if let Some(p) = problem {
                return Err(Error::BadCommandLine(format!("{shown}: [{name}] {p}")));
            }
        }
        Ok(Registry { entries, root })
    }

    /// The names the file gives, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// An entry's description and held-to version, for listings.
    pub fn describe(&self, name: &str) -> Option<(String, Option<String>)> {
        self.entries
            .get(name)
            .map(|e| (e.description.clone().unwrap_or_default(), e.node.clone()))
    }

    /// The implementation named `name`, if the file has it.
    pub fn get(&self, name: &str) -> Option<Implementation> {
        let e = self.entries.get(name)?;
        let kind = match &e.command {
            None => Kind::Reference,
            Some(argv) => Kind::Command {
                argv: argv.iter().map(|a| self.expand(a)).collect(),
                env: e
                    .env
                    .iter()
                    .map(|(k, v)| (k.clone(), self.expand(v)))
                    .collect(),
            },
        };
        Some(Implementation {
            name: name.to_string(),
            kind,
            node: e.node.clone(),
            install: e.install.clone(),
        })
    }

    fn expand(&self, arg: &str) -> String {
        let node = std::env::var("NODECOMPAT_NODE").unwrap_or_else(|_| "node".into());
        let me = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "nodecompat".into());
        let root = |p: &str| self.root.join(p).display().to_string();
        arg.replace("{driver}", &root("scripts/node-driver.cjs"))
            .replace("{runtimes}", &root("runtimes/node_modules"))
            .replace("{node}", &node)
            .replace("{nodecompat}", &me)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expand_and_errors_name_the_entry() {
        let r = Registry::parse(
            r#"
            [bun]
            command = ["{runtimes}/.bin/bun", "{driver}"]
            node = "24.0.0"
            [ref]
            builtin = "reference"
            "#,
            "t.toml",
            PathBuf::from("/repo"),
        )
        .unwrap();
        let bun = r.get("bun").unwrap();
        assert_eq!(bun.node.as_deref(), Some("24.0.0"));
        let Kind::Command { argv, .. } = &bun.kind else {
            panic!("{bun:?}")
        };
        assert_eq!(
            argv,
            &vec![
                "/repo/runtimes/node_modules/.bin/bun".to_string(),
                "/repo/scripts/node-driver.cjs".to_string()
            ]
        );
        assert_eq!(r.get("ref").unwrap().kind, Kind::Reference);
        let err = Registry::parse("[x]\nnode = \"20\"\n", "t.toml", PathBuf::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--impl: t.toml: [x] needs `command` (or `builtin`)"
        );
        assert!(
            Registry::parse(
                "[x]\ncommand = [\"a\"]\nfoo = 1\n",
                "t.toml",
                PathBuf::new()
            )
            .is_err()
        );
    }
}

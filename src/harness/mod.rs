//! The replay harness: runs cases against drivers, matches traces, reports.
//!
//! - [`matcher`]: traces, patterns, per-object comparison and diffs;
//! - [`runner`]: one case against one driver session;
//! - [`suite`]: many cases over a pool of sessions (`--jobs`);
//! - [`report`]: pretty, JSON, JUnit and TAP output;
//! - [`expectations`]: per-implementation manifests of known divergences;
//! - [`selection`]: which cases a command takes (filters, `--exact`,
//!   `--failed-from`);
//! - [`repeat`]: `run --repeat`: runs compared, unstable cases found.
pub mod diff;
pub mod expectations;
pub mod matcher;
pub mod matrix;
pub mod mutants;
pub mod record;
pub mod repeat;
pub mod report;
pub mod runner;
pub mod selection;
pub mod suite;
pub mod wire;

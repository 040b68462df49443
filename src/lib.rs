//! nodecompat: how far an implementation of Node.js networking is from Node.
//!
//! # Layout
//!
//! - [`net`]: the reference implementation of `node:net` on async-std.
//! - [`protocol`]: the driver protocol's messages, values and expressions
//!   (`spec/PROTOCOL.md`).
//! - [`driver`]: drivers: the in-process reference driver and external
//!   driver processes (live Node through `scripts/node-driver.js`, or any
//!   program that speaks the protocol).
//! - [`spec`]: the spec model: literate Markdown spec files parsed into cases.
//! - [`harness`]: replays cases against a driver, matches traces, reports.
#![forbid(unsafe_code)]

pub mod driver;
pub mod harness;
pub mod net;
pub mod protocol;
pub mod spec;

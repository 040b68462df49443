//! nodecompat: how far an implementation of Node.js networking is from Node.
//!
//! # Layout
//!
//! Node's shared machinery, used by every module:
//! - [`error`]: [`Error`], Node's error with its `code` as data.
//! - [`events`]: Node's `EventEmitter` ([`events::Emits`]).
//! - [`event_loop`]: the turn that gives listeners Node's run-to-completion.
//! - [`string_decoder`]: `setEncoding` and `Buffer.from(string, encoding)`.
//! - [`dns`]: the one resolver, and address families.
//! - [`stream`]: Node's Readable and Writable state machines, without I/O
//!   (what to emit, decided; emitting is the owner's).
//! - [`tasks`]: the objects' background tasks, counted.
//! - [`calendar`]: UTC calendar fields, for HTTP dates and timestamps.
//! - [`number`]: JavaScript's `String(n)`.
//!
//! The reference implementation, one module per Node module:
//! - [`net`]: `node:net` on async-std.
//! - [`dgram`]: `node:dgram` (UDP) on async-std.
//! - [`http`]: `node:http`'s HTTP/1 core, without I/O.
//!
//! The suite:
//! - [`protocol`]: the driver protocol's messages, values and expressions
//!   (`spec/PROTOCOL.md`).
//! - [`driver`]: drivers: the in-process reference driver and external
//!   driver processes (live Node through `scripts/node-driver.cjs`, or any
//!   program that speaks the protocol).
//! - [`spec`]: the spec model: literate Markdown spec files parsed into cases.
//! - [`harness`]: replays cases against a driver, matches traces, reports.
//! - [`catalogue`]: Node's documented API as data, and which cases cover it.
//! - [`site`]: the suite as a static site.
#![forbid(unsafe_code)]

pub mod calendar;
pub mod catalogue;
pub mod dgram;
pub mod dns;
pub mod driver;
pub mod error;
pub mod event_loop;
pub mod events;
pub mod harness;
pub mod http;
pub mod https;
mod inbox;
pub mod net;
pub mod number;
pub mod protocol;
pub mod site;
pub mod spec;
pub mod stream;
pub mod string_decoder;
pub mod tasks;
pub mod tls;

pub use error::Error;

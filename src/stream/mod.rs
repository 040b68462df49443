//! Node's stream rules without I/O: the [`Readable`] and [`Writable`] state
//! machines of `node:stream`, for every class that is a stream in Node
//! (`net.Socket`, and later http's `IncomingMessage` and `ServerResponse`).
//!
//! Each machine is a plain struct: no async, no emitter, no socket. Its
//! methods change the state as Node's `lib/internal/streams/readable.js` and
//! `writable.js` do, and *return* what Node would emit or call (a
//! [`ReadableEvent`], a write callback, whether `'drain'` is due); the owner
//! emits it, without holding whatever lock guards the machine, so listeners
//! can call back into the stream.
//!
//! Node's `process.nextTick` has no exact counterpart here: what Node does
//! on the next tick (`'resume'`, `'readable'`, `'end'`) the machine keeps as
//! *due*, and [`Readable::next_event`] hands it out when the owner asks,
//! which the owner does once the listener that caused it has returned.
//!
//! See <https://nodejs.org/api/stream.html>.

pub mod readable;
pub mod writable;

pub use readable::{Readable, ReadableEvent};
pub use writable::{EndOutcome, Writable, WriteCallback};

/// Node 20's default high-water mark for byte streams
/// (`getDefaultHighWaterMark(false)` in `lib/internal/streams/state.js`):
/// the write buffer size at which `write()` returns `false`, and the read
/// buffer size at which a paused stream stops reading.
pub const HIGH_WATER_MARK: usize = 16 * 1024;

/// What a `'data'` event (or `read()`) carries: bytes, or text once
/// `setEncoding` was called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// A `Buffer`.
    Bytes(Vec<u8>),
    /// A string (after `setEncoding`).
    Text(String),
}

impl Chunk {
    /// The chunk as bytes (text is UTF-8 encoded).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Chunk::Bytes(b) => b,
            Chunk::Text(s) => s.as_bytes(),
        }
    }

    /// The chunk's `length` as Node counts it for `readableLength`: bytes
    /// of a `Buffer`, UTF-16 code units of a string.
    pub fn node_len(&self) -> usize {
        match self {
            Chunk::Bytes(b) => b.len(),
            Chunk::Text(s) => s.encode_utf16().count(),
        }
    }
}

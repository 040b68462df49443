//! The properties `net.Socket` inherits from `stream.Readable` and
//! `stream.Writable` (through `stream.Duplex`), read from the socket's
//! [`stream`](crate::stream) state.
//!
//! Values were checked on Node 20 for a fresh socket, a connected one,
//! after `end()`/`'end'`/`'finish'`, and after `destroy()` with and without
//! an error; where a value surprises, the getter says so.
//!
//! See <https://nodejs.org/api/stream.html#class-streamreadable> and
//! <https://nodejs.org/api/stream.html#class-streamwritable>.

use super::Socket;
use crate::error::Error;
use crate::string_decoder::Encoding;

impl Socket {
    // --- stream.Readable -------------------------------------------------

    /// `socket.readable`: neither destroyed nor ended (`'end'` emitted).
    pub fn readable(&self) -> bool {
        let st = self.state();
        !st.destroyed() && !st.readable.end_emitted()
    }

    /// `socket.readableAborted`: destroyed or errored before `'end'` (true
    /// after `destroy()`, false once `'end'` came first).
    pub fn readable_aborted(&self) -> bool {
        self.state().readable.aborted()
    }

    /// `socket.readableDidRead`: a `'data'` was emitted (or `read()`
    /// returned data). It stays true after `'close'`.
    pub fn readable_did_read(&self) -> bool {
        self.state().readable.did_read()
    }

    /// `socket.readableEncoding`: `None` (null) until `setEncoding`; Node's
    /// canonical name is [`Encoding::name`] (`setEncoding()` with no
    /// argument is `"utf8"`, `"binary"` is `"latin1"`).
    pub fn readable_encoding(&self) -> Option<Encoding> {
        self.state().readable.encoding()
    }

    /// `socket.readableEnded`: `'end'` was emitted.
    pub fn readable_ended(&self) -> bool {
        self.state().readable.end_emitted()
    }

    /// `socket.readableFlowing`: `None` (null) until something consumes
    /// the socket, then whether it is flowing. `destroy()` leaves it as
    /// it was.
    pub fn readable_flowing(&self) -> Option<bool> {
        self.state().readable.flowing()
    }

    /// `socket.readableHighWaterMark`:
    /// [`HIGH_WATER_MARK`](crate::stream::HIGH_WATER_MARK) unless the
    /// `high_water_mark` option says otherwise; `read(size)` above it
    /// raises it to the next power of two.
    pub fn readable_high_water_mark(&self) -> usize {
        self.state().readable.high_water_mark()
    }

    /// `socket.readableLength`: what was received and not yet delivered,
    /// in bytes (UTF-16 code units of decoded text once `setEncoding` was
    /// called, as Node counts a string's `length`).
    pub fn readable_length(&self) -> usize {
        self.state().readable.length()
    }

    /// `socket.readableObjectMode`: always false for a socket.
    pub fn readable_object_mode(&self) -> bool {
        false
    }

    /// `socket.isPaused()`.
    pub fn is_paused(&self) -> bool {
        self.state().readable.is_paused()
    }

    // --- stream.Writable -------------------------------------------------

    /// `socket.writable`: neither destroyed nor ending.
    pub fn writable(&self) -> bool {
        let st = self.state();
        !st.destroyed() && !st.writable.ending()
    }

    /// `socket.writableAborted`: `None` (undefined) on Node 20, whose
    /// `stream.Duplex` does not take this getter over from
    /// `stream.Writable` (`lib/internal/streams/duplex.js` lists the ones
    /// it does), in every state. What `Writable` would answer (destroyed
    /// or errored before `'finish'`) is [`Writable::aborted`].
    ///
    /// [`Writable::aborted`]: crate::stream::Writable::aborted
    pub fn writable_aborted(&self) -> Option<bool> {
        None
    }

    /// `socket.writableCorked`: the `cork()` depth (`end()` resets it).
    pub fn writable_corked(&self) -> u32 {
        self.state().writable.corked()
    }

    /// `socket.writableEnded`: `end()` was called.
    pub fn writable_ended(&self) -> bool {
        self.state().writable.ending()
    }

    /// `socket.writableFinished`: `'finish'` was emitted.
    pub fn writable_finished(&self) -> bool {
        self.state().writable.finished()
    }

    /// `socket.writableHighWaterMark`:
    /// [`HIGH_WATER_MARK`](crate::stream::HIGH_WATER_MARK) unless the
    /// `high_water_mark` option says otherwise.
    pub fn writable_high_water_mark(&self) -> usize {
        self.state().writable.high_water_mark()
    }

    /// `socket.writableLength`: bytes queued and not yet flushed.
    pub fn writable_length(&self) -> usize {
        self.state().writable.length()
    }

    /// `socket.writableNeedDrain`: a `write()` returned false and `'drain'`
    /// has not come yet; false once `end()` or `destroy()` was called
    /// (no `'drain'` comes then).
    pub fn writable_need_drain(&self) -> bool {
        self.state().writable.need_drain()
    }

    /// `socket.writableObjectMode`: always false for a socket.
    pub fn writable_object_mode(&self) -> bool {
        false
    }

    // --- both sides ------------------------------------------------------

    /// `socket.closed`: true from `destroy()` on (net's `_destroy` calls
    /// back at once, before `'close'` is emitted); false at `'end'` and
    /// `'finish'`.
    pub fn closed(&self) -> bool {
        self.destroyed()
    }

    /// `socket.destroyed`.
    pub fn destroyed(&self) -> bool {
        self.state().destroyed()
    }

    /// `socket.errored`: the error the socket was destroyed with, from
    /// `destroy(error)` on (and after `'close'`); `None` (null) otherwise.
    pub fn errored(&self) -> Option<Error> {
        let st = self.state();
        st.readable
            .errored()
            .or_else(|| st.writable.errored())
            .cloned()
    }
}

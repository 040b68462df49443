//! [`Readable`]: the state of Node's `stream.Readable`, without I/O.
//!
//! The rules are those of Node 20's `lib/internal/streams/readable.js`
//! (named after its functions below: `addChunk`, `read`, `flow`,
//! `emitReadable_`, `endReadableNT`…), for a byte stream (no object mode)
//! fed by a transport: the transport [`push`](Readable::push)es what it
//! read and [`push_eof`](Readable::push_eof)s at end of stream, the owner
//! forwards the user's `pause()`, `resume()`, `setEncoding()` and `read()`,
//! and emits what [`next_event`](Readable::next_event) hands out.

use std::collections::VecDeque;

use super::{Chunk, HIGH_WATER_MARK};
use crate::error::Error;
use crate::string_decoder::{Decoder, Encoding};

/// What Node's readable side emits once the current listener has returned
/// (its `process.nextTick` and `flow()` work). `'pause'` is not here:
/// Node emits it inside `pause()` ([`Readable::pause`] says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadableEvent {
    /// `'data'`: a chunk flows (flowing mode).
    Data(Chunk),
    /// `'readable'`: data (or the end) can be `read()` (paused mode).
    Readable,
    /// `'end'`: the end of stream was pushed and every chunk consumed.
    End,
}

/// Node's `ReadableState` for a byte stream.
///
/// # Node compatibility
///
/// - Chunks are decoded when pushed once an encoding is set (Node's
///   `readableAddChunkPushByteMode`), so `readableLength` counts UTF-16
///   code units of the decoded text, as Node's string `length` does.
/// - `'end'` comes only once every buffered chunk was consumed, whatever
///   the mode: net's `onStreamRead` answers the end of stream with
///   `push(null)` then `read(0)`, which ends an empty stream at once
///   (`endReadable`) and leaves a non-empty one to the consumer.
#[derive(Debug)]
pub struct Readable {
    /// Chunks pushed and not consumed (Node's `state.buffer`).
    buffer: VecDeque<Chunk>,
    /// Node's `state.length`, `readableLength`.
    length: usize,
    high_water_mark: usize,
    /// Node's `state.flowing`: `None` (null) until something consumes the
    /// stream.
    flowing: Option<bool>,
    /// Node's `kPaused`: `pause()` was called since the last `resume()`.
    paused: bool,
    /// A `'resume'` is on its way (Node's `resumeScheduled`).
    resume_scheduled: bool,
    /// The end of stream was pushed (Node's `ended`).
    ended: bool,
    /// `'end'` was handed out (Node's `endEmitted`, `readableEnded`).
    end_emitted: bool,
    encoding: Option<Encoding>,
    decoder: Option<Decoder>,
    /// A `'data'` was handed out (Node's `dataEmitted`, `readableDidRead`).
    data_emitted: bool,
    destroyed: bool,
    /// Node's `errored`: the error the stream was destroyed with.
    errored: Option<Error>,
    /// A `'readable'` listener switched the stream to paused mode (Node's
    /// `readableListening`).
    readable_listening: bool,
    /// The next push must announce itself with `'readable'` (Node's
    /// `needReadable`).
    need_readable: bool,
    /// A `'readable'` is scheduled or was not consumed yet (Node's
    /// `emittedReadable`).
    emitted_readable: bool,
    /// The `process.nextTick(emitReadable_)` Node scheduled is due.
    readable_due: bool,
}

impl Default for Readable {
    fn default() -> Readable {
        Readable::new(HIGH_WATER_MARK)
    }
}

impl Readable {
    /// A fresh readable side with the given `readableHighWaterMark`.
    pub fn new(high_water_mark: usize) -> Readable {
        Readable {
            buffer: VecDeque::new(),
            length: 0,
            high_water_mark,
            flowing: None,
            paused: false,
            resume_scheduled: false,
            ended: false,
            end_emitted: false,
            encoding: None,
            decoder: None,
            data_emitted: false,
            destroyed: false,
            errored: None,
            readable_listening: false,
            need_readable: false,
            emitted_readable: false,
            readable_due: false,
        }
    }

    // --- the transport's side --------------------------------------------

    /// `readable.push(chunk)` with bytes the transport read; returns
    /// Node's `canPushMore` (below the high-water mark, or empty).
    ///
    /// A push after the end or after `destroy()` is dropped (Node: an
    /// `ERR_STREAM_PUSH_AFTER_EOF` error, or `false`).
    pub fn push(&mut self, bytes: &[u8]) -> bool {
        self.push_bytes(std::borrow::Cow::Borrowed(bytes))
    }

    /// [`Readable::push`] with bytes the caller owns: without a decoder
    /// they become the chunk as they are, with no copy.
    pub fn push_owned(&mut self, bytes: Vec<u8>) -> bool {
        self.push_bytes(std::borrow::Cow::Owned(bytes))
    }

    fn push_bytes(&mut self, bytes: std::borrow::Cow<'_, [u8]>) -> bool {
        if self.ended || self.destroyed || self.errored.is_some() {
            return false;
        }
        if !bytes.is_empty() {
            let chunk = match self.decoder.as_mut() {
                // A character split across reads waits in the decoder.
                Some(d) => Some(d.write(&bytes))
                    .filter(|t| !t.is_empty())
                    .map(Chunk::Text),
                None => Some(Chunk::Bytes(bytes.into_owned())),
            };
            if let Some(chunk) = chunk {
                self.add_chunk(chunk);
            }
        }
        self.can_push_more()
    }

    /// `readable.push(null)`: the end of stream (Node's `onEofChunk`). The
    /// decoder's rest (a truncated character becomes U+FFFD) is buffered
    /// as a last chunk; `'readable'` is due.
    pub fn push_eof(&mut self) {
        if self.ended {
            return;
        }
        if let Some(rest) = self.decoder.as_mut().map(Decoder::end)
            && !rest.is_empty()
        {
            let chunk = Chunk::Text(rest);
            self.length += chunk.node_len();
            self.buffer.push_back(chunk);
        }
        self.ended = true;
        // onEofChunk: 'readable' now (not in a sync read), which Node emits
        // whether or not anyone listens.
        self.need_readable = false;
        self.emitted_readable = true;
        self.readable_due = true;
    }

    /// Whether the transport should read more (Node's `maybeReadMore_`
    /// and `push()`'s return value, which net's `onStreamRead` answers with
    /// `readStop()`): always while flowing, else while below the
    /// high-water mark; never after the end.
    pub fn wants_read(&self) -> bool {
        !self.ended
            && !self.destroyed
            && (self.flowing == Some(true) || self.length < self.high_water_mark)
    }

    fn can_push_more(&self) -> bool {
        !self.ended && (self.length < self.high_water_mark || self.length == 0)
    }

    /// Node's `addChunk`. Node emits `'data'` inside `push()` when flowing
    /// with an empty buffer; here the chunk waits for
    /// [`next_event`](Readable::next_event), which hands it out first.
    fn add_chunk(&mut self, chunk: Chunk) {
        self.length += chunk.node_len();
        self.buffer.push_back(chunk);
        if self.need_readable {
            self.emit_readable();
        }
    }

    /// Node's `emitReadable`: schedules `'readable'` unless one is pending.
    fn emit_readable(&mut self) {
        self.need_readable = false;
        if !self.emitted_readable {
            self.emitted_readable = true;
            self.readable_due = true;
        }
    }

    // --- what to emit ----------------------------------------------------

    /// The next event Node would emit now, if any: a due `'readable'`
    /// (`emitReadable_`), then one buffered chunk per call while flowing
    /// (`flow()` reads one buffer at a time), then `'end'` once the stream
    /// ended and the buffer is empty (`endReadableNT`).
    ///
    /// The owner calls this until `None` after each listener returns, and
    /// stops once it emitted `'close'`: like Node, it does not stop at
    /// `destroy()` (chunks already buffered still flow in the same tick).
    pub fn next_event(&mut self) -> Option<ReadableEvent> {
        if self.readable_due {
            self.readable_due = false;
            // emitReadable_: another 'readable' is needed later unless
            // flowing, ended or full.
            self.need_readable |=
                self.flowing != Some(true) && !self.ended && self.length <= self.high_water_mark;
            if !self.destroyed && self.errored.is_none() && (self.length > 0 || self.ended) {
                self.emitted_readable = false;
                return Some(ReadableEvent::Readable);
            }
        }
        if self.flowing == Some(true)
            && let Some(chunk) = self.buffer.pop_front()
        {
            self.length -= chunk.node_len();
            if self.length == 0 && !self.ended {
                self.need_readable = true;
            }
            self.data_emitted = true;
            return Some(ReadableEvent::Data(chunk));
        }
        if self.ended && self.length == 0 && !self.end_emitted && self.errored.is_none() {
            self.end_emitted = true;
            return Some(ReadableEvent::End);
        }
        None
    }

    // --- the consumer's side ---------------------------------------------

    /// `readable.pause()`: returns whether to emit `'pause'` now (unless it
    /// was paused already, Node emits it synchronously).
    pub fn pause(&mut self) -> bool {
        let emit = self.flowing != Some(false);
        self.flowing = Some(false);
        self.paused = true;
        emit
    }

    /// `readable.resume()`: flowing again (unless a `'readable'` listener
    /// keeps it paused). Returns whether the owner must schedule Node's
    /// `resume_` tick, which calls [`resume_tick`](Readable::resume_tick).
    pub fn resume(&mut self) -> bool {
        let mut schedule = false;
        if self.flowing != Some(true) {
            // We flow only if there is no one listening for 'readable'.
            self.flowing = Some(!self.readable_listening);
            if !self.resume_scheduled {
                self.resume_scheduled = true;
                schedule = true;
            }
        }
        self.paused = false;
        schedule
    }

    /// Node's `resume_`, the tick `resume()` scheduled: returns whether to
    /// emit `'resume'` now (buffered chunks flow after it).
    pub fn resume_tick(&mut self) -> bool {
        std::mem::replace(&mut self.resume_scheduled, false)
    }

    /// Node's `readableFlowing` setter (net sets it to false for a socket
    /// accepted with `pauseOnConnect`): no event, no scheduling.
    pub fn set_flowing(&mut self, flowing: Option<bool>) {
        self.flowing = flowing;
    }

    /// A `'data'` listener was added: returns whether the owner must call
    /// `resume()` (Node's `Readable.prototype.on`: unless explicitly
    /// paused).
    pub fn data_listener_added(&self) -> bool {
        self.flowing != Some(false)
    }

    /// A `'readable'` listener was added (Node's `Readable.prototype.on`):
    /// the stream switches to paused mode without a `'pause'` event, and
    /// announces data already buffered.
    pub fn readable_listener_added(&mut self) {
        if self.end_emitted || self.readable_listening {
            return;
        }
        self.readable_listening = true;
        self.need_readable = true;
        self.flowing = Some(false);
        self.emitted_readable = false;
        if self.length > 0 {
            self.emit_readable();
        }
    }

    /// Everything buffered, as bytes, without events (a connection taken
    /// over by another stream takes what this one read).
    pub fn drain_bytes(&mut self) -> Vec<u8> {
        if self.length == 0 {
            return Vec::new();
        }
        match self.take_front(self.length) {
            Chunk::Bytes(b) => b,
            Chunk::Text(t) => t.into_bytes(),
        }
    }

    /// `readable.read([size])` (Node's `Readable.prototype.read`): the
    /// first `size` units (all buffered data with `None`), or `None`
    /// (null) when not that much is buffered and the stream has not
    /// ended. The owner emits `'data'` with what it returns, as Node does
    /// inside `read()`. `read(size)` above the high-water mark raises it
    /// to the next power of two (`computeNewHighWaterMark`).
    pub fn read(&mut self, size: Option<usize>) -> Option<Chunk> {
        if let Some(n) = size
            && n > self.high_water_mark
        {
            self.high_water_mark = n.next_power_of_two();
        }
        if size != Some(0) {
            self.emitted_readable = false;
        }
        // read(0) with enough buffered (or the end): just 'readable'.
        if size == Some(0)
            && self.need_readable
            && ((if self.high_water_mark != 0 {
                self.length >= self.high_water_mark
            } else {
                self.length > 0
            }) || self.ended)
        {
            if !(self.length == 0 && self.ended) {
                self.emit_readable();
            }
            return None;
        }
        let n = self.how_much_to_read(size);
        if n == 0 && self.ended {
            return None;
        }
        let ret = (n > 0).then(|| self.take_front(n));
        if ret.is_none() {
            self.need_readable |= self.length <= self.high_water_mark;
        }
        if self.length == 0 && !self.ended {
            self.need_readable = true;
        }
        if ret.is_some() {
            self.data_emitted = true;
        }
        ret
    }

    /// Node's `howMuchToRead` for a byte stream.
    fn how_much_to_read(&self, size: Option<usize>) -> usize {
        match size {
            Some(0) => 0,
            _ if self.length == 0 && self.ended => 0,
            // Only flow one buffer at a time.
            None if self.flowing == Some(true) => {
                self.buffer.front().map(Chunk::node_len).unwrap_or(0)
            }
            None => self.length,
            Some(n) if n <= self.length => n,
            Some(_) if self.ended => self.length,
            Some(_) => 0,
        }
    }

    /// Node's `fromList`: takes `n` units off the front of the buffer,
    /// joining or splitting chunks.
    fn take_front(&mut self, n: usize) -> Chunk {
        let mut left = n;
        let mut bytes = Vec::new();
        let mut text = String::new();
        let mut is_text = false;
        while left > 0 {
            let Some(chunk) = self.buffer.pop_front() else {
                break;
            };
            let len = chunk.node_len();
            let (head, tail) = if len <= left {
                (chunk, None)
            } else {
                split_chunk(chunk, left)
            };
            left -= head.node_len().min(left);
            self.length -= head.node_len();
            match head {
                Chunk::Bytes(b) => bytes.extend_from_slice(&b),
                Chunk::Text(t) => {
                    is_text = true;
                    text.push_str(&t);
                }
            }
            if let Some(tail) = tail {
                self.buffer.push_front(tail);
            }
        }
        if is_text {
            Chunk::Text(text)
        } else {
            Chunk::Bytes(bytes)
        }
    }

    /// `readable.setEncoding(encoding)`: later chunks are decoded text, and
    /// so is what is buffered now (Node decodes the buffer in place and
    /// recounts `length`).
    pub fn set_encoding(&mut self, encoding: Encoding) {
        let mut decoder = Decoder::new(encoding);
        let mut content = String::new();
        for chunk in self.buffer.drain(..) {
            match chunk {
                Chunk::Bytes(b) => content.push_str(&decoder.write(&b)),
                // StringDecoder.write() passes a string through.
                Chunk::Text(t) => content.push_str(&t),
            }
        }
        let chunk = Chunk::Text(content);
        self.length = chunk.node_len();
        if self.length > 0 {
            self.buffer.push_back(chunk);
        }
        self.encoding = Some(encoding);
        self.decoder = Some(decoder);
    }

    /// `destroy([error])` on the readable side: nothing is pushed any more;
    /// the first error is kept (`errored`).
    pub fn destroy(&mut self, error: Option<&Error>) {
        self.destroyed = true;
        if self.errored.is_none() {
            self.errored = error.cloned();
        }
    }

    /// Node's `undestroy()`, for a closed socket that connects again: not
    /// destroyed, not errored, not ended. What the last connection left
    /// buffered is dropped and decoding starts afresh with the same
    /// encoding; the flowing state and listeners' mode stay.
    pub fn undestroy(&mut self) {
        self.destroyed = false;
        self.errored = None;
        self.ended = false;
        self.end_emitted = false;
        self.buffer.clear();
        self.length = 0;
        self.readable_due = false;
        self.emitted_readable = false;
        self.decoder = self.encoding.map(Decoder::new);
    }

    // --- getters ---------------------------------------------------------

    /// `readableLength`: units buffered (bytes, or UTF-16 code units of
    /// decoded text).
    pub fn length(&self) -> usize {
        self.length
    }

    /// `readableHighWaterMark`.
    pub fn high_water_mark(&self) -> usize {
        self.high_water_mark
    }

    /// `readableFlowing`: `None` (null), or whether the stream flows.
    pub fn flowing(&self) -> Option<bool> {
        self.flowing
    }

    /// `isPaused()`: `pause()` was called, or the stream is explicitly not
    /// flowing.
    pub fn is_paused(&self) -> bool {
        self.paused || self.flowing == Some(false)
    }

    /// The end of stream was pushed (Node's `state.ended`).
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// `readableEnded`: `'end'` was emitted.
    pub fn end_emitted(&self) -> bool {
        self.end_emitted
    }

    /// `readableEncoding`: `None` (null) until `setEncoding`.
    pub fn encoding(&self) -> Option<Encoding> {
        self.encoding
    }

    /// `readableDidRead`: a `'data'` was emitted (or `read()` returned
    /// data).
    pub fn did_read(&self) -> bool {
        self.data_emitted
    }

    /// `readableAborted`: destroyed or errored before `'end'`.
    pub fn aborted(&self) -> bool {
        (self.destroyed || self.errored.is_some()) && !self.end_emitted
    }

    /// `errored` on the readable side: the error, or `None` (null).
    pub fn errored(&self) -> Option<&Error> {
        self.errored.as_ref()
    }

    /// `destroyed` on the readable side.
    pub fn destroyed(&self) -> bool {
        self.destroyed
    }

    /// A `'readable'` listener put the stream in paused mode.
    pub fn readable_listening(&self) -> bool {
        self.readable_listening
    }
}

/// Splits a chunk after `n` units (bytes, or UTF-16 code units of text; a
/// character is never cut, so a split inside a surrogate pair keeps the
/// pair whole in the head).
fn split_chunk(chunk: Chunk, n: usize) -> (Chunk, Option<Chunk>) {
    match chunk {
        Chunk::Bytes(mut b) => {
            let tail = b.split_off(n);
            (Chunk::Bytes(b), Some(Chunk::Bytes(tail)))
        }
        Chunk::Text(mut t) => {
            let mut units = 0;
            let mut at = t.len();
            for (i, c) in t.char_indices() {
                if units >= n {
                    at = i;
                    break;
                }
                units += c.len_utf16();
            }
            let tail = t.split_off(at);
            (
                Chunk::Text(t),
                (!tail.is_empty()).then_some(Chunk::Text(tail)),
            )
        }
    }
}

#[cfg(test)]
mod tests;

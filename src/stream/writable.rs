//! [`Writable`]: the state of Node's `stream.Writable`, without I/O.
//!
//! The rules are those of Node 20's `lib/internal/streams/writable.js`
//! (`_write`, `writeOrBuffer`, `afterWrite`, `end`, `needFinish`,
//! `errorBuffer`…) for a byte stream whose `_write` hands bytes to a
//! transport: the owner [`write`](Writable::write)s and
//! [`end`](Writable::end)s for the user, asks [`next_chunk`] what the
//! transport should write, reports progress with [`wrote`], and asks
//! [`take_drain`] and [`finish`] whether `'drain'` and `'finish'` are due.
//!
//! [`next_chunk`]: Writable::next_chunk
//! [`wrote`]: Writable::wrote
//! [`take_drain`]: Writable::take_drain
//! [`finish`]: Writable::finish

use std::collections::VecDeque;

use super::HIGH_WATER_MARK;
use crate::error::Error;

/// A write's (or `end()`'s) completion callback: `None` on success, else
/// the error that prevented it.
pub type WriteCallback = Box<dyn FnOnce(Option<&Error>) + Send>;

/// A queued write.
struct Pending {
    data: Vec<u8>,
    /// How much of `data` the transport took already.
    offset: usize,
    callback: Option<WriteCallback>,
}

/// What [`Writable::end`] decided about its callback.
pub enum EndOutcome {
    /// The stream is ending; the callback (if any) waits for `'finish'` or
    /// for the error that ends the stream.
    Waiting,
    /// A repeated `end()` after `'finish'` (`ERR_STREAM_ALREADY_FINISHED`)
    /// or on a destroyed stream (`ERR_STREAM_DESTROYED`), or `end()` on an
    /// errored one (its error): call back with this error, on Node's next
    /// tick.
    Refused(Error, Option<WriteCallback>),
}

/// Node's `WritableState` for a byte stream.
pub struct Writable {
    /// Writes not yet taken whole by the transport, in order.
    queue: VecDeque<Pending>,
    /// Node's `state.length`, `writableLength`: bytes queued.
    length: usize,
    high_water_mark: usize,
    /// `cork()` depth (`writableCorked`): writes wait while positive.
    corked: u32,
    /// A `write()` returned false (Node's `needDrain`).
    need_drain: bool,
    /// `end()` was called (Node's `ending`, `writableEnded`).
    ending: bool,
    /// `'finish'` was handed out (`writableFinished`).
    finished: bool,
    destroyed: bool,
    errored: Option<Error>,
    /// `end()` callbacks waiting for `'finish'` (Node's `kOnFinished`).
    end_callbacks: Vec<WriteCallback>,
    /// `destroy()` found writes queued or `end()` callbacks waiting, so
    /// Node scheduled its `errorBuffer`; otherwise callbacks added after
    /// the `destroy()` are never called.
    error_buffer_due: bool,
    /// Bytes the transport took (Node's `_handle.bytesWritten`).
    flushed: u64,
    /// Bytes of every accepted write, for net's `bytesWritten`.
    accepted: u64,
}

impl Default for Writable {
    fn default() -> Writable {
        Writable::new(HIGH_WATER_MARK)
    }
}

impl std::fmt::Debug for Writable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writable")
            .field("length", &self.length)
            .field("queued", &self.queue.len())
            .field("corked", &self.corked)
            .field("ending", &self.ending)
            .field("finished", &self.finished)
            .field("destroyed", &self.destroyed)
            .finish()
    }
}

impl Writable {
    /// A fresh writable side with the given `writableHighWaterMark`.
    pub fn new(high_water_mark: usize) -> Writable {
        Writable {
            queue: VecDeque::new(),
            length: 0,
            high_water_mark,
            corked: 0,
            need_drain: false,
            ending: false,
            finished: false,
            destroyed: false,
            errored: None,
            end_callbacks: Vec::new(),
            error_buffer_due: false,
            flushed: 0,
            accepted: 0,
        }
    }

    /// `writable.write(chunk, callback)`: queues the bytes and returns
    /// Node's return value, `length < highWaterMark` counting this chunk
    /// (`writeOrBuffer`); `false` also means `'drain'` is due once the
    /// queue empties.
    ///
    /// # Errors
    ///
    /// A write after `end()` (`ERR_STREAM_WRITE_AFTER_END`) or after
    /// `destroy()` (`ERR_STREAM_DESTROYED`) is refused and its callback
    /// handed back: Node calls it with the error on the next tick and then
    /// destroys the stream with it (`errorOrDestroy`), which is the
    /// owner's to do.
    pub fn write(
        &mut self,
        data: Vec<u8>,
        callback: Option<WriteCallback>,
    ) -> Result<bool, (Error, Option<WriteCallback>)> {
        if self.ending {
            return Err((Error::write_after_end(), callback));
        }
        if self.destroyed {
            return Err((Error::stream_destroyed("write"), callback));
        }
        self.length += data.len();
        self.accepted += data.len() as u64;
        self.queue.push_back(Pending {
            data,
            offset: 0,
            callback,
        });
        let fits = self.length < self.high_water_mark || self.length == 0;
        if !fits {
            self.need_drain = true;
        }
        Ok(fits && self.errored.is_none())
    }

    /// What the transport should write now: the rest of the first queued
    /// write, unless corked.
    pub fn next_chunk(&self) -> Option<&[u8]> {
        if self.corked > 0 || self.destroyed {
            return None;
        }
        self.queue.front().map(|w| &w.data[w.offset..])
    }

    /// What the transport should write now, as one buffer: the queued
    /// writes from the first, whole, while they add up to less than
    /// `max` bytes (at least the first's rest). Small writes queued in one
    /// turn (the responses to a read's worth of pipelined requests) go out
    /// in one system call, as libuv's `writev` sends what `cork` held.
    pub fn next_batch(&self, max: usize) -> Option<std::borrow::Cow<'_, [u8]>> {
        let first = self.next_chunk()?;
        let mut rest = self.queue.iter().skip(1);
        match rest.next() {
            Some(second) if first.len() + second.data.len() <= max => {
                let mut out = Vec::with_capacity(max.min(self.length));
                out.extend_from_slice(first);
                out.extend_from_slice(&second.data);
                for w in rest {
                    if out.len() + w.data.len() > max {
                        break;
                    }
                    out.extend_from_slice(&w.data);
                }
                Some(std::borrow::Cow::Owned(out))
            }
            _ => Some(std::borrow::Cow::Borrowed(first)),
        }
    }

    /// The transport took `n` bytes of [`next_batch`](Writable::next_batch):
    /// the callbacks of every write it completed, in order.
    pub fn wrote_batch(&mut self, mut n: usize) -> Vec<WriteCallback> {
        let mut done = Vec::new();
        // Empty writes complete with the bytes around them.
        while let Some(w) = self.queue.front() {
            let left = w.data.len() - w.offset;
            if n == 0 && left > 0 {
                break;
            }
            let take = n.min(left);
            n -= take;
            if let Some(cb) = self.wrote(take) {
                done.push(cb);
            }
        }
        done
    }

    /// Every byte queued and not yet written, in order, corked or not,
    /// destroyed or not: what a transport that writes synchronously (as
    /// libuv tries to in `write()`) would have handed the kernel already.
    pub fn unwritten(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for w in &self.queue {
            out.extend_from_slice(&w.data[w.offset..]);
        }
        out
    }

    /// Whether writes are queued.
    pub fn has_queued(&self) -> bool {
        !self.queue.is_empty()
    }

    /// The transport took `n` bytes of [`next_chunk`](Writable::next_chunk).
    /// Returns the write's callback once all of it was taken (to call with
    /// no error; Node's `onwrite`).
    pub fn wrote(&mut self, n: usize) -> Option<WriteCallback> {
        let w = self.queue.front_mut()?;
        w.offset += n;
        self.length = self.length.saturating_sub(n);
        self.flushed += n as u64;
        if w.offset < w.data.len() {
            return None;
        }
        self.queue.pop_front().and_then(|w| w.callback)
    }

    /// Whether `'drain'` is due now, and if so forgets that it was needed
    /// (Node's `afterWrite`: a `write()` returned false, the queue is
    /// empty, and the stream is neither ending nor destroyed).
    pub fn take_drain(&mut self) -> bool {
        let due = self.need_drain
            && self.length == 0
            && self.queue.is_empty()
            && !self.ending
            && !self.destroyed;
        if due {
            self.need_drain = false;
        }
        due
    }

    /// `writable.cork()`.
    pub fn cork(&mut self) {
        self.corked += 1;
    }

    /// `writable.uncork()`: returns whether the last cork was undone (the
    /// queue may be written again).
    pub fn uncork(&mut self) -> bool {
        if self.corked == 0 {
            return false;
        }
        self.corked -= 1;
        self.corked == 0
    }

    /// `writable.end(callback)`: the stream is ending; `end()` fully
    /// uncorks. What becomes of the callback is in the [`EndOutcome`].
    pub fn end(&mut self, callback: Option<WriteCallback>) -> EndOutcome {
        // Node 20's `Writable.prototype.end`, in its order: `end()` fully
        // uncorks; the first call on a stream that is not errored marks it
        // ending (even a destroyed one, whose callback then waits for a
        // `'finish'` that never comes); a later one is refused after
        // `'finish'` (`ERR_STREAM_ALREADY_FINISHED`) or once destroyed
        // (`ERR_STREAM_DESTROYED`).
        self.corked = 0;
        let refusal = if !self.ending && self.errored.is_none() {
            self.ending = true;
            None
        } else if self.finished {
            Some(Error::plain(
                "ERR_STREAM_ALREADY_FINISHED",
                "Cannot call end after a stream was finished",
            ))
        } else if self.destroyed {
            Some(Error::stream_destroyed("end"))
        } else {
            None
        };
        if let Some(error) = refusal.or_else(|| self.errored.clone()) {
            return EndOutcome::Refused(error, callback);
        }
        // (Node's "finished: call back with null" branch cannot be reached
        // here: a finished stream was ending, so it is refused above.)
        self.end_callbacks.extend(callback);
        EndOutcome::Waiting
    }

    /// Whether `'finish'` is due (Node's `needFinish`: ending, every write
    /// flushed, not destroyed, not finished). If so the stream is finished
    /// and the `end()` callbacks are returned, to call with no error before
    /// emitting `'finish'` (Node's `finish`).
    pub fn finish(&mut self) -> Option<Vec<WriteCallback>> {
        let due = self.ending
            && !self.finished
            && !self.destroyed
            && self.errored.is_none()
            && self.queue.is_empty()
            && self.length == 0;
        if !due {
            return None;
        }
        self.finished = true;
        Some(std::mem::take(&mut self.end_callbacks))
    }

    /// `destroy([error])` on the writable side: later writes are refused;
    /// the first error is kept (`errored`). Queued callbacks wait for
    /// [`fail_pending`](Writable::fail_pending).
    pub fn destroy(&mut self, error: Option<&Error>) {
        if !self.destroyed {
            // Writable.prototype.destroy: errorBuffer is scheduled only if
            // something was pending at this moment.
            self.error_buffer_due = !self.queue.is_empty() || !self.end_callbacks.is_empty();
        }
        self.destroyed = true;
        if self.errored.is_none() {
            self.errored = error.cloned();
        }
    }

    /// Node's `errorBuffer`: every queued write's callback gets `errored`
    /// or `ERR_STREAM_DESTROYED` (`'write'`), then every `end()` callback
    /// gets `errored` or `ERR_STREAM_DESTROYED` (`'end'`), in that order.
    ///
    /// Without a pending callback at `destroy()` time Node runs no
    /// `errorBuffer`: an `end()` callback added since is never called, and
    /// is dropped here.
    pub fn fail_pending(&mut self) -> Vec<(WriteCallback, Error)> {
        if self.destroyed && !self.error_buffer_due {
            self.end_callbacks.clear();
            return Vec::new();
        }
        self.error_buffer_due = false;
        let write_error = self
            .errored
            .clone()
            .unwrap_or_else(|| Error::stream_destroyed("write"));
        let end_error = self
            .errored
            .clone()
            .unwrap_or_else(|| Error::stream_destroyed("end"));
        let writes = self.take_queue().into_iter().flatten();
        let ends = std::mem::take(&mut self.end_callbacks);
        writes
            .map(|cb| (cb, write_error.clone()))
            .chain(ends.into_iter().map(|cb| (cb, end_error.clone())))
            .collect()
    }

    /// Empties the queue and returns its callbacks in order, for an owner
    /// whose own rules say what they get (net: writes made while
    /// connecting get `ERR_SOCKET_CLOSED_BEFORE_CONNECTION`).
    pub fn take_queue(&mut self) -> Vec<Option<WriteCallback>> {
        let taken: Vec<_> = self.queue.drain(..).collect();
        for w in &taken {
            self.length = self.length.saturating_sub(w.data.len() - w.offset);
        }
        taken.into_iter().map(|w| w.callback).collect()
    }

    /// Node's `undestroy()`, for a closed socket that connects again: not
    /// destroyed, errored, ending or finished, nothing queued, not corked.
    /// Returns the callbacks still queued (from a `destroy()` whose owner
    /// had not failed them yet) with their errors.
    pub fn undestroy(&mut self) -> Vec<(WriteCallback, Error)> {
        let left = self.fail_pending();
        self.error_buffer_due = false;
        self.destroyed = false;
        self.errored = None;
        self.ending = false;
        self.finished = false;
        self.need_drain = false;
        self.length = 0;
        self.corked = 0;
        self.accepted = self.flushed;
        left
    }

    // --- getters ---------------------------------------------------------

    /// `writableLength`: bytes queued and not yet taken by the transport.
    pub fn length(&self) -> usize {
        self.length
    }

    /// `writableHighWaterMark`.
    pub fn high_water_mark(&self) -> usize {
        self.high_water_mark
    }

    /// `writableCorked`: the `cork()` depth.
    pub fn corked(&self) -> u32 {
        self.corked
    }

    /// `writableNeedDrain`: a `write()` returned false and `'drain'` has
    /// not come, on a stream neither ending nor destroyed.
    pub fn need_drain(&self) -> bool {
        self.need_drain && !self.ending && !self.destroyed
    }

    /// `writableEnded`: `end()` was called.
    pub fn ending(&self) -> bool {
        self.ending
    }

    /// `writableFinished`: `'finish'` was emitted.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// `destroyed` on the writable side.
    pub fn destroyed(&self) -> bool {
        self.destroyed
    }

    /// `errored` on the writable side.
    pub fn errored(&self) -> Option<&Error> {
        self.errored.as_ref()
    }

    /// `writableAborted`: destroyed or errored before `'finish'`.
    pub fn aborted(&self) -> bool {
        (self.destroyed || self.errored.is_some()) && !self.finished
    }

    /// Bytes the transport took so far.
    pub fn flushed(&self) -> u64 {
        self.flushed
    }

    /// net's `bytesWritten`: bytes the transport took plus bytes queued
    /// (`_bytesDispatched` plus `writableBuffer`). Node's handle counts a
    /// write as dispatched once libuv has it, sent or not, so bytes a
    /// `destroy()` dropped from the queue still count.
    pub fn bytes_written(&self) -> u64 {
        self.accepted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    type Log = Arc<Mutex<Vec<String>>>;

    fn recorder(log: &Log, name: &'static str) -> Option<WriteCallback> {
        let log = log.clone();
        Some(Box::new(move |e: Option<&Error>| {
            let what = e.map(|e| e.code().to_string()).unwrap_or("ok".into());
            log.lock().unwrap().push(format!("{name} {what}"));
        }))
    }

    #[test]
    fn write_returns_false_at_the_high_water_mark_and_drain_follows() {
        let mut w = Writable::new(4);
        assert_eq!(w.write(b"abc".to_vec(), None).ok(), Some(true));
        assert_eq!(w.write(b"d".to_vec(), None).ok(), Some(false));
        assert!(w.need_drain());
        assert!(!w.take_drain(), "not while data is queued");
        assert_eq!(w.next_chunk(), Some(&b"abc"[..]));
        assert!(w.wrote(2).is_none());
        assert_eq!(w.next_chunk(), Some(&b"c"[..]));
        w.wrote(1);
        w.wrote(1);
        assert_eq!(w.length(), 0);
        assert_eq!(w.bytes_written(), 4);
        assert!(w.take_drain());
        assert!(!w.take_drain(), "'drain' once");
    }

    #[test]
    fn no_drain_after_end() {
        let mut w = Writable::new(1);
        assert_eq!(w.write(b"ab".to_vec(), None).ok(), Some(false));
        assert!(matches!(w.end(None), EndOutcome::Waiting));
        assert!(!w.need_drain());
        w.wrote(2);
        assert!(!w.take_drain());
        assert!(w.finish().is_some());
    }

    #[test]
    fn callbacks_complete_in_order_and_end_waits_for_finish() {
        let log = Log::default();
        let mut w = Writable::default();
        w.write(b"a".to_vec(), recorder(&log, "a")).ok();
        w.write(b"b".to_vec(), recorder(&log, "b")).ok();
        assert!(matches!(w.end(recorder(&log, "end")), EndOutcome::Waiting));
        assert!(w.finish().is_none(), "writes are queued");
        while let Some(n) = w.next_chunk().map(<[u8]>::len) {
            if let Some(cb) = w.wrote(n) {
                cb(None);
            }
        }
        for cb in w.finish().expect("finish is due") {
            cb(None);
        }
        assert!(w.finished());
        assert!(w.finish().is_none(), "'finish' once");
        assert!(
            matches!(w.end(None), EndOutcome::Refused(e, _) if e.code() == "ERR_STREAM_ALREADY_FINISHED")
        );
        assert_eq!(*log.lock().unwrap(), vec!["a ok", "b ok", "end ok"]);
    }

    #[test]
    fn cork_holds_writes_and_end_uncorks() {
        let mut w = Writable::default();
        w.cork();
        w.cork();
        w.write(b"x".to_vec(), None).ok();
        assert_eq!(w.next_chunk(), None);
        assert!(!w.uncork());
        assert_eq!(w.corked(), 1);
        w.end(None);
        assert_eq!(w.corked(), 0);
        assert_eq!(w.next_chunk(), Some(&b"x"[..]));
    }

    #[test]
    fn refused_writes_hand_the_callback_back() {
        let mut w = Writable::default();
        w.end(None);
        let (err, cb) = w.write(b"x".to_vec(), None).unwrap_err();
        assert_eq!(err.code(), "ERR_STREAM_WRITE_AFTER_END");
        assert!(cb.is_none());
        let mut w = Writable::default();
        w.destroy(None);
        let (err, _) = w.write(b"x".to_vec(), None).unwrap_err();
        assert_eq!(err.code(), "ERR_STREAM_DESTROYED");
        // Node 20: the first end() of a destroyed stream marks it ending and
        // waits for a 'finish' that never comes; the second is refused.
        assert!(matches!(w.end(None), EndOutcome::Waiting));
        assert!(w.ending());
        assert!(
            matches!(w.end(None), EndOutcome::Refused(e, _) if e.code() == "ERR_STREAM_DESTROYED")
        );
    }

    #[test]
    fn destroy_fails_writes_then_end_callbacks_with_the_error() {
        let log = Log::default();
        let mut w = Writable::default();
        w.write(b"a".to_vec(), recorder(&log, "a")).ok();
        w.end(recorder(&log, "end"));
        w.destroy(Some(&Error::plain("EPIPE", "broken pipe")));
        assert!(w.aborted());
        assert!(w.finish().is_none());
        for (cb, e) in w.fail_pending() {
            cb(Some(&e));
        }
        assert_eq!(*log.lock().unwrap(), vec!["a EPIPE", "end EPIPE"]);
        assert_eq!(w.length(), 0);
    }

    #[test]
    fn an_end_callback_after_destroy_runs_only_if_errorbuffer_was_due() {
        // Nothing pending at destroy(): Node schedules no errorBuffer, so
        // a later end(cb) is never called back.
        let log = Log::default();
        let mut w = Writable::default();
        w.destroy(None);
        assert!(matches!(w.end(recorder(&log, "late")), EndOutcome::Waiting));
        assert!(w.fail_pending().is_empty());
        // A write pending at destroy(): errorBuffer fails it and the end()
        // callbacks present when it runs.
        let mut w = Writable::default();
        w.write(b"a".to_vec(), recorder(&log, "a")).ok();
        w.destroy(None);
        w.end(recorder(&log, "end"));
        for (cb, e) in w.fail_pending() {
            cb(Some(&e));
        }
        assert_eq!(
            *log.lock().unwrap(),
            vec!["a ERR_STREAM_DESTROYED", "end ERR_STREAM_DESTROYED"]
        );
    }

    #[test]
    fn undestroy_starts_over() {
        let mut w = Writable::default();
        w.write(b"abc".to_vec(), None).ok();
        w.end(None);
        w.destroy(None);
        assert_eq!(w.undestroy().len(), 0, "a write without callback");
        assert!(!w.ending() && !w.destroyed() && w.length() == 0);
        assert_eq!(w.write(b"x".to_vec(), None).ok(), Some(true));
    }

    #[test]
    fn small_writes_go_out_together_and_complete_in_order() {
        let log = Log::default();
        let mut w = Writable::default();
        w.write(b"ab".to_vec(), recorder(&log, "ab")).ok();
        w.write(Vec::new(), recorder(&log, "empty")).ok();
        w.write(b"cd".to_vec(), recorder(&log, "cd")).ok();
        w.write(vec![b'x'; 10], recorder(&log, "big")).ok();
        assert_eq!(w.next_batch(5).as_deref(), Some(&b"abcd"[..]));
        // The transport took 3 bytes: "ab" and the empty write are done.
        for cb in w.wrote_batch(3) {
            cb(None);
        }
        assert_eq!(*log.lock().unwrap(), vec!["ab ok", "empty ok"]);
        assert_eq!(w.next_batch(5).as_deref(), Some(&b"d"[..]));
        for cb in w.wrote_batch(1) {
            cb(None);
        }
        assert_eq!(w.next_batch(64).as_deref().map(<[u8]>::len), Some(10));
        for cb in w.wrote_batch(10) {
            cb(None);
        }
        assert_eq!(
            *log.lock().unwrap(),
            vec!["ab ok", "empty ok", "cd ok", "big ok"]
        );
    }
}

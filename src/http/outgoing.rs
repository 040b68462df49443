//! What `ServerResponse` and `ClientRequest` share of Node's
//! `OutgoingMessage` (`_http_outgoing.js`) beyond the h1 core's bytes:
//! `end()`'s callback, and `end()` called again.

use crate::error::Error;
use crate::events::{Emits, Event};

use super::WriteCallback;

/// `end(cb)`: the callback listens once to `'finish'` (`finish`, the
/// emitter's kind for it), and gets no error.
pub(crate) fn once_finished<T: Emits>(
    message: &T,
    finish: <T::Event as Event>::Kind,
    cb: WriteCallback,
) {
    let cb = std::sync::Mutex::new(Some(cb));
    message.once(finish, move |_, _| {
        if let Some(cb) = cb.lock().ok().and_then(|mut c| c.take()) {
            cb(None);
        }
    });
}

/// `end([chunk][, cb])` on a message ended already (Node's
/// `OutgoingMessage.end`): a chunk fails as a write after end does
/// (`write`), a callback alone waits for `'finish'`, or, once finished,
/// gets `ERR_STREAM_ALREADY_FINISHED` on the next tick.
pub(crate) fn end_again<T: Emits>(
    message: &T,
    finish: <T::Event as Event>::Kind,
    finished: bool,
    chunk: Option<&[u8]>,
    callback: Option<WriteCallback>,
    write: impl FnOnce(&[u8], Option<WriteCallback>) -> Result<bool, Error>,
) -> Result<(), Error> {
    match (chunk, callback) {
        (Some(c), cb) => {
            write(c, cb)?;
        }
        (None, Some(cb)) if !finished => once_finished(message, finish, cb),
        (None, Some(cb)) => {
            let err = Error::plain(
                "ERR_STREAM_ALREADY_FINISHED",
                "Cannot call end after a stream was finished",
            );
            message.event_loop().defer(move || cb(Some(&err)));
        }
        (None, None) => {}
    }
    Ok(())
}

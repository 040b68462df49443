//! A socket's idle timeout (`socket.setTimeout`) as the task keeps it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// The idle timeout's clock. Activity only moves the deadline; one timer
/// is armed for it and, when it fires early, re-armed for the deadline as
/// it is then (Node's timers re-check `_idleStart` the same way), so a
/// busy socket does not make a timer per read and per write.
#[derive(Default)]
pub(super) struct IdleTimer {
    due: Option<Instant>,
    /// The timer, and the deadline it was armed for.
    armed: Option<(Instant, Sleep)>,
}

/// A pinned timer.
type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

impl IdleTimer {
    /// The deadline is now `due` (none: no timeout).
    pub(super) fn set(&mut self, due: Option<Instant>) {
        self.due = due;
        match (due, &self.armed) {
            (None, _) => self.armed = None,
            // Sooner than the timer: it would fire too late.
            (Some(due), Some((at, _))) if due < *at => self.armed = None,
            _ => {}
        }
    }

    pub(super) fn clear(&mut self) {
        self.set(None);
    }

    /// Ready once the deadline passed (and then cleared).
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let Some(due) = self.due else {
                return Poll::Pending;
            };
            let (_, timer) = self.armed.get_or_insert_with(|| {
                let left = due.saturating_duration_since(Instant::now());
                (due, Box::pin(async_std::task::sleep(left)))
            });
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.armed = None;
            if Instant::now() >= due {
                self.due = None;
                return Poll::Ready(());
            }
        }
    }
}

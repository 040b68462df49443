//! [`EventLoop`]: the turn lock that makes event delivery look like Node's
//! single-threaded event loop, and the loop's uncaught-exception handler.

use std::sync::{Arc, OnceLock, Weak};

use async_std::sync::{Mutex, MutexGuardArc};

use crate::error::Error;

/// A Node-style event loop: at most one *turn* runs at a time, and every
/// event of the sockets and servers created in this loop is emitted during
/// a turn.
///
/// In Node, code that runs between two I/O callbacks cannot be
/// interrupted: `net.connect(port).on('connect', …)` never misses the
/// event. The tasks of a loop's sockets and servers take the turn before
/// they emit, so code that holds a turn (see [`EventLoop::turn`]) can
/// create objects and attach listeners knowing no event fires meanwhile.
/// Listeners run inside a turn; they must not await another one.
///
/// Objects made with the plain constructors (`Socket::new`, `create_server`)
/// belong to [`EventLoop::global`].
///
/// # Uncaught exceptions
///
/// In Node, an `'error'` emitted with no `'error'` listener is thrown from
/// `emit()`, and reaches the process's `'uncaughtException'` event (or
/// ends the process). Here it goes to the loop's handler, set with
/// [`EventLoop::set_uncaught`]; a loop without one drops it.
/// See <https://nodejs.org/api/events.html#error-events>.
#[derive(Clone, Default)]
pub struct EventLoop {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    turn: Arc<Mutex<()>>,
    uncaught: std::sync::Mutex<Option<UncaughtHandler>>,
}

/// What the loop calls with an uncaught exception (see
/// [`EventLoop::set_uncaught`]).
pub type UncaughtHandler = Arc<dyn Fn(&Error) + Send + Sync>;

/// A handle that does not keep an [`EventLoop`] alive: for a handler the
/// loop itself holds.
#[derive(Clone, Default)]
pub struct WeakEventLoop {
    inner: Weak<Inner>,
}

impl WeakEventLoop {
    /// The loop, if anything still holds it.
    pub fn upgrade(&self) -> Option<EventLoop> {
        self.inner.upgrade().map(|inner| EventLoop { inner })
    }
}

/// Proof of holding the loop's turn; dropping it ends the turn.
pub struct Turn {
    _guard: MutexGuardArc<()>,
}

impl EventLoop {
    /// A new, independent loop.
    pub fn new() -> EventLoop {
        EventLoop::default()
    }

    /// The process-wide default loop.
    pub fn global() -> EventLoop {
        static GLOBAL: OnceLock<EventLoop> = OnceLock::new();
        GLOBAL.get_or_init(EventLoop::new).clone()
    }

    /// Waits for the turn: no object of this loop emits until it is
    /// dropped.
    pub async fn turn(&self) -> Turn {
        Turn {
            _guard: self.inner.turn.lock_arc().await,
        }
    }

    /// Runs `f` in a later turn (Node's `process.nextTick` for callbacks
    /// that must not run inside the caller's turn).
    pub fn defer(&self, f: impl FnOnce() + Send + 'static) {
        let event_loop = self.clone();
        crate::tasks::spawn(async move {
            let _turn = event_loop.turn().await;
            f();
        });
    }

    /// Sets the handler of uncaught exceptions (Node's
    /// `process.on('uncaughtException')`), replacing any earlier one.
    ///
    /// The handler runs where the exception is thrown, inside the turn
    /// that emitted it: it must not wait for a turn. A handler that needs
    /// the loop holds a [`WeakEventLoop`] ([`EventLoop::downgrade`]), not a
    /// clone, or the two keep each other alive.
    pub fn set_uncaught(&self, handler: impl Fn(&Error) + Send + Sync + 'static) {
        *self.uncaught_slot() = Some(Arc::new(handler));
    }

    /// Hands an exception nothing caught to the handler; returns whether
    /// there was one. [`Emits::emit`](crate::events::Emits::emit) calls it
    /// for an `'error'` that has no listener.
    pub fn report_uncaught(&self, err: &Error) -> bool {
        // Not called with the slot locked: the handler may set another.
        let handler = self.uncaught_slot().clone();
        match handler {
            Some(handler) => {
                handler(err);
                true
            }
            None => false,
        }
    }

    /// A handle that does not keep the loop alive.
    pub fn downgrade(&self) -> WeakEventLoop {
        WeakEventLoop {
            inner: Arc::downgrade(&self.inner),
        }
    }

    fn uncaught_slot(&self) -> std::sync::MutexGuard<'_, Option<UncaughtHandler>> {
        self.inner
            .uncaught
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventLoop")
    }
}

impl std::fmt::Debug for WeakEventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WeakEventLoop")
    }
}

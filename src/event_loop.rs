//! [`EventLoop`]: the turn lock that makes event delivery look like Node's
//! single-threaded event loop.

use std::sync::{Arc, OnceLock};

use async_std::sync::{Mutex, MutexGuardArc};

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
#[derive(Clone, Default)]
pub struct EventLoop {
    turn: Arc<Mutex<()>>,
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
            _guard: self.turn.lock_arc().await,
        }
    }

    /// Runs `f` in a later turn (Node's `process.nextTick` for callbacks
    /// that must not run inside the caller's turn).
    pub fn defer(&self, f: impl FnOnce() + Send + 'static) {
        let event_loop = self.clone();
        async_std::task::spawn(async move {
            let _turn = event_loop.turn().await;
            f();
        });
    }
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventLoop")
    }
}

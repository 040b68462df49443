//! The background tasks of the reference's objects (a socket's, a
//! server's, its accept loop, a dgram socket's, a deferred callback), and
//! how many of them run: a test that closes everything can check that
//! nothing was left behind.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// How many of the crate's tasks are running (spawned and not finished or
/// dropped).
pub fn running() -> usize {
    RUNNING.load(Ordering::SeqCst)
}

pin_project_lite::pin_project! {
    /// A task's future, counted from its spawn until it ends or is dropped.
    /// (A struct rather than an `async` block: the block would hold the
    /// future twice, once captured and once awaited, and a sleeping
    /// socket's task would cost twice its size.)
    struct Counted<F> {
        #[pin]
        task: F,
        guard: Guard,
    }
}

struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<F: Future<Output = ()>> Future for Counted<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().task.poll(cx)
    }
}

/// Spawns one of the crate's tasks on async-std's executor, counted.
pub(crate) fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    RUNNING.fetch_add(1, Ordering::SeqCst);
    async_std::task::spawn(Counted { task, guard: Guard });
}

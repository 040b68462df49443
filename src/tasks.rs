//! The background tasks of the reference's objects (a socket's, a
//! server's, its accept loop, a dgram socket's, a deferred callback), and
//! how many of them run: a test that closes everything can check that
//! nothing was left behind.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// How many of the crate's tasks are running (spawned and not finished or
/// dropped).
pub fn running() -> usize {
    RUNNING.load(Ordering::SeqCst)
}

/// Counts a task from its spawn to the end of its future, however it ends.
struct Counted;

impl Drop for Counted {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Spawns one of the crate's tasks on async-std's executor, counted.
pub(crate) fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    RUNNING.fetch_add(1, Ordering::SeqCst);
    let counted = Counted;
    async_std::task::spawn(async move {
        let _counted = counted;
        task.await;
    });
}

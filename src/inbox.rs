//! A task's inbox: an unbounded queue from one sender to one task.
//!
//! A socket's task sleeps most of its life, so what its queue costs while
//! empty is what an idle connection costs. A channel of async-std
//! allocates a block of 31 slots on its first message and keeps it (2.5
//! KB for a socket's commands); this queue holds a `VecDeque` that grows
//! with what waits in it and is given back once it drains.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

struct Shared<T> {
    queue: VecDeque<T>,
    waker: Option<Waker>,
    /// The sender is gone.
    closed: bool,
    /// The receiver is gone (its task ended): messages are dropped.
    unread: bool,
}

/// The sending half; dropping it ends the receiver's stream.
pub(crate) struct Sender<T>(Arc<Mutex<Shared<T>>>);

/// The receiving half, polled by the task.
pub(crate) struct Receiver<T>(Arc<Mutex<Shared<T>>>);

/// A new inbox.
pub(crate) fn inbox<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(Shared {
        queue: VecDeque::new(),
        waker: None,
        closed: false,
        unread: false,
    }));
    (Sender(shared.clone()), Receiver(shared))
}

fn lock<T>(shared: &Mutex<Shared<T>>) -> MutexGuard<'_, Shared<T>> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

impl<T> Sender<T> {
    /// Queues `message` and wakes the task.
    pub(crate) fn send(&self, message: T) {
        let waker = {
            let mut shared = lock(&self.0);
            if shared.unread {
                return;
            }
            shared.queue.push_back(message);
            shared.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut shared = lock(&self.0);
            shared.closed = true;
            shared.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut shared = lock(&self.0);
        shared.unread = true;
        shared.queue = VecDeque::new();
    }
}

impl<T> Receiver<T> {
    /// The next message if one waits.
    pub(crate) fn try_recv(&self) -> Option<T> {
        let mut shared = lock(&self.0);
        let message = shared.queue.pop_front();
        if shared.queue.is_empty() && shared.queue.capacity() > 0 {
            // Idle again: give the memory back.
            shared.queue = VecDeque::new();
        }
        message
    }

    /// The next message; `None` once the sender is gone and the queue is
    /// empty.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(message) = self.try_recv() {
            return Poll::Ready(Some(message));
        }
        let mut shared = lock(&self.0);
        // A message sent between the two locks is in the queue now.
        if let Some(message) = shared.queue.pop_front() {
            return Poll::Ready(Some(message));
        }
        if shared.closed {
            return Poll::Ready(None);
        }
        shared.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[async_std::test]
    async fn messages_arrive_in_order_and_the_end_is_seen() {
        let (tx, rx) = inbox();
        tx.send(1);
        tx.send(2);
        assert_eq!(rx.try_recv(), Some(1));
        let task = async_std::task::spawn(async move {
            let mut got = Vec::new();
            while let Some(m) = std::future::poll_fn(|cx| rx.poll_recv(cx)).await {
                got.push(m);
            }
            got
        });
        tx.send(3);
        drop(tx);
        assert_eq!(task.await, vec![2, 3]);
    }

    #[test]
    fn messages_to_an_ended_task_are_dropped() {
        let (tx, rx) = inbox();
        let shared = rx.0.clone();
        drop(rx);
        for i in 0..100 {
            tx.send(i);
        }
        assert_eq!(lock(&shared).queue.len(), 0);
    }

    #[test]
    fn a_drained_queue_holds_no_memory() {
        let (tx, rx) = inbox();
        for i in 0..100 {
            tx.send(i);
        }
        while rx.try_recv().is_some() {}
        assert_eq!(lock(&rx.0).queue.capacity(), 0);
    }
}

//! The listener registry behind `Socket::on` and `Server::on`: Node's
//! `EventEmitter`, restricted to what `node:net` needs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Identifies one registered listener, for [`Emitter::off`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

/// An event that knows its kind (its Node event name).
pub trait Event {
    /// The kind of event, one variant per Node event name.
    type Kind: Copy + PartialEq + Send + Sync + 'static;
    /// This event's kind.
    fn kind(&self) -> Self::Kind;
}

type Listener<E> = Arc<dyn Fn(&E) + Send + Sync>;

/// A channel receiving a clone of every event of the given kinds, in
/// order; `on` adds the forwarding listener for one kind (through the
/// owner's own `on`, so that adding it has the same effect as any other
/// listener).
pub(crate) fn channel<E: Event + Clone + Send + 'static>(
    kinds: &[E::Kind],
    on: impl Fn(E::Kind, Box<dyn Fn(&E) + Send + Sync>),
) -> async_std::channel::Receiver<E> {
    let (tx, rx) = async_std::channel::unbounded();
    for &kind in kinds {
        let tx = tx.clone();
        on(
            kind,
            Box::new(move |e: &E| {
                let _ = tx.try_send(e.clone());
            }),
        );
    }
    rx
}

struct Entry<E: Event> {
    id: ListenerId,
    kind: E::Kind,
    once: bool,
    listener: Listener<E>,
}

/// Listeners by event kind, called in registration order.
///
/// # Node compatibility
///
/// Like `EventEmitter.prototype.emit`, [`Emitter::emit`] calls the
/// listeners registered at the moment of emission: one added by a listener
/// is not called for the event being emitted, and a `once` listener is
/// removed before it runs.
pub struct Emitter<E: Event> {
    entries: Mutex<Vec<Entry<E>>>,
    next_id: AtomicU64,
}

impl<E: Event> Default for Emitter<E> {
    fn default() -> Self {
        Emitter {
            entries: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
        }
    }
}

impl<E: Event> Emitter<E> {
    /// Adds a listener for `kind`.
    pub fn on(
        &self,
        kind: E::Kind,
        once: bool,
        listener: impl Fn(&E) + Send + Sync + 'static,
    ) -> ListenerId {
        let id = ListenerId(self.next_id.fetch_add(1, Ordering::Relaxed));
        self.lock().push(Entry {
            id,
            kind,
            once,
            listener: Arc::new(listener),
        });
        id
    }

    /// Removes a listener; returns whether it was registered.
    pub fn off(&self, id: ListenerId) -> bool {
        let mut entries = self.lock();
        let before = entries.len();
        entries.retain(|e| e.id != id);
        entries.len() != before
    }

    /// Removes every listener.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many listeners `kind` has.
    pub fn listener_count(&self, kind: E::Kind) -> usize {
        self.lock().iter().filter(|e| e.kind == kind).count()
    }

    /// Calls every listener of the event's kind; returns whether there was
    /// any. Must not be called with a lock held that a listener may need.
    pub fn emit(&self, event: &E) -> bool {
        let kind = event.kind();
        let listeners: Vec<Listener<E>> = {
            let mut entries = self.lock();
            let chosen = entries
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| e.listener.clone())
                .collect();
            entries.retain(|e| !(e.kind == kind && e.once));
            chosen
        };
        for listener in &listeners {
            listener(event);
        }
        !listeners.is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry<E>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    #[derive(Debug)]
    struct Ev(u8);
    impl Event for Ev {
        type Kind = u8;
        fn kind(&self) -> u8 {
            self.0
        }
    }

    #[test]
    fn once_listeners_run_once_and_in_order() {
        let em: Arc<Emitter<Ev>> = Arc::default();
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let s1 = seen.clone();
        em.on(1, false, move |_| s1.lock().unwrap().push("a"));
        let s2 = seen.clone();
        em.on(1, true, move |_| s2.lock().unwrap().push("b"));
        assert!(em.emit(&Ev(1)));
        assert!(em.emit(&Ev(1)));
        assert!(!em.emit(&Ev(2)));
        assert_eq!(*seen.lock().unwrap(), vec!["a", "b", "a"]);
    }
}

//! Node's `EventEmitter`, for every class of the crate: listeners by event
//! kind, called in registration order with the emitter itself (Node's
//! `this`) and the event.
//!
//! A class implements [`Emits`] by handing out its [`Emitter`]; it then has
//! `on`, `once`, `off`, `listener_count`, `remove_all_listeners`, `events`
//! and `next`, the same for a `net.Socket`, a `net.Server` or a
//! `dgram.Socket`.
//!
//! Because a listener receives the emitter, it does not need to hold a
//! clone of it: an echo server writes back through the `this` it is given,
//! and nothing keeps the socket alive once its task and its other handles
//! are gone.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_std::channel::Receiver;

/// Identifies one registered listener, for [`Emits::off`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

/// An event that knows its kind (its Node event name).
pub trait Event {
    /// The kind of event, one variant per Node event name.
    type Kind: EventKind;
    /// This event's kind.
    fn kind(&self) -> Self::Kind;
}

/// The kinds of a class's events, each with its Node name.
pub trait EventKind: Copy + PartialEq + Send + Sync + std::fmt::Debug + 'static {
    /// Every kind, in the order of the Node docs.
    const ALL: &'static [Self];
    /// The Node event name (`"data"`, `"close"`…).
    fn name(self) -> &'static str;
    /// The kind for a Node event name.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// Declares an event-kind enum and its Node names:
///
/// ```
/// nodecompat::event_kinds! {
///     /// The Node event names of a socket.
///     pub enum Kind {
///         Close = "close",
///         Message = "message",
///     }
/// }
/// use nodecompat::events::EventKind;
/// assert_eq!(Kind::from_name("message"), Some(Kind::Message));
/// ```
#[macro_export]
macro_rules! event_kinds {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* #[doc = concat!("`'", $text, "'`")] $variant),+
        }

        impl $crate::events::EventKind for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }
    };
}

type Listener<T, E> = Arc<dyn Fn(&T, &E) + Send + Sync>;

struct Entry<T, E: Event> {
    id: ListenerId,
    kind: E::Kind,
    once: bool,
    listener: Listener<T, E>,
}

/// Listeners by event kind, called in registration order; `T` is the
/// class whose events they are (the listeners' `this`).
///
/// # Node compatibility
///
/// Like `EventEmitter.prototype.emit`, [`Emitter::emit`] calls the
/// listeners registered at the moment of emission: one added by a listener
/// is not called for the event being emitted, and a `once` listener is
/// removed before it runs.
pub struct Emitter<T, E: Event> {
    entries: Mutex<Vec<Entry<T, E>>>,
    next_id: AtomicU64,
}

impl<T, E: Event> Default for Emitter<T, E> {
    fn default() -> Self {
        Emitter {
            entries: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
        }
    }
}

impl<T, E: Event> std::fmt::Debug for Emitter<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter")
            .field("listeners", &self.lock().len())
            .finish()
    }
}

impl<T, E: Event> Emitter<T, E> {
    /// Adds a listener for `kind`.
    pub fn add(
        &self,
        kind: E::Kind,
        once: bool,
        listener: impl Fn(&T, &E) + Send + Sync + 'static,
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
    pub fn remove(&self, id: ListenerId) -> bool {
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
    pub fn count(&self, kind: E::Kind) -> usize {
        self.lock().iter().filter(|e| e.kind == kind).count()
    }

    /// Calls every listener of the event's kind with `this`; returns
    /// whether there was any. Must not be called with a lock held that a
    /// listener may need.
    pub fn emit(&self, this: &T, event: &E) -> bool {
        let kind = event.kind();
        let listeners: Vec<Listener<T, E>> = {
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
            listener(this, event);
        }
        !listeners.is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry<T, E>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A class that emits events: Node's `EventEmitter` methods.
///
/// Listeners get the emitter (Node's `this`) and the event. Adding a
/// listener may change behaviour exactly where Node's does (a socket's
/// `'data'` listener starts the flow): see each class's
/// [`Emits::listener_added`].
pub trait Emits: Clone + Send + Sync + Sized + 'static {
    /// The class's event type.
    type Event: Event + Clone + Send + Sync + 'static;

    /// The class's listener registry.
    fn emitter(&self) -> &Emitter<Self, Self::Event>;

    /// Runs after a listener was added (Node's `'newListener'` reactions,
    /// such as a stream starting to flow). Nothing by default.
    fn listener_added(&self, _kind: <Self::Event as Event>::Kind) {}

    /// `emitter.on(event, listener)`.
    fn on(
        &self,
        kind: <Self::Event as Event>::Kind,
        listener: impl Fn(&Self, &Self::Event) + Send + Sync + 'static,
    ) -> ListenerId {
        let id = self.emitter().add(kind, false, listener);
        self.listener_added(kind);
        id
    }

    /// `emitter.once(event, listener)`.
    fn once(
        &self,
        kind: <Self::Event as Event>::Kind,
        listener: impl Fn(&Self, &Self::Event) + Send + Sync + 'static,
    ) -> ListenerId {
        let id = self.emitter().add(kind, true, listener);
        self.listener_added(kind);
        id
    }

    /// `emitter.off(event, listener)`: returns whether it was registered.
    fn off(&self, id: ListenerId) -> bool {
        self.emitter().remove(id)
    }

    /// `emitter.removeAllListeners()`.
    fn remove_all_listeners(&self) {
        self.emitter().clear();
    }

    /// `emitter.listenerCount(event)`.
    fn listener_count(&self, kind: <Self::Event as Event>::Kind) -> usize {
        self.emitter().count(kind)
    }

    /// A channel receiving a clone of every event of the given kinds, in
    /// order, for code that prefers `while let Ok(e) = events.recv().await`.
    /// The forwarding listeners are added with [`Emits::on`], so adding
    /// them has the same effect as any other listener.
    fn events(&self, kinds: &[<Self::Event as Event>::Kind]) -> Receiver<Self::Event> {
        let (tx, rx) = async_std::channel::unbounded();
        for &kind in kinds {
            let tx = tx.clone();
            self.on(kind, move |_, e| {
                let _ = tx.try_send(e.clone());
            });
        }
        rx
    }

    /// The next event of `kind` (Node's `events.once(emitter, name)`).
    fn next(
        &self,
        kind: <Self::Event as Event>::Kind,
    ) -> impl Future<Output = Self::Event> + Send + 'static {
        let (tx, rx) = async_std::channel::bounded(1);
        self.once(kind, move |_, e| {
            let _ = tx.try_send(e.clone());
        });
        async move { rx.recv().await.expect("the listener holds the sender") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    crate::event_kinds! {
        /// Test kinds.
        enum Kind { A = "a", B = "b" }
    }

    #[derive(Debug, Clone)]
    struct Ev(Kind);
    impl Event for Ev {
        type Kind = Kind;
        fn kind(&self) -> Kind {
            self.0
        }
    }

    type Log = StdMutex<Vec<&'static str>>;

    #[derive(Clone, Default)]
    struct Thing(Arc<(Emitter<Thing, Ev>, Log)>);
    impl Emits for Thing {
        type Event = Ev;
        fn emitter(&self) -> &Emitter<Thing, Ev> {
            &self.0.0
        }
    }
    impl Thing {
        fn log(&self, s: &'static str) {
            self.0.1.lock().unwrap().push(s);
        }
        fn emit(&self, k: Kind) -> bool {
            self.emitter().emit(self, &Ev(k))
        }
    }

    #[test]
    fn once_listeners_run_once_in_order_and_get_this() {
        let t = Thing::default();
        t.on(Kind::A, |this, _| this.log("a"));
        t.once(Kind::A, |this, _| this.log("b"));
        assert!(t.emit(Kind::A));
        assert!(t.emit(Kind::A));
        assert!(!t.emit(Kind::B));
        assert_eq!(*t.0.1.lock().unwrap(), vec!["a", "b", "a"]);
        assert_eq!(Kind::from_name("b"), Some(Kind::B));
        assert_eq!(Kind::ALL.len(), 2);
    }

    #[test]
    fn a_listener_added_during_emit_waits_for_the_next_event() {
        let t = Thing::default();
        t.once(Kind::A, |this, _| {
            this.on(Kind::A, |this, _| this.log("late"));
        });
        t.emit(Kind::A);
        assert!(t.0.1.lock().unwrap().is_empty());
        t.emit(Kind::A);
        assert_eq!(*t.0.1.lock().unwrap(), vec!["late"]);
    }

    #[async_std::test]
    async fn next_resolves_with_the_next_event() {
        let t = Thing::default();
        let next = t.next(Kind::B);
        t.emit(Kind::A);
        t.emit(Kind::B);
        assert!(matches!(next.await, Ev(Kind::B)));
    }
}

//! Node's `EventEmitter`, for every class of the crate: listeners by event
//! kind, called in registration order with the emitter itself (Node's
//! `this`) and the event.
//!
//! A class implements [`Emits`] by handing out its [`Emitter`]; it then has
//! `emit`, `on`, `once`, `off`, `listener_count`, `remove_all_listeners`,
//! `events` and `next`, the same for a `net.Socket`, a `net.Server` or a
//! `dgram.Socket`.
//!
//! Because a listener receives the emitter, it does not need to hold a
//! clone of it: an echo server writes back through the `this` it is given,
//! and nothing keeps the socket alive once its task and its other handles
//! are gone.
//!
//! As in Node, an `'error'` event nobody listens to is not lost: it is an
//! uncaught exception, handed to the emitter's [`EventLoop`] (see
//! [`Emits::emit`]).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_std::channel::Receiver;

use crate::error::Error;
use crate::event_loop::EventLoop;

/// Identifies one registered listener, for [`Emits::off`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

/// An event that knows its kind (its Node event name).
pub trait Event {
    /// The kind of event, one variant per Node event name.
    type Kind: EventKind;
    /// This event's kind.
    fn kind(&self) -> Self::Kind;
    /// The error this event carries if it is Node's `'error'` event (the
    /// event whose kind is named `"error"`); `None` for every other event.
    /// A class whose events include `'error'` must say so here: an
    /// `'error'` with no listener is thrown (see [`Emits::emit`]).
    fn error(&self) -> Option<&Error> {
        None
    }
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

std::thread_local! {
    static IN_TASK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, one turn of an object's task, during which the calls the
/// task makes on objects (an automatic `end()`, a `destroy()` after an
/// error) and its listeners' calls do not count as the user's actions:
/// they must not drop the unheard events a `next` made after the user's
/// own call is owed (see [`Emits::next`]).
pub(crate) fn in_task<R>(f: impl FnOnce() -> R) -> R {
    /// Restores the flag however `f` ends (a listener may panic, and the
    /// executor's thread lives on).
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            IN_TASK.set(self.0);
        }
    }
    let _restore = Restore(IN_TASK.replace(true));
    f()
}

struct Entry<T, E: Event> {
    id: ListenerId,
    kind: E::Kind,
    once: bool,
    listener: Listener<T, E>,
}

/// The listeners, and the events no listener heard since the last action
/// (at most one per kind: the first), kept for [`Emits::next`].
struct Registry<T, E: Event> {
    entries: Vec<Entry<T, E>>,
    unheard: Vec<E>,
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
    registry: Mutex<Registry<T, E>>,
    next_id: AtomicU64,
}

impl<T, E: Event> Default for Emitter<T, E> {
    fn default() -> Self {
        Emitter {
            registry: Mutex::new(Registry {
                entries: Vec::new(),
                unheard: Vec::new(),
            }),
            next_id: AtomicU64::new(1),
        }
    }
}

impl<T, E: Event> std::fmt::Debug for Emitter<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter")
            .field("listeners", &self.lock().entries.len())
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
        let id = self.new_id();
        self.lock().entries.push(Entry {
            id,
            kind,
            once,
            listener: Arc::new(listener),
        });
        id
    }

    /// Removes a listener; returns whether it was registered.
    pub fn remove(&self, id: ListenerId) -> bool {
        let mut registry = self.lock();
        let before = registry.entries.len();
        registry.entries.retain(|e| e.id != id);
        registry.entries.len() != before
    }

    /// Removes every listener of `kind` (`removeAllListeners(event)`).
    pub fn remove_kind(&self, kind: E::Kind) {
        self.lock().entries.retain(|e| e.kind != kind);
    }

    /// Removes every listener.
    pub fn clear(&self) {
        self.lock().entries.clear();
    }

    /// How many listeners `kind` has.
    pub fn count(&self, kind: E::Kind) -> usize {
        self.lock()
            .entries
            .iter()
            .filter(|e| e.kind == kind)
            .count()
    }

    /// The object was asked to do something that will make it emit (a
    /// lifecycle method: `connect`, `write`, `end`, `destroy`, `listen`,
    /// `close`, `bind`, `send`…, called before it changes any state): the
    /// unheard events kept so far are history, not what a `next` made
    /// after this call waits for. Setting an option or adding a listener
    /// is not such an action.
    ///
    /// What an object's own task does in a turn (its listeners included)
    /// is not such an action: see `in_task` (crate-private).
    pub fn acted(&self) {
        if !IN_TASK.get() {
            self.lock().unheard.clear();
        }
    }

    /// Calls every listener of the event's kind with `this`; returns
    /// whether there was any. Must not be called with a lock held that a
    /// listener may need.
    ///
    /// An event no listener hears is kept for a later [`Emits::next`] if
    /// it is the first of its kind since the last [`Emitter::acted`].
    pub fn emit(&self, this: &T, event: &E) -> bool
    where
        E: Clone,
    {
        let kind = event.kind();
        let listeners: Vec<Listener<T, E>> = {
            let mut registry = self.lock();
            let chosen: Vec<Listener<T, E>> = registry
                .entries
                .iter()
                .filter(|e| e.kind == kind)
                .map(|e| e.listener.clone())
                .collect();
            registry.entries.retain(|e| !(e.kind == kind && e.once));
            if chosen.is_empty() && !registry.unheard.iter().any(|e| e.kind() == kind) {
                // One at a time: most objects never keep more than one.
                registry.unheard.reserve_exact(1);
                registry.unheard.push(event.clone());
            }
            chosen
        };
        for listener in &listeners {
            listener(this, event);
        }
        !listeners.is_empty()
    }

    /// The unheard event of `kind`, taken; or, atomically with finding
    /// none, a `once` listener for it.
    fn take_or_add(
        &self,
        kind: E::Kind,
        listener: impl Fn(&T, &E) + Send + Sync + 'static,
    ) -> Result<E, ListenerId> {
        let id = self.new_id();
        let mut registry = self.lock();
        if let Some(at) = registry.unheard.iter().position(|e| e.kind() == kind) {
            return Ok(registry.unheard.remove(at));
        }
        registry.entries.push(Entry {
            id,
            kind,
            once: true,
            listener: Arc::new(listener),
        });
        Err(id)
    }

    fn new_id(&self) -> ListenerId {
        ListenerId(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry<T, E>> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
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

    /// The loop the object emits in, whose handler receives the `'error'`
    /// events nobody listens to.
    fn event_loop(&self) -> &EventLoop;

    /// `emitter.emit(event)`: calls the listeners of the event's kind with
    /// `self`; returns whether there was any.
    ///
    /// # Node compatibility
    ///
    /// An `'error'` emitted with no `'error'` listener is thrown by Node's
    /// `emit()`, an uncaught exception: here it goes to
    /// [`EventLoop::report_uncaught`]. The caller goes on (Node's caller
    /// would be unwound by the throw).
    /// See <https://nodejs.org/api/events.html#error-events>.
    fn emit(&self, event: &Self::Event) -> bool {
        let error = event.error();
        debug_assert_eq!(
            error.is_some(),
            event.kind().name() == "error",
            "an 'error' event carries its error (Event::error)"
        );
        let heard = self.emitter().emit(self, event);
        if let (false, Some(err)) = (heard, error) {
            self.event_loop().report_uncaught(err);
        }
        heard
    }

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
    ///
    /// # Node compatibility
    ///
    /// In Node, code that calls `server.listen()` and then
    /// `once(server, 'listening')` cannot miss the event: nothing is
    /// emitted before that code yields. Here the object's task runs on
    /// another thread and may emit between the two calls. So an event no
    /// listener heard is kept (the first of each kind since the object's
    /// last action, until a `next` takes it or the next action), and
    /// `next` resolves with it at once: `listen()` then `next(Listening)`
    /// never misses `'listening'`, whichever thread wins. An event a
    /// listener heard is not kept; with a listener of its own kind, code
    /// that must not miss one creates the `next` before acting.
    fn next(
        &self,
        kind: <Self::Event as Event>::Kind,
    ) -> impl Future<Output = Self::Event> + Send + 'static {
        let (tx, rx) = async_std::channel::bounded(1);
        let taken = self.emitter().take_or_add(kind, move |_, e| {
            let _ = tx.try_send(e.clone());
        });
        let waiting = match taken {
            Ok(event) => Err(event),
            Err(id) => {
                // Node's 'newListener' reactions (a `'data'` next starts the
                // flow), as for any other listener.
                self.listener_added(kind);
                Ok((rx, Unlisten(Some((self.clone(), id)))))
            }
        };
        async move {
            match waiting {
                Ok((rx, mut unlisten)) => {
                    let event = rx.recv().await.expect("the listener holds the sender");
                    unlisten.0 = None;
                    event
                }
                Err(event) => event,
            }
        }
    }
}

/// Removes a `next`'s listener if its future is dropped before the event
/// (a timeout gave up): a listener nobody awaits must not take the event
/// a later `next` is owed.
struct Unlisten<T: Emits>(Option<(T, ListenerId)>);

impl<T: Emits> Drop for Unlisten<T> {
    fn drop(&mut self) {
        if let Some((object, id)) = self.0.take() {
            object.off(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    crate::event_kinds! {
        /// Test kinds.
        enum Kind { A = "a", B = "b", Error = "error" }
    }

    #[derive(Debug, Clone)]
    enum Ev {
        Plain(Kind),
        /// A `'b'` that says which one it is.
        Numbered(u32),
        Failed(Error),
    }
    impl Event for Ev {
        type Kind = Kind;
        fn kind(&self) -> Kind {
            match self {
                Ev::Plain(k) => *k,
                Ev::Numbered(_) => Kind::B,
                Ev::Failed(_) => Kind::Error,
            }
        }
        fn error(&self) -> Option<&Error> {
            match self {
                Ev::Failed(e) => Some(e),
                Ev::Plain(_) | Ev::Numbered(_) => None,
            }
        }
    }

    type Log = StdMutex<Vec<&'static str>>;

    #[derive(Clone, Default)]
    struct Thing(Arc<(Emitter<Thing, Ev>, Log, EventLoop)>);
    impl Emits for Thing {
        type Event = Ev;
        fn emitter(&self) -> &Emitter<Thing, Ev> {
            &self.0.0
        }
        fn event_loop(&self) -> &EventLoop {
            &self.0.2
        }
    }
    impl Thing {
        fn log(&self, s: &'static str) {
            self.0.1.lock().unwrap().push(s);
        }
        fn fire(&self, k: Kind) -> bool {
            self.emit(&Ev::Plain(k))
        }
        /// The codes the loop's uncaught-exception handler received.
        fn uncaught(&self) -> Arc<StdMutex<Vec<String>>> {
            let seen: Arc<StdMutex<Vec<String>>> = Arc::default();
            let s = seen.clone();
            self.event_loop()
                .set_uncaught(move |e| s.lock().unwrap().push(e.code().to_string()));
            seen
        }
    }

    #[test]
    fn once_listeners_run_once_in_order_and_get_this() {
        let t = Thing::default();
        t.on(Kind::A, |this, _| this.log("a"));
        t.once(Kind::A, |this, _| this.log("b"));
        assert!(t.fire(Kind::A));
        assert!(t.fire(Kind::A));
        assert!(!t.fire(Kind::B));
        assert_eq!(*t.0.1.lock().unwrap(), vec!["a", "b", "a"]);
        assert_eq!(Kind::from_name("b"), Some(Kind::B));
        assert_eq!(Kind::ALL.len(), 3);
    }

    #[test]
    fn a_listener_added_during_emit_waits_for_the_next_event() {
        let t = Thing::default();
        t.once(Kind::A, |this, _| {
            this.on(Kind::A, |this, _| this.log("late"));
        });
        t.fire(Kind::A);
        assert!(t.0.1.lock().unwrap().is_empty());
        t.fire(Kind::A);
        assert_eq!(*t.0.1.lock().unwrap(), vec!["late"]);
    }

    #[async_std::test]
    async fn next_resolves_with_the_next_event() {
        let t = Thing::default();
        let next = t.next(Kind::B);
        t.fire(Kind::A);
        t.fire(Kind::B);
        assert!(matches!(next.await, Ev::Plain(Kind::B)));
    }

    #[async_std::test]
    async fn next_after_the_event_takes_the_unheard_one() {
        let t = Thing::default();
        // Emitted before anyone subscribed (another thread won the race).
        t.fire(Kind::A);
        assert!(matches!(t.next(Kind::A).await, Ev::Plain(Kind::A)));
        // Taken: the next `next` waits for a new one.
        let later = t.next(Kind::A);
        t.fire(Kind::A);
        assert!(matches!(later.await, Ev::Plain(Kind::A)));
    }

    #[async_std::test]
    async fn only_the_first_unheard_event_of_a_kind_is_kept() {
        let t = Thing::default();
        t.emit(&Ev::Numbered(1));
        t.emit(&Ev::Numbered(2));
        assert!(matches!(t.next(Kind::B).await, Ev::Numbered(1)));
        let pending = t.next(Kind::B);
        assert!(
            poll_once(pending).is_none(),
            "the second unheard 'b' was not kept"
        );
    }

    #[test]
    fn a_next_given_up_takes_no_event() {
        let t = Thing::default();
        drop(t.next(Kind::A));
        assert_eq!(t.listener_count(Kind::A), 0);
        t.fire(Kind::A);
        assert!(
            poll_once(t.next(Kind::A)).is_some(),
            "kept for the next one"
        );
    }

    #[test]
    fn an_action_forgets_unheard_events_and_a_heard_one_is_not_kept() {
        let t = Thing::default();
        t.fire(Kind::A);
        t.emitter().acted();
        assert!(poll_once(t.next(Kind::A)).is_none());
        let t = Thing::default();
        t.on(Kind::B, |_, _| {});
        t.fire(Kind::B);
        assert!(poll_once(t.next(Kind::B)).is_none());
        // What a task does in its own turn is not the user's action.
        let t = Thing::default();
        t.fire(Kind::A);
        in_task(|| t.emitter().acted());
        assert!(poll_once(t.next(Kind::A)).is_some());
    }

    /// Polls a future once.
    fn poll_once<F: Future>(f: F) -> Option<F::Output> {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }

    #[test]
    fn an_error_with_no_listener_is_an_uncaught_exception() {
        let t = Thing::default();
        let uncaught = t.uncaught();
        // Other events with no listener are just not heard.
        assert!(!t.fire(Kind::A));
        assert!(!t.emit(&Ev::Failed(Error::plain("EBOOM", "boom"))));
        assert_eq!(*uncaught.lock().unwrap(), vec!["EBOOM"]);
        // Without a handler, the loop drops it.
        let quiet = Thing::default();
        assert!(!quiet.emit(&Ev::Failed(Error::plain("EBOOM", "boom"))));
    }

    #[test]
    fn an_error_with_a_listener_is_not_uncaught() {
        let t = Thing::default();
        let uncaught = t.uncaught();
        t.on(Kind::Error, |this, _| this.log("handled"));
        // A listener of another event does not catch it.
        t.on(Kind::A, |this, _| this.log("a"));
        assert!(t.emit(&Ev::Failed(Error::plain("EBOOM", "boom"))));
        assert_eq!(*t.0.1.lock().unwrap(), vec!["handled"]);
        assert!(uncaught.lock().unwrap().is_empty());
        // A once listener catches one error; the next is uncaught.
        let t = Thing::default();
        let uncaught = t.uncaught();
        t.once(Kind::Error, |_, _| {});
        t.emit(&Ev::Failed(Error::plain("EONE", "one")));
        t.emit(&Ev::Failed(Error::plain("ETWO", "two")));
        assert_eq!(*uncaught.lock().unwrap(), vec!["ETWO"]);
    }

    #[test]
    fn the_handler_may_hold_its_loop_weakly() {
        let event_loop = EventLoop::new();
        let weak = event_loop.downgrade();
        let seen: Arc<StdMutex<usize>> = Arc::default();
        let s = seen.clone();
        event_loop.set_uncaught(move |_| {
            if weak.upgrade().is_some() {
                *s.lock().unwrap() += 1;
            }
        });
        let probe = event_loop.downgrade();
        assert!(event_loop.report_uncaught(&Error::plain("EBOOM", "boom")));
        assert_eq!(*seen.lock().unwrap(), 1);
        drop(event_loop);
        assert!(probe.upgrade().is_none(), "no cycle through the handler");
    }
}

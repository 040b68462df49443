//! The order of events and callbacks, as Node gives it.

use super::*;

// Node: `on('listening', L1); bind(0, cb); on('listening', L2)` logs L1,
// cb, L2; `address()` in the same tick as bind() throws EBADF.
#[async_std::test]
async fn bind_callback_is_a_listening_listener_and_binding_takes_a_tick() {
    let lp = EventLoop::new();
    let log = Log::default();
    let s = udp4(&lp);
    {
        let _turn = lp.turn().await;
        let l = log.clone();
        s.on(SocketEventKind::Listening, move |_, _| l.push("L1"));
        s.bind_with(BindOptions::port_address(0, "127.0.0.1"), log.cb("cb"))
            .unwrap();
        let l = log.clone();
        s.on(SocketEventKind::Listening, move |_, _| l.push("L2"));
        let err = s.address().unwrap_err();
        assert_eq!((err.code(), err.message()), ("EBADF", "getsockname EBADF"));
        assert_eq!(err.errno(), Some(-9));
        let again = s.bind(BindOptions::default()).unwrap_err();
        assert_eq!(again.code(), "ERR_SOCKET_ALREADY_BOUND");
        assert_eq!(again.message(), "Socket is already bound");
    }
    log.wait("L2").await;
    assert_eq!(log.lines(), ["L1", "cb call", "L2"]);
    assert_eq!(s.address().unwrap().address, "127.0.0.1");
    assert_eq!(s.listener_count(SocketEventKind::Listening), 2);
    s.close().unwrap();
}

// Node: the first send of an unbound socket binds it: 'listening', then
// the send callback `(null, 5)`; the peer gets the datagram whole.
#[async_std::test]
async fn implicit_bind_emits_listening_before_the_send_callback() {
    let lp = EventLoop::new();
    let log = Log::default();
    let (peer, port) = bound(&lp).await;
    log.track("peer", &peer);
    let a = udp4(&lp);
    {
        let _turn = lp.turn().await;
        a.send("hello", Some(port), Some("127.0.0.1"), log.send_cb("sent"))
            .unwrap();
        log.track("a", &a);
        assert_eq!(a.address().unwrap_err().code(), "EBADF");
    }
    log.wait("peer message hello 127.0.0.1 IPv4 5").await;
    assert_eq!(
        log.lines(),
        [
            "a listening",
            "sent call null Some(5)",
            "peer message hello 127.0.0.1 IPv4 5"
        ]
    );
    assert_eq!(a.address().unwrap().address, "0.0.0.0");
    a.close().unwrap();
    peer.close().unwrap();
}

// Node: send() then close() in one tick: the send waits for its lookup,
// finds the socket closed and is dropped (no callback, no datagram).
// Unbound, the close is queued behind the implicit bind: 'listening',
// 'close', close callback. A 'listening' listener added after the queue
// runs after the queued close: address() there throws NOT_RUNNING. A
// connect() then close() on an unbound socket: 'listening', 'close', no
// 'connect' and no callback.
#[async_std::test]
async fn a_send_then_close_in_one_tick_is_dropped() {
    let lp = EventLoop::new();
    let log = Log::default();
    let (peer, port) = bound(&lp).await;
    log.track("peer", &peer);
    let (b, _) = bound(&lp).await;
    let c = udp4(&lp);
    let d = udp4(&lp);
    log.track("d", &d);
    {
        let _turn = lp.turn().await;
        d.connect(port, None, Some(Box::new(|_, _| panic!("connected"))))
            .unwrap();
        d.close().unwrap();
        b.send("x1", Some(port), Some("127.0.0.1"), log.send_cb("b.sent"))
            .unwrap();
        log.track("b", &b);
        b.close_with(log.cb("b.closed")).unwrap();
        c.send("x2", Some(port), Some("127.0.0.1"), log.send_cb("c.sent"))
            .unwrap();
        c.close_with(log.cb("c.closed")).unwrap();
        log.track("c", &c);
        let l = log.clone();
        c.on(SocketEventKind::Listening, move |this, _| {
            l.push(format!("c.late {}", this.address().unwrap_err().code()))
        });
    }
    log.wait("c close").await;
    sleep(SETTLE).await;
    assert_eq!(log.of("b"), ["b close", "b.closed call"]);
    assert_eq!(
        log.of("c"),
        [
            "c listening",
            "c.late ERR_SOCKET_DGRAM_NOT_RUNNING",
            "c.closed call",
            "c close"
        ]
    );
    assert_eq!(log.of("d"), ["d listening", "d close"]);
    assert!(log.of("peer").is_empty());
    peer.close().unwrap();
}

// Node: connect() on an unbound socket binds first; its callback becomes a
// 'connect' listener only then, after listeners added in between. While
// connecting: connect() throws IS_CONNECTED, disconnect() NOT_CONNECTED,
// and a send with an address is queued and fails with EISCONN after
// 'connect'. Connected, send(msg, port) throws; port 0 is falsy.
#[async_std::test]
async fn connect_orders_its_callback_after_listening() {
    let lp = EventLoop::new();
    let log = Log::default();
    let (peer, port) = bound(&lp).await;
    log.track("peer", &peer);
    let a = udp4(&lp);
    {
        let _turn = lp.turn().await;
        let l = log.clone();
        a.on(SocketEventKind::Connect, move |_, _| l.push("before"));
        let l = log.clone();
        let cb: ConnectCallback = Box::new(move |_, e| l.push(format!("cb {}", e.is_some())));
        a.connect(port, Some("127.0.0.1"), Some(cb)).unwrap();
        log.track("a", &a);
        let again = a.connect(port, None, None).unwrap_err();
        assert_eq!(again.message(), "Already connected");
        assert_eq!(a.disconnect().unwrap_err().message(), "Not connected");
        assert_eq!(
            a.remote_address().unwrap_err().code(),
            "ERR_SOCKET_DGRAM_NOT_CONNECTED"
        );
        a.send("zz", Some(port), Some("127.0.0.1"), log.send_cb("early"))
            .unwrap();
    }
    log.wait("early call EISCONN send 127.0.0.1 None").await;
    assert_eq!(
        log.lines(),
        [
            "a listening",
            "before",
            "a connect",
            "cb false",
            "early call EISCONN send 127.0.0.1 None"
        ]
    );
    let remote = a.remote_address().unwrap();
    assert_eq!((remote.address.as_str(), remote.port), ("127.0.0.1", port));
    let err = a.send("x", Some(port), None, None).unwrap_err();
    assert_eq!(err.code(), "ERR_SOCKET_DGRAM_IS_CONNECTED");
    a.send("p0", Some(0), Some(""), log.send_cb("p0")).unwrap();
    log.wait("peer message p0 127.0.0.1 IPv4 2").await;
    a.disconnect().unwrap();
    // Linux forgets the automatically chosen port (seen on node too).
    assert_eq!(a.address().unwrap().port, 0);
    assert_eq!(
        a.disconnect().unwrap_err().code(),
        "ERR_SOCKET_DGRAM_NOT_CONNECTED"
    );
    // Connecting again: no second 'listening'. Connected, a send is handed
    // to the system at once: send then close in one tick delivers it, and
    // its callback comes before 'close'.
    a.connect(port, None, None).unwrap();
    log.wait("a connect").await;
    sleep(SETTLE).await;
    assert_eq!(log.of("a listening").len(), 1);
    assert_eq!(log.of("a connect").len(), 2);
    {
        let _turn = lp.turn().await;
        a.send("last", None, None, log.send_cb("last")).unwrap();
        a.close_with(log.cb("closed")).unwrap();
    }
    log.wait("peer message last 127.0.0.1 IPv4 4").await;
    log.wait("closed call").await;
    let tail: Vec<String> = log
        .lines()
        .into_iter()
        .filter(|l| !l.starts_with("peer"))
        .collect();
    assert_eq!(
        tail[tail.len() - 3..],
        ["last call null Some(4)", "a close", "closed call"]
    );
    peer.close().unwrap();
}

// Node: connecting a udp4 socket to "::1" fails with EINVAL: given to the
// callback (no 'error'), or emitted as 'error' without one.
#[async_std::test]
async fn connect_errors_go_to_the_callback_or_else_to_error() {
    let lp = EventLoop::new();
    let log = Log::default();
    let c = udp4(&lp);
    log.track("c", &c);
    let l = log.clone();
    let cb: ConnectCallback = Box::new(move |_, e| {
        let e = e.unwrap();
        l.push(format!("cb {} {}", code(e), e.message()))
    });
    c.connect(9, Some("::1"), Some(cb)).unwrap();
    log.wait("cb EINVAL connect ::1 connect EINVAL ::1:9").await;
    assert_eq!(c.listener_count(SocketEventKind::Connect), 1);
    c.connect(9, Some("::1"), None).unwrap();
    log.wait("c error EINVAL connect ::1").await;
    assert_eq!(
        log.lines(),
        [
            "c listening",
            "cb EINVAL connect ::1 connect EINVAL ::1:9",
            "c error EINVAL connect ::1"
        ]
    );
    assert_eq!(
        c.connect(0, None, None).unwrap_err().message(),
        "Port should be > 0 and < 65536. Received type number (0)."
    );
    c.close().unwrap();
}

// Node: a connected socket whose peer port is closed. Three sends in one
// tick: the first succeeds (`null 1`); its refusal comes back through the
// second sendmsg, whose callback gets `send ECONNREFUSED` (no address, no
// port); the third succeeds, and its refusal is then an 'error' from
// recvmsg. The socket stays open. (Same order in 5 of 5 node runs.)
#[async_std::test]
async fn a_connected_socket_hears_econnrefused() {
    let lp = EventLoop::new();
    let log = Log::default();
    let (gone, dead) = bound(&lp).await;
    gone.close().unwrap();
    let a = udp4(&lp);
    log.track("a", &a);
    a.connect(dead, Some("127.0.0.1"), None).unwrap();
    log.wait("a connect").await;
    {
        let _turn = lp.turn().await;
        a.send("1", None, None, log.send_cb("sent1")).unwrap();
        a.send("2", None, None, log.send_cb("sent2")).unwrap();
        a.send("3", None, None, log.send_cb("sent3")).unwrap();
    }
    log.wait("a error ECONNREFUSED recvmsg").await;
    sleep(SETTLE).await;
    assert_eq!(
        log.lines(),
        [
            "a listening",
            "a connect",
            "sent1 call null Some(1)",
            "sent2 call ECONNREFUSED send None",
            "sent3 call null Some(1)",
            "a error ECONNREFUSED recvmsg"
        ]
    );
    a.close().unwrap();
}

// Node: messages are whole datagrams (an empty one too; a list is one
// datagram); close() in a 'message' listener stops the next ones.
#[async_std::test]
async fn datagrams_are_whole_and_none_come_after_close() {
    let lp = EventLoop::new();
    let log = Log::default();
    let (r, port) = bound(&lp).await;
    log.track("r", &r);
    let count = Arc::new(Mutex::new(0));
    r.on_message(move |this, _, _| {
        let mut n = count.lock().unwrap();
        *n += 1;
        if *n == 4 {
            this.close().unwrap();
        }
    });
    let (s, _) = bound(&lp).await;
    {
        let _turn = lp.turn().await;
        s.send("", Some(port), Some("127.0.0.1"), log.send_cb("empty"))
            .unwrap();
        s.send(Vec::<Vec<u8>>::new(), Some(port), None, None)
            .unwrap();
        let list = vec![b"ab".to_vec(), b"cd".to_vec()];
        s.send(list, Some(port), Some("127.0.0.1"), None).unwrap();
        for m in ["m1", "m2"] {
            s.send(m, Some(port), Some("127.0.0.1"), None).unwrap();
        }
    }
    log.wait("r close").await;
    sleep(SETTLE).await;
    assert_eq!(log.of("empty"), ["empty call null Some(0)"]);
    assert_eq!(
        log.of("r"),
        [
            "r message  127.0.0.1 IPv4 0",
            "r message  127.0.0.1 IPv4 0",
            "r message abcd 127.0.0.1 IPv4 4",
            "r message m1 127.0.0.1 IPv4 2",
            "r close"
        ]
    );
    s.close().unwrap();
}

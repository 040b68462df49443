//! Errors: thrown, emitted as `'error'`, or given to callbacks.

use super::*;

// Node: EADDRINUSE is an 'error' ("bind EADDRINUSE 127.0.0.1:<port>");
// the bind callback's two listeners are removed; the socket keeps its
// system socket (address() is 0.0.0.0:0) and may bind again.
#[async_std::test]
async fn eaddrinuse_is_an_error_event_and_the_socket_may_bind_again() {
    let lp = EventLoop::new();
    let log = Log::default();
    let (first, port) = bound(&lp).await;
    let d = udp4(&lp);
    log.track("d", &d);
    let err = {
        let _turn = lp.turn().await;
        let at = BindOptions::port_address(port, "127.0.0.1");
        d.bind_with(at, log.cb("never")).unwrap();
        // The tracker's and the bind callback's.
        assert_eq!(d.listener_count(SocketEventKind::Error), 2);
        d.next(SocketEventKind::Error)
    };
    let err = err.await;
    let SocketEvent::Error(err) = err else {
        panic!()
    };
    assert_eq!(err.message(), format!("bind EADDRINUSE 127.0.0.1:{port}"));
    assert_eq!(
        (err.errno(), err.port()),
        (Some(-98), Some(i32::from(port)))
    );
    assert_eq!(d.listener_count(SocketEventKind::Error), 1);
    assert_eq!(d.listener_count(SocketEventKind::Listening), 1);
    let a = d.address().unwrap();
    assert_eq!((a.address.as_str(), a.port), ("0.0.0.0", 0));
    d.bind_with(BindOptions::default(), log.cb("bound"))
        .unwrap();
    log.wait("bound call").await;
    assert_eq!(
        log.lines(),
        [
            "d error EADDRINUSE bind 127.0.0.1",
            "d listening",
            "bound call"
        ]
    );
    d.close().unwrap();
    first.close().unwrap();
}

// Node: bind errors of the address itself: an IPv6 literal on udp4
// (EINVAL, no port in the message), a name that does not resolve, and
// ipv6Only on udp4 (EINVAL for 0.0.0.0).
#[async_std::test]
async fn bind_address_errors() {
    let lp = EventLoop::new();
    let log = Log::default();
    let g = udp4(&lp);
    log.track("g", &g);
    let error = g.next(SocketEventKind::Error);
    g.bind(BindOptions::port_address(0, "::1")).unwrap();
    let SocketEvent::Error(e) = error.await else {
        panic!()
    };
    assert_eq!((e.message(), e.port()), ("bind EINVAL ::1", None));
    g.bind(BindOptions::port_address(0, "no-such-host.invalid"))
        .unwrap();
    log.wait("g error ENOTFOUND getaddrinfo").await;
    let options = SocketOptions {
        ipv6_only: true,
        ..Type::Udp4.into()
    };
    let i = create_socket_in(&lp, options);
    log.track("i", &i);
    i.bind(BindOptions::default()).unwrap();
    log.wait("i error EINVAL bind 0.0.0.0").await;
    g.close().unwrap();
    i.close().unwrap();
}

// Node: EMSGSIZE goes to the callback with the call's address and port
// ("undefined:<port>" without an address); without a callback it is
// dropped. A lookup error goes to the callback, or else to 'error'.
#[async_std::test]
async fn send_errors_go_to_the_callback() {
    let lp = EventLoop::new();
    let log = Log::default();
    let (s, port) = bound(&lp).await;
    log.track("s", &s);
    let big = vec![0u8; 65508];
    let l = log.clone();
    let cb: SendCallback = Box::new(move |e, n| l.push(format!("{} {n:?}", e.unwrap().message())));
    s.send(big.clone(), Some(port), None, Some(cb)).unwrap();
    s.send(big, Some(port), Some("127.0.0.1"), None).unwrap();
    s.send(vec![0u8; 65507], Some(port), None, log.send_cb("max"))
        .unwrap();
    log.wait("max call null Some(65507)").await;
    s.send(
        "x",
        Some(port),
        Some("no-such-host.invalid"),
        log.send_cb("lookup"),
    )
    .unwrap();
    log.wait("lookup call ENOTFOUND getaddrinfo None").await;
    s.send("x", Some(port), Some("no-such-host.invalid"), None)
        .unwrap();
    log.wait("s error ENOTFOUND getaddrinfo").await;
    let lines = log.lines();
    assert_eq!(lines[0], format!("send EMSGSIZE undefined:{port} None"));
    assert_eq!(lines[1], "max call null Some(65507)");
    assert!(lines[2].starts_with("s message"), "{lines:?}");
    assert_eq!(
        lines[3..],
        [
            "lookup call ENOTFOUND getaddrinfo None",
            "s error ENOTFOUND getaddrinfo"
        ]
    );
    let e = s.send("x", None, None, None).unwrap_err();
    assert_eq!(
        e.message(),
        "Port should be > 0 and < 65536. Received undefined."
    );
    s.close().unwrap();
}

// Node: what each method throws before bind and after close.
#[async_std::test]
async fn errors_before_bind_and_after_close() {
    let lp = EventLoop::new();
    let s = udp4(&lp);
    let code_of = |r: Result<(), Error>| {
        let e = r.unwrap_err();
        format!("{} {} {}", e.name(), e.code(), e.message())
    };
    assert_eq!(
        code_of(s.set_broadcast(true)),
        "Error EBADF setBroadcast EBADF"
    );
    assert_eq!(
        code_of(s.set_ttl(0).map(drop)),
        "Error EINVAL setTTL EINVAL"
    );
    assert_eq!(
        code_of(s.set_multicast_ttl(5).map(drop)),
        "Error EBADF setMulticastTTL EBADF"
    );
    assert_eq!(
        code_of(s.set_multicast_interface("zz")),
        "Error EINVAL setMulticastInterface EINVAL"
    );
    let e = s.get_recv_buffer_size().unwrap_err();
    assert_eq!(e.name(), "SystemError");
    assert_eq!(
        e.message(),
        "Could not get or set buffer size: uv_recv_buffer_size returned EBADF (bad file descriptor)"
    );
    assert_eq!(
        e.info().map(|i| (i.errno, i.code.as_str())),
        Some((-9, "EBADF"))
    );
    assert_eq!(s.get_send_queue_count().unwrap(), 0);
    assert_eq!(
        code_of(s.add_membership("", None)),
        "TypeError ERR_MISSING_ARGS The \"multicastAddress\" argument must be specified"
    );
    s.close().unwrap();
    assert_eq!(
        code_of(s.close().map(drop)),
        "Error ERR_SOCKET_DGRAM_NOT_RUNNING Not running"
    );
    assert_eq!(
        code_of(s.address().map(drop)),
        "Error ERR_SOCKET_DGRAM_NOT_RUNNING Not running"
    );
    assert_eq!(
        code_of(s.set_ttl(3).map(drop)),
        "TypeError  Cannot read properties of null (reading 'setTTL')"
    );
    assert_eq!(
        code_of(s.get_send_buffer_size().map(drop)),
        "TypeError  Cannot read properties of null (reading 'bufferSize')"
    );
    assert_eq!(
        code_of(s.set_multicast_interface("127.0.0.1")),
        "Error ERR_SOCKET_DGRAM_NOT_RUNNING Not running"
    );
    assert_eq!(
        code_of(s.send("x", Some(1234), None, None)),
        "Error ERR_SOCKET_DGRAM_NOT_RUNNING Not running"
    );
    // Never bound: the implicit bind throws; a second connect sees the
    // first one's "connecting" state.
    assert_eq!(
        code_of(s.connect(9, None, None)),
        "Error ERR_SOCKET_DGRAM_NOT_RUNNING Not running"
    );
    assert_eq!(
        code_of(s.connect(9, None, None)),
        "Error ERR_SOCKET_DGRAM_IS_CONNECTED Already connected"
    );
    assert!(s.ref_().has_ref());
}

// Node: `bind(0, 123)` throws dns.lookup()'s ERR_INVALID_ARG_TYPE after
// marking the socket as binding: every later bind() is ALREADY_BOUND,
// address() is still EBADF, a send waits forever; close() works.
#[async_std::test]
async fn a_bind_whose_lookup_throws_leaves_the_socket_binding() {
    let lp = EventLoop::new();
    let log = Log::default();
    let s = udp4(&lp);
    log.track("s", &s);
    let thrown = Error::type_error("ERR_INVALID_ARG_TYPE", "hostname");
    let cb: Callback = Box::new(log.cb("never"));
    let e = s.bind_lookup_throws(thrown.clone(), Some(cb));
    assert_eq!(e.code(), "ERR_INVALID_ARG_TYPE");
    // The tracker's and the callback's.
    assert_eq!(s.listener_count(SocketEventKind::Listening), 2);
    let e = s.bind_lookup_throws(thrown.clone(), None);
    assert_eq!(e.code(), "ERR_SOCKET_ALREADY_BOUND");
    let e = s.bind(BindOptions::port(0)).unwrap_err();
    assert_eq!(e.code(), "ERR_SOCKET_ALREADY_BOUND");
    assert_eq!(s.address().unwrap_err().code(), "EBADF");
    s.send("x", Some(9), Some("127.0.0.1"), log.send_cb("sent"))
        .unwrap();
    assert!(!s.closed() && !s.connected());
    sleep(SETTLE).await;
    assert_eq!(log.lines(), Vec::<String>::new());
    // The close waits behind the send, in the queue that never runs.
    s.close().unwrap();
    assert!(!s.closed());
    let fresh = udp4(&lp);
    fresh.close().unwrap();
    assert!(fresh.closed());
    let e = fresh.bind_lookup_throws(thrown, None);
    assert_eq!(e.code(), "ERR_SOCKET_DGRAM_NOT_RUNNING");
}

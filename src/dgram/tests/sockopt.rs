//! Socket options, multicast and IPv6.

use super::*;

// Node (Linux): the option sizes are set at bind, and read back doubled.
#[cfg(target_os = "linux")]
#[async_std::test]
async fn buffer_size_options_apply_at_bind() {
    let lp = EventLoop::new();
    let options = SocketOptions {
        recv_buffer_size: Some(10000),
        send_buffer_size: Some(9000),
        ..Type::Udp4.into()
    };
    let s = create_socket_in(&lp, options);
    let listening = s.next(SocketEventKind::Listening);
    s.bind(BindOptions::default()).unwrap();
    listening.await;
    assert_eq!(s.get_recv_buffer_size().unwrap(), 20000);
    assert_eq!(s.get_send_buffer_size().unwrap(), 18000);
    s.set_recv_buffer_size(0).unwrap();
    let e = s.set_recv_buffer_size(1 << 31).unwrap_err();
    assert_eq!(e.info().map(|i| i.code.as_str()), Some("EINVAL"));
    let e = s.set_send_buffer_size(1 << 32).unwrap_err();
    assert_eq!(e.code(), "ERR_SOCKET_BAD_BUFFER_SIZE");
    s.close().unwrap();
}

// Node (libuv): addMembership() on an unbound socket binds it for the
// system; Node's own bind() then fails with "bind EINVAL 0.0.0.0".
#[async_std::test]
async fn add_membership_before_bind_binds_for_the_system() {
    let lp = EventLoop::new();
    let log = Log::default();
    let s = udp4(&lp);
    log.track("s", &s);
    if let Err(e) = s.add_membership("224.0.0.114", None) {
        println!("skipped: addMembership failed on this host: {e}");
        return;
    }
    assert_ne!(s.address().unwrap().port, 0);
    s.bind(BindOptions::default()).unwrap();
    log.wait("s error EINVAL bind 0.0.0.0").await;
    s.close().unwrap();
}

// Node: a group joined on 127.0.0.1 receives what a socket whose
// multicast interface is 127.0.0.1 sends to it. Sandboxes may not route
// multicast: the test then reports itself skipped.
#[async_std::test]
async fn multicast_on_loopback() {
    let lp = EventLoop::new();
    let log = Log::default();
    let (m, port) = {
        let m = udp4(&lp);
        let listening = m.next(SocketEventKind::Listening);
        m.bind(BindOptions::default()).unwrap();
        listening.await;
        let port = m.address().unwrap().port;
        (m, port)
    };
    log.track("m", &m);
    if let Err(e) = m.add_membership("239.255.0.8", Some("127.0.0.1")) {
        println!("skipped: cannot join a multicast group on lo: {e}");
        return m.close().map(drop).unwrap();
    }
    let (s, _) = bound(&lp).await;
    s.set_multicast_loopback(true).unwrap();
    s.set_multicast_interface("127.0.0.1").unwrap();
    s.send(
        "group",
        Some(port),
        Some("239.255.0.8"),
        log.send_cb("sent"),
    )
    .unwrap();
    sleep(SETTLE * 3).await;
    let lines = log.lines();
    if !lines.iter().any(|l| l.starts_with("m message group")) {
        println!("skipped: multicast is not delivered on this host's loopback: {lines:?}");
    } else {
        assert_eq!(
            lines,
            ["sent call null Some(5)", "m message group 127.0.0.1 IPv4 5"]
        );
        m.drop_membership("239.255.0.8", Some("127.0.0.1")).unwrap();
        let e = m
            .drop_membership("239.255.0.8", Some("127.0.0.1"))
            .unwrap_err();
        assert_eq!(e.message(), "dropMembership EADDRNOTAVAIL");
    }
    s.close().unwrap();
    m.close().unwrap();
}

// Node: a dual-stack udp6 socket sees an IPv4 sender as ::ffff:127.0.0.1,
// family IPv6; a udp6 socket cannot send to an IPv4 literal (EINVAL).
#[async_std::test]
async fn udp6_sees_ipv4_senders_as_mapped_addresses() {
    let lp = EventLoop::new();
    let log = Log::default();
    let w = create_socket_in(&lp, Type::Udp6.into());
    log.track("w", &w);
    w.bind(BindOptions::default()).unwrap();
    log.wait("w listening").await;
    let port = w.address().unwrap().port;
    let v4 = udp4(&lp);
    v4.send("four", Some(port), Some("127.0.0.1"), None)
        .unwrap();
    log.wait("w message four ::ffff:127.0.0.1 IPv6 4").await;
    w.send("x", Some(port), Some("127.0.0.1"), log.send_cb("to4"))
        .unwrap();
    log.wait("to4 call EINVAL send 127.0.0.1 None").await;
    w.close().unwrap();
    v4.close().unwrap();
}

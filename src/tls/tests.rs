//! The TLS socket against its peer, in-process, where the timing of the
//! suite's own cases is made deterministic.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::net::{ListenOptions, ServerAddress, SocketEventKind};

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tls")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A peer's last record and its close_notify that arrive while the
/// client waits for its loop's turn are one read: a `'data'` listener
/// that calls `destroySoon()` (as the http client does after a response
/// on a connection that closes) sees `'end'` before `'finish'`, as Node's
/// TLSWrap reports both from one TCP read. Without it the socket finished
/// and closed without its `'end'` in about one run in four here, and once
/// in CI (https/agent/sni-host-name, the suite running in-process).
#[async_std::test]
async fn a_close_notify_sent_while_the_client_waits_for_its_turn_is_read_with_the_data() {
    let (server_loop, client_loop) = (EventLoop::new(), EventLoop::new());
    let context = SecureContext::new(&SecureContextOptions {
        key: Some(fixture("localhost.key")),
        cert: Some(fixture("localhost.pem")),
        ..SecureContextOptions::default()
    })
    .expect("the server's context");
    let server = Server::new_in(
        &server_loop,
        ServerOptions {
            context,
            request_cert: false,
            reject_unauthorized: true,
            alpn_protocols: Vec::new(),
            sni_callback: None,
            handshake_timeout: 10_000,
            net: net::ServerOptions::default(),
        },
    );
    let listening = server.net().next(net::ServerEventKind::Listening);
    server
        .net()
        .listen(ListenOptions::port_host(0, "127.0.0.1"))
        .expect("listen");
    listening.await;
    let port = match server.net().address() {
        Some(ServerAddress::Inet(a)) => a.port,
        other => panic!("{other:?}"),
    };
    let secured = server.next(ServerEventKind::SecureConnection);
    let ca = SecureContext::new(&SecureContextOptions {
        ca: Some(vec![fixture("ca.pem")]),
        ..SecureContextOptions::default()
    })
    .expect("the client's context");
    let log: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let client = {
        let _turn = client_loop.turn().await;
        let client = connect_in(
            &client_loop,
            ConnectOptions {
                target: net::ConnectOptions::port_host(port, "127.0.0.1"),
                tls: ClientTls {
                    host: "localhost".into(),
                    port,
                    context: ca,
                    servername: Some("localhost".into()),
                    reject_unauthorized: true,
                    alpn_protocols: Vec::new(),
                    check_server_identity: None,
                    session: None,
                },
                socket: SocketOptions::default(),
            },
        )
        .expect("connect");
        let l = log.clone();
        client.socket().on_data(move |this, _| {
            l.lock().unwrap().push("data");
            this.destroy_soon();
        });
        for (kind, name) in [
            (SocketEventKind::End, "end"),
            (SocketEventKind::Finish, "finish"),
            (SocketEventKind::Close, "close"),
        ] {
            let l = log.clone();
            client
                .socket()
                .on(kind, move |_, _| l.lock().unwrap().push(name));
        }
        client
    };
    let peer = match async_std::future::timeout(Duration::from_secs(10), secured).await {
        Ok(ServerEvent::SecureConnection(peer)) => peer,
        other => panic!("no secureConnection: {:?}", other.is_ok()),
    };
    client.next(TlsEventKind::SecureConnect).await;
    // The client's loop is busy: the client reads the record, then waits
    // for its turn while the peer's close_notify and FIN arrive.
    let closed = client.socket().next(SocketEventKind::Close);
    let turn = client_loop.turn().await;
    peer.socket().write(b"x".to_vec());
    async_std::task::sleep(Duration::from_millis(200)).await;
    peer.socket().end();
    async_std::task::sleep(Duration::from_millis(200)).await;
    drop(turn);
    async_std::future::timeout(Duration::from_secs(10), closed)
        .await
        .expect("the client closes");
    assert_eq!(*log.lock().unwrap(), ["data", "end", "finish", "close"]);
}

//! Loopback tests of `crate::net` against facts checked on node v20.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_std::future::timeout;

use super::*;
use crate::events::{Event, EventKind};

type Log = Arc<Mutex<Vec<String>>>;

fn describe(e: &SocketEvent) -> String {
    match e {
        SocketEvent::Data(c) => format!("data {}", String::from_utf8_lossy(c.as_bytes())),
        SocketEvent::Error(err) => format!("error {}", err.code()),
        SocketEvent::Close { had_error } => match had_error {
            Some(h) => format!("close {h}"),
            None => "close".to_string(),
        },
        SocketEvent::Lookup {
            address, family, ..
        } => format!(
            "lookup {} {}",
            address.clone().unwrap_or_default(),
            family.map_or(0, Family::number)
        ),
        other => Event::kind(other).name().to_string(),
    }
}

fn record(socket: &Socket, log: &Log, kinds: &[SocketEventKind]) {
    for &k in kinds {
        let log = log.clone();
        socket.on(k, move |_, e| log.lock().unwrap().push(describe(e)));
    }
}

/// Notified on `'close'`; register it in the same turn as the socket is
/// made, so the event cannot be missed.
fn closed(socket: &Socket) -> async_std::channel::Receiver<()> {
    let (tx, rx) = async_std::channel::unbounded();
    socket.on(SocketEventKind::Close, move |_, _| {
        let _ = tx.try_send(());
    });
    rx
}

async fn until(rx: async_std::channel::Receiver<()>) {
    timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("in time")
        .unwrap();
}

async fn listening_server(options: ServerOptions) -> (Server, u16) {
    let server = Server::new(options);
    let listening = server.events(&[ServerEventKind::Listening]);
    server
        .listen(ListenOptions::port_host(0, "127.0.0.1"))
        .unwrap();
    listening.recv().await.unwrap();
    let Some(ServerAddress::Inet(addr)) = server.address() else {
        panic!("bound")
    };
    (server, addr.port)
}

const ALL: [SocketEventKind; 9] = [
    SocketEventKind::Lookup,
    SocketEventKind::Connect,
    SocketEventKind::Ready,
    SocketEventKind::Data,
    SocketEventKind::End,
    SocketEventKind::Finish,
    SocketEventKind::Drain,
    SocketEventKind::Error,
    SocketEventKind::Close,
];

#[async_std::test]
async fn client_ends_first_in_node_order() {
    let (server, port) = listening_server(ServerOptions::default()).await;
    let peer_log: Log = Log::default();
    let (ptx, prx) = async_std::channel::unbounded();
    {
        let peer_log = peer_log.clone();
        server.on_connection(move |_, peer| {
            record(peer, &peer_log, &ALL);
            let _ = ptx.try_send(closed(peer));
            peer.write("hello");
        });
    }
    let log: Log = Log::default();
    let client = {
        let _turn = EventLoop::global().turn().await;
        let c = connect(ConnectOptions::port(port));
        record(&c, &log, &ALL);
        c.end_with(Some(b"bye".to_vec()), None);
        closed(&c)
    };
    until(client).await;
    until(prx.recv().await.unwrap()).await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "lookup 127.0.0.1 4",
            "connect",
            "ready",
            "finish",
            "data hello",
            "end",
            "close false"
        ]
    );
    assert_eq!(
        *peer_log.lock().unwrap(),
        ["data bye", "end", "finish", "close false"]
    );
    server.close();
}

/// The stream properties a socket inherits, as `(readableAborted,
/// readableDidRead, errored code, closed, writableNeedDrain,
/// writableCorked)`.
fn stream_props(s: &Socket) -> (bool, bool, Option<String>, bool, bool, u32) {
    (
        s.readable_aborted(),
        s.readable_did_read(),
        s.errored().map(|e| e.code().to_string()),
        s.closed(),
        s.writable_need_drain(),
        s.writable_corked(),
    )
}

/// Node 20's values: fresh, connected, after `'end'` and `'close'`, after
/// `destroy(error)`.
#[async_std::test]
async fn inherited_stream_properties_follow_node() {
    let fresh = Socket::new(SocketOptions::default());
    assert_eq!(stream_props(&fresh), (false, false, None, false, false, 0));
    assert_eq!(fresh.readable_encoding(), None);
    assert_eq!(fresh.readable_high_water_mark(), 16384);
    assert!(!fresh.readable_object_mode() && !fresh.writable_object_mode());
    assert_eq!(
        fresh.writable_aborted(),
        None,
        "undefined on Node 20's Duplex"
    );

    let (server, port) = listening_server(ServerOptions::default()).await;
    server.on_connection(|_, peer| {
        peer.end_with(Some(b"hi".to_vec()), None);
    });
    let (tx, rx) = async_std::channel::unbounded();
    let client = {
        let _turn = EventLoop::global().turn().await;
        let c = connect(ConnectOptions::port_host(port, "127.0.0.1"));
        c.on(SocketEventKind::Connect, |c, _| {
            c.cork();
            c.cork();
            assert_eq!(stream_props(c), (false, false, None, false, false, 2));
            c.set_encoding(Some(Encoding::Latin1));
            assert_eq!(c.readable_encoding().map(Encoding::name), Some("latin1"));
        });
        c.on_data(|_, _| {});
        // Still corked: the end() that allowHalfOpen false implies comes
        // after the 'end' listeners, and uncorks.
        c.on(SocketEventKind::End, |c, _| {
            assert_eq!(stream_props(c), (false, true, None, false, false, 2));
        });
        let tx = tx.clone();
        c.on(SocketEventKind::Close, move |c, _| {
            assert_eq!(stream_props(c), (false, true, None, true, false, 0));
            let _ = tx.try_send(());
        });
        c
    };
    until(rx.clone()).await;
    assert!(client.writable_finished());

    let (tx2, rx2) = async_std::channel::unbounded();
    {
        let _turn = EventLoop::global().turn().await;
        let c = connect(ConnectOptions::port_host(port, "127.0.0.1"));
        c.on(SocketEventKind::Connect, |c, _| {
            c.destroy(Some(Error::plain("EBOOM", "boom")));
            let expected = (true, false, Some("EBOOM".to_string()), true, false, 0);
            assert_eq!(stream_props(c), expected);
        });
        c.on(SocketEventKind::Error, |_, _| {});
        c.on(SocketEventKind::Close, move |c, _| {
            assert_eq!(
                c.errored().map(|e| e.code().to_string()),
                Some("EBOOM".into())
            );
            let _ = tx2.try_send(());
        });
    }
    until(rx2).await;
    server.close();
}

#[async_std::test]
async fn refused_connection_errors_then_closes() {
    let (server, port) = listening_server(ServerOptions::default()).await;
    server.close();
    async_std::task::sleep(Duration::from_millis(50)).await;
    let log: Log = Log::default();
    let client = {
        let _turn = EventLoop::global().turn().await;
        let c = connect(ConnectOptions::port_host(port, "127.0.0.1"));
        record(&c, &log, &ALL);
        closed(&c)
    };
    until(client).await;
    assert_eq!(*log.lock().unwrap(), ["error ECONNREFUSED", "close true"]);
}

#[async_std::test]
async fn write_returns_false_at_the_high_water_mark_then_drains() {
    let (server, port) = listening_server(ServerOptions::default()).await;
    server.on_connection(|_, peer| {
        peer.resume();
    });
    let log: Log = Log::default();
    let _turn = EventLoop::global().turn().await;
    let c = connect(ConnectOptions::port(port));
    record(
        &c,
        &log,
        &[SocketEventKind::Drain, SocketEventKind::Connect],
    );
    assert!(c.write(vec![0u8; HIGH_WATER_MARK - 1]));
    assert!(!c.write(vec![0u8; 1]));
    assert_eq!(c.writable_length(), HIGH_WATER_MARK);
    // Listened to before the turn ends: the drain may come right after.
    let (tx, rx) = async_std::channel::unbounded();
    c.once(SocketEventKind::Drain, move |_, _| {
        let _ = tx.try_send(());
    });
    drop(_turn);
    timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(*log.lock().unwrap(), ["connect", "drain"]);
    c.destroy(None);
    server.close();
}

#[async_std::test]
async fn second_listen_throws_and_close_when_not_running_reports() {
    let (server, _) = listening_server(ServerOptions::default()).await;
    let err = server.listen(ListenOptions::port(0)).unwrap_err();
    assert_eq!(err.code(), "ERR_SERVER_ALREADY_LISTEN");
    server.close();
    assert!(server.address().is_none());
    let (tx, rx) = async_std::channel::unbounded();
    server.close_with(move |e| {
        let _ = tx.try_send(e.map(|e| e.code().to_string()));
    });
    let got = timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.as_deref(), Some("ERR_SERVER_NOT_RUNNING"));
}

#[cfg(unix)]
#[async_std::test]
async fn unix_socket_round_trip_without_lookup() {
    let path = std::env::temp_dir().join(format!("nodecompat-net-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let server = Server::new(ServerOptions::default());
    server.on_connection(|_, peer| {
        peer.on_data(|this, c| {
            this.end_with(Some(c.as_bytes().to_vec()), None);
        });
    });
    server.listen(ListenOptions::path(&path)).unwrap();
    assert_eq!(
        server.address(),
        Some(ServerAddress::Path(path.display().to_string()))
    );
    let log: Log = Log::default();
    let c = {
        let _turn = EventLoop::global().turn().await;
        let c = connect(ConnectOptions::Path(path.clone()));
        record(&c, &log, &ALL);
        c.write("ping");
        closed(&c)
    };
    until(c).await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "connect",
            "ready",
            "data ping",
            "end",
            "finish",
            "close false"
        ]
    );
    server.close();
    async_std::task::sleep(Duration::from_millis(50)).await;
    assert!(!path.exists(), "close() unlinks the socket file");
}

mod split_writes {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]
        #[test]
        fn any_split_arrives_intact(data in proptest::collection::vec(any::<u8>(), 0..5000), cuts in proptest::collection::vec(0usize..5000, 0..8)) {
            let received = async_std::task::block_on(async {
                let (server, port) = listening_server(ServerOptions::default()).await;
                let got = Arc::new(Mutex::new(Vec::new()));
                let (tx, rx) = async_std::channel::unbounded();
                let g = got.clone();
                server.on_connection(move |_, peer| {
                    let g = g.clone();
                    peer.on_data(move |_, c| g.lock().unwrap().extend_from_slice(c.as_bytes()));
                    let tx = tx.clone();
                    peer.on(SocketEventKind::End, move |_, _| { let _ = tx.try_send(()); });
                });
                let c = connect(ConnectOptions::port_host(port, "127.0.0.1"));
                let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
                points.sort();
                let mut last = 0;
                for p in points.into_iter().chain([data.len()]) {
                    c.write(data[last..p].to_vec());
                    last = p;
                }
                c.end();
                if timeout(Duration::from_secs(5), rx.recv()).await.is_err() {
                    panic!("no end: got {} of {} bytes, client {:?}", got.lock().unwrap().len(), data.len(), c);
                }
                server.close();

                got.lock().unwrap().clone()
            });
            prop_assert_eq!(received, data);
        }
    }
}

/// Paused mode, as Node 20 runs it: the peer's `'readable'` listener reads
/// until `read(size)` returns null; `'data'` comes from inside `read()`;
/// the end is announced with `'readable'` and `'end'` follows the last
/// read. The client writes `hello`, then `world!`, then ends.
async fn paused_mode_transcript(size: Option<usize>) -> Vec<String> {
    let (server, port) = listening_server(ServerOptions::default()).await;
    let log: Log = Log::default();
    let (tx, rx) = async_std::channel::unbounded();
    {
        let log = log.clone();
        server.on_connection(move |_, peer| {
            let l = log.clone();
            peer.on(SocketEventKind::Readable, move |peer, _| {
                let push = |s: String| l.lock().unwrap().push(s);
                push(format!("readable {}", peer.readable_length()));
                while let Some(c) = peer.read(size) {
                    push(format!("read {}", String::from_utf8_lossy(c.as_bytes())));
                }
                push(format!("read null {}", peer.readable_length()));
            });
            let kinds = [
                SocketEventKind::Data,
                SocketEventKind::End,
                SocketEventKind::Finish,
                SocketEventKind::Resume,
                SocketEventKind::Close,
            ];
            record(peer, &log, &kinds);
            let tx = tx.clone();
            peer.on(SocketEventKind::Close, move |_, _| {
                let _ = tx.try_send(());
            });
        });
    }
    let client = {
        let _turn = EventLoop::global().turn().await;
        let c = connect(ConnectOptions::port_host(port, "127.0.0.1"));
        c.on(SocketEventKind::Connect, |c, _| {
            c.write("hello");
        });
        c
    };
    async_std::task::sleep(Duration::from_millis(50)).await;
    client.write("world!");
    async_std::task::sleep(Duration::from_millis(50)).await;
    client.end();
    until(rx).await;
    server.close();
    log.lock().unwrap().clone()
}

#[async_std::test]
async fn readable_and_read_all_in_node_order() {
    assert_eq!(
        paused_mode_transcript(None).await,
        [
            "readable 5",
            "data hello",
            "read hello",
            "read null 0",
            "readable 6",
            "data world!",
            "read world!",
            "read null 0",
            "readable 0",
            "read null 0",
            "end",
            "finish",
            "close false"
        ]
    );
}

#[async_std::test]
async fn read_size_in_node_order() {
    assert_eq!(
        paused_mode_transcript(Some(3)).await,
        [
            "readable 5",
            "data hel",
            "read hel",
            "read null 2",
            "readable 8",
            "data low",
            "read low",
            "data orl",
            "read orl",
            "read null 2",
            "readable 2",
            "data d!",
            "read d!",
            "read null 0",
            "end",
            "finish",
            "close false"
        ]
    );
}

/// `listen()` then `next(Listening)`, the way the README writes it: the
/// server's task may emit `'listening'` on another thread before `next`
/// subscribes. Before unheard events were kept, about 1 run in 500 hung
/// here; every run must now resolve.
#[async_std::test]
async fn next_after_listen_never_misses_listening() {
    for run in 0..3000 {
        let server = Server::new(ServerOptions::default());
        server
            .listen(ListenOptions::port_host(0, "127.0.0.1"))
            .unwrap();
        let listening = timeout(
            Duration::from_secs(5),
            server.next(ServerEventKind::Listening),
        )
        .await;
        assert!(listening.is_ok(), "run {run}: 'listening' was missed");
        let closed = server.next(ServerEventKind::Close);
        server.close();
        timeout(Duration::from_secs(5), closed)
            .await
            .unwrap_or_else(|_| panic!("run {run}: 'close' was missed"));
    }
}

/// The same race on a client: `connect()` then `next(Connect)`.
#[async_std::test]
async fn next_after_connect_never_misses_connect() {
    let (server, port) = listening_server(ServerOptions::default()).await;
    for run in 0..1000 {
        let client = connect(ConnectOptions::port_host(port, "127.0.0.1"));
        let connected = timeout(
            Duration::from_secs(5),
            client.next(SocketEventKind::Connect),
        )
        .await;
        assert!(connected.is_ok(), "run {run}: 'connect' was missed");
        client.destroy(None);
    }
    server.close();
}

/// A listening server keeps listening when its last handle is dropped
/// right after `listen()` (Node keeps a listening server alive), before
/// its task had a turn.
#[async_std::test]
async fn a_listening_server_lives_without_its_handle() {
    for run in 0..50 {
        let port = {
            let server = Server::new(ServerOptions::default());
            // Bound now: listen(port) without a host, or a handle.
            let port = if run % 2 == 0 {
                server.listen(ListenOptions::port(0)).unwrap();
                match server.address() {
                    Some(ServerAddress::Inet(a)) => a.port,
                    other => panic!("{other:?}"),
                }
            } else {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let port = l.local_addr().unwrap().port();
                server
                    .listen(ListenOptions {
                        handle: Some(ListenHandle::Tcp(l)),
                        ..ListenOptions::default()
                    })
                    .unwrap();
                port
            };
            drop(server);
            port
        };
        let connected = async_std::net::TcpStream::connect(("127.0.0.1", port)).await;
        assert!(connected.is_ok(), "run {run}: {connected:?}");
    }
}

/// `write()` returned false, then `next(Drain)`: the drain may be emitted
/// before `next` subscribes, never lost.
#[async_std::test]
async fn next_after_a_full_write_never_misses_drain() {
    let (server, port) = listening_server(ServerOptions::default()).await;
    for run in 0..300 {
        let client = connect(ConnectOptions::port_host(port, "127.0.0.1"));
        timeout(
            Duration::from_secs(5),
            client.next(SocketEventKind::Connect),
        )
        .await
        .unwrap_or_else(|_| panic!("run {run}: no connect"));
        assert!(!client.write(vec![0u8; 20_000]), "over the high-water mark");
        timeout(Duration::from_secs(5), client.next(SocketEventKind::Drain))
            .await
            .unwrap_or_else(|_| panic!("run {run}: 'drain' was missed"));
        // Configuring or listening is not an action: it does not forget.
        client.end();
        client.set_no_delay(true);
        client.on(SocketEventKind::Data, |_, _| {});
        timeout(Duration::from_secs(5), client.next(SocketEventKind::Finish))
            .await
            .unwrap_or_else(|_| panic!("run {run}: 'finish' was missed"));
        client.destroy(None);
    }
    server.close();
}

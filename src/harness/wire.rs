//! The wire peer: plain TCP connections the harness itself makes or
//! accepts, for testing an implementation's servers and clients against
//! exact bytes.
//!
//! A spec's `wire.connect(port)` does not go through the implementation's
//! `net`: a runtime with a broken `net` would otherwise fail every HTTP
//! case for the wrong reason, and could agree with itself on bytes Node
//! never sends. The peer is the same for every implementation. Its events
//! (`connect`, `data`, `end`, `error`) go into the case's trace beside the
//! driver's, and are matched by the same rules (`spec/README.md`, "The
//! wire peer").
//!
//! Each peer is two tasks: a writer that carries out the script's
//! commands in order (so `write` then `end` half-closes after the bytes),
//! and a reader that reports what arrives until end of stream or an
//! error. It reads all the time: a peer never applies backpressure.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_std::channel::{Receiver, Sender, unbounded};
use async_std::io::{ReadExt, WriteExt};
use async_std::net::TcpStream;
use async_std::task::{self, JoinHandle};

use crate::protocol::Value;

/// One event of a wire peer, for the trace.
#[derive(Debug, Clone, PartialEq)]
pub struct WireEvent {
    /// The peer's name in the script.
    pub object: String,
    pub event: &'static str,
    pub args: Vec<Value>,
}

/// What a script asks of a peer.
#[derive(Debug)]
enum Command {
    Write(Vec<u8>),
    /// One byte per write, `pause` between them: a slow client.
    Trickle(Vec<u8>, Duration),
    /// Half-close: shut down the sending side.
    End,
    /// Close now: the kernel sends FIN (RST if bytes are unread).
    Destroy,
    /// Close with SO_LINGER 0: the kernel sends RST.
    Reset,
}

/// A peer as the registry keeps it.
struct Peer {
    commands: Sender<Command>,
    writer: JoinHandle<()>,
}

/// The peers by name: the accepting task adds to it.
type Peers = Arc<Mutex<BTreeMap<String, Peer>>>;

/// A listening wire server.
struct Listening {
    port: u16,
    accept: JoinHandle<()>,
}

/// The wire peers and servers of one case, by name. Dropping it closes
/// them all.
pub struct Wire {
    peers: Peers,
    servers: BTreeMap<String, Listening>,
    events: Sender<WireEvent>,
    received: Receiver<WireEvent>,
}

impl Default for Wire {
    fn default() -> Self {
        let (events, received) = unbounded();
        Wire {
            peers: Peers::default(),
            servers: BTreeMap::new(),
            events,
            received,
        }
    }
}

fn lock(peers: &Peers) -> std::sync::MutexGuard<'_, BTreeMap<String, Peer>> {
    peers.lock().unwrap_or_else(|p| p.into_inner())
}

impl Wire {
    /// `name = wire.connect(port[, host])`: connects in the background;
    /// `connect` or `error` follows.
    pub fn connect(&mut self, name: &str, args: &[Value]) -> Result<(), String> {
        let port = match args.first() {
            Some(Value::Number(n)) if n.fract() == 0.0 && (1.0..=65535.0).contains(n) => *n as u16,
            other => {
                return Err(format!(
                    "wire.connect needs a port (1–65535), got {other:?}"
                ));
            }
        };
        let host = match args.get(1) {
            None | Some(Value::Undefined) => "127.0.0.1".to_string(),
            Some(Value::String(h)) => h.clone(),
            Some(other) => {
                return Err(format!(
                    "wire.connect: the host must be a string, got {other:?}"
                ));
            }
        };
        if let Some(old) = lock(&self.peers).remove(name) {
            drop(old.commands);
            task::spawn(old.writer.cancel());
        }
        let (commands, inbox) = unbounded();
        let writer = task::spawn(run(
            name.to_string(),
            host,
            port,
            inbox,
            self.events.clone(),
        ));
        lock(&self.peers).insert(name.to_string(), Peer { commands, writer });
        Ok(())
    }

    /// `name = wire.listen()`: a server on 127.0.0.1, port chosen by the
    /// system (`name.port`), listening at once. Each connection it accepts
    /// is a peer, reported as `connection` with it; the `n`th takes the
    /// name `captures` gives `n` (`wait srv connection as peer`), else
    /// `name#n`.
    pub fn listen(&mut self, name: &str, captures: BTreeMap<usize, String>) -> Result<(), String> {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("wire.listen: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("wire.listen: {e}"))?
            .port();
        let accept = task::spawn(accept_all(
            name.to_string(),
            async_std::net::TcpListener::from(listener),
            captures,
            self.peers.clone(),
            self.events.clone(),
        ));
        if let Some(old) = self
            .servers
            .insert(name.to_string(), Listening { port, accept })
        {
            task::spawn(old.accept.cancel());
        }
        Ok(())
    }

    /// A property of a wire object (`srv.port`), for expressions the
    /// implementation evaluates.
    pub fn property(&self, name: &str, property: &str) -> Option<Value> {
        match (self.servers.get(name), property) {
            (Some(s), "port") => Some(Value::Number(s.port.into())),
            _ => None,
        }
    }

    /// `name.method(args…)`.
    pub fn call(&mut self, name: &str, method: &str, args: &[Value]) -> Result<(), String> {
        if let Some(server) = self.servers.get(name) {
            return match method {
                // Stops accepting; the connections it made stay.
                "close" => {
                    let s = self.servers.remove(name).expect("found above");
                    task::spawn(s.accept.cancel());
                    Ok(())
                }
                other => {
                    let _ = server;
                    Err(format!("a wire server has no method `{other}`"))
                }
            };
        }
        let peers = lock(&self.peers);
        let peer = peers
            .get(name)
            .ok_or_else(|| format!("no wire peer `{name}`"))?;
        let bytes = |v: Option<&Value>| match v {
            Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
            Some(Value::Buffer(b)) => Ok(b.clone()),
            other => Err(format!(
                "{name}.{method} needs a string or a Buffer, got {other:?}"
            )),
        };
        let command = match method {
            "write" => Command::Write(bytes(args.first())?),
            "trickle" => {
                let pause = match args.get(1) {
                    None | Some(Value::Undefined) => 1.0,
                    Some(Value::Number(ms)) if *ms >= 0.0 && *ms <= 10_000.0 => *ms,
                    Some(other) => {
                        return Err(format!(
                            "{name}.trickle: the pause is a number of ms, got {other:?}"
                        ));
                    }
                };
                Command::Trickle(
                    bytes(args.first())?,
                    Duration::from_secs_f64(pause / 1000.0),
                )
            }
            "end" => {
                if let Some(data) = args.first().filter(|v| !matches!(v, Value::Undefined)) {
                    let data = bytes(Some(data))?;
                    let _ = peer.commands.try_send(Command::Write(data));
                }
                Command::End
            }
            "destroy" => Command::Destroy,
            "reset" => Command::Reset,
            other => return Err(format!("a wire peer has no method `{other}`")),
        };
        // The peer's task ends only when the case does, or after destroy:
        // a command after that is dropped, as it would be on a closed
        // socket.
        let _ = peer.commands.try_send(command);
        Ok(())
    }

    /// Reports nothing more: the peers stay open, what they see is
    /// dropped.
    pub fn mute(&mut self) {
        let (events, received) = unbounded();
        drop(std::mem::replace(&mut self.received, received));
        // New peers (a server still accepting) report to a channel nobody
        // reads; the old senders find theirs closed.
        self.events = events;
    }

    /// Closes every peer now; nothing they saw after this is reported.
    pub fn stop(&mut self) {
        for (_, server) in std::mem::take(&mut self.servers) {
            task::spawn(server.accept.cancel());
        }
        for (_, peer) in std::mem::take(&mut *lock(&self.peers)) {
            drop(peer.commands);
            task::spawn(peer.writer.cancel());
        }
        let (events, received) = unbounded();
        self.events = events;
        self.received = received;
    }

    /// The next event of any peer. Pending for ever when there is none.
    pub async fn recv(&self) -> WireEvent {
        match self.received.recv().await {
            Ok(e) => e,
            // Never: `self` holds a sender.
            Err(_) => std::future::pending().await,
        }
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An error as the trace shows it: `Error {code, syscall, message}`.
fn error_value(err: std::io::Error, syscall: &str) -> Value {
    let e = crate::Error::system(err, syscall, None, None, false);
    Value::Error(BTreeMap::from([
        ("name".into(), Value::String(e.name().into())),
        ("code".into(), Value::String(e.code().into())),
        ("syscall".into(), Value::String(syscall.into())),
        ("message".into(), Value::String(e.message().into())),
    ]))
}

/// The reader task, cancelled when the peer's task ends however it ends
/// (a dropped `JoinHandle` would only detach it, and the connection would
/// outlive the case).
struct Reader(Option<JoinHandle<()>>);

impl Reader {
    async fn cancel(&mut self) {
        if let Some(h) = self.0.take() {
            h.cancel().await;
        }
    }

    async fn finish(&mut self) {
        if let Some(h) = self.0.take() {
            h.await;
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(h) = self.0.take() {
            task::spawn(h.cancel());
        }
    }
}

/// One peer's life: connect, start the reader, carry out commands.
async fn run(
    name: String,
    host: String,
    port: u16,
    inbox: Receiver<Command>,
    events: Sender<WireEvent>,
) {
    let emit = |event: &'static str, args: Vec<Value>| {
        let _ = events.try_send(WireEvent {
            object: name.clone(),
            event,
            args,
        });
    };
    let stream = match TcpStream::connect((host.as_str(), port)).await {
        Ok(s) => s,
        Err(e) => {
            emit("error", vec![error_value(e, "connect")]);
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    emit("connect", vec![]);
    serve(name, stream, inbox, events).await;
}

/// A wire server's accepting: each connection a peer, named and
/// reported.
async fn accept_all(
    name: String,
    listener: async_std::net::TcpListener,
    captures: BTreeMap<usize, String>,
    peers: Peers,
    events: Sender<WireEvent>,
) {
    let mut n = 0;
    while let Ok((stream, _)) = listener.accept().await {
        n += 1;
        let _ = stream.set_nodelay(true);
        let peer_name = captures
            .get(&n)
            .cloned()
            .unwrap_or_else(|| format!("{name}#{n}"));
        let (commands, inbox) = unbounded();
        // In the registry before the script can hear of it (a `wait srv
        // connection as peer` then `peer.write(…)` must find it), and
        // named before anything it reads is reported.
        let mut registry = lock(&peers);
        let _ = events.try_send(WireEvent {
            object: name.clone(),
            event: "connection",
            args: vec![Value::Handle {
                class: "wire.Peer".into(),
                id: peer_name.clone(),
            }],
        });
        let writer = task::spawn(serve(peer_name.clone(), stream, inbox, events.clone()));
        registry.insert(peer_name, Peer { commands, writer });
        drop(registry);
    }
}

/// A connected peer: the reader, and the script's commands in order.
async fn serve(
    name: String,
    mut stream: TcpStream,
    inbox: Receiver<Command>,
    events: Sender<WireEvent>,
) {
    let mut reader = Reader(Some(task::spawn(read_all(
        name.clone(),
        stream.clone(),
        events.clone(),
    ))));
    // A write failed (the server closed first): what the server did is
    // what the reader sees; later writes are dropped, as on a closed
    // socket, but destroy() and reset() still close it.
    let mut broken = false;
    while let Ok(command) = inbox.recv().await {
        if broken
            && matches!(
                command,
                Command::Write(_) | Command::Trickle(..) | Command::End
            )
        {
            continue;
        }
        let written = match command {
            Command::Write(bytes) => stream.write_all(&bytes).await,
            Command::Trickle(bytes, pause) => {
                let mut result = Ok(());
                for (i, b) in bytes.iter().enumerate() {
                    if i > 0 {
                        task::sleep(pause).await;
                    }
                    result = stream.write_all(std::slice::from_ref(b)).await;
                    if result.is_err() {
                        break;
                    }
                }
                result
            }
            Command::End => stream.shutdown(std::net::Shutdown::Write),
            Command::Destroy | Command::Reset => {
                reader.cancel().await;
                if matches!(command, Command::Reset) {
                    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                }
                return;
            }
        };
        broken |= written.is_err();
    }
    // Keep reading until the case ends or the stream does.
    reader.finish().await;
}

/// Reports what arrives: `data` per read, then `end` or `error`.
async fn read_all(name: String, mut stream: TcpStream, events: Sender<WireEvent>) {
    let emit = |event: &'static str, args: Vec<Value>| {
        let _ = events.try_send(WireEvent {
            object: name.clone(),
            event,
            args,
        });
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => {
                emit("end", vec![]);
                return;
            }
            Ok(n) => emit("data", vec![Value::Buffer(buf[..n].to_vec())]),
            Err(e) => {
                emit("error", vec![error_value(e, "read")]);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    async fn next(wire: &Wire) -> WireEvent {
        async_std::future::timeout(Duration::from_secs(5), wire.recv())
            .await
            .expect("an event within 5 s")
    }

    #[test]
    fn a_peer_writes_in_order_half_closes_and_reports_what_it_reads() {
        async_std::task::block_on(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let mut wire = Wire::default();
            wire.connect("raw", &[Value::Number(port.into())]).unwrap();
            wire.call("raw", "write", &[Value::String("ab".into())])
                .unwrap();
            wire.call("raw", "trickle", &[Value::Buffer(b"cd".to_vec())])
                .unwrap();
            wire.call("raw", "end", &[]).unwrap();
            let (mut server, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            server.read_to_end(&mut got).unwrap();
            assert_eq!(got, b"abcd");
            server.write_all(b"hello").unwrap();
            drop(server);
            assert_eq!(next(&wire).await.event, "connect");
            let mut data = Vec::new();
            loop {
                let e = next(&wire).await;
                match (e.event, e.args.as_slice()) {
                    ("data", [Value::Buffer(b)]) => data.extend_from_slice(b),
                    ("end", []) => break,
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert_eq!(data, b"hello");
        });
    }

    #[test]
    fn a_refused_connection_is_an_error_with_its_code() {
        async_std::task::block_on(async {
            let port = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap().port()
            };
            let mut wire = Wire::default();
            wire.connect("raw", &[Value::Number(port.into())]).unwrap();
            let e = next(&wire).await;
            assert_eq!(e.event, "error");
            assert_eq!(
                e.args[0].prop("code"),
                Some(&Value::String("ECONNREFUSED".into()))
            );
            assert!(wire.call("raw", "write", &[Value::Number(1.0)]).is_err());
            assert!(wire.connect("x", &[Value::Number(0.0)]).is_err());
        });
    }

    #[test]
    fn a_wire_server_names_its_connections_by_capture() {
        async_std::task::block_on(async {
            let mut wire = Wire::default();
            wire.listen("srv", BTreeMap::from([(2, "second".to_string())]))
                .unwrap();
            let Some(Value::Number(port)) = wire.property("srv", "port") else {
                panic!("a port")
            };
            let mut first = std::net::TcpStream::connect(("127.0.0.1", port as u16)).unwrap();
            let e = next(&wire).await;
            assert_eq!((e.object.as_str(), e.event), ("srv", "connection"));
            assert_eq!(
                e.args,
                vec![Value::Handle {
                    class: "wire.Peer".into(),
                    id: "srv#1".into()
                }]
            );
            let _second = std::net::TcpStream::connect(("127.0.0.1", port as u16)).unwrap();
            let e = next(&wire).await;
            assert!(matches!(&e.args[0], Value::Handle { id, .. } if id == "second"));
            wire.call("srv#1", "end", &[Value::String("hi".into())])
                .unwrap();
            let mut got = Vec::new();
            first.read_to_end(&mut got).unwrap();
            assert_eq!(got, b"hi");
            assert!(wire.property("srv", "nope").is_none());
            assert!(wire.call("srv", "write", &[]).is_err());
            wire.call("srv", "close", &[]).unwrap();
        });
    }

    /// A script's `wait srv connection as peer` then `peer.write(…)`: the
    /// peer is in the registry by the time its `connection` is reported
    /// (it was not, 305 times in 2,000, before the registry's lock was held
    /// across both).
    #[test]
    fn a_named_connection_is_usable_as_soon_as_it_is_reported() {
        async_std::task::block_on(async {
            for _ in 0..300 {
                let mut wire = Wire::default();
                wire.listen("srv", BTreeMap::from([(1, "peer".to_string())]))
                    .unwrap();
                let Some(Value::Number(port)) = wire.property("srv", "port") else {
                    panic!("a port")
                };
                let _c = std::net::TcpStream::connect(("127.0.0.1", port as u16)).unwrap();
                assert_eq!(next(&wire).await.event, "connection");
                assert!(
                    wire.call("peer", "write", &[Value::String("x".into())])
                        .is_ok()
                );
            }
        });
    }
}

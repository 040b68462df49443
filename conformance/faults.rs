//! The reference under load and faults, on loopback: many connections
//! echoing checksummed random bytes, a peer that resets mid-stream, a peer
//! that never reads, half-open peers, and running out of descriptors (in a
//! child process with `ulimit -n 64`, beside live Node doing the same).
//! After each scenario the process must hold no more descriptors and no
//! more of the crate's tasks than before it.
//!
//! Every scenario stops by itself: counts are fixed and every wait has a
//! deadline, which fails the test with what was missing. No speed is
//! asserted (benchmarks are `scripts/bench-net`'s job).

#[path = "load_support.rs"]
mod load_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "support.rs"]
mod support;
use support::{node, root};

use async_std::future::timeout;
use libtest_mimic::{Arguments, Failed, Trial};
use nodecompat::event_loop::EventLoop;
use nodecompat::events::{Event as _, EventKind as _};
use nodecompat::net::{
    self, ConnectOptions, Emits, ServerEvent, ServerEventKind, ServerOptions, Socket, SocketEvent,
    SocketEventKind,
};

use load_support::*;

/// The child's role: the README's echo server, printing its events.
const CHILD: &str = "NODECOMPAT_FAULTS_CHILD";

fn main() {
    if std::env::var(CHILD).as_deref() == Ok("echo") {
        return echo_child();
    }
    let mut args = Arguments::from_args();
    // Descriptor and task counts are the process's: one scenario at a time.
    args.test_threads = Some(1);
    let node = node();
    let mut trials = vec![
        trial("echo-1000-connections-1mib-checksummed", || {
            run(echo_many(1000, 1 << 20))
        }),
        trial("reset-mid-stream", || run(reset_mid_stream())),
        trial("never-reading-peer", || run(never_reading_peer())),
        trial("half-open-peers", || run(half_open_peers())),
        trial("descriptor-exhaustion/reference", || {
            let mut child = Command::new(std::env::current_exe().expect("own path"));
            child.env(CHILD, "echo");
            exhaustion(child)
        }),
    ];
    let fixture = root().join("fixtures/load/echo-server.js");
    trials.push(match node {
        Some(node) => trial("descriptor-exhaustion/node", move || {
            let mut child = Command::new(&node);
            child.arg(&fixture);
            exhaustion(child)
        }),
        None => Trial::test("descriptor-exhaustion/node", || Ok(()))
            .with_ignored_flag(true)
            .with_kind("needs node on PATH (or NODECOMPAT_NODE); not found"),
    });
    libtest_mimic::run(&args, trials).exit();
}

fn trial(name: &str, f: impl FnOnce() -> Result<(), String> + Send + 'static) -> Trial {
    Trial::test(name, move || f().map_err(Failed::from))
}

fn run(f: impl std::future::Future<Output = Result<(), String>>) -> Result<(), String> {
    async_std::task::block_on(f)
}

/// Opens and closes one connection, so that what the runtime keeps for
/// good (its threads, its poller, the listener's reserve descriptor) is in
/// the baseline.
async fn warm_up() {
    let server = readme_echo_server();
    let port = listen(&server).await;
    let client = net::connect(ConnectOptions::port_host(port, "127.0.0.1"));
    let closed = client.next(SocketEventKind::Close);
    client.end();
    timeout(Duration::from_secs(10), closed)
        .await
        .expect("warm-up");
    close(&server).await;
    drop((server, client));
    // One scenario runs at a time: every task of the crate is the warm-up's,
    // and they end now that nothing holds their objects.
    let deadline = Instant::now() + Duration::from_secs(10);
    while nodecompat::tasks::running() > 0 {
        assert!(Instant::now() < deadline, "the warm-up's tasks did not end");
        async_std::task::sleep(Duration::from_millis(10)).await;
    }
}

// --- many connections ------------------------------------------------------

/// What one client saw: bytes and checksum sent and received, errors.
#[derive(Default)]
struct Transfer {
    sent: usize,
    sent_sum: Checksum,
    received: usize,
    received_sum: Checksum,
    errors: Vec<String>,
    ended: bool,
}

/// `conns` clients at once, each writing `size` random bytes in random
/// write sizes (honouring `write()`'s `false`), then `end()`; each reads
/// its echo back through a backpressured echo server and compares.
async fn echo_many(conns: usize, size: usize) -> Result<(), String> {
    warm_up().await;
    let baseline = held();
    let server = backpressured_echo_server();
    // Kept only to say where a stuck transfer stands.
    let accepted: Arc<Mutex<Vec<Socket>>> = Arc::default();
    let a = accepted.clone();
    server.on(ServerEventKind::Connection, move |_, e| {
        if let ServerEvent::Connection(socket) = e {
            a.lock().unwrap().push(socket.clone());
        }
    });
    let port = listen(&server).await;
    let mut clients = Vec::with_capacity(conns);
    // As in Node's one synchronous stretch, no client emits before its
    // listeners are on: without the turn, a client whose 'connect' came
    // before its listener never wrote (CI saw one hang for 10 min).
    let turn = EventLoop::global().turn().await;
    let (done_tx, done) = async_std::channel::unbounded();
    for i in 0..conns {
        let transfer = Arc::new(Mutex::new(Transfer::default()));
        let rng = Arc::new(Mutex::new(Rng::new(i as u64 + 1)));
        let client = net::connect(ConnectOptions::port_host(port, "127.0.0.1"));
        clients.push((client.clone(), transfer.clone()));
        let pump = {
            let (transfer, rng) = (transfer.clone(), rng.clone());
            move |this: &Socket, _: &SocketEvent| {
                let mut t = transfer.lock().unwrap();
                let mut rng = rng.lock().unwrap();
                while t.sent < size {
                    let mut chunk = vec![0; rng.size(64 * 1024).min(size - t.sent)];
                    rng.fill(&mut chunk);
                    t.sent += chunk.len();
                    t.sent_sum.feed(&chunk);
                    if !this.write(chunk) {
                        return;
                    }
                }
                if !t.ended {
                    t.ended = true;
                    this.end();
                }
            }
        };
        client.on(SocketEventKind::Connect, pump.clone());
        client.on(SocketEventKind::Drain, pump);
        let t = transfer.clone();
        client.on_data(move |_, chunk| {
            let mut t = t.lock().unwrap();
            t.received += chunk.as_bytes().len();
            t.received_sum.feed(chunk.as_bytes());
        });
        let t = transfer.clone();
        client.on(SocketEventKind::Error, move |_, e| {
            if let SocketEvent::Error(err) = e {
                t.lock().unwrap().errors.push(err.code().to_string());
            }
        });
        let done_tx = done_tx.clone();
        client.on(SocketEventKind::Close, move |_, _| {
            let _ = done_tx.try_send((i, transfer.clone()));
        });
    }
    drop(turn);
    let mut problems = Vec::new();
    for closed in 0..conns {
        // A slow machine may take long; one that makes no progress for a
        // minute is stuck.
        let Ok(Ok((i, t))) = timeout(STALL, done.recv()).await else {
            let report = stuck(closed, &clients, &accepted.lock().unwrap());
            // What is left runs on: the later scenarios say so.
            return Err(report);
        };
        let t = t.lock().unwrap();
        if t.sent != size || t.received != size || t.sent_sum.value() != t.received_sum.value() {
            problems.push(format!(
                "client {i}: sent {} bytes, got {} back, checksums {}",
                t.sent,
                t.received,
                if t.sent_sum.value() == t.received_sum.value() {
                    "equal"
                } else {
                    "differ"
                }
            ));
        }
        if !t.errors.is_empty() {
            problems.push(format!("client {i}: errors {:?}", t.errors));
        }
    }
    drop(clients);
    accepted.lock().unwrap().clear();
    close(&server).await;
    drop(server);
    nothing_left(baseline).await?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// How long the echo scenario waits for the next client to close.
const STALL: Duration = Duration::from_secs(60);

/// What a stuck echo run says: how far it got, and where the first open
/// clients and server sockets stand (bytes each way, queues, flow).
fn stuck(closed: usize, clients: &[(Socket, Arc<Mutex<Transfer>>)], accepted: &[Socket]) -> String {
    let mut report = format!(
        "no client closed for {} s: {closed} of {} closed, {} accepted",
        STALL.as_secs(),
        clients.len(),
        accepted.len()
    );
    let open_clients = clients.iter().enumerate().filter(|(_, (c, _))| !c.closed());
    for (i, (client, t)) in open_clients.take(5) {
        let t = t.lock().unwrap();
        report += &format!(
            "\nclient {i}: sent {} got {} ended {} errors {:?}; {}",
            t.sent,
            t.received,
            t.ended,
            t.errors,
            describe(client)
        );
    }
    let open = accepted.iter().filter(|s| !s.closed());
    for socket in open.take(5) {
        report += &format!(
            "\nserver socket for :{}: {}",
            socket.remote_port().unwrap_or(0),
            describe(socket)
        );
    }
    report
}

// --- faults ----------------------------------------------------------------

/// Each accepted socket's events, in order, by the client's port.
type Logs = Arc<Mutex<Vec<(u16, Vec<String>)>>>;

/// A README echo server that also logs what each accepted socket emits.
fn logging_echo_server(options: ServerOptions, echo: bool) -> (net::Server, Logs) {
    let logs: Logs = Arc::default();
    let l = logs.clone();
    let server = net::create_server(options, move |socket| {
        let port = socket.remote_port().unwrap_or(0);
        let at = {
            let mut logs = l.lock().unwrap();
            logs.push((port, Vec::new()));
            logs.len() - 1
        };
        for kind in [
            SocketEventKind::Data,
            SocketEventKind::End,
            SocketEventKind::Finish,
            SocketEventKind::Error,
            SocketEventKind::Close,
        ] {
            let l = l.clone();
            socket.on(kind, move |this, e| {
                let line = match e {
                    SocketEvent::Data(_) => "data".to_string(),
                    SocketEvent::Error(err) => format!("error {}", err.code()),
                    SocketEvent::Close { had_error } => {
                        format!("close {}", had_error.unwrap_or(false))
                    }
                    other => other.kind().name().to_string(),
                };
                let mut logs = l.lock().unwrap();
                let log = &mut logs[at].1;
                // Consecutive 'data' events are one line: how the bytes
                // were split is the kernel's business.
                if !(line == "data" && log.last().is_some_and(|l| l == "data")) {
                    log.push(line);
                }
                if let (true, SocketEvent::Data(chunk)) = (echo, e) {
                    this.write(chunk.as_bytes());
                }
            });
        }
    });
    (server, logs)
}

fn log_of(logs: &Logs, port: u16) -> Vec<String> {
    logs.lock()
        .unwrap()
        .iter()
        .find(|(p, _)| *p == port)
        .map(|(_, l)| l.clone())
        .unwrap_or_default()
}

/// Waits (up to 10 s) for a socket's log to end with `'close'`.
async fn closed_log(logs: &Logs, port: u16) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = log_of(logs, port);
        if log.last().is_some_and(|l| l.starts_with("close")) {
            return Ok(log);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the server's socket for :{port} never closed: {log:?}"
            ));
        }
        async_std::task::sleep(Duration::from_millis(10)).await;
    }
}

fn local_port(s: &TcpStream) -> u16 {
    s.local_addr().expect("local address").port()
}

/// A peer that resets after an exchange: its server socket gets
/// `ECONNRESET` then `'close'` with `hadError`, and a connection beside it
/// echoes all its bytes.
async fn reset_mid_stream() -> Result<(), String> {
    warm_up().await;
    let baseline = held();
    let (server, logs) = logging_echo_server(ServerOptions::default(), true);
    let port = listen(&server).await;
    let (reset_port, healthy_port, healthy) = async_std::task::spawn_blocking(move || {
        let mut healthy = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut reset = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        healthy.write_all(&payload[..100_000]).expect("write");
        reset.write_all(b"abc").expect("write");
        let mut echo = [0; 3];
        reset
            .read_exact(&mut echo)
            .expect("the echo before the reset");
        socket2::SockRef::from(&reset)
            .set_linger(Some(Duration::ZERO))
            .expect("SO_LINGER 0");
        let reset_port = local_port(&reset);
        drop(reset); // RST
        healthy.write_all(&payload[100_000..]).expect("write");
        healthy.shutdown(Shutdown::Write).expect("FIN");
        let mut back = Vec::new();
        healthy.read_to_end(&mut back).expect("read the echo");
        (reset_port, local_port(&healthy), back == payload)
    })
    .await;
    let reset_log = closed_log(&logs, reset_port).await?;
    let healthy_log = closed_log(&logs, healthy_port).await?;
    close(&server).await;
    drop(server);
    nothing_left(baseline).await?;
    let mut problems = Vec::new();
    if reset_log != ["data", "error ECONNRESET", "close true"] {
        problems.push(format!("the reset peer's socket: {reset_log:?}"));
    }
    if healthy_log != ["data", "end", "finish", "close false"] {
        problems.push(format!("the healthy peer's socket: {healthy_log:?}"));
    }
    if !healthy {
        problems.push("the healthy peer did not get its 200,000 bytes back".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// A peer that reads nothing while the server writes 32 MiB honouring
/// `write()`'s `false`: the server's queue stays under the high-water mark
/// plus one chunk while the kernel's buffers are full; once the peer
/// reads, every byte arrives.
async fn never_reading_peer() -> Result<(), String> {
    const TOTAL: usize = 32 << 20;
    const CHUNK: usize = 64 * 1024;
    warm_up().await;
    let baseline = held();
    let accepted: Arc<Mutex<Option<Socket>>> = Arc::default();
    let a = accepted.clone();
    let server = net::create_server(ServerOptions::default(), move |socket| {
        *a.lock().unwrap() = Some(socket.clone());
        let written = Arc::new(Mutex::new(0usize));
        let pump = move |this: &Socket, _: &SocketEvent| {
            let mut written = written.lock().unwrap();
            while *written < TOTAL {
                *written += CHUNK;
                if !this.write(vec![7u8; CHUNK]) {
                    return;
                }
            }
            this.end();
        };
        pump(socket, &SocketEvent::Ready);
        socket.on(SocketEventKind::Drain, pump);
    });
    let port = listen(&server).await;
    let peer = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    // Wait until the writer is stuck: bytes_written unchanged for 500 ms.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = (u64::MAX, Instant::now());
    let queued = loop {
        async_std::task::sleep(Duration::from_millis(50)).await;
        let socket = accepted.lock().unwrap().clone();
        let Some(socket) = socket else { continue };
        let written = socket.bytes_written();
        if written != last.0 {
            last = (written, Instant::now());
        } else if last.1.elapsed() > Duration::from_millis(500) {
            break socket.writable_length();
        }
        if Instant::now() > deadline {
            return Err("the writer never stalled against a peer that reads nothing".into());
        }
    };
    let bound = 16 * 1024 + CHUNK;
    let received = async_std::task::spawn_blocking(move || {
        let mut peer = peer;
        let mut buf = vec![0; 1 << 16];
        let mut total = 0;
        loop {
            match peer.read(&mut buf) {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n,
            }
        }
    })
    .await;
    *accepted.lock().unwrap() = None;
    close(&server).await;
    drop(server);
    nothing_left(baseline).await?;
    if queued > bound {
        return Err(format!(
            "{queued} bytes queued in the stalled writer (bound {bound})"
        ));
    }
    if received != TOTAL {
        return Err(format!("the peer got {received} of {TOTAL} bytes"));
    }
    Ok(())
}

/// Half-open peers: with `allowHalfOpen`, a server socket whose peer ended
/// still writes, then ends; without, it ends by itself after echoing what
/// came before the FIN.
async fn half_open_peers() -> Result<(), String> {
    warm_up().await;
    let baseline = held();
    let mut problems = Vec::new();
    for allow_half_open in [true, false] {
        let options = ServerOptions {
            allow_half_open,
            ..ServerOptions::default()
        };
        let (server, logs) = logging_echo_server(options, !allow_half_open);
        if allow_half_open {
            // Answer the peer's FIN with one more write, then end.
            server.on(ServerEventKind::Connection, |_, e| {
                if let ServerEvent::Connection(socket) = e {
                    socket.on(SocketEventKind::End, |this, _| {
                        this.write(&b"after your end"[..]);
                        this.end();
                    });
                }
            });
        }
        let port = listen(&server).await;
        let (peer_port, got) = async_std::task::spawn_blocking(move || {
            let mut peer = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            peer.write_all(b"hello").expect("write");
            peer.shutdown(Shutdown::Write).expect("FIN");
            let mut got = Vec::new();
            peer.read_to_end(&mut got).expect("read");
            (local_port(&peer), got)
        })
        .await;
        let log = closed_log(&logs, peer_port).await?;
        close(&server).await;
        drop(server);
        let (want_bytes, want_log): (&[u8], &[&str]) = if allow_half_open {
            (b"after your end", &["data", "end", "finish", "close false"])
        } else {
            (b"hello", &["data", "end", "finish", "close false"])
        };
        if got != want_bytes || log != want_log {
            problems.push(format!(
                "allowHalfOpen {allow_half_open}: the peer got {:?}, the server's socket emitted {log:?}",
                String::from_utf8_lossy(&got)
            ));
        }
    }
    nothing_left(baseline).await?;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

// --- descriptor exhaustion ---------------------------------------------------

/// The child: the README's echo server, printing `port N` and the events
/// Node's fixture prints (`fixtures/load/echo-server.js`).
fn echo_child() {
    async_std::task::block_on(async {
        let server = readme_echo_server();
        for kind in [
            ServerEventKind::Listening,
            ServerEventKind::Error,
            ServerEventKind::Drop,
            ServerEventKind::Close,
        ] {
            server.on(kind, |_, e| match e {
                ServerEvent::Error(err) => println!("error {}", err.code()),
                other => println!("{}", other.kind().name()),
            });
        }
        let port = listen(&server).await;
        println!("port {port}");
        server.next(ServerEventKind::Close).await;
    });
}

/// A child process killed when dropped (no process left behind).
struct Spawned(Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// CPU time a process used, in clock ticks (utime + stime).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// One client's exchange: `Some(true)` echoed, `Some(false)` closed by the
/// server without an answer, `None` anything else.
fn exchange(stream: &mut TcpStream, i: usize) -> Option<bool> {
    let message = format!("hello {i}\n");
    if stream.write_all(message.as_bytes()).is_err() {
        return Some(false);
    }
    let mut got = Vec::new();
    let mut buf = [0; 64];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return if got.is_empty() { Some(false) } else { None },
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                if got.ends_with(b"\n") {
                    return (got == message.as_bytes()).then_some(true);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(false),
            Err(_) => return None,
        }
    }
}

/// The README's echo server under `ulimit -n 64` with 100 clients at once:
/// some are served, the rest closed (libuv's reserve-descriptor trick);
/// once the clients leave, the server holds what it held before, uses no
/// CPU, and serves a new client; it emits nothing but `'listening'`.
fn exhaustion(mut server: Command) -> Result<(), String> {
    let program = format!("{:?}", server.get_program());
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" \"$@\"")
        .arg(server.get_program())
        .args(server.get_args())
        .envs(server.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let _ = &mut server;
    let mut child = Spawned(shell.spawn().map_err(|e| format!("{program}: {e}"))?);
    let pid = child.0.id();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let stdout = child.0.stdout.take().expect("piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut events = Vec::new();
    let port = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| format!("{program} printed no port"))?;
        match line.strip_prefix("port ") {
            Some(p) => break p.parse::<u16>().map_err(|e| e.to_string())?,
            None => events.push(line),
        }
    };
    let before = descriptors(&pid.to_string());
    let mut clients: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(("127.0.0.1", port)))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("connect: {e}"))?;
    let (mut served, mut shed) = (0, 0);
    for (i, c) in clients.iter_mut().enumerate() {
        c.set_read_timeout(Some(Duration::from_secs(10))).ok();
        match exchange(c, i) {
            Some(true) => served += 1,
            Some(false) => shed += 1,
            None => return Err(format!("client {i} was neither echoed nor closed")),
        }
    }
    eprintln!("{program} under ulimit -n 64: {served} of 100 clients served, {shed} closed");
    // Idle while still out of descriptors, the served clients connected:
    // /proc counts in USER_HZ (100 per second) on Linux.
    let t0 = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(1));
    let busy_exhausted = cpu_ticks(pid) - t0;
    drop(clients);
    let deadline = Instant::now() + Duration::from_secs(10);
    while descriptors(&pid.to_string()) > before {
        if Instant::now() > deadline {
            return Err(format!(
                "the server holds {} descriptors after the clients left ({before} before)",
                descriptors(&pid.to_string())
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let t0 = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(1));
    let busy = cpu_ticks(pid) - t0;
    let mut fresh = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    fresh.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let recovered = exchange(&mut fresh, 100) == Some(true);
    drop(fresh);
    drop(child);
    events.extend(lines.try_iter());
    let mut problems = Vec::new();
    if served == 0 {
        problems.push("no client was served".to_string());
    }
    if busy_exhausted > 10 {
        problems.push(format!(
            "used {busy_exhausted}0 ms of CPU in 1 s out of descriptors"
        ));
    }
    if busy > 10 {
        problems.push(format!("used {busy}0 ms of CPU in 1 s with no client"));
    }
    if !recovered {
        problems.push("a client after the others left was not served".into());
    }
    if events != ["listening"] {
        problems.push(format!("emitted {events:?}; Node emits only 'listening'"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

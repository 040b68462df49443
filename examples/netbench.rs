//! The reference implementation's side of `scripts/bench-net`: one program,
//! a role per invocation. `scripts/netbench.js` is the same program for
//! Node, with the same roles, arguments and output.
//!
//! ```text
//! netbench server echo                        echoes, pausing while write() is false
//! netbench server greet                       writes one byte to each connection
//! netbench server hold N                      holds connections, reports reaching N and 0
//! netbench client echo PORT BYTES CONNS       BYTES in all, over CONNS connections → MiB/s
//! netbench client connect PORT COUNT PARALLEL connect, greeting, close, COUNT times → conn/s
//! netbench client pingpong PORT ROUNDS        1-byte round trips → round trips/s
//! netbench client hold PORT N                 on "connect" opens N idle connections,
//!                                             on "close" closes them (commands on stdin,
//!                                             as many rounds as asked)
//! ```
//!
//! Servers listen on 127.0.0.1, port 0, and print `{"port":P}`. Every role
//! prints its figures as JSON lines on stdout, fails with a message on
//! stderr and exit status 1 when anything is off (an error event, a wrong
//! byte count, a byte that differs from what was sent), and exits when its
//! stdin ends, so that nothing outlives the orchestrator.
//!
//! `cargo build --release --examples`, then `target/release/examples/netbench`.
#[path = "support/mod.rs"]
mod support;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use support::{emit, fail};

use async_std::channel::{Receiver, Sender, unbounded};
use async_std::io::BufReader;
use async_std::prelude::*;
use nodecompat::net::{
    self, ConnectOptions, Emits, ListenOptions, Server, ServerAddress, ServerEvent,
    ServerEventKind, ServerOptions, Socket, SocketEvent, SocketEventKind, SocketOptions,
};
use serde_json::json;

/// The size of each write of the echo client.
const CHUNK: usize = 64 * 1024;
/// The period of the byte stream the echo client sends: a prime, so that a
/// chunk delivered twice or out of order does not match where it lands.
const PERIOD: usize = 65_521;
/// Connection attempts in flight while the hold client opens its
/// connections (below the servers' backlog of 511).
const HOLD_PARALLEL: usize = 200;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let stdin = stdin_lines();
    async_std::task::block_on(async move {
        match args.as_slice() {
            ["server", "echo"] => server_echo().await,
            ["server", "greet"] => server_greet().await,
            ["server", "hold", n] => server_hold(number(n)).await,
            ["client", "echo", port, bytes, conns] => {
                client_echo(number(port), number(bytes), number(conns)).await
            }
            ["client", "connect", port, count, parallel] => {
                client_connect(number(port), number(count), number(parallel)).await
            }
            ["client", "pingpong", port, rounds] => {
                client_pingpong(number(port), number(rounds)).await
            }
            ["client", "hold", port, n] => client_hold(number(port), number(n), stdin).await,
            _ => fail(&format!(
                "usage: netbench server echo|greet|hold N, or netbench client \
                 echo PORT BYTES CONNS|connect PORT COUNT PARALLEL|pingpong PORT ROUNDS|hold PORT N \
                 (got {args:?})"
            )),
        }
    });
}

// --- plumbing ----------------------------------------------------------------

fn number<T: std::str::FromStr>(text: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| fail(&format!("not a number: {text:?}")))
}

/// The lines of stdin, as commands. When stdin is a pipe or a socket (as
/// the orchestrator makes it), the process exits when it ends: when the
/// orchestrator does, however it ended.
fn stdin_lines() -> Receiver<String> {
    use std::os::unix::fs::FileTypeExt;
    let piped = std::fs::metadata("/proc/self/fd/0").is_ok_and(|m| {
        let kind = m.file_type();
        kind.is_fifo() || kind.is_socket()
    });
    let (tx, rx) = unbounded();
    async_std::task::spawn(async move {
        let mut lines = BufReader::new(async_std::io::stdin()).lines();
        while let Some(Ok(line)) = lines.next().await {
            let _ = tx.send(line.trim().to_string()).await;
        }
        if piped {
            std::process::exit(0);
        }
    });
    rx
}

/// Fails unless the soft limit of open files leaves room for `n`
/// connections (`ulimit -n`; the orchestrator raises it to the hard limit).
fn check_fd_limit(n: usize) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|s| s.parse::<usize>().ok());
    if let Some(soft) = soft
        && soft < n + 64
    {
        fail(&format!(
            "{n} connections need more open files than the limit of {soft}: raise `ulimit -n`"
        ));
    }
}

fn elapsed_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// The stream the echo client sends: byte `i` is `bytes[i % PERIOD]`.
struct Pattern {
    /// One period, followed by its first `CHUNK` bytes again, so that any
    /// window of up to `CHUNK` bytes is one slice.
    bytes: Vec<u8>,
}

impl Pattern {
    fn new() -> Pattern {
        // xorshift32, as in netbench.js.
        let mut x: u32 = 0x2545_f491;
        let period: Vec<u8> = (0..PERIOD)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        let bytes = (0..PERIOD + CHUNK).map(|i| period[i % PERIOD]).collect();
        Pattern { bytes }
    }

    /// Bytes `pos..pos + len` of the stream (`len <= CHUNK`).
    fn window(&self, pos: u64, len: usize) -> &[u8] {
        let start = (pos % PERIOD as u64) as usize;
        &self.bytes[start..start + len]
    }

    /// Whether `data` is the stream from `pos` on.
    fn matches(&self, mut pos: u64, mut data: &[u8]) -> bool {
        while !data.is_empty() {
            let n = data.len().min(CHUNK);
            if data[..n] != *self.window(pos, n) {
                return false;
            }
            pos += n as u64;
            data = &data[n..];
        }
        true
    }
}

// --- servers -------------------------------------------------------------------

/// Listens on 127.0.0.1 with an OS-chosen port, prints it, and serves until
/// stdin ends.
async fn serve(server: Server) {
    server.on(ServerEventKind::Error, |_, e| {
        if let ServerEvent::Error(err) = e {
            fail(&format!("server error: {err}"));
        }
    });
    // Subscribed before listen(), so 'listening' cannot be missed.
    let listening = server.next(ServerEventKind::Listening);
    if let Err(err) = server.listen(ListenOptions::port_host(0, "127.0.0.1")) {
        fail(&format!("listen: {err}"));
    }
    listening.await;
    let Some(ServerAddress::Inet(address)) = server.address() else {
        fail("the server has no TCP address");
    };
    emit(json!({ "port": address.port }));
    // The process ends when stdin does.
    std::future::pending::<()>().await;
}

/// Errors of a server's connection (a client that resets) are not the
/// server's failure: the client reports what went wrong.
fn ignore_errors(socket: &Socket) {
    socket.on(SocketEventKind::Error, |_, _| {});
}

/// Echoes every byte back; while write() returns false the socket is paused,
/// and 'drain' resumes it. The peer's end ends the connection
/// (`allowHalfOpen` false).
async fn server_echo() {
    let options = ServerOptions {
        no_delay: true,
        ..ServerOptions::default()
    };
    let server = net::create_server(options, |socket| {
        ignore_errors(socket);
        socket.on_data(|this, chunk| {
            if !this.write(chunk.as_bytes()) {
                this.pause();
            }
        });
        socket.on(SocketEventKind::Drain, |this, _| {
            this.resume();
        });
    });
    serve(server).await;
}

/// Writes one byte to each connection it accepts (the client's proof that
/// the server saw it), and reads until the client closes.
async fn server_greet() {
    let server = net::create_server(ServerOptions::default(), |socket| {
        ignore_errors(socket);
        socket.write(b"!".as_slice());
        socket.resume();
    });
    serve(server).await;
}

/// Holds every connection; prints `{"connections":N}` once it has `n` open
/// at once, and `{"connections":0}` once they have all closed again.
async fn server_hold(n: usize) {
    check_fd_limit(n);
    struct Count {
        open: AtomicUsize,
        reached: AtomicBool,
    }
    let count = Arc::new(Count {
        open: AtomicUsize::new(0),
        reached: AtomicBool::new(false),
    });
    let server = net::create_server(ServerOptions::default(), move |socket| {
        ignore_errors(socket);
        socket.on_data(|_, _| {});
        let open = count.open.fetch_add(1, Ordering::SeqCst) + 1;
        if open == n {
            count.reached.store(true, Ordering::SeqCst);
            emit(json!({ "connections": open }));
        }
        let count = count.clone();
        socket.on(SocketEventKind::Close, move |_, _| {
            let open = count.open.fetch_sub(1, Ordering::SeqCst) - 1;
            if open == 0 && count.reached.swap(false, Ordering::SeqCst) {
                emit(json!({ "connections": 0 }));
            }
        });
    });
    serve(server).await;
}

// --- clients -------------------------------------------------------------------

fn connect_to(socket: &Socket, port: u16) {
    socket.connect(ConnectOptions::port_host(port, "127.0.0.1"));
}

fn fail_on_error(socket: &Socket, what: &'static str) {
    socket.on(SocketEventKind::Error, move |_, e| {
        if let SocketEvent::Error(err) = e {
            fail(&format!("{what}: {err}"));
        }
    });
}

/// One echo connection's progress.
struct Echo {
    /// Bytes this connection sends, and expects back.
    total: u64,
    sent: u64,
    received: u64,
    ended: bool,
}

/// Writes the next chunks until write() returns false (then 'drain' calls
/// again) or everything is written (then end()).
fn pump(this: &Socket, echo: &Mutex<Echo>, pattern: &Pattern) {
    let mut echo = echo.lock().unwrap();
    while echo.sent < echo.total {
        let len = (echo.total - echo.sent).min(CHUNK as u64) as usize;
        let data = pattern.window(echo.sent, len).to_vec();
        echo.sent += len as u64;
        if !this.write(data) {
            return;
        }
    }
    if !echo.ended {
        echo.ended = true;
        this.end();
    }
}

/// Sends `bytes` in all over `conns` connections at once, each its share in
/// 64 KiB writes honouring write()'s false and 'drain', and reads it all
/// back, checking every byte. Figure: MiB echoed per second, from the
/// first connect() to the last connection's 'end'.
async fn client_echo(port: u16, bytes: u64, conns: u64) {
    if conns == 0 || bytes < conns {
        fail("client echo needs at least one connection and one byte per connection");
    }
    let pattern = Arc::new(Pattern::new());
    let (done_tx, done_rx) = unbounded::<()>();
    let start = Instant::now();
    for i in 0..conns {
        let total = bytes / conns + u64::from(i < bytes % conns);
        let echo = Arc::new(Mutex::new(Echo {
            total,
            sent: 0,
            received: 0,
            ended: false,
        }));
        let socket = Socket::new(SocketOptions::default());
        fail_on_error(&socket, "echo client");
        for kind in [SocketEventKind::Connect, SocketEventKind::Drain] {
            let (echo, pattern) = (echo.clone(), pattern.clone());
            socket.on(kind, move |this, _| pump(this, &echo, &pattern));
        }
        {
            let (echo, pattern) = (echo.clone(), pattern.clone());
            socket.on_data(move |_, chunk| {
                let data = chunk.as_bytes();
                let mut echo = echo.lock().unwrap();
                if echo.received + data.len() as u64 > echo.total {
                    fail("the echo sent back more bytes than were sent");
                }
                if !pattern.matches(echo.received, data) {
                    fail(&format!(
                        "echoed bytes differ from those sent, at or after byte {}",
                        echo.received
                    ));
                }
                echo.received += data.len() as u64;
            });
        }
        let done_tx = done_tx.clone();
        socket.on(SocketEventKind::End, move |_, _| {
            let echo = echo.lock().unwrap();
            if echo.received != echo.total {
                fail(&format!(
                    "the echo ended after {} of {} bytes",
                    echo.received, echo.total
                ));
            }
            let _ = done_tx.try_send(());
        });
        connect_to(&socket, port);
    }
    for _ in 0..conns {
        let _ = done_rx.recv().await;
    }
    let seconds = elapsed_since(start);
    emit(json!({
        "connections": conns,
        "bytes": bytes,
        "seconds": seconds,
        "value": bytes as f64 / (1024.0 * 1024.0) / seconds,
        "unit": "MiB/s",
    }));
    std::process::exit(0);
}

/// The connection-rate client's shared state.
struct Rate {
    port: u16,
    count: usize,
    /// Attempts started (may run past `count`: those are not made).
    started: AtomicUsize,
    done: AtomicUsize,
    finished: Sender<()>,
}

/// One attempt: connect, wait for 'connect' and the server's greeting byte,
/// destroy(), and on 'close' start the next attempt.
fn attempt(rate: &Arc<Rate>) {
    let socket = Socket::new(SocketOptions::default());
    // ('connect' seen, greeting bytes received)
    let progress = Arc::new(Mutex::new((false, 0usize)));
    fail_on_error(&socket, "connect client");
    {
        let progress = progress.clone();
        socket.on(SocketEventKind::Connect, move |this, _| {
            let mut p = progress.lock().unwrap();
            p.0 = true;
            if p.1 == 1 {
                this.destroy(None);
            }
        });
    }
    {
        let progress = progress.clone();
        socket.on_data(move |this, chunk| {
            let mut p = progress.lock().unwrap();
            p.1 += chunk.as_bytes().len();
            if p.1 != 1 || chunk.as_bytes() != b"!" {
                fail("the greeting is not the one byte \"!\"");
            }
            if p.0 {
                this.destroy(None);
            }
        });
    }
    let rate_of_close = rate.clone();
    socket.on(SocketEventKind::Close, move |_, _| {
        if *progress.lock().unwrap() != (true, 1) {
            fail("a connection closed before its 'connect' and greeting");
        }
        let rate = &rate_of_close;
        let done = rate.done.fetch_add(1, Ordering::SeqCst) + 1;
        if done == rate.count {
            let _ = rate.finished.try_send(());
        } else if rate.started.fetch_add(1, Ordering::SeqCst) < rate.count {
            attempt(rate);
        }
    });
    connect_to(&socket, rate.port);
}

/// Makes `count` connections, `parallel` in flight at a time. Figure:
/// connections per second.
async fn client_connect(port: u16, count: usize, parallel: usize) {
    if count == 0 || parallel == 0 {
        fail("client connect needs a count and a parallelism of at least 1");
    }
    let (finished, finished_rx) = unbounded();
    let rate = Arc::new(Rate {
        port,
        count,
        started: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        finished,
    });
    let start = Instant::now();
    for _ in 0..parallel.min(count) {
        rate.started.fetch_add(1, Ordering::SeqCst);
        attempt(&rate);
    }
    let _ = finished_rx.recv().await;
    let seconds = elapsed_since(start);
    emit(json!({
        "connections": count,
        "parallel": parallel,
        "seconds": seconds,
        "value": count as f64 / seconds,
        "unit": "conn/s",
    }));
    std::process::exit(0);
}

/// The ping-pong client's progress.
struct PingPong {
    rounds: u64,
    sent: u64,
    received: u64,
}

/// The byte of round `i`.
fn ping_byte(i: u64) -> u8 {
    (i % 251) as u8
}

/// Sends one byte, waits for it to come back, `rounds` times, with Nagle
/// off on both sides. Figure: round trips per second, from connect() on.
async fn client_pingpong(port: u16, rounds: u64) {
    if rounds == 0 {
        fail("client pingpong needs at least one round");
    }
    let (done_tx, done_rx) = unbounded::<()>();
    let state = Arc::new(Mutex::new(PingPong {
        rounds,
        sent: 0,
        received: 0,
    }));
    let socket = Socket::new(SocketOptions {
        no_delay: true,
        ..SocketOptions::default()
    });
    fail_on_error(&socket, "pingpong client");
    {
        let state = state.clone();
        socket.on(SocketEventKind::Connect, move |this, _| {
            let mut s = state.lock().unwrap();
            this.write(vec![ping_byte(0)]);
            s.sent = 1;
        });
    }
    socket.on_data(move |this, chunk| {
        let mut s = state.lock().unwrap();
        for &byte in chunk.as_bytes() {
            if s.received == s.sent || byte != ping_byte(s.received) {
                fail("the pong is not the byte sent");
            }
            s.received += 1;
        }
        if s.received == s.sent {
            if s.sent < s.rounds {
                this.write(vec![ping_byte(s.sent)]);
                s.sent += 1;
            } else {
                let _ = done_tx.try_send(());
            }
        }
    });
    let start = Instant::now();
    connect_to(&socket, port);
    let _ = done_rx.recv().await;
    let seconds = elapsed_since(start);
    emit(json!({
        "round_trips": rounds,
        "seconds": seconds,
        "value": rounds as f64 / seconds,
        "unit": "rt/s",
    }));
    std::process::exit(0);
}

/// The hold client's shared state.
struct Hold {
    port: u16,
    n: usize,
    started: AtomicUsize,
    connected: AtomicUsize,
    closed: AtomicUsize,
    sockets: Mutex<Vec<Socket>>,
    all_connected: Sender<()>,
    all_closed: Sender<()>,
}

/// Opens one idle connection (it reads, and sends nothing); once it is
/// connected, the next one starts.
fn hold_one(hold: &Arc<Hold>) {
    let socket = Socket::new(SocketOptions::default());
    fail_on_error(&socket, "hold client");
    socket.on_data(|_, _| {});
    {
        let hold = hold.clone();
        socket.on(SocketEventKind::Connect, move |_, _| {
            let connected = hold.connected.fetch_add(1, Ordering::SeqCst) + 1;
            if connected == hold.n {
                let _ = hold.all_connected.try_send(());
            } else if hold.started.fetch_add(1, Ordering::SeqCst) < hold.n {
                hold_one(&hold);
            }
        });
    }
    {
        let hold = hold.clone();
        socket.on(SocketEventKind::Close, move |_, _| {
            if hold.closed.fetch_add(1, Ordering::SeqCst) + 1 == hold.n {
                let _ = hold.all_closed.try_send(());
            }
        });
    }
    connect_to(&socket, hold.port);
    hold.sockets.lock().unwrap().push(socket);
}

/// Prints `{"event":"ready"}`; then, round after round, on the command
/// `connect` opens `n` idle connections (200 attempts in flight) and prints
/// `{"event":"connected"}` once all are, and on `close` destroys them all
/// and prints `{"event":"closed"}` once every one emitted 'close'. The
/// orchestrator reads this process's memory in between.
async fn client_hold(port: u16, n: usize, commands: Receiver<String>) {
    check_fd_limit(n);
    if n == 0 {
        fail("client hold needs at least one connection");
    }
    emit(json!({ "event": "ready" }));
    loop {
        expect_command(&commands, "connect").await;
        let (all_connected, connected_rx) = unbounded();
        let (all_closed, closed_rx) = unbounded();
        let hold = Arc::new(Hold {
            port,
            n,
            started: AtomicUsize::new(0),
            connected: AtomicUsize::new(0),
            closed: AtomicUsize::new(0),
            sockets: Mutex::new(Vec::new()),
            all_connected,
            all_closed,
        });
        let start = Instant::now();
        for _ in 0..HOLD_PARALLEL.min(n) {
            hold.started.fetch_add(1, Ordering::SeqCst);
            hold_one(&hold);
        }
        let _ = connected_rx.recv().await;
        emit(json!({
            "event": "connected",
            "connections": n,
            "seconds": elapsed_since(start),
        }));
        expect_command(&commands, "close").await;
        let sockets = std::mem::take(&mut *hold.sockets.lock().unwrap());
        for socket in &sockets {
            socket.destroy(None);
        }
        drop(sockets);
        let _ = closed_rx.recv().await;
        emit(json!({ "event": "closed" }));
    }
}

async fn expect_command(commands: &Receiver<String>, expected: &str) {
    match commands.recv().await {
        Ok(command) if command == expected => {}
        other => fail(&format!("expected the command {expected:?}, got {other:?}")),
    }
}

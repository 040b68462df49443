//! The load generator of `scripts/bench-http`: the same program against
//! both servers (examples/httpbench.rs and scripts/httpbench.js), so that it
//! does not bias their ratio. Raw TCP on async-std, no HTTP library.
//!
//! ```text
//! httpload PORT [--connections N] [--depth D] [--warmup S] [--duration S] [--quick]
//! ```
//!
//! Opens N keep-alive connections to 127.0.0.1:PORT (50 by default), Nagle
//! off. Each connection, closed-loop: writes D requests
//! `GET / HTTP/1.1\r\nHost: x\r\n\r\n` in one write (1 by default; more is
//! pipelining), reads until all D responses are complete, and starts over.
//! Each response is parsed just enough to be counted: its status line must
//! be `HTTP/1.1 200 …`, its head ends at `\r\n\r\n`, and its body is the
//! `Content-Length` bytes after it, which must be `hello`. Anything else (a
//! closed connection, `Transfer-Encoding`, `Connection: close`, an extra
//! byte) fails the run loudly: a message on stderr and exit status 1.
//!
//! Timeline: every connection open, then S seconds of warm-up (0.5; 0.2
//! with --quick), then the measured window (3 s; 1 s with --quick). It
//! prints two JSON lines on stdout: `{"event":"measuring"}` when the window
//! opens (the orchestrator reads the processes' CPU time then), and the
//! result when it closes: responses completed in the window, its length,
//! responses/s (`value`), the reads that returned data and the head of the
//! first response. Then it stops sending, and exits when stdin (a pipe from
//! the orchestrator) ends, so that the orchestrator can still read its CPU
//! time; when stdin is not a pipe it exits at once.
//!
//! Every connection runs on the thread that runs `main` (`spawn_local`): the
//! load generator uses one core of the machine whatever the number of
//! connections, and leaves the rest to the server it measures.
//!
//! `cargo build --release --examples`, then `target/release/examples/httpload`.
#[path = "support/mod.rs"]
mod support;
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};
use support::{emit, fail};

use async_std::io::{ReadExt, WriteExt};
use async_std::net::TcpStream;
use serde_json::json;

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
/// The body every response must have.
const BODY: &[u8] = b"hello";
/// A response head longer than this is not the one expected.
const MAX_HEAD: usize = 8 * 1024;
/// The size of each read.
const READ_SIZE: usize = 64 * 1024;

struct Options {
    port: u16,
    connections: usize,
    depth: usize,
    warmup: f64,
    duration: f64,
}

fn usage(message: &str) -> ! {
    fail(&format!(
        "{message}\nusage: httpload PORT [--connections N] [--depth D] [--warmup S] \
         [--duration S] [--quick]"
    ))
}

fn parse<T: std::str::FromStr>(what: &str, text: Option<&String>) -> T {
    let Some(text) = text else {
        usage(&format!("{what} needs a value"));
    };
    text.parse()
        .unwrap_or_else(|_| usage(&format!("{what}: not a number: {text:?}")))
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut port = None;
    let (mut connections, mut depth) = (50, 1);
    let (mut warmup, mut duration) = (None, None);
    let mut quick = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--connections" => connections = parse(arg, it.next()),
            "--depth" => depth = parse(arg, it.next()),
            "--warmup" => warmup = Some(parse::<f64>(arg, it.next())),
            "--duration" => duration = Some(parse::<f64>(arg, it.next())),
            "--quick" => quick = true,
            _ if port.is_none() && !arg.starts_with('-') => port = Some(parse("PORT", Some(arg))),
            _ => usage(&format!("unknown argument {arg:?}")),
        }
    }
    let Some(port) = port else {
        usage("no PORT");
    };
    let options = Options {
        port,
        connections,
        depth,
        warmup: warmup.unwrap_or(if quick { 0.2 } else { 0.5 }),
        duration: duration.unwrap_or(if quick { 1.0 } else { 3.0 }),
    };
    if options.connections == 0 || options.depth == 0 {
        usage("--connections and --depth must be at least 1");
    }
    if !(options.duration > 0.0 && options.warmup >= 0.0) {
        usage("--duration must be above 0 and --warmup at least 0");
    }
    options
}

/// Whether stdin is a pipe or a socket (as the orchestrator makes it).
fn stdin_piped() -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata("/proc/self/fd/0").is_ok_and(|m| {
        let kind = m.file_type();
        kind.is_fifo() || kind.is_socket()
    })
}

/// Counters shared by every connection (all on one thread).
#[derive(Default)]
struct Stats {
    /// Complete, checked responses since the start.
    responses: Cell<u64>,
    /// Reads that returned bytes.
    reads: Cell<u64>,
    /// The window closed: each connection stops after its batch.
    stop: Cell<bool>,
    /// The head of the first response, for the record.
    sample: std::cell::RefCell<Option<String>>,
}

/// The position of the first `\r\n\r\n` in `bytes`.
fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Parses one response at the start of `bytes`: `Ok(Some(length))` once it
/// is complete (and as expected), `Ok(None)` while bytes are missing, an
/// error for anything else.
fn parse_response(bytes: &[u8]) -> Result<Option<(usize, usize)>, String> {
    let Some(end) = head_end(bytes) else {
        if bytes.len() > MAX_HEAD {
            return Err(format!("no end of the head in {} bytes", bytes.len()));
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(&bytes[..end])
        .map_err(|_| "a response head that is not UTF-8".to_string())?;
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    if !status.starts_with("HTTP/1.1 200 ") {
        return Err(format!("a response that is not 200: {status:?}"));
    }
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("a header line without a colon: {line:?}"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            if length.is_some() {
                return Err("two Content-Length headers".into());
            }
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("a Content-Length that is not a number: {value:?}"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(format!("a response with Transfer-Encoding: {value}"));
        } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
            return Err("a response with Connection: close".into());
        }
    }
    let Some(length) = length else {
        return Err(format!("a response without Content-Length: {head:?}"));
    };
    let body_start = end + 4;
    if bytes.len() < body_start + length {
        return Ok(None);
    }
    let body = &bytes[body_start..body_start + length];
    if body != BODY {
        return Err(format!(
            "a body that is not \"hello\": {:?}",
            String::from_utf8_lossy(body)
        ));
    }
    Ok(Some((body_start + length, end)))
}

/// One connection, closed-loop: a batch of `depth` requests in one write,
/// then every response, until the window closes.
async fn run_connection(mut stream: TcpStream, index: usize, depth: usize, stats: Rc<Stats>) {
    let batch = REQUEST.repeat(depth);
    let mut buf: Vec<u8> = Vec::with_capacity(READ_SIZE);
    let mut chunk = vec![0u8; READ_SIZE];
    let failed = |what: String| -> ! { fail(&format!("connection {index}: {what}")) };
    while !stats.stop.get() {
        if let Err(e) = stream.write_all(&batch).await {
            failed(format!("write: {e}"));
        }
        let mut left = depth;
        let mut at = 0;
        while left > 0 {
            // Every complete response in what was read.
            while left > 0 {
                match parse_response(&buf[at..]) {
                    Ok(Some((length, head))) => {
                        if stats.sample.borrow().is_none() {
                            *stats.sample.borrow_mut() =
                                Some(String::from_utf8_lossy(&buf[at..at + head]).into_owned());
                        }
                        at += length;
                        left -= 1;
                        stats.responses.set(stats.responses.get() + 1);
                    }
                    Ok(None) => break,
                    Err(e) => failed(e),
                }
            }
            if left == 0 {
                break;
            }
            let n = match stream.read(&mut chunk).await {
                Ok(0) => failed(format!(
                    "the server closed the connection with {left} of {depth} responses missing"
                )),
                Ok(n) => n,
                Err(e) => failed(format!("read: {e}")),
            };
            stats.reads.set(stats.reads.get() + 1);
            buf.extend_from_slice(&chunk[..n]);
        }
        if at != buf.len() {
            failed(format!(
                "{} bytes more than the {depth} responses asked for",
                buf.len() - at
            ));
        }
        buf.clear();
    }
}

fn main() {
    let options = options();
    let piped = stdin_piped();
    async_std::task::block_on(async move {
        let stats = Rc::new(Stats::default());
        let address = format!("127.0.0.1:{}", options.port);
        let mut streams = Vec::with_capacity(options.connections);
        for _ in 0..options.connections {
            let stream = TcpStream::connect(&address)
                .await
                .unwrap_or_else(|e| fail(&format!("connect to {address}: {e}")));
            stream
                .set_nodelay(true)
                .unwrap_or_else(|e| fail(&format!("setting TCP_NODELAY: {e}")));
            streams.push(stream);
        }
        let tasks: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(index, stream)| {
                async_std::task::spawn_local(run_connection(
                    stream,
                    index,
                    options.depth,
                    stats.clone(),
                ))
            })
            .collect();
        async_std::task::sleep(Duration::from_secs_f64(options.warmup)).await;
        let (start, responses_before, reads_before) =
            (Instant::now(), stats.responses.get(), stats.reads.get());
        emit(json!({ "event": "measuring" }));
        async_std::task::sleep(Duration::from_secs_f64(options.duration)).await;
        let seconds = start.elapsed().as_secs_f64();
        let responses = stats.responses.get() - responses_before;
        let reads = stats.reads.get() - reads_before;
        stats.stop.set(true);
        if responses == 0 {
            fail("no response completed in the measured window");
        }
        emit(json!({
            "connections": options.connections,
            "depth": options.depth,
            "warmup": options.warmup,
            "seconds": seconds,
            "responses": responses,
            "reads": reads,
            "value": responses as f64 / seconds,
            "unit": "req/s",
            "sample": stats.sample.borrow().clone(),
        }));
        // Each connection finishes its batch (its responses are still
        // checked), then nothing more is sent.
        for task in tasks {
            task.await;
        }
        if piped {
            // The process ends when stdin does.
            let mut rest = Vec::new();
            let _ = async_std::io::stdin().read_to_end(&mut rest).await;
        }
        std::process::exit(0);
    });
}

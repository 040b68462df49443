//! Memory, counted by a global allocator that knows how many bytes are
//! live: the README's echo server leaves nothing behind after N
//! connections opened and closed; an idle connection costs little on
//! either side; a writer that honours `write()`'s `false` holds a bounded
//! amount against a peer that never reads.
//!
//! The figures are printed; the bounds are far from them on purpose, so
//! the tests fail on a leak or a per-connection buffer, not on noise.

#[path = "load_support.rs"]
mod load_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use nodecompat::event_loop::EventLoop;
use nodecompat::net::{
    self, ConnectOptions, Emits, Server, ServerOptions, Socket, SocketEventKind,
};

use load_support::*;

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to `System` with the caller's layout;
// the counter is the only addition.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

fn main() {
    let mut args = Arguments::from_args();
    // The allocator's count is the process's: one test at a time.
    args.test_threads = Some(1);
    let trials = vec![
        trial("readme-echo-leaves-nothing-after-500-connections", || {
            run(leaves_nothing(500))
        }),
        trial("a-listener-holding-its-socket-is-seen-leaking", || {
            run(leak_is_seen(200))
        }),
        trial("idle-server-connection-costs-under-2-kib", || {
            run(idle_server_side(1000))
        }),
        trial("idle-client-connection-costs-under-2-kib", || {
            run(idle_client_side(1000))
        }),
        trial("writer-against-a-peer-that-never-reads-is-bounded", || {
            run(never_reading_bounded())
        }),
    ];
    libtest_mimic::run(&args, trials).exit();
}

fn trial(name: &str, f: impl FnOnce() -> Result<(), String> + Send + 'static) -> Trial {
    Trial::test(name, move || f().map_err(Failed::from))
}

fn run(f: impl std::future::Future<Output = Result<(), String>>) -> Result<(), String> {
    async_std::task::block_on(f)
}

/// `n` clients, one after another, each echoed once and closed by the
/// client (`std` sockets, which allocate nothing on the heap).
async fn echo_clients(port: u16, n: usize) -> Result<(), String> {
    async_std::task::spawn_blocking(move || {
        for i in 0..n {
            let mut c = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
            c.set_read_timeout(Some(Duration::from_secs(10))).ok();
            let message = [b'a' + (i % 26) as u8; 16];
            c.write_all(&message).map_err(|e| e.to_string())?;
            let mut back = [0; 16];
            c.read_exact(&mut back)
                .map_err(|e| format!("client {i}: {e}"))?;
            if back != message {
                return Err(format!("client {i}: wrong echo"));
            }
        }
        Ok(())
    })
    .await
}

/// Waits (up to 10 s) for the server to count no connection and for the
/// crate's tasks to be back to `tasks`.
async fn drained(server: &Server, tasks: usize) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.connections() > 0 || nodecompat::tasks::running() > tasks {
        if Instant::now() > deadline {
            return Err(format!(
                "{} connections and {} tasks left",
                server.connections(),
                nodecompat::tasks::running()
            ));
        }
        async_std::task::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// Live bytes after `n` connections to `server`, against before them; a
/// first round of connections warms what the runtime keeps for good.
async fn growth_after(server: &Server, n: usize) -> Result<isize, String> {
    let port = listen(server).await;
    let tasks = nodecompat::tasks::running();
    echo_clients(port, 20).await?;
    drained(server, tasks).await?;
    let before = live();
    echo_clients(port, n).await?;
    drained(server, tasks).await?;
    let growth = live() - before;
    close(server).await;
    Ok(growth)
}

/// The README's echo server: nothing left once the clients are gone.
async fn leaves_nothing(n: usize) -> Result<(), String> {
    let growth = growth_after(&readme_echo_server(), n).await?;
    eprintln!("README echo: {growth} bytes live after {n} connections opened and closed");
    // A leak of one small allocation per connection would be n * 16 bytes
    // or more; what is left must be less than that, in total.
    if growth >= (n * 16) as isize {
        return Err(format!("{growth} bytes left after {n} connections"));
    }
    Ok(())
}

/// The control: a `data` listener that holds a clone of its own socket is
/// a cycle nothing breaks; the count above must see it.
async fn leak_is_seen(n: usize) -> Result<(), String> {
    let server = net::create_server(ServerOptions::default(), |socket| {
        let held = socket.clone();
        socket.on_data(move |_, chunk| {
            held.write(chunk.as_bytes());
        });
    });
    let growth = growth_after(&server, n).await?;
    eprintln!("a listener holding its socket: {growth} bytes left after {n} connections");
    if growth < (n * 1024) as isize {
        return Err(format!(
            "only {growth} bytes left after {n} leaking connections: the count does not see leaks"
        ));
    }
    Ok(())
}

/// Live bytes per idle connection on the server's side.
async fn idle_server_side(n: usize) -> Result<(), String> {
    let server = readme_echo_server();
    let port = listen(&server).await;
    let tasks = nodecompat::tasks::running();
    echo_clients(port, 20).await?;
    drained(&server, tasks).await?;
    let mut clients = Vec::with_capacity(n);
    let before = live();
    let connected = async_std::task::spawn_blocking(move || {
        for _ in 0..n {
            clients.push(TcpStream::connect(("127.0.0.1", port))?);
        }
        Ok::<_, std::io::Error>(clients)
    })
    .await
    .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.connections() < n {
        if Instant::now() > deadline {
            return Err(format!("{} of {n} accepted", server.connections()));
        }
        async_std::task::sleep(Duration::from_millis(10)).await;
    }
    let per = (live() - before) / n as isize;
    drop(connected);
    drained(&server, tasks).await?;
    close(&server).await;
    eprintln!("an idle server connection: {per} bytes live");
    if per > 2048 {
        return Err(format!(
            "{per} bytes per idle server connection (bound 2,048)"
        ));
    }
    Ok(())
}

/// Live bytes per idle connection on the client's side (the server is a
/// `std` listener whose accepted sockets allocate nothing).
async fn idle_client_side(n: usize) -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let accepting = std::thread::spawn(move || {
        // The warm-up connection and the `n` measured ones.
        let mut accepted = Vec::with_capacity(n + 1);
        while accepted.len() < n + 1 {
            match listener.accept() {
                Ok((s, _)) => accepted.push(s),
                Err(_) => break,
            }
        }
        accepted
    });
    let tasks = nodecompat::tasks::running();
    let (tx, rx) = async_std::channel::unbounded::<()>();
    let mut sockets: Vec<Socket> = Vec::with_capacity(n);
    // Warm the runtime with one connection made the same way.
    let warm = net::connect(ConnectOptions::port_host(port, "127.0.0.1"));
    warm.next(SocketEventKind::Connect).await;
    let before = live();
    // Listeners go on before the socket can emit (see EventLoop::turn).
    let turn = EventLoop::global().turn().await;
    for _ in 0..n {
        let socket = net::connect(ConnectOptions::port_host(port, "127.0.0.1"));
        let tx = tx.clone();
        socket.once(SocketEventKind::Connect, move |_, _| {
            let _ = tx.try_send(());
        });
        sockets.push(socket);
    }
    drop(turn);
    for _ in 0..n {
        async_std::future::timeout(Duration::from_secs(30), rx.recv())
            .await
            .map_err(|_| "a client never connected".to_string())?
            .map_err(|e| e.to_string())?;
    }
    let per = (live() - before) / n as isize;
    for s in sockets.iter().chain([&warm]) {
        s.destroy(None);
    }
    drop(accepting.join());
    let deadline = Instant::now() + Duration::from_secs(10);
    while nodecompat::tasks::running() > tasks {
        if Instant::now() > deadline {
            return Err(format!(
                "{} tasks left",
                nodecompat::tasks::running() - tasks
            ));
        }
        async_std::task::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("an idle client connection: {per} bytes live");
    if per > 2048 {
        return Err(format!(
            "{per} bytes per idle client connection (bound 2,048)"
        ));
    }
    Ok(())
}

/// A server writing 64 KiB chunks to a peer that reads nothing, honouring
/// `write()`'s `false`: once it stalls, what it holds is bounded by the
/// high-water mark and one chunk, not by what it was asked to send.
async fn never_reading_bounded() -> Result<(), String> {
    const CHUNK: usize = 64 * 1024;
    let attempts: Arc<Mutex<usize>> = Arc::default();
    let a = attempts.clone();
    let server = net::create_server(ServerOptions::default(), move |socket| {
        let a = a.clone();
        let pump = move |this: &Socket| {
            loop {
                *a.lock().unwrap() += 1;
                if !this.write(vec![1u8; CHUNK]) {
                    return;
                }
            }
        };
        pump(socket);
        socket.on(SocketEventKind::Drain, move |this, _| pump(this));
    });
    let port = listen(&server).await;
    let before = live();
    let peer = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let mut last = (0, Instant::now());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        async_std::task::sleep(Duration::from_millis(50)).await;
        let now = *attempts.lock().unwrap();
        if now != last.0 {
            last = (now, Instant::now());
        } else if now > 0 && last.1.elapsed() > Duration::from_millis(500) {
            break;
        }
        if Instant::now() > deadline {
            return Err("the writer never stalled".into());
        }
    }
    let held = live() - before;
    drop(peer);
    close(&server).await;
    eprintln!("a stalled writer: {held} bytes live");
    if held > (4 * CHUNK) as isize {
        return Err(format!("{held} bytes held by a stalled writer"));
    }
    Ok(())
}

//! What the load, fault and memory tests share: the README's echo server,
//! a backpressured echo server, stream checksums, and counts of what a
//! process holds (descriptors, the crate's tasks).

#![allow(dead_code)] // each test binary uses its own part

use std::time::{Duration, Instant};

use nodecompat::net::{
    self, Emits, ListenOptions, Server, ServerAddress, ServerEventKind, ServerOptions, Socket,
    SocketEventKind,
};

/// The README's echo server: the `data` listener writes back through the
/// `this` it is given (no clone of the socket held).
pub fn readme_echo_server() -> Server {
    net::create_server(ServerOptions::default(), |socket| {
        socket.on_data(|this, chunk| {
            this.write(chunk.as_bytes());
        });
    })
}

/// An echo server that honours `write()`'s `false`: it pauses the socket
/// until `'drain'`, so a peer that stops reading stops it reading too.
pub fn backpressured_echo_server() -> Server {
    net::create_server(ServerOptions::default(), |socket| {
        socket.on_data(|this, chunk| {
            if !this.write(chunk.as_bytes()) {
                this.pause();
            }
        });
        socket.on(SocketEventKind::Drain, |this, _| {
            this.resume();
        });
    })
}

/// Listens on an OS-chosen loopback port; returns the port.
pub async fn listen(server: &Server) -> u16 {
    let listening = server.next(ServerEventKind::Listening);
    server
        .listen(ListenOptions::port_host(0, "127.0.0.1"))
        .expect("listen");
    async_std::future::timeout(Duration::from_secs(10), listening)
        .await
        .expect("'listening' in time");
    match server.address() {
        Some(ServerAddress::Inet(a)) => a.port,
        other => panic!("not an inet address: {other:?}"),
    }
}

/// Closes a server and waits for its `'close'`.
pub async fn close(server: &Server) {
    let closed = server.next(ServerEventKind::Close);
    server.close();
    async_std::future::timeout(Duration::from_secs(10), closed)
        .await
        .expect("the server's 'close' in time");
}

/// FNV-1a over a byte stream, fed in pieces: the same bytes in any split
/// give the same sum.
#[derive(Clone, Copy)]
pub struct Checksum(u64);

impl Default for Checksum {
    fn default() -> Self {
        Checksum(0xcbf2_9ce4_8422_2325)
    }
}

impl Checksum {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub fn value(self) -> u64 {
        self.0
    }
}

/// A small deterministic generator (xorshift64*) for random bytes and
/// random write sizes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `1..=max`.
    pub fn size(&mut self, max: usize) -> usize {
        1 + (self.next_u64() % max as u64) as usize
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// A socket's state in one line, for a test that has to say where a
/// transfer stopped.
pub fn describe(s: &Socket) -> String {
    format!(
        "connecting {} destroyed {} bytesRead {} bytesWritten {} writableLength {} \
         readableLength {} flowing {:?} paused {} ended (r/w) {}/{} finished {}",
        s.connecting(),
        s.destroyed(),
        s.bytes_read(),
        s.bytes_written(),
        s.writable_length(),
        s.readable_length(),
        s.readable_flowing(),
        s.is_paused(),
        s.readable_ended(),
        s.writable_ended(),
        s.writable_finished(),
    )
}

/// Descriptors a process holds, from `/proc`.
pub fn descriptors(pid: &str) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// What this process holds: (descriptors, the crate's running tasks).
pub fn held() -> (usize, usize) {
    (descriptors("self"), nodecompat::tasks::running())
}

/// Waits (up to 10 s) until this process holds no more than `baseline`;
/// the error says what is left.
pub async fn nothing_left(baseline: (usize, usize)) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = held();
        if now.0 <= baseline.0 && now.1 <= baseline.1 {
            // Fewer than before is wrong too: something held for good (the
            // listener's reserve descriptor) was lost.
            if now != baseline {
                return Err(format!(
                    "fewer held than before: {baseline:?} then, {now:?} now"
                ));
            }
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "left behind: {} descriptors and {} tasks more than before ({:?} then, {:?} now)",
                now.0.saturating_sub(baseline.0),
                now.1.saturating_sub(baseline.1),
                baseline,
                now
            ));
        }
        async_std::task::sleep(Duration::from_millis(20)).await;
    }
}

//! The reference implementation's server for `scripts/bench-http`;
//! `scripts/httpbench.js` is the same server for Node.
//!
//! ```text
//! httpbench        an http.Server answering every request res.end("hello")
//! ```
//!
//! It listens on 127.0.0.1, port 0, prints `{"port":P}`, and exits when its
//! stdin ends (a pipe from the orchestrator), so that nothing outlives the
//! orchestrator. The response has Node's default headers (`Date`,
//! `Connection: keep-alive`, `Keep-Alive: timeout=5`, `Content-Length: 5`).
//! A server error fails it: a message on stderr and exit status 1.
//!
//! `cargo build --release --examples`, then `target/release/examples/httpbench`.
#[path = "support/mod.rs"]
mod support;
use support::{emit, fail};

use async_std::io::ReadExt;
use nodecompat::events::Emits;
use nodecompat::http::{Server, ServerOptions};
use nodecompat::net::{ListenOptions, ServerAddress, ServerEvent, ServerEventKind};
use serde_json::json;

/// Whether stdin is a pipe or a socket (as the orchestrator makes it).
fn stdin_piped() -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata("/proc/self/fd/0").is_ok_and(|m| {
        let kind = m.file_type();
        kind.is_fifo() || kind.is_socket()
    })
}

fn main() {
    if std::env::args().len() > 1 {
        fail("usage: httpbench (no arguments)");
    }
    let piped = stdin_piped();
    async_std::task::block_on(async move {
        let server = Server::new(ServerOptions::default());
        server.on_request(|_, _req, res| {
            let _ = res.end(Some(b"hello"));
        });
        let net = server.net();
        net.on(ServerEventKind::Error, |_, e| {
            if let ServerEvent::Error(err) = e {
                fail(&format!("server error: {err}"));
            }
        });
        // Subscribed before listen(), so 'listening' cannot be missed.
        let listening = net.next(ServerEventKind::Listening);
        let listen = net.listen(ListenOptions {
            port: Some(0),
            host: Some("127.0.0.1".into()),
            ..Default::default()
        });
        if let Err(err) = listen {
            fail(&format!("listen: {err}"));
        }
        listening.await;
        let Some(ServerAddress::Inet(address)) = net.address() else {
            fail("the server has no TCP address");
        };
        emit(json!({ "port": address.port }));
        if piped {
            // The process ends when stdin does.
            let mut rest = Vec::new();
            let _ = async_std::io::stdin().read_to_end(&mut rest).await;
            std::process::exit(0);
        }
        std::future::pending::<()>().await;
    });
}

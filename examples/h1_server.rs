//! The reference's side of `scripts/h1-differ.js --server`: an
//! `http.Server` with the handler of the differ's Node server.
//!
//! Each request's body is collected as latin1; on the request's `'end'`
//! it is recorded as `{method, url, httpVersion, rawHeaders, body,
//! rawTrailers}` and answered with `res.end()`. A `'checkExpectation'`
//! (an `Expect` other than `100-continue`) is handled as a request, as the
//! Node side does by emitting `'request'` itself. A `'clientError'` records
//! `{code, reason}` (the first one of a connection) and destroys the
//! socket. No `'upgrade'` or `'connect'` listener: the reference has
//! neither, and the Node side registers neither in this mode.
//!
//! Prints `{"port":P}` once listening, then one JSON line per event, keyed
//! by the client's port: `{"remotePort":N,"started":"METHOD url"}` when
//! `'request'` is emitted (a request whose body never ends shows only
//! there), `{"remotePort":N,"request":{...}}` on its `'end'`,
//! `{"remotePort":N,"error":{"code","reason"}}`, and
//! `{"remotePort":N,"close":true}` when the server's side of that
//! connection closed (after which the connection has nothing more to
//! report: the differ waits for it rather than for a delay). Exits when
//! stdin ends.
//!
//! `cargo build --release --examples`, then `target/release/examples/h1_server`.
#[path = "support/mod.rs"]
mod support;
use std::io::Read;
use std::sync::{Arc, Mutex};
use support::{emit, fail};

use nodecompat::error::ErrorProp;
use nodecompat::events::Emits;
use nodecompat::http::{
    IncomingEvent, IncomingEventKind, IncomingMessage, MessageHead, Server, ServerEvent,
    ServerEventKind, ServerOptions, ServerResponse,
};
use nodecompat::net::{self, ListenOptions, ServerAddress, SocketEventKind};
use serde_json::json;

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn raw(pairs: &[(String, String)]) -> Vec<&String> {
    pairs.iter().flat_map(|(n, v)| [n, v]).collect()
}

/// The differ's request handler: the body as latin1, the request
/// recorded on `'end'`, then `res.end()`.
fn handle(req: &IncomingMessage, res: &ServerResponse) {
    // Read while connected: Node's remotePort is gone once destroyed.
    let port = req.socket().remote_port();
    // That 'request' was emitted, whether or not the request ends.
    emit(json!({
        "remotePort": port,
        "started": match req.head() {
            MessageHead::Request(h) => format!("{} {}", h.method, h.url),
            MessageHead::Response(_) => unreachable!("a server reads requests"),
        },
    }));
    let body = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = body.clone();
    req.on(IncomingEventKind::Data, move |_, e| {
        if let IncomingEvent::Data(chunk) = e {
            sink.lock().unwrap().extend_from_slice(chunk.as_bytes());
        }
    });
    let res = res.clone();
    req.on(IncomingEventKind::End, move |req, _| {
        let MessageHead::Request(head) = req.head() else {
            unreachable!("a server reads requests")
        };
        let body = latin1(&body.lock().unwrap());
        let trailers = req.trailers();
        emit(json!({
            "remotePort": port,
            "request": {
                "method": head.method,
                "url": head.url,
                "httpVersion": head.http_version(),
                "rawHeaders": raw(&head.headers),
                "body": body,
                "rawTrailers": raw(&trailers),
            },
        }));
        let _ = res.end(None);
    });
}

fn main() {
    // The process ends when stdin does (the differ ended, however it did).
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        std::process::exit(0);
    });
    async_std::task::block_on(serve());
}

async fn serve() {
    let server = Server::new(ServerOptions {
        require_host_header: false,
        ..ServerOptions::default()
    });
    server.on(ServerEventKind::Request, |_, e| {
        if let ServerEvent::Request(req, res) = e {
            handle(req, res);
        }
    });
    server.on(ServerEventKind::CheckExpectation, |_, e| {
        if let ServerEvent::CheckExpectation(req, res) = e {
            handle(req, res);
        }
    });
    // The first clientError of a connection is recorded, as on the Node
    // side (`if (!r.error)`).
    let errored = Arc::new(Mutex::new(std::collections::HashSet::<u16>::new()));
    let seen = errored.clone();
    server.on(ServerEventKind::ClientError, move |_, e| {
        if let ServerEvent::ClientError(err, socket) = e {
            if let Some(port) = socket.remote_port()
                && seen.lock().unwrap().insert(port)
            {
                let reason = err.props().iter().find_map(|(k, v)| match (k, v) {
                    (&"reason", ErrorProp::String(s)) => Some(s.clone()),
                    _ => None,
                });
                emit(json!({
                    "remotePort": port,
                    "error": { "code": err.code(), "reason": reason },
                }));
            }
            socket.destroy(None);
        }
    });
    // After the http server's own 'connection' listener: the end of each
    // connection, under the port read while it was open.
    server.net().on_connection(move |_, socket| {
        let port = socket.remote_port();
        let errored = errored.clone();
        socket.on(SocketEventKind::Close, move |_, _| {
            if let Some(port) = port {
                errored.lock().unwrap().remove(&port);
            }
            emit(json!({ "remotePort": port, "close": true }));
        });
    });
    server.net().on(net::ServerEventKind::Error, |_, e| {
        if let net::ServerEvent::Error(err) = e {
            fail(&format!("server error: {err}"));
        }
    });
    let listening = server.net().next(net::ServerEventKind::Listening);
    if let Err(err) = server.net().listen(ListenOptions {
        port: Some(0),
        host: Some("127.0.0.1".into()),
        ..ListenOptions::default()
    }) {
        fail(&format!("listen: {err}"));
    }
    listening.await;
    let Some(ServerAddress::Inet(address)) = server.net().address() else {
        fail("the server has no TCP address");
    };
    emit(json!({ "port": address.port }));
    std::future::pending::<()>().await;
}

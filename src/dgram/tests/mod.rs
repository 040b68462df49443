//! Loopback tests of `crate::dgram`. Every expected order and error was
//! first observed on node v20.20.2 (libuv 1.46) with a script doing the
//! same calls; "same tick" in Node is "while holding the loop's turn" here.
//!
//! - `order.rs`: the order of events and callbacks.
//! - `errors.rs`: what is thrown, emitted or given to callbacks.
//! - `sockopt.rs`: socket options, multicast, IPv6.

mod errors;
mod order;
mod sockopt;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_std::task::sleep;

use super::*;
use crate::events::{Event, EventKind};

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, line: impl Into<String>) {
        self.0.lock().unwrap().push(line.into());
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// The lines of one object (those starting with `name`): Node orders
    /// an object's events, not those of two objects.
    fn of(&self, name: &str) -> Vec<String> {
        let lines = self.lines().into_iter();
        lines.filter(|l| l.starts_with(name)).collect()
    }

    /// Logs every event of `socket` as `name event …`.
    fn track(&self, name: &'static str, socket: &Socket) {
        for &kind in SocketEventKind::ALL {
            let log = self.clone();
            socket.on(kind, move |_, e| {
                log.push(format!("{name} {}", describe(e)))
            });
        }
    }

    /// A send callback that logs `name call …`.
    fn send_cb(&self, name: &'static str) -> Option<SendCallback> {
        let log = self.clone();
        Some(Box::new(move |err, n| {
            log.push(format!(
                "{name} call {} {n:?}",
                err.map_or("null".into(), code)
            ))
        }))
    }

    fn cb(&self, name: &'static str) -> impl FnOnce(&Socket) + Send + 'static {
        let log = self.clone();
        move |_| log.push(format!("{name} call"))
    }

    /// Waits until `line` was logged.
    async fn wait(&self, line: &str) {
        for _ in 0..600 {
            if self.lines().iter().any(|l| l == line) {
                return;
            }
            sleep(Duration::from_millis(5)).await;
        }
        panic!("no {line:?} in {:#?}", self.lines());
    }
}

fn code(e: &Error) -> String {
    let mut s = e.code().to_string();
    for part in [e.syscall(), e.address()].into_iter().flatten() {
        s.push(' ');
        s.push_str(part);
    }
    s
}

fn describe(e: &SocketEvent) -> String {
    match e {
        SocketEvent::Message(msg, r) => format!(
            "message {} {} {} {}",
            String::from_utf8_lossy(msg),
            r.address,
            r.family,
            r.size
        ),
        SocketEvent::Error(err) => format!("error {}", code(err)),
        other => other.kind().name().to_string(),
    }
}

fn udp4(lp: &EventLoop) -> Socket {
    create_socket_in(lp, Type::Udp4.into())
}

/// A socket bound to `127.0.0.1`, and its port.
async fn bound(lp: &EventLoop) -> (Socket, u16) {
    let s = udp4(lp);
    let listening = s.next(SocketEventKind::Listening);
    s.bind(BindOptions::port_address(0, "127.0.0.1")).unwrap();
    listening.await;
    let port = s.address().unwrap().port;
    (s, port)
}

const SETTLE: Duration = Duration::from_millis(100);

//! The reference driver: serves the crate's implementation over the driver
//! protocol (`spec/PROTOCOL.md`), evaluating each action the way a
//! JavaScript program would call Node.
//!
//! - this file: the request loop and the handshake;
//! - [`session`]: names, captures, reactions, reporting, teardown, the
//!   evaluator — knowing no Node class;
//! - [`host`]: the traits the session reaches objects and modules through;
//! - [`js`]: JavaScript values, Node's argument validators, JS globals;
//! - `bindings`: one folder per Node module, one file per class.

mod bindings;
pub mod host;
pub mod js;
pub mod session;

use async_std::channel::{Receiver, Sender};

use crate::protocol::{Hello, Message, PROTOCOL_VERSION, Request};
use host::Failure;
use session::{Scope, Session};

/// The handshake: implementation `nodecompat-reference`, with what each
/// module supports here.
pub fn hello() -> Hello {
    let modules = bindings::modules();
    let mut features: Vec<String> = Vec::new();
    for f in modules.iter().flat_map(|m| m.features()) {
        if !features.iter().any(|x| x == f) {
            features.push(f.to_string());
        }
    }
    Hello {
        protocol: PROTOCOL_VERSION,
        implementation: "nodecompat-reference".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        node: "v20.20.2".into(),
        features,
        modules: modules.iter().map(|m| m.name().to_string()).collect(),
    }
}

/// Serves one driver session: processes requests in order until
/// `requests` closes or `Bye`. Never panics on bad input.
pub async fn serve(requests: Receiver<Request>, messages: Sender<Message>) {
    let mut session = Session::new(messages, bindings::modules());
    while let Ok(request) = requests.recv().await {
        match request {
            Request::Bye => break,
            Request::Begin {
                id,
                captures,
                reactions,
                defaults,
                ..
            } => {
                let _turn = session.event_loop.turn().await;
                // Listeners of an earlier case's objects (still closing)
                // carry its number and report nothing in this one.
                session.begin(captures, reactions, defaults);
                session.send(Message::Ok { id });
            }
            Request::Eval {
                id,
                expr,
                assign,
                observe,
            } => {
                let _turn = session.event_loop.turn().await;
                let reply = match session.eval(&expr, &Scope::new()) {
                    Ok(v) => {
                        let registered = match &assign {
                            Some(name) => session.register(name, v.clone(), &observe),
                            None => Ok(()),
                        };
                        match registered {
                            Ok(()) => Message::Result {
                                id,
                                value: session.encode(&v),
                            },
                            Err(message) => Message::Error { id, message },
                        }
                    }
                    Err(Failure::Throw(e)) => Message::Throw {
                        id,
                        error: session.encode(&e),
                    },
                    Err(Failure::Error(message)) => Message::Error { id, message },
                };
                session.send(reply);
            }
            Request::Observe { id, object, events } => {
                let _turn = session.event_loop.turn().await;
                let reply = match session.named(&object) {
                    Some(js::JsVal::Host(h)) => match session.subscribe(&object, &h, &events) {
                        Ok(()) => Message::Ok { id },
                        Err(message) => Message::Error { id, message },
                    },
                    Some(_) => Message::Error {
                        id,
                        message: format!("'{object}' is not an object that emits events"),
                    },
                    None => Message::Error {
                        id,
                        message: format!("unknown object '{object}'"),
                    },
                };
                session.send(reply);
            }
            Request::End { id } => {
                session.end().await;
                session.send(Message::Ok { id });
            }
        }
    }
    session.end().await;
}

#[cfg(test)]
mod tests;

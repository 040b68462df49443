//! The reference driver: serves `crate::net` over the driver protocol.
//! (Placeholder until the reference implementation lands.)
use async_std::channel::{Receiver, Sender};

use crate::protocol::{Hello, Message, PROTOCOL_VERSION, Request};

pub fn hello() -> Hello {
    Hello {
        protocol: PROTOCOL_VERSION,
        implementation: "nodecompat-reference".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        node: "v20.20.2".into(),
        features: vec![],
    }
}

pub async fn serve(requests: Receiver<Request>, messages: Sender<Message>) {
    while let Ok(r) = requests.recv().await {
        let id = match r {
            Request::Begin { id, .. }
            | Request::Eval { id, .. }
            | Request::Observe { id, .. }
            | Request::End { id } => id,
            Request::Bye => return,
        };
        let _ = messages
            .send(Message::Error {
                id,
                message: "not implemented".into(),
            })
            .await;
    }
}

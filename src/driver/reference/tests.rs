//! The reference driver in-process: requests in, messages out.

use std::time::Duration;

use async_std::channel::{Receiver, Sender, unbounded};
use async_std::future::timeout;

use super::serve;
use crate::protocol::{Message, Request, Value};

fn req(json: &str) -> Request {
    serde_json::from_str(json).expect("valid request")
}

async fn reply(
    tx: &Sender<Request>,
    rx: &Receiver<Message>,
    json: &str,
    events: &mut Vec<Message>,
) -> Message {
    tx.send(req(json)).await.unwrap();
    loop {
        let m = timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        match m {
            Message::Event { .. } => events.push(m),
            other => return other,
        }
    }
}

async fn wait_for(rx: &Receiver<Message>, events: &mut Vec<Message>, object: &str, event: &str) {
    let seen = |es: &Vec<Message>| {
        es.iter().any(|m| matches!(m, Message::Event { object: o, event: e, .. } if o == object && e == event))
    };
    while !seen(events) {
        let m = timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("event in time")
            .unwrap();
        events.push(m);
    }
}

fn of(events: &[Message], object: &str) -> Vec<(String, Vec<Value>)> {
    events
        .iter()
        .filter_map(|m| match m {
            Message::Event {
                object: o,
                event,
                args,
            } if o == object => Some((event.clone(), args.clone())),
            _ => None,
        })
        .collect()
}

/// A served session with a case begun (no captures).
async fn begun() -> (Sender<Request>, Receiver<Message>, Vec<Message>) {
    let (tx, req_rx) = unbounded();
    let (msg_tx, rx) = unbounded();
    async_std::task::spawn(serve(req_rx, msg_tx));
    let mut events = Vec::new();
    let ok = reply(
        &tx,
        &rx,
        r#"{"op":"begin","id":1,"case":"t","captures":[]}"#,
        &mut events,
    )
    .await;
    assert_eq!(ok, Message::Ok { id: 1 });
    (tx, rx, events)
}

#[async_std::test]
async fn listen_connect_data_close() {
    let (tx, req_rx) = unbounded();
    let (msg_tx, rx) = unbounded();
    let session = async_std::task::spawn(serve(req_rx, msg_tx));
    let mut events = Vec::new();
    let ok = reply(&tx, &rx, r#"{"op":"begin","id":1,"case":"t","captures":[{"object":"server","event":"connection","nth":1,"arg":0,"name":"peer","observe":["data","end","close","error"]}]}"#, &mut events).await;
    assert_eq!(ok, Message::Ok { id: 1 });
    let r = reply(&tx, &rx, r#"{"op":"eval","id":2,"expr":{"call":{"target":{"global":"net"},"method":"createServer","args":[]}},"assign":"server","observe":["listening","connection","close","error"]}"#, &mut events).await;
    assert!(matches!(r, Message::Result { id: 2, .. }));
    reply(&tx, &rx, r#"{"op":"eval","id":3,"expr":{"call":{"target":{"ref":"server"},"method":"listen","args":[{"value":0},{"value":"127.0.0.1"}]}}}"#, &mut events).await;
    wait_for(&rx, &mut events, "server", "listening").await;
    let Message::Result { value: port, .. } = reply(&tx, &rx, r#"{"op":"eval","id":4,"expr":{"get":{"target":{"call":{"target":{"ref":"server"},"method":"address","args":[]}},"property":"port"}}}"#, &mut events).await else { panic!() };
    let Value::Number(port) = port else {
        panic!("port {port:?}")
    };
    let connect = format!(
        r#"{{"op":"eval","id":5,"expr":{{"call":{{"target":{{"global":"net"}},"method":"connect","args":[{{"value":{port}}},{{"value":"localhost"}}]}}}},"assign":"client","observe":["lookup","connect","ready","data","end","close","error"]}}"#
    );
    reply(&tx, &rx, &connect, &mut events).await;
    wait_for(&rx, &mut events, "client", "connect").await;
    reply(&tx, &rx, r#"{"op":"eval","id":6,"expr":{"call":{"target":{"ref":"client"},"method":"end","args":[{"value":"hi"}]}}}"#, &mut events).await;
    wait_for(&rx, &mut events, "client", "close").await;
    wait_for(&rx, &mut events, "peer", "close").await;
    let client = of(&events, "client");
    assert_eq!(
        client[0],
        (
            "lookup".into(),
            vec![
                Value::Null,
                Value::String("127.0.0.1".into()),
                Value::Number(4.0),
                Value::String("localhost".into())
            ]
        )
    );
    assert_eq!(
        client.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["lookup", "connect", "ready", "end", "close"]
    );
    assert_eq!(client.last().unwrap().1, vec![Value::Bool(false)]);
    let peer = of(&events, "peer");
    assert_eq!(
        peer.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["data", "end", "close"]
    );
    assert_eq!(peer[0].1, vec![Value::Buffer(b"hi".to_vec())]);
    let server = of(&events, "server");
    assert_eq!(
        server[1].1,
        vec![Value::Handle {
            class: "net.Socket".into(),
            id: "peer".into()
        }]
    );
    // A synchronous throw.
    let t = reply(&tx, &rx, r#"{"op":"eval","id":7,"expr":{"call":{"target":{"ref":"server"},"method":"listen","args":[{"value":0}]}}}"#, &mut events).await;
    assert!(
        matches!(&t, Message::Throw { error, .. } if error.prop("code") == Some(&Value::String("ERR_SERVER_ALREADY_LISTEN".into()))),
        "{t:?}"
    );
    let e = reply(
        &tx,
        &rx,
        r#"{"op":"eval","id":8,"expr":{"ref":"nope"}}"#,
        &mut events,
    )
    .await;
    assert!(matches!(e, Message::Error { id: 8, .. }));
    assert_eq!(
        reply(&tx, &rx, r#"{"op":"end","id":9}"#, &mut events).await,
        Message::Ok { id: 9 }
    );
    tx.send(Request::Bye).await.unwrap();
    timeout(Duration::from_secs(5), session).await.unwrap();
}

#[async_std::test]
async fn refused_and_bad_port() {
    let (tx, rx, mut events) = begun().await;
    reply(&tx, &rx, r#"{"op":"eval","id":2,"expr":{"call":{"target":{"global":"net"},"method":"connect","args":[{"value":1},{"value":"127.0.0.1"}]}},"assign":"c","observe":["lookup","connect","error","close"]}"#, &mut events).await;
    wait_for(&rx, &mut events, "c", "close").await;
    let c = of(&events, "c");
    assert_eq!(
        c.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["error", "close"]
    );
    assert_eq!(
        c[0].1[0].prop("code"),
        Some(&Value::String("ECONNREFUSED".into()))
    );
    assert_eq!(
        c[0].1[0].prop("message"),
        Some(&Value::String("connect ECONNREFUSED 127.0.0.1:1".into()))
    );
    let t = reply(&tx, &rx, r#"{"op":"eval","id":3,"expr":{"call":{"target":{"call":{"target":{"global":"net"},"method":"createServer","args":[]}},"method":"listen","args":[{"value":65536}]}}}"#, &mut events).await;
    let Message::Throw { error, .. } = t else {
        panic!("{t:?}")
    };
    assert_eq!(
        error.prop("name"),
        Some(&Value::String("RangeError".into()))
    );
    assert_eq!(
        error.prop("message"),
        Some(&Value::String(
            "options.port should be >= 0 and < 65536. Received type number (65536).".into()
        ))
    );
    // Its 'error' had the session's listener: it was not uncaught.
    assert_eq!(of(&events, "process"), vec![]);
    reply(&tx, &rx, r#"{"op":"end","id":4}"#, &mut events).await;
}

#[async_std::test]
async fn an_error_nobody_listens_to_is_an_uncaught_exception() {
    // A socket made inside a reaction is named nowhere, so nothing listens
    // to its 'error': as in Node, `destroy(err)` throws it from `emit`, and
    // the driver reports it on the pseudo object `process`.
    let (tx, req_rx) = unbounded();
    let (msg_tx, rx) = unbounded();
    async_std::task::spawn(serve(req_rx, msg_tx));
    let mut events = Vec::new();
    let destroy = r#"{"call":{"target":{"new":{"target":{"get":{"target":{"global":"net"},"property":"Socket"}},"args":[]}},"method":"destroy","args":[{"new":{"target":{"global":"Error"},"args":[{"value":"boom"}]}}]}}"#;
    let begin = format!(
        r#"{{"op":"begin","id":1,"case":"t","captures":[],"reactions":[{{"object":"server","event":"listening","params":[],"body":[{destroy}]}}]}}"#
    );
    assert_eq!(
        reply(&tx, &rx, &begin, &mut events).await,
        Message::Ok { id: 1 }
    );
    reply(&tx, &rx, r#"{"op":"eval","id":2,"expr":{"call":{"target":{"global":"net"},"method":"createServer","args":[]}},"assign":"server","observe":["listening","error"]}"#, &mut events).await;
    reply(&tx, &rx, r#"{"op":"eval","id":3,"expr":{"call":{"target":{"ref":"server"},"method":"listen","args":[{"value":0},{"value":"127.0.0.1"}]}}}"#, &mut events).await;
    wait_for(&rx, &mut events, "process", "uncaughtException").await;
    let error = Value::Error(
        [
            ("name".to_string(), Value::String("Error".into())),
            ("message".to_string(), Value::String("boom".into())),
        ]
        .into(),
    );
    assert_eq!(
        of(&events, "process"),
        vec![("uncaughtException".to_string(), vec![error])]
    );
    reply(&tx, &rx, r#"{"op":"end","id":4}"#, &mut events).await;
}

#[test]
fn the_session_and_its_loop_do_not_keep_each_other_alive() {
    // The loop's uncaught-exception handler reports through the session,
    // which holds the loop: the handler's references are weak.
    let (tx, _rx) = unbounded();
    let session = super::Session::new(tx, super::bindings::modules());
    let event_loop = session.event_loop.downgrade();
    drop(session);
    assert!(event_loop.upgrade().is_none());
}

#[async_std::test]
async fn an_event_that_cannot_be_observed_is_an_error_naming_it() {
    let (tx, rx, mut events) = begun().await;
    let r = reply(&tx, &rx, r#"{"op":"eval","id":2,"expr":{"call":{"target":{"global":"net"},"method":"createServer","args":[]}},"assign":"server","observe":["bogus","listening","nonsense"]}"#, &mut events).await;
    let Message::Error { message, .. } = r else {
        panic!("{r:?}")
    };
    assert!(
        message.contains("'bogus'") && message.contains("'nonsense'"),
        "{message}"
    );
    // The events it could subscribe still are: `listening` is reported.
    reply(&tx, &rx, r#"{"op":"eval","id":3,"expr":{"call":{"target":{"ref":"server"},"method":"listen","args":[{"value":0},{"value":"127.0.0.1"}]}}}"#, &mut events).await;
    wait_for(&rx, &mut events, "server", "listening").await;
    reply(&tx, &rx, r#"{"op":"end","id":4}"#, &mut events).await;
}

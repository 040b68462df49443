//! `nodecompat driver`: the reference implementation served over the
//! protocol on stdin/stdout, exactly as an external driver would speak it.

use async_std::channel::unbounded;
use async_std::io::{BufReader, stdin, stdout};
use async_std::prelude::*;

use crate::protocol::{Message, Request};

/// Reads requests from stdin and writes replies and events to stdout until
/// stdin closes or `bye`.
pub async fn serve_reference() {
    let (req_tx, req_rx) = unbounded::<Request>();
    let (msg_tx, msg_rx) = unbounded::<Message>();
    let _ = msg_tx.send(Message::Hello(super::reference::hello())).await;
    let errors = msg_tx.clone();
    let server = async_std::task::spawn(super::reference::serve(req_rx, msg_tx));
    let writer = async_std::task::spawn(async move {
        let mut out = stdout();
        while let Ok(m) = msg_rx.recv().await {
            let mut line = serde_json::to_string(&m).unwrap_or_default();
            line.push('\n');
            if out.write_all(line.as_bytes()).await.is_err() || out.flush().await.is_err() {
                break;
            }
        }
    });
    let mut lines = BufReader::new(stdin()).lines();
    while let Some(Ok(line)) = lines.next().await {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Request>(&line) {
            Ok(Request::Bye) => break,
            Ok(r) => {
                if req_tx.send(r).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                // Answer with `error` when the line's id can be read.
                let id = request_id(&line);
                match id {
                    Some(id) => {
                        let _ = errors
                            .send(Message::Error {
                                id,
                                message: format!("not a valid request: {e}"),
                            })
                            .await;
                    }
                    None => eprintln!(
                        "nodecompat driver: ignoring a line that is not a request ({e}): {line}"
                    ),
                }
            }
        }
    }
    drop(req_tx);
    server.await;
    // Listeners of objects the session created still hold senders; closing
    // the channel lets the writer drain what is queued and finish.
    errors.close();
    writer.await;
}

/// The `id` of a request line that is not valid JSON, if it can be read
/// (`"id": 7`), so the harness gets an `error` reply rather than silence.
fn request_id(line: &str) -> Option<u64> {
    let at = line.find("\"id\"")? + 4;
    let rest = line[at..].trim_start().strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_read_from_broken_lines() {
        assert_eq!(super::request_id(r#"{"op":"begin","id": 7,,}"#), Some(7));
        assert_eq!(super::request_id("not json"), None);
    }
}

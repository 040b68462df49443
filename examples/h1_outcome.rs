//! What the reference's HTTP/1 request parser makes of requests, for
//! `scripts/h1-differ.js`: reads JSON lines `{"name", "input"}` (input as
//! latin1 text) on stdin, the whole input fed at once then the end of the
//! stream, and prints `{"name", "requests", "error"}` per line, in the
//! shape `scripts/h1-facts.js` prints Node's.
use std::io::{BufRead, Write};

use nodecompat::http::h1::{Parsed, RequestParser};
use serde_json::{Value, json};

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn outcome(input: &[u8]) -> (Vec<Value>, Value) {
    let mut parser = RequestParser::new();
    let mut items = Vec::new();
    let fed = parser
        .feed(input, &mut items)
        .and_then(|()| parser.finish());
    let mut requests = Vec::new();
    let mut current: Option<Value> = None;
    let mut body = Vec::new();
    for item in items {
        match item {
            Parsed::Head(h) => {
                body.clear();
                let raw: Vec<&String> = h.headers.iter().flat_map(|(n, v)| [n, v]).collect();
                current = Some(json!({
                    "method": h.method, "url": h.url, "httpVersion": h.http_version(),
                    "rawHeaders": raw, "body": "", "rawTrailers": [],
                }));
            }
            Parsed::Body(b) => body.extend(b),
            Parsed::Trailers(t) => {
                if let Some(c) = current.as_mut() {
                    let raw: Vec<&String> = t.iter().flat_map(|(n, v)| [n, v]).collect();
                    c["rawTrailers"] = json!(raw);
                }
            }
            Parsed::Complete => {
                if let Some(mut c) = current.take() {
                    c["body"] = json!(latin1(&body));
                    requests.push(c);
                }
            }
            Parsed::Upgraded(_) => {}
        }
    }
    let error = match fed {
        Ok(()) => Value::Null,
        Err(e) => json!({"code": e.code, "reason": e.reason}),
    };
    (requests, error)
}

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines().map_while(Result::ok) {
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let input: Vec<u8> = v["input"]
            .as_str()
            .unwrap_or("")
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect();
        let (requests, error) = outcome(&input);
        let _ = writeln!(
            out,
            "{}",
            json!({"name": v["name"], "requests": requests, "error": error})
        );
    }
}

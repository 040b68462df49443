//! The parser against facts read from live Node 20
//! (`fixtures/http/llhttp-facts.jsonl`, made by `scripts/h1-facts.js`),
//! and the same results at every split of the input.

use proptest::prelude::*;
use serde_json::Value;

use super::*;

/// One fact: a request text and what Node made of it.
struct Fact {
    name: String,
    input: Vec<u8>,
    error: Option<(String, String)>,
    requests: Vec<Request>,
}

/// A completed request, as the facts record it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    method: String,
    url: String,
    version: String,
    raw_headers: Vec<String>,
    body: Vec<u8>,
    raw_trailers: Vec<String>,
}

/// Text as Node's `latin1`: one byte per character.
fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("latin1"))
        .collect()
}

/// `%REPEAT:n:c%` stands for `c` repeated `n` times (as in the script).
fn expand(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("%REPEAT:") {
        out.push_str(&rest[..start]);
        let spec = &rest[start + 8..];
        let end = spec.find('%').expect("closed");
        let (n, c) = spec[..end].split_once(':').expect("n:c");
        out.push_str(&c.repeat(n.parse().expect("a count")));
        rest = &spec[end + 1..];
    }
    out.push_str(rest);
    out
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn facts() -> Vec<Fact> {
    include_str!("../../../fixtures/http/llhttp-facts.jsonl")
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("a fact");
            let error = v["error"].as_object().map(|e| {
                (
                    e["code"].as_str().unwrap_or("").to_string(),
                    e["reason"].as_str().unwrap_or("").to_string(),
                )
            });
            let requests = v["requests"]
                .as_array()
                .expect("requests")
                .iter()
                .map(|r| Request {
                    method: r["method"].as_str().unwrap_or("").into(),
                    url: r["url"].as_str().unwrap_or("").into(),
                    version: r["httpVersion"].as_str().unwrap_or("").into(),
                    raw_headers: strings(&r["rawHeaders"]),
                    body: latin1(r["body"].as_str().unwrap_or("")),
                    raw_trailers: strings(&r["rawTrailers"]),
                })
                .collect();
            Fact {
                name: v["name"].as_str().unwrap_or("").into(),
                input: latin1(&expand(v["input"].as_str().unwrap_or(""))),
                error,
                requests,
            }
        })
        .collect()
}

/// What a parser made of `pieces`, then the end of the stream: the
/// requests it completed, and its error.
fn outcome(pieces: &[&[u8]]) -> (Vec<Request>, Option<(String, String)>) {
    let mut parser = RequestParser::new();
    let mut done = Vec::new();
    let mut current: Option<Request> = None;
    let mut take = |items: Vec<Parsed>, done: &mut Vec<Request>| {
        for item in items {
            match item {
                Parsed::Head(h) => {
                    current = Some(Request {
                        method: h.method.clone(),
                        url: h.url.clone(),
                        version: h.http_version(),
                        raw_headers: h
                            .headers
                            .iter()
                            .flat_map(|(n, v)| [n.clone(), v.clone()])
                            .collect(),
                        body: Vec::new(),
                        raw_trailers: Vec::new(),
                    })
                }
                Parsed::Body(b) => current.as_mut().expect("a head").body.extend(b),
                Parsed::Trailers(t) => {
                    current.as_mut().expect("a head").raw_trailers =
                        t.into_iter().flat_map(|(n, v)| [n, v]).collect()
                }
                Parsed::Complete => done.push(current.take().expect("a head")),
                Parsed::Upgraded(_) => {}
            }
        }
    };
    for piece in pieces {
        let mut items = Vec::new();
        let fed = parser.feed(piece, &mut items);
        take(items, &mut done);
        if let Err(e) = fed {
            return (done, Some((e.code.into(), e.reason.into())));
        }
    }
    let end = parser
        .finish()
        .err()
        .map(|e| (e.code.into(), e.reason.into()));
    (done, end)
}

#[test]
fn every_fact_from_live_node_holds() {
    let facts = facts();
    assert!(facts.len() >= 80, "the facts file is there");
    let mut wrong = Vec::new();
    for fact in &facts {
        let got = outcome(&[&fact.input]);
        if got != (fact.requests.clone(), fact.error.clone()) {
            wrong.push(format!(
                "{}:\n  node:   {:?} {:?}\n  parser: {:?} {:?}",
                fact.name, fact.requests, fact.error, got.0, got.1
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_split_in_two_and_byte_at_a_time_parse_the_same() {
    for fact in facts() {
        let whole = outcome(&[&fact.input]);
        // Every byte of the short inputs; a cut every 251 bytes (and near
        // the ends) of the few long ones (heads near maxHeaderSize).
        let step = if fact.input.len() < 4096 { 1 } else { 251 };
        let cuts = (0..=fact.input.len())
            .step_by(step)
            .chain(fact.input.len().saturating_sub(8)..=fact.input.len());
        for cut in cuts {
            let (a, b) = fact.input.split_at(cut);
            assert_eq!(outcome(&[a, b]), whole, "{} split at {cut}", fact.name);
        }
        if fact.input.len() < 4096 {
            let bytes: Vec<&[u8]> = fact.input.chunks(1).collect();
            assert_eq!(outcome(&bytes), whole, "{} byte at a time", fact.name);
        }
    }
}

proptest! {
    #[test]
    fn any_split_parses_the_same(index in 0usize..1000, cuts in proptest::collection::vec(0usize..20_000, 0..12)) {
        let facts = facts();
        let fact = &facts[index % facts.len()];
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (fact.input.len() + 1)).collect();
        cuts.sort_unstable();
        let mut pieces = Vec::new();
        let mut from = 0;
        for c in cuts {
            pieces.push(&fact.input[from..c]);
            from = c;
        }
        pieces.push(&fact.input[from..]);
        prop_assert_eq!(outcome(&pieces), outcome(&[&fact.input]));
    }
}

#[test]
fn an_unfinished_method_fails_before_the_line_ends() {
    let mut parser = RequestParser::new();
    let mut items = Vec::new();
    parser.feed(b"GE", &mut items).unwrap();
    let e = parser.feed(b"X", &mut items).unwrap_err();
    assert_eq!(
        (e.code, e.reason, e.position),
        ("HPE_INVALID_METHOD", "Invalid method encountered", 2)
    );
}

#[test]
fn a_header_line_that_never_ends_overflows_without_waiting() {
    let mut parser = RequestParser::new();
    let mut items = Vec::new();
    parser.feed(b"GET / HTTP/1.1\r\nX: ", &mut items).unwrap();
    let e = parser
        .feed(&vec![b'a'; MAX_HEADER_SIZE + 100], &mut items)
        .unwrap_err();
    assert_eq!(e.code, "HPE_HEADER_OVERFLOW");
}

#[test]
fn bodies_framing_and_keep_alive() {
    let mut parser = RequestParser::new();
    let mut items = Vec::new();
    parser
        .feed(
            b"POST /x HTTP/1.0\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nhi",
            &mut items,
        )
        .unwrap();
    let Parsed::Head(head) = &items[0] else {
        panic!("{items:?}")
    };
    assert_eq!(head.framing, Framing::Length(2));
    assert!(head.keep_alive);
    assert_eq!(
        &items[1..],
        &[Parsed::Body(b"hi".to_vec()), Parsed::Complete]
    );
    // An upgrade hands the rest over as it is.
    let mut parser = RequestParser::new();
    let mut items = Vec::new();
    parser
        .feed(
            b"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: ws\r\n\r\n\x00\x01",
            &mut items,
        )
        .unwrap();
    assert!(matches!(&items[0], Parsed::Head(h) if h.upgrade));
    assert_eq!(
        &items[1..],
        &[Parsed::Complete, Parsed::Upgraded(vec![0, 1])]
    );
}

/// Node's `_send` masks: the first `Date` line's value, as the script
/// does.
fn mask_date(wire: &[u8]) -> String {
    let text: String = wire.iter().map(|&b| char::from(b)).collect();
    match text.find("Date: ") {
        Some(at) => {
            let end = text[at..].find("\r\n").map_or(text.len(), |e| at + e);
            format!("{}Date: <date>{}", &text[..at], &text[end..])
        }
        None => text,
    }
}

fn header_value(v: &Value) -> HeaderValue {
    match v {
        Value::Array(items) => HeaderValue::Many(
            items
                .iter()
                .map(|s| s.as_str().unwrap_or("").into())
                .collect(),
        ),
        other => HeaderValue::One(other.as_str().map_or_else(|| other.to_string(), Into::into)),
    }
}

/// Replays a scenario's calls; returns the bytes and the error codes.
fn replay(request: &[u8], actions: &[Value]) -> (String, Vec<String>) {
    let mut parser = RequestParser::new();
    let mut items = Vec::new();
    parser.feed(request, &mut items).expect("a valid request");
    let Some(Parsed::Head(head)) = items.into_iter().next() else {
        panic!("no head")
    };
    let mut res = OutgoingMessage::response(&head, 5000, 0);
    res.date = "<date>".into();
    let mut errors = Vec::new();
    for action in actions {
        let a = action.as_array().expect("an action");
        let arg = |i: usize| a.get(i).cloned().unwrap_or(Value::Null);
        let text = |i: usize| arg(i).as_str().map(|s| s.as_bytes().to_vec());
        let result = match a[0].as_str().unwrap_or("") {
            "setHeader" => res.set_header(arg(1).as_str().unwrap_or(""), header_value(&arg(2))),
            "removeHeader" => res.remove_header(arg(1).as_str().unwrap_or("")),
            "write" => res.write(&text(1).unwrap_or_default()),
            "end" => res.end(text(1).as_deref()),
            "addTrailers" => {
                let pairs: Vec<(String, String)> = arg(1)
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").into()))
                            .collect()
                    })
                    .unwrap_or_default();
                res.add_trailers(&pairs)
            }
            "writeHead" => {
                let code = arg(1).as_u64().unwrap_or(0) as u16;
                let (message, headers) = match arg(2) {
                    Value::String(m) => (Some(m), arg(3)),
                    other => (None, other),
                };
                let flat = headers.as_array().cloned().unwrap_or_default();
                let pairs: Vec<(String, HeaderValue)> = flat
                    .chunks(2)
                    .map(|p| (p[0].as_str().unwrap_or("").into(), header_value(&p[1])))
                    .collect();
                res.write_head(code, message.as_deref(), &pairs)
            }
            "set" => {
                match arg(1).as_str().unwrap_or("") {
                    "sendDate" => res.send_date = arg(2).as_bool().unwrap_or(true),
                    "statusCode" => res.status_code = arg(2).as_u64().unwrap_or(200) as u16,
                    other => panic!("no property {other}"),
                }
                Ok(())
            }
            other => panic!("no method {other}"),
        };
        if let Err(e) = result {
            errors.push(e.code.to_string());
        }
    }
    (mask_date(&res.take_output()), errors)
}

#[test]
fn every_response_fact_from_live_node_holds() {
    let mut wrong = Vec::new();
    let mut count = 0;
    for line in include_str!("../../../fixtures/http/response-facts.jsonl").lines() {
        let fact: Value = serde_json::from_str(line).expect("a fact");
        let request = latin1(fact["request"].as_str().unwrap_or(""));
        let actions = fact["actions"].as_array().cloned().unwrap_or_default();
        let got = replay(&request, &actions);
        let want = (
            fact["wire"].as_str().unwrap_or("").to_string(),
            strings(&fact["errors"]),
        );
        if got != want {
            wrong.push(format!(
                "{}:\n  node:     {:?}\n  response: {:?}",
                fact["name"], want, got
            ));
        }
        count += 1;
    }
    assert!(count >= 30, "the facts file is there");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Inputs the fuzz target found (`fixtures/http/fuzz/`): the first byte
/// is the piece size, the rest the connection's bytes; whole and in
/// pieces must parse the same.
#[test]
fn what_the_fuzzer_found_parses_the_same_in_pieces() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/http/fuzz");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("the fixtures") {
        let data = std::fs::read(entry.expect("an entry").path()).expect("readable");
        let Some((&size, bytes)) = data.split_first() else {
            continue;
        };
        let pieces: Vec<&[u8]> = bytes.chunks(usize::from(size.max(1))).collect();
        assert_eq!(outcome(&pieces), outcome(&[bytes]));
        seen += 1;
    }
    assert!(seen > 0);
}

/// What Node's client reports for a response, from what the parser made
/// of it: the 1xx heads, then the final response once complete; an error
/// the parser finds before the final head is the request's `'error'` with
/// its `HPE_*` code; after it (or a connection that ends first) the
/// client reports `ECONNRESET` (Node destroys the socket: "socket hang
/// up" / "aborted").
fn client_outcome(method: &str, bytes: &[u8]) -> Value {
    let mut parser = ResponseParser::new(method);
    let mut items = Vec::new();
    let result = parser
        .feed(bytes, &mut items)
        .and_then(|()| parser.finish(&mut items));
    let mut informational = Vec::new();
    let mut response = Value::Null;
    let mut current: Option<(ResponseHead, Vec<u8>, Vec<String>)> = None;
    let describe = |h: &ResponseHead| {
        let raw: Vec<&String> = h.headers.iter().flat_map(|(n, v)| [n, v]).collect();
        serde_json::json!({"statusCode": h.status, "statusMessage": h.reason,
            "httpVersion": h.http_version(), "rawHeaders": raw})
    };
    for item in items {
        match item {
            Parsed::Head(h) => current = Some((h, Vec::new(), Vec::new())),
            Parsed::Body(b) => current.as_mut().expect("a head").1.extend(b),
            Parsed::Trailers(t) => {
                current.as_mut().expect("a head").2 =
                    t.into_iter().flat_map(|(n, v)| [n, v]).collect();
            }
            Parsed::Complete => {
                let (h, body, trailers) = current.take().expect("a head");
                if (100..200).contains(&h.status) && h.status != 101 {
                    informational.push(describe(&h));
                } else {
                    let mut r = describe(&h);
                    r["body"] = Value::String(body.iter().map(|&b| char::from(b)).collect());
                    r["rawTrailers"] = serde_json::json!(trailers);
                    response = r;
                }
            }
            Parsed::Upgraded(_) => {}
        }
    }
    let final_head = current
        .as_ref()
        .is_some_and(|(h, ..)| !(100..200).contains(&h.status));
    let error = match result {
        Err(_) if final_head || !response.is_null() => serde_json::json!({"code": "ECONNRESET"}),
        Err(e) if e.code == "HPE_INVALID_EOF_STATE" => serde_json::json!({"code": "ECONNRESET"}),
        Err(e) => serde_json::json!({"code": e.code, "reason": e.reason}),
        Ok(()) => Value::Null,
    };
    if !error.is_null() {
        response = Value::Null;
    }
    serde_json::json!({"informational": informational, "response": response, "error": error})
}

#[test]
fn every_client_fact_from_live_node_holds() {
    // "bytes" is what the server sent; the result is under
    // "informational", "response" (the IncomingMessage) and "error".
    let mut wrong = Vec::new();
    let mut count = 0;
    for line in include_str!("../../../fixtures/http/client-facts.jsonl").lines() {
        let fact: Value = serde_json::from_str(line).expect("a fact");
        let got = client_outcome(
            fact["method"].as_str().unwrap_or("GET"),
            &latin1(fact["bytes"].as_str().unwrap_or("")),
        );
        let want = serde_json::json!({
            "informational": fact["informational"],
            "response": fact["response"],
            "error": fact["error"],
        });
        if got != want {
            wrong.push(format!(
                "{}:\n  node:   {want}\n  parser: {got}",
                fact["name"]
            ));
        }
        count += 1;
    }
    assert!(count >= 30, "the facts file is there");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A client's request bytes, as Node 20's `http.request` writes them
/// (checked against a raw server: `Host` first from the constructor,
/// `Connection` from the agent, the length only for a body known at
/// `end()` on a method with a body by convention).
#[test]
fn requests_are_framed_as_node_frames_them() {
    let host = |r: &mut OutgoingMessage| r.set_header("Host", "h:1".into()).unwrap();
    let mut get = OutgoingMessage::request("GET", "/x", false);
    host(&mut get);
    get.end(None).unwrap();
    assert_eq!(
        String::from_utf8(get.take_output()).unwrap(),
        "GET /x HTTP/1.1\r\nHost: h:1\r\nConnection: close\r\n\r\n"
    );
    let mut post = OutgoingMessage::request("POST", "/", true);
    host(&mut post);
    post.end(Some(b"abc")).unwrap();
    assert_eq!(
        String::from_utf8(post.take_output()).unwrap(),
        "POST / HTTP/1.1\r\nHost: h:1\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc"
    );
    let mut chunked = OutgoingMessage::request("PUT", "/", true);
    host(&mut chunked);
    chunked.write(b"ab").unwrap();
    chunked.end(None).unwrap();
    assert_eq!(
        String::from_utf8(chunked.take_output()).unwrap(),
        "PUT / HTTP/1.1\r\nHost: h:1\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
    );
    // A GET's body goes out unframed: no length, not chunked.
    let mut get_body = OutgoingMessage::request("GET", "/", true);
    get_body.end(Some(b"zz")).unwrap();
    assert_eq!(
        String::from_utf8(get_body.take_output()).unwrap(),
        "GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\nzz"
    );
}

/// Informational heads, one after another and in separate reads, before
/// the final one (Node's client emits `'information'` for each).
#[test]
fn informational_heads_follow_one_another() {
    let mut p = ResponseParser::new("GET");
    let mut out = Vec::new();
    p.feed(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", &mut out)
        .unwrap();
    p.feed(b"HTTP/1.1 100 Continue\r\n\r\n", &mut out).unwrap();
    p.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &mut out)
        .unwrap();
    let statuses: Vec<u16> = out
        .iter()
        .filter_map(|i| match i {
            Parsed::Head(h) => Some(h.status),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [103, 100, 200]);
    assert!(matches!(out.last(), Some(Parsed::Complete)));
}

/// `maxHeaderSize` counts the url and the names and values, and is
/// reached when the count equals it (as Node 20 answered, see
/// spec/http/parser-options.md).
#[test]
fn max_header_size_is_the_url_names_and_values() {
    let head =
        |value: &str| format!("GET /0123456789 HTTP/1.1\r\nHost: a\r\nX-Long: {value}\r\n\r\n");
    let mut fits = RequestParser::new();
    fits.set_max_header_size(40);
    let mut out = Vec::new();
    assert!(
        fits.feed(head("01234567890123456").as_bytes(), &mut out)
            .is_ok()
    );
    let mut over = RequestParser::new();
    over.set_max_header_size(40);
    let e = over
        .feed(head("012345678901234567").as_bytes(), &mut Vec::new())
        .unwrap_err();
    assert_eq!(e.code, "HPE_HEADER_OVERFLOW");
    // 0 is Node's default.
    let mut default = RequestParser::new();
    default.set_max_header_size(0);
    assert!(
        default
            .feed(head(&"x".repeat(1000)).as_bytes(), &mut Vec::new())
            .is_ok()
    );
}

//! `http.request()`'s arguments as Node's `ClientRequest` constructor
//! reads them: a URL string, an options object, or both, and a callback;
//! and `new http.Agent(options)`'s.

use super::agent::AgentHost;
use super::outgoing::header_value;
use crate::driver::reference::host::Failure;
use crate::driver::reference::js::JsVal;
use crate::driver::reference::js::url::{Url, percent_decode};
use crate::driver::reference::js::validate::invalid_arg_type;
use crate::http::{Agent, AgentOptions, RequestOptions, Scheduling};

/// Which agent a request goes through.
pub(super) enum AgentChoice {
    /// `agent` undefined or null: `http.globalAgent`.
    Global,
    /// `agent: false`: a new default `Agent`, for this request alone.
    Fresh,
    /// An `Agent` the script made.
    This(Agent),
}

/// Node's `urlToHttpOptions(url)`: host, port, path (with the query),
/// and `auth`, the user name and password each percent-decoded, joined
/// with `:`.
fn url_options(url: &Url) -> JsVal {
    let mut p = crate::driver::reference::js::Props::new();
    p.insert("protocol", JsVal::String(url.protocol.clone()));
    p.insert("hostname", JsVal::String(url.hostname.clone()));
    p.insert(
        "path",
        JsVal::String(format!("{}{}", url.pathname, url.search)),
    );
    if !url.port.is_empty() {
        p.insert(
            "port",
            JsVal::Number(url.port.parse::<f64>().unwrap_or(0.0)),
        );
    }
    if !url.username.is_empty() || !url.password.is_empty() {
        p.insert(
            "auth",
            JsVal::String(format!(
                "{}:{}",
                percent_decode(&url.username),
                percent_decode(&url.password)
            )),
        );
    }
    JsVal::Object(p)
}

/// The URL a `request()` argument is: a string, or a `URL` object.
fn url_arg(v: &JsVal) -> Result<Option<Url>, Failure> {
    match v {
        JsVal::String(s) => Ok(Some(Url::parse(s)?)),
        other => Ok(Url::from_value(other)),
    }
}

/// `http.request(url[, options][, callback])` or
/// `http.request(options[, callback])`.
pub(super) fn parse(
    args: &[JsVal],
    expected_protocol: &str,
) -> Result<(RequestOptions, AgentChoice, Option<String>, JsVal), Failure> {
    let callback = args.iter().find_map(|a| match a {
        JsVal::Callback(c) => Some(c.clone()),
        _ => None,
    });
    let url = match args.first() {
        Some(v) => url_arg(v)?,
        None => None,
    };
    let options = match (url, args.first(), args.get(1)) {
        (Some(url), _, Some(JsVal::Object(extra))) => {
            let JsVal::Object(mut base) = url_options(&url) else {
                unreachable!("url_options makes an object")
            };
            for (k, v) in extra.iter() {
                base.insert(k.clone(), v.clone());
            }
            JsVal::Object(base)
        }
        (Some(url), _, _) => url_options(&url),
        (None, Some(o @ JsVal::Object(_)), _) => o.clone(),
        _ => JsVal::Object(Default::default()),
    };
    let o = |k: &str| options.opt(k).filter(|v| !matches!(v, JsVal::Null));
    let agent = match options.opt("agent") {
        None | Some(JsVal::Null) => AgentChoice::Global,
        Some(JsVal::Bool(false)) => AgentChoice::Fresh,
        Some(JsVal::Host(h)) if h.as_any().downcast_ref::<AgentHost>().is_some() => {
            let a = h.as_any().downcast_ref::<AgentHost>().expect("checked");
            AgentChoice::This(a.0.clone())
        }
        Some(other) => {
            return Err(invalid_arg_type(
                "\"options.agent\" property",
                "of type Agent-like Object, undefined, or false",
                other,
            )
            .into());
        }
    };
    if let Some(p) = o("protocol")
        && p.to_js_string() != expected_protocol
    {
        return Err(crate::Error::type_error(
            "ERR_INVALID_PROTOCOL",
            format!(
                "Protocol \"{}\" not supported. Expected \"{expected_protocol}\"",
                p.to_js_string()
            ),
        )
        .into());
    }
    let mut out = RequestOptions::default();
    if let Some(path) = o("path").filter(|p| p.truthy()) {
        let path = path.to_js_string();
        // INVALID_PATH_REGEX: anything outside U+0021..U+00FF.
        if path.chars().any(|c| !('\u{21}'..='\u{ff}').contains(&c)) {
            return Err(crate::Error::type_error(
                "ERR_UNESCAPED_CHARACTERS",
                "Request path contains unescaped characters",
            )
            .into());
        }
        out.path = path;
    }
    if let Some(port) = o("port").filter(|p| p.truthy()) {
        out.port = Some(port.to_number() as u16);
    }
    for key in ["hostname", "host"] {
        match o(key) {
            Some(JsVal::String(h)) if !h.is_empty() => {
                out.host = h.clone();
                break;
            }
            Some(JsVal::String(_)) | None => {}
            Some(other) => {
                return Err(invalid_arg_type(
                    &format!("\"options.{key}\" property"),
                    "of type string",
                    other,
                )
                .into());
            }
        }
    }
    match o("method") {
        None => {}
        Some(JsVal::String(m)) if m.is_empty() => {}
        Some(JsVal::String(m)) => {
            let token = m
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token {
                return Err(crate::Error::type_error(
                    "ERR_INVALID_HTTP_TOKEN",
                    format!("Method must be a valid HTTP token [\"{m}\"]"),
                )
                .into());
            }
            out.method = m.to_ascii_uppercase();
        }
        Some(other) => {
            return Err(
                invalid_arg_type("\"options.method\" property", "of type string", other).into(),
            );
        }
    }
    if let Some(JsVal::Array(items)) = o("headers") {
        // `[[name, value], …]` or `[name, value, …]` (even length).
        let pairs: Vec<(JsVal, JsVal)> = if matches!(items.first(), Some(JsVal::Array(_))) {
            items
                .iter()
                .map(|e| {
                    let at = |i: usize| match e {
                        JsVal::Array(v) => v.get(i).cloned().unwrap_or(JsVal::Undefined),
                        _ => JsVal::Undefined,
                    };
                    (at(0), at(1))
                })
                .collect()
        } else if items.len() % 2 == 1 {
            return Err(crate::Error::type_error(
                "ERR_INVALID_ARG_VALUE",
                "The argument 'headers' is invalid.",
            )
            .into());
        } else {
            items
                .chunks(2)
                .map(|c| (c[0].clone(), c[1].clone()))
                .collect()
        };
        let mut list = Vec::new();
        for (name, value) in pairs {
            let name = name.to_js_string();
            let value = header_value(&value).ok_or_else(|| -> Failure {
                crate::Error::type_error(
                    "ERR_HTTP_INVALID_HEADER_VALUE",
                    format!("Invalid value \"undefined\" for header \"{name}\""),
                )
                .into()
            })?;
            list.push((name, value));
        }
        out.raw_headers = Some(list);
    }
    if let Some(JsVal::Object(headers)) = o("headers") {
        for (k, v) in headers.iter() {
            let value = header_value(v).ok_or_else(|| -> Failure {
                crate::Error::type_error(
                    "ERR_HTTP_INVALID_HEADER_VALUE",
                    format!("Invalid value \"undefined\" for header \"{k}\""),
                )
                .into()
            })?;
            out.headers.push((k.clone(), value));
        }
    }
    if let Some(v) = options.opt("setHost") {
        out.set_host = v.truthy();
    }
    if let Some(a) = o("auth") {
        out.auth = Some(a.to_js_string());
    }
    if let Some(p) = o("socketPath") {
        out.socket_path = Some(p.to_js_string());
    }
    if let Some(n) = super::parser_options(&options)? {
        out.max_header_size = n;
    }
    if let Some(t) = o("timeout") {
        out.timeout = Some(t.to_number().max(0.0) as u64);
    }
    Ok((out, agent, callback, options))
}

/// `new http.Agent(options)`.
pub(in super::super) fn agent_options(options: Option<&JsVal>) -> Result<AgentOptions, Failure> {
    let mut out = AgentOptions::default();
    let Some(options) = options else {
        return Ok(out);
    };
    // `this.options.x || default`: a falsy value is the default.
    let num = |k: &str| options.opt(k).filter(|v| v.truthy()).map(JsVal::to_number);
    out.keep_alive = options.opt("keepAlive").is_some_and(JsVal::truthy);
    if let Some(n) = num("keepAliveMsecs") {
        out.keep_alive_msecs = n as u64;
    }
    if let Some(n) = num("maxSockets") {
        out.max_sockets = n;
    }
    if let Some(n) = num("maxFreeSockets") {
        out.max_free_sockets = n;
    }
    if let Some(v) = options.opt("maxTotalSockets") {
        let JsVal::Number(n) = v else {
            return Err(
                invalid_arg_type("\"maxTotalSockets\" argument", "of type number", v).into(),
            );
        };
        if *n < 1.0 || n.is_nan() {
            return Err(crate::Error::range_error(
                "ERR_OUT_OF_RANGE",
                format!("The value of \"maxTotalSockets\" is out of range. It must be >= 1 && <= 9007199254740991. Received {}", crate::number::to_js_string(*n)),
            )
            .into());
        }
        out.max_total_sockets = *n;
    }
    if let Some(n) = num("timeout") {
        out.timeout = n as u64;
    }
    if let Some(v) = options.opt("noDelay") {
        out.no_delay = v.truthy();
    }
    match options
        .opt("scheduling")
        .map(JsVal::to_js_string)
        .as_deref()
    {
        None | Some("lifo") => {}
        Some("fifo") => out.scheduling = Scheduling::Fifo,
        Some(other) => {
            return Err(crate::Error::type_error(
                "ERR_INVALID_ARG_VALUE",
                format!(
                    "The argument 'scheduling' must be one of: 'fifo', 'lifo'. Received '{other}'"
                ),
            )
            .into());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::reference::js::Props;

    fn field(v: &JsVal, k: &str) -> Option<String> {
        v.get(k).map(JsVal::to_js_string)
    }

    fn opts(input: &str) -> JsVal {
        url_options(&Url::parse(input).unwrap())
    }

    #[test]
    fn urls_read_as_whatwg_and_url_to_http_options_do() {
        let u = opts("http://127.0.0.1/a b/../c?x y#frag");
        assert_eq!(field(&u, "path").as_deref(), Some("/c?x%20y"));
        assert_eq!(field(&u, "hostname").as_deref(), Some("127.0.0.1"));
        assert_eq!(field(&u, "port"), None);
        let u = opts("HTTP://us%20er@Example.COM:80/./p/%2e%2E/q\\r");
        assert_eq!(field(&u, "auth").as_deref(), Some("us er:"));
        assert_eq!(field(&u, "hostname").as_deref(), Some("example.com"));
        assert_eq!(field(&u, "path").as_deref(), Some("/q/r"));
        assert_eq!(field(&u, "port"), None);
        let u = opts("http://[::1]:8080/é?q='");
        assert_eq!(field(&u, "hostname").as_deref(), Some("::1"));
        assert_eq!(field(&u, "port").as_deref(), Some("8080"));
        assert_eq!(field(&u, "path").as_deref(), Some("/%C3%A9?q=%27"));
        assert!(Url::parse("not a url").is_err());
        // Special schemes skip any number of slashes: the host is `x`.
        let u = opts("http:///x");
        assert_eq!(field(&u, "hostname").as_deref(), Some("x"));
        assert_eq!(field(&u, "path").as_deref(), Some("/"));
    }

    #[test]
    fn a_url_object_is_what_node_shows() {
        let u = Url::parse("HTTP://a:b@Host:8080/x/../y?q#h").unwrap();
        assert_eq!(u.href(), "http://a:b@host:8080/y?q#h");
        let v = u.to_value();
        assert_eq!(Url::from_value(&v), Some(u));
        // An options object is not a URL (Node's isURL).
        assert_eq!(Url::from_value(&JsVal::Object(Props::new())), None);
    }
}

//! `new URL(input)` for the special schemes (`http:`, `https:`…) as the
//! WHATWG URL parser reads them, as far as scripts need it: tabs and
//! newlines dropped, any slashes after the scheme, `\\` as `/`, the host
//! lower-cased, dot segments resolved, the path and the query
//! percent-encoded (each with its own set), the default port dropped.
//! No IDNA, no IPv4 number forms, no relative URLs.

use std::any::Any;

use crate::driver::reference::host::{Eval, Failure, HostListener, HostObject};
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::error::Error;

/// A parsed URL's parts, as a `URL` object's properties show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `url.protocol`: `http:`.
    pub protocol: String,
    /// `url.username`, percent-encoded as given.
    pub username: String,
    /// `url.password`.
    pub password: String,
    /// `url.hostname` (without brackets for IPv6).
    pub hostname: String,
    /// `url.port`: empty for the scheme's default.
    pub port: String,
    /// `url.pathname`.
    pub pathname: String,
    /// `url.search`: `?…` or empty.
    pub search: String,
    /// `url.hash`: `#…` or empty.
    pub hash: String,
}

fn default_port(protocol: &str) -> Option<&'static str> {
    match protocol {
        "http:" | "ws:" => Some("80"),
        "https:" | "wss:" => Some("443"),
        "ftp:" => Some("21"),
        _ => None,
    }
}

impl Url {
    /// `new URL(input)`: a `TypeError` `ERR_INVALID_URL` when it is not
    /// one this parser reads.
    pub fn parse(input: &str) -> Result<Url, Error> {
        let invalid = || Error::type_error("ERR_INVALID_URL", "Invalid URL");
        let cleaned: String = input
            .trim_matches(|c: char| c <= ' ')
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        let (scheme, rest) = cleaned.split_once(':').ok_or_else(invalid)?;
        let protocol = format!("{}:", scheme.to_ascii_lowercase());
        let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !valid_scheme || default_port(&protocol).is_none() {
            return Err(invalid());
        }
        let rest = rest.trim_start_matches(['/', '\\']);
        let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((a, h)) => (Some(a), h),
            None => (None, authority),
        };
        let (hostname, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(invalid)?;
            (
                h.to_ascii_lowercase(),
                after.strip_prefix(':').unwrap_or(""),
            )
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_ascii_lowercase(), p),
                None => (hostport.to_ascii_lowercase(), ""),
            }
        };
        if hostname.is_empty() {
            return Err(invalid());
        }
        let port = if port.is_empty() {
            String::new()
        } else {
            let n: u16 = port.parse().map_err(|_| invalid())?;
            let n = n.to_string();
            if Some(n.as_str()) == default_port(&protocol) {
                String::new()
            } else {
                n
            }
        };
        let (tail, hash) = match tail.split_once('#') {
            Some((t, h)) => (
                t,
                format!("#{}", percent_encode(h, |b| b"\"<>`".contains(&b))),
            ),
            None => (tail, String::new()),
        };
        let (raw_path, search) = match tail.split_once('?') {
            Some((p, q)) => (
                p,
                format!("?{}", percent_encode(q, |b| b"\"#<>'".contains(&b))),
            ),
            None => (tail, String::new()),
        };
        let userinfo_set = |b: u8| b"\"#<>?`{}/:;=@[\\]^|".contains(&b);
        let (username, password) = match userinfo {
            Some(info) => {
                let (u, p) = info.split_once(':').unwrap_or((info, ""));
                (
                    percent_encode(u, userinfo_set),
                    percent_encode(p, userinfo_set),
                )
            }
            None => (String::new(), String::new()),
        };
        Ok(Url {
            protocol,
            username,
            password,
            hostname,
            port,
            pathname: url_path(raw_path),
            search: if search == "?" { String::new() } else { search },
            hash: if hash == "#" { String::new() } else { hash },
        })
    }

    /// `url.host`: the hostname (bracketed if IPv6) and the port if any.
    pub fn host(&self) -> String {
        let name = if self.hostname.contains(':') {
            format!("[{}]", self.hostname)
        } else {
            self.hostname.clone()
        };
        if self.port.is_empty() {
            name
        } else {
            format!("{name}:{}", self.port)
        }
    }

    /// `url.href`.
    pub fn href(&self) -> String {
        let userinfo = match (self.username.is_empty(), self.password.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!("{}@", self.username),
            _ => format!("{}:{}@", self.username, self.password),
        };
        format!(
            "{}//{userinfo}{}{}{}{}",
            self.protocol,
            self.host(),
            self.pathname,
            self.search,
            self.hash
        )
    }

    /// The `URL` object a script sees: its string properties. (Node's
    /// `isURL` knows a URL by `href` and `protocol` without `auth` or
    /// `path`, as this object is.)
    pub fn to_value(&self) -> JsVal {
        let mut p = Props::new();
        p.insert("href", JsVal::String(self.href()));
        p.insert(
            "origin",
            JsVal::String(format!("{}//{}", self.protocol, self.host())),
        );
        p.insert("protocol", JsVal::String(self.protocol.clone()));
        p.insert("username", JsVal::String(self.username.clone()));
        p.insert("password", JsVal::String(self.password.clone()));
        p.insert("host", JsVal::String(self.host()));
        p.insert("hostname", JsVal::String(self.hostname.clone()));
        p.insert("port", JsVal::String(self.port.clone()));
        p.insert("pathname", JsVal::String(self.pathname.clone()));
        p.insert("search", JsVal::String(self.search.clone()));
        p.insert("hash", JsVal::String(self.hash.clone()));
        JsVal::Object(p)
    }

    /// A `URL` object a script made, read back.
    pub fn from_value(v: &JsVal) -> Option<Url> {
        if let JsVal::Host(h) = v
            && let Some(u) = h.as_any().downcast_ref::<UrlHost>()
        {
            return Some(u.url());
        }
        let is_url = v.has("href") && v.has("protocol") && !v.has("auth") && !v.has("path");
        if !is_url {
            return None;
        }
        Url::parse(&v.get("href")?.to_js_string()).ok()
    }
}

/// `new URL(input)`: an object scripts can change (`url.port = …`).
pub fn construct(args: &[JsVal]) -> Result<JsVal, Error> {
    let input = args.first().map(JsVal::to_js_string).unwrap_or_default();
    Ok(JsVal::Host(std::sync::Arc::new(UrlHost(
        std::sync::Mutex::new(Url::parse(&input)?),
    ))))
}

/// A `URL` object: its properties read from the parsed URL; `port` can
/// be set (the WHATWG setter: the leading digits, the scheme's default
/// port as none, anything else ignored).
pub struct UrlHost(std::sync::Mutex<Url>);

impl UrlHost {
    fn url(&self) -> Url {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl HostObject for UrlHost {
    fn class(&self) -> &'static str {
        "URL"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn HostObject) -> bool {
        std::ptr::eq(self.as_any(), other.as_any())
    }

    fn get(&self, _cx: &Session, property: &str) -> Result<Option<JsVal>, Failure> {
        Ok(self.url().to_value().get(property).cloned())
    }

    fn set(&self, _cx: &Session, property: &str, value: &JsVal) -> Result<bool, Failure> {
        if property != "port" {
            return Err(Failure::unsupported(format!("setting URL's {property}")));
        }
        let text = value.to_js_string();
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        let mut url = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if text.is_empty() {
            url.port = String::new();
        } else if let Ok(n) = digits.parse::<u16>() {
            let n = n.to_string();
            url.port = if Some(n.as_str()) == default_port(&url.protocol) {
                String::new()
            } else {
                n
            };
        }
        Ok(true)
    }

    fn call(&self, _cx: &Session, _this: &JsVal, method: &str, _args: Vec<JsVal>) -> Eval {
        match method {
            "toString" | "toJSON" => Ok(JsVal::String(self.url().href())),
            other => Err(Failure::unsupported(format!("URL.{other}"))),
        }
    }

    fn subscribe(&self, event: &str, _once: bool, _listener: HostListener) -> Result<(), String> {
        Err(format!("no event '{event}' here"))
    }

    fn listener_count(&self, _event: &str) -> Option<usize> {
        None
    }

    fn teardown(&self) {}
}

/// A special URL's path: `\\` is `/`, `.` and `..` segments (also as
/// `%2e`) resolved, each segment percent-encoded with the path set.
pub fn url_path(raw: &str) -> String {
    let mut segments: Vec<String> = Vec::new();
    let raw = raw.replace('\\', "/");
    let parts: Vec<&str> = raw.split('/').skip(1).collect();
    for (k, seg) in parts.iter().enumerate() {
        let last = k + 1 == parts.len();
        match seg.to_ascii_lowercase().as_str() {
            "." | "%2e" => {
                if last {
                    segments.push(String::new());
                }
            }
            ".." | ".%2e" | "%2e." | "%2e%2e" => {
                segments.pop();
                if last {
                    segments.push(String::new());
                }
            }
            _ => segments.push(percent_encode(seg, |b| b"\"#<>?`{}".contains(&b))),
        }
    }
    format!("/{}", segments.join("/"))
}

/// Percent-encodes controls, space, non-ASCII (as UTF-8) and the bytes
/// `extra` names.
fn percent_encode(s: &str, extra: impl Fn(u8) -> bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b <= b' ' || b >= 0x7f || extra(b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// `decodeURIComponent`, for what a URL parser left percent-encoded.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

//! The `node:http` bindings: the module's functions here, one file per
//! class. `http.Server` delegates what it inherits to the `net.Server`
//! binding; `ServerResponse` and `ClientRequest` share `OutgoingMessage`'s
//! methods.

mod agent;
mod client;
mod incoming;
mod outgoing;
mod request_options;

pub(super) use agent::agent_value;
pub(super) use request_options::agent_options;
mod response;
pub(super) mod server;

use std::sync::{Arc, Mutex};

use server::http_server_value;

use super::net::tracked;
use super::socket_value;
use crate::driver::reference::host::{Eval, Failure, HostModule};
use crate::driver::reference::js::JsVal;
use crate::driver::reference::js::validate::validate_integer;

/// `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
use crate::driver::reference::session::Session;
use crate::events::Emits;
use crate::http::{self as h, Server, ServerOptions};

/// The `http` module; `http.globalAgent` is made on first use, one per
/// session (one per Node process).
#[derive(Default)]
pub struct HttpModule {
    global_agent: Mutex<Option<h::Agent>>,
}

impl HttpModule {
    fn global_agent(&self, cx: &Session) -> h::Agent {
        let mut slot = self.global_agent.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert_with(|| new_agent(cx, h::AgentOptions::global()))
            .clone()
    }
}

/// An agent whose sockets the session tears down with the case.
pub(super) fn new_agent(cx: &Session, options: h::AgentOptions) -> h::Agent {
    track_sockets(cx, h::Agent::new_in(&cx.event_loop, options))
}

/// An agent whose sockets the session tears down with the case.
pub(super) fn track_sockets(cx: &Session, agent: h::Agent) -> h::Agent {
    let s = cx.clone();
    agent.on_create(move |sock| {
        if let JsVal::Host(h) = socket_value(sock.clone()) {
            s.track(&h);
        }
    });
    agent
}

impl HostModule for HttpModule {
    fn name(&self) -> &'static str {
        "http"
    }

    fn call(&self, cx: &Session, function: &str, args: Vec<JsVal>) -> Eval {
        match function {
            "createServer" => create_server(cx, &args),
            "request" | "get" => make_request(
                cx,
                function,
                &args,
                &Flavor {
                    protocol: "http:",
                    global: &|| self.global_agent(cx),
                    fresh: &|| new_agent(cx, h::AgentOptions::default()),
                    secure: &|_, _| Ok(None),
                },
            ),
            "validateHeaderName" => {
                let name = args.first().map(JsVal::to_js_string).unwrap_or_default();
                let label = args
                    .get(1)
                    .filter(|v| !matches!(v, JsVal::Undefined))
                    .map_or("Header name".to_string(), JsVal::to_js_string);
                match h::h1::validate_header(&name, Some(&h::h1::HeaderValue::One(String::new()))) {
                    Err(_) => Err(crate::Error::type_error(
                        "ERR_INVALID_HTTP_TOKEN",
                        format!("{label} must be a valid HTTP token [{}]", js_quote(&name)),
                    )
                    .into()),
                    Ok(()) => Ok(JsVal::Undefined),
                }
            }
            "validateHeaderValue" => {
                let name = args.first().map(JsVal::to_js_string).unwrap_or_default();
                let value = args.get(1).unwrap_or(&JsVal::Undefined);
                let text = match value {
                    JsVal::Undefined => {
                        return Err(crate::Error::type_error(
                            "ERR_HTTP_INVALID_HEADER_VALUE",
                            format!("Invalid value \"undefined\" for header {}", js_quote(&name)),
                        )
                        .into());
                    }
                    JsVal::Array(items) => items.iter().map(JsVal::to_js_string).collect(),
                    other => vec![other.to_js_string()],
                };
                // The value's characters only: a token name is not asked for.
                match h::h1::validate_header("x", Some(&h::h1::HeaderValue::Many(text))) {
                    Err(_) => Err(crate::Error::type_error(
                        "ERR_INVALID_CHAR",
                        format!("Invalid character in header content [{}]", js_quote(&name)),
                    )
                    .into()),
                    Ok(()) => Ok(JsVal::Undefined),
                }
            }
            other => Err(Failure::unsupported(format!("http.{other}"))),
        }
    }

    fn construct(&self, cx: &Session, class: &str, args: Vec<JsVal>) -> Eval {
        match class {
            "Server" => create_server(cx, &args),
            "Agent" => {
                let options = request_options::agent_options(args.first())?;
                Ok(agent::agent_value(new_agent(cx, options)))
            }
            other => Err(Failure::unsupported(format!("new http.{other}"))),
        }
    }

    fn get(&self, cx: &Session, property: &str) -> Eval {
        match property {
            "globalAgent" => Ok(agent::agent_value(self.global_agent(cx))),
            "STATUS_CODES" => {
                let mut p = crate::driver::reference::js::Props::new();
                for (code, text) in h::h1::STATUS_CODES {
                    p.insert(code.to_string(), JsVal::String(text.to_string()));
                }
                Ok(JsVal::Object(p))
            }
            "maxHeaderSize" => Ok(JsVal::Number(h::h1::MAX_HEADER_SIZE as f64)),
            "METHODS" => Ok(JsVal::Array(
                h::h1::METHODS
                    .iter()
                    .map(|m| JsVal::String(m.to_string()))
                    .collect(),
            )),
            other => Err(Failure::unsupported(format!("http.{other}"))),
        }
    }
}

/// Reads a request's TLS options (https) from its merged options.
pub(super) type SecureOptions<'a> =
    dyn Fn(&JsVal, &h::RequestOptions) -> Result<Option<h::Secure>, Failure> + 'a;

/// What differs between http's `request`/`get` and https's: the
/// protocol, the agents, and the TLS options a request carries.
pub(super) struct Flavor<'a> {
    pub protocol: &'static str,
    /// The module's `globalAgent`.
    pub global: &'a dyn Fn() -> h::Agent,
    /// A new agent of the module's class (`agent: false`).
    pub fresh: &'a dyn Fn() -> h::Agent,
    /// The request's TLS options, from its merged options.
    pub secure: &'a SecureOptions<'a>,
}

/// `request(url[, options][, callback])` and `get(…)`.
pub(super) fn make_request(
    cx: &Session,
    function: &str,
    args: &[JsVal],
    flavor: &Flavor<'_>,
) -> Eval {
    let (mut options, agent, callback, raw) = request_options::parse(args, flavor.protocol)?;
    let agent = match agent {
        request_options::AgentChoice::Global => (flavor.global)(),
        request_options::AgentChoice::Fresh => (flavor.fresh)(),
        request_options::AgentChoice::This(a) => a,
    };
    options.secure = (flavor.secure)(&raw, &options)?;
    let req = h::ClientRequest::new_in(&cx.event_loop, options, agent)?;
    if let Some(cb) = callback {
        let s = cx.clone();
        req.once(h::ClientEventKind::Response, move |_, e| {
            s.callback(&cb, client::event_args(e))
        });
    }
    if function == "get" {
        req.end_with(None, None)?;
    }
    Ok(tracked(cx, client::client_value(req)))
}

/// The parser's options of `createServer` and `request`: `maxHeaderSize`
/// (validated as Node does; `Some(0)` is the default) and
/// `insecureHTTPParser`, whose lenient parsing the reference does not
/// have: asked for, it fails as unsupported rather than parse strictly.
pub(super) fn parser_options(options: &JsVal) -> Result<Option<usize>, Failure> {
    if let Some(v) = options.opt("insecureHTTPParser") {
        if !matches!(v, JsVal::Bool(_)) {
            return Err(crate::driver::reference::js::validate::invalid_arg_type(
                "\"options.insecureHTTPParser\" property",
                "of type boolean",
                v,
            )
            .into());
        }
        if v.truthy() {
            return Err(Failure::unsupported(
                "http's insecureHTTPParser (lenient parsing)".to_string(),
            ));
        }
    }
    match options.opt("maxHeaderSize") {
        None => Ok(None),
        Some(v) => {
            validate_integer(v, "maxHeaderSize", 0.0, MAX_SAFE)?;
            Ok(Some(v.to_number() as usize))
        }
    }
}

/// A string as `JSON.stringify` quotes it in Node's messages.
fn js_quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// `http.createServer([options][, requestListener])`.
fn create_server(cx: &Session, args: &[JsVal]) -> Eval {
    let (options, listener) = match (args.first(), args.get(1)) {
        (Some(JsVal::Callback(c)), _) => (JsVal::Undefined, Some(c.clone())),
        (Some(o), Some(JsVal::Callback(c))) => (o.clone(), Some(c.clone())),
        (Some(o), _) => (o.clone(), None),
        (None, _) => (JsVal::Undefined, None),
    };
    let opts = server_options(&options)?;
    let server = Server::new_in(&cx.event_loop, opts);
    // Every accepted socket is torn down at `end`, named or not.
    let s = cx.clone();
    server.net().on_connection(move |_, sock| {
        if let JsVal::Host(h) = socket_value(sock.clone()) {
            s.track(&h);
        }
    });
    if let Some(cb) = listener {
        request_listener(cx, &server, cb);
    }
    Ok(tracked(cx, http_server_value(server)))
}

/// `http.createServer`'s options for the HTTP side, validated.
pub(super) fn server_options(options: &JsVal) -> Result<ServerOptions, Failure> {
    let mut opts = ServerOptions::default();
    if let Some(v) = options.opt("noDelay") {
        opts.no_delay = v.truthy();
    }
    if let Some(v) = options.opt("keepAlive") {
        opts.keep_alive = v.truthy();
    }
    if let Some(v) = options.opt("requireHostHeader") {
        opts.require_host_header = v.truthy();
    }
    if let Some(n) = parser_options(options)? {
        opts.max_header_size = n;
    }
    // Server(): validateInteger(…, 0) on each, then headersTimeout must
    // not exceed requestTimeout.
    let ms = |name: &str| -> Result<Option<u64>, Failure> {
        match options.opt(name) {
            None => Ok(None),
            Some(v) => {
                validate_integer(v, name, 0.0, MAX_SAFE)?;
                Ok(Some(v.to_number() as u64))
            }
        }
    };
    if let Some(t) = ms("requestTimeout")? {
        opts.request_timeout = t;
    }
    opts.headers_timeout = ms("headersTimeout")?;
    if let Some(t) = ms("connectionsCheckingInterval")? {
        opts.connections_checking_interval = t;
    }
    if let Some(h) = opts.headers_timeout
        && opts.request_timeout > 0
        && h > 0
        && h > opts.request_timeout
    {
        return Err(crate::Error::range_error(
            "ERR_OUT_OF_RANGE",
            format!(
                "The value of \"headersTimeout\" is out of range. It must be <= requestTimeout. Received {h}"
            ),
        )
        .into());
    }
    Ok(opts)
}

/// The `requestListener` of `createServer`.
pub(super) fn request_listener(cx: &Session, server: &Server, cb: String) {
    let s = cx.clone();
    server.on_request(move |_, req, res| {
        s.callback(
            &cb,
            vec![
                incoming::incoming_value(req.clone()),
                response::response_value(res.clone()),
            ],
        )
    });
}

/// For the session's registry of modules.
pub fn module() -> Arc<dyn HostModule> {
    Arc::new(HttpModule::default())
}

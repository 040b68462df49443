//! The `node:https` bindings: http's request functions and server with
//! https's protocol, agents and TLS options (`lib/https.js`), by
//! delegation to the http and tls bindings.

use std::sync::{Arc, Mutex};

use super::http::{Flavor, make_request, request_listener, server_options, track_sockets};
use super::net::tracked;
use super::tls::{client_tls, server_tls_options};
use crate::driver::reference::host::{Eval, Failure, HostModule};
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::http as h;
use crate::net;

/// The `https` module; `https.globalAgent` is made on first use, one per
/// session.
#[derive(Default)]
pub struct HttpsModule {
    global_agent: Mutex<Option<h::Agent>>,
}

/// For the session's registry of modules.
pub fn module() -> Arc<dyn HostModule> {
    Arc::new(HttpsModule::default())
}

/// `new https.Agent(options)`: http's options, and `maxCachedSessions`
/// (100 unless given).
fn new_agent(cx: &Session, options: Option<&JsVal>) -> Result<h::Agent, Failure> {
    let http_options = super::http::agent_options(options)?;
    let max = options
        .and_then(|o| o.opt("maxCachedSessions"))
        .filter(|v| !v.is_nullish())
        .map_or(100, |v| v.to_number().max(0.0) as usize);
    Ok(track_sockets(
        cx,
        crate::https::agent_in(&cx.event_loop, http_options, max),
    ))
}

impl HttpsModule {
    fn global_agent(&self, cx: &Session) -> Result<h::Agent, Failure> {
        let mut slot = self.global_agent.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = &*slot {
            return Ok(a.clone());
        }
        // `new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 })`.
        let options = JsVal::Object(
            Props::new()
                .with("keepAlive", JsVal::Bool(true))
                .with("timeout", JsVal::Number(5000.0)),
        );
        let agent = new_agent(cx, Some(&options))?;
        *slot = Some(agent.clone());
        Ok(agent)
    }
}

/// The TLS options of a request: tls.connect's, with https's default
/// `servername` (the host, none for an IP address: the agent's
/// `calculateServerName`), and https's part of the pool's name
/// (`getName`).
fn secure(
    cx: &Session,
    options: &JsVal,
    request: &h::RequestOptions,
) -> Result<Option<h::Secure>, Failure> {
    let port = request.port.unwrap_or(443);
    let mut tls = client_tls(cx, options, request.host.clone(), port)?;
    let explicit = tls.servername.clone();
    if options.opt("servername").is_none() && net::is_ip(&request.host) == 0 {
        tls.servername = Some(request.host.clone());
    }
    let text = |k: &str| {
        options
            .opt(k)
            .filter(|v| v.truthy())
            .map(JsVal::to_js_string)
            .unwrap_or_default()
    };
    let mut name = String::new();
    for key in ["ca", "cert", "clientCertEngine", "ciphers", "key", "pfx"] {
        name.push(':');
        name.push_str(&text(key));
    }
    name.push(':');
    if let Some(v) = options
        .opt("rejectUnauthorized")
        .filter(|v| !matches!(v, JsVal::Undefined))
    {
        name.push_str(&v.to_js_string());
    }
    name.push(':');
    if let Some(s) = explicit.filter(|s| *s != request.host) {
        name.push_str(&s);
    }
    for key in ["minVersion", "maxVersion", "secureProtocol", "crl"] {
        name.push(':');
        name.push_str(&text(key));
    }
    // honorCipherOrder, ecdhCurve, dhparam, secureOptions,
    // sessionIdContext, sigalgs, privateKeyIdentifier, privateKeyEngine:
    // not read by the reference.
    name.push_str(&":".repeat(8));
    Ok(Some(h::Secure {
        options: Arc::new(tls),
        name,
    }))
}

impl HostModule for HttpsModule {
    fn name(&self) -> &'static str {
        "https"
    }

    fn call(&self, cx: &Session, function: &str, args: Vec<JsVal>) -> Eval {
        match function {
            "createServer" => create_server(cx, &args),
            "request" | "get" => {
                let global = self.global_agent(cx)?;
                make_request(
                    cx,
                    function,
                    &args,
                    &Flavor {
                        protocol: "https:",
                        global: &|| global.clone(),
                        // `agent: false`: a new https.Agent with no
                        // options (which cannot be refused).
                        fresh: &|| new_agent(cx, None).unwrap_or_else(|_| global.clone()),
                        secure: &|options, request| secure(cx, options, request),
                    },
                )
            }
            other => Err(Failure::unsupported(format!("https.{other}"))),
        }
    }

    fn construct(&self, cx: &Session, class: &str, args: Vec<JsVal>) -> Eval {
        match class {
            "Server" => create_server(cx, &args),
            "Agent" => Ok(super::http::agent_value(new_agent(cx, args.first())?)),
            other => Err(Failure::unsupported(format!("new https.{other}"))),
        }
    }

    fn get(&self, cx: &Session, property: &str) -> Eval {
        match property {
            "globalAgent" => Ok(super::http::agent_value(self.global_agent(cx)?)),
            other => Err(Failure::unsupported(format!("https.{other}"))),
        }
    }
}

/// `https.createServer([options][, requestListener])`.
fn create_server(cx: &Session, args: &[JsVal]) -> Eval {
    let (options, listener) = match (args.first(), args.get(1)) {
        (Some(JsVal::Callback(c)), _) => (JsVal::Object(Props::new()), Some(c.clone())),
        (Some(o), Some(JsVal::Callback(c))) => (o.clone(), Some(c.clone())),
        (Some(o), _) => (o.clone(), None),
        (None, _) => (JsVal::Object(Props::new()), None),
    };
    let tls_options = server_tls_options(cx, &options)?;
    let http_options = server_options(&options)?;
    let server = crate::https::Server::new_in(&cx.event_loop, tls_options, http_options);
    super::tls::track_connections(cx, server.tls());
    if let Some(cb) = listener {
        request_listener(cx, server.http(), cb);
    }
    let base = super::tls::server::tls_server_host(server.tls().clone());
    Ok(tracked(
        cx,
        super::http::server::derived_server_value(server.http().clone(), base, "https.Server"),
    ))
}

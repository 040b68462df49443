//! The `node:tls` bindings: the module's functions and options here, one
//! file per class. `tls.TLSSocket` and `tls.Server` delegate what they
//! inherit to the net bindings.

mod context;
pub(super) mod server;
pub(super) mod socket;

use std::sync::Arc;

use server::tls_server_value;
use socket::tls_socket_value;

use super::net::args::{normalize_connect, socket_options};
use super::net::tracked;
use super::socket_value;
use crate::driver::reference::host::{Eval, Failure, HostModule};
use crate::driver::reference::js::validate::invalid_arg_type;
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::error::Error;
use crate::net::{self, Emits};
use crate::tls::{self as t, SecureContext, SecureContextOptions, Version};

/// The `tls` module.
pub struct TlsModule;

/// For the session's registry of modules.
pub fn module() -> Arc<dyn HostModule> {
    Arc::new(TlsModule)
}

/// PEM text from a string, a Buffer, or an array of them (joined).
fn pem_list(v: &JsVal, name: &str) -> Result<Option<Vec<String>>, Failure> {
    let one = |v: &JsVal| -> Result<String, Failure> {
        match v {
            JsVal::String(s) => Ok(s.clone()),
            JsVal::Buffer(b) => Ok(String::from_utf8_lossy(b).into_owned()),
            other => Err(invalid_arg_type(
                &format!("\"options.{name}\" property"),
                "of type string or an instance of Buffer, TypedArray, or DataView",
                other,
            )
            .into()),
        }
    };
    match v {
        JsVal::Undefined | JsVal::Null => Ok(None),
        JsVal::Array(items) => Ok(Some(items.iter().map(one).collect::<Result<_, _>>()?)),
        other => Ok(Some(vec![one(other)?])),
    }
}

fn version(options: &JsVal, key: &str, which: &str) -> Result<Option<Version>, Failure> {
    match options.opt(key) {
        None | Some(JsVal::Undefined) => Ok(None),
        Some(v) => Ok(Some(Version::parse(&v.to_js_string(), which)?)),
    }
}

/// `tls.createSecureContext(options)`'s reading of its options.
pub(super) fn secure_context(options: &JsVal) -> Result<SecureContext, Failure> {
    // `options.secureContext || tls.createSecureContext(options)`.
    if let Some(ctx) = options.opt("secureContext").filter(|c| c.truthy()) {
        return context::context_of(ctx);
    }
    let key = pem_list(options.opt("key").unwrap_or(&JsVal::Undefined), "key")?;
    let cert = pem_list(options.opt("cert").unwrap_or(&JsVal::Undefined), "cert")?;
    if options.opt("pfx").is_some_and(|p| !p.is_nullish()) {
        return Err(Failure::unsupported("tls option pfx"));
    }
    let context = SecureContext::new(&SecureContextOptions {
        key: key.map(|k| k.join("\n")),
        cert: cert.map(|c| c.join("\n")),
        ca: pem_list(options.opt("ca").unwrap_or(&JsVal::Undefined), "ca")?,
        min_version: version(options, "minVersion", "minimum")?,
        max_version: version(options, "maxVersion", "maximum")?,
    })?;
    Ok(context)
}

/// `ALPNProtocols`: an array of strings or Buffers.
fn alpn(options: &JsVal) -> Vec<Vec<u8>> {
    match options.opt("ALPNProtocols") {
        Some(JsVal::Array(items)) => items
            .iter()
            .map(|i| match i {
                JsVal::Buffer(b) => b.clone(),
                other => other.to_js_string().into_bytes(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

impl HostModule for TlsModule {
    fn name(&self) -> &'static str {
        "tls"
    }

    fn call(&self, cx: &Session, function: &str, args: Vec<JsVal>) -> Eval {
        match function {
            "connect" => connect(cx, &args),
            "createSecureContext" => {
                let options = args.first().cloned().unwrap_or(JsVal::Undefined);
                Ok(context::context_value(secure_context(&options)?))
            }
            "createServer" => create_server(cx, &args),
            "checkServerIdentity" => {
                let host = args.first().map(JsVal::to_js_string).unwrap_or_default();
                let cert = args.get(1).cloned().unwrap_or(JsVal::Undefined);
                let common_names = match cert.get("subject").and_then(|s| s.get("CN")) {
                    Some(JsVal::Array(items)) => items.iter().map(JsVal::to_js_string).collect(),
                    Some(v) if v.truthy() => vec![v.to_js_string()],
                    _ => Vec::new(),
                };
                let subjectaltname = cert
                    .get("subjectaltname")
                    .filter(|v| v.truthy())
                    .map(JsVal::to_js_string);
                let identity = t::Identity {
                    common_names,
                    subjectaltname,
                };
                Ok(match t::check_server_identity(&host, &identity) {
                    None => JsVal::Undefined,
                    Some(e) => match JsVal::from_error(&e) {
                        JsVal::Error(mut p) => {
                            p.insert("cert", cert);
                            JsVal::Error(p)
                        }
                        other => other,
                    },
                })
            }
            other => Err(Failure::unsupported(format!("tls.{other}"))),
        }
    }

    fn construct(&self, cx: &Session, class: &str, args: Vec<JsVal>) -> Eval {
        match class {
            "Server" => create_server(cx, &args),
            "TLSSocket" => {
                let socket = match args.first() {
                    Some(JsVal::Host(h)) => h
                        .as_any()
                        .downcast_ref::<super::net::socket::SocketHost>()
                        .map(|s| s.0.clone()),
                    _ => None,
                };
                let options = args.get(1).cloned().unwrap_or(JsVal::Undefined);
                match socket {
                    Some(raw) if options.opt("isServer").is_some_and(JsVal::truthy) => {
                        let tls = t::wrap_server(
                            &raw,
                            secure_context(&options)?,
                            options.opt("requestCert").is_some_and(JsVal::truthy),
                            !matches!(options.opt("rejectUnauthorized"), Some(JsVal::Bool(false))),
                            alpn(&options),
                        );
                        Ok(tracked(cx, tls_socket_value(tls)))
                    }
                    _ => Err(Failure::unsupported(
                        "new tls.TLSSocket() other than a server's over a net.Socket",
                    )),
                }
            }
            other => Err(Failure::unsupported(format!("new tls.{other}"))),
        }
    }

    fn get(&self, _cx: &Session, property: &str) -> Eval {
        match property {
            "DEFAULT_MIN_VERSION" => Ok(JsVal::String(t::DEFAULT_MIN_VERSION.into())),
            "DEFAULT_MAX_VERSION" => Ok(JsVal::String(t::DEFAULT_MAX_VERSION.into())),
            "DEFAULT_ECDH_CURVE" => Ok(JsVal::String("auto".into())),
            other => Err(Failure::unsupported(format!(
                "the property '{other}' of tls"
            ))),
        }
    }
}

/// `tls.connect(options[, callback])` and `tls.connect(port[, host][,
/// options][, callback])`: option values win over the positional ones.
fn connect(cx: &Session, args: &[JsVal]) -> Eval {
    let (mut options, cb) = normalize_connect(args)?;
    if !matches!(args.first(), Some(JsVal::Object(_)))
        && let Some(JsVal::Object(extra)) = args.iter().find(|a| matches!(a, JsVal::Object(_)))
        && let JsVal::Object(o) = &mut options
    {
        for (k, v) in extra.iter() {
            o.insert(k.clone(), v.clone());
        }
    }
    let target = super::net::args::connect_target(&options)?;
    let host = options
        .opt("host")
        .filter(|h| !h.is_nullish())
        .map_or_else(|| "localhost".to_string(), JsVal::to_js_string);
    let port = options.opt("port").map_or(0, |p| p.to_number() as u16);
    let tls = t::connect_in(
        &cx.event_loop,
        t::ConnectOptions {
            target,
            tls: client_tls(cx, &options, host, port)?,
            socket: socket_options(&options),
        },
    )?;
    let value = tracked(cx, tls_socket_value(tls.clone()));
    if let Some(cb) = cb {
        let s = cx.clone();
        tls.once(t::TlsEventKind::SecureConnect, move |_, _| {
            s.callback(&cb, vec![])
        });
    }
    Ok(value)
}

/// `tls.connect`'s TLS options (https's requests give theirs too).
pub(super) fn client_tls(
    cx: &Session,
    options: &JsVal,
    host: String,
    port: u16,
) -> Result<t::ClientTls, Failure> {
    let check_server_identity = match options.opt("checkServerIdentity") {
        Some(JsVal::Callback(name)) => {
            let (s, name) = (cx.clone(), name.clone());
            let check: t::CheckIdentity = Arc::new(
                move |host: &str,
                      chain: &[t::x509::Certificate],
                      roots: &[t::x509::Certificate]| {
                    let cert = t::detailed_certificate_props(chain, roots)
                        .map_or(JsVal::Undefined, |p| JsVal::from_prop(&p));
                    s.callback(&name, vec![JsVal::String(host.to_string()), cert]);
                    None::<Error>
                },
            );
            Some(check)
        }
        _ => None,
    };
    Ok(t::ClientTls {
        host,
        port,
        context: secure_context(options)?,
        servername: options
            .opt("servername")
            .filter(|s| s.truthy())
            .map(JsVal::to_js_string),
        reject_unauthorized: !matches!(options.opt("rejectUnauthorized"), Some(JsVal::Bool(false))),
        alpn_protocols: alpn(options),
        check_server_identity,
        session: match options.opt("session") {
            Some(JsVal::Buffer(b)) => Some(b.clone()),
            _ => None,
        },
    })
}

/// `SNICallback(servername, callback)`: a script callback, given a
/// function to call back with `(err, context)`.
fn sni_callback(cx: &Session, options: &JsVal) -> Option<t::SniCallback> {
    let Some(JsVal::Callback(name)) = options.opt("SNICallback") else {
        return None;
    };
    let (s, name) = (cx.clone(), name.clone());
    Some(Arc::new(move |servername: &str, done| {
        let done = std::sync::Mutex::new(Some(done));
        let f = crate::driver::reference::js::NativeFn {
            name: "",
            call: Arc::new(move |args: Vec<JsVal>| {
                let Some(done) = done.lock().unwrap_or_else(|p| p.into_inner()).take() else {
                    return Ok(JsVal::Undefined);
                };
                let err = args.first().cloned().unwrap_or(JsVal::Undefined);
                if err.truthy() {
                    let text = |k: &str| match err.get(k) {
                        Some(JsVal::String(s)) => s.clone(),
                        _ => String::new(),
                    };
                    done(Err(Error::with_payload(
                        &text("code"),
                        text("message"),
                        Arc::new(err.clone()),
                    )));
                    return Ok(JsVal::Undefined);
                }
                match args.get(1).filter(|c| c.truthy()) {
                    Some(ctx) => done(Ok(Some(context::context_of(ctx)?))),
                    None => done(Ok(None)),
                }
                Ok(JsVal::Undefined)
            }),
        };
        s.callback(
            &name,
            vec![JsVal::String(servername.to_string()), JsVal::Native(f)],
        );
    }))
}

/// `tls.createServer`'s options (https's servers read theirs the same
/// way).
pub(super) fn server_tls_options(
    cx: &Session,
    options: &JsVal,
) -> Result<t::ServerOptions, Failure> {
    let context = secure_context(options)?;
    let sock = socket_options(options);
    let handshake_timeout = options
        .opt("handshakeTimeout")
        .map(JsVal::to_number)
        .filter(|n| *n > 0.0)
        .map_or(120_000, |n| n as u64);
    Ok(t::ServerOptions {
        context,
        request_cert: options.opt("requestCert").is_some_and(JsVal::truthy),
        reject_unauthorized: !matches!(options.opt("rejectUnauthorized"), Some(JsVal::Bool(false))),
        alpn_protocols: alpn(options),
        sni_callback: sni_callback(cx, options),
        handshake_timeout,
        net: net::ServerOptions {
            allow_half_open: sock.allow_half_open,
            pause_on_connect: options.opt("pauseOnConnect").is_some_and(JsVal::truthy),
            no_delay: sock.no_delay,
            keep_alive: sock.keep_alive,
            keep_alive_initial_delay: sock.keep_alive_initial_delay,
            high_water_mark: sock.high_water_mark,
            layer: None,
        },
    })
}

/// Every socket of a TLS server, TCP and TLS, is torn down at `end`,
/// named or not.
pub(super) fn track_connections(cx: &Session, server: &t::Server) {
    let s = cx.clone();
    server.on(t::ServerEventKind::Connection, move |_, e| {
        if let t::ServerEvent::Connection(raw) = e
            && let JsVal::Host(h) = super::net::socket::net_socket_value(raw.clone())
        {
            s.track(&h);
        }
    });
    let s = cx.clone();
    server
        .net()
        .on(net::ServerEventKind::Connection, move |_, e| {
            if let net::ServerEvent::Connection(sock) = e
                && let JsVal::Host(h) = socket_value(sock.clone())
            {
                s.track(&h);
            }
        });
}

/// `tls.createServer([options][, secureConnectionListener])`.
fn create_server(cx: &Session, args: &[JsVal]) -> Eval {
    let (options, listener) = match (args.first(), args.get(1)) {
        (Some(JsVal::Callback(c)), _) => (JsVal::Object(Props::new()), Some(c.clone())),
        (Some(o), Some(JsVal::Callback(c))) => (o.clone(), Some(c.clone())),
        (Some(o), _) => (o.clone(), None),
        (None, _) => (JsVal::Object(Props::new()), None),
    };
    let server = t::Server::new_in(&cx.event_loop, server_tls_options(cx, &options)?);
    track_connections(cx, &server);
    if let Some(cb) = listener {
        let s = cx.clone();
        server.on(t::ServerEventKind::SecureConnection, move |_, e| {
            if let t::ServerEvent::SecureConnection(tls) = e {
                s.callback(&cb, vec![tls_socket_value(tls.clone())]);
            }
        });
    }
    Ok(tracked(cx, tls_server_value(server)))
}

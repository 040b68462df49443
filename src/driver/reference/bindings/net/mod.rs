//! The `node:net` bindings: the module's functions here, one file per
//! class, and `args` for the JS layer that reads their overloaded
//! arguments.

pub(super) mod args;
pub(super) mod server;
pub(super) mod socket;

use std::sync::Arc;

use super::socket_value;
use args::{normalize_connect, socket_options};
use server::server_value;

use crate::driver::reference::host::{Eval, Failure, HostModule};
use crate::driver::reference::js::validate::{invalid_arg_type, validate_number};
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::net::{self as n, AddressInfo, Server, ServerOptions, Socket, SocketOptions};

/// The `net` module.
pub struct NetModule;

/// Whether this machine's resolver reports a `.invalid` name (RFC 6761: no
/// resolver knows it) as `ENOTFOUND`, not `EAI_AGAIN` as an offline one may.
/// Probed once.
fn enotfound() -> bool {
    use std::net::ToSocketAddrs;
    static ENOTFOUND: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENOTFOUND.get_or_init(|| {
        let name = "nonexistent.invalid";
        match (name, 0).to_socket_addrs() {
            Ok(_) => false,
            Err(e) => crate::Error::lookup_failed(e, name).code() == "ENOTFOUND",
        }
    })
}

/// `{address, family, port}` as `address()` returns it.
pub(super) fn address_info(i: &AddressInfo) -> JsVal {
    JsVal::Object(
        Props::new()
            .with("address", JsVal::String(i.address.clone()))
            .with("family", JsVal::String(i.family.as_str().into()))
            .with("port", JsVal::Number(i.port.into())),
    )
}

/// A value the session tears down at the end of the case.
pub(super) fn tracked(cx: &Session, v: JsVal) -> JsVal {
    if let JsVal::Host(h) = &v {
        cx.track(h);
    }
    v
}

impl HostModule for NetModule {
    fn name(&self) -> &'static str {
        "net"
    }

    fn features(&self) -> Vec<&'static str> {
        let mut features = Vec::new();
        if cfg!(unix) {
            features.push("unix-sockets");
        }
        if std::net::TcpListener::bind("[::1]:0").is_ok() {
            features.push("ipv6");
        }
        if enotfound() {
            features.push("dns-enotfound");
        }
        features
    }

    fn call(&self, cx: &Session, function: &str, args: Vec<JsVal>) -> Eval {
        let text = || args.first().map(JsVal::to_js_string).unwrap_or_default();
        match function {
            "isIP" => Ok(JsVal::Number(n::is_ip(&text()).into())),
            "isIPv4" => Ok(JsVal::Bool(n::is_ipv4(&text()))),
            "isIPv6" => Ok(JsVal::Bool(n::is_ipv6(&text()))),
            "createServer" => create_server(cx, &args),
            "connect" | "createConnection" => {
                let (options, cb) = normalize_connect(&args)?;
                let sock = Socket::new_in(&cx.event_loop, socket_options(&options));
                let v = tracked(cx, socket_value(sock.clone()));
                // Node: `if (options.timeout) socket.setTimeout(options.timeout)`.
                if let Some(t) = options.get("timeout").filter(|t| t.truthy()) {
                    socket::set_timeout(cx, &v, &sock, std::slice::from_ref(t))?;
                }
                socket::connect(cx, &sock, &options, cb)?;
                Ok(v)
            }
            other => Err(Failure::unsupported(format!("net.{other}"))),
        }
    }

    fn construct(&self, cx: &Session, class: &str, args: Vec<JsVal>) -> Eval {
        match class {
            "Socket" => {
                let options = args.first().cloned().unwrap_or(JsVal::Undefined);
                let sock = Socket::new_in(&cx.event_loop, socket_options(&options));
                Ok(tracked(cx, socket_value(sock)))
            }
            "Server" => create_server(cx, &args),
            other => Err(Failure::unsupported(format!("new net.{other}"))),
        }
    }
}

/// `net.createServer([options][, connectionListener])`.
fn create_server(cx: &Session, args: &[JsVal]) -> Eval {
    let arg0 = args.first().cloned().unwrap_or(JsVal::Undefined);
    let (options, listener) = match (&arg0, args.get(1)) {
        (JsVal::Callback(c), _) => (JsVal::Undefined, Some(c.clone())),
        (JsVal::Bool(_) | JsVal::Number(_) | JsVal::String(_), _) => {
            return Err(invalid_arg_type("\"options\" argument", "of type object", &arg0).into());
        }
        (o, Some(JsVal::Callback(c))) => (o.clone(), Some(c.clone())),
        (o, _) => (o.clone(), None),
    };
    for name in ["keepAliveInitialDelay", "highWaterMark"] {
        if let Some(v) = options.opt(name) {
            validate_number(v, &format!("options.{name}"))?;
        }
    }
    // The options accepted sockets get, read as `new net.Socket()` reads
    // them, plus `pauseOnConnect`.
    let SocketOptions {
        allow_half_open,
        no_delay,
        keep_alive,
        keep_alive_initial_delay,
        high_water_mark,
    } = socket_options(&options);
    let opts = ServerOptions {
        allow_half_open,
        pause_on_connect: options.get("pauseOnConnect").is_some_and(JsVal::truthy),
        no_delay,
        keep_alive,
        keep_alive_initial_delay,
        high_water_mark,
        layer: None,
    };
    let server = Server::new_in(&cx.event_loop, opts);
    // Every accepted socket is torn down at `end`, named or not.
    let s = cx.clone();
    server.on_connection(move |_, sock| {
        if let JsVal::Host(h) = socket_value(sock.clone()) {
            s.track(&h);
        }
    });
    if let Some(cb) = listener {
        let s = cx.clone();
        server.on_connection(move |_, sock| s.callback(&cb, vec![socket_value(sock.clone())]));
    }
    Ok(tracked(cx, server_value(server)))
}

/// For the session's registry of modules.
pub fn module() -> Arc<dyn HostModule> {
    Arc::new(NetModule)
}

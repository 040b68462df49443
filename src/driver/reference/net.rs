//! The `net` module as the driver exposes it: module functions, `Server`
//! and `Socket` methods and properties, with Node's overload resolution
//! and its synchronous throws.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use super::value::{JsVal, invalid_arg_type, validate_number, validate_port};
use super::{Failure, Session};
use crate::events::{Emits, EventKind};
use crate::net::{
    self as n, Chunk, ConnectOptions, Encoding, Error, Family, ListenHandle, ListenOptions,
    ServerAddress, ServerEvent, ServerEventKind, ServerOptions, Socket, SocketEvent,
    SocketEventKind, SocketOptions,
};

fn unsupported(what: &str) -> Failure {
    Failure::Error(format!("not implemented: {what}"))
}

/// Adds a listener for `event` on a registered object; with `report`, each
/// emission becomes an `event` line. Captures run first either way.
pub(super) fn listen(
    session: &Session,
    name: &str,
    target: &JsVal,
    event: &str,
    report: bool,
) -> Result<(), String> {
    match target {
        JsVal::Socket(sock) => {
            let kind = SocketEventKind::from_name(event)
                .ok_or_else(|| format!("Socket has no event '{event}' here"))?;
            sock.on(kind, reporter(session, name, event, report, socket_args));
        }
        JsVal::Server(srv) => {
            let kind = ServerEventKind::from_name(event)
                .ok_or_else(|| format!("Server has no event '{event}' here"))?;
            srv.on(kind, reporter(session, name, event, report, server_args));
        }
        _ => {} // plain values emit nothing
    }
    Ok(())
}

/// A listener for `name`'s `event`: runs the captures, then, with
/// `report`, reports the event, with the arguments `args` makes of it.
fn reporter<T, E: 'static>(
    session: &Session,
    name: &str,
    event: &str,
    report: bool,
    args: fn(&E) -> Vec<JsVal>,
) -> impl Fn(&T, &E) + Send + Sync + 'static {
    let s = session.clone();
    let name = name.to_string();
    let event = event.to_string();
    move |_, e| {
        let args = args(e);
        s.capture(&name, &event, &args);
        if report {
            s.report(&name, &event, args);
        }
    }
}

fn err(e: &Error) -> JsVal {
    // destroy(value) emits the very value it was given.
    if let Some(v) = e.payload().and_then(|p| p.downcast_ref::<JsVal>()) {
        return v.clone();
    }
    match super::value::error_value(e) {
        crate::protocol::Value::Error(m) => JsVal::Error(m),
        _ => JsVal::Undefined,
    }
}

fn socket_args(e: &SocketEvent) -> Vec<JsVal> {
    match e {
        SocketEvent::Lookup {
            error,
            address,
            family,
            host,
        } => vec![
            error.as_ref().map(err).unwrap_or(JsVal::Null),
            address
                .clone()
                .map(JsVal::String)
                .unwrap_or(JsVal::Undefined),
            family
                .map(|f| JsVal::Number(f.number().into()))
                .unwrap_or(JsVal::Undefined),
            JsVal::String(host.clone()),
        ],
        SocketEvent::Data(Chunk::Bytes(b)) => vec![JsVal::Buffer(b.clone())],
        SocketEvent::Data(Chunk::Text(t)) => vec![JsVal::String(t.clone())],
        SocketEvent::Error(e) => vec![err(e)],
        SocketEvent::Close { had_error } => {
            vec![had_error.map(JsVal::Bool).unwrap_or(JsVal::Undefined)]
        }
        _ => vec![],
    }
}

fn server_args(e: &ServerEvent) -> Vec<JsVal> {
    match e {
        ServerEvent::Connection(s) => vec![JsVal::Socket(s.clone())],
        ServerEvent::Error(e) => vec![err(e)],
        ServerEvent::Drop(Some(d)) => {
            let mut m = BTreeMap::new();
            m.insert(
                "localAddress".into(),
                JsVal::String(d.local.address.clone()),
            );
            m.insert("localPort".into(), JsVal::Number(d.local.port.into()));
            m.insert(
                "localFamily".into(),
                JsVal::String(d.local.family.as_str().into()),
            );
            m.insert(
                "remoteAddress".into(),
                JsVal::String(d.remote.address.clone()),
            );
            m.insert("remotePort".into(), JsVal::Number(d.remote.port.into()));
            m.insert(
                "remoteFamily".into(),
                JsVal::String(d.remote.family.as_str().into()),
            );
            vec![JsVal::Object(m)]
        }
        _ => vec![],
    }
}

/// A `{"callback": name}` argument: reports `call` with the arguments.
fn callback(session: &Session, name: &str, args: Vec<JsVal>) {
    session.report(name, "call", args);
}

fn last_callback(args: &[JsVal]) -> Option<String> {
    match args.last() {
        Some(JsVal::Callback(n)) => Some(n.clone()),
        _ => None,
    }
}

fn address_value(a: Option<ServerAddress>) -> JsVal {
    match a {
        None => JsVal::Null,
        Some(ServerAddress::Path(p)) => JsVal::String(p),
        Some(ServerAddress::Inet(i)) => info(&i),
    }
}

fn info(i: &n::AddressInfo) -> JsVal {
    let mut m = BTreeMap::new();
    m.insert("address".into(), JsVal::String(i.address.clone()));
    m.insert("family".into(), JsVal::String(i.family.as_str().into()));
    m.insert("port".into(), JsVal::Number(i.port.into()));
    JsVal::Object(m)
}

fn opt_string(v: Option<String>) -> JsVal {
    v.map(JsVal::String).unwrap_or(JsVal::Undefined)
}

fn opt_num(v: Option<u16>) -> JsVal {
    v.map(|p| JsVal::Number(p.into()))
        .unwrap_or(JsVal::Undefined)
}

fn opt_bool(v: Option<bool>) -> JsVal {
    v.map(JsVal::Bool).unwrap_or(JsVal::Null)
}

/// `target.property`.
pub(super) fn get(session: &Session, target: &JsVal, property: &str) -> Result<JsVal, Failure> {
    Ok(match (target, property) {
        // `socket.timeout` is a plain property setTimeout() assigns.
        (JsVal::Socket(s), "timeout") => session
            .own_property(s, "timeout")
            .or_else(|| s.timeout().map(|t| JsVal::Number(t as f64)))
            .unwrap_or(JsVal::Undefined),
        (JsVal::Socket(s), "readableFlowing") => opt_bool(s.readable_flowing()),
        (JsVal::Socket(s), "readableLength") => JsVal::Number(s.readable_length() as f64),
        (JsVal::Socket(s), "readableEnded") => JsVal::Bool(s.readable_ended()),
        (JsVal::Socket(s), "writableEnded") => JsVal::Bool(s.writable_ended()),
        (JsVal::Socket(s), "writableFinished") => JsVal::Bool(s.writable_finished()),
        (JsVal::Socket(s), "writableHighWaterMark") => {
            JsVal::Number(s.writable_high_water_mark() as f64)
        }
        (JsVal::Socket(s), "bufferSize") => s
            .buffer_size()
            .map(|n| JsVal::Number(n as f64))
            .unwrap_or(JsVal::Undefined),
        (JsVal::Socket(s), "closed") => JsVal::Bool(s.closed()),
        (JsVal::Server(s), "listening") => JsVal::Bool(s.listening()),
        (JsVal::Server(s), "maxConnections") => s
            .max_connections()
            .map(|m| JsVal::Number(m.into()))
            .unwrap_or(JsVal::Undefined),
        (JsVal::Socket(s), "remoteAddress") => opt_string(s.remote_address()),
        (JsVal::Socket(s), "remotePort") => opt_num(s.remote_port()),
        (JsVal::Socket(s), "remoteFamily") => {
            opt_string(s.remote_family().map(|f| f.as_str().to_string()))
        }
        (JsVal::Socket(s), "localAddress") => opt_string(s.local_address()),
        (JsVal::Socket(s), "localPort") => opt_num(s.local_port()),
        (JsVal::Socket(s), "localFamily") => {
            opt_string(s.local_family().map(|f| f.as_str().to_string()))
        }
        (JsVal::Socket(s), "bytesRead") => JsVal::Number(s.bytes_read() as f64),
        (JsVal::Socket(s), "bytesWritten") => JsVal::Number(s.bytes_written() as f64),
        (JsVal::Socket(s), "readyState") => JsVal::String(s.ready_state().as_str().into()),
        (JsVal::Socket(s), "connecting") => JsVal::Bool(s.connecting()),
        (JsVal::Socket(s), "pending") => JsVal::Bool(s.pending()),
        (JsVal::Socket(s), "destroyed") => JsVal::Bool(s.destroyed()),
        (JsVal::Socket(s), "readable") => JsVal::Bool(s.readable()),
        (JsVal::Socket(s), "writable") => JsVal::Bool(s.writable()),
        (JsVal::Socket(s), "writableLength") => JsVal::Number(s.writable_length() as f64),
        (JsVal::Socket(s), "allowHalfOpen") => JsVal::Bool(s.allow_half_open()),
        (JsVal::Socket(s), "isPaused") => JsVal::Bool(s.is_paused()),
        (JsVal::Object(m), p) => m.get(p).cloned().unwrap_or(JsVal::Undefined),
        (JsVal::Error(m), p) => m
            .get(p)
            .map(|v| JsVal::from_value(v, &|_| None))
            .unwrap_or(JsVal::Undefined),
        (JsVal::Array(a), "length") => JsVal::Number(a.len() as f64),
        (JsVal::String(s), "length") => JsVal::Number(s.encode_utf16().count() as f64),
        (JsVal::Buffer(b), "length") => JsVal::Number(b.len() as f64),
        (JsVal::Array(a), p) => p
            .parse::<usize>()
            .ok()
            .and_then(|i| a.get(i).cloned())
            .unwrap_or(JsVal::Undefined),
        (JsVal::Undefined | JsVal::Null, p) => {
            return Err(Failure::from(Error::type_error(
                "ERR_INVALID_ARG_TYPE",
                format!(
                    "Cannot read properties of {} (reading '{p}')",
                    target.to_js_string()
                ),
            )));
        }
        (_, p) => return Err(unsupported(&format!("property '{p}'"))),
    })
}

/// `target.property = value`.
pub(super) fn set(target: &JsVal, property: &str, value: &JsVal) -> Result<(), Failure> {
    match (target, property) {
        (JsVal::Server(s), "maxConnections") => {
            let n = value.to_number();
            s.set_max_connections((n.is_finite() && n >= 0.0).then_some(n as u32));
            Ok(())
        }
        (_, p) => Err(unsupported(&format!("setting '{p}'"))),
    }
}

/// `target.method(...args)`.
pub(super) fn call(
    session: &Session,
    target: &JsVal,
    method: &str,
    args: Vec<JsVal>,
) -> Result<JsVal, Failure> {
    match target {
        // Servers and sockets share `ref()` and `unref()`.
        JsVal::Server(_) | JsVal::Socket(_) if matches!(method, "ref" | "unref") => {
            set_refed(target, method == "ref");
            Ok(target.clone())
        }
        JsVal::Net => module_call(session, method, args),
        JsVal::Server(s) => server_call(session, target, s, method, args),
        JsVal::Socket(s) => socket_call(session, target, s, method, args),
        _ => Err(unsupported(&format!("method '{method}' on this value"))),
    }
}

/// `ref()` (`refed`) or `unref()` on a server or socket.
fn set_refed(target: &JsVal, refed: bool) {
    match (target, refed) {
        (JsVal::Server(s), true) => {
            s.ref_();
        }
        (JsVal::Server(s), false) => {
            s.unref();
        }
        (JsVal::Socket(s), true) => {
            s.ref_();
        }
        (JsVal::Socket(s), false) => {
            s.unref();
        }
        _ => {}
    }
}

/// `new target.Class(...args)`.
pub(super) fn construct(
    session: &Session,
    target: &JsVal,
    class: &str,
    args: Vec<JsVal>,
) -> Result<JsVal, Failure> {
    match (target, class) {
        (JsVal::Net, "Socket") => module_call(session, "Socket", args),
        (JsVal::Net, "Server") => module_call(session, "createServer", args),
        _ => Err(unsupported(&format!("new {class}"))),
    }
}

fn module_call(session: &Session, method: &str, args: Vec<JsVal>) -> Result<JsVal, Failure> {
    let arg0 = args.first().cloned().unwrap_or(JsVal::Undefined);
    match method {
        "isIP" => Ok(JsVal::Number(n::is_ip(&arg0.to_js_string()).into())),
        "isIPv4" => Ok(JsVal::Bool(n::is_ipv4(&arg0.to_js_string()))),
        "isIPv6" => Ok(JsVal::Bool(n::is_ipv6(&arg0.to_js_string()))),
        "createServer" => {
            let (options, listener) = match (&arg0, args.get(1)) {
                (JsVal::Callback(c), _) => (JsVal::Undefined, Some(c.clone())),
                (JsVal::Bool(_) | JsVal::Number(_) | JsVal::String(_), _) => {
                    return Err(
                        invalid_arg_type("\"options\" argument", "of type object", &arg0).into(),
                    );
                }
                (o, Some(JsVal::Callback(c))) => (o.clone(), Some(c.clone())),
                (o, _) => (o.clone(), None),
            };
            for name in ["keepAliveInitialDelay", "highWaterMark"] {
                if let Some(v) = options.opt(name) {
                    validate_number(v, &format!("options.{name}"))?;
                }
            }
            // The options accepted sockets get, read as `new net.Socket()`
            // reads them, plus `pauseOnConnect`.
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
            };
            let server = n::Server::new_in(&session.event_loop, opts);
            // Every accepted socket is torn down at `end`, named or not.
            let s = session.clone();
            server.on_connection(move |_, sock| s.track(&JsVal::Socket(sock.clone())));
            if let Some(cb) = listener {
                let s = session.clone();
                server.on_connection(move |_, sock| {
                    callback(&s, &cb, vec![JsVal::Socket(sock.clone())])
                });
            }
            let v = JsVal::Server(server);
            session.track(&v);
            Ok(v)
        }
        "Socket" => {
            let sock = Socket::new_in(&session.event_loop, socket_options(&arg0));
            let v = JsVal::Socket(sock);
            session.track(&v);
            Ok(v)
        }
        "connect" | "createConnection" => {
            let (options, cb) = normalize_connect(&args)?;
            let sock = Socket::new_in(&session.event_loop, socket_options(&options));
            let v = JsVal::Socket(sock.clone());
            session.track(&v);
            // Node: `if (options.timeout) socket.setTimeout(options.timeout)`.
            if let Some(t) = options.get("timeout").filter(|t| t.truthy()) {
                set_timeout(session, &sock, std::slice::from_ref(t))?;
            }
            connect(session, &sock, &options, cb)?;
            Ok(v)
        }
        other => Err(unsupported(&format!("net.{other}"))),
    }
}

fn socket_options(o: &JsVal) -> SocketOptions {
    SocketOptions {
        allow_half_open: o.get("allowHalfOpen").is_some_and(JsVal::truthy),
        no_delay: o.get("noDelay").is_some_and(JsVal::truthy),
        keep_alive: o.get("keepAlive").is_some_and(JsVal::truthy),
        keep_alive_initial_delay: o
            .get("keepAliveInitialDelay")
            .map(|v| v.to_number().max(0.0) as u64)
            .unwrap_or(0),
        high_water_mark: high_water_mark(o),
    }
}

/// The `highWaterMark` option, if it is a usable size.
fn high_water_mark(o: &JsVal) -> Option<usize> {
    match o.get("highWaterMark") {
        Some(JsVal::Number(n)) if n.is_finite() && *n >= 0.0 => Some(n.floor() as usize),
        _ => None,
    }
}

/// Node's `isPipeName`: a string that is not a non-negative number.
fn is_pipe_name(v: &JsVal) -> bool {
    matches!(v, JsVal::String(_)) && v.to_number().partial_cmp(&0.0).is_none_or(|o| o.is_lt())
}

/// Node's `normalizeArgs`: `(options | path | port[, host])[, cb]`.
fn normalize_args(args: &[JsVal]) -> (JsVal, Option<String>) {
    let cb = last_callback(args);
    let Some(first) = args.first() else {
        return (JsVal::Object(BTreeMap::new()), None);
    };
    let mut options = BTreeMap::new();
    match first {
        JsVal::Object(m) => return (JsVal::Object(m.clone()), cb),
        v if is_pipe_name(v) => {
            options.insert("path".to_string(), v.clone());
        }
        v => {
            options.insert("port".to_string(), v.clone());
            if let Some(h @ JsVal::String(_)) = args.get(1) {
                options.insert("host".to_string(), h.clone());
            }
        }
    }
    (JsVal::Object(options), cb)
}

fn normalize_connect(args: &[JsVal]) -> Result<(JsVal, Option<String>), Failure> {
    if args.is_empty() {
        return Err(missing_connect_args());
    }
    Ok(normalize_args(args))
}

/// `connect()` with neither a port nor a path.
fn missing_connect_args() -> Failure {
    Failure::from(Error::type_error(
        "ERR_MISSING_ARGS",
        "The \"options\" or \"port\" or \"path\" argument must be specified",
    ))
}

/// `socket.connect(options, cb)` after normalisation, with Node's checks
/// in Node's order (`Socket.prototype.connect`, then `lookupAndConnect`,
/// then `dns.lookup` for a host that is not an IP address).
fn connect(
    session: &Session,
    sock: &Socket,
    options: &JsVal,
    cb: Option<String>,
) -> Result<(), Failure> {
    // Node adds the listener before it validates anything.
    if let Some(cb) = cb {
        let s = session.clone();
        sock.once(SocketEventKind::Connect, move |_, _| {
            callback(&s, &cb, vec![])
        });
    }
    let target = if let Some(path) = options.opt("path").filter(|p| !p.is_nullish()) {
        ConnectOptions::Path(PathBuf::from(path.to_js_string()))
    } else {
        let port = options.opt("port").cloned().unwrap_or(JsVal::Undefined);
        if matches!(port, JsVal::Undefined) {
            return Err(missing_connect_args());
        }
        let local_address = local_address(options)?;
        let local_port = match options.get("localPort").filter(|p| p.truthy()) {
            None => None,
            // The binding takes an int32 and libuv a 16-bit port.
            Some(JsVal::Number(n)) => Some(to_int32(*n) as u16),
            Some(other) => {
                return Err(Failure::from(invalid_arg_type(
                    "\"options.localPort\" property",
                    "of type number",
                    other,
                )));
            }
        };
        if !matches!(port, JsVal::Number(_) | JsVal::String(_)) {
            return Err(Failure::from(invalid_arg_type(
                "\"options.port\" property",
                "one of type number or string",
                &port,
            )));
        }
        let port = validate_port(&port, "Port")?;
        // `options.host || 'localhost'`; only a host that is not an IP
        // address reaches `dns.lookup()`, which checks its type and the
        // family.
        let host = options.get("host").filter(|h| h.truthy());
        let name = host.map_or_else(|| "localhost".to_string(), JsVal::to_js_string);
        let family = if n::is_ip(&name) != 0 {
            0
        } else {
            if let Some(other) = host.filter(|h| !matches!(h, JsVal::String(_))) {
                return Err(Failure::from(invalid_arg_type(
                    "\"hostname\" argument",
                    "of type string",
                    other,
                )));
            }
            lookup_family(options)?
        };
        let family = Family::from_number(family);
        ConnectOptions::Tcp {
            host: name,
            port,
            local_address,
            local_port,
            family,
        }
    };
    sock.connect(target);
    Ok(())
}

/// ECMAScript's `ToInt32`.
fn to_int32(n: f64) -> i32 {
    if n.is_finite() {
        n.trunc().rem_euclid(4_294_967_296.0) as u32 as i32
    } else {
        0
    }
}

/// The `localAddress` option: ignored when falsy, else it must be an IP
/// address (`ERR_INVALID_IP_ADDRESS`).
fn local_address(options: &JsVal) -> Result<Option<IpAddr>, Failure> {
    let Some(v) = options.get("localAddress").filter(|a| a.truthy()) else {
        return Ok(None);
    };
    let text = v.to_js_string();
    let parsed = (n::is_ip(&text) != 0)
        .then(|| text.split('%').next().unwrap_or_default().parse().ok())
        .flatten();
    match parsed {
        Some(ip) => Ok(Some(ip)),
        None => Err(Failure::from(Error::type_error(
            "ERR_INVALID_IP_ADDRESS",
            format!("Invalid IP address: {text}"),
        ))),
    }
}

/// The `family` option as `dns.lookup()` takes it: `'IPv4'`, `'IPv6'`,
/// `0`, `4`, `6` or nullish; anything else is `ERR_INVALID_ARG_VALUE`.
fn lookup_family(options: &JsVal) -> Result<u8, Failure> {
    match options.get("family") {
        None | Some(JsVal::Undefined | JsVal::Null) => Ok(0),
        Some(JsVal::String(f)) if f == "IPv4" => Ok(4),
        Some(JsVal::String(f)) if f == "IPv6" => Ok(6),
        Some(JsVal::Number(f)) if [0.0, 4.0, 6.0].contains(f) => Ok(*f as u8),
        Some(other) => Err(Failure::from(Error::type_error(
            "ERR_INVALID_ARG_VALUE",
            format!(
                "The property 'options.family' must be one of: 0, 4, 6. Received {}",
                other.inspect()
            ),
        ))),
    }
}

fn server_call(
    session: &Session,
    this: &JsVal,
    s: &n::Server,
    method: &str,
    args: Vec<JsVal>,
) -> Result<JsVal, Failure> {
    match method {
        "listen" => {
            let (options, cb) = normalize_args(&args);
            if s.listening() {
                return Err(Error::server_already_listen().into());
            }
            if let Some(cb) = cb.clone() {
                let sess = session.clone();
                s.once(ServerEventKind::Listening, move |_, _| {
                    callback(&sess, &cb, vec![])
                });
            }
            let backlog_arg = |i: usize| {
                args.get(i)
                    .map(JsVal::to_number)
                    .filter(|n| *n >= 0.0)
                    .map(|n| n as i32)
            };
            let backlog_args = backlog_arg(1).filter(|b| *b > 0).or(backlog_arg(2));
            let mut lo = ListenOptions::default();
            // listen(server): Node takes the server's `_handle`.
            if let Some(JsVal::Server(other)) = args.first() {
                lo.handle = Some(ListenHandle::Server(other.clone()));
                s.listen(lo)?;
                return Ok(this.clone());
            }
            // listen({handle: server}): Node reads `options._handle ||
            // options.handle || options` and gets the Server object itself,
            // which has no port, path or fd.
            if let Some(JsVal::Server(_)) = options
                .get("_handle")
                .filter(|h| h.truthy())
                .or(options.get("handle"))
            {
                return Err(Failure::from(Error::type_error(
                    "ERR_INVALID_ARG_VALUE",
                    "The argument 'options' must have the property \"port\" or \"path\". Received Server",
                )));
            }
            let mut options = options;
            let port_omitted = args.is_empty()
                || matches!(args.first(), Some(JsVal::Callback(_)))
                || options.get("port").is_some_and(JsVal::is_nullish);
            if let (true, JsVal::Object(m)) = (port_omitted, &mut options) {
                m.insert("port".into(), JsVal::Number(0.0));
            }
            let backlog = options
                .opt("backlog")
                .map(|b| b.to_number() as i32)
                .filter(|b| *b > 0)
                .or(backlog_args);
            lo.backlog = backlog;
            lo.exclusive = options.get("exclusive").is_some_and(JsVal::truthy);
            lo.ipv6_only = options.get("ipv6Only").is_some_and(JsVal::truthy);
            match options.get("port") {
                Some(p @ (JsVal::Number(_) | JsVal::String(_))) => {
                    lo.port = Some(validate_port(p, "options.port")?);
                    // A host goes to `dns.lookup()`, which wants a string.
                    lo.host = match options.get("host").filter(|h| h.truthy()) {
                        None => None,
                        Some(JsVal::String(h)) => Some(h.clone()),
                        Some(other) => {
                            return Err(Failure::from(invalid_arg_type(
                                "\"hostname\" argument",
                                "of type string",
                                other,
                            )));
                        }
                    };
                }
                _ => {
                    let path = options.get("path").filter(|p| p.truthy());
                    match path {
                        Some(p) if is_pipe_name(p) => {
                            lo.path = Some(PathBuf::from(p.to_js_string()))
                        }
                        _ => {
                            let reason = if !options.has("port") && !options.has("path") {
                                "must have the property \"port\" or \"path\""
                            } else {
                                "is invalid"
                            };
                            return Err(Failure::from(Error::type_error(
                                "ERR_INVALID_ARG_VALUE",
                                format!(
                                    "The argument 'options' {reason}. Received {}",
                                    options.inspect()
                                ),
                            )));
                        }
                    }
                }
            }
            s.listen(lo)?;
            Ok(this.clone())
        }
        "close" => {
            match last_callback(&args) {
                Some(cb) => {
                    let sess = session.clone();
                    s.close_with(move |e| {
                        callback(&sess, &cb, e.map(|e| vec![err(e)]).unwrap_or_default())
                    });
                }
                None => {
                    s.close();
                }
            }
            Ok(this.clone())
        }
        "address" => Ok(address_value(s.address())),
        "getConnections" => {
            // Node hands the callback to `process.nextTick()`, which
            // rejects anything but a function.
            let cb = args.first().cloned().unwrap_or(JsVal::Undefined);
            let JsVal::Callback(cb) = cb else {
                return Err(
                    invalid_arg_type("\"callback\" argument", "of type function", &cb).into(),
                );
            };
            let sess = session.clone();
            s.get_connections(move |count| {
                callback(&sess, &cb, vec![JsVal::Null, JsVal::Number(count as f64)])
            });
            Ok(this.clone())
        }
        other => Err(unsupported(&format!("Server.{other}"))),
    }
}

/// The encoding called `name`, or `ERR_UNKNOWN_ENCODING`.
fn encoding_named(name: &str) -> Result<Encoding, Failure> {
    Encoding::from_name(name).ok_or_else(|| {
        Failure::from(Error::type_error(
            "ERR_UNKNOWN_ENCODING",
            format!("Unknown encoding: {name}"),
        ))
    })
}

/// A write's or `end()`'s callback: called with the error or `null`.
fn write_callback(session: &Session, cb: String) -> impl FnOnce(Option<&Error>) + Send + 'static {
    let session = session.clone();
    move |e| callback(&session, &cb, vec![e.map(err).unwrap_or(JsVal::Null)])
}

/// `write(chunk, encoding)` and `end(chunk, encoding)`: the encoding is the
/// second argument when it is a string.
fn chunk_encoding(args: &[JsVal]) -> Option<&JsVal> {
    args.get(1).filter(|a| matches!(a, JsVal::String(_)))
}

/// Bytes of a `write`/`end` chunk with its encoding.
fn chunk_bytes(data: &JsVal, encoding: Option<&JsVal>) -> Result<Vec<u8>, Failure> {
    match data {
        JsVal::Buffer(b) => Ok(b.clone()),
        JsVal::String(s) => {
            let enc = match encoding {
                Some(JsVal::String(e)) => encoding_named(e)?,
                _ => Encoding::Utf8,
            };
            Ok(enc.encode(s))
        }
        other => Err(Failure::from(invalid_arg_type(
            "\"chunk\" argument",
            "of type string or an instance of Buffer, TypedArray, or DataView",
            other,
        ))),
    }
}

fn socket_call(
    session: &Session,
    this: &JsVal,
    s: &Socket,
    method: &str,
    args: Vec<JsVal>,
) -> Result<JsVal, Failure> {
    let arg0 = args.first().cloned().unwrap_or(JsVal::Undefined);
    match method {
        "connect" => {
            let (options, cb) = normalize_connect(&args)?;
            connect(session, s, &options, cb)?;
            Ok(this.clone())
        }
        "write" => {
            if matches!(arg0, JsVal::Null) {
                return Err(Failure::from(Error::type_error(
                    "ERR_STREAM_NULL_VALUES",
                    "May not write null values to stream",
                )));
            }
            let cb = last_callback(&args);
            let bytes = chunk_bytes(&arg0, chunk_encoding(&args))?;
            let ok = match cb {
                Some(cb) => s.write_with(bytes, write_callback(session, cb)),
                None => s.write(bytes),
            };
            Ok(JsVal::Bool(ok))
        }
        "end" => {
            let cb = last_callback(&args);
            let data = match &arg0 {
                JsVal::Callback(_) | JsVal::Undefined | JsVal::Null => None,
                d => Some(chunk_bytes(d, chunk_encoding(&args))?),
            };
            s.end_with(
                data,
                cb.map(|cb| Box::new(write_callback(session, cb)) as n::WriteCallback),
            );
            Ok(this.clone())
        }
        "destroy" => {
            // Any truthy value is the error, emitted as is.
            let error = arg0.truthy().then(|| {
                let text = |k: &str| match (&arg0, arg0.get(k)) {
                    (JsVal::Error(m), _) => match m.get(k) {
                        Some(crate::protocol::Value::String(s)) => s.clone(),
                        _ => String::new(),
                    },
                    (_, Some(JsVal::String(s))) => s.clone(),
                    _ => String::new(),
                };
                Error::with_payload(&text("code"), text("message"), Arc::new(arg0.clone()))
            });
            s.destroy(error);
            Ok(this.clone())
        }
        "resetAndDestroy" => {
            s.reset_and_destroy()?;
            Ok(this.clone())
        }
        "destroySoon" => {
            s.destroy_soon();
            Ok(JsVal::Undefined)
        }
        "cork" => {
            s.cork();
            Ok(JsVal::Undefined)
        }
        "uncork" => {
            s.uncork();
            Ok(JsVal::Undefined)
        }
        "pause" => {
            s.pause();
            Ok(this.clone())
        }
        "resume" => {
            s.resume();
            Ok(this.clone())
        }
        "isPaused" => Ok(JsVal::Bool(s.is_paused())),
        "setEncoding" => {
            let enc = match &arg0 {
                JsVal::Undefined | JsVal::Null => None,
                e => Some(encoding_named(&e.to_js_string())?),
            };
            s.set_encoding(enc);
            Ok(this.clone())
        }
        "setTimeout" => {
            set_timeout(session, s, &args)?;
            Ok(this.clone())
        }
        "setNoDelay" => {
            s.set_no_delay(args.is_empty() || arg0.truthy());
            Ok(this.clone())
        }
        "setKeepAlive" => {
            let delay = args
                .get(1)
                .map(|d| d.to_number().max(0.0) as u64)
                .unwrap_or(0);
            s.set_keep_alive(arg0.truthy(), delay);
            Ok(this.clone())
        }
        "address" => Ok(s
            .address()
            .map(|a| info(&a))
            .unwrap_or(JsVal::Object(BTreeMap::new()))),
        other => Err(unsupported(&format!("Socket.{other}"))),
    }
}

/// Node's largest timer delay (`TIMEOUT_MAX`); longer ones are truncated.
const TIMEOUT_MAX: f64 = 2_147_483_647.0;

/// `socket.setTimeout(msecs[, callback])` as Node 20 runs it: a destroyed
/// socket ignores it; `socket.timeout` is assigned the raw argument before
/// it is validated; a bad callback is rejected only after the timer is
/// armed.
fn set_timeout(session: &Session, s: &Socket, args: &[JsVal]) -> Result<(), Failure> {
    if s.destroyed() {
        return Ok(());
    }
    let msecs = args.first().cloned().unwrap_or(JsVal::Undefined);
    session.set_own_property(s, "timeout", msecs.clone());
    let JsVal::Number(ms) = msecs else {
        return Err(invalid_arg_type("\"msecs\" argument", "of type number", &msecs).into());
    };
    if ms < 0.0 || !ms.is_finite() {
        return Err(Error::range_error(
            "ERR_OUT_OF_RANGE",
            format!(
                "The value of \"msecs\" is out of range. It must be a non-negative finite number. Received {}",
                super::value::format_number(ms)
            ),
        )
        .into());
    }
    // Node's timers run a positive delay below 1 ms after 1 ms.
    let ms = if ms == 0.0 {
        0
    } else {
        ms.clamp(1.0, TIMEOUT_MAX) as u64
    };
    s.set_timeout(ms);
    match args.get(1) {
        None | Some(JsVal::Undefined) => Ok(()),
        Some(JsVal::Callback(cb)) => {
            // With 0 Node removes the listener; a driver callback was never
            // added, so there is nothing to remove.
            if ms > 0 {
                let sess = session.clone();
                let cb = cb.clone();
                s.once(SocketEventKind::Timeout, move |_, _| {
                    callback(&sess, &cb, vec![])
                });
            }
            Ok(())
        }
        Some(other) => {
            Err(invalid_arg_type("\"callback\" argument", "of type function", other).into())
        }
    }
}

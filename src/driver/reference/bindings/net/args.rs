//! `node:net`'s JS layer: how `lib/net.js` reads the overloaded arguments
//! of `connect()`, `listen()` and the socket options, with Node's checks in
//! Node's order, before anything reaches the implementation.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::Error;
use crate::driver::reference::host::Failure;
use crate::driver::reference::js::validate::{
    invalid_arg_type, last_callback, to_int32, validate_int32, validate_port,
};
use crate::driver::reference::js::{JsVal, Props};
use crate::net::{self as n, ConnectOptions, Family, ListenOptions, SocketOptions};

/// `new net.Socket(options)`'s options, as the implementation takes them.
pub fn socket_options(o: &JsVal) -> SocketOptions {
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
pub fn is_pipe_name(v: &JsVal) -> bool {
    matches!(v, JsVal::String(_)) && v.to_number().partial_cmp(&0.0).is_none_or(|o| o.is_lt())
}

/// Node's `normalizeArgs`: `(options | path | port[, host])[, cb]`.
pub fn normalize_args(args: &[JsVal]) -> (JsVal, Option<String>) {
    let cb = last_callback(args);
    let Some(first) = args.first() else {
        return (JsVal::Object(Props::new()), None);
    };
    let mut options = Props::new();
    match first {
        JsVal::Object(m) => return (JsVal::Object(m.clone()), cb),
        v if is_pipe_name(v) => {
            options.insert("path", v.clone());
        }
        v => {
            options.insert("port", v.clone());
            if let Some(h @ JsVal::String(_)) = args.get(1) {
                options.insert("host", h.clone());
            }
        }
    }
    (JsVal::Object(options), cb)
}

/// `normalizeArgs` for `connect()`, which needs something to connect to.
pub fn normalize_connect(args: &[JsVal]) -> Result<(JsVal, Option<String>), Failure> {
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

/// Where `socket.connect(options)` goes, after `Socket.prototype.connect`,
/// `lookupAndConnect` and `dns.lookup`'s checks (in that order).
pub fn connect_target(options: &JsVal) -> Result<ConnectOptions, Failure> {
    if let Some(path) = options.opt("path").filter(|p| !p.is_nullish()) {
        return Ok(ConnectOptions::Path(PathBuf::from(path.to_js_string())));
    }
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
    let auto_select_family = match options.get("autoSelectFamily") {
        None | Some(JsVal::Undefined | JsVal::Null) => true,
        Some(JsVal::Bool(b)) => *b,
        Some(other) => {
            return Err(Failure::from(invalid_arg_type(
                "\"options.autoSelectFamily\" property",
                "of type boolean",
                other,
            )));
        }
    };
    let attempt_timeout = match options.get("autoSelectFamilyAttemptTimeout") {
        None | Some(JsVal::Undefined | JsVal::Null) => n::ATTEMPT_TIMEOUT,
        Some(v) => {
            let ms = validate_int32(v, "options.autoSelectFamilyAttemptTimeout", 1)?;
            Duration::from_millis(ms.max(10) as u64)
        }
    };
    // `options.host || 'localhost'`; only a host that is not an IP address
    // reaches `dns.lookup()`, which checks its type and the family.
    let host = options.get("host").filter(|h| h.truthy());
    let name = host.map_or_else(|| "localhost".to_string(), JsVal::to_js_string);
    let family = if n::is_ip(&name) != 0 {
        None
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
    Ok(ConnectOptions::Tcp {
        host: name,
        port,
        local_address,
        local_port,
        family,
        auto_select_family,
        attempt_timeout,
    })
}

/// The `localAddress` option: ignored when falsy, else it must be an IP
/// address (`ERR_INVALID_IP_ADDRESS`).
fn local_address(options: &JsVal) -> Result<Option<IpAddr>, Failure> {
    let Some(v) = options.get("localAddress").filter(|a| a.truthy()) else {
        return Ok(None);
    };
    let text = v.to_js_string();
    let parsed = (n::is_ip(&text) != 0)
        .then(|| crate::dns::ip_literal(&text))
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
fn lookup_family(options: &JsVal) -> Result<Option<Family>, Failure> {
    match options.get("family") {
        None | Some(JsVal::Undefined | JsVal::Null) => Ok(None),
        Some(JsVal::String(f)) if f == "IPv4" => Ok(Some(Family::IPv4)),
        Some(JsVal::String(f)) if f == "IPv6" => Ok(Some(Family::IPv6)),
        Some(JsVal::Number(f)) if [0.0, 4.0, 6.0].contains(f) => Ok(Family::from_number(*f as u8)),
        Some(other) => Err(Failure::from(Error::type_error(
            "ERR_INVALID_ARG_VALUE",
            format!(
                "The property 'options.family' must be one of: 0, 4, 6. Received {}",
                other.inspect()
            ),
        ))),
    }
}

/// `server.listen(...)`'s arguments as `Server.prototype.listen` reads
/// them, up to the handle forms (which the caller resolves first).
pub fn listen_options(args: &[JsVal], options: JsVal) -> Result<ListenOptions, Failure> {
    let backlog_arg = |i: usize| {
        args.get(i)
            .map(JsVal::to_number)
            .filter(|n| *n >= 0.0)
            .map(|n| n as i32)
    };
    let backlog_args = backlog_arg(1).filter(|b| *b > 0).or(backlog_arg(2));
    let mut options = options;
    let port_omitted = args.is_empty()
        || matches!(args.first(), Some(JsVal::Callback(_)))
        || options.get("port").is_some_and(JsVal::is_nullish);
    if let (true, JsVal::Object(m)) = (port_omitted, &mut options) {
        m.insert("port", JsVal::Number(0.0));
    }
    let mut lo = ListenOptions {
        backlog: options
            .opt("backlog")
            .map(|b| b.to_number() as i32)
            .filter(|b| *b > 0)
            .or(backlog_args),
        exclusive: options.get("exclusive").is_some_and(JsVal::truthy),
        ipv6_only: options.get("ipv6Only").is_some_and(JsVal::truthy),
        ..ListenOptions::default()
    };
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
        _ => match options.get("path").filter(|p| p.truthy()) {
            Some(p) if is_pipe_name(p) => lo.path = Some(PathBuf::from(p.to_js_string())),
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
        },
    }
    Ok(lo)
}

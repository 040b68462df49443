//! `node:dgram`'s JS layer: how `lib/dgram.js` (and `newHandle` in
//! `lib/internal/dgram.js`) reads the options of `createSocket()` and the
//! overloaded arguments of `bind()`, `connect()` and `send()`, with Node's
//! checks in Node's order, before anything reaches the implementation.

use crate::Error;
use crate::dgram::{BindOptions, Datagram, SocketOptions, Type};
use crate::driver::reference::host::Failure;
use crate::driver::reference::js::JsVal;
use crate::driver::reference::js::validate::{
    buffer_out_of_bounds, invalid_arg_type, last_callback, to_uint32, validate_abort_signal,
    validate_callback, validate_port_allowing, validate_string, validate_uint32,
};

/// What Node's `ERR_INVALID_ARG_TYPE` says `send()` takes.
const BUFFER_TYPES: &str = "of type string or an instance of Buffer, TypedArray, or DataView";

/// `value.key` for any value: plain objects and errors have properties,
/// other values none that scripts could set.
fn prop(value: &JsVal, key: &str) -> JsVal {
    match value {
        JsVal::Object(p) | JsVal::Error(p) => p.get(key).cloned().unwrap_or(JsVal::Undefined),
        _ => JsVal::Undefined,
    }
}

/// `value !== null && typeof value === 'object'`.
fn is_object(value: &JsVal) -> bool {
    value.type_of() == "object" && !matches!(value, JsVal::Null)
}

/// `typeof value === 'function'`.
fn is_function(value: &JsVal) -> bool {
    value.type_of() == "function"
}

/// The argument at `i`, `undefined` past the end.
fn arg(args: &[JsVal], i: usize) -> JsVal {
    args.get(i).cloned().unwrap_or(JsVal::Undefined)
}

/// `new Socket(type | options)` up to the handle: the buffer sizes
/// (`validateUint32`, only when truthy), then `newHandle`'s `lookup` and
/// type checks, then `signal`.
pub fn socket_options(arg0: &JsVal) -> Result<SocketOptions, Failure> {
    let options = is_object(arg0).then_some(arg0);
    let (kind, lookup) = match options {
        Some(o) => (prop(o, "type"), prop(o, "lookup")),
        None => (arg0.clone(), JsVal::Undefined),
    };
    let mut sizes = [None, None];
    if let Some(o) = options {
        for (slot, name) in sizes.iter_mut().zip(["recvBufferSize", "sendBufferSize"]) {
            let v = prop(o, name);
            if v.truthy() {
                *slot = Some(validate_uint32(&v, &format!("options.{name}"), false)? as usize);
            }
        }
    }
    if !matches!(lookup, JsVal::Undefined) {
        validate_callback(&lookup, "lookup")?;
        return Err(Failure::unsupported(
            "the lookup option of dgram.createSocket()",
        ));
    }
    let kind = match &kind {
        JsVal::String(s) => Type::from_name(s),
        _ => None,
    }
    .ok_or_else(|| {
        Error::type_error(
            "ERR_SOCKET_BAD_TYPE",
            "Bad socket type specified. Valid types are: udp4, udp6",
        )
    })?;
    if let Some(o) = options {
        let signal = prop(o, "signal");
        validate_abort_signal(&signal, "options.signal")?;
        if !matches!(signal, JsVal::Undefined) {
            return Err(Failure::unsupported(
                "the signal option of dgram.createSocket()",
            ));
        }
    }
    let [recv_buffer_size, send_buffer_size] = sizes;
    Ok(SocketOptions {
        kind,
        reuse_addr: options.is_some_and(|o| prop(o, "reuseAddr").truthy()),
        ipv6_only: options.is_some_and(|o| prop(o, "ipv6Only").truthy()),
        recv_buffer_size,
        send_buffer_size,
    })
}

/// `bind([port][, address][, callback])` or `bind(options[, callback])`:
/// the options, or the error `dns.lookup()` throws for an address that is
/// not a string (after `bind()`'s own checks: see
/// [`crate::dgram::Socket::bind_lookup_throws`]); and the callback.
pub fn bind_args(args: &[JsVal]) -> Result<(Result<BindOptions, Error>, Option<String>), Failure> {
    let callback = last_callback(args);
    let first = arg(args, 0);
    let (port, address, exclusive) = if is_object(&first) {
        if is_function(&prop(&first, "recvStart")) {
            return Err(Failure::unsupported("bind(handle)"));
        }
        if matches!(prop(&first, "fd"), JsVal::Number(fd) if fd > 0.0 && fd.fract() == 0.0 && fd <= f64::from(i32::MAX))
        {
            return Err(Failure::unsupported("bind({fd})"));
        }
        let address = prop(&first, "address");
        let address = if address.truthy() {
            address
        } else {
            JsVal::String(String::new())
        };
        (
            prop(&first, "port"),
            address,
            prop(&first, "exclusive").truthy(),
        )
    } else {
        let address = arg(args, 1);
        let address = if is_function(&address) {
            JsVal::String(String::new())
        } else {
            address
        };
        (first, address, false)
    };
    // `handle.bind(ip, port || 0, flags)`: the binding takes a `uint32`
    // and libuv keeps 16 bits of it; the port is never validated.
    let port = if port.truthy() {
        to_uint32(port.to_number()) as u16
    } else {
        0
    };
    // An empty address is all interfaces; another falsy one too.
    let address = match address {
        a if !a.truthy() => None,
        JsVal::String(s) => Some(s),
        // `dns.lookup()` validates a truthy hostname.
        other => {
            let thrown = invalid_arg_type("\"hostname\" argument", "of type string", &other);
            return Ok((Err(thrown), callback));
        }
    };
    Ok((
        Ok(BindOptions {
            port,
            address,
            exclusive,
        }),
        callback,
    ))
}

/// `connect(port[, address][, callback])`: the port (`validatePort`, 0
/// refused), the address (a function is the callback; `undefined` is the
/// default; anything else must be a string, `null` included), and the
/// callback.
///
/// A callback that is no function is ignored here; Node would hand it to
/// `once('connect', …)`, which throws `ERR_INVALID_ARG_TYPE`.
pub fn connect_args(args: &[JsVal]) -> Result<(u16, String, Option<String>), Failure> {
    let port = validate_port_allowing(&arg(args, 0), "Port", false)?;
    let (address, callback) = match arg(args, 1) {
        JsVal::Callback(cb) => (String::new(), Some(cb)),
        JsVal::Undefined => (String::new(), None),
        other => (validate_string(&other, "address")?, None),
    };
    let callback = callback.or_else(|| match arg(args, 2) {
        JsVal::Callback(cb) => Some(cb),
        _ => None,
    });
    Ok((port, address, callback))
}

/// What `send()` hands the implementation.
pub struct SendArgs {
    pub msg: Datagram,
    /// `None` on a connected socket.
    pub port: Option<u16>,
    pub address: Option<String>,
    pub callback: Option<String>,
}

/// `send(msg[, offset, length][, port][, address][, callback])` as
/// `Socket.prototype.send` reads it: the arguments are shuffled by the
/// *shape* of the call and by whether the socket is connected, then
/// checked in Node's order: connected with a port or address, the
/// message, the port, the address. (The closed-socket check comes after,
/// in the implementation.)
pub fn send_args(args: &[JsVal], connected: bool) -> Result<SendArgs, Failure> {
    let buffer = arg(args, 0);
    let (offset, length) = (arg(args, 1), arg(args, 2));
    let (mut port, mut address, mut callback) = (arg(args, 3), arg(args, 4), arg(args, 5));
    let mut sliced = None;
    if !connected {
        if address.truthy() || (port.truthy() && !is_function(&port)) {
            sliced = Some(slice_buffer(&buffer, &offset, &length)?);
        } else {
            callback = port;
            port = offset;
            address = length;
        }
    } else {
        if matches!(length, JsVal::Number(_)) {
            sliced = Some(slice_buffer(&buffer, &offset, &length)?);
            if is_function(&port) {
                callback = port;
                port = JsVal::Null;
            }
        } else {
            callback = offset;
        }
        if port.truthy() || address.truthy() {
            return Err(Error::dgram_is_connected().into());
        }
    }
    let list = match (sliced, &buffer) {
        (Some(bytes), _) => vec![bytes],
        (None, JsVal::String(s)) => vec![s.as_bytes().to_vec()],
        (None, JsVal::Buffer(b)) => vec![b.clone()],
        (None, JsVal::Array(items)) => fix_buffer_list(items).ok_or_else(|| {
            invalid_arg_type("\"buffer list arguments\" argument", BUFFER_TYPES, &buffer)
        })?,
        (None, other) => {
            return Err(invalid_arg_type("\"buffer\" argument", BUFFER_TYPES, other).into());
        }
    };
    let port = if connected {
        None
    } else {
        Some(validate_port_allowing(&port, "Port", false)?)
    };
    if !is_function(&callback) {
        callback = JsVal::Undefined;
    }
    let address = match address {
        JsVal::Callback(cb) => {
            callback = JsVal::Callback(cb);
            None
        }
        a if a.is_nullish() => None,
        a => Some(validate_string(&a, "address")?),
    };
    Ok(SendArgs {
        msg: Datagram(list),
        port,
        address,
        callback: match callback {
            JsVal::Callback(cb) => Some(cb),
            _ => None,
        },
    })
}

/// Node's `sliceBuffer`: a string is UTF-8 first; `offset` and `length`
/// are `>>> 0`'d, then checked against the bytes.
fn slice_buffer(buffer: &JsVal, offset: &JsVal, length: &JsVal) -> Result<Vec<u8>, Error> {
    let bytes = match buffer {
        JsVal::String(s) => s.as_bytes(),
        JsVal::Buffer(b) => b.as_slice(),
        other => return Err(invalid_arg_type("\"buffer\" argument", BUFFER_TYPES, other)),
    };
    let offset = to_uint32(offset.to_number()) as usize;
    let length = to_uint32(length.to_number()) as usize;
    if offset > bytes.len() {
        return Err(buffer_out_of_bounds("offset"));
    }
    if offset + length > bytes.len() {
        return Err(buffer_out_of_bounds("length"));
    }
    Ok(bytes[offset..offset + length].to_vec())
}

/// Node's `fixBufferList`: strings and buffers, or `None`.
fn fix_buffer_list(items: &[JsVal]) -> Option<Vec<Vec<u8>>> {
    items
        .iter()
        .map(|item| match item {
            JsVal::String(s) => Some(s.as_bytes().to_vec()),
            JsVal::Buffer(b) => Some(b.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> JsVal {
        JsVal::String(v.into())
    }

    fn n(v: impl Into<f64>) -> JsVal {
        JsVal::Number(v.into())
    }

    fn code(f: Failure) -> String {
        match f {
            Failure::Throw(JsVal::Error(p)) => match p.get("code") {
                Some(JsVal::String(c)) => c.clone(),
                _ => String::new(),
            },
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn send_reads_the_shape_of_the_call() {
        let cb = JsVal::Callback("cb".into());
        // Unconnected: send(msg, port, cb) shifts.
        let a = send_args(&[s("hi"), n(9), cb.clone()], false).ok().unwrap();
        assert_eq!(
            (a.port, a.address, a.callback),
            (Some(9), None, Some("cb".into()))
        );
        // Unconnected: offset and length slice a string's bytes.
        let a = send_args(&[s("héllo"), n(1), n(2), n(9), s("::1")], false)
            .ok()
            .unwrap();
        assert_eq!(a.msg, Datagram(vec!["é".as_bytes().to_vec()]));
        // Connected: send(msg, port, cb) loses cb; with an address and a
        // callback, the callback is the port.
        let a = send_args(&[s("c"), n(9), cb.clone()], true).ok().unwrap();
        assert_eq!((a.port, a.callback), (None, None));
        let e = send_args(&[s("x"), n(9), s("127.0.0.1"), cb], true);
        assert_eq!(code(e.err().unwrap()), "ERR_SOCKET_DGRAM_IS_CONNECTED");
        // Out of bounds, and the port-as-length shift.
        let e = send_args(&[JsVal::Buffer(b"abc".to_vec()), n(1), n(9), s("h")], false);
        assert_eq!(code(e.err().unwrap()), "ERR_BUFFER_OUT_OF_BOUNDS");
        let e = send_args(&[s("x"), n(9), n(123)], false);
        assert_eq!(code(e.err().unwrap()), "ERR_INVALID_ARG_TYPE");
        let e = send_args(&[JsVal::Array(vec![n(1)]), n(9)], false);
        assert_eq!(code(e.err().unwrap()), "ERR_INVALID_ARG_TYPE");
    }

    #[test]
    fn bind_truncates_the_port_and_defers_a_bad_address() {
        let (o, _) = bind_args(&[n(65537.0), s("127.0.0.1")]).ok().unwrap();
        assert_eq!(o.unwrap().port, 1);
        let (o, _) = bind_args(&[n(-1.0)]).ok().unwrap();
        assert_eq!(o.unwrap().port, 65535);
        let (o, _) = bind_args(&[s("abc")]).ok().unwrap();
        assert_eq!(o.unwrap().port, 0);
        let (o, _) = bind_args(&[n(0.0), n(123.0)]).ok().unwrap();
        assert_eq!(o.unwrap_err().code(), "ERR_INVALID_ARG_TYPE");
    }

    #[test]
    fn socket_options_follow_the_constructor() {
        let opts = |p: Vec<(&str, JsVal)>| {
            JsVal::Object(p.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        let e = socket_options(&opts(vec![("type", s("x")), ("recvBufferSize", n(-1.0))]));
        assert_eq!(code(e.err().unwrap()), "ERR_OUT_OF_RANGE");
        let e = socket_options(&opts(vec![("lookup", n(1.0))]));
        assert_eq!(code(e.err().unwrap()), "ERR_INVALID_ARG_TYPE");
        let e = socket_options(&JsVal::Null);
        assert_eq!(code(e.err().unwrap()), "ERR_SOCKET_BAD_TYPE");
        let o = socket_options(&opts(vec![("type", s("udp6")), ("sendBufferSize", n(0.0))]));
        let o = o.ok().unwrap();
        assert_eq!((o.kind, o.send_buffer_size), (Type::Udp6, None));
    }
}

//! Node's JS-level argument layer (`lib/internal/validators.js`,
//! `lib/internal/errors.js`): the checks and conversions every module's
//! functions run before the implementation sees an argument, with Node's
//! error codes and messages. Shared by every binding.

use super::{JsVal, format_number};
use crate::Error;
use crate::string_decoder::Encoding;

/// `validatePort(port, name)`: Node's `ERR_SOCKET_BAD_PORT` rule. Numbers
/// and non-blank strings that are integers in `0..=65535` pass.
pub fn validate_port(port: &JsVal, name: &str) -> Result<u16, Error> {
    validate_port_allowing(port, name, true)
}

/// `validatePort(port, name, allowZero)`: with `allow_zero` false, the
/// number `0` is refused too (`Port should be > 0 and < 65536`), though
/// the string `"0"` passes, as in Node (`port === 0` is strict).
pub fn validate_port_allowing(port: &JsVal, name: &str, allow_zero: bool) -> Result<u16, Error> {
    let bad = || {
        Error::range_error(
            "ERR_SOCKET_BAD_PORT",
            format!(
                "{name} should be {} 0 and < 65536. Received {}.",
                if allow_zero { ">=" } else { ">" },
                port.describe()
            ),
        )
    };
    match port {
        JsVal::Number(n) if *n == 0.0 && !allow_zero => return Err(bad()),
        JsVal::Number(_) => {}
        JsVal::String(s) if !s.trim().is_empty() => {}
        _ => return Err(bad()),
    }
    let n = port.to_number();
    if n.is_nan() || n < 0.0 || n.fract() != 0.0 || n > 65535.0 {
        return Err(bad());
    }
    Ok(n as u16)
}

/// `ERR_INVALID_ARG_TYPE` for a property or argument: `what` is how Node
/// names it (`"options" argument`, `"options.port" property`).
pub fn invalid_arg_type(what: &str, expected: &str, got: &JsVal) -> Error {
    Error::type_error(
        "ERR_INVALID_ARG_TYPE",
        format!("The {what} must be {expected}. Received {}", got.describe()),
    )
}

/// How Node's `ERR_INVALID_ARG_TYPE` names `name`: `"ttl" argument`, or
/// `"options.port" property` when the name has a dot.
pub fn arg_label(name: &str) -> String {
    if name.ends_with(" argument") {
        name.to_string()
    } else if name.contains('.') {
        format!("\"{name}\" property")
    } else {
        format!("\"{name}\" argument")
    }
}

/// `validateNumber(value, name)` without bounds: any number, `NaN`
/// included.
pub fn validate_number(value: &JsVal, name: &str) -> Result<(), Error> {
    match value {
        JsVal::Number(_) => Ok(()),
        other => Err(invalid_arg_type(&arg_label(name), "of type number", other)),
    }
}

/// `validateInteger(value, name, min, max)`: a number (else
/// `ERR_INVALID_ARG_TYPE`), an integer (else `ERR_OUT_OF_RANGE` "an
/// integer"), within `min..=max` (else `ERR_OUT_OF_RANGE` with the bounds).
pub fn validate_integer(value: &JsVal, name: &str, min: f64, max: f64) -> Result<(), Error> {
    validate_number(value, name)?;
    let n = value.to_number();
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(out_of_range(name, "an integer", n));
    }
    if n < min || n > max {
        return Err(out_of_range(
            name,
            &format!(">= {} && <= {}", format_number(min), format_number(max)),
            n,
        ));
    }
    Ok(())
}

/// `validateString(value, name)`.
pub fn validate_string(value: &JsVal, name: &str) -> Result<String, Error> {
    match value {
        JsVal::String(s) => Ok(s.clone()),
        other => Err(invalid_arg_type(&arg_label(name), "of type string", other)),
    }
}

/// `validateUint32(value, name, positive)`: a number that is an integer in
/// `0..=4294967295` (`1..` when `positive`).
pub fn validate_uint32(value: &JsVal, name: &str, positive: bool) -> Result<u32, Error> {
    let JsVal::Number(n) = value else {
        return Err(invalid_arg_type(&arg_label(name), "of type number", value));
    };
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(out_of_range(name, "an integer", *n));
    }
    let min = if positive { 1.0 } else { 0.0 };
    if *n < min || *n > f64::from(u32::MAX) {
        return Err(out_of_range(
            name,
            &format!(">= {min} && <= {}", u32::MAX),
            *n,
        ));
    }
    Ok(*n as u32)
}

/// `validateAbortSignal(signal, name)`: `undefined` or an object with an
/// `aborted` property (scripts have no `AbortSignal`, so in practice only
/// `undefined` passes).
pub fn validate_abort_signal(value: &JsVal, name: &str) -> Result<(), Error> {
    match value {
        JsVal::Undefined => Ok(()),
        JsVal::Object(p) if p.get("aborted").is_some() => Ok(()),
        other => Err(invalid_arg_type(
            &arg_label(name),
            "an instance of AbortSignal",
            other,
        )),
    }
}

/// `validateInt32(value, name, min)`: a number that is an integer in
/// `min..=2147483647`.
pub fn validate_int32(value: &JsVal, name: &str, min: i32) -> Result<i32, Error> {
    let JsVal::Number(n) = value else {
        return Err(invalid_arg_type(&arg_label(name), "of type number", value));
    };
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(out_of_range(name, "an integer", *n));
    }
    if *n < f64::from(min) || *n > f64::from(i32::MAX) {
        return Err(out_of_range(
            name,
            &format!(">= {min} && <= {}", i32::MAX),
            *n,
        ));
    }
    Ok(*n as i32)
}

/// `validateFunction(value, name)`: a callback argument.
pub fn validate_callback(value: &JsVal, name: &str) -> Result<String, Error> {
    match value {
        JsVal::Callback(n) => Ok(n.clone()),
        other => Err(invalid_arg_type(
            &format!("\"{name}\" argument"),
            "of type function",
            other,
        )),
    }
}

/// ECMAScript's `ToUint32` (`n >>> 0`).
pub fn to_uint32(n: f64) -> u32 {
    if n.is_finite() {
        n.trunc().rem_euclid(4_294_967_296.0) as u32
    } else {
        0
    }
}

/// `ERR_BUFFER_OUT_OF_BOUNDS` for `name` (`"offset" is outside of buffer
/// bounds`).
pub fn buffer_out_of_bounds(name: &str) -> Error {
    Error::range_error(
        "ERR_BUFFER_OUT_OF_BOUNDS",
        format!("\"{name}\" is outside of buffer bounds"),
    )
}

/// ECMAScript's `ToInt32`.
pub fn to_int32(n: f64) -> i32 {
    if n.is_finite() {
        n.trunc().rem_euclid(4_294_967_296.0) as u32 as i32
    } else {
        0
    }
}

/// The trailing callback of an overloaded call (`listen(port, cb)`).
pub fn last_callback(args: &[JsVal]) -> Option<String> {
    match args.last() {
        Some(JsVal::Callback(n)) => Some(n.clone()),
        _ => None,
    }
}

/// The encoding called `name`, or `ERR_UNKNOWN_ENCODING`.
pub fn encoding_named(name: &str) -> Result<Encoding, Error> {
    Encoding::from_name(name).ok_or_else(|| {
        Error::type_error("ERR_UNKNOWN_ENCODING", format!("Unknown encoding: {name}"))
    })
}

/// The bytes of a stream chunk (`write(chunk, encoding)`): a Buffer, or a
/// string in `encoding` (UTF-8 when it is not a string).
pub fn chunk_bytes(data: &JsVal, encoding: Option<&JsVal>) -> Result<Vec<u8>, Error> {
    match data {
        JsVal::Buffer(b) => Ok(b.clone()),
        JsVal::String(s) => {
            let enc = match encoding {
                Some(JsVal::String(e)) => encoding_named(e)?,
                _ => Encoding::Utf8,
            };
            Ok(enc.encode(s))
        }
        other => Err(invalid_arg_type(
            "\"chunk\" argument",
            "of type string or an instance of Buffer, TypedArray, or DataView",
            other,
        )),
    }
}

/// `ERR_OUT_OF_RANGE` for a number outside what an option allows.
pub fn out_of_range(name: &str, range: &str, got: f64) -> Error {
    Error::range_error(
        "ERR_OUT_OF_RANGE",
        format!(
            "The value of \"{name}\" is out of range. It must be {range}. Received {}",
            format_number(got)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_follow_validate_port() {
        assert_eq!(validate_port(&JsVal::String("80".into()), "p").unwrap(), 80);
        for bad in [
            JsVal::Number(65536.0),
            JsVal::Number(1.5),
            JsVal::Number(f64::NAN),
            JsVal::String(" ".into()),
            JsVal::Null,
        ] {
            assert_eq!(
                validate_port(&bad, "p").unwrap_err().code(),
                "ERR_SOCKET_BAD_PORT"
            );
        }
        assert_eq!(to_int32(4_294_967_297.0), 1);
        assert_eq!(to_uint32(-1.0), u32::MAX);
        let zero = JsVal::Number(0.0);
        assert_eq!(validate_port(&zero, "p").unwrap(), 0);
        let e = validate_port_allowing(&zero, "Port", false).unwrap_err();
        assert_eq!(
            e.message(),
            "Port should be > 0 and < 65536. Received type number (0)."
        );
        assert_eq!(
            validate_port_allowing(&JsVal::String("0".into()), "Port", false).unwrap(),
            0
        );
    }

    #[test]
    fn names_with_a_dot_are_properties() {
        let e = validate_number(&JsVal::Null, "ttl").unwrap_err();
        assert_eq!(
            e.message(),
            "The \"ttl\" argument must be of type number. Received null"
        );
        let e = validate_uint32(&JsVal::Number(-1.0), "options.recvBufferSize", false);
        assert_eq!(
            e.unwrap_err().message(),
            "The value of \"options.recvBufferSize\" is out of range. It must be >= 0 && <= 4294967295. Received -1"
        );
        let e = validate_string(&JsVal::Number(1.0), "options.x").unwrap_err();
        assert!(e.message().starts_with("The \"options.x\" property"));
    }
}

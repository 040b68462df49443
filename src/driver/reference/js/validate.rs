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
    let bad = || {
        Error::range_error(
            "ERR_SOCKET_BAD_PORT",
            format!(
                "{name} should be >= 0 and < 65536. Received {}.",
                port.describe()
            ),
        )
    };
    match port {
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

/// `validateNumber(value, name)` without bounds: any number, `NaN`
/// included.
pub fn validate_number(value: &JsVal, name: &str) -> Result<(), Error> {
    match value {
        JsVal::Number(_) => Ok(()),
        other => Err(invalid_arg_type(
            &format!("\"{name}\" property"),
            "of type number",
            other,
        )),
    }
}

/// `validateInt32(value, name, min)`: a number that is an integer in
/// `min..=2147483647`.
pub fn validate_int32(value: &JsVal, name: &str, min: i32) -> Result<i32, Error> {
    let JsVal::Number(n) = value else {
        return Err(invalid_arg_type(
            &format!("\"{name}\" property"),
            "of type number",
            value,
        ));
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
    }
}

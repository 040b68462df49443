//! What the `http.ServerResponse` and `http.ClientRequest` bindings share:
//! the methods of their base, `OutgoingMessage` (headers, `write`, `end`,
//! `destroy`), over any handle that offers them.

use std::sync::Arc;

use crate::driver::reference::host::{Eval, Failure};
use crate::driver::reference::js::validate::{chunk_bytes, last_callback};
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::http::h1::{HeaderValue, OutgoingMessage, validate_header};
use crate::http::{ClientRequest, ServerResponse, WriteCallback, outgoing_error};

/// An outgoing message's handle, as the shared methods need it.
pub(super) trait Outgoing {
    fn set_header(&self, name: &str, value: HeaderValue) -> Result<(), crate::Error>;
    fn append_header(&self, name: &str, value: HeaderValue) -> Result<(), crate::Error>;
    fn remove_header(&self, name: &str) -> Result<(), crate::Error>;
    fn flush_headers(&self) -> Result<(), crate::Error>;
    fn headers(&self) -> Vec<(String, HeaderValue)>;
    fn write_with(&self, chunk: &[u8], cb: Option<WriteCallback>) -> Result<bool, crate::Error>;
    fn end_with(&self, chunk: Option<&[u8]>, cb: Option<WriteCallback>)
    -> Result<(), crate::Error>;
    fn destroy(&self, err: Option<crate::Error>);
}

macro_rules! outgoing_via_core {
    ($t:ty) => {
        impl Outgoing for $t {
            fn set_header(&self, name: &str, value: HeaderValue) -> Result<(), crate::Error> {
                <$t>::set_header(self, name, value).map(|_| ())
            }
            fn append_header(&self, name: &str, value: HeaderValue) -> Result<(), crate::Error> {
                <$t>::append_header(self, name, value).map(|_| ())
            }
            fn remove_header(&self, name: &str) -> Result<(), crate::Error> {
                <$t>::remove_header(self, name)
            }
            fn flush_headers(&self) -> Result<(), crate::Error> {
                <$t>::flush_headers(self)
            }
            fn headers(&self) -> Vec<(String, HeaderValue)> {
                self.with_core(|c: &OutgoingMessage| c.headers().to_vec())
            }
            fn write_with(
                &self,
                chunk: &[u8],
                cb: Option<WriteCallback>,
            ) -> Result<bool, crate::Error> {
                <$t>::write_with(self, chunk, cb)
            }
            fn end_with(
                &self,
                chunk: Option<&[u8]>,
                cb: Option<WriteCallback>,
            ) -> Result<(), crate::Error> {
                <$t>::end_with(self, chunk, cb).map(|_| ())
            }
            fn destroy(&self, err: Option<crate::Error>) {
                <$t>::destroy(self, err);
            }
        }
    };
}

outgoing_via_core!(ServerResponse);
outgoing_via_core!(ClientRequest);

/// A header value from a script: a string, a number (kept: `getHeader`
/// gives it back), an array of them; `None` for `undefined`, which Node
/// refuses.
pub(super) fn header_value(v: &JsVal) -> Option<HeaderValue> {
    match v {
        JsVal::Undefined => None,
        JsVal::Number(n) => Some(HeaderValue::Number(*n)),
        JsVal::Array(items) => Some(HeaderValue::Many(
            items.iter().map(JsVal::to_js_string).collect(),
        )),
        other => Some(HeaderValue::One(other.to_js_string())),
    }
}

fn value_of(v: &HeaderValue) -> JsVal {
    match v {
        HeaderValue::One(s) => JsVal::String(s.clone()),
        HeaderValue::Number(n) => JsVal::Number(*n),
        HeaderValue::Many(vs) => JsVal::Array(vs.iter().cloned().map(JsVal::String).collect()),
    }
}

/// The script's callback of `write()`/`end()`, if any (the last
/// argument): called with the error, or nothing.
fn write_callback(cx: &Session, args: &[JsVal]) -> Option<WriteCallback> {
    last_callback(args).map(|cb| {
        let cx = cx.clone();
        Box::new(move |e: Option<&crate::Error>| {
            cx.callback(
                &cb,
                e.map(|e| vec![JsVal::from_error(e)]).unwrap_or_default(),
            )
        }) as WriteCallback
    })
}

/// `setHeader`'s value: `undefined` is Node's `ERR_HTTP_INVALID_HEADER_VALUE`
/// (after the name's own check).
fn required_value(name: &str, v: &JsVal) -> Result<HeaderValue, Failure> {
    match header_value(v) {
        Some(value) => Ok(value),
        None => {
            let e = validate_header(name, None).expect_err("undefined is refused");
            Err(outgoing_error(e, "set").into())
        }
    }
}

/// `destroy(err)`'s argument as the error the object is destroyed with.
pub(super) fn destroy_error(v: Option<&JsVal>) -> Option<crate::Error> {
    v.filter(|v| !v.is_nullish()).map(|v| {
        let text = |k: &str| match v {
            JsVal::Error(p) => p.get(k).map(JsVal::to_js_string).unwrap_or_default(),
            other if k == "message" => other.to_js_string(),
            _ => String::new(),
        };
        crate::Error::with_payload(&text("code"), text("message"), Arc::new(v.clone()))
    })
}

/// Calls one of `OutgoingMessage`'s methods; `None` if `method` is not one.
pub(super) fn call(
    r: &impl Outgoing,
    cx: &Session,
    this: &JsVal,
    method: &str,
    args: &[JsVal],
) -> Option<Eval> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(JsVal::Undefined);
    let name = || arg(0).to_js_string();
    let header = |name: &str| {
        r.headers()
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let run = || -> Eval {
        Ok(match method {
            "setHeader" => {
                r.set_header(&name(), required_value(&name(), &arg(1))?)?;
                this.clone()
            }
            "appendHeader" => {
                r.append_header(&name(), required_value(&name(), &arg(1))?)?;
                this.clone()
            }
            "removeHeader" => {
                r.remove_header(&name())?;
                JsVal::Undefined
            }
            "flushHeaders" => {
                r.flush_headers()?;
                JsVal::Undefined
            }
            "getHeader" => header(&name()).as_ref().map_or(JsVal::Undefined, value_of),
            "hasHeader" => JsVal::Bool(header(&name()).is_some()),
            "getHeaderNames" => JsVal::Array(
                r.headers()
                    .iter()
                    .map(|(n, _)| JsVal::String(n.to_ascii_lowercase()))
                    .collect(),
            ),
            "getRawHeaderNames" => JsVal::Array(
                r.headers()
                    .into_iter()
                    .map(|(n, _)| JsVal::String(n))
                    .collect(),
            ),
            "getHeaders" => {
                let mut p = Props::new();
                for (n, v) in r.headers() {
                    p.insert(n.to_ascii_lowercase(), value_of(&v));
                }
                JsVal::Object(p)
            }
            "write" => {
                let encoding = args.get(1).filter(|v| matches!(v, JsVal::String(_)));
                let bytes = chunk_bytes(&arg(0), encoding)?;
                JsVal::Bool(r.write_with(&bytes, write_callback(cx, args))?)
            }
            // end([data[, encoding]][, callback])
            "end" => {
                let bytes = match arg(0) {
                    JsVal::Undefined | JsVal::Null | JsVal::Callback(_) => None,
                    data => {
                        let encoding = args.get(1).filter(|v| matches!(v, JsVal::String(_)));
                        Some(chunk_bytes(&data, encoding)?)
                    }
                };
                r.end_with(bytes.as_deref(), write_callback(cx, args))?;
                this.clone()
            }
            "destroy" => {
                r.destroy(destroy_error(args.first()));
                this.clone()
            }
            _ => unreachable!("listed below"),
        })
    };
    const METHODS: &[&str] = &[
        "setHeader",
        "appendHeader",
        "removeHeader",
        "flushHeaders",
        "getHeader",
        "hasHeader",
        "getHeaderNames",
        "getRawHeaderNames",
        "getHeaders",
        "write",
        "end",
        "destroy",
    ];
    METHODS.contains(&method).then(run)
}

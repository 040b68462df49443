//! `tls.SecureContext`: what `tls.createSecureContext()` returns, given
//! back as `secureContext`, to an `SNICallback`'s callback or to
//! `server.addContext()`.

use std::any::Any;
use std::sync::Arc;

use crate::driver::reference::host::{Eval, Failure, HostListener, HostObject};
use crate::driver::reference::js::JsVal;
use crate::driver::reference::session::Session;
use crate::tls::SecureContext;

/// A secure context as scripts see it.
pub struct SecureContextHost(pub SecureContext);

/// A context as a JavaScript value.
pub fn context_value(context: SecureContext) -> JsVal {
    JsVal::Host(Arc::new(SecureContextHost(context)))
}

/// The context a value stands for: a `SecureContext`, or options to make
/// one from (what `addContext` also takes).
pub fn context_of(v: &JsVal) -> Result<SecureContext, Failure> {
    if let JsVal::Host(h) = v
        && let Some(c) = h.as_any().downcast_ref::<SecureContextHost>()
    {
        return Ok(c.0.clone());
    }
    super::secure_context(v)
}

impl HostObject for SecureContextHost {
    fn class(&self) -> &'static str {
        "tls.SecureContext"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn HostObject) -> bool {
        std::ptr::eq(self.as_any(), other.as_any())
    }

    fn get(&self, _cx: &Session, _property: &str) -> Result<Option<JsVal>, Failure> {
        Ok(None)
    }

    fn call(&self, _cx: &Session, _this: &JsVal, method: &str, _args: Vec<JsVal>) -> Eval {
        Err(Failure::unsupported(format!("tls.SecureContext.{method}")))
    }

    fn subscribe(&self, event: &str, _once: bool, _listener: HostListener) -> Result<(), String> {
        Err(format!("no event '{event}' here"))
    }

    fn listener_count(&self, _event: &str) -> Option<usize> {
        None
    }

    fn teardown(&self) {}
}

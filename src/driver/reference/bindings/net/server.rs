//! The `net.Server` binding.

use std::any::Any;
use std::sync::Arc;

use super::args::{listen_options, normalize_args};
use super::{address_info, socket_value};
use crate::Error;
use crate::driver::reference::host::{
    Eval, Failure, HostListener, HostObject, count_listeners, same_object, subscribe_to,
};
use crate::driver::reference::js::validate::{last_callback, validate_callback};
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::events::Emits;
use crate::net::{
    ListenHandle, ListenOptions, Server, ServerAddress, ServerEvent, ServerEventKind,
};

/// A `net.Server` as scripts see it.
pub struct ServerHost(pub Server);

impl PartialEq for ServerHost {
    fn eq(&self, other: &ServerHost) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

/// A server as a JavaScript value.
pub fn server_value(server: Server) -> JsVal {
    JsVal::Host(Arc::new(ServerHost(server)))
}

/// A server's event as the listener's arguments.
fn event_args(e: &ServerEvent) -> Vec<JsVal> {
    match e {
        ServerEvent::Connection(s) => vec![socket_value(s.clone())],
        ServerEvent::Error(e) => vec![JsVal::from_error(e)],
        ServerEvent::Drop(Some(d)) => vec![JsVal::Object(
            Props::new()
                .with("localAddress", JsVal::String(d.local.address.clone()))
                .with("localPort", JsVal::Number(d.local.port.into()))
                .with("localFamily", JsVal::String(d.local.family.as_str().into()))
                .with("remoteAddress", JsVal::String(d.remote.address.clone()))
                .with("remotePort", JsVal::Number(d.remote.port.into()))
                .with(
                    "remoteFamily",
                    JsVal::String(d.remote.family.as_str().into()),
                ),
        )],
        ServerEvent::Listening | ServerEvent::Close | ServerEvent::Drop(None) => vec![],
    }
}

fn address_value(a: Option<ServerAddress>) -> JsVal {
    match a {
        None => JsVal::Null,
        Some(ServerAddress::Path(p)) => JsVal::String(p),
        Some(ServerAddress::Inet(i)) => address_info(&i),
    }
}

impl HostObject for ServerHost {
    fn class(&self) -> &'static str {
        "net.Server"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn HostObject) -> bool {
        same_object(self, other)
    }

    fn get(&self, _cx: &Session, property: &str) -> Result<Option<JsVal>, Failure> {
        let s = &self.0;
        Ok(Some(match property {
            "listening" => JsVal::Bool(s.listening()),
            "maxConnections" => s
                .max_connections()
                .map(|m| JsVal::Number(m.into()))
                .unwrap_or(JsVal::Undefined),
            _ => return Ok(None),
        }))
    }

    fn set(&self, _cx: &Session, property: &str, value: &JsVal) -> Result<bool, Failure> {
        match property {
            "maxConnections" => {
                let n = value.to_number();
                self.0
                    .set_max_connections((n.is_finite() && n >= 0.0).then_some(n as u32));
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn call(&self, cx: &Session, this: &JsVal, method: &str, args: Vec<JsVal>) -> Eval {
        let s = &self.0;
        match method {
            "listen" => {
                listen(cx, s, &args)?;
                Ok(this.clone())
            }
            "close" => {
                match last_callback(&args) {
                    Some(cb) => {
                        let cx = cx.clone();
                        s.close_with(move |e| {
                            cx.callback(
                                &cb,
                                e.map(|e| vec![JsVal::from_error(e)]).unwrap_or_default(),
                            )
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
                let cb = validate_callback(args.first().unwrap_or(&JsVal::Undefined), "callback")?;
                let cx = cx.clone();
                s.get_connections(move |count| {
                    cx.callback(&cb, vec![JsVal::Null, JsVal::Number(count as f64)])
                });
                Ok(this.clone())
            }
            "ref" => {
                s.ref_();
                Ok(this.clone())
            }
            "unref" => {
                s.unref();
                Ok(this.clone())
            }
            other => Err(Failure::unsupported(format!("net.Server.{other}"))),
        }
    }

    fn subscribe(&self, event: &str, once: bool, listener: HostListener) -> Result<(), String> {
        subscribe_to(&self.0, event, once, listener, event_args)
    }

    fn listener_count(&self, event: &str) -> Option<usize> {
        count_listeners(&self.0, event)
    }

    fn teardown(&self) {
        self.0.close();
    }
}

/// `server.listen(...)` in all its forms.
fn listen(cx: &Session, s: &Server, args: &[JsVal]) -> Result<(), Failure> {
    let (options, cb) = normalize_args(args);
    if s.listening() {
        return Err(Error::server_already_listen().into());
    }
    if let Some(cb) = cb {
        let cx = cx.clone();
        s.once(ServerEventKind::Listening, move |_, _| {
            cx.callback(&cb, vec![])
        });
    }
    // listen(server): Node takes the server's `_handle`.
    if let Some(JsVal::Host(other)) = args.first()
        && let Some(ServerHost(other)) = other.as_any().downcast_ref::<ServerHost>()
    {
        s.listen(ListenOptions {
            handle: Some(ListenHandle::Server(other.clone())),
            ..ListenOptions::default()
        })?;
        return Ok(());
    }
    // listen({handle: server}): Node reads `options._handle ||
    // options.handle || options` and gets the Server object itself, which
    // has no port, path or fd.
    if let Some(JsVal::Host(h)) = options
        .get("_handle")
        .filter(|h| h.truthy())
        .or(options.get("handle"))
        && h.class() == "net.Server"
    {
        return Err(Failure::from(Error::type_error(
            "ERR_INVALID_ARG_VALUE",
            "The argument 'options' must have the property \"port\" or \"path\". Received Server",
        )));
    }
    s.listen(listen_options(args, options)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::events::EventKind;
    use crate::net::ServerEventKind;

    #[test]
    fn the_vocabulary_lists_what_the_reference_emits() {
        let emitted: Vec<&str> = ServerEventKind::ALL.iter().map(|k| k.name()).collect();
        super::super::super::assert_events_match(
            "net.Server",
            &emitted,
            // `pipe()` is not implemented; EventEmitter's own events are
            // not emitted by the reference's emitter.
            &["newListener", "removeListener"],
        );
    }
}

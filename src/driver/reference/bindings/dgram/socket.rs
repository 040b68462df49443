//! The `dgram.Socket` binding: `Socket.prototype` of `lib/dgram.js`, each
//! method doing the JS-level checks Node does before the implementation
//! (`crate::dgram::Socket`) is called, and returning what Node returns.

use std::any::Any;
use std::sync::Arc;

use super::address_info;
use super::args::{bind_args, connect_args, send_args};
use crate::Error;
use crate::dgram::{
    Callback, ConnectCallback, RemoteInfo, SendCallback, Socket, SocketEvent, SocketEventKind,
};
use crate::driver::reference::host::{
    Eval, Failure, HostListener, HostObject, count_listeners, same_object, subscribe_to,
};
use crate::driver::reference::js::validate::{
    to_int32, to_uint32, validate_number, validate_string,
};
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::events::Emits;

/// A `dgram.Socket` as scripts see it.
pub struct SocketHost(pub Socket);

impl PartialEq for SocketHost {
    fn eq(&self, other: &SocketHost) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

/// A socket as a JavaScript value.
pub fn socket_value(socket: Socket) -> JsVal {
    JsVal::Host(Arc::new(SocketHost(socket)))
}

/// `rinfo`: `{address, family, port, size}`, in that order.
pub fn rinfo(r: &RemoteInfo) -> JsVal {
    JsVal::Object(
        Props::new()
            .with("address", JsVal::String(r.address.clone()))
            .with("family", JsVal::String(r.family.as_str().into()))
            .with("port", JsVal::Number(r.port.into()))
            .with("size", JsVal::Number(r.size as f64)),
    )
}

/// A socket's event as the listener's arguments.
fn event_args(e: &SocketEvent) -> Vec<JsVal> {
    match e {
        SocketEvent::Message(msg, r) => vec![JsVal::Buffer(msg.clone()), rinfo(r)],
        SocketEvent::Error(e) => vec![JsVal::from_error(e)],
        SocketEvent::Close | SocketEvent::Connect | SocketEvent::Listening => vec![],
    }
}

/// A callback of `bind()` or `close()`: called with no arguments.
fn plain_callback(cx: &Session, cb: String) -> Callback {
    let cx = cx.clone();
    Box::new(move |_| cx.callback(&cb, vec![]))
}

/// `send()`'s callback: `(null, bytes)`, `(err)`, or for a send that
/// completed later `(err, bytes)` (Node's `afterSend`).
fn send_callback(cx: &Session, cb: String) -> SendCallback {
    let cx = cx.clone();
    Box::new(move |err, sent| {
        let sent = sent.map(|n| JsVal::Number(n as f64));
        let args = match (err, sent) {
            (None, n) => vec![JsVal::Null, n.unwrap_or(JsVal::Undefined)],
            (Some(e), None) => vec![JsVal::from_error(e)],
            (Some(e), Some(n)) => vec![JsVal::from_error(e), n],
        };
        cx.callback(&cb, args)
    })
}

/// `connect()`'s callback: a `'connect'` listener (no arguments), or
/// called with the error.
fn connect_callback(cx: &Session, cb: String) -> ConnectCallback {
    let cx = cx.clone();
    Box::new(move |_, err| {
        let args = err.map(|e| vec![JsVal::from_error(e)]).unwrap_or_default();
        cx.callback(&cb, args)
    })
}

/// Node's `bufferSize()` check: `size >>> 0 !== size`.
fn buffer_size(size: &JsVal) -> Result<usize, Failure> {
    match size {
        JsVal::Number(n) if f64::from(to_uint32(*n)) == *n => Ok(*n as usize),
        _ => Err(Error::socket_bad_buffer_size().into()),
    }
}

/// A multicast address as `UDPWrap::SetMembership` reads it: `!address`
/// is Node's `ERR_MISSING_ARGS` (the implementation's empty string);
/// anything else is turned into text, unchecked.
fn membership_args(args: &[JsVal]) -> (String, Option<String>) {
    let group = match args.first() {
        Some(g) if g.truthy() => g.to_js_string(),
        _ => String::new(),
    };
    let interface = args
        .get(1)
        .filter(|i| !i.is_nullish())
        .map(JsVal::to_js_string);
    (group, interface)
}

impl HostObject for SocketHost {
    fn class(&self) -> &'static str {
        "dgram.Socket"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn HostObject) -> bool {
        same_object(self, other)
    }

    fn get(&self, _cx: &Session, property: &str) -> Result<Option<JsVal>, Failure> {
        Ok(match property {
            // The constructor's own property `this.type = type`.
            "type" => Some(JsVal::String(self.0.kind().as_str().into())),
            _ => None,
        })
    }

    fn call(&self, cx: &Session, this: &JsVal, method: &str, args: Vec<JsVal>) -> Eval {
        let s = &self.0;
        let arg0 = args.first().cloned().unwrap_or(JsVal::Undefined);
        let number = |n: usize| Ok(JsVal::Number(n as f64));
        match method {
            "bind" => {
                let (options, cb) = bind_args(&args)?;
                let cb = cb.map(|cb| plain_callback(cx, cb));
                match (options, cb) {
                    (Ok(o), Some(cb)) => s.bind_with(o, cb)?,
                    (Ok(o), None) => s.bind(o)?,
                    (Err(thrown), cb) => return Err(s.bind_lookup_throws(thrown, cb).into()),
                };
                Ok(this.clone())
            }
            "send" => {
                let a = send_args(&args, s.connected())?;
                let cb = a.callback.map(|cb| send_callback(cx, cb));
                s.send(a.msg, a.port, a.address.as_deref(), cb)?;
                Ok(JsVal::Undefined)
            }
            "connect" => {
                let (port, address, cb) = connect_args(&args)?;
                s.connect(port, Some(&address), cb.map(|cb| connect_callback(cx, cb)))?;
                Ok(JsVal::Undefined)
            }
            "disconnect" => {
                s.disconnect()?;
                Ok(JsVal::Undefined)
            }
            "close" => {
                match arg0 {
                    JsVal::Callback(cb) => s.close_with(plain_callback(cx, cb))?,
                    _ => s.close()?,
                };
                Ok(this.clone())
            }
            "address" => Ok(address_info(&s.address()?)),
            "remoteAddress" => Ok(address_info(&s.remote_address()?)),
            "setBroadcast" => {
                s.set_broadcast(arg0.truthy())?;
                Ok(JsVal::Undefined)
            }
            // `validateNumber`, then the binding's `Int32Value`; the
            // argument itself is returned.
            "setTTL" | "setMulticastTTL" => {
                validate_number(&arg0, "ttl")?;
                let ttl = to_int32(arg0.to_number());
                if method == "setTTL" {
                    s.set_ttl(ttl)?;
                } else {
                    s.set_multicast_ttl(ttl)?;
                }
                Ok(arg0)
            }
            // "0.4 compatibility": the argument, as given.
            "setMulticastLoopback" => {
                s.set_multicast_loopback(arg0.truthy())?;
                Ok(arg0)
            }
            // `healthCheck` comes before `validateString`.
            "setMulticastInterface" => {
                if s.closed() {
                    return Err(Error::dgram_not_running().into());
                }
                let interface = validate_string(&arg0, "interfaceAddress")?;
                s.set_multicast_interface(&interface)?;
                Ok(JsVal::Undefined)
            }
            "addMembership" | "dropMembership" => {
                let (group, interface) = membership_args(&args);
                if method == "addMembership" {
                    s.add_membership(&group, interface.as_deref())?;
                } else {
                    s.drop_membership(&group, interface.as_deref())?;
                }
                Ok(JsVal::Undefined)
            }
            "addSourceSpecificMembership" | "dropSourceSpecificMembership" => {
                if s.closed() {
                    return Err(Error::dgram_not_running().into());
                }
                validate_string(&arg0, "sourceAddress")?;
                validate_string(args.get(1).unwrap_or(&JsVal::Undefined), "groupAddress")?;
                Err(Failure::unsupported(format!("dgram.Socket.{method}")))
            }
            "setRecvBufferSize" => {
                s.set_recv_buffer_size(buffer_size(&arg0)?)?;
                Ok(JsVal::Undefined)
            }
            "setSendBufferSize" => {
                s.set_send_buffer_size(buffer_size(&arg0)?)?;
                Ok(JsVal::Undefined)
            }
            "getRecvBufferSize" => number(s.get_recv_buffer_size()?),
            "getSendBufferSize" => number(s.get_send_buffer_size()?),
            "getSendQueueSize" => number(s.get_send_queue_size()?),
            "getSendQueueCount" => number(s.get_send_queue_count()?),
            "ref" => {
                s.ref_();
                Ok(this.clone())
            }
            "unref" => {
                s.unref();
                Ok(this.clone())
            }
            other => Err(Failure::unsupported(format!("dgram.Socket.{other}"))),
        }
    }

    fn subscribe(&self, event: &str, once: bool, listener: HostListener) -> Result<(), String> {
        subscribe_to(&self.0, event, once, listener, event_args)
    }

    fn listener_count(&self, event: &str) -> Option<usize> {
        count_listeners(&self.0, event)
    }

    fn teardown(&self) {
        let s = &self.0;
        let _ = s.close();
        if !s.closed() {
            // The close waits behind a pending implicit bind; should that
            // bind fail, the queue is dropped with the close in it (Node's
            // `onListenError`): close then.
            s.once(SocketEventKind::Error, |this, _| {
                let _ = this.close();
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::dgram::SocketEventKind;
    use crate::events::EventKind;

    #[test]
    fn the_vocabulary_lists_what_the_reference_emits() {
        let emitted: Vec<&str> = SocketEventKind::ALL.iter().map(|k| k.name()).collect();
        super::super::super::assert_events_match(
            "dgram.Socket",
            &emitted,
            // EventEmitter's own events are not emitted by the reference's
            // emitter.
            &["newListener", "removeListener"],
        );
    }
}

//! The `net.Socket` binding.

use std::any::Any;
use std::sync::Arc;

use super::address_info;
use super::args::{connect_target, normalize_connect};
use crate::Error;
use crate::driver::reference::host::{
    Eval, Failure, HostListener, HostObject, count_listeners, same_object, subscribe_to,
};
use crate::driver::reference::js::validate::{
    chunk_bytes, encoding_named, invalid_arg_type, last_callback, out_of_range,
};
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;
use crate::events::Emits;
use crate::net::{Chunk, Socket, SocketEvent, SocketEventKind, WriteCallback};

/// A `net.Socket` as scripts see it.
pub struct SocketHost(pub Socket);

impl PartialEq for SocketHost {
    fn eq(&self, other: &SocketHost) -> bool {
        self.0.ptr_eq(&other.0)
    }
}

/// A plain net socket as a JavaScript value (any socket:
/// [`socket_value`](super::super::socket_value)).
pub fn net_socket_value(socket: Socket) -> JsVal {
    JsVal::Host(Arc::new(SocketHost(socket)))
}

/// A socket's event as the listener's arguments.
fn event_args(e: &SocketEvent) -> Vec<JsVal> {
    let opt_string = |v: &Option<String>| v.clone().map_or(JsVal::Undefined, JsVal::String);
    match e {
        SocketEvent::Lookup {
            error,
            address,
            family,
            host,
        } => vec![
            error.as_ref().map_or(JsVal::Null, JsVal::from_error),
            opt_string(address),
            family.map_or(JsVal::Undefined, |f| JsVal::Number(f.number().into())),
            JsVal::String(host.clone()),
        ],
        SocketEvent::ConnectionAttempt { ip, port, family }
        | SocketEvent::ConnectionAttemptTimeout { ip, port, family } => vec![
            JsVal::String(ip.clone()),
            port.map_or(JsVal::Undefined, |p| JsVal::Number(p.into())),
            family.map_or(JsVal::Undefined, |f| JsVal::Number(f.number().into())),
        ],
        SocketEvent::ConnectionAttemptFailed {
            ip,
            port,
            family,
            error,
        } => vec![
            JsVal::String(ip.clone()),
            port.map_or(JsVal::Undefined, |p| JsVal::Number(p.into())),
            family.map_or(JsVal::Undefined, |f| JsVal::Number(f.number().into())),
            JsVal::from_error(error),
        ],
        SocketEvent::Data(Chunk::Bytes(b)) => vec![JsVal::Buffer(b.clone())],
        SocketEvent::Data(Chunk::Text(t)) => vec![JsVal::String(t.clone())],
        SocketEvent::Error(e) => vec![JsVal::from_error(e)],
        SocketEvent::Close { had_error } => vec![had_error.map_or(JsVal::Undefined, JsVal::Bool)],
        _ => vec![],
    }
}

impl HostObject for SocketHost {
    fn class(&self) -> &'static str {
        "net.Socket"
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn HostObject) -> bool {
        same_object(self, other)
    }

    fn get(&self, _cx: &Session, property: &str) -> Result<Option<JsVal>, Failure> {
        let s = &self.0;
        let number = |n: usize| JsVal::Number(n as f64);
        let opt_string = |v: Option<String>| v.map_or(JsVal::Undefined, JsVal::String);
        let opt_port = |v: Option<u16>| v.map_or(JsVal::Undefined, |p| JsVal::Number(p.into()));
        Ok(Some(match property {
            // `socket.timeout` is a plain property setTimeout() assigns (the
            // session holds it).
            "timeout" => s
                .timeout()
                .map_or(JsVal::Undefined, |t| JsVal::Number(t as f64)),
            "readableFlowing" => s.readable_flowing().map_or(JsVal::Null, JsVal::Bool),
            "readableLength" => number(s.readable_length()),
            "readableEnded" => JsVal::Bool(s.readable_ended()),
            "writableEnded" => JsVal::Bool(s.writable_ended()),
            "writableFinished" => JsVal::Bool(s.writable_finished()),
            "writableHighWaterMark" => number(s.writable_high_water_mark()),
            "bufferSize" => s.buffer_size().map_or(JsVal::Undefined, number),
            "closed" => JsVal::Bool(s.closed()),
            "remoteAddress" => opt_string(s.remote_address()),
            "remotePort" => opt_port(s.remote_port()),
            "remoteFamily" => opt_string(s.remote_family().map(|f| f.as_str().into())),
            "localAddress" => opt_string(s.local_address()),
            "localPort" => opt_port(s.local_port()),
            "localFamily" => opt_string(s.local_family().map(|f| f.as_str().into())),
            "bytesRead" => JsVal::Number(s.bytes_read() as f64),
            "bytesWritten" => JsVal::Number(s.bytes_written() as f64),
            "readyState" => JsVal::String(s.ready_state().as_str().into()),
            "connecting" => JsVal::Bool(s.connecting()),
            "pending" => JsVal::Bool(s.pending()),
            "destroyed" => JsVal::Bool(s.destroyed()),
            "readable" => JsVal::Bool(s.readable()),
            "writable" => JsVal::Bool(s.writable()),
            "writableLength" => number(s.writable_length()),
            "allowHalfOpen" => JsVal::Bool(s.allow_half_open()),
            "readableAborted" => JsVal::Bool(s.readable_aborted()),
            "readableDidRead" => JsVal::Bool(s.readable_did_read()),
            "readableEncoding" => s
                .readable_encoding()
                .map_or(JsVal::Null, |e| JsVal::String(e.name().into())),
            "readableHighWaterMark" => number(s.readable_high_water_mark()),
            "readableObjectMode" => JsVal::Bool(s.readable_object_mode()),
            "writableObjectMode" => JsVal::Bool(s.writable_object_mode()),
            "errored" => s.errored().map_or(JsVal::Null, |e| JsVal::from_error(&e)),
            // Node 20's Duplex does not copy Writable's getter: undefined.
            "writableAborted" => s.writable_aborted().map_or(JsVal::Undefined, JsVal::Bool),
            "writableCorked" => JsVal::Number(s.writable_corked().into()),
            "writableNeedDrain" => JsVal::Bool(s.writable_need_drain()),
            _ => return Ok(None),
        }))
    }

    fn call(&self, cx: &Session, this: &JsVal, method: &str, args: Vec<JsVal>) -> Eval {
        let s = &self.0;
        let arg0 = args.first().cloned().unwrap_or(JsVal::Undefined);
        match method {
            "connect" => {
                let (options, cb) = normalize_connect(&args)?;
                connect(cx, s, &options, cb)?;
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
                    Some(cb) => s.write_with(bytes, write_callback(cx, cb)),
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
                    cb.map(|cb| Box::new(write_callback(cx, cb)) as WriteCallback),
                );
                Ok(this.clone())
            }
            "destroy" => {
                // Any truthy value is the error, emitted as is.
                let error = arg0.truthy().then(|| {
                    let text = |k: &str| match (&arg0, arg0.get(k)) {
                        (JsVal::Error(m), _) => match m.get(k) {
                            Some(JsVal::String(s)) => s.clone(),
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
            "read" => {
                let size = match &arg0 {
                    JsVal::Undefined | JsVal::Null => None,
                    n => Some(n.to_number().max(0.0) as usize),
                };
                Ok(match s.read(size) {
                    Some(Chunk::Bytes(b)) => JsVal::Buffer(b),
                    Some(Chunk::Text(t)) => JsVal::String(t),
                    None => JsVal::Null,
                })
            }
            "setEncoding" => {
                let enc = match &arg0 {
                    JsVal::Undefined | JsVal::Null => None,
                    e => Some(encoding_named(&e.to_js_string())?),
                };
                s.set_encoding(enc);
                Ok(this.clone())
            }
            "setTimeout" => {
                set_timeout(cx, this, s, &args)?;
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
                .map(|a| address_info(&a))
                .unwrap_or(JsVal::Object(Props::new()))),
            "ref" => {
                s.ref_();
                Ok(this.clone())
            }
            "unref" => {
                s.unref();
                Ok(this.clone())
            }
            other => Err(Failure::unsupported(format!("net.Socket.{other}"))),
        }
    }

    fn subscribe(&self, event: &str, once: bool, listener: HostListener) -> Result<(), String> {
        // Writable's `pipe`/`unpipe` come from `readable.pipe(socket)`; the
        // reference has no `pipe()`, so nothing can emit them: a listener
        // is accepted and never called.
        if matches!(event, "pipe" | "unpipe") {
            return Ok(());
        }
        subscribe_to(&self.0, event, once, listener, event_args)
    }

    fn listener_count(&self, event: &str) -> Option<usize> {
        count_listeners(&self.0, event)
    }

    fn teardown(&self) {
        self.0.destroy(None);
    }
}

/// A write's or `end()`'s callback: called with the error or `null`.
fn write_callback(cx: &Session, cb: String) -> impl FnOnce(Option<&Error>) + Send + 'static {
    let cx = cx.clone();
    move |e| cx.callback(&cb, vec![e.map_or(JsVal::Null, JsVal::from_error)])
}

/// `write(chunk, encoding)` and `end(chunk, encoding)`: the encoding is the
/// second argument when it is a string.
fn chunk_encoding(args: &[JsVal]) -> Option<&JsVal> {
    args.get(1).filter(|a| matches!(a, JsVal::String(_)))
}

/// `socket.connect(options, cb)` after normalisation: Node adds the
/// listener before it validates anything.
pub(super) fn connect(
    cx: &Session,
    sock: &Socket,
    options: &JsVal,
    cb: Option<String>,
) -> Result<(), Failure> {
    if let Some(cb) = cb {
        let cx = cx.clone();
        sock.once(SocketEventKind::Connect, move |_, _| {
            cx.callback(&cb, vec![])
        });
    }
    sock.connect(connect_target(options)?);
    Ok(())
}

/// Node's largest timer delay (`TIMEOUT_MAX`); longer ones are truncated.
const TIMEOUT_MAX: f64 = 2_147_483_647.0;

/// `socket.setTimeout(msecs[, callback])` as Node 20 runs it: a destroyed
/// socket ignores it; `socket.timeout` is assigned the raw argument before
/// it is validated; a bad callback is rejected only after the timer is
/// armed.
pub(super) fn set_timeout(
    cx: &Session,
    this: &JsVal,
    s: &Socket,
    args: &[JsVal],
) -> Result<(), Failure> {
    if s.destroyed() {
        return Ok(());
    }
    let msecs = args.first().cloned().unwrap_or(JsVal::Undefined);
    if let JsVal::Host(me) = this {
        cx.set_own_property(me, "timeout", msecs.clone());
    }
    let JsVal::Number(ms) = msecs else {
        return Err(invalid_arg_type("\"msecs\" argument", "of type number", &msecs).into());
    };
    if ms < 0.0 || !ms.is_finite() {
        return Err(out_of_range("msecs", "a non-negative finite number", ms).into());
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
                let (cx, cb) = (cx.clone(), cb.clone());
                s.once(SocketEventKind::Timeout, move |_, _| {
                    cx.callback(&cb, vec![])
                });
            }
            Ok(())
        }
        Some(other) => {
            Err(invalid_arg_type("\"callback\" argument", "of type function", other).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::events::EventKind;
    use crate::net::SocketEventKind;

    #[test]
    fn the_vocabulary_lists_what_the_reference_emits() {
        let emitted: Vec<&str> = SocketEventKind::ALL.iter().map(|k| k.name()).collect();
        super::super::super::assert_events_match(
            "net.Socket",
            &emitted,
            // `pipe()` is not implemented; EventEmitter's own events are
            // not emitted by the reference's emitter.
            &["pipe", "unpipe", "newListener", "removeListener"],
        );
    }
}

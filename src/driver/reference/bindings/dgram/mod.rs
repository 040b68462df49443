//! The `node:dgram` bindings: the module's functions here, the
//! `dgram.Socket` class in `socket`, and `args` for the JS layer of
//! `lib/dgram.js` that reads `send()`'s, `bind()`'s and `connect()`'s
//! overloaded arguments.

mod args;
mod socket;

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use args::socket_options;
use socket::socket_value;

use crate::dgram::{self, AddressInfo};
use crate::driver::reference::host::{Eval, Failure, HostModule};
use crate::driver::reference::js::{JsVal, Props};
use crate::driver::reference::session::Session;

/// The `dgram` module.
pub struct DgramModule;

/// `{address, family, port}` as `address()` and `remoteAddress()` return
/// it.
fn address_info(i: &AddressInfo) -> JsVal {
    JsVal::Object(
        Props::new()
            .with("address", JsVal::String(i.address.clone()))
            .with("family", JsVal::String(i.family.as_str().into()))
            .with("port", JsVal::Number(i.port.into())),
    )
}

impl HostModule for DgramModule {
    fn name(&self) -> &'static str {
        "dgram"
    }

    fn features(&self) -> Vec<&'static str> {
        static MULTICAST: OnceLock<bool> = OnceLock::new();
        if *MULTICAST.get_or_init(probe_multicast) {
            vec!["multicast"]
        } else {
            Vec::new()
        }
    }

    fn call(&self, cx: &Session, function: &str, args: Vec<JsVal>) -> Eval {
        match function {
            "createSocket" => create_socket(cx, &args),
            other => Err(Failure::unsupported(format!("dgram.{other}"))),
        }
    }

    fn construct(&self, cx: &Session, class: &str, args: Vec<JsVal>) -> Eval {
        match class {
            // Node's docs say not to, but `new dgram.Socket(type,
            // listener)` is the very constructor `createSocket()` calls.
            "Socket" => create_socket(cx, &args),
            other => Err(Failure::unsupported(format!("new dgram.{other}"))),
        }
    }
}

/// `dgram.createSocket(type | options[, listener])` (Node's `Socket`
/// constructor): the options are checked, the socket is made, and a
/// `listener` function becomes the first `'message'` listener.
fn create_socket(cx: &Session, args: &[JsVal]) -> Eval {
    let options = socket_options(args.first().unwrap_or(&JsVal::Undefined))?;
    let sock = dgram::create_socket_in(&cx.event_loop, options);
    if let Some(JsVal::Callback(cb)) = args.get(1) {
        let (cx, cb) = (cx.clone(), cb.clone());
        sock.on_message(move |_, msg, rinfo| {
            cx.callback(&cb, vec![JsVal::Buffer(msg.to_vec()), socket::rinfo(rinfo)])
        });
    }
    let v = socket_value(sock);
    if let JsVal::Host(h) = &v {
        cx.track(h);
    }
    Ok(v)
}

/// What `scripts/node-driver.cjs`'s `probeMulticast` checks: a socket
/// joined to `239.255.77.77` on `127.0.0.1`, sending through `127.0.0.1`,
/// hears itself within a second.
fn probe_multicast() -> bool {
    let attempt = || -> std::io::Result<bool> {
        let group = Ipv4Addr::new(239, 255, 77, 77);
        let lo = Ipv4Addr::LOCALHOST;
        let s = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::DGRAM,
            Some(socket2::Protocol::UDP),
        )?;
        s.set_reuse_address(true)?;
        s.bind(&SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0).into())?;
        s.join_multicast_v4(&group, &lo)?;
        s.set_multicast_if_v4(&lo)?;
        s.set_multicast_loop_v4(true)?;
        let s = UdpSocket::from(s);
        let port = s.local_addr()?.port();
        s.send_to(b"probe", SocketAddrV4::new(group, port))?;
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut buf = [0u8; 16];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            s.set_read_timeout(Some(left))?;
            match s.recv_from(&mut buf) {
                Ok((n, _)) if &buf[..n] == b"probe" => return Ok(true),
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return Ok(false),
            }
        }
    };
    attempt().unwrap_or(false)
}

/// For the session's registry of modules.
pub fn module() -> Arc<dyn HostModule> {
    Arc::new(DgramModule)
}

//! [`Handle`]: what Node's `UDPWrap` and libuv's `uv_udp_t` do with the
//! operating-system socket, below `lib/dgram.js`. Every operation is
//! synchronous and non-blocking, and fails with the `io::Error` libuv would
//! report; [`super::Socket`] turns it into Node's error.
//!
//! The libuv behaviours kept here, each checked on Node 20 (libuv 1.46):
//! - There is no system socket until the first bind (`EBADF` before it),
//!   and a failed bind keeps the socket it created: `address()` then
//!   reports `0.0.0.0:0`.
//! - `addMembership()`/`dropMembership()` on a socket with no system
//!   socket bind it first, to the wildcard address on a random port with
//!   `SO_REUSEADDR` (`uv__udp_maybe_deferred_bind`); a later `bind()` then
//!   fails with `EINVAL`.
//! - Range checks (`setTTL(0)`) and address parsing come before `EBADF`.
//! - A send with an address on a connected socket is `EISCONN` (libuv's
//!   own check, not the kernel's), and a send waits behind queued ones.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6, UdpSocket};
use std::sync::Arc;

use async_io::Async;
use socket2::SockRef;

use super::options::Type;
use crate::net::AddressInfo;

const EBADF: i32 = 9;
const EINVAL: i32 = 22;
const EAFNOSUPPORT: i32 = 97;
const EISCONN: i32 = 106;
const EDESTADDRREQ: i32 = 89;

fn os_error(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

/// The system socket, once there is one, and libuv's flags about it.
#[derive(Default)]
pub(super) struct Handle {
    fd: Option<Arc<Async<UdpSocket>>>,
    /// libuv's `UV_HANDLE_IPV6`: bound to an IPv6 address, so options are
    /// set at the `IPPROTO_IPV6` level.
    ipv6: bool,
    /// libuv's `UV_HANDLE_UDP_CONNECTED`.
    connected: bool,
}

impl Handle {
    /// The system socket, for the task's reads and writes.
    pub(super) fn fd(&self) -> Option<&Arc<Async<UdpSocket>>> {
        self.fd.as_ref()
    }

    fn socket(&self) -> io::Result<&UdpSocket> {
        self.fd
            .as_deref()
            .map(Async::get_ref)
            .ok_or_else(|| os_error(EBADF))
    }

    fn sock_ref(&self) -> io::Result<SockRef<'_>> {
        self.socket().map(SockRef::from)
    }

    /// Closes the system socket now (libuv's `uv_close` closes the file
    /// descriptor synchronously, so the port is free when `close()`
    /// returns). The task may still hold a clone for an instant.
    pub(super) fn close(&mut self) {
        self.fd = None;
        self.connected = false;
    }

    /// `uv_udp_bind`, with Node's `UV_UDP_REUSEADDR` and `UV_UDP_IPV6ONLY`.
    pub(super) fn bind(&mut self, addr: SocketAddr, reuse: bool, v6only: bool) -> io::Result<()> {
        if v6only && addr.is_ipv4() {
            return Err(os_error(EINVAL));
        }
        if self.fd.is_none() {
            let socket = socket2::Socket::new(
                socket2::Domain::for_address(addr),
                socket2::Type::DGRAM,
                Some(socket2::Protocol::UDP),
            )?;
            self.fd = Some(Arc::new(Async::new(UdpSocket::from(socket))?));
        }
        let sock = self.sock_ref()?;
        if reuse {
            sock.set_reuse_address(true)?;
        }
        if v6only {
            sock.set_only_v6(true)?;
        }
        sock.bind(&addr.into())
            .map_err(|e| match e.raw_os_error() {
                // A socket of the other family: libuv reports EINVAL.
                Some(EAFNOSUPPORT) => os_error(EINVAL),
                _ => e,
            })?;
        if addr.is_ipv6() {
            self.ipv6 = true;
        }
        Ok(())
    }

    /// libuv's `uv__udp_maybe_deferred_bind`: a socket bound to nothing
    /// gets one, bound to the wildcard address of `v6`'s family.
    fn maybe_deferred_bind(&mut self, v6: bool, reuse: bool) -> io::Result<()> {
        if self.fd.is_some() {
            return Ok(());
        }
        let any = if v6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        };
        self.bind(SocketAddr::new(any, 0), reuse, false)
    }

    /// `uv_udp_connect(addr)`.
    pub(super) fn connect(&mut self, addr: SocketAddr) -> io::Result<()> {
        self.maybe_deferred_bind(addr.is_ipv6(), false)?;
        self.socket()?.connect(addr)?;
        self.connected = true;
        Ok(())
    }

    /// `uv_udp_connect(NULL)`: `connect()` with `AF_UNSPEC`. (Linux then
    /// forgets an automatically chosen local port: `address()` reports
    /// port 0 until the next send.)
    pub(super) fn disconnect(&mut self) -> io::Result<()> {
        match rustix::net::connect_unspec(self.socket()?) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == EAFNOSUPPORT => {}
            Err(e) => return Err(e.into()),
        }
        self.connected = false;
        Ok(())
    }

    /// `uv_udp_try_send`: sends now or fails with `WouldBlock`. `queued`
    /// says whether earlier sends still wait (they go first).
    pub(super) fn try_send(
        &self,
        data: &[u8],
        to: Option<SocketAddr>,
        queued: bool,
    ) -> io::Result<usize> {
        self.check_before_send(to)?;
        if queued {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.send_now(data, to)
    }

    /// libuv's `uv__udp_check_before_send`.
    pub(super) fn check_before_send(&self, to: Option<SocketAddr>) -> io::Result<()> {
        match (to, self.connected) {
            (Some(_), true) => Err(os_error(EISCONN)),
            (None, false) => Err(os_error(EDESTADDRREQ)),
            _ => Ok(()),
        }
    }

    /// One `sendmsg`.
    pub(super) fn send_now(&self, data: &[u8], to: Option<SocketAddr>) -> io::Result<usize> {
        let socket = self.socket()?;
        match to {
            Some(addr) => socket.send_to(data, addr),
            None => socket.send(data),
        }
    }

    /// `getsockname`.
    pub(super) fn local(&self) -> io::Result<AddressInfo> {
        self.socket()?.local_addr().map(AddressInfo::from)
    }

    /// `getpeername`.
    pub(super) fn peer(&self) -> io::Result<AddressInfo> {
        self.socket()?.peer_addr().map(AddressInfo::from)
    }

    /// `uv_udp_set_broadcast`.
    pub(super) fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.sock_ref()?.set_broadcast(on)
    }

    /// `uv_udp_set_ttl`: 1 to 255.
    pub(super) fn set_ttl(&self, ttl: i32) -> io::Result<()> {
        if !(1..=255).contains(&ttl) {
            return Err(os_error(EINVAL));
        }
        let sock = self.sock_ref()?;
        if self.ipv6 {
            sock.set_unicast_hops_v6(ttl as u32)
        } else {
            sock.set_ttl_v4(ttl as u32)
        }
    }

    /// `uv_udp_set_multicast_ttl`: 0 to 255.
    pub(super) fn set_multicast_ttl(&self, ttl: i32) -> io::Result<()> {
        if !(0..=255).contains(&ttl) {
            return Err(os_error(EINVAL));
        }
        let sock = self.sock_ref()?;
        if self.ipv6 {
            sock.set_multicast_hops_v6(ttl as u32)
        } else {
            sock.set_multicast_ttl_v4(ttl as u32)
        }
    }

    /// `uv_udp_set_multicast_loop`.
    pub(super) fn set_multicast_loop(&self, on: bool) -> io::Result<()> {
        let sock = self.sock_ref()?;
        if self.ipv6 {
            sock.set_multicast_loop_v6(on)
        } else {
            sock.set_multicast_loop_v4(on)
        }
    }

    /// `uv_udp_set_multicast_interface`: an IPv4 address sets
    /// `IP_MULTICAST_IF`, an IPv6 one (`::%eth0`) sets `IPV6_MULTICAST_IF`
    /// to its zone's interface, whatever the socket's family.
    pub(super) fn set_multicast_interface(&self, interface: &str) -> io::Result<()> {
        if let Ok(v4) = interface.parse::<Ipv4Addr>() {
            self.sock_ref()?.set_multicast_if_v4(&v4)
        } else if let Some((_, scope)) = parse_ipv6(interface) {
            self.sock_ref()?.set_multicast_if_v6(scope)
        } else {
            Err(os_error(EINVAL))
        }
    }

    /// `uv_udp_set_membership`: joins (or leaves) `group` on `interface`
    /// (an IPv4 address, or for IPv6 a zone such as `::%eth0`; `None` lets
    /// the system choose), binding the socket first if it has no system
    /// socket.
    pub(super) fn set_membership(
        &mut self,
        group: &str,
        interface: Option<&str>,
        join: bool,
    ) -> io::Result<()> {
        if let Ok(group) = group.parse::<Ipv4Addr>() {
            self.maybe_deferred_bind(false, true)?;
            let interface = match interface {
                Some(i) => i.parse::<Ipv4Addr>().map_err(|_| os_error(EINVAL))?,
                None => Ipv4Addr::UNSPECIFIED,
            };
            let sock = self.sock_ref()?;
            if join {
                sock.join_multicast_v4(&group, &interface)
            } else {
                sock.leave_multicast_v4(&group, &interface)
            }
        } else if let Some((group, _)) = parse_ipv6(group) {
            self.maybe_deferred_bind(true, true)?;
            let index = match interface {
                Some(i) => parse_ipv6(i).ok_or_else(|| os_error(EINVAL))?.1,
                None => 0,
            };
            let sock = self.sock_ref()?;
            if join {
                sock.join_multicast_v6(&group, index)
            } else {
                sock.leave_multicast_v6(&group, index)
            }
        } else {
            Err(os_error(EINVAL))
        }
    }

    /// Node's `UDPWrap::BufferSize`: `size` 0 reads `SO_RCVBUF` (or
    /// `SO_SNDBUF`), anything else sets it; a size that is not an `int32`
    /// is `EINVAL`. Returns the size read or set.
    pub(super) fn buffer_size(&self, size: usize, recv: bool) -> io::Result<usize> {
        if size > i32::MAX as usize {
            return Err(os_error(EINVAL));
        }
        let sock = self.sock_ref()?;
        match (size, recv) {
            (0, true) => sock.recv_buffer_size(),
            (0, false) => sock.send_buffer_size(),
            (n, true) => sock.set_recv_buffer_size(n).map(|()| n),
            (n, false) => sock.set_send_buffer_size(n).map(|()| n),
        }
    }
}

/// Node's `sockaddr_for_family`: the address `bind`, `connect` and `send`
/// use, which must be of the socket's family (`EINVAL` otherwise, before
/// any system call).
pub(super) fn sockaddr(kind: Type, ip: &str, port: u16) -> io::Result<SocketAddr> {
    match kind {
        Type::Udp4 => ip
            .parse::<Ipv4Addr>()
            .map(|v4| SocketAddr::new(IpAddr::V4(v4), port))
            .map_err(|_| os_error(EINVAL)),
        Type::Udp6 => parse_ipv6(ip)
            .map(|(v6, scope)| SocketAddr::V6(SocketAddrV6::new(v6, port, 0, scope)))
            .ok_or_else(|| os_error(EINVAL)),
    }
}

/// libuv's `uv_ip6_addr`: an IPv6 literal with an optional `%zone`, whose
/// interface index is 0 when no interface has that name.
fn parse_ipv6(text: &str) -> Option<(Ipv6Addr, u32)> {
    let (ip, zone) = match text.split_once('%') {
        Some((ip, zone)) => (ip, Some(zone)),
        None => (text, None),
    };
    let ip = ip.parse::<Ipv6Addr>().ok()?;
    Some((ip, zone.map_or(0, interface_index)))
}

/// `if_nametoindex`: 0 for an unknown name.
fn interface_index(name: &str) -> u32 {
    #[cfg(target_os = "linux")]
    {
        let probe = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None);
        if let Ok(probe) = probe {
            return rustix::net::netdevice::name_to_index(&probe, name).unwrap_or(0);
        }
    }
    let _ = name;
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_must_match_the_socket_family() {
        assert!(sockaddr(Type::Udp4, "127.0.0.1", 1).is_ok());
        let e = sockaddr(Type::Udp4, "::1", 1).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(EINVAL));
        assert!(sockaddr(Type::Udp6, "127.0.0.1", 1).is_err());
        let lo = sockaddr(Type::Udp6, "::1%lo", 1).unwrap();
        let SocketAddr::V6(lo) = lo else { panic!() };
        assert_eq!(lo.scope_id(), interface_index("lo"));
        assert_eq!(interface_index("no-such-interface"), 0);
    }

    #[test]
    fn no_system_socket_is_ebadf_but_ranges_come_first() {
        let h = Handle::default();
        assert_eq!(h.local().unwrap_err().raw_os_error(), Some(EBADF));
        assert_eq!(h.set_ttl(0).unwrap_err().raw_os_error(), Some(EINVAL));
        assert_eq!(h.set_ttl(64).unwrap_err().raw_os_error(), Some(EBADF));
        assert_eq!(
            h.set_multicast_interface("zz").unwrap_err().raw_os_error(),
            Some(EINVAL)
        );
    }
}

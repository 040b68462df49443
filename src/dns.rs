//! The one resolver: `dns.lookup` as `net`, `dgram` and `http` use it, and
//! IP literals with zone ids.

use std::io;
use std::net::{IpAddr, SocketAddr};

use crate::Error;

/// An IP address family, as `lookup` and `address()` report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `'IPv4'`, family `4`.
    IPv4,
    /// `'IPv6'`, family `6`.
    IPv6,
}

impl Family {
    /// The family of an address.
    pub fn of(ip: &IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::IPv4,
            IpAddr::V6(_) => Family::IPv6,
        }
    }

    /// Node's string: `"IPv4"` or `"IPv6"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::IPv4 => "IPv4",
            Family::IPv6 => "IPv6",
        }
    }

    /// Node's number: `4` or `6`.
    pub fn number(self) -> u8 {
        match self {
            Family::IPv4 => 4,
            Family::IPv6 => 6,
        }
    }

    /// The family for `4` or `6`; `None` for anything else (any family).
    pub fn from_number(n: u8) -> Option<Family> {
        match n {
            4 => Some(Family::IPv4),
            6 => Some(Family::IPv6),
            _ => None,
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IP literal, with any `%zone` suffix dropped (`fe80::1%eth0`); `None`
/// for a host name.
pub fn ip_literal(host: &str) -> Option<IpAddr> {
    host.split('%').next().unwrap_or_default().parse().ok()
}

/// `dns.lookup(host, {all: true, family})`: every address of `host`, in the
/// resolver's order, without duplicates. With a family, only addresses of
/// that family count; none is `ENOTFOUND`, as `getaddrinfo` reports it.
pub async fn lookup(host: &str, family: Option<Family>) -> Result<Vec<IpAddr>, Error> {
    if let Some(ip) = ip_literal(host) {
        return Ok(vec![ip]);
    }
    use async_std::net::ToSocketAddrs;
    let found = (host, 0u16)
        .to_socket_addrs()
        .await
        .map_err(|e| Error::lookup_failed(e, host))?;
    let mut out: Vec<IpAddr> = Vec::new();
    for addr in found.map(|a: SocketAddr| a.ip()) {
        if family.is_none_or(|f| Family::of(&addr) == f) && !out.contains(&addr) {
            out.push(addr);
        }
    }
    if out.is_empty() {
        return Err(Error::lookup_failed(
            io::Error::new(io::ErrorKind::NotFound, "no addresses"),
            host,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_ids_are_not_part_of_the_address() {
        assert_eq!(ip_literal("fe80::1%eth0"), "fe80::1".parse().ok());
        assert_eq!(ip_literal("localhost"), None);
    }

    #[async_std::test]
    async fn localhost_resolves_and_filters_by_family() {
        let v4 = lookup("localhost", Some(Family::IPv4)).await.unwrap();
        assert!(v4.iter().all(IpAddr::is_ipv4));
        let err = lookup("no-such-host.invalid", None).await.unwrap_err();
        assert_eq!(err.code(), "ENOTFOUND");
        assert_eq!(err.syscall(), Some("getaddrinfo"));
    }
}

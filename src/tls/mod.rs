//! `node:tls` on rustls: [`connect`] and [`Server`] make
//! [`TlsSocket`]s, net sockets whose transport is TLS.
//!
//! # Layout
//! - `transport.rs`: the TLS connection behind net's transport seam.
//! - `socket.rs`: [`TlsSocket`], its events and getters, and the judging
//!   of a finished handshake (Node's `onConnectSecure`).
//! - `server.rs`: [`Server`] (`tls.Server`).
//! - `context.rs`: [`SecureContext`] and the rustls configurations.
//! - `verify.rs`: OpenSSL's chain verdicts and `checkServerIdentity`.
//! - `x509.rs`: certificates decoded for `getPeerCertificate()`.
//! - `errors.rs`: Node's `ERR_SSL_*` codes and cipher names.
//!
//! # Node compatibility
//!
//! rustls 0.21 (the version async-tls 0.13 builds on) has TLS 1.2 and
//! 1.3 only, its own nine cipher suites, no renegotiation, no PSK, no
//! OCSP requests from clients and no TLS 1.2 session resumption here: a
//! `session` resumes TLS 1.3 tickets. The reference bundles no root
//! certificates: without `ca` nothing verifies.

mod context;
mod errors;
mod server;
mod socket;
mod transport;
mod verify;
pub mod x509;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use context::{SecureContext, SecureContextOptions, Version};
pub use server::{Server, ServerEvent, ServerEventKind, ServerOptions, SniCallback};
pub use socket::{CheckIdentity, TlsEvent, TlsEventKind, TlsSocket};
pub use verify::{Identity, check_server_identity};

use crate::error::{Error, ErrorProp};
use crate::event_loop::EventLoop;
use crate::events::Emits;
use crate::net::{self, Layer, Socket, SocketOptions};
use socket::{Role, Shared};
use transport::TlsTransport;
use x509::{Certificate, PublicKey};

/// `tls.DEFAULT_MIN_VERSION`.
pub const DEFAULT_MIN_VERSION: &str = "TLSv1.2";
/// `tls.DEFAULT_MAX_VERSION`.
pub const DEFAULT_MAX_VERSION: &str = "TLSv1.3";

/// What a client's TLS needs beyond where to connect: `tls.connect`'s
/// TLS options.
#[derive(Clone)]
pub struct ClientTls {
    /// The host as given (`'localhost'` by default), for the error of a
    /// connection closed before it was secure and the name check.
    pub host: String,
    pub port: u16,
    pub context: SecureContext,
    /// `servername`: sent as SNI (none by default, unlike https).
    pub servername: Option<String>,
    pub reject_unauthorized: bool,
    /// `ALPNProtocols`.
    pub alpn_protocols: Vec<Vec<u8>>,
    pub check_server_identity: Option<CheckIdentity>,
    /// `session`: a `'session'` value to resume.
    pub session: Option<Vec<u8>>,
}

/// `tls.connect(options)`'s options.
#[derive(Clone)]
pub struct ConnectOptions {
    /// Where to connect (net's options).
    pub target: net::ConnectOptions,
    pub tls: ClientTls,
    pub socket: SocketOptions,
}

/// `tls.connect(options)` in `event_loop`: a TLS socket connecting; its
/// handshake starts at `'connect'`.
pub fn connect_in(event_loop: &EventLoop, options: ConnectOptions) -> Result<TlsSocket, Error> {
    let socket = Socket::new_in(event_loop, options.socket.clone());
    let tls = secure(&socket, &options.tls)?;
    socket.connect(options.target.clone());
    Ok(tls)
}

/// Makes a socket that has not connected yet a TLS client: its
/// connection will be TLS, with the handshake starting at `'connect'`
/// (what `tls.connect` does with the socket it makes; https's agent
/// with its own).
pub fn secure(socket: &Socket, options: &ClientTls) -> Result<TlsSocket, Error> {
    let event_loop = socket.event_loop();
    let hostname = options
        .servername
        .clone()
        .unwrap_or_else(|| options.host.clone());
    let shared = Shared::new(
        Role::Client {
            hostname: hostname.clone(),
            reject_unauthorized: options.reject_unauthorized,
            check_identity: options.check_server_identity.clone(),
        },
        event_loop,
    );
    {
        let mut info = shared.info();
        info.requested_servername = options.servername.clone();
        info.local_cert = options.context.leaf.clone();
        info.max_version = Some(options.context.max_version_name());
        info.roots = options.context.root_certificates();
    }
    let config = Arc::new(options.context.client_config(
        &shared,
        &options.alpn_protocols,
        options.servername.is_some(),
        options.session.as_deref(),
    )?);
    // rustls needs a name even without SNI: an IP address, or any valid
    // DNS name (the verdict on names is checkServerIdentity's).
    let name = rustls::ServerName::try_from(hostname.as_str())
        .or_else(|_| rustls::ServerName::try_from("localhost"))
        .map_err(|e| Error::plain("ERR_INVALID_ARG_VALUE", e.to_string()))?;
    socket.set_extension(shared.clone());
    // Node's onConnectEnd (`prependListener('end')`): the end of the
    // stream before the handshake finished is an error.
    let (end_shared, host, port) = (shared.clone(), options.host.clone(), options.port);
    socket.once(net::SocketEventKind::End, move |s, _| {
        if !end_shared.info().secure {
            s.set_had_error();
            s.destroy(Some(
                Error::plain(
                    "ECONNRESET",
                    "Client network socket disconnected before secure TLS connection was established",
                )
                .with_props(vec![
                    ("host", ErrorProp::String(host.clone())),
                    ("port", ErrorProp::Number(port.into())),
                ]),
            ));
        }
    });
    let layer_shared = shared.clone();
    socket.set_layer(Layer(Arc::new(move |tcp| {
        match rustls::ClientConnection::new(config.clone(), name.clone()) {
            Ok(conn) => Box::new(TlsTransport::client(tcp, conn, layer_shared.clone())),
            // The configuration was checked when it was made.
            Err(_) => tcp,
        }
    })));
    Ok(TlsSocket::new(socket.clone(), shared))
}

/// `new tls.TLSSocket(socket, {isServer: true, secureContext,
/// requestCert, rejectUnauthorized, ALPNProtocols})`: a server's TLS
/// socket over a connected net socket of no `tls.Server`. The net
/// socket's connection, and what it read unconsumed, go to the TLS
/// socket; the net socket then only closes, just before it.
pub fn wrap_server(
    raw: &Socket,
    context: SecureContext,
    request_cert: bool,
    reject_unauthorized: bool,
    alpn_protocols: Vec<Vec<u8>>,
) -> TlsSocket {
    let event_loop = raw.event_loop();
    let peer = Socket::new_in(event_loop, SocketOptions::default());
    let shared = Shared::new(
        Role::Server {
            server: std::sync::Weak::new(),
            request_cert,
            reject_unauthorized,
        },
        event_loop,
    );
    {
        let mut info = shared.info();
        info.local_cert = context.leaf.clone();
        info.standalone = Some((
            context,
            context::ServerTls {
                request_cert,
                reject_unauthorized,
                alpn: alpn_protocols,
                sessions: rustls::server::ServerSessionMemoryCache::new(256),
            },
        ));
    }
    peer.set_extension(shared.clone());
    let tcp = raw.clone();
    peer.once(net::SocketEventKind::Close, move |_, _| {
        tcp.close_taken_over()
    });
    let (taker, layer_shared) = (peer.clone(), shared.clone());
    raw.surrender(Box::new(move |transport, buffered| {
        let transport = Box::new(net::transport::Prefixed {
            bytes: buffered,
            inner: transport,
        });
        taker.attach(
            Box::new(TlsTransport::server(transport, layer_shared)),
            false,
        );
    }));
    TlsSocket::new(peer, shared)
}

/// `tls.connect(options)` in the global event loop.
pub fn connect(options: ConnectOptions) -> Result<TlsSocket, Error> {
    connect_in(&EventLoop::global(), options)
}

fn name_props(name: &[(String, String)]) -> ErrorProp {
    let mut fields: Vec<(String, ErrorProp)> = Vec::new();
    for (k, v) in name {
        // A repeated attribute becomes an array (Node 20's
        // `getPeerCertificate`).
        if let Some((_, existing)) = fields.iter_mut().find(|(key, _)| key == k) {
            let prev = std::mem::replace(existing, ErrorProp::Bool(false));
            *existing = match prev {
                ErrorProp::List(mut l) => {
                    l.push(ErrorProp::String(v.clone()));
                    ErrorProp::List(l)
                }
                other => ErrorProp::List(vec![other, ErrorProp::String(v.clone())]),
            };
        } else {
            fields.push((k.clone(), ErrorProp::String(v.clone())));
        }
    }
    ErrorProp::Object(fields)
}

/// `getPeerCertificate()`'s object for `cert`, Node's fields in Node's
/// order; `issuer` (the next certificate of the chain) for `detailed`.
pub fn peer_certificate_props(cert: &Certificate, issuer: Option<ErrorProp>) -> ErrorProp {
    let s = |v: &str| ErrorProp::String(v.to_string());
    let mut f: Vec<(String, ErrorProp)> = vec![
        ("subject".into(), name_props(&cert.subject)),
        ("issuer".into(), name_props(&cert.issuer)),
    ];
    if let Some(alt) = cert.subjectaltname() {
        f.push(("subjectaltname".into(), s(&alt)));
    }
    f.push(("ca".into(), ErrorProp::Bool(cert.ca)));
    match &cert.key {
        PublicKey::Ec {
            bits,
            asn1_curve,
            nist_curve,
            point,
        } => {
            f.push(("bits".into(), ErrorProp::Number((*bits).into())));
            f.push(("pubkey".into(), ErrorProp::Bytes(point.clone())));
            if let Some(c) = asn1_curve {
                f.push(("asn1Curve".into(), s(c)));
            }
            if let Some(c) = nist_curve {
                f.push(("nistCurve".into(), s(c)));
            }
        }
        PublicKey::Rsa {
            bits,
            modulus,
            exponent,
            der,
        } => {
            f.push(("modulus".into(), s(modulus)));
            f.push(("bits".into(), ErrorProp::Number((*bits).into())));
            f.push(("exponent".into(), s(exponent)));
            f.push(("pubkey".into(), ErrorProp::Bytes(der.clone())));
        }
        PublicKey::Other => {}
    }
    f.push(("valid_from".into(), s(&cert.valid_from())));
    f.push(("valid_to".into(), s(&cert.valid_to())));
    f.push((
        "fingerprint".into(),
        s(&cert.fingerprint(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY)),
    ));
    f.push((
        "fingerprint256".into(),
        s(&cert.fingerprint(&ring::digest::SHA256)),
    ));
    f.push((
        "fingerprint512".into(),
        s(&cert.fingerprint(&ring::digest::SHA512)),
    ));
    if let Some(usages) = &cert.ext_key_usage {
        f.push((
            "ext_key_usage".into(),
            ErrorProp::List(usages.iter().map(|u| s(u)).collect()),
        ));
    }
    f.push(("serialNumber".into(), s(&cert.serial_number)));
    f.push(("raw".into(), ErrorProp::Bytes(cert.raw.clone())));
    if let Some(issuer) = issuer {
        f.push(("issuerCertificate".into(), issuer));
    }
    ErrorProp::Object(f)
}

/// `getPeerCertificate(true)`: each certificate with its issuer's, up
/// the chain the peer sent and on to the trusted root; Node's root is its
/// own issuer (a circular `issuerCertificate`), cut here at the repeat.
pub fn detailed_certificate_props(
    chain: &[Certificate],
    roots: &[Certificate],
) -> Option<ErrorProp> {
    let all: Vec<&Certificate> = chain.iter().chain(roots).collect();
    fn at(all: &[&Certificate], cert: &Certificate, depth: usize) -> ErrorProp {
        let next = all
            .iter()
            .find(|c| c.subject_der == cert.issuer_der && c.raw != cert.raw);
        let issuer = match next {
            Some(n) if depth < 8 => Some(at(all, n, depth + 1)),
            _ => None,
        };
        peer_certificate_props(cert, issuer)
    }
    chain.first().map(|leaf| at(&all, leaf, 0))
}

//! [`SecureContext`]: Node's `tls.createSecureContext()` — the identity
//! (`key`, `cert`) and trust (`ca`) of one side, and the protocol range —
//! and the rustls configurations made from it for each connection.
//!
//! A configuration is made per connection, as the key log, the verdict
//! and the session store are the connection's own; a server's session
//! cache is the server's, so sessions resume across its connections.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use rustls::client::ClientSessionStore;
use rustls::server::{ServerSessionMemoryCache, StoresServerSessions};
use rustls::{NamedGroup, ServerName};

use super::socket::Shared;
use super::verify::{ClientVerifier, Roots, ServerVerifier};
use super::x509::Certificate;
use crate::error::Error;

/// A TLS protocol version as Node names it (`'TLSv1.2'`, `'TLSv1.3'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    Tls12,
    Tls13,
}

impl Version {
    /// `minVersion`/`maxVersion`'s value; `which` is `minimum` or
    /// `maximum` for the error (`ERR_TLS_INVALID_PROTOCOL_VERSION`).
    ///
    /// # Node compatibility
    ///
    /// rustls has no TLS 1.0 or 1.1: `'TLSv1'` and `'TLSv1.1'` are refused
    /// as unsupported rather than quietly raised.
    pub fn parse(name: &str, which: &str) -> Result<Version, Error> {
        match name {
            "TLSv1.2" => Ok(Version::Tls12),
            "TLSv1.3" => Ok(Version::Tls13),
            "TLSv1" | "TLSv1.1" => Err(Error::plain(
                "ERR_NODECOMPAT_UNSUPPORTED",
                format!("{name} is not supported by the reference (rustls)"),
            )),
            _ => Err(Error::type_error(
                "ERR_TLS_INVALID_PROTOCOL_VERSION",
                format!("{name} is not a valid {which} TLS protocol version"),
            )),
        }
    }
}

/// `tls.createSecureContext(options)`'s options, as the reference takes
/// them (PEM text).
#[derive(Debug, Clone, Default)]
pub struct SecureContextOptions {
    pub key: Option<String>,
    pub cert: Option<String>,
    /// Replaces the default roots (the reference bundles none).
    pub ca: Option<Vec<String>>,
    pub min_version: Option<Version>,
    pub max_version: Option<Version>,
}

/// A secure context: parsed identity and trust.
#[derive(Clone)]
pub struct SecureContext {
    chain: Vec<rustls::Certificate>,
    key: Option<rustls::PrivateKey>,
    roots: Arc<Roots>,
    /// The leaf certificate, decoded (`getCertificate()`).
    pub(crate) leaf: Option<Certificate>,
    versions: Vec<&'static rustls::SupportedProtocolVersion>,
}

fn pem_error(what: &str) -> Error {
    Error::plain(
        "ERR_OSSL_PEM_NO_START_LINE",
        format!("error:0480006C:PEM routines::no start line ({what})"),
    )
}

impl SecureContext {
    /// `tls.createSecureContext(options)`.
    ///
    /// # Node compatibility
    ///
    /// The reference trusts no bundled roots: without `ca`, no chain
    /// verifies (the suite's certificates are all its own).
    pub fn new(options: &SecureContextOptions) -> Result<SecureContext, Error> {
        let chain = match &options.cert {
            Some(pem) => {
                let certs =
                    rustls_pemfile::certs(&mut pem.as_bytes()).map_err(|_| pem_error("cert"))?;
                if certs.is_empty() {
                    return Err(pem_error("cert"));
                }
                certs.into_iter().map(rustls::Certificate).collect()
            }
            None => Vec::new(),
        };
        let key = match &options.key {
            Some(pem) => {
                let key = rustls_pemfile::read_all(&mut pem.as_bytes())
                    .map_err(|_| pem_error("key"))?
                    .into_iter()
                    .find_map(|item| match item {
                        rustls_pemfile::Item::PKCS8Key(k)
                        | rustls_pemfile::Item::ECKey(k)
                        | rustls_pemfile::Item::RSAKey(k) => Some(rustls::PrivateKey(k)),
                        _ => None,
                    })
                    .ok_or_else(|| pem_error("key"))?;
                Some(key)
            }
            None => None,
        };
        let mut roots = Vec::new();
        for pem in options.ca.iter().flatten() {
            for der in rustls_pemfile::certs(&mut pem.as_bytes()).map_err(|_| pem_error("ca"))? {
                if let Ok(c) = Certificate::from_der(&der) {
                    roots.push(c);
                }
            }
        }
        let min = options.min_version.unwrap_or(Version::Tls12);
        let max = options.max_version.unwrap_or(Version::Tls13);
        let mut versions = Vec::new();
        if min <= Version::Tls12 && max >= Version::Tls12 {
            versions.push(&rustls::version::TLS12);
        }
        if max >= Version::Tls13 {
            versions.push(&rustls::version::TLS13);
        }
        Ok(SecureContext {
            leaf: chain.first().and_then(|c| Certificate::from_der(&c.0).ok()),
            chain,
            key,
            roots: Arc::new(Roots::new(roots)),
            versions,
        })
    }

    /// `'TLSv1.3'` or `'TLSv1.2'`: the highest version allowed.
    pub(crate) fn max_version_name(&self) -> &'static str {
        if self
            .versions
            .iter()
            .any(|v| v.version == rustls::ProtocolVersion::TLSv1_3)
        {
            "TLSv1.3"
        } else {
            "TLSv1.2"
        }
    }

    /// Whether a version is allowed.
    pub(crate) fn allows(&self, version: Version) -> bool {
        let wanted = match version {
            Version::Tls12 => rustls::ProtocolVersion::TLSv1_2,
            Version::Tls13 => rustls::ProtocolVersion::TLSv1_3,
        };
        self.versions.iter().any(|v| v.version == wanted)
    }

    /// Node's suites of the versions allowed: a hello offers only those
    /// (OpenSSL leaves TLS 1.3's out under `maxVersion: 'TLSv1.2'`), so a
    /// server can tell the versions a client offers from them.
    fn suites(&self) -> Vec<rustls::SupportedCipherSuite> {
        NODE_ORDER
            .iter()
            .copied()
            .filter(|s| {
                self.versions
                    .iter()
                    .any(|v| v.version == s.version().version)
            })
            .collect()
    }

    /// The trusted roots (`ca`).
    pub(crate) fn root_certificates(&self) -> Vec<Certificate> {
        self.roots.certs.clone()
    }

    /// A client's configuration for one connection.
    pub(crate) fn client_config(
        &self,
        shared: &Arc<Shared>,
        alpn: &[Vec<u8>],
        sni: bool,
        session: Option<&[u8]>,
    ) -> Result<rustls::ClientConfig, Error> {
        let builder = rustls::ClientConfig::builder()
            .with_cipher_suites(&self.suites())
            .with_safe_default_kx_groups()
            .with_protocol_versions(&self.versions)
            .map_err(tls_config_error)?
            .with_custom_certificate_verifier(Arc::new(ServerVerifier {
                roots: self.roots.clone(),
                slot: shared.verdict.clone(),
            }));
        let mut config = match (&self.key, self.chain.is_empty()) {
            (Some(key), false) => builder
                .with_client_auth_cert(self.chain.clone(), key.clone())
                .map_err(tls_config_error)?,
            _ => builder.with_no_client_auth(),
        };
        config.alpn_protocols = alpn.to_vec();
        config.enable_sni = sni;
        config.key_log = Arc::new(KeyLines(Arc::downgrade(shared)));
        let offered = session.and_then(take_session);
        shared.info().offered_session = false;
        config.resumption = rustls::client::Resumption::store(Arc::new(Sessions {
            shared: Arc::downgrade(shared),
            offered: Mutex::new(offered),
        }));
        Ok(config)
    }

    /// A server's configuration for one connection.
    pub(crate) fn server_config(
        &self,
        shared: &Arc<Shared>,
        options: &ServerTls,
    ) -> Result<rustls::ServerConfig, Error> {
        let (Some(key), false) = (&self.key, self.chain.is_empty()) else {
            return Err(Error::plain(
                "ERR_SSL_NO_SHARED_CIPHER",
                "error:0A0000C1:SSL routines::no shared cipher",
            ));
        };
        let builder = rustls::ServerConfig::builder()
            .with_cipher_suites(&self.suites())
            .with_safe_default_kx_groups()
            .with_protocol_versions(&self.versions)
            .map_err(tls_config_error)?;
        let builder = if options.request_cert {
            builder.with_client_cert_verifier(Arc::new(ClientVerifier {
                roots: self.roots.clone(),
                slot: shared.verdict.clone(),
                mandatory: options.reject_unauthorized,
                subjects: Vec::new(),
            }))
        } else {
            builder.with_no_client_auth()
        };
        let mut config = builder
            .with_single_cert(self.chain.clone(), key.clone())
            .map_err(tls_config_error)?;
        config.alpn_protocols = options.alpn.clone();
        // Node's servers choose by their own order (honorCipherOrder).
        config.ignore_client_order = true;
        config.key_log = Arc::new(KeyLines(Arc::downgrade(shared)));
        config.send_tls13_tickets = 2;
        config.session_storage = Arc::new(Resumption {
            cache: options.sessions.clone(),
            hit: shared.info().resumed.clone(),
        });
        Ok(config)
    }
}

/// rustls's suites in the order of Node's `tls.DEFAULT_CIPHERS`
/// (OpenSSL's TLS 1.3 default, then Node's list: AES-128-GCM before
/// AES-256-GCM for TLS 1.2, ChaCha20 last, among `HIGH`).
static NODE_ORDER: &[rustls::SupportedCipherSuite] = &[
    rustls::cipher_suite::TLS13_AES_256_GCM_SHA384,
    rustls::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
    rustls::cipher_suite::TLS13_AES_128_GCM_SHA256,
    rustls::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    rustls::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    rustls::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    rustls::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    rustls::cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    rustls::cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

fn tls_config_error(e: rustls::Error) -> Error {
    Error::plain("ERR_OSSL_X509_KEY_VALUES_MISMATCH", e.to_string())
}

/// What a server's connections share: options and the session cache.
#[derive(Clone)]
pub(crate) struct ServerTls {
    pub(crate) request_cert: bool,
    pub(crate) reject_unauthorized: bool,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) sessions: Arc<ServerSessionMemoryCache>,
}

/// Key log lines (`SSLKEYLOGFILE`'s format) to the socket's `'keylog'`.
struct KeyLines(Weak<Shared>);

impl rustls::KeyLog for KeyLines {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Some(shared) = self.0.upgrade() {
            let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
            shared.keylog(line.into_bytes());
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A server's session cache, seen by one connection: records whether it
/// resumed (`isSessionReused()`).
struct Resumption {
    cache: Arc<ServerSessionMemoryCache>,
    hit: Arc<AtomicBool>,
}

impl StoresServerSessions for Resumption {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        self.cache.put(key, value)
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let v = self.cache.get(key);
        if v.is_some() {
            self.hit.store(true, Ordering::Release);
        }
        v
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        let v = self.cache.take(key);
        if v.is_some() {
            self.hit.store(true, Ordering::Release);
        }
        v
    }

    fn can_cache(&self) -> bool {
        true
    }
}

/// The sessions tickets stand for. A `'session'` value is a handle into
/// this table (Node's is OpenSSL's serialized session; scripts only pass
/// it back), good in this process.
fn sessions() -> &'static Mutex<HashMap<Vec<u8>, rustls::client::Tls13ClientSessionValue>> {
    static TABLE: OnceLock<Mutex<HashMap<Vec<u8>, rustls::client::Tls13ClientSessionValue>>> =
        OnceLock::new();
    TABLE.get_or_init(Default::default)
}

/// The most tickets kept; the oldest handles stop resuming beyond it.
const SESSIONS_KEPT: usize = 4096;

fn keep_session(value: rustls::client::Tls13ClientSessionValue) -> Vec<u8> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut handle = b"nodecompat-session:".to_vec();
    handle.extend_from_slice(&n.to_be_bytes());
    let mut table = sessions().lock().unwrap_or_else(|p| p.into_inner());
    if table.len() >= SESSIONS_KEPT {
        table.clear();
    }
    table.insert(handle.clone(), value);
    handle
}

fn take_session(handle: &[u8]) -> Option<rustls::client::Tls13ClientSessionValue> {
    sessions()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(handle)
}

/// A client connection's session store: reports tickets as `'session'`
/// and offers the one given with `session`.
struct Sessions {
    shared: Weak<Shared>,
    offered: Mutex<Option<rustls::client::Tls13ClientSessionValue>>,
}

impl ClientSessionStore for Sessions {
    fn set_kx_hint(&self, _: &ServerName, _: NamedGroup) {}

    fn kx_hint(&self, _: &ServerName) -> Option<NamedGroup> {
        None
    }

    fn set_tls12_session(&self, _: &ServerName, _: rustls::client::Tls12ClientSessionValue) {}

    fn tls12_session(&self, _: &ServerName) -> Option<rustls::client::Tls12ClientSessionValue> {
        None
    }

    fn remove_tls12_session(&self, _: &ServerName) {}

    fn insert_tls13_ticket(&self, _: &ServerName, value: rustls::client::Tls13ClientSessionValue) {
        if let Some(shared) = self.shared.upgrade() {
            shared.session_arrived(keep_session(value));
        }
    }

    fn take_tls13_ticket(&self, _: &ServerName) -> Option<rustls::client::Tls13ClientSessionValue> {
        let taken = self
            .offered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if taken.is_some()
            && let Some(shared) = self.shared.upgrade()
        {
            shared.info().offered_session = true;
        }
        taken
    }
}

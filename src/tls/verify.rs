//! Judging the peer as Node does: OpenSSL's chain verdict with its error
//! codes (`X509_V_ERR_*` → `err.code`), computed during the handshake and
//! read afterwards (Node's `verifyError()`), and `tls.checkServerIdentity`.
//!
//! rustls itself would reject a bad chain inside the handshake, with an
//! alert and none of OpenSSL's codes; Node verifies with a callback that
//! accepts everything and looks at the result once the handshake is done
//! (`onConnectSecure`, `onServerSocketSecure` in `lib/_tls_wrap.js`). So
//! the verifiers here accept, after recording the verdict.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rustls::client::{ServerCertVerified, ServerCertVerifier, WebPkiVerifier};
use rustls::server::{ClientCertVerified, ClientCertVerifier};
use rustls::{DistinguishedName, RootCertStore, ServerName};

use super::x509::Certificate;
use crate::error::{Error, ErrorProp};

/// The trusted roots of a context (`ca`), decoded and as rustls wants
/// them.
pub(crate) struct Roots {
    pub(crate) certs: Vec<Certificate>,
    pub(crate) store: Arc<RootCertStore>,
}

impl Roots {
    pub(crate) fn new(certs: Vec<Certificate>) -> Roots {
        let mut store = RootCertStore::empty();
        for c in &certs {
            let _ = store.add(&rustls::Certificate(c.raw.clone()));
        }
        Roots {
            certs,
            store: Arc::new(store),
        }
    }
}

/// What the verifier saw: the peer's chain and OpenSSL's verdict on it.
#[derive(Default)]
pub(crate) struct Verdict {
    /// The verifier ran in this handshake (not on a resumed session).
    pub(crate) ran: bool,
    pub(crate) error: Option<Error>,
}

/// Where a verifier leaves its verdict for the socket.
pub(crate) type VerdictSlot = Arc<Mutex<Verdict>>;

/// OpenSSL's code and message for a chain that does not verify.
fn x509_error(code: &str) -> Error {
    let message = match code {
        "DEPTH_ZERO_SELF_SIGNED_CERT" => "self-signed certificate",
        "SELF_SIGNED_CERT_IN_CHAIN" => "self-signed certificate in certificate chain",
        "UNABLE_TO_VERIFY_LEAF_SIGNATURE" => "unable to verify the first certificate",
        "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" => "unable to get local issuer certificate",
        "UNABLE_TO_GET_ISSUER_CERT" => "unable to get issuer certificate",
        "CERT_HAS_EXPIRED" => "certificate has expired",
        "CERT_NOT_YET_VALID" => "certificate is not yet valid",
        _ => "certificate signature failure",
    };
    Error::plain(code, message)
}

/// The verdict on `chain` (leaf first, as the peer sent it) against
/// `roots`, as OpenSSL's `X509_verify_cert` reports it: the path is built
/// from the leaf through the peer's certificates to a trusted one; the
/// first problem on the way names the error.
pub(crate) fn chain_error(chain: &[Certificate], roots: &[Certificate], now: i64) -> Option<Error> {
    let leaf = chain.first()?;
    let mut path = vec![leaf];
    let mut current = leaf;
    loop {
        if roots.iter().any(|r| r.raw == current.raw) {
            break;
        }
        if let Some(root) = roots.iter().find(|r| r.subject_der == current.issuer_der) {
            path.push(root);
            break;
        }
        if current.self_issued() {
            return Some(x509_error(if path.len() == 1 {
                "DEPTH_ZERO_SELF_SIGNED_CERT"
            } else {
                "SELF_SIGNED_CERT_IN_CHAIN"
            }));
        }
        match chain
            .iter()
            .find(|c| c.subject_der == current.issuer_der && !path.iter().any(|p| p.raw == c.raw))
        {
            Some(next) => {
                path.push(next);
                current = next;
            }
            None => {
                return Some(x509_error(if path.len() == 1 {
                    "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
                } else {
                    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
                }));
            }
        }
    }
    for c in path.iter().rev() {
        if now < c.not_before {
            return Some(x509_error("CERT_NOT_YET_VALID"));
        }
        if now > c.not_after {
            return Some(x509_error("CERT_HAS_EXPIRED"));
        }
    }
    None
}

fn unix_now(now: SystemTime) -> i64 {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn decode(
    end_entity: &rustls::Certificate,
    intermediates: &[rustls::Certificate],
) -> Vec<Certificate> {
    std::iter::once(end_entity)
        .chain(intermediates)
        .filter_map(|c| Certificate::from_der(&c.0).ok())
        .collect()
}

/// A client's verifier: records OpenSSL's verdict, then checks the
/// signatures with webpki when the path is sound (a forged signature is
/// `CERT_SIGNATURE_FAILURE`), and lets the handshake go on.
pub(crate) struct ServerVerifier {
    pub(crate) roots: Arc<Roots>,
    pub(crate) slot: VerdictSlot,
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::Certificate,
        intermediates: &[rustls::Certificate],
        server_name: &ServerName,
        scts: &mut dyn Iterator<Item = &[u8]>,
        ocsp_response: &[u8],
        now: SystemTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = decode(end_entity, intermediates);
        let mut error = chain_error(&chain, &self.roots.certs, unix_now(now));
        if error.is_none() {
            let webpki = WebPkiVerifier::new(self.roots.store.clone(), None);
            match webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                scts,
                ocsp_response,
                now,
            ) {
                // The name is Node's to check (checkServerIdentity).
                Ok(_)
                | Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForName,
                )) => {}
                Err(_) => error = Some(x509_error("CERT_SIGNATURE_FAILURE")),
            }
        }
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        slot.ran = true;
        slot.error = error;
        Ok(ServerCertVerified::assertion())
    }
}

/// A server's verifier of client certificates (`requestCert`): asks for
/// one, records the verdict; a missing certificate is refused by rustls
/// only when Node's server would refuse it too (`rejectUnauthorized`).
pub(crate) struct ClientVerifier {
    pub(crate) roots: Arc<Roots>,
    pub(crate) slot: VerdictSlot,
    pub(crate) mandatory: bool,
    pub(crate) subjects: Vec<DistinguishedName>,
}

impl ClientCertVerifier for ClientVerifier {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn client_auth_root_subjects(&self) -> &[DistinguishedName] {
        &self.subjects
    }

    fn verify_client_cert(
        &self,
        end_entity: &rustls::Certificate,
        intermediates: &[rustls::Certificate],
        now: SystemTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let chain = decode(end_entity, intermediates);
        let error = chain_error(&chain, &self.roots.certs, unix_now(now));
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        slot.ran = true;
        slot.error = error;
        Ok(ClientCertVerified::assertion())
    }
}

/// What `tls.checkServerIdentity` reads of a certificate object: its
/// subject's `CN` (one or several) and `subjectaltname`.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub common_names: Vec<String>,
    pub subjectaltname: Option<String>,
}

impl Identity {
    /// A decoded certificate's identity.
    pub fn of(cert: &Certificate) -> Identity {
        Identity {
            common_names: cert
                .subject
                .iter()
                .filter(|(k, _)| k == "CN")
                .map(|(_, v)| v.clone())
                .collect(),
            subjectaltname: cert.subjectaltname(),
        }
    }
}

/// `tls.checkServerIdentity(hostname, cert)` (`lib/tls.js`): `None` when
/// `hostname` matches, else `ERR_TLS_CERT_ALTNAME_INVALID` with `reason`
/// and `host` (the caller adds `cert`, the object it was given).
pub fn check_server_identity(hostname: &str, cert: &Identity) -> Option<Error> {
    let mut dns_names = Vec::new();
    let mut ips = Vec::new();
    if let Some(alt) = &cert.subjectaltname {
        for name in alt.split(", ") {
            if let Some(d) = name.strip_prefix("DNS:") {
                dns_names.push(d.to_string());
            } else if let Some(ip) = name.strip_prefix("IP Address:") {
                ips.push(canonical_ip(ip));
            }
        }
    }
    let hostname = hostname.strip_suffix('.').unwrap_or(hostname);
    let reason;
    if crate::net::is_ip(hostname) != 0 {
        if ips.contains(&canonical_ip(hostname)) {
            return None;
        }
        reason = format!(
            "IP: {hostname} is not in the cert's list: {}",
            ips.join(", ")
        );
    } else if !dns_names.is_empty() || !cert.common_names.is_empty() {
        let host_parts = split_host(hostname);
        if !dns_names.is_empty() {
            if dns_names.iter().any(|p| matches(&host_parts, p)) {
                return None;
            }
            reason = format!(
                "Host: {hostname}. is not in the cert's altnames: {}",
                cert.subjectaltname.as_deref().unwrap_or_default()
            );
        } else {
            if cert.common_names.iter().any(|p| matches(&host_parts, p)) {
                return None;
            }
            reason = format!(
                "Host: {hostname}. is not cert's CN: {}",
                cert.common_names.join(",")
            );
        }
    } else {
        reason = "Cert does not contain a DNS name".to_string();
    }
    Some(
        Error::plain(
            "ERR_TLS_CERT_ALTNAME_INVALID",
            format!("Hostname/IP does not match certificate's altnames: {reason}"),
        )
        .with_props(vec![
            ("reason", ErrorProp::String(reason)),
            ("host", ErrorProp::String(hostname.to_string())),
        ]),
    )
}

/// Node's `canonicalizeIP`: the address as `net.SocketAddress` prints it.
fn canonical_ip(ip: &str) -> String {
    ip.parse::<std::net::IpAddr>()
        .map_or_else(|_| ip.to_string(), |a| a.to_string())
}

/// `splitHost`: without a trailing dot, A–Z lowered, split at dots.
fn split_host(host: &str) -> Vec<String> {
    host.strip_suffix('.')
        .unwrap_or(host)
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .collect::<String>()
        .split('.')
        .map(str::to_string)
        .collect()
}

/// `check(hostParts, pattern, wildcards = true)` of `lib/tls.js`.
fn matches(host: &[String], pattern: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let parts = split_host(pattern);
    if host.len() != parts.len() || parts.iter().any(String::is_empty) {
        return false;
    }
    if parts
        .iter()
        .any(|p| p.chars().any(|c| !('\u{21}'..='\u{7f}').contains(&c)))
    {
        return false;
    }
    if (1..host.len()).rev().any(|i| host[i] != parts[i]) {
        return false;
    }
    let (sub, pat) = (&host[0], &parts[0]);
    let pieces: Vec<&str> = pat.split('*').collect();
    if pieces.len() == 1 || pat.contains("xn--") {
        return sub == pat;
    }
    if pieces.len() > 2 || parts.len() <= 2 {
        return false;
    }
    let (prefix, suffix) = (pieces[0], pieces[1]);
    prefix.len() + suffix.len() <= sub.len() && sub.starts_with(prefix) && sub.ends_with(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(name: &str) -> Vec<Certificate> {
        let path = format!("{}/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"));
        let pem = std::fs::read(path).unwrap();
        rustls_pemfile::certs(&mut pem.as_slice())
            .unwrap()
            .iter()
            .map(|d| Certificate::from_der(d).unwrap())
            .collect()
    }

    fn code(chain: &str, roots: &[&str]) -> Option<String> {
        let roots: Vec<Certificate> = roots.iter().flat_map(|r| cert(r)).collect();
        // 2027-01-01: inside every fixture's validity but expired.pem's.
        chain_error(&cert(chain), &roots, 1_798_761_600).map(|e| e.code().to_string())
    }

    /// The verdicts `fixtures/tls/README.md` lists from Node 20.
    #[test]
    fn chain_verdicts_are_openssls() {
        assert_eq!(code("localhost.pem", &["ca.pem"]), None);
        assert_eq!(code("chain-leaf-fullchain.pem", &["ca.pem"]), None);
        let c = |s: &str| Some(s.to_string());
        assert_eq!(
            code("chain-leaf.pem", &["ca.pem"]),
            c("UNABLE_TO_VERIFY_LEAF_SIGNATURE")
        );
        assert_eq!(
            code("self-signed.pem", &["ca.pem"]),
            c("DEPTH_ZERO_SELF_SIGNED_CERT")
        );
        assert_eq!(
            code("self-signed.pem", &[]),
            c("DEPTH_ZERO_SELF_SIGNED_CERT")
        );
        assert_eq!(
            code("localhost-with-ca.pem", &[]),
            c("SELF_SIGNED_CERT_IN_CHAIN")
        );
        assert_eq!(code("localhost-with-ca.pem", &["ca.pem"]), None);
        assert_eq!(
            code("localhost.pem", &[]),
            c("UNABLE_TO_VERIFY_LEAF_SIGNATURE")
        );
        assert_eq!(
            code("chain-leaf-fullchain.pem", &[]),
            c("UNABLE_TO_GET_ISSUER_CERT_LOCALLY")
        );
        assert_eq!(code("expired.pem", &["ca.pem"]), c("CERT_HAS_EXPIRED"));
    }

    #[test]
    fn server_identity_follows_lib_tls() {
        let id = |cn: &[&str], alt: Option<&str>| Identity {
            common_names: cn.iter().map(|s| s.to_string()).collect(),
            subjectaltname: alt.map(str::to_string),
        };
        let reason = |e: Option<Error>| {
            e.map(|e| match &e.props()[0].1 {
                ErrorProp::String(s) => s.clone(),
                _ => unreachable!(),
            })
        };
        assert!(check_server_identity("localhost", &id(&[], Some("DNS:localhost"))).is_none());
        assert!(check_server_identity("LocalHost.", &id(&[], Some("DNS:localhost"))).is_none());
        assert_eq!(
            reason(check_server_identity(
                "localhost",
                &id(&[], Some("DNS:example.com"))
            )),
            Some("Host: localhost. is not in the cert's altnames: DNS:example.com".into())
        );
        assert!(
            check_server_identity("a.example.com", &id(&[], Some("DNS:*.example.com"))).is_none()
        );
        assert!(check_server_identity("example.com", &id(&["*.com"], None)).is_some());
        assert!(check_server_identity("x.y.com", &id(&["x.y.com"], None)).is_none());
        assert!(
            check_server_identity("::1", &id(&[], Some("IP Address:0:0:0:0:0:0:0:1"))).is_none()
        );
        assert_eq!(
            reason(check_server_identity(
                "127.0.0.2",
                &id(&[], Some("IP Address:127.0.0.1"))
            )),
            Some("IP: 127.0.0.2 is not in the cert's list: 127.0.0.1".into())
        );
        assert_eq!(
            reason(check_server_identity(
                "a.com",
                &id(&[], Some("URI:http://a.com/"))
            )),
            Some("Cert does not contain a DNS name".into())
        );
    }
}

//! Node's errors for TLS failures: OpenSSL's reason codes
//! (`ERR_SSL_<REASON>`, with `library` and `reason`) for what rustls
//! reports, and OpenSSL's names of the cipher suites.

use std::io;

use crate::error::{Error, ErrorProp};

use super::transport::TlsFailure;

/// An `ERR_SSL_*` error as Node makes it from OpenSSL's error queue:
/// `library` "SSL routines", `reason` in OpenSSL's words, `code` from
/// the reason.
fn ssl_error(reason: &str) -> Error {
    let code = format!(
        "ERR_SSL_{}",
        reason.to_ascii_uppercase().replace([' ', '-'], "_")
    );
    Error::plain(&code, format!("error:0A000000:SSL routines::{reason}")).with_props(vec![
        ("library", ErrorProp::String("SSL routines".into())),
        ("reason", ErrorProp::String(reason.into())),
    ])
}

/// OpenSSL's name of an alert received (`ssl3_read_bytes`: "sslv3 alert
/// …" for the alerts SSL 3 had, "tlsv1 alert …" for TLS's, "tlsv13 alert
/// …" for TLS 1.3's).
fn alert_reason(alert: rustls::AlertDescription) -> String {
    use rustls::AlertDescription as A;
    let (prefix, name) = match alert {
        A::UnexpectedMessage => ("sslv3", "unexpected message"),
        A::BadRecordMac => ("sslv3", "bad record mac"),
        A::HandshakeFailure => ("sslv3", "handshake failure"),
        A::BadCertificate => ("sslv3", "bad certificate"),
        A::UnsupportedCertificate => ("sslv3", "unsupported certificate"),
        A::CertificateRevoked => ("sslv3", "certificate revoked"),
        A::CertificateExpired => ("sslv3", "certificate expired"),
        A::CertificateUnknown => ("sslv3", "certificate unknown"),
        A::IllegalParameter => ("sslv3", "illegal parameter"),
        A::UnknownCA => ("tlsv1", "unknown ca"),
        A::AccessDenied => ("tlsv1", "access denied"),
        A::DecodeError => ("tlsv1", "decode error"),
        A::DecryptError => ("tlsv1", "decrypt error"),
        A::ProtocolVersion => ("tlsv1", "protocol version"),
        A::InsufficientSecurity => ("tlsv1", "insufficient security"),
        A::InternalError => ("tlsv1", "internal error"),
        A::UserCanceled => ("tlsv1", "user cancelled"),
        A::UnrecognisedName => ("tlsv1", "unrecognized name"),
        A::NoApplicationProtocol => ("tlsv1", "no application protocol"),
        A::CertificateRequired => ("tlsv13", "certificate required"),
        _ => ("tlsv1", "alert"),
    };
    format!("{prefix} alert {name}")
}

/// The error a TLS socket is destroyed with when its connection failed.
pub(crate) fn failure_error(failure: TlsFailure, server: bool) -> Error {
    match failure {
        TlsFailure::Io(e) => Error::system(e, "read", None, None, false),
        TlsFailure::Protocol(e, first, true) => {
            // A write waiting for the handshake fails with the SSL error
            // as `EPROTO` (uv's code for it), syscall `write`.
            let ssl = protocol_error(&e, &first, server);
            let mut err =
                Error::system(io::Error::from_raw_os_error(71), "write", None, None, false);
            err = err.with_message(format!("write EPROTO {}", ssl.message()));
            err
        }
        TlsFailure::Protocol(e, first, false) => protocol_error(&e, &first, server),
        TlsFailure::Refused(reason) => ssl_error(reason),
    }
}

/// OpenSSL's verdict on what rustls refused.
fn protocol_error(e: &rustls::Error, first: &[u8], server: bool) -> Error {
    use rustls::Error as E;
    let not_tls = !matches!(first, [0x14..=0x17, 0x03, ..]);
    match e {
        E::AlertReceived(alert) => ssl_error(&alert_reason(*alert)),
        // A peer that does not speak TLS: OpenSSL names an HTTP request
        // to a server, and a record of no TLS version otherwise.
        _ if not_tls && server && is_http_request(first) => ssl_error("http request"),
        _ if not_tls && server && first.starts_with(b"CONNE") => ssl_error("https proxy request"),
        _ if not_tls => ssl_error("wrong version number"),
        E::PeerIncompatible(
            rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13
            | rustls::PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
            | rustls::PeerIncompatible::SupportedVersionsExtensionRequired
            | rustls::PeerIncompatible::Tls12NotOffered
            | rustls::PeerIncompatible::Tls12NotOfferedOrEnabled,
        ) => ssl_error(if server {
            "unsupported protocol"
        } else {
            "tlsv1 alert protocol version"
        }),
        E::PeerIncompatible(_) => ssl_error("no shared cipher"),
        E::NoApplicationProtocol => ssl_error("no application protocol"),
        E::NoCertificatesPresented => ssl_error("peer did not return a certificate"),
        E::DecryptError => ssl_error("decryption failed or bad record mac"),
        _ => ssl_error("unexpected message"),
    }
}

/// OpenSSL's check (`ssl3_get_record`): the first bytes of a plain HTTP
/// request.
fn is_http_request(first: &[u8]) -> bool {
    [&b"GET "[..], b"POST ", b"HEAD ", b"PUT "]
        .iter()
        .any(|m| first.starts_with(m))
}

/// `getCipher()`'s `name` (OpenSSL's), `standardName` (IANA's) and
/// `version` (the lowest version the suite works with, as OpenSSL says).
pub(crate) fn cipher_names(
    suite: rustls::CipherSuite,
) -> (&'static str, &'static str, &'static str) {
    use rustls::CipherSuite as C;
    match suite {
        C::TLS13_AES_256_GCM_SHA384 => (
            "TLS_AES_256_GCM_SHA384",
            "TLS_AES_256_GCM_SHA384",
            "TLSv1.3",
        ),
        C::TLS13_AES_128_GCM_SHA256 => (
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_128_GCM_SHA256",
            "TLSv1.3",
        ),
        C::TLS13_CHACHA20_POLY1305_SHA256 => (
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLSv1.3",
        ),
        C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => (
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLSv1.2",
        ),
        C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => (
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLSv1.2",
        ),
        C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => (
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLSv1.2",
        ),
        C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => (
            "ECDHE-RSA-AES256-GCM-SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLSv1.2",
        ),
        C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => (
            "ECDHE-RSA-AES128-GCM-SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLSv1.2",
        ),
        C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => (
            "ECDHE-RSA-CHACHA20-POLY1305",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLSv1.2",
        ),
        _ => ("unknown", "unknown", "unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_make_node_codes() {
        let e = protocol_error(
            &rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
            &[0x16, 0x03],
            false,
        );
        assert_eq!(e.code(), "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE");
        let garbage = rustls::Error::General("x".into());
        assert_eq!(
            protocol_error(&garbage, b"GET / HTTP/1.1", true).code(),
            "ERR_SSL_HTTP_REQUEST"
        );
        assert_eq!(
            protocol_error(&garbage, b"HTTP/1.1 400", false).code(),
            "ERR_SSL_WRONG_VERSION_NUMBER"
        );
    }
}

//! X.509 certificates as Node shows them: the fields of
//! `tlsSocket.getPeerCertificate()` (`lib/internal/tls/…`, built in
//! `src/crypto/crypto_x509.cc` from OpenSSL's printers), read from DER.
//!
//! Only what Node reports and what verification needs is decoded: names,
//! validity, the public key's kind, and the extensions Node prints
//! (`subjectAltName`, `basicConstraints`, `extKeyUsage`).

use crate::calendar::Utc;

/// One decoded certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    /// The DER bytes (`raw`).
    pub raw: Vec<u8>,
    /// The serial number in upper-case hex, without leading zero bytes
    /// (`serialNumber`).
    pub serial_number: String,
    /// The subject's attributes by short name, in order (`subject`).
    pub subject: Vec<(String, String)>,
    /// The issuer's attributes (`issuer`).
    pub issuer: Vec<(String, String)>,
    /// The DER of the subject and issuer names, compared to link a chain.
    pub subject_der: Vec<u8>,
    pub issuer_der: Vec<u8>,
    /// `notBefore` and `notAfter`, seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// The subject alternative names, as OpenSSL prints them
    /// (`DNS:localhost`, `IP Address:127.0.0.1`, `URI:…`, `email:…`).
    pub alt_names: Vec<String>,
    /// `basicConstraints` `cA` (`ca`).
    pub ca: bool,
    /// The extended key usages' OIDs (`ext_key_usage`), if present.
    pub ext_key_usage: Option<Vec<String>>,
    /// The public key.
    pub key: PublicKey,
}

/// A certificate's public key, as far as Node reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum PublicKey {
    /// An elliptic-curve key: its bits, the curve's OpenSSL and NIST names
    /// (`asn1Curve`, `nistCurve`) and the encoded point (`pubkey`).
    Ec {
        bits: u32,
        asn1_curve: Option<&'static str>,
        nist_curve: Option<&'static str>,
        point: Vec<u8>,
    },
    /// An RSA key: `bits`, `modulus` (upper-case hex), `exponent` (`0x…`)
    /// and the key's DER (`pubkey`).
    Rsa {
        bits: u32,
        modulus: String,
        exponent: String,
        der: Vec<u8>,
    },
    /// Anything else (Node reports no key fields).
    Other,
}

/// Why a certificate could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl Certificate {
    /// Decodes a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Certificate, Malformed> {
        let mut outer = Der::new(der);
        let mut cert = outer.sequence()?;
        let mut tbs = cert.sequence()?;
        if tbs.peek() == Some(0xa0) {
            tbs.any()?;
        }
        let serial = tbs.expect(0x02)?;
        let serial = serial.iter().skip_while(|b| **b == 0).collect::<Vec<_>>();
        let serial_number = if serial.is_empty() {
            "00".to_string()
        } else {
            serial.iter().map(|b| format!("{b:02X}")).collect()
        };
        tbs.sequence()?; // signature algorithm
        let issuer_der = tbs.raw_next()?;
        let mut validity = tbs.sequence()?;
        let not_before = validity.time()?;
        let not_after = validity.time()?;
        let subject_der = tbs.raw_next()?;
        let key = public_key(tbs.raw_next()?)?;
        let mut cert = Certificate {
            raw: der.to_vec(),
            serial_number,
            subject: name(&subject_der)?,
            issuer: name(&issuer_der)?,
            subject_der,
            issuer_der,
            not_before,
            not_after,
            alt_names: Vec::new(),
            ca: false,
            ext_key_usage: None,
            key,
        };
        while let Some(tag) = tbs.peek() {
            let body = tbs.any()?.1;
            if tag == 0xa3 {
                cert.extensions(body)?;
            }
        }
        Ok(cert)
    }

    fn extensions(&mut self, explicit: &[u8]) -> Result<(), Malformed> {
        let mut list = Der::new(explicit).sequence()?;
        while !list.done() {
            let mut ext = list.sequence()?;
            let oid = oid_string(ext.expect(0x06)?);
            if ext.peek() == Some(0x01) {
                ext.any()?;
            }
            let value = ext.expect(0x04)?;
            match oid.as_str() {
                "2.5.29.17" => self.alt_names = alt_names(value)?,
                "2.5.29.19" => {
                    let mut bc = Der::new(value).sequence()?;
                    self.ca = bc.peek() == Some(0x01) && bc.expect(0x01)?.first() == Some(&0xff);
                }
                "2.5.29.37" => {
                    let mut usages = Der::new(value).sequence()?;
                    let mut oids = Vec::new();
                    while !usages.done() {
                        oids.push(oid_string(usages.expect(0x06)?));
                    }
                    self.ext_key_usage = Some(oids);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether the subject and the issuer are the same name (OpenSSL's
    /// "self-issued", what makes `DEPTH_ZERO_SELF_SIGNED_CERT`).
    pub fn self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    /// The subject's `CN`, if any.
    pub fn common_name(&self) -> Option<&str> {
        self.subject
            .iter()
            .rev()
            .find(|(k, _)| k == "CN")
            .map(|(_, v)| v.as_str())
    }

    /// `subjectaltname`: the names joined as OpenSSL prints them.
    pub fn subjectaltname(&self) -> Option<String> {
        (!self.alt_names.is_empty()).then(|| self.alt_names.join(", "))
    }

    /// `valid_from`, in OpenSSL's `ASN1_TIME_print` form.
    pub fn valid_from(&self) -> String {
        openssl_time(self.not_before)
    }

    /// `valid_to`.
    pub fn valid_to(&self) -> String {
        openssl_time(self.not_after)
    }

    /// `fingerprint`, `fingerprint256`, `fingerprint512`: the digest of the
    /// DER, upper-case hex bytes joined by colons.
    pub fn fingerprint(&self, algorithm: &'static ring::digest::Algorithm) -> String {
        let digest = ring::digest::digest(algorithm, &self.raw);
        let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
        hex.join(":")
    }
}

/// `Jan  1 00:00:00 2026 GMT`.
fn openssl_time(secs: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = Utc::from_unix(secs);
    format!(
        "{} {:>2} {:02}:{:02}:{:02} {} GMT",
        MONTHS[(t.month - 1) as usize],
        t.day,
        t.hour,
        t.minute,
        t.second,
        t.year
    )
}

/// A Name's attributes by OpenSSL's short names.
fn name(der: &[u8]) -> Result<Vec<(String, String)>, Malformed> {
    let mut seq = Der::new(der).sequence()?;
    let mut out = Vec::new();
    while !seq.done() {
        let mut set = seq.set()?;
        while !set.done() {
            let mut atv = set.sequence()?;
            let oid = oid_string(atv.expect(0x06)?);
            let (_, value) = atv.any()?;
            let key = match oid.as_str() {
                "2.5.4.3" => "CN",
                "2.5.4.6" => "C",
                "2.5.4.7" => "L",
                "2.5.4.8" => "ST",
                "2.5.4.10" => "O",
                "2.5.4.11" => "OU",
                "2.5.4.5" => "serialNumber",
                "1.2.840.113549.1.9.1" => "emailAddress",
                _ => oid.as_str(),
            };
            out.push((key.to_string(), String::from_utf8_lossy(value).into_owned()));
        }
    }
    Ok(out)
}

fn alt_names(der: &[u8]) -> Result<Vec<String>, Malformed> {
    let mut seq = Der::new(der).sequence()?;
    let mut out = Vec::new();
    while let Some(tag) = seq.peek() {
        let (_, v) = seq.any()?;
        let text = String::from_utf8_lossy(v);
        out.push(match tag {
            0x81 => format!("email:{text}"),
            0x82 => format!("DNS:{text}"),
            0x86 => format!("URI:{text}"),
            0x87 => format!("IP Address:{}", ip_text(v)),
            _ => continue,
        });
    }
    Ok(out)
}

/// An IP address as OpenSSL prints it in a SAN: IPv6 as eight hex groups
/// without compression (`0:0:0:0:0:0:0:1`).
fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => format!("{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]),
        16 => bytes
            .chunks(2)
            .map(|g| format!("{:X}", u16::from_be_bytes([g[0], g[1]])))
            .collect::<Vec<_>>()
            .join(":"),
        _ => "<invalid>".to_string(),
    }
}

fn public_key(spki: Vec<u8>) -> Result<PublicKey, Malformed> {
    let mut seq = Der::new(&spki).sequence()?;
    let mut alg = seq.sequence()?;
    let oid = oid_string(alg.expect(0x06)?);
    let bits = seq.expect(0x03)?;
    let key = bits.get(1..).unwrap_or_default();
    Ok(match oid.as_str() {
        "1.2.840.10045.2.1" => {
            let curve = if alg.peek() == Some(0x06) {
                oid_string(alg.expect(0x06)?)
            } else {
                String::new()
            };
            let (bits, asn1, nist) = match curve.as_str() {
                "1.2.840.10045.3.1.7" => (256, Some("prime256v1"), Some("P-256")),
                "1.3.132.0.34" => (384, Some("secp384r1"), Some("P-384")),
                "1.3.132.0.35" => (521, Some("secp521r1"), Some("P-521")),
                _ => (0, None, None),
            };
            PublicKey::Ec {
                bits,
                asn1_curve: asn1,
                nist_curve: nist,
                point: key.to_vec(),
            }
        }
        "1.2.840.113549.1.1.1" => {
            let mut rsa = Der::new(key).sequence()?;
            let n = rsa.expect(0x02)?;
            let e = rsa.expect(0x02)?;
            let n: Vec<u8> = n.iter().copied().skip_while(|b| *b == 0).collect();
            let exponent = e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            PublicKey::Rsa {
                bits: (n.len() as u32 * 8)
                    .saturating_sub(n.first().map_or(0, |b| b.leading_zeros())),
                modulus: n.iter().map(|b| format!("{b:02X}")).collect(),
                exponent: format!("0x{exponent:x}"),
                der: key.to_vec(),
            }
        }
        _ => PublicKey::Other,
    })
}

fn oid_string(bytes: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut value: u64 = 0;
    for (i, b) in bytes.iter().enumerate() {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() && i < bytes.len() {
                let first = (value / 40).min(2);
                parts.push(first);
                parts.push(value - first * 40);
            } else {
                parts.push(value);
            }
            value = 0;
        }
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// A cursor over DER elements.
struct Der<'a> {
    bytes: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8]) -> Der<'a> {
        Der { bytes }
    }

    fn done(&self) -> bool {
        self.bytes.is_empty()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.first().copied()
    }

    /// The next element's tag, header length and body.
    fn header(&self) -> Result<(u8, usize, usize), Malformed> {
        let tag = *self.bytes.first().ok_or(Malformed("truncated"))?;
        let first = *self.bytes.get(1).ok_or(Malformed("truncated"))?;
        let (len, header) = if first < 0x80 {
            (first as usize, 2)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 {
                return Err(Malformed("bad length"));
            }
            let len_bytes = self.bytes.get(2..2 + n).ok_or(Malformed("truncated"))?;
            (
                len_bytes.iter().fold(0usize, |a, b| (a << 8) | *b as usize),
                2 + n,
            )
        };
        if self.bytes.len() < header + len {
            return Err(Malformed("truncated"));
        }
        Ok((tag, header, len))
    }

    /// The next element: its tag and body.
    fn any(&mut self) -> Result<(u8, &'a [u8]), Malformed> {
        let (tag, header, len) = self.header()?;
        let body = &self.bytes[header..header + len];
        self.bytes = &self.bytes[header + len..];
        Ok((tag, body))
    }

    /// The next element with its header, as bytes.
    fn raw_next(&mut self) -> Result<Vec<u8>, Malformed> {
        let (_, header, len) = self.header()?;
        let all = self.bytes[..header + len].to_vec();
        self.bytes = &self.bytes[header + len..];
        Ok(all)
    }

    fn expect(&mut self, tag: u8) -> Result<&'a [u8], Malformed> {
        match self.any()? {
            (t, body) if t == tag => Ok(body),
            _ => Err(Malformed("unexpected element")),
        }
    }

    fn sequence(&mut self) -> Result<Der<'a>, Malformed> {
        self.expect(0x30).map(Der::new)
    }

    fn set(&mut self) -> Result<Der<'a>, Malformed> {
        self.expect(0x31).map(Der::new)
    }

    /// A UTCTime or GeneralizedTime, as seconds since the epoch.
    fn time(&mut self) -> Result<i64, Malformed> {
        let (tag, body) = self.any()?;
        let text = std::str::from_utf8(body).map_err(|_| Malformed("bad time"))?;
        let digits = text.trim_end_matches('Z');
        let (year, rest) = match tag {
            0x17 => {
                let yy: i64 = digits
                    .get(..2)
                    .and_then(|s| s.parse().ok())
                    .ok_or(Malformed("bad time"))?;
                (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &digits[2..])
            }
            0x18 => (
                digits
                    .get(..4)
                    .and_then(|s| s.parse().ok())
                    .ok_or(Malformed("bad time"))?,
                &digits[4..],
            ),
            _ => return Err(Malformed("bad time")),
        };
        let field = |i: usize| -> Result<i64, Malformed> {
            rest.get(i..i + 2)
                .and_then(|s| s.parse().ok())
                .ok_or(Malformed("bad time"))
        };
        Ok(Utc::to_unix(
            year,
            field(0)?,
            field(2)?,
            field(4)?,
            field(6)?,
            field(8)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Certificate {
        let path = format!("{}/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"));
        let pem = std::fs::read(path).unwrap();
        let der = rustls_pemfile::certs(&mut pem.as_slice())
            .unwrap()
            .remove(0);
        Certificate::from_der(&der).unwrap()
    }

    /// The values Node 20 prints for `localhost.pem`.
    #[test]
    fn reads_the_fields_node_prints() {
        let c = fixture("localhost.pem");
        assert_eq!(c.serial_number, "1002");
        assert_eq!(
            c.subject,
            vec![
                ("O".into(), "nodecompat".into()),
                ("CN".into(), "localhost".into())
            ]
        );
        assert_eq!(c.common_name(), Some("localhost"));
        assert_eq!(
            c.subjectaltname().as_deref(),
            Some("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1")
        );
        assert_eq!(c.valid_from(), "Jan  1 00:00:00 2026 GMT");
        assert_eq!(c.valid_to(), "Jan  1 00:00:00 2126 GMT");
        assert!(!c.ca);
        assert_eq!(c.ext_key_usage, Some(vec!["1.3.6.1.5.5.7.3.1".to_string()]));
        assert!(matches!(
            c.key,
            PublicKey::Ec { bits: 256, asn1_curve: Some("prime256v1"), nist_curve: Some("P-256"), ref point } if point.len() == 65
        ));
        assert!(!c.self_issued());
        let ca = fixture("ca.pem");
        assert!(ca.ca && ca.self_issued());
        assert_eq!(c.issuer_der, ca.subject_der);
    }

    proptest::proptest! {
        /// A peer's certificate is untrusted input: any bytes, and any
        /// corruption of a real certificate, give a value or an error.
        #[test]
        fn any_bytes_decode_or_fail(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
                                     at in 0usize..503, with in proptest::num::u8::ANY) {
            let _ = Certificate::from_der(&bytes);
            let mut real = fixture("localhost.pem").raw;
            let at = at % real.len();
            real[at] = with;
            let _ = Certificate::from_der(&real);
        }
    }

    #[test]
    fn truncated_input_is_an_error() {
        let c = fixture("localhost.pem");
        for cut in [0, 1, 10, c.raw.len() / 2] {
            assert!(Certificate::from_der(&c.raw[..cut]).is_err());
        }
    }
}

//! Checking certificates and CRLs against a CA certificate: pure functions over DER bytes.
//!
//! x509-parser builds no chains, so the checks are spelled out: the DER parses with no trailing bytes,
//! the issuer name equals the CA's subject, the CA's key verifies the signature, and (for certificates)
//! the validity period covers the given time.

use super::error::{AuthorityError, CertDefect, CrlDefect};
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::{FromDer, parse_x509_certificate};
use x509_parser::revocation_list::CertificateRevocationList;

/// What a verified certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject common name (the person id for JPKI certificates).
    pub subject_cn: String,
    /// Serial number, minimal big-endian bytes.
    pub serial: Vec<u8>,
    /// Issuer distinguished name, as text.
    pub issuer: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

impl CertInfo {
    /// Serial number as upper-case hex.
    pub fn serial_hex(&self) -> String {
        hex::encode_upper(&self.serial)
    }
}

/// One entry of a verified CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    /// Serial number, minimal big-endian bytes.
    pub serial: Vec<u8>,
    /// When the CA revoked it.
    pub revoked_at: OffsetDateTime,
    /// CRL reason code (RFC 5280 §5.3.1), when present.
    pub reason_code: Option<u8>,
}

impl RevokedEntry {
    /// The reason's RFC 5280 name (`cessationOfOperation`), or `unspecified` when absent.
    pub fn reason_name(&self) -> &'static str {
        reason_name(self.reason_code.unwrap_or(0))
    }
}

/// What a verified CRL says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlInfo {
    /// Issuer distinguished name, as text.
    pub issuer: String,
    /// CRL number extension, when present and at most 64 bits.
    pub number: Option<u64>,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate, when present.
    pub next_update: Option<OffsetDateTime>,
    /// Revoked certificates, in CRL order.
    pub revoked: Vec<RevokedEntry>,
}

impl CrlInfo {
    /// The entry for a serial (minimal big-endian bytes), if revoked.
    pub fn find(&self, serial: &[u8]) -> Option<&RevokedEntry> {
        let serial = minimal(serial);
        self.revoked.iter().find(|e| e.serial == serial)
    }
}

/// A time as `YYYY-MM-DDTHH:MM:SSZ` (UTC), for evidence lines and messages.
pub fn utc_text(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// RFC 5280 name of a CRL reason code.
pub fn reason_name(code: u8) -> &'static str {
    match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => "unknown reason",
    }
}

/// Verifies a certificate against its CA at the current system time: signature, issuer, validity.
pub fn verify_certificate(cert_der: &[u8], ca_der: &[u8]) -> Result<CertInfo, AuthorityError> {
    verify_certificate_at(cert_der, ca_der, OffsetDateTime::now_utc())
}

/// Verifies a certificate against its CA at a given time (for a virtual clock).
pub fn verify_certificate_at(
    cert_der: &[u8],
    ca_der: &[u8],
    at: OffsetDateTime,
) -> Result<CertInfo, AuthorityError> {
    let info = inspect_certificate(cert_der, ca_der)?;
    check_validity(&info, at)?;
    Ok(info)
}

/// Signature and issuer checks only (no validity period).
pub(crate) fn inspect_certificate(
    cert_der: &[u8],
    ca_der: &[u8],
) -> Result<CertInfo, AuthorityError> {
    let err = |detail| AuthorityError::Certificate { detail };
    let ca = parse_ca(ca_der).map_err(|e| err(CertDefect::BadCa(e)))?;
    let (rest, cert) =
        parse_x509_certificate(cert_der).map_err(|e| err(CertDefect::Malformed(e.to_string())))?;
    if !rest.is_empty() {
        return Err(err(CertDefect::TrailingBytes(rest.len())));
    }
    if cert.issuer().as_raw() != ca.subject().as_raw() {
        return Err(err(CertDefect::WrongIssuer {
            issuer: cert.issuer().to_string(),
            ca_subject: ca.subject().to_string(),
        }));
    }
    cert.verify_signature(Some(ca.public_key()))
        .map_err(|e| err(CertDefect::BadSignature(e.to_string())))?;
    let subject_cn = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .ok_or_else(|| err(CertDefect::NoCommonName))?
        .to_string();
    let validity = cert.validity();
    Ok(CertInfo {
        subject_cn,
        serial: minimal(&cert.tbs_certificate.serial.to_bytes_be()).to_vec(),
        issuer: cert.issuer().to_string(),
        not_before: validity.not_before.to_datetime(),
        not_after: validity.not_after.to_datetime(),
    })
}

/// The validity period check of [`verify_certificate_at`].
pub(crate) fn check_validity(info: &CertInfo, at: OffsetDateTime) -> Result<(), AuthorityError> {
    let detail = if at < info.not_before {
        CertDefect::NotYetValid {
            serial: info.serial_hex(),
            not_before: info.not_before,
        }
    } else if at > info.not_after {
        CertDefect::Expired {
            serial: info.serial_hex(),
            not_after: info.not_after,
        }
    } else {
        return Ok(());
    };
    Err(AuthorityError::Certificate { detail })
}

/// Parses a CRL and checks it against the CA: DER, issuer name, signature. The error's `kind` is
/// `None`; [`super::AuthorityClient`] fills it in.
pub fn parse_crl(crl_der: &[u8], ca_der: &[u8]) -> Result<CrlInfo, AuthorityError> {
    parse_crl_inner(crl_der, ca_der).map_err(|detail| AuthorityError::Crl { kind: None, detail })
}

fn parse_crl_inner(crl_der: &[u8], ca_der: &[u8]) -> Result<CrlInfo, CrlDefect> {
    let ca = parse_ca(ca_der).map_err(CrlDefect::BadCa)?;
    let (rest, crl) = CertificateRevocationList::from_der(crl_der)
        .map_err(|e| CrlDefect::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CrlDefect::TrailingBytes(rest.len()));
    }
    if crl.issuer().as_raw() != ca.subject().as_raw() {
        return Err(CrlDefect::WrongIssuer {
            issuer: crl.issuer().to_string(),
            ca_subject: ca.subject().to_string(),
        });
    }
    crl.verify_signature(ca.public_key())
        .map_err(|e| CrlDefect::BadSignature(e.to_string()))?;
    let number = crl.crl_number().and_then(|n| match n.to_u64_digits()[..] {
        [] => Some(0),
        [one] => Some(one),
        _ => None,
    });
    let revoked = crl
        .iter_revoked_certificates()
        .map(|r| RevokedEntry {
            serial: minimal(&r.serial().to_bytes_be()).to_vec(),
            revoked_at: r.revocation_date.to_datetime(),
            reason_code: r.reason_code().map(|(_, code)| code.0),
        })
        .collect();
    Ok(CrlInfo {
        issuer: crl.issuer().to_string(),
        number,
        this_update: crl.last_update().to_datetime(),
        next_update: crl.next_update().map(|t| t.to_datetime()),
        revoked,
    })
}

fn parse_ca(ca_der: &[u8]) -> Result<X509Certificate<'_>, String> {
    let (rest, ca) = parse_x509_certificate(ca_der).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err(format!(
            "{} trailing bytes after the CA certificate",
            rest.len()
        ));
    }
    Ok(ca)
}

/// Strips leading zero bytes (keeps one byte for zero).
fn minimal(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    bytes.get(start..).unwrap_or(bytes)
}

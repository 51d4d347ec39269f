//! The two test CAs of the virtual authority: key loading, CA certificates, leaf issuance, CRL signing.
//!
//! Everything here is visibly a TEST CA (`O=JPKI-SIM (TEST)`), never a copy of the real J-LIS names.

use super::SimAuthorityError;
use crate::types::CertKind;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, OtherNameValue, RevocationReason,
    RevokedCertParams, SanType, SerialNumber, SubjectPublicKeyInfo,
};
use std::path::{Path, PathBuf};
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Organisation of both test CAs.
pub const CA_ORGANIZATION: &str = "JPKI-SIM (TEST)";

/// OID arc of the holder attributes in the sign certificate's subjectAltName otherName entries.
pub const HOLDER_OID_ARC: [u64; 7] = [1, 2, 392, 200149, 8, 5, 5];
/// `…5.5.1`: holder name.
pub const OID_NAME: u64 = 1;
/// `…5.5.2`: holder name, alternative form (kana or substitute characters; the sim repeats the name).
pub const OID_NAME_ALT: u64 = 2;
/// `…5.5.3`: birth date `YYYYMMDD`.
pub const OID_BIRTH_DATE: u64 = 3;
/// `…5.5.4`: sex as one digit (1 male, 2 female, 9 not applicable).
pub const OID_SEX: u64 = 4;
/// `…5.5.5`: address.
pub const OID_ADDRESS: u64 = 5;
/// `…5.5.6`: the fixed TEST marker.
pub const OID_TEST_MARKER: u64 = 6;
/// Fixed-format marker carried by every sign certificate of the virtual authority.
pub const TEST_MARKER: &str = "JPKI-SIM TEST CERTIFICATE - NOT VALID FOR ANY REAL USE";

/// The organisational unit that names one test CA.
pub fn ca_unit(kind: CertKind) -> &'static str {
    match kind {
        CertKind::Auth => "JPKI-SIM for user authentication (TEST)",
        CertKind::Sign => "JPKI-SIM for digital signature (TEST)",
    }
}

/// File name of one CA key under `fixtures/ca/`.
pub fn ca_key_file(kind: CertKind) -> &'static str {
    match kind {
        CertKind::Auth => "ca-auth.pem",
        CertKind::Sign => "ca-sign.pem",
    }
}

/// Path of one CA key given the `fixtures/` directory.
pub fn ca_key_path(fixtures_dir: &Path, kind: CertKind) -> PathBuf {
    fixtures_dir.join("ca").join(ca_key_file(kind))
}

/// A fresh RSA-2048 key as PKCS#8 PEM (slow in debug builds: done once, stored in `fixtures/ca`).
pub fn generate_ca_key_pem() -> Result<String, SimAuthorityError> {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|e| {
        SimAuthorityError::KeyGeneration {
            detail: e.to_string(),
        }
    })?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| SimAuthorityError::KeyGeneration {
            detail: e.to_string(),
        })?;
    Ok(pem.to_string())
}

/// One test CA: its key, its (deterministic, self-signed) certificate and the parameters it issues with.
pub struct TestCa {
    kind: CertKind,
    params: CertificateParams,
    key: KeyPair,
    der: Vec<u8>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TestCa({}, {} byte certificate)",
            self.kind,
            self.der.len()
        )
    }
}

/// What goes into one leaf certificate.
pub struct LeafRequest<'a> {
    pub person_id: &'a str,
    pub spki_der: &'a [u8],
    pub serial: &'a [u8],
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// otherName SAN entries (last OID component, value); empty for auth certificates.
    pub other_names: Vec<(u64, String)>,
}

/// One revoked entry for a CRL.
#[derive(Debug, Clone)]
pub struct CrlEntry {
    pub serial: Vec<u8>,
    pub at: OffsetDateTime,
    pub reason: RevocationReason,
}

impl TestCa {
    /// Loads a CA from its PKCS#8 PEM key and builds its certificate.
    pub fn from_pem(kind: CertKind, pem: &str, file: &Path) -> Result<Self, SimAuthorityError> {
        let key = KeyPair::from_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256).map_err(|e| {
            SimAuthorityError::CaKey {
                path: file.display().to_string(),
                detail: e.to_string(),
            }
        })?;
        let params = ca_params(kind);
        let cert = params
            .self_signed(&key)
            .map_err(|e| SimAuthorityError::Certificate {
                what: format!("{kind} CA certificate"),
                detail: e.to_string(),
            })?;
        Ok(TestCa {
            kind,
            der: cert.der().to_vec(),
            params,
            key,
        })
    }

    /// The CA certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Issues one leaf certificate.
    pub fn issue(&self, req: &LeafRequest<'_>) -> Result<Vec<u8>, SimAuthorityError> {
        let what = format!("{} certificate for {}", self.kind, req.person_id);
        let public_key = SubjectPublicKeyInfo::from_der(req.spki_der).map_err(|e| {
            SimAuthorityError::SubjectKey {
                kind: self.kind,
                detail: e.to_string(),
            }
        })?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, req.person_id);
        params.distinguished_name = dn;
        params.serial_number = Some(SerialNumber::from_slice(req.serial));
        params.not_before = req.not_before;
        params.not_after = req.not_after;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = match self.kind {
            CertKind::Auth => vec![KeyUsagePurpose::DigitalSignature],
            CertKind::Sign => vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::ContentCommitment,
            ],
        };
        params.use_authority_key_identifier_extension = true;
        params.subject_alt_names = req
            .other_names
            .iter()
            .map(|(last, value)| {
                let mut oid = HOLDER_OID_ARC.to_vec();
                oid.push(*last);
                SanType::OtherName((oid, OtherNameValue::Utf8String(value.clone())))
            })
            .collect();
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert =
            params
                .signed_by(&public_key, &issuer)
                .map_err(|e| SimAuthorityError::Certificate {
                    what,
                    detail: e.to_string(),
                })?;
        Ok(cert.der().to_vec())
    }

    /// Signs a CRL with this CA.
    pub fn crl(
        &self,
        number: u64,
        this_update: OffsetDateTime,
        entries: &[CrlEntry],
    ) -> Result<Vec<u8>, SimAuthorityError> {
        let params = CertificateRevocationListParams {
            this_update,
            next_update: this_update + Duration::days(1),
            crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs: entries
                .iter()
                .map(|e| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&e.serial),
                    revocation_time: e.at,
                    reason_code: Some(e.reason),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let issuer = Issuer::from_params(&self.params, &self.key);
        let crl = params
            .signed_by(&issuer)
            .map_err(|e| SimAuthorityError::Certificate {
                what: format!("{} CRL #{number}", self.kind),
                detail: e.to_string(),
            })?;
        Ok(crl.der().to_vec())
    }
}

/// Fixed CA parameters: the CA certificate is the same bytes on every load.
fn ca_params(kind: CertKind) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "JP");
    dn.push(DnType::OrganizationName, CA_ORGANIZATION);
    dn.push(DnType::OrganizationalUnitName, ca_unit(kind));
    params.distinguished_name = dn;
    let serial: [u8; 8] = match kind {
        CertKind::Auth => *b"\x01SIMAUTH",
        CertKind::Sign => *b"\x02SIMSIGN",
    };
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.not_before = utc(2024, Month::January, 1);
    params.not_after = utc(2049, Month::December, 31);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn utc(year: i32, month: Month, day: u8) -> OffsetDateTime {
    match Date::from_calendar_date(year, month, day) {
        Ok(d) => PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_utc(),
        Err(_) => OffsetDateTime::UNIX_EPOCH,
    }
}

/// Japan Standard Time (UTC+9).
fn jst() -> UtcOffset {
    UtcOffset::from_hms(9, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// The end of the holder's 5th birthday strictly after `issued` (JST), in UTC.
///
/// `birth_date` is `YYYYMMDD`; a 29 February birthday falls on 28 February in common years.
pub fn fifth_birthday_after(
    birth_date: &str,
    issued: OffsetDateTime,
) -> Result<OffsetDateTime, SimAuthorityError> {
    let bad = |detail: &str| SimAuthorityError::Holder {
        field: "birth_date",
        detail: format!("{detail} (expected YYYYMMDD)"),
    };
    if birth_date.len() != 8 || !birth_date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("not 8 digits"));
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32, SimAuthorityError> {
        birth_date
            .get(r)
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| bad("not a number"))
    };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| bad("no such month"))?;
    let day = u8::try_from(day).map_err(|_| bad("no such day"))?;
    let year = i32::try_from(year).map_err(|_| bad("no such year"))?;
    Date::from_calendar_date(year, month, day).map_err(|_| bad("no such date"))?;

    let birthday_in = |y: i32| -> Result<Date, SimAuthorityError> {
        Date::from_calendar_date(y, month, day)
            .or_else(|_| Date::from_calendar_date(y, month, day.saturating_sub(1)))
            .map_err(|_| bad("no such date"))
    };
    let issued_day = issued.to_offset(jst()).date();
    let mut y = issued_day.year();
    if birthday_in(y)? <= issued_day {
        y += 1;
    }
    let fifth = birthday_in(y + 4)?;
    let end = PrimitiveDateTime::new(fifth, Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT));
    Ok(end.assume_offset(jst()).to_offset(UtcOffset::UTC))
}

/// Maps a sim revocation cause to its CRL reason code.
pub(crate) fn reason_code(cause: super::RevocationCause) -> RevocationReason {
    use super::RevocationCause as C;
    match cause {
        C::Superseded => RevocationReason::Superseded,
        C::Revoked => RevocationReason::CessationOfOperation,
        C::CleanUp => RevocationReason::PrivilegeWithdrawn,
        C::SuspensionLifted => RevocationReason::KeyCompromise,
    }
}

//! Errors of the authority client. All of them are infrastructure problems, never verdicts.

use super::x509::utc_text;
use crate::transport::TransportError;
use crate::types::CertKind;
use thiserror::Error;
use time::OffsetDateTime;

/// The authority could not be asked, or what it published does not check out.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AuthorityError {
    /// The transport to the authority failed.
    #[error("authority: {0}")]
    Transport(#[from] TransportError),
    /// A published CRL is unusable; `kind` is `None` when the caller did not say which CA.
    #[error("{} CRL: {detail}", kind.map_or("authority", |k| k.as_str()))]
    Crl {
        kind: Option<CertKind>,
        detail: CrlDefect,
    },
    /// A certificate does not verify against its CA (or its CA certificate is unusable).
    #[error("certificate: {detail}")]
    Certificate { detail: CertDefect },
}

/// What is wrong with a CRL.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CrlDefect {
    /// Not a DER CertificateList (includes truncation).
    #[error("malformed DER: {0}")]
    Malformed(String),
    /// Bytes after the CertificateList.
    #[error("{0} trailing bytes after the CRL")]
    TrailingBytes(usize),
    /// The CA certificate given to check it with does not parse.
    #[error("CA certificate unusable: {0}")]
    BadCa(String),
    /// The CRL names another issuer than the CA.
    #[error("issued by `{issuer}`, expected `{ca_subject}`")]
    WrongIssuer { issuer: String, ca_subject: String },
    /// The CA's key does not verify the CRL's signature.
    #[error("signature does not verify with the CA key: {0}")]
    BadSignature(String),
}

/// What is wrong with a certificate.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CertDefect {
    /// Not a DER certificate (includes truncation).
    #[error("malformed DER: {0}")]
    Malformed(String),
    /// Bytes after the certificate.
    #[error("{0} trailing bytes after the certificate")]
    TrailingBytes(usize),
    /// The CA certificate given to check it with does not parse.
    #[error("CA certificate unusable: {0}")]
    BadCa(String),
    /// The certificate names another issuer than the CA.
    #[error("issued by `{issuer}`, expected `{ca_subject}`")]
    WrongIssuer { issuer: String, ca_subject: String },
    /// The CA's key does not verify the certificate's signature.
    #[error("signature does not verify with the CA key: {0}")]
    BadSignature(String),
    /// The subject has no common name.
    #[error("subject has no common name")]
    NoCommonName,
    /// Before notBefore.
    #[error("certificate {serial} not valid before {}", utc_text(*not_before))]
    NotYetValid {
        serial: String,
        not_before: OffsetDateTime,
    },
    /// After notAfter.
    #[error("certificate {serial} expired at {}", utc_text(*not_after))]
    Expired {
        serial: String,
        not_after: OffsetDateTime,
    },
    /// The subject CN is another person than the one asked about.
    #[error("certificate {serial} belongs to `{subject_cn}`, not to `{person}`")]
    WrongPerson {
        serial: String,
        subject_cn: String,
        person: String,
    },
}

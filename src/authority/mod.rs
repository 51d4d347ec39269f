//! The harness's client of the certificate authority (J-LIS or the virtual one), over
//! [`crate::transport::AuthorityTransport`].
//!
//! A status is decided from what the authority publishes: the issuance ledger says which certificate is
//! the newest for a person and device (none: `absent`); the CA-signed CRL says whether it is revoked;
//! the suspension query says whether the person is suspended; otherwise the certificate is valid if its
//! signature and validity period check out. A CRL or certificate that does not verify is an
//! [`AuthorityError`] (infrastructure), never a verdict.

mod client;
mod error;
mod x509;

pub use client::{AuthorityClient, StatusReport};
pub use error::{AuthorityError, CertDefect, CrlDefect};
pub use x509::{
    CertInfo, CrlInfo, RevokedEntry, parse_crl, reason_name, utc_text, verify_certificate,
    verify_certificate_at,
};

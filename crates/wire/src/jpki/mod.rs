//! JPKI as the public readers speak it: the client driver over any [`crate::transport::CardTransport`]
//! (the harness reads cards and SEs with it; the virtual Mynaportal app reads the card over NFC with it),
//! and the constants and pure helpers it shares with the virtual applet: AIDs, EFs, token labels, PIN
//! tries, DigestInfo framing, and DER length parsing ([`der`]).
//!
//! The interface is the one public JPKI readers use (DOMAIN.md, "The card and the phone at the APDU
//! level"). The caller selects the JPKI AP first ([`JpkiClient::select_jpki_ap`]); every other call
//! selects the EF it needs.

mod client;
pub mod der;
mod error;

pub use client::{JpkiClient, PinState, TraceEntry};
pub use error::JpkiError;

use crate::types::{CertKind, PinKind};
use sha2::{Digest, Sha256};

/// AID of the JPKI application (公的個人認証 AP).
pub const JPKI_AP_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// AID of the card-face application (券面 AP).
pub const CARD_FACE_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];
/// AID of the card-face input helper application (券面事項入力補助 AP).
pub const CARD_FACE_HELPER_AID: [u8; 10] =
    [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
/// AID of the residence registry application (住基 AP).
pub const RESIDENCE_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01];

/// EF identifiers inside the JPKI AP.
pub mod ef {
    /// Auth certificate.
    pub const AUTH_CERT: [u8; 2] = [0x00, 0x0A];
    /// Auth CA certificate.
    pub const AUTH_CA: [u8; 2] = [0x00, 0x0B];
    /// Sign certificate.
    pub const SIGN_CERT: [u8; 2] = [0x00, 0x01];
    /// Sign CA certificate.
    pub const SIGN_CA: [u8; 2] = [0x00, 0x02];
    /// Auth private key.
    pub const AUTH_KEY: [u8; 2] = [0x00, 0x17];
    /// Auth PIN.
    pub const AUTH_PIN: [u8; 2] = [0x00, 0x18];
    /// Sign private key.
    pub const SIGN_KEY: [u8; 2] = [0x00, 0x1A];
    /// Sign password.
    pub const SIGN_PIN: [u8; 2] = [0x00, 0x1B];
    /// Token info (CK_TOKEN_INFO, 160 bytes).
    pub const TOKEN_INFO: [u8; 2] = [0x00, 0x06];
}

/// Token label of a My Number Card.
pub const TOKEN_LABEL_CARD: &str = "JPKIAPICCTOKEN2";
/// Token label of a phone's GP-SE JPKI applet.
pub const TOKEN_LABEL_SE: &str = "JPKIAPGPSETOKEN";
/// Size of the token info EF (CK_TOKEN_INFO).
pub const TOKEN_INFO_LEN: usize = 160;
/// Tries of the auth PIN.
pub const AUTH_PIN_TRIES: u8 = 3;
/// Tries of the sign password.
pub const SIGN_PIN_TRIES: u8 = 5;

/// DER prefix of a sha256 DigestInfo, followed by the 32-byte hash.
pub const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The certificate EF of a kind (auth `000A`, sign `0001`).
pub fn cert_ef(kind: CertKind) -> [u8; 2] {
    match kind {
        CertKind::Auth => ef::AUTH_CERT,
        CertKind::Sign => ef::SIGN_CERT,
    }
}

/// The CA certificate EF of a kind (auth `000B`, sign `0002`).
pub fn ca_ef(kind: CertKind) -> [u8; 2] {
    match kind {
        CertKind::Auth => ef::AUTH_CA,
        CertKind::Sign => ef::SIGN_CA,
    }
}

/// The private-key EF of a kind (auth `0017`, sign `001A`).
pub fn key_ef(kind: CertKind) -> [u8; 2] {
    match kind {
        CertKind::Auth => ef::AUTH_KEY,
        CertKind::Sign => ef::SIGN_KEY,
    }
}

/// The PIN EF (auth `0018`, sign `001B`).
pub fn pin_ef(pin: PinKind) -> [u8; 2] {
    match pin {
        PinKind::Auth => ef::AUTH_PIN,
        PinKind::Sign => ef::SIGN_PIN,
    }
}

/// The PIN that guards a certificate kind's key.
pub fn pin_of(kind: CertKind) -> PinKind {
    match kind {
        CertKind::Auth => PinKind::Auth,
        CertKind::Sign => PinKind::Sign,
    }
}

/// Maximum tries of a PIN.
pub fn max_tries(pin: PinKind) -> u8 {
    match pin {
        PinKind::Auth => AUTH_PIN_TRIES,
        PinKind::Sign => SIGN_PIN_TRIES,
    }
}

/// The sha256 DigestInfo of a message (what COMPUTE DIGITAL SIGNATURE takes).
pub fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    let mut out = SHA256_DIGEST_INFO_PREFIX.to_vec();
    out.extend_from_slice(&Sha256::digest(message));
    out
}

/// The sha256 hash inside a sha256 DigestInfo, or `None` when it is not one.
pub fn sha256_from_digest_info(digest_info: &[u8]) -> Option<[u8; 32]> {
    let hash = digest_info.strip_prefix(&SHA256_DIGEST_INFO_PREFIX[..])?;
    hash.try_into().ok()
}

#[cfg(test)]
mod scripted_tests;

//! ADB authentication: Android's RSA public-key format (`RSAPublicKey` struct, base64, ` user@host`),
//! token signatures (PKCS#1 v1.5 over the 20-byte token as if it were a SHA-1 digest), and the device's
//! policy (off, or a list of authorized keys, optionally accepting new ones like a user tapping "allow").

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use thiserror::Error;

/// Words of a 2048-bit modulus.
const WORDS: usize = 64;
/// Bytes of the binary `RSAPublicKey` struct: len, n0inv, n[64], rr[64], exponent.
const STRUCT_LEN: usize = 4 + 4 + 4 * WORDS + 4 * WORDS + 4;
/// DER DigestInfo prefix for SHA-1 (the token is signed as a SHA-1 digest).
const SHA1_PREFIX: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];
/// Length of an AUTH token.
pub const TOKEN_LEN: usize = 20;

/// A public key could not be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    #[error("public key is not base64: {0}")]
    Base64(String),
    #[error("public key struct has {0} bytes, expected {STRUCT_LEN}")]
    Length(usize),
    #[error("public key announces {0} words, only 2048-bit keys are supported")]
    Words(u32),
    #[error("public key is not a valid RSA key: {0}")]
    Rsa(String),
}

fn scheme() -> Pkcs1v15Sign {
    Pkcs1v15Sign {
        hash_len: Some(TOKEN_LEN),
        prefix: Box::new(SHA1_PREFIX),
    }
}

/// Parses an `adbkey.pub` line or an AUTH RSAPUBLICKEY payload (`base64 [user@host]`, maybe NUL-ended).
pub fn parse_public_key(text: &[u8]) -> Result<RsaPublicKey, KeyError> {
    let text = String::from_utf8_lossy(text);
    let b64 = text
        .trim_end_matches('\0')
        .split_whitespace()
        .next()
        .unwrap_or("");
    let raw = STANDARD
        .decode(b64)
        .map_err(|e| KeyError::Base64(e.to_string()))?;
    if raw.len() != STRUCT_LEN {
        return Err(KeyError::Length(raw.len()));
    }
    let word = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
    if word(0) as usize != WORDS {
        return Err(KeyError::Words(word(0)));
    }
    // n is stored as little-endian words, least significant word first: that is little-endian bytes.
    let n = BigUint::from_bytes_le(&raw[8..8 + 4 * WORDS]);
    let e = BigUint::from(word(8 + 8 * WORDS));
    RsaPublicKey::new(n, e).map_err(|e| KeyError::Rsa(e.to_string()))
}

/// Encodes a 2048-bit public key as Android's base64 `RSAPublicKey` followed by ` name`.
pub fn encode_public_key(key: &RsaPublicKey, name: &str) -> Result<String, KeyError> {
    let n = key.n();
    let bytes = n.to_bytes_le();
    if bytes.len() > 4 * WORDS {
        return Err(KeyError::Rsa("modulus longer than 2048 bits".into()));
    }
    let mut n_le = bytes.clone();
    n_le.resize(4 * WORDS, 0);
    let n0 = u32::from_le_bytes([n_le[0], n_le[1], n_le[2], n_le[3]]);
    // n0inv = -1 / n[0] mod 2^32 (Newton iteration; n0 is odd).
    let mut inv: u32 = 1;
    for _ in 0..5 {
        inv = inv.wrapping_mul(2u32.wrapping_sub(n0.wrapping_mul(inv)));
    }
    let n0inv = inv.wrapping_neg();
    let r = BigUint::from(1u8) << (32 * WORDS);
    let rr = (&r * &r) % n;
    let mut rr_le = rr.to_bytes_le();
    rr_le.resize(4 * WORDS, 0);
    let e_bytes = key.e().to_bytes_le();
    if e_bytes.len() > 4 {
        return Err(KeyError::Rsa("exponent too large".into()));
    }
    let e = e_bytes
        .iter()
        .rev()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    let mut raw = Vec::with_capacity(STRUCT_LEN);
    raw.extend_from_slice(&(WORDS as u32).to_le_bytes());
    raw.extend_from_slice(&n0inv.to_le_bytes());
    raw.extend_from_slice(&n_le);
    raw.extend_from_slice(&rr_le);
    raw.extend_from_slice(&e.to_le_bytes());
    Ok(format!("{} {name}", STANDARD.encode(raw)))
}

/// Signs an AUTH token as the adb host does.
pub fn sign_token(key: &RsaPrivateKey, token: &[u8]) -> Result<Vec<u8>, KeyError> {
    key.sign(scheme(), token)
        .map_err(|e| KeyError::Rsa(e.to_string()))
}

/// Checks a token signature against one public key.
pub fn verify_token(key: &RsaPublicKey, token: &[u8], signature: &[u8]) -> bool {
    key.verify(scheme(), token, signature).is_ok()
}

/// Who the device lets in.
#[derive(Debug, Clone)]
pub enum AuthPolicy {
    /// No AUTH: the device answers CNXN at once (like `ro.adb.secure=0`).
    Off,
    /// AUTH required: signatures are checked against `authorized`; an offered public key is added when
    /// `accept_new` (the user taps "Always allow"), else the device stays `unauthorized`.
    Keys {
        authorized: Vec<RsaPublicKey>,
        accept_new: bool,
    },
}

impl AuthPolicy {
    /// True when AUTH is off.
    pub fn is_off(&self) -> bool {
        matches!(self, AuthPolicy::Off)
    }
}

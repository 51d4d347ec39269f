//! Test-only subject keys and holder data shared by the authority tests.

use super::HolderInfo;
use std::sync::OnceLock;

/// The fictitious holder `taro` (TEST).
pub fn holder() -> HolderInfo {
    HolderInfo {
        person_id: "TEST0000000001".into(),
        name: "試験 太郎".into(),
        address: "東京都千代田区試験町1-1 (TEST)".into(),
        birth_date: "19900401".into(),
        sex: 1,
    }
}

/// A fresh P-256 SubjectPublicKeyInfo, DER.
pub fn p256_spki() -> Vec<u8> {
    use p256::pkcs8::EncodePublicKey;
    let key = p256::SecretKey::random(&mut rand::thread_rng());
    key.public_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// An RSA-2048 SubjectPublicKeyInfo, DER (one key per test binary: generation is slow).
pub fn rsa_spki() -> Vec<u8> {
    static SPKI: OnceLock<Vec<u8>> = OnceLock::new();
    SPKI.get_or_init(|| {
        use rsa::pkcs8::EncodePublicKey;
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        key.to_public_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    })
    .clone()
}

//! Test helpers: applet contents from the stored keys, with self-signed rcgen certificates.

use super::{JpkiContents, KeyMaterial};
use crate::keys::fixture_keys_dir;
use crate::secret::Secret;
use rsa::pkcs8::DecodePrivateKey;

/// Card auth PIN used in tests.
pub const AUTH_PIN: &str = "2580";
/// Card sign password used in tests.
pub const SIGN_PIN: &str = "CARDSIGN24";

/// An RSA key from `fixtures/keys/<name>` and a self-signed certificate for it.
pub fn rsa_key_and_cert(name: &str, cn: &str) -> (KeyMaterial, Vec<u8>) {
    let pem = std::fs::read_to_string(fixture_keys_dir().join(name)).unwrap();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
    let kp = rcgen::KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    (KeyMaterial::Rsa(key), self_signed(&kp, cn))
}

/// A fresh P-256 key and a self-signed certificate for it.
pub fn p256_key_and_cert(cn: &str) -> (KeyMaterial, Vec<u8>) {
    use p256::pkcs8::EncodePrivateKey;
    let key = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let pem = key.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap();
    let kp = rcgen::KeyPair::from_pem(&pem).unwrap();
    (KeyMaterial::P256(key), self_signed(&kp, cn))
}

fn self_signed(kp: &rcgen::KeyPair, cn: &str) -> Vec<u8> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "JPKI-SIM TEST");
    params.self_signed(kp).unwrap().der().to_vec()
}

/// Contents of taro's virtual card: RSA keys from the fixtures, self-signed certificates.
pub fn taro_card() -> JpkiContents {
    let (auth_key, auth_cert) = rsa_key_and_cert("card-taro-auth.pem", "TEST0000000001");
    let (sign_key, sign_cert) = rsa_key_and_cert("card-taro-sign.pem", "TEST TARO");
    JpkiContents {
        auth_ca: ca_blob(0x0B),
        sign_ca: ca_blob(0x02),
        auth_cert,
        sign_cert,
        auth_key,
        sign_key,
        auth_pin: Secret::new(AUTH_PIN),
        sign_pin: Secret::new(SIGN_PIN),
    }
}

/// Contents of a phone SE with P-256 keys.
pub fn p256_se() -> JpkiContents {
    let (auth_key, auth_cert) = p256_key_and_cert("SE AUTH");
    let (sign_key, sign_cert) = p256_key_and_cert("SE SIGN");
    JpkiContents {
        auth_ca: ca_blob(0x0B),
        sign_ca: ca_blob(0x02),
        auth_cert,
        sign_cert,
        auth_key,
        sign_key,
        auth_pin: Secret::new("7391"),
        sign_pin: Secret::new("PHONESIGN58"),
    }
}

/// A DER blob standing in for a CA certificate: SEQUENCE of 300 bytes filled with `fill`.
pub fn ca_blob(fill: u8) -> Vec<u8> {
    let mut v = vec![0x30, 0x82, 0x01, 0x2C];
    v.extend(std::iter::repeat_n(fill, 300));
    v
}

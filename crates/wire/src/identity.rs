//! Test identities (`fixtures/identities/*.yaml`): a person with a (virtual or real test) My Number Card,
//! the card's PINs, and the passwords the harness sets on phones for that person.

use crate::secret::{Secret, SecretSet};
use serde::Deserialize;

/// The card side of a test identity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardSecrets {
    /// The card's auth PIN (4 digits).
    pub auth_pin: Secret,
    /// The card's signing password (6–16 of A–Z0–9).
    pub sign_password: Secret,
    /// Stored RSA-2048 test key for the card's auth certificate (PKCS#8 PEM, relative to `fixtures/`).
    pub auth_key: String,
    /// Stored RSA-2048 test key for the card's sign certificate.
    pub sign_key: String,
}

/// What the harness types on a phone when provisioning for this identity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneSecrets {
    /// The phone's auth PIN to set (4 digits).
    pub auth_pin: Secret,
    /// The phone's signing password to set (6–16 of A–Z0–9).
    pub sign_password: Secret,
}

/// A test person. Holder data is fictitious and labelled TEST.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Fixture id, e.g. `taro`.
    pub id: String,
    /// Opaque person id at the authority (the auth certificate's subject CN), e.g. `TEST0000000001`.
    pub person_id: String,
    /// Holder name (Japanese, fictitious).
    pub name: String,
    pub address: String,
    /// `YYYYMMDD`.
    pub birth_date: String,
    /// 1 male, 2 female, 9 not applicable (as on the card).
    pub sex: u8,
    pub card: CardSecrets,
    pub phone: PhoneSecrets,
}

impl Identity {
    /// Adds every secret of this identity to a set.
    pub fn add_secrets(&self, set: &mut SecretSet) {
        set.add(&self.card.auth_pin);
        set.add(&self.card.sign_password);
        set.add(&self.phone.auth_pin);
        set.add(&self.phone.sign_password);
    }
}

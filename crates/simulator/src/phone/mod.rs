//! Virtual phones: an Android shell (as `adb shell` answers it), device state (power, radios, NFC, files,
//! logcat) and the Mynaportal app, over an environment ([`PhoneEnv`]) that holds the SE, the card and the
//! authority.

mod app;
mod device;
pub mod labels;
pub mod png;
mod screencap;
mod screens;
mod shell;
mod xml;

/// A stand-alone environment (authority and SEs in one struct) for testing a phone driver against
/// virtual phones without the whole lab.
pub mod fake_env;
/// Decoding the PNG screenshots a virtual phone draws, for tests.
pub mod png_check;
#[cfg(test)]
mod tests;

pub use device::VirtualPhone;
pub use mynacert_wire::lab::is_simulated_fingerprint;

use crate::secret::Secret;
use crate::types::{CertKind, CertStatus, PinKind};
use thiserror::Error;

/// Why the environment refused a phone's request.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EnvError {
    /// No card is held to this phone.
    #[error("no card on the phone")]
    NoCard,
    /// Wrong PIN or password; `retries` left.
    #[error("wrong password ({retries} tries left)")]
    WrongPassword { retries: u8 },
    /// The PIN or password is blocked.
    #[error("password locked")]
    Locked,
    /// The person's smartphone certificates are suspended.
    #[error("suspended")]
    Suspended,
    /// The authority or SE does not support this phone.
    #[error("not supported")]
    NotSupported,
    /// Any other refusal (the text must carry no secret).
    #[error("refused: {0}")]
    Refused(String),
}

/// The world around a phone: the card held to it, its secure element and the authority.
pub trait PhoneEnv {
    /// The card held to this phone: VERIFY its signing password (counts down), return the holder's person id.
    fn read_card(&mut self, serial: &str, card_sign_password: &Secret) -> Result<String, EnvError>;
    /// (online only) Apply: keys generated in the SE, authority issues; certificates pending until `register`.
    fn apply(
        &mut self,
        serial: &str,
        person: &str,
        auth_pin: &Secret,
        sign_password: &Secret,
        revoke_previous: bool,
    ) -> Result<(), EnvError>;
    /// Whether issued certificates wait to be registered into this phone's SE.
    fn pending(&mut self, serial: &str) -> bool;
    /// Writes the pending certificates into the SE.
    fn register(&mut self, serial: &str) -> Result<(), EnvError>;
    /// Certificates present in the SE.
    fn se_holds(&mut self, serial: &str) -> Vec<CertKind>;
    /// The person whose certificates the SE holds.
    fn se_person(&mut self, serial: &str) -> Option<String>;
    /// VERIFY a PIN of the SE's JPKI applet.
    fn se_verify(&mut self, serial: &str, pin: PinKind, value: &Secret) -> Result<(), EnvError>;
    /// Deletes certificates (and keys) from the SE.
    fn se_delete(&mut self, serial: &str, kinds: &[CertKind]);
    /// Wipes the SE's JPKI applet data.
    fn se_wipe(&mut self, serial: &str);
    /// (online only) Revokes this phone's certificates of a person at the authority; returns how many.
    fn revoke(&mut self, serial: &str, person: &str, kinds: &[CertKind])
    -> Result<usize, EnvError>;
    /// (online only) Revokes the person's certificates on every other phone; returns how many.
    fn revoke_other_devices(&mut self, serial: &str, person: &str) -> Result<usize, EnvError>;
    /// Status at the authority of this phone's certificate of a kind.
    fn status(&mut self, serial: &str, person: &str, kind: CertKind) -> CertStatus;
    /// Whether the person is suspended.
    fn suspended(&mut self, person: &str) -> bool;
    /// Whether a sign certificate was re-issued (after a lift) and waits for download.
    fn sign_reissue_pending(&mut self, serial: &str, person: &str) -> bool;
    /// Downloads the re-issued sign certificate; then `pending` is true until `register`.
    fn reissue_sign(&mut self, serial: &str, person: &str) -> Result<(), EnvError>;
}

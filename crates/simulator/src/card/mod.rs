//! The virtual JPKI applet: one sans-IO state machine that plays a My Number Card or a phone's GP-SE
//! JPKI applet, answering exactly the APDUs of DOMAIN.md. [`AppletTransport`] puts it behind a
//! [`crate::transport::CardTransport`].

mod process;
mod transport;

/// Applets with the stored TEST keys, for tests of JPKI clients (the harness's tests use them too).
pub mod test_support;
#[cfg(test)]
mod tests;

pub use transport::AppletTransport;

use crate::jpki::{self, TOKEN_INFO_LEN, max_tries};
use crate::secret::Secret;
use crate::types::{CertKind, KeyType, PinKind};
use rsa::RsaPrivateKey;
use rsa::traits::PublicKeyParts;
use std::fmt;

/// Which device the applet plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppletKind {
    /// A My Number Card (label `JPKIAPICCTOKEN2`; auth cert readable without PIN).
    Card,
    /// A phone's GP-SE JPKI applet (label `JPKIAPGPSETOKEN`; auth cert behind the auth PIN).
    PhoneSe,
}

impl AppletKind {
    /// The token label in EF 0006.
    pub fn token_label(self) -> &'static str {
        match self {
            AppletKind::Card => jpki::TOKEN_LABEL_CARD,
            AppletKind::PhoneSe => jpki::TOKEN_LABEL_SE,
        }
    }
}

/// A private key held by the applet.
// The variant shapes are the agreed interface; an applet holds two keys, so the size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum KeyMaterial {
    /// RSA-2048 (PKCS#1 v1.5 signatures over the DigestInfo).
    Rsa(RsaPrivateKey),
    /// ECDSA P-256 (DER signatures over the SHA-256 hash in the DigestInfo).
    P256(p256::SecretKey),
}

impl KeyMaterial {
    /// The key type.
    pub fn key_type(&self) -> KeyType {
        match self {
            KeyMaterial::Rsa(_) => KeyType::Rsa2048,
            KeyMaterial::P256(_) => KeyType::P256,
        }
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyMaterial::Rsa(k) => write!(f, "Rsa({}-bit, <private>)", k.size() * 8),
            KeyMaterial::P256(_) => f.write_str("P256(<private>)"),
        }
    }
}

/// Everything personalised into a JPKI applet.
#[derive(Debug, Clone)]
pub struct JpkiContents {
    /// Auth certificate (DER), EF 000A.
    pub auth_cert: Vec<u8>,
    /// Auth CA certificate (DER), EF 000B.
    pub auth_ca: Vec<u8>,
    /// Sign certificate (DER), EF 0001.
    pub sign_cert: Vec<u8>,
    /// Sign CA certificate (DER), EF 0002.
    pub sign_ca: Vec<u8>,
    /// Auth private key, EF 0017.
    pub auth_key: KeyMaterial,
    /// Sign private key, EF 001A.
    pub sign_key: KeyMaterial,
    /// Auth PIN (4 digits), EF 0018.
    pub auth_pin: Secret,
    /// Sign password (6–16 of A–Z0–9), EF 001B.
    pub sign_pin: Secret,
}

/// Behaviour switches, some of them deliberate defects the suites must catch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppletFlags {
    /// Count down wrong PIN entries (default true; false is a defect).
    pub enforce_retries: bool,
    /// Whether reading the auth certificate needs the auth PIN; `None` = per kind (card false, SE true).
    pub auth_cert_needs_pin: Option<bool>,
}

impl Default for AppletFlags {
    fn default() -> Self {
        AppletFlags {
            enforce_retries: true,
            auth_cert_needs_pin: None,
        }
    }
}

/// A certificate and its key.
#[derive(Clone)]
struct Leaf {
    cert: Vec<u8>,
    key: KeyMaterial,
}

/// One side (auth or sign) of the applet. `leaf == None` after a deletion: the EFs are gone, the CA and
/// PIN are only remembered for a later [`JpkiApplet::install_sign`].
#[derive(Clone)]
struct Side {
    leaf: Option<Leaf>,
    ca: Vec<u8>,
    pin: Secret,
    tries_left: u8,
    verified: bool,
}

impl Side {
    fn new(cert: Vec<u8>, ca: Vec<u8>, key: KeyMaterial, pin: Secret, kind: PinKind) -> Self {
        Side {
            leaf: Some(Leaf { cert, key }),
            ca,
            pin,
            tries_left: max_tries(kind),
            verified: false,
        }
    }
}

/// Applications the applet answers SELECT for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    Jpki,
    /// Card-face, helper or residence registry: selectable, no EFs.
    Other([u8; 10]),
}

/// The virtual JPKI applet.
pub struct JpkiApplet {
    kind: AppletKind,
    flags: AppletFlags,
    auth: Option<Side>,
    sign: Option<Side>,
    app: Option<App>,
    current_ef: Option<[u8; 2]>,
}

impl fmt::Debug for JpkiApplet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JpkiApplet")
            .field("kind", &self.kind)
            .field("flags", &self.flags)
            .field("holds", &self.holds())
            .finish_non_exhaustive()
    }
}

impl JpkiApplet {
    /// Contact ATR of a My Number Card.
    pub const CARD_ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

    /// An empty applet (a phone SE before provisioning): AP and token info only.
    pub fn new(kind: AppletKind, flags: AppletFlags) -> Self {
        JpkiApplet {
            kind,
            flags,
            auth: None,
            sign: None,
            app: None,
            current_ef: None,
        }
    }

    /// A personalised applet (a card).
    pub fn with_contents(kind: AppletKind, flags: AppletFlags, contents: JpkiContents) -> Self {
        let mut applet = JpkiApplet::new(kind, flags);
        applet.install(contents);
        applet
    }

    /// Which device this applet plays.
    pub fn kind(&self) -> AppletKind {
        self.kind
    }

    /// The current flags.
    pub fn flags(&self) -> AppletFlags {
        self.flags
    }

    /// Replaces the flags.
    pub fn set_flags(&mut self, flags: AppletFlags) {
        self.flags = flags;
    }

    /// The ATR (the card's contact ATR for both kinds).
    pub fn atr(&self) -> Vec<u8> {
        Self::CARD_ATR.to_vec()
    }

    /// Handles one command APDU; returns response data followed by SW1 SW2. Never panics.
    pub fn process(&mut self, command: &[u8]) -> Vec<u8> {
        self.respond(command).encode()
    }

    /// Power loss / reset: selection and PIN-verified state are cleared (retry counters are kept).
    pub fn power_cycle(&mut self) {
        self.app = None;
        self.current_ef = None;
        self.clear_verified();
    }

    /// Issuer service (PIN unblock at the municipal office): every retry counter back to its maximum.
    pub fn reset_retries(&mut self) {
        for (side, kind) in [
            (&mut self.auth, PinKind::Auth),
            (&mut self.sign, PinKind::Sign),
        ] {
            if let Some(side) = side.as_mut() {
                side.tries_left = max_tries(kind);
                side.verified = false;
            }
        }
    }

    /// GP personalisation: writes certificates, keys and PINs; retries reset to the maximum.
    pub fn install(&mut self, contents: JpkiContents) {
        let c = contents;
        self.auth = Some(Side::new(
            c.auth_cert,
            c.auth_ca,
            c.auth_key,
            c.auth_pin,
            PinKind::Auth,
        ));
        self.sign = Some(Side::new(
            c.sign_cert,
            c.sign_ca,
            c.sign_key,
            c.sign_pin,
            PinKind::Sign,
        ));
        self.current_ef = None;
    }

    /// Re-issued sign certificate (after a suspension is lifted): replaces the sign certificate and key,
    /// keeping the sign CA and password of the last install (an applet never installed gets an empty CA
    /// and a password nothing matches).
    pub fn install_sign(&mut self, sign_cert: Vec<u8>, sign_key: KeyMaterial) {
        let leaf = Leaf {
            cert: sign_cert,
            key: sign_key,
        };
        match &mut self.sign {
            Some(side) => {
                side.leaf = Some(leaf);
                side.verified = false;
            }
            None => {
                self.sign = Some(Side {
                    leaf: Some(leaf),
                    ca: Vec::new(),
                    pin: Secret::new(""),
                    tries_left: max_tries(PinKind::Sign),
                    verified: false,
                });
            }
        }
        self.current_ef = None;
    }

    /// Removes the certificates of `kinds` with their keys, CA and PIN EFs.
    pub fn delete(&mut self, kinds: &[CertKind]) {
        for kind in kinds {
            if let Some(side) = self.side_mut(*kind) {
                side.leaf = None;
                side.verified = false;
            }
        }
        self.current_ef = None;
    }

    /// The certificate kinds present (sign first).
    pub fn holds(&self) -> Vec<CertKind> {
        CertKind::ALL
            .into_iter()
            .filter(|k| self.present(*k).is_some())
            .collect()
    }

    /// The certificate of a kind, if present.
    pub fn certificate(&self, kind: CertKind) -> Option<&[u8]> {
        self.present(kind)
            .and_then(|s| s.leaf.as_ref())
            .map(|l| l.cert.as_slice())
    }

    /// Tries left of a PIN whose EF is present.
    pub fn tries_left(&self, pin: PinKind) -> Option<u8> {
        self.present(cert_kind(pin)).map(|s| s.tries_left)
    }

    /// Whether a PIN is currently verified.
    pub fn is_verified(&self, pin: PinKind) -> bool {
        self.present(cert_kind(pin)).is_some_and(|s| s.verified)
    }

    /// SubjectPublicKeyInfo DER of a key's public part (for the CA).
    pub fn public_key_spki_der(key: &KeyMaterial) -> Vec<u8> {
        use p256::pkcs8::EncodePublicKey as _;
        // Encoding the public part of an in-memory, already valid key cannot fail.
        match key {
            KeyMaterial::Rsa(k) => k
                .to_public_key()
                .to_public_key_der()
                .map(|d| d.as_bytes().to_vec())
                .expect("SPKI encoding of a valid RSA public key"),
            KeyMaterial::P256(k) => k
                .public_key()
                .to_public_key_der()
                .map(|d| d.as_bytes().to_vec())
                .expect("SPKI encoding of a valid P-256 public key"),
        }
    }

    /// The 160-byte CK_TOKEN_INFO of EF 0006: space-padded label, then manufacturer, model, serial.
    pub fn token_info(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(TOKEN_INFO_LEN);
        for (text, width) in [
            (self.kind.token_label(), 32),
            ("JPKI-SIM (TEST)", 32),
            ("VIRTUAL", 16),
            ("0000000000000000", 16),
        ] {
            let mut field = text.as_bytes().to_vec();
            field.resize(width, b' ');
            out.extend_from_slice(&field);
        }
        out.resize(TOKEN_INFO_LEN, 0);
        out
    }

    fn side(&self, kind: CertKind) -> Option<&Side> {
        match kind {
            CertKind::Auth => self.auth.as_ref(),
            CertKind::Sign => self.sign.as_ref(),
        }
    }

    fn side_mut(&mut self, kind: CertKind) -> Option<&mut Side> {
        match kind {
            CertKind::Auth => self.auth.as_mut(),
            CertKind::Sign => self.sign.as_mut(),
        }
    }

    /// The side of a kind when its EFs exist.
    fn present(&self, kind: CertKind) -> Option<&Side> {
        self.side(kind).filter(|s| s.leaf.is_some())
    }

    fn clear_verified(&mut self) {
        for side in [self.auth.as_mut(), self.sign.as_mut()]
            .into_iter()
            .flatten()
        {
            side.verified = false;
        }
    }
}

/// The certificate kind a PIN guards.
fn cert_kind(pin: PinKind) -> CertKind {
    match pin {
        PinKind::Auth => CertKind::Auth,
        PinKind::Sign => CertKind::Sign,
    }
}

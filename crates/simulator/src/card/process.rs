//! Command handling of the virtual applet: SELECT, READ BINARY, VERIFY, CHANGE REFERENCE DATA,
//! COMPUTE DIGITAL SIGNATURE.

use super::{App, AppletKind, JpkiApplet, KeyMaterial, cert_kind};
use crate::apdu::{Command, Response, Sw};
use crate::jpki::{self, ef, max_tries};
use crate::types::{CertKind, PinKind};

/// What an EF of the JPKI AP is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EfRole {
    TokenInfo,
    Cert(CertKind),
    Ca(CertKind),
    Key(CertKind),
    Pin(PinKind),
}

fn ef_role(fid: [u8; 2]) -> Option<EfRole> {
    Some(match fid {
        ef::TOKEN_INFO => EfRole::TokenInfo,
        ef::AUTH_CERT => EfRole::Cert(CertKind::Auth),
        ef::SIGN_CERT => EfRole::Cert(CertKind::Sign),
        ef::AUTH_CA => EfRole::Ca(CertKind::Auth),
        ef::SIGN_CA => EfRole::Ca(CertKind::Sign),
        ef::AUTH_KEY => EfRole::Key(CertKind::Auth),
        ef::SIGN_KEY => EfRole::Key(CertKind::Sign),
        ef::AUTH_PIN => EfRole::Pin(PinKind::Auth),
        ef::SIGN_PIN => EfRole::Pin(PinKind::Sign),
        _ => return None,
    })
}

fn status(sw: Sw) -> Response {
    Response::status(sw)
}

/// Applications other than JPKI that answer SELECT.
const OTHER_AIDS: [[u8; 10]; 3] = [
    jpki::CARD_FACE_AID,
    jpki::CARD_FACE_HELPER_AID,
    jpki::RESIDENCE_AID,
];

impl JpkiApplet {
    pub(super) fn respond(&mut self, raw: &[u8]) -> Response {
        let Ok(cmd) = Command::decode(raw) else {
            return status(Sw::WRONG_LENGTH);
        };
        match (cmd.cla, cmd.ins) {
            (0x00, 0xA4) => self.select(&cmd),
            (0x00, 0xB0) => self.read_binary(&cmd),
            (0x00, 0x20) => self.verify(&cmd),
            (0x00, 0x24) => self.change(&cmd),
            (0x80, 0x2A) => self.sign(&cmd),
            (0x00 | 0x80, _) => status(Sw::INS_NOT_SUPPORTED),
            _ => status(Sw::CLA_NOT_SUPPORTED),
        }
    }

    /// The role of the current EF, when it is in the JPKI AP and still present.
    fn current_role(&self) -> Option<EfRole> {
        if self.app != Some(App::Jpki) {
            return None;
        }
        self.current_ef
            .and_then(ef_role)
            .filter(|r| self.ef_exists(*r))
    }

    fn ef_exists(&self, role: EfRole) -> bool {
        match role {
            EfRole::TokenInfo => true,
            EfRole::Cert(k) | EfRole::Ca(k) | EfRole::Key(k) => self.present(k).is_some(),
            EfRole::Pin(p) => self.present(cert_kind(p)).is_some(),
        }
    }

    fn select(&mut self, cmd: &Command) -> Response {
        match (cmd.p1, cmd.p2) {
            (0x04, 0x0C) => {
                let app = if cmd.data == jpki::JPKI_AP_AID {
                    App::Jpki
                } else if let Some(aid) = OTHER_AIDS.iter().find(|a| cmd.data == a[..]) {
                    App::Other(*aid)
                } else {
                    return status(Sw::FILE_NOT_FOUND);
                };
                if self.app != Some(app) {
                    // Leaving an application loses its security status.
                    self.clear_verified();
                }
                self.app = Some(app);
                self.current_ef = None;
                status(Sw::OK)
            }
            (0x02, 0x0C) => {
                let Ok(fid) = <[u8; 2]>::try_from(cmd.data.as_slice()) else {
                    return status(Sw::WRONG_LENGTH);
                };
                match self.app {
                    Some(App::Jpki) => match ef_role(fid) {
                        Some(role) if self.ef_exists(role) => {
                            self.current_ef = Some(fid);
                            status(Sw::OK)
                        }
                        _ => status(Sw::FILE_NOT_FOUND),
                    },
                    Some(App::Other(_)) | None => status(Sw::FILE_NOT_FOUND),
                }
            }
            _ => status(Sw::INCORRECT_P1P2),
        }
    }

    fn auth_cert_needs_pin(&self) -> bool {
        self.flags
            .auth_cert_needs_pin
            .unwrap_or(self.kind == AppletKind::PhoneSe)
    }

    fn read_binary(&mut self, cmd: &Command) -> Response {
        if cmd.p1 & 0x80 != 0 {
            return status(Sw::INCORRECT_P1P2);
        }
        if !cmd.data.is_empty() {
            return status(Sw::WRONG_LENGTH);
        }
        let Some(le) = cmd.le else {
            return status(Sw::WRONG_LENGTH);
        };
        let Some(role) = self.current_role() else {
            return status(Sw::COMMAND_NOT_ALLOWED);
        };
        let content: Vec<u8> = match role {
            EfRole::TokenInfo => self.token_info(),
            EfRole::Cert(kind) => {
                let needs_pin = match kind {
                    CertKind::Sign => true,
                    CertKind::Auth => self.auth_cert_needs_pin(),
                };
                let Some(side) = self.present(kind) else {
                    return status(Sw::FILE_NOT_FOUND);
                };
                if needs_pin && !side.verified {
                    return status(Sw::SECURITY_STATUS_NOT_SATISFIED);
                }
                side.leaf
                    .as_ref()
                    .map(|l| l.cert.clone())
                    .unwrap_or_default()
            }
            EfRole::Ca(kind) => match self.present(kind) {
                Some(side) => side.ca.clone(),
                None => return status(Sw::FILE_NOT_FOUND),
            },
            EfRole::Key(_) | EfRole::Pin(_) => return status(Sw::INCOMPATIBLE_FILE),
        };
        let offset = usize::from(u16::from_be_bytes([cmd.p1, cmd.p2]));
        if offset >= content.len() {
            return status(Sw::WRONG_P1P2);
        }
        let ne = if le == 0 { 65536 } else { usize::from(le) };
        let end = content.len().min(offset.saturating_add(ne));
        Response::new(
            content.get(offset..end).unwrap_or_default().to_vec(),
            Sw::OK,
        )
    }

    /// The PIN of the current EF, or the status word to answer.
    fn current_pin(&self) -> Result<PinKind, Sw> {
        match self.current_role() {
            Some(EfRole::Pin(p)) => Ok(p),
            _ => Err(Sw::COMMAND_NOT_ALLOWED),
        }
    }

    fn verify(&mut self, cmd: &Command) -> Response {
        if (cmd.p1, cmd.p2) != (0x00, 0x80) {
            return status(Sw::INCORRECT_P1P2);
        }
        let pin = match self.current_pin() {
            Ok(p) => p,
            Err(sw) => return status(sw),
        };
        let enforce = self.flags.enforce_retries;
        let Some(side) = self.side_mut(cert_kind(pin)) else {
            return status(Sw::FILE_NOT_FOUND);
        };
        if side.tries_left == 0 {
            return status(Sw::AUTH_METHOD_BLOCKED);
        }
        if cmd.data.is_empty() {
            // Status query: the tries left as `63 Cx`, spending nothing — also after a good VERIFY in
            // this session (DOMAIN.md; OpenSC's jpki driver reads `63 Cx` and refuses the card on 9000).
            return status(Sw::retries_left(side.tries_left));
        }
        if pin_matches(pin, side.pin.expose(), &cmd.data) {
            side.tries_left = max_tries(pin);
            side.verified = true;
            return status(Sw::OK);
        }
        side.verified = false;
        if enforce {
            side.tries_left = side.tries_left.saturating_sub(1);
        }
        status(Sw::retries_left(side.tries_left))
    }

    fn change(&mut self, cmd: &Command) -> Response {
        if (cmd.p1, cmd.p2) != (0x01, 0x80) {
            return status(Sw::INCORRECT_P1P2);
        }
        let pin = match self.current_pin() {
            Ok(p) => p,
            Err(sw) => return status(sw),
        };
        let Some(side) = self.side_mut(cert_kind(pin)) else {
            return status(Sw::FILE_NOT_FOUND);
        };
        if side.tries_left == 0 {
            return status(Sw::AUTH_METHOD_BLOCKED);
        }
        if !side.verified {
            return status(Sw::SECURITY_STATUS_NOT_SATISFIED);
        }
        let Some(new) = valid_new_pin(pin, &cmd.data) else {
            return status(Sw::WRONG_DATA);
        };
        side.pin = new;
        side.tries_left = max_tries(pin);
        status(Sw::OK)
    }

    fn sign(&mut self, cmd: &Command) -> Response {
        if (cmd.p1, cmd.p2) != (0x00, 0x80) {
            return status(Sw::INCORRECT_P1P2);
        }
        let kind = match self.current_role() {
            Some(EfRole::Key(k)) => k,
            _ => return status(Sw::COMMAND_NOT_ALLOWED),
        };
        if cmd.data.is_empty() {
            return status(Sw::WRONG_LENGTH);
        }
        let Some(side) = self.present(kind) else {
            return status(Sw::FILE_NOT_FOUND);
        };
        if !side.verified {
            return status(Sw::SECURITY_STATUS_NOT_SATISFIED);
        }
        let Some(leaf) = side.leaf.as_ref() else {
            return status(Sw::FILE_NOT_FOUND);
        };
        match sign_digest_info(&leaf.key, &cmd.data) {
            Some(sig) => Response::new(sig, Sw::OK),
            None => status(Sw::WRONG_DATA),
        }
    }
}

/// Compares a presented PIN with the stored one (the sign password case-insensitively, upper-case).
fn pin_matches(pin: PinKind, stored: &str, presented: &[u8]) -> bool {
    match pin {
        PinKind::Auth => stored.as_bytes() == presented,
        PinKind::Sign => {
            !stored.is_empty()
                && stored.to_ascii_uppercase().as_bytes() == presented.to_ascii_uppercase()
        }
    }
}

/// A new PIN if it has the right form: auth 4 digits; sign 6–16 of A–Z0–9 (stored upper-case).
fn valid_new_pin(pin: PinKind, data: &[u8]) -> Option<crate::secret::Secret> {
    let text = std::str::from_utf8(data).ok()?.to_ascii_uppercase();
    let ok = match pin {
        PinKind::Auth => text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()),
        PinKind::Sign => {
            (6..=16).contains(&text.len())
                && text
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        }
    };
    ok.then(|| crate::secret::Secret::new(text))
}

/// RSA: PKCS#1 v1.5 over the DigestInfo as given. P-256: ECDSA (DER) over the SHA-256 hash inside a
/// sha256 DigestInfo. `None` when the input does not fit the key.
fn sign_digest_info(key: &KeyMaterial, digest_info: &[u8]) -> Option<Vec<u8>> {
    match key {
        KeyMaterial::Rsa(k) => k
            .sign(rsa::Pkcs1v15Sign::new_unprefixed(), digest_info)
            .ok(),
        KeyMaterial::P256(k) => {
            use p256::ecdsa::signature::hazmat::PrehashSigner;
            let hash = jpki::sha256_from_digest_info(digest_info)?;
            let signer = p256::ecdsa::SigningKey::from(k);
            let sig: p256::ecdsa::Signature = signer.sign_prehash(&hash).ok()?;
            Some(sig.to_der().as_bytes().to_vec())
        }
    }
}

//! The virtual world behind the virtual lab: phones, their secure elements, the cards, the authority.
//! `WorldEnv` is what a virtual phone's app reaches outside the phone (`PhoneEnv`): the card on its NFC
//! antenna, its own SE, and the authority over the network.

use crate::authority::{
    HolderInfo, SignedPair, SimAuthorityError, SmartphoneOrder, VirtualAuthority,
};
use crate::card::{AppletKind, JpkiApplet, JpkiContents, KeyMaterial};
use crate::jpki::{JpkiClient, PinState};
use crate::phone::{EnvError, PhoneEnv, VirtualPhone};
use crate::secret::Secret;
use crate::transport::{CardTransport, TransportError};
use crate::types::{CertKind, CertStatus, KeyType, PinKind};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// A card of a test identity.
pub(crate) struct VirtualCard {
    pub holder: HolderInfo,
    pub applet: JpkiApplet,
}

/// Certificates issued to a phone and not yet registered into its SE.
enum Pending {
    Pair(Box<JpkiContents>),
    Sign(Vec<u8>, Box<KeyMaterial>),
}

/// Everything outside the phones.
pub(crate) struct WorldEnv {
    pub authority: Arc<Mutex<VirtualAuthority>>,
    pub ses: BTreeMap<String, JpkiApplet>,
    pub se_keys: BTreeMap<String, KeyType>,
    pub cards: BTreeMap<String, VirtualCard>,
    /// identity id → serial of the phone the card is held to.
    pub card_on: BTreeMap<String, String>,
    pending: BTreeMap<String, Pending>,
    /// serial → person whose certificates its SE holds.
    se_owner: BTreeMap<String, String>,
    rsa_pool: Vec<rsa::RsaPrivateKey>,
    next_key: usize,
}

/// The whole virtual world.
pub(crate) struct World {
    /// Each phone behind a lock of its own: phones of a parallel run work side by side.
    pub phones: BTreeMap<String, Mutex<VirtualPhone>>,
    /// What phones share (cards, SEs, the authority), locked for one call at a time ([`SharedEnv`]).
    pub env: Mutex<WorldEnv>,
}

impl World {
    /// The shared environment, locked. A panic while it was held leaves it usable (the simulator keeps
    /// no half-made state across a call).
    pub fn env(&self) -> std::sync::MutexGuard<'_, WorldEnv> {
        self.env
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A phone, locked.
    pub fn phone(&self, serial: &str) -> Option<std::sync::MutexGuard<'_, VirtualPhone>> {
        self.phones
            .get(serial)
            .map(|p| p.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// The environment as a phone sees it while it runs a command: each call locks it for that call only.
pub(crate) struct SharedEnv<'w>(pub &'w Mutex<WorldEnv>);

impl SharedEnv<'_> {
    fn env(&self) -> std::sync::MutexGuard<'_, WorldEnv> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl PhoneEnv for SharedEnv<'_> {
    fn read_card(&mut self, serial: &str, card_sign_password: &Secret) -> Result<String, EnvError> {
        self.env().read_card(serial, card_sign_password)
    }
    fn apply(
        &mut self,
        serial: &str,
        person: &str,
        auth_pin: &Secret,
        sign_password: &Secret,
        revoke_previous: bool,
    ) -> Result<(), EnvError> {
        // The certificates are signed with the world unlocked: other phones go on meanwhile.
        let order = self
            .env()
            .order_apply(serial, person, auth_pin, sign_password)?;
        let signed = order.sign()?;
        self.env()
            .commit_apply(serial, person, signed, revoke_previous)
    }
    fn pending(&mut self, serial: &str) -> bool {
        self.env().pending(serial)
    }
    fn register(&mut self, serial: &str) -> Result<(), EnvError> {
        self.env().register(serial)
    }
    fn se_holds(&mut self, serial: &str) -> Vec<CertKind> {
        self.env().se_holds(serial)
    }
    fn se_person(&mut self, serial: &str) -> Option<String> {
        self.env().se_person(serial)
    }
    fn se_verify(&mut self, serial: &str, pin: PinKind, value: &Secret) -> Result<(), EnvError> {
        self.env().se_verify(serial, pin, value)
    }
    fn se_delete(&mut self, serial: &str, kinds: &[CertKind]) {
        self.env().se_delete(serial, kinds)
    }
    fn se_wipe(&mut self, serial: &str) {
        self.env().se_wipe(serial)
    }
    fn revoke(
        &mut self,
        serial: &str,
        person: &str,
        kinds: &[CertKind],
    ) -> Result<usize, EnvError> {
        self.env().revoke(serial, person, kinds)
    }
    fn revoke_other_devices(&mut self, serial: &str, person: &str) -> Result<usize, EnvError> {
        self.env().revoke_other_devices(serial, person)
    }
    fn status(&mut self, serial: &str, person: &str, kind: CertKind) -> CertStatus {
        self.env().status(serial, person, kind)
    }
    fn suspended(&mut self, person: &str) -> bool {
        self.env().suspended(person)
    }
    fn sign_reissue_pending(&mut self, serial: &str, person: &str) -> bool {
        self.env().sign_reissue_pending(serial, person)
    }
    fn reissue_sign(&mut self, serial: &str, person: &str) -> Result<(), EnvError> {
        self.env().reissue_sign(serial, person)
    }
}

impl WorldEnv {
    pub fn new(authority: Arc<Mutex<VirtualAuthority>>, rsa_pool: Vec<rsa::RsaPrivateKey>) -> Self {
        WorldEnv {
            authority,
            ses: BTreeMap::new(),
            se_keys: BTreeMap::new(),
            cards: BTreeMap::new(),
            card_on: BTreeMap::new(),
            pending: BTreeMap::new(),
            se_owner: BTreeMap::new(),
            rsa_pool,
            next_key: 0,
        }
    }

    fn authority(&self) -> Result<MutexGuard<'_, VirtualAuthority>, EnvError> {
        self.authority
            .lock()
            .map_err(|_| EnvError::Refused("authority state poisoned".into()))
    }

    fn holder(&self, person: &str) -> Result<HolderInfo, EnvError> {
        self.cards
            .values()
            .find(|c| c.holder.person_id == person)
            .map(|c| c.holder.clone())
            .ok_or_else(|| EnvError::Refused(format!("unknown person {person}")))
    }

    fn new_key(&mut self, serial: &str) -> Result<KeyMaterial, EnvError> {
        match self
            .se_keys
            .get(serial)
            .copied()
            .unwrap_or(KeyType::Rsa2048)
        {
            KeyType::P256 => Ok(KeyMaterial::P256(p256::SecretKey::random(
                &mut rand::rngs::OsRng,
            ))),
            KeyType::Rsa2048 => {
                if self.rsa_pool.is_empty() {
                    return Err(EnvError::Refused("SE key pool is empty".into()));
                }
                let key = self.rsa_pool[self.next_key % self.rsa_pool.len()].clone();
                self.next_key += 1;
                Ok(KeyMaterial::Rsa(key))
            }
        }
    }

    fn se(&mut self, serial: &str) -> Result<&mut JpkiApplet, EnvError> {
        self.ses
            .get_mut(serial)
            .ok_or_else(|| EnvError::Refused(format!("{serial} has no secure element")))
    }
}

/// A phone's issuance as the authority agreed to it, with the keys and PINs its SE will hold; signed
/// outside the world's lock ([`SharedEnv`]).
pub(crate) struct ApplyOrder {
    order: SmartphoneOrder,
    keys: (KeyMaterial, KeyMaterial),
    pins: (Secret, Secret),
}

/// A signed [`ApplyOrder`], for [`WorldEnv::commit_apply`].
pub(crate) struct SignedApply {
    pair: SignedPair,
    keys: (KeyMaterial, KeyMaterial),
    pins: (Secret, Secret),
}

impl ApplyOrder {
    /// Signs the certificates (no lock held).
    pub fn sign(self) -> Result<SignedApply, EnvError> {
        Ok(SignedApply {
            pair: self.order.sign().map_err(refusal)?,
            keys: self.keys,
            pins: self.pins,
        })
    }
}

/// What the authority's refusal means to the app.
fn refusal(e: SimAuthorityError) -> EnvError {
    match e {
        SimAuthorityError::Suspended { .. } => EnvError::Suspended,
        other => EnvError::Refused(other.to_string()),
    }
}

impl WorldEnv {
    /// Step one of `apply`: the SE keys and the authority's order (refused while suspended).
    pub fn order_apply(
        &mut self,
        serial: &str,
        person: &str,
        auth_pin: &Secret,
        sign_password: &Secret,
    ) -> Result<ApplyOrder, EnvError> {
        let holder = self.holder(person)?;
        let auth_key = self.new_key(serial)?;
        let sign_key = self.new_key(serial)?;
        let order = self
            .authority()?
            .order_smartphone(
                &holder,
                serial,
                &JpkiApplet::public_key_spki_der(&auth_key),
                &JpkiApplet::public_key_spki_der(&sign_key),
            )
            .map_err(refusal)?;
        let sign_pin = Secret::new(sign_password.expose().to_ascii_uppercase());
        Ok(ApplyOrder {
            order,
            keys: (auth_key, sign_key),
            pins: (auth_pin.clone(), sign_pin),
        })
    }

    /// Step three of `apply`: the authority records the certificates (R2 when `revoke_previous`) and
    /// they wait for the phone to register them into its SE.
    pub fn commit_apply(
        &mut self,
        serial: &str,
        person: &str,
        signed: SignedApply,
        revoke_previous: bool,
    ) -> Result<(), EnvError> {
        let mut authority = self.authority()?;
        let (auth_cert, sign_cert) = authority
            .commit_smartphone(signed.pair, revoke_previous)
            .map_err(refusal)?;
        let contents = JpkiContents {
            auth_cert,
            auth_ca: authority.ca_der(CertKind::Auth),
            sign_cert,
            sign_ca: authority.ca_der(CertKind::Sign),
            auth_key: signed.keys.0,
            sign_key: signed.keys.1,
            auth_pin: signed.pins.0,
            sign_pin: signed.pins.1,
        };
        drop(authority);
        self.pending
            .insert(serial.to_string(), Pending::Pair(Box::new(contents)));
        self.se_owner.insert(serial.to_string(), person.to_string());
        Ok(())
    }
}

/// An in-process APDU transport borrowing an applet.
pub(crate) struct Borrowed<'a> {
    pub name: String,
    pub applet: &'a mut JpkiApplet,
}

impl CardTransport for Borrowed<'_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(self.applet.process(command))
    }
}

fn pin_result(state: Result<PinState, crate::jpki::JpkiError>) -> Result<(), EnvError> {
    match state {
        Ok(PinState::Verified) => Ok(()),
        Ok(PinState::Remaining(n)) => Err(EnvError::WrongPassword { retries: n }),
        Ok(PinState::Blocked) => Err(EnvError::Locked),
        Err(e) => Err(EnvError::Refused(e.to_string())),
    }
}

impl PhoneEnv for WorldEnv {
    fn read_card(&mut self, serial: &str, card_sign_password: &Secret) -> Result<String, EnvError> {
        let id = self
            .card_on
            .iter()
            .find(|(_, s)| s.as_str() == serial)
            .map(|(id, _)| id.clone())
            .ok_or(EnvError::NoCard)?;
        let card = self.cards.get_mut(&id).ok_or(EnvError::NoCard)?;
        card.applet.power_cycle();
        let mut client = JpkiClient::new(Borrowed {
            name: format!("card of {id}"),
            applet: &mut card.applet,
        });
        client
            .select_jpki_ap()
            .map_err(|e| EnvError::Refused(e.to_string()))?;
        pin_result(client.verify(PinKind::Sign, card_sign_password))?;
        let der = client
            .read_certificate(CertKind::Auth)
            .map_err(|e| EnvError::Refused(e.to_string()))?;
        person_of(&der).ok_or_else(|| EnvError::Refused("card auth certificate has no CN".into()))
    }

    fn apply(
        &mut self,
        serial: &str,
        person: &str,
        auth_pin: &Secret,
        sign_password: &Secret,
        revoke_previous: bool,
    ) -> Result<(), EnvError> {
        let order = self.order_apply(serial, person, auth_pin, sign_password)?;
        let signed = order.sign()?;
        self.commit_apply(serial, person, signed, revoke_previous)
    }

    fn pending(&mut self, serial: &str) -> bool {
        self.pending.contains_key(serial)
    }

    fn register(&mut self, serial: &str) -> Result<(), EnvError> {
        let pending = self
            .pending
            .remove(serial)
            .ok_or_else(|| EnvError::Refused("nothing to register".into()))?;
        let se = self.se(serial)?;
        match pending {
            Pending::Pair(contents) => se.install(*contents),
            Pending::Sign(cert, key) => se.install_sign(cert, *key),
        }
        Ok(())
    }

    fn se_holds(&mut self, serial: &str) -> Vec<CertKind> {
        self.ses.get(serial).map(|s| s.holds()).unwrap_or_default()
    }

    fn se_person(&mut self, serial: &str) -> Option<String> {
        if self.se_holds(serial).is_empty() && !self.pending.contains_key(serial) {
            return None;
        }
        self.se_owner.get(serial).cloned()
    }

    fn se_verify(&mut self, serial: &str, pin: PinKind, value: &Secret) -> Result<(), EnvError> {
        let se = self.se(serial)?;
        se.power_cycle();
        let mut client = JpkiClient::new(Borrowed {
            name: format!("SE of {serial}"),
            applet: se,
        });
        client
            .select_jpki_ap()
            .map_err(|e| EnvError::Refused(e.to_string()))?;
        pin_result(client.verify(pin, value))
    }

    fn se_delete(&mut self, serial: &str, kinds: &[CertKind]) {
        if let Some(se) = self.ses.get_mut(serial) {
            se.delete(kinds);
        }
    }

    fn se_wipe(&mut self, serial: &str) {
        self.pending.remove(serial);
        if let Some(se) = self.ses.get_mut(serial) {
            se.delete(&CertKind::ALL);
        }
    }

    fn revoke(
        &mut self,
        serial: &str,
        person: &str,
        kinds: &[CertKind],
    ) -> Result<usize, EnvError> {
        Ok(self.authority()?.revoke(person, serial, kinds))
    }

    fn revoke_other_devices(&mut self, serial: &str, person: &str) -> Result<usize, EnvError> {
        let mut authority = self.authority()?;
        let devices: Vec<String> = authority
            .issued(person)
            .into_iter()
            .map(|r| r.device)
            .filter(|d| d != serial)
            .collect();
        let mut n = 0;
        for d in devices {
            n += authority.revoke(person, &d, &CertKind::ALL);
        }
        Ok(n)
    }

    fn status(&mut self, serial: &str, person: &str, kind: CertKind) -> CertStatus {
        match self.authority() {
            Ok(a) => a.status(person, serial, kind),
            Err(_) => CertStatus::Absent,
        }
    }

    fn suspended(&mut self, person: &str) -> bool {
        self.authority()
            .map(|a| a.is_suspended(person))
            .unwrap_or(false)
    }

    fn sign_reissue_pending(&mut self, serial: &str, person: &str) -> bool {
        self.authority()
            .map(|a| a.sign_reissue_pending(person, serial))
            .unwrap_or(false)
    }

    fn reissue_sign(&mut self, serial: &str, person: &str) -> Result<(), EnvError> {
        let holder = self.holder(person)?;
        let key = self.new_key(serial)?;
        let spki = JpkiApplet::public_key_spki_der(&key);
        let cert = self
            .authority()?
            .reissue_sign(&holder, serial, &spki)
            .map_err(|e| EnvError::Refused(e.to_string()))?;
        self.pending
            .insert(serial.to_string(), Pending::Sign(cert, Box::new(key)));
        Ok(())
    }
}

/// Has the authority issue a certificate pair for two keys and packs it with the keys and PINs, ready to
/// install into an applet (a card at lab start, a phone SE at registration).
pub(crate) fn issue_contents(
    authority: &mut VirtualAuthority,
    (auth_key, sign_key): (KeyMaterial, KeyMaterial),
    (auth_pin, sign_pin): (Secret, Secret),
    issue: impl FnOnce(
        &mut VirtualAuthority,
        &[u8],
        &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), crate::authority::SimAuthorityError>,
) -> Result<JpkiContents, crate::authority::SimAuthorityError> {
    let auth_spki = JpkiApplet::public_key_spki_der(&auth_key);
    let sign_spki = JpkiApplet::public_key_spki_der(&sign_key);
    let (auth_cert, sign_cert) = issue(authority, &auth_spki, &sign_spki)?;
    Ok(JpkiContents {
        auth_cert,
        auth_ca: authority.ca_der(CertKind::Auth),
        sign_cert,
        sign_ca: authority.ca_der(CertKind::Sign),
        auth_key,
        sign_key,
        auth_pin,
        sign_pin,
    })
}

/// The person id of a card or smartphone certificate: its subject CN.
pub(crate) fn person_of(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let cn = cert.subject().iter_common_name().next()?;
    cn.as_str().ok().map(str::to_string)
}

/// A fresh phone SE applet for a unit.
pub(crate) fn new_se(flags: crate::card::AppletFlags) -> JpkiApplet {
    JpkiApplet::new(AppletKind::PhoneSe, flags)
}

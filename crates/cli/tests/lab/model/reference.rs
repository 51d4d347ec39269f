//! The reference model: rules R1–R9 as a few lines of state, written from `DOMAIN.md`, not from the
//! simulator. It predicts, for every action, how the step ends and what the lab must show afterwards.
//! Where the rules leave a point open, the model takes the conformant profile's setting (a factory reset
//! keeps the SE, a revocation on the phone also deletes).

use super::{Action, Certs, Observed, Outcome, PEOPLE, PHONES, SUPPORTED};
use mynacert::secret::Secret;
use mynacert::types::{CertKind, CertStatus};
use std::collections::{BTreeMap, BTreeSet};

/// Tries of the phone's auth PIN and signing password after issuance.
const AUTH_TRIES: u8 = 3;
const SIGN_TRIES: u8 = 5;

/// The secrets of one test identity, as far as the model compares them (redacted in `Debug`).
#[derive(Debug, Clone)]
pub struct Person {
    pub auth_pin: Secret,
    /// Upper-cased, as the app and the SE take it.
    pub sign_password: Secret,
    /// The wrong auth PIN the harness derives from the right one.
    pub wrong_auth_pin: Secret,
}

#[derive(Debug, Clone, Default)]
struct Phone {
    supported: bool,
    app: bool,
    /// Whose certificates the installed app registered (app data: gone with the app).
    registration: Option<usize>,
    airplane: bool,
    powered: bool,
    se: BTreeSet<CertKind>,
    owner: Option<usize>,
    auth_tries: u8,
    sign_tries: u8,
}

impl Phone {
    fn online(&self) -> bool {
        self.powered && !self.airplane
    }
}

/// The model's whole state.
#[derive(Debug, Clone)]
pub struct Model {
    people: Vec<Person>,
    phones: Vec<Phone>,
    /// (person, phone, kind) → the newest certificate is valid (true) or revoked (false).
    certs: BTreeMap<(usize, usize, CertKind), bool>,
    suspended: [bool; PEOPLE],
    /// A sign certificate to re-issue after a lift, per (person, phone).
    reissue: BTreeSet<(usize, usize)>,
}

fn refused(class: &str) -> Outcome {
    Outcome::Refused(class.to_string())
}

impl Model {
    /// Every phone powered, online, with the app installed and an empty SE.
    pub fn new(people: Vec<Person>) -> Self {
        let phones = (0..PHONES)
            .map(|p| Phone {
                supported: p < SUPPORTED,
                app: true,
                powered: true,
                ..Phone::default()
            })
            .collect();
        Model {
            people,
            phones,
            certs: BTreeMap::new(),
            suspended: [false; PEOPLE],
            reissue: BTreeSet::new(),
        }
    }

    /// R2/R4/R5/R6: the authority revokes; a revoked sign certificate is not re-issued later.
    fn revoke(&mut self, who: usize, phone: usize, kinds: &[CertKind]) {
        for k in kinds {
            if let Some(valid) = self.certs.get_mut(&(who, phone, *k)) {
                *valid = false;
            }
            if *k == CertKind::Sign {
                self.reissue.remove(&(who, phone));
            }
        }
    }

    /// An app flow needs a powered phone (else the lab cannot reach it) with the app.
    fn app_flow(&self, on: usize) -> Option<Outcome> {
        let p = &self.phones[on];
        if !p.powered {
            Some(Outcome::Infra)
        } else if !p.app {
            Some(refused("app-not-installed"))
        } else {
            None
        }
    }

    /// Provisioning and revocation (on the phone or of another) need the app's smartphone certificate
    /// menu, which an unsupported model does not offer (R8: nothing changes).
    fn certificate_menu(&self, on: usize) -> Option<Outcome> {
        self.app_flow(on)
            .or((!self.phones[on].supported).then(|| refused("not-offered")))
    }

    /// A shell action needs a powered phone.
    fn shell(&self, on: usize) -> Option<Outcome> {
        (!self.phones[on].powered).then_some(Outcome::Infra)
    }

    /// Applies one action; returns how its step must end.
    pub fn apply(&mut self, action: &Action) -> Outcome {
        match *action {
            Action::Provision { on, who } => self.provision(on, who),
            Action::Register { on } => self.register(on),
            Action::OpenMyPage { on, who } => self.open_my_page(on, who),
            Action::Revoke { on, who, certs } => self.revoke_on_phone(on, who, certs),
            Action::RevokeOther { on, who, with_card } => self.revoke_other(on, who, with_card),
            Action::FactoryReset { on } => {
                if let Some(o) = self.shell(on) {
                    return o;
                }
                // R3: the SE keeps its certificates and the authority is not told.
                let p = &mut self.phones[on];
                p.app = false;
                p.registration = None;
                p.airplane = false;
                Outcome::Done
            }
            Action::Install { on } => {
                if let Some(o) = self.shell(on) {
                    return o;
                }
                self.phones[on].app = true;
                Outcome::Done
            }
            Action::Uninstall { on } => {
                if let Some(o) = self.shell(on) {
                    return o;
                }
                if !self.phones[on].app {
                    return Outcome::Infra;
                }
                // R6: online, uninstalling revokes and removes; offline it changes nothing.
                let p = self.phones[on].clone();
                if p.online()
                    && !p.se.is_empty()
                    && let Some(o) = p.owner
                {
                    let held: Vec<CertKind> = p.se.iter().copied().collect();
                    self.revoke(o, on, &held);
                    self.phones[on].se.clear();
                }
                self.phones[on].app = false;
                self.phones[on].registration = None;
                Outcome::Done
            }
            Action::Airplane { on, airplane } => {
                if let Some(o) = self.shell(on) {
                    return o;
                }
                self.phones[on].airplane = airplane;
                Outcome::Done
            }
            Action::Power { on, up } => {
                if up {
                    self.phones[on].powered = true;
                    return Outcome::Done;
                }
                if let Some(o) = self.shell(on) {
                    return o;
                }
                self.phones[on].powered = false;
                Outcome::Done
            }
            Action::Suspend { who } => {
                self.suspended[who] = true;
                Outcome::Done
            }
            Action::Lift { who } => {
                // R7: lifting restores the auth certificates; the sign ones are re-issued.
                if std::mem::take(&mut self.suspended[who]) {
                    for phone in 0..PHONES {
                        if let Some(valid) = self.certs.get_mut(&(who, phone, CertKind::Sign))
                            && *valid
                        {
                            *valid = false;
                            self.reissue.insert((who, phone));
                        }
                    }
                }
                Outcome::Done
            }
            Action::WrongPin { on, who } => self.wrong_pin(on, who),
        }
    }

    fn provision(&mut self, on: usize, who: usize) -> Outcome {
        if let Some(o) = self.certificate_menu(on) {
            return o;
        }
        if !self.phones[on].online() {
            return refused("network");
        }
        if self.suspended[who] {
            return refused("suspended");
        }
        // R2: every certificate of the person on any other phone is revoked at once, and so is
        // a re-issue still waiting there; the new pair supersedes older ones on this phone.
        for phone in 0..PHONES {
            self.revoke(who, phone, &CertKind::ALL);
        }
        for k in CertKind::ALL {
            self.certs.insert((who, on, k), true);
        }
        // R1: registered into the SE.
        let p = &mut self.phones[on];
        p.se = CertKind::ALL.into_iter().collect();
        p.owner = Some(who);
        p.registration = Some(who);
        p.auth_tries = AUTH_TRIES;
        p.sign_tries = SIGN_TRIES;
        Outcome::Done
    }

    fn register(&mut self, on: usize) -> Outcome {
        if let Some(o) = self.app_flow(on) {
            return o;
        }
        let p = &self.phones[on];
        let waiting = p
            .registration
            .is_some_and(|r| self.reissue.contains(&(r, on)));
        let (true, Some(r)) = (p.online() && waiting, p.registration) else {
            // No register button; an unsupported model's start screen says it is not supported.
            return refused(if p.supported {
                "unexpected-screen"
            } else {
                "not-offered"
            });
        };
        if self.suspended[r] {
            return refused("refused");
        }
        self.reissue.remove(&(r, on));
        self.certs.insert((r, on, CertKind::Sign), true);
        self.phones[on].se.insert(CertKind::Sign);
        Outcome::Done
    }

    /// Typing `who`'s phone PIN against the SE's: a wrong one counts down, a right one resets.
    fn typed(&mut self, on: usize, who: usize, sign: bool) -> Result<(), Outcome> {
        let owner = self.phones[on].owner.unwrap_or(who);
        let (typed, right) = if sign {
            (
                &self.people[who].sign_password,
                &self.people[owner].sign_password,
            )
        } else {
            (&self.people[who].auth_pin, &self.people[owner].auth_pin)
        };
        let same = typed.expose() == right.expose();
        let p = &mut self.phones[on];
        // A PIN lives beside its certificate: with that certificate deleted there is none to verify.
        let kind = if sign { CertKind::Sign } else { CertKind::Auth };
        if !p.se.contains(&kind) {
            return Err(refused("refused"));
        }
        let (tries, full) = if sign {
            (&mut p.sign_tries, SIGN_TRIES)
        } else {
            (&mut p.auth_tries, AUTH_TRIES)
        };
        if *tries == 0 {
            return Err(refused("locked"));
        }
        if same {
            *tries = full;
            Ok(())
        } else {
            // The try that uses the last one still says "wrong" (`63 C0`); locked comes after.
            *tries -= 1;
            Err(refused("wrong-password"))
        }
    }

    fn open_my_page(&mut self, on: usize, who: usize) -> Outcome {
        if let Some(o) = self.app_flow(on) {
            return o;
        }
        if !self.phones[on].online() {
            return refused("network");
        }
        if self.phones[on].se.is_empty() {
            return refused("not-registered");
        }
        if let Err(o) = self.typed(on, who, false) {
            return o;
        }
        let Some(owner) = self.phones[on].owner else {
            return refused("not-registered");
        };
        // R3 clean-up: certificates an earlier install left behind are revoked and deleted.
        if self.phones[on].registration != Some(owner) {
            let held: Vec<CertKind> = self.phones[on].se.iter().copied().collect();
            self.revoke(owner, on, &held);
            self.phones[on].se.clear();
            return Outcome::Done;
        }
        // R7: My Page says the certificates are suspended.
        if self.suspended[owner] {
            return refused("suspended");
        }
        Outcome::Done
    }

    fn revoke_on_phone(&mut self, on: usize, who: usize, certs: Certs) -> Outcome {
        if let Some(o) = self.certificate_menu(on) {
            return o;
        }
        let kinds: Vec<CertKind> = certs
            .kinds()
            .into_iter()
            .filter(|k| self.phones[on].se.contains(k))
            .collect();
        if kinds.is_empty() {
            return refused("not-registered");
        }
        if let Err(o) = self.typed(on, who, true) {
            return o;
        }
        // R4: offline it fails and changes nothing.
        if !self.phones[on].online() {
            return refused("network");
        }
        let Some(owner) = self.phones[on].owner else {
            return refused("not-registered");
        };
        self.revoke(owner, on, &kinds);
        let p = &mut self.phones[on];
        for k in &kinds {
            p.se.remove(k);
        }
        if p.se.is_empty() {
            p.registration = None;
        }
        Outcome::Done
    }

    fn revoke_other(&mut self, on: usize, who: usize, with_card: bool) -> Outcome {
        if let Some(o) = self.certificate_menu(on) {
            return o;
        }
        // R5: only with the physical card.
        if !with_card {
            return refused("card-required");
        }
        if !self.phones[on].online() {
            return refused("network");
        }
        for phone in (0..PHONES).filter(|p| *p != on) {
            self.revoke(who, phone, &CertKind::ALL);
        }
        Outcome::Done
    }

    fn wrong_pin(&mut self, on: usize, who: usize) -> Outcome {
        if !self.phones[on].se.contains(&CertKind::Auth) {
            return Outcome::Infra;
        }
        let owner = self.phones[on].owner.unwrap_or(who);
        let p = &mut self.phones[on];
        if self.people[who].wrong_auth_pin.expose() == self.people[owner].auth_pin.expose() {
            if p.auth_tries > 0 {
                p.auth_tries = AUTH_TRIES;
            }
        } else {
            p.auth_tries = p.auth_tries.saturating_sub(1);
        }
        Outcome::Done
    }

    /// What the lab must show now, with `outcome` the last step's.
    pub fn observed(&self, outcome: Outcome) -> Observed {
        let mut authority = BTreeMap::new();
        for who in 0..PEOPLE {
            for phone in 0..PHONES {
                for k in CertKind::ALL {
                    let status = match self.certs.get(&(who, phone, k)) {
                        None => CertStatus::Absent,
                        Some(false) => CertStatus::Revoked,
                        Some(true) if self.suspended[who] => CertStatus::Suspended,
                        Some(true) => CertStatus::Valid,
                    };
                    authority.insert((who, phone, k), status);
                }
            }
        }
        Observed {
            outcome,
            authority,
            se: self.phones.iter().map(|p| p.se.clone()).collect(),
            auth_tries: self
                .phones
                .iter()
                .map(|p| p.se.contains(&CertKind::Auth).then_some(p.auth_tries))
                .collect(),
            // R9: on a phone even the auth certificate needs the PIN.
            auth_open: self
                .phones
                .iter()
                .map(|p| p.se.contains(&CertKind::Auth).then_some(false))
                .collect(),
            offers: self
                .phones
                .iter()
                .map(|p| (p.powered && p.app).then_some((p.supported, p.supported)))
                .collect(),
            leaks: Vec::new(),
        }
    }
}

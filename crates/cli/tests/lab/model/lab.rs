//! The lab side of the model check: a fresh virtual lab (in process, the harness's own driver code on
//! top), the actions turned into the runner's steps, and what the harness observes after each.

use super::reference::Person;
use super::{Action, Certs, Observed, Outcome, PEOPLE, PHONES, SUPPORTED};
use mynacert::identity::Identity;
use mynacert::jpki::{JpkiClient, PinState};
use mynacert::lab::{OpenLab, PhonePath, UnitInfo};
use mynacert::profile::{DeviceProfile, Quirk};
use mynacert::runner::{Context, LabCell, StepFail, run_step, wrong_pin};
use mynacert::scenario::model::Step;
use mynacert::secret::{Secret, SecretSet};
use mynacert::types::{CertKind, Feature, PinKind};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The identities the model plays.
const IDENTITIES: [&str; PEOPLE] = ["taro", "hanako"];

/// The models of the check: a conformant supported one and a conformant unsupported one, with
/// `quirk` added to the one it applies to.
pub fn profiles(quirk: Option<Quirk>) -> Vec<Arc<DeviceProfile>> {
    let fleet = crate::common::profiles();
    let pick = |id: &str| {
        fleet
            .iter()
            .find(|p| p.id == id)
            .map(|p| (**p).clone())
            .unwrap_or_else(|| panic!("devices/models/{id}.yaml"))
    };
    let mut supported = pick("kumo-km51a");
    let mut unsupported = pick("tsuki-tk10");
    assert!(supported.quirks.is_empty() && unsupported.quirks.is_empty());
    if let Some(q) = quirk {
        if q.applies_to_supported() {
            supported.quirks = vec![q];
        } else {
            unsupported.quirks = vec![q];
        }
    }
    vec![Arc::new(supported), Arc::new(unsupported)]
}

/// The people of the model, with the secrets the harness will type.
pub fn people() -> Vec<Person> {
    let spec = crate::common::spec(profiles(None), PhonePath::InProcess);
    IDENTITIES
        .iter()
        .map(|id| {
            let i = spec
                .identities
                .iter()
                .find(|i| i.id == *id)
                .unwrap_or_else(|| panic!("identity {id}"));
            Person {
                auth_pin: i.phone.auth_pin.clone(),
                sign_password: Secret::new(i.phone.sign_password.expose().to_ascii_uppercase()),
                wrong_auth_pin: wrong_pin(i.phone.auth_pin.expose()),
            }
        })
        .collect()
}

/// A fresh virtual lab with the model's phones and identities bound to roles `p0…` and `i0…`.
pub struct ModelLab {
    open: OpenLab,
    phones: BTreeMap<String, UnitInfo>,
    identities: BTreeMap<String, Identity>,
}

fn role(p: usize) -> String {
    format!("p{p}")
}

fn ident(w: usize) -> String {
    format!("i{w}")
}

impl ModelLab {
    pub fn open(profiles: Vec<Arc<DeviceProfile>>) -> Self {
        let spec = crate::common::spec(profiles, PhonePath::InProcess);
        let open = crate::common::open(&spec);
        let units = open.lab.units();
        let of = |supported: bool| {
            units
                .iter()
                .filter(move |u| u.profile.app_supported() == supported)
                .cloned()
        };
        let chosen: Vec<UnitInfo> = of(true)
            .take(SUPPORTED)
            .chain(of(false).take(PHONES - SUPPORTED))
            .collect();
        assert_eq!(chosen.len(), PHONES, "units: {units:?}");
        let phones = chosen
            .into_iter()
            .enumerate()
            .map(|(i, u)| (role(i), u))
            .collect();
        let identities = IDENTITIES
            .iter()
            .enumerate()
            .map(|(w, id)| {
                let i = open
                    .lab
                    .identities()
                    .iter()
                    .find(|i| i.id == *id)
                    .cloned()
                    .unwrap_or_else(|| panic!("identity {id} in the lab"));
                (ident(w), i)
            })
            .collect();
        ModelLab {
            open,
            phones,
            identities,
        }
    }

    /// Runs `actions` one by one; after each, `check` gets the action, its index and what the lab
    /// shows, and may stop the run with a message.
    pub fn run(
        &mut self,
        actions: &[Action],
        mut check: impl FnMut(usize, &Action, &Observed) -> Result<(), String>,
    ) -> Result<(), String> {
        // The in-process lab answers at once: a screen that is not there now will not come later.
        let mut book = (*self.open.flows).clone();
        book.settings.wait_polls = 1;
        book.settings.wait_interval_ms = 0;
        let flows = Arc::new(book);
        let cell = LabCell::new(self.open.lab.as_mut());
        let mut ctx = Context::new(
            &cell,
            flows,
            self.phones.clone(),
            self.identities.clone(),
            Vec::new(),
        )
        .map_err(|e| format!("lab: {e}"))?;
        // Every phone starts with the app installed.
        for p in 0..PHONES {
            let out = outcome(run_step(&mut ctx, &step(&format!("install-app: {{on: p{p}}}"))).0);
            if out != Outcome::Done {
                return Err(format!("installing the app on p{p}: {out:?}"));
            }
        }
        let secrets: Vec<(String, Secret)> = self
            .identities
            .values()
            .flat_map(|i| {
                [
                    (format!("{}.phone_auth_pin", i.id), i.phone.auth_pin.clone()),
                    (
                        format!("{}.phone_sign_password", i.id),
                        i.phone.sign_password.clone(),
                    ),
                    (
                        format!("{}.card_sign_password", i.id),
                        i.card.sign_password.clone(),
                    ),
                ]
            })
            .collect();
        for (n, a) in actions.iter().enumerate() {
            let out = outcome(run_step(&mut ctx, &step(&yaml(a))).0);
            let seen = observe(&mut ctx, out, &secrets)?;
            check(n, a, &seen)?;
        }
        Ok(())
    }
}

fn step(text: &str) -> Step {
    match serde_saphyr::from_str(text) {
        Ok(s) => s,
        Err(e) => panic!("step `{text}`: {e}"),
    }
}

/// The action as a scenario step, in YAML as a suite would write it.
fn yaml(a: &Action) -> String {
    match *a {
        Action::Provision { on, who } => format!("provision: {{on: p{on}, identity: i{who}}}"),
        Action::Register { on } => format!("register: {{on: p{on}, identity: i0}}"),
        Action::OpenMyPage { on, who } => format!("open-my-page: {{on: p{on}, identity: i{who}}}"),
        Action::Revoke { on, who, certs } => {
            let certs = match certs {
                Certs::Both => "[sign, auth]",
                Certs::Sign => "[sign]",
                Certs::Auth => "[auth]",
            };
            format!("revoke: {{on: p{on}, identity: i{who}, certs: {certs}}}")
        }
        Action::RevokeOther { on, who, with_card } => format!(
            "revoke-other: {{on: p{on}, identity: i{who}, target: p{}, with-card: {with_card}}}",
            (on + 1) % PHONES
        ),
        Action::FactoryReset { on } => format!("factory-reset: {{on: p{on}}}"),
        Action::Install { on } => format!("install-app: {{on: p{on}}}"),
        Action::Uninstall { on } => format!("uninstall-app: {{on: p{on}}}"),
        Action::Airplane { on, airplane } => format!(
            "set-network: {{on: p{on}, mode: {}}}",
            if airplane { "airplane" } else { "online" }
        ),
        Action::Power { on, up } => {
            format!(
                "power: {{on: p{on}, state: {}}}",
                if up { "on" } else { "off" }
            )
        }
        Action::Suspend { who } => format!("suspend: {{identity: i{who}}}"),
        Action::Lift { who } => format!("lift-suspension: {{identity: i{who}}}"),
        Action::WrongPin { on, who } => {
            format!("verify-pin: {{on: p{on}, identity: i{who}, pin: auth, value: wrong}}")
        }
    }
}

/// How the runner's step ended, in the model's terms.
fn outcome(r: Result<String, StepFail>) -> Outcome {
    match r {
        Ok(_) => Outcome::Done,
        Err(StepFail::Infra(_)) => Outcome::Infra,
        Err(StepFail::Conformance { message, .. }) => {
            let class = message
                .split_once("app error `")
                .and_then(|(_, rest)| rest.split_once('`'))
                .map(|(c, _)| c.to_string());
            Outcome::Refused(class.unwrap_or(message))
        }
    }
}

fn observe(
    ctx: &mut Context<'_, '_>,
    outcome: Outcome,
    secrets: &[(String, Secret)],
) -> Result<Observed, String> {
    let mut authority = BTreeMap::new();
    for w in 0..PEOPLE {
        let person = ctx.identities[&ident(w)].person_id.clone();
        for p in 0..PHONES {
            let serial = ctx.phones[&role(p)].serial.clone();
            for k in CertKind::ALL {
                let s = ctx
                    .authority
                    .status(&person, &serial, k)
                    .map_err(|e| format!("authority: {e}"))?;
                authority.insert((w, p, k), s.status);
            }
        }
    }
    let mut seen = Observed {
        outcome,
        authority,
        se: Vec::new(),
        auth_tries: Vec::new(),
        auth_open: Vec::new(),
        offers: Vec::new(),
        leaks: Vec::new(),
    };
    for p in 0..PHONES {
        let r = role(p);
        let se_err = |e: mynacert::jpki::JpkiError| format!("SE of {r}: {e}");
        let mut se: JpkiClient<_> = ctx.se(&r).map_err(fail)?;
        se.select_jpki_ap().map_err(se_err)?;
        let mut held = BTreeSet::new();
        for k in CertKind::ALL {
            if se.holds(k).map_err(se_err)? {
                held.insert(k);
            }
        }
        // A fresh session: nothing verified yet.
        let mut se = ctx.se(&r).map_err(fail)?;
        se.select_jpki_ap().map_err(se_err)?;
        seen.auth_open.push(
            held.contains(&CertKind::Auth)
                .then(|| se.read_certificate(CertKind::Auth).is_ok()),
        );
        seen.auth_tries.push(match se.retries_left(PinKind::Auth) {
            Ok(PinState::Remaining(n)) => Some(n),
            Ok(PinState::Blocked) => Some(0),
            Ok(PinState::Verified) => {
                return Err(format!("{r}: auth PIN verified before any VERIFY"));
            }
            Err(_) => None,
        });
        seen.se.push(held);
        let unit_on = ctx.driver(&r).map_err(fail)?.app_installed();
        match unit_on {
            Ok(true) => {
                let d = ctx.driver(&r).map_err(fail)?;
                let prov = d
                    .offers(Feature::Provisioning)
                    .map_err(|e| format!("{r}: {e}"))?;
                let other = d
                    .offers(Feature::RevokeOther)
                    .map_err(|e| format!("{r}: {e}"))?;
                seen.offers.push(Some((prov, other)));
                let logcat = d.logcat().map_err(|e| format!("{r}: {e}"))?;
                for (name, s) in secrets {
                    if SecretSet::occurs_in(s, logcat.as_bytes()) {
                        seen.leaks.push(format!("{name} in the logcat of {r}"));
                    }
                }
            }
            // Off, or no app: nothing to offer.
            _ => seen.offers.push(None),
        }
    }
    Ok(seen)
}

fn fail(e: StepFail) -> String {
    match e {
        StepFail::Infra(m) => m,
        StepFail::Conformance { message, .. } => message,
    }
}

//! Lifecycle model check (issue 13, item 2): random sequences of lifecycle actions run on the virtual lab
//! through the runner's own steps, and after every step everything observable — how the step ended, the
//! authority's status of every certificate, each SE's contents, PIN tries, whether the auth certificate
//! reads before the PIN, what the app offers, secrets in logcat — must equal what a small reference model
//! of rules R1–R9 predicts. Invariant throughout: at most one phone holds a person's unrevoked
//! smartphone certificates. With any one quirk switched on, the check must find a disagreement.

mod check;
mod lab;
mod reference;

use mynacert::types::{CertKind, CertStatus};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Phones in the model: the first `SUPPORTED` are of a supported model, the rest of an unsupported one.
pub const PHONES: usize = 3;
pub const SUPPORTED: usize = 2;
/// Test identities in the model.
pub const PEOPLE: usize = 2;

/// Which certificates a revocation on the phone chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certs {
    Both,
    Sign,
    Auth,
}

impl Certs {
    pub fn kinds(self) -> Vec<CertKind> {
        match self {
            Certs::Both => CertKind::ALL.to_vec(),
            Certs::Sign => vec![CertKind::Sign],
            Certs::Auth => vec![CertKind::Auth],
        }
    }
}

/// One lifecycle action (`on`: a phone index, `who`: an identity index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Apply with the card, set the phone's passwords, register (R1).
    Provision {
        on: usize,
        who: usize,
    },
    /// Register a re-issued certificate from the start screen.
    Register {
        on: usize,
    },
    /// Log in to My Page with `who`'s phone PIN (the R3 clean-up path after a reinstall).
    OpenMyPage {
        on: usize,
        who: usize,
    },
    /// Revoke on the phone itself with `who`'s phone signing password (R4).
    Revoke {
        on: usize,
        who: usize,
        certs: Certs,
    },
    /// Revoke `who`'s certificates on every other phone, with or without the card (R5).
    RevokeOther {
        on: usize,
        who: usize,
        with_card: bool,
    },
    FactoryReset {
        on: usize,
    },
    Install {
        on: usize,
    },
    /// Uninstall in whatever network state the phone is (R6 online, nothing offline).
    Uninstall {
        on: usize,
    },
    Airplane {
        on: usize,
        airplane: bool,
    },
    Power {
        on: usize,
        up: bool,
    },
    /// The hotline suspends `who` (R7).
    Suspend {
        who: usize,
    },
    Lift {
        who: usize,
    },
    /// A wrong auth PIN against the phone's SE over NFC (R9 retry counter).
    WrongPin {
        on: usize,
        who: usize,
    },
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// The app refused, with this error class from the flow data.
    Refused(String),
    /// The lab could not do it (e.g. the phone is off).
    Infra,
}

/// Everything compared after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub outcome: Outcome,
    /// (identity, phone, kind) → the authority's status of the newest such certificate.
    pub authority: BTreeMap<(usize, usize, CertKind), CertStatus>,
    /// Per phone: what its SE holds.
    pub se: Vec<BTreeSet<CertKind>>,
    /// Per phone: auth PIN tries left (header-only VERIFY), where the SE has an auth PIN.
    pub auth_tries: Vec<Option<u8>>,
    /// Per phone holding an auth certificate: whether it reads before the PIN.
    pub auth_open: Vec<Option<bool>>,
    /// Per powered phone with the app: (offers provisioning, offers revoking another phone).
    pub offers: Vec<Option<(bool, bool)>>,
    /// Secrets found in a phone's logcat (names only).
    pub leaks: Vec<String>,
}

impl Observed {
    /// Field by field, what differs (empty when they agree).
    pub fn diff(&self, lab: &Observed) -> Vec<String> {
        fn cmp<T: std::fmt::Debug + PartialEq>(
            d: &mut Vec<String>,
            what: &str,
            model: &T,
            got: &T,
        ) {
            if model != got {
                d.push(format!("{what}: model {model:?}, lab {got:?}"));
            }
        }
        let mut d = Vec::new();
        cmp(&mut d, "outcome", &self.outcome, &lab.outcome);
        for (key, want) in &self.authority {
            let got = lab
                .authority
                .get(key)
                .copied()
                .unwrap_or(CertStatus::Absent);
            let what = format!("authority {} of person {} on phone {}", key.2, key.0, key.1);
            cmp(&mut d, &what, want, &got);
        }
        for p in 0..PHONES {
            let on = |what: &str| format!("{what} on phone {p}");
            cmp(&mut d, &on("SE contents"), &self.se[p], &lab.se[p]);
            cmp(
                &mut d,
                &on("auth PIN tries"),
                &self.auth_tries[p],
                &lab.auth_tries[p],
            );
            cmp(
                &mut d,
                &on("auth certificate readable before the PIN"),
                &self.auth_open[p],
                &lab.auth_open[p],
            );
            cmp(
                &mut d,
                &on("app offers (provisioning, revoke-other)"),
                &self.offers[p],
                &lab.offers[p],
            );
        }
        cmp(&mut d, "secrets in logcat", &self.leaks, &lab.leaks);
        d
    }

    /// The invariant: at most one phone holds a person's unrevoked smartphone certificates.
    pub fn one_phone_per_person(&self) -> Result<(), String> {
        for who in 0..PEOPLE {
            let phones: BTreeSet<usize> = self
                .authority
                .iter()
                .filter(|((w, _, _), s)| {
                    *w == who && matches!(s, CertStatus::Valid | CertStatus::Suspended)
                })
                .map(|((_, p, _), _)| *p)
                .collect();
            if phones.len() > 1 {
                return Err(format!(
                    "person {who} has unrevoked certificates on phones {phones:?}"
                ));
            }
        }
        Ok(())
    }
}

/// The phone and person a run is mostly about: most actions pick them, so paths that need several
/// actions on one phone (provision, reset, reinstall, open My Page) come up often.
#[derive(Debug, Clone, Copy)]
pub struct Focus {
    phone: usize,
    person: usize,
}

fn phone(f: Focus) -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(f.phone), 1 => 0..PHONES]
}

fn person(f: Focus) -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(f.person), 1 => 0..PEOPLE]
}

/// One action, weighted toward what makes certificates exist and move.
pub fn action(f: Focus) -> impl Strategy<Value = Action> {
    let certs = prop_oneof![Just(Certs::Both), Just(Certs::Sign), Just(Certs::Auth)];
    prop_oneof![
        // Provisioning moves a person between phones (R2): any supported phone as often as the focus.
        8 => (
            prop_oneof![2 => Just(f.phone), 2 => 0..SUPPORTED, 1 => 0..PHONES],
            person(f),
        )
            .prop_map(|(on, who)| Action::Provision { on, who }),
        2 => phone(f).prop_map(|on| Action::Register { on }),
        3 => (phone(f), person(f)).prop_map(|(on, who)| Action::OpenMyPage { on, who }),
        3 => (phone(f), person(f), certs).prop_map(|(on, who, certs)| Action::Revoke { on, who, certs }),
        2 => (phone(f), person(f), any::<bool>())
            .prop_map(|(on, who, with_card)| Action::RevokeOther { on, who, with_card }),
        2 => phone(f).prop_map(|on| Action::FactoryReset { on }),
        2 => phone(f).prop_map(|on| Action::Install { on }),
        2 => phone(f).prop_map(|on| Action::Uninstall { on }),
        3 => (phone(f), any::<bool>()).prop_map(|(on, airplane)| Action::Airplane { on, airplane }),
        2 => (phone(f), any::<bool>()).prop_map(|(on, up)| Action::Power { on, up }),
        1 => person(f).prop_map(|who| Action::Suspend { who }),
        2 => person(f).prop_map(|who| Action::Lift { who }),
        1 => (phone(f), person(f)).prop_map(|(on, who)| Action::WrongPin { on, who }),
    ]
}

/// One action, or a short path the rules name as one: "reinstall + open My Page" (R3's clean-up),
/// after a factory reset or not.
fn chunk(f: Focus) -> impl Strategy<Value = Vec<Action>> {
    prop_oneof![
        8 => action(f).prop_map(|a| vec![a]),
        1 => (phone(f), person(f)).prop_map(|(on, who)| vec![
            Action::Install { on },
            Action::OpenMyPage { on, who },
        ]),
        1 => (phone(f), person(f)).prop_map(|(on, who)| vec![
            Action::FactoryReset { on },
            Action::Install { on },
            Action::OpenMyPage { on, who },
        ]),
    ]
}

/// A run of about `max` actions.
pub fn actions(max: usize) -> impl Strategy<Value = Vec<Action>> {
    // The focus is a supported phone: the lifecycle happens there.
    (0..SUPPORTED, 0..PEOPLE).prop_flat_map(move |(phone, person)| {
        proptest::collection::vec(chunk(Focus { phone, person }), 1..=max.max(1))
            .prop_map(|chunks| chunks.into_iter().flatten().collect::<Vec<_>>())
    })
}

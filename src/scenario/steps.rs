//! Helpers over the scenario model: step names, the roles a step refers to, the outcome fields.

use super::model::{RoleSpec, Scenario, Step};
use crate::types::Rule;

/// Whether a role is played by a phone unit or by a test identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleKind {
    /// A phone unit (`{ phone: {...} }`).
    Phone,
    /// A test identity (`{ identity: {...} }`).
    Identity,
}

impl RoleKind {
    /// `phone` or `identity`, as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Phone => "phone",
            RoleKind::Identity => "identity",
        }
    }
}

impl RoleSpec {
    /// The kind of this role.
    pub fn kind(&self) -> RoleKind {
        match self {
            RoleSpec::Phone(_) => RoleKind::Phone,
            RoleSpec::Identity(_) => RoleKind::Identity,
        }
    }
}

/// One reference from a step to a role: which field, which role name, which kind the field needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleRef<'a> {
    /// The YAML key inside the step (`on`, `identity`, `target`).
    pub field: &'static str,
    /// The role name written there.
    pub role: &'a str,
    /// The kind of role that field needs.
    pub kind: RoleKind,
}

fn phone<'a>(field: &'static str, role: &'a str) -> RoleRef<'a> {
    RoleRef {
        field,
        role,
        kind: RoleKind::Phone,
    }
}

fn ident(role: &str) -> RoleRef<'_> {
    RoleRef {
        field: "identity",
        role,
        kind: RoleKind::Identity,
    }
}

impl Step {
    /// Every step name, as written in YAML.
    pub const NAMES: [&'static str; 23] = [
        "install-app",
        "uninstall-app",
        "reinstall-app",
        "provision",
        "register",
        "open-my-page",
        "revoke",
        "revoke-other",
        "factory-reset",
        "set-network",
        "power",
        "reboot",
        "suspend",
        "lift-suspension",
        "place-card",
        "remove-card",
        "read-se",
        "verify-pin",
        "expect-authority",
        "expect-se",
        "expect-app",
        "expect-screen",
        "expect-no-secret-leak",
    ];

    /// The step's YAML name, e.g. `provision`.
    pub fn name(&self) -> &'static str {
        match self {
            Step::InstallApp(_) => "install-app",
            Step::UninstallApp(_) => "uninstall-app",
            Step::ReinstallApp(_) => "reinstall-app",
            Step::Provision(_) => "provision",
            Step::Register(_) => "register",
            Step::OpenMyPage(_) => "open-my-page",
            Step::Revoke(_) => "revoke",
            Step::RevokeOther(_) => "revoke-other",
            Step::FactoryReset(_) => "factory-reset",
            Step::SetNetwork(_) => "set-network",
            Step::Power(_) => "power",
            Step::Reboot(_) => "reboot",
            Step::Suspend(_) => "suspend",
            Step::LiftSuspension(_) => "lift-suspension",
            Step::PlaceCard(_) => "place-card",
            Step::RemoveCard(_) => "remove-card",
            Step::ReadSe(_) => "read-se",
            Step::VerifyPin(_) => "verify-pin",
            Step::ExpectAuthority(_) => "expect-authority",
            Step::ExpectSe(_) => "expect-se",
            Step::ExpectApp(_) => "expect-app",
            Step::ExpectScreen(_) => "expect-screen",
            Step::ExpectNoSecretLeak(_) => "expect-no-secret-leak",
        }
    }

    /// The roles this step refers to, in field order (`on`, `identity`, `target`).
    pub fn roles(&self) -> Vec<RoleRef<'_>> {
        match self {
            Step::InstallApp(s)
            | Step::UninstallApp(s)
            | Step::ReinstallApp(s)
            | Step::FactoryReset(s)
            | Step::Reboot(s)
            | Step::ExpectNoSecretLeak(s) => vec![phone("on", &s.on)],
            Step::Provision(s) => vec![phone("on", &s.on), ident(&s.identity)],
            Step::Register(s) | Step::OpenMyPage(s) | Step::ReadSe(s) => {
                vec![phone("on", &s.on), ident(&s.identity)]
            }
            Step::Revoke(s) => vec![phone("on", &s.on), ident(&s.identity)],
            Step::RevokeOther(s) => vec![
                phone("on", &s.on),
                ident(&s.identity),
                phone("target", &s.target),
            ],
            Step::SetNetwork(s) => vec![phone("on", &s.on)],
            Step::Power(s) => vec![phone("on", &s.on)],
            Step::Suspend(s) | Step::LiftSuspension(s) | Step::RemoveCard(s) => {
                vec![ident(&s.identity)]
            }
            Step::PlaceCard(s) => vec![phone("on", &s.on), ident(&s.identity)],
            Step::VerifyPin(s) => {
                let mut v: Vec<RoleRef<'_>> = s.on.iter().map(|on| phone("on", on)).collect();
                v.push(ident(&s.identity));
                v
            }
            Step::ExpectAuthority(s) => vec![phone("on", &s.on), ident(&s.identity)],
            Step::ExpectSe(s) => vec![phone("on", &s.on)],
            Step::ExpectApp(s) => vec![phone("on", &s.on)],
            Step::ExpectScreen(s) => vec![phone("on", &s.on)],
        }
    }

    /// The app error class this step must fail with (`expect-error`), if any.
    pub fn expect_error(&self) -> Option<&str> {
        match self {
            Step::Provision(s) => s.expect_error.as_deref(),
            Step::Register(s) | Step::OpenMyPage(s) | Step::ReadSe(s) => s.expect_error.as_deref(),
            Step::Revoke(s) => s.expect_error.as_deref(),
            Step::RevokeOther(s) => s.expect_error.as_deref(),
            _ => None,
        }
    }

    /// The rule this step names to blame (`rule:`), if any.
    pub fn rule(&self) -> Option<Rule> {
        match self {
            Step::InstallApp(s)
            | Step::UninstallApp(s)
            | Step::ReinstallApp(s)
            | Step::FactoryReset(s)
            | Step::Reboot(s)
            | Step::ExpectNoSecretLeak(s) => s.rule,
            Step::Provision(s) => s.rule,
            Step::Register(s) | Step::OpenMyPage(s) | Step::ReadSe(s) => s.rule,
            Step::Revoke(s) => s.rule,
            Step::RevokeOther(s) => s.rule,
            Step::VerifyPin(s) => s.rule,
            Step::ExpectAuthority(s) => s.rule,
            Step::ExpectSe(s) => s.rule,
            Step::ExpectApp(s) => s.rule,
            Step::ExpectScreen(s) => s.rule,
            Step::SetNetwork(_)
            | Step::Power(_)
            | Step::Suspend(_)
            | Step::LiftSuspension(_)
            | Step::PlaceCard(_)
            | Step::RemoveCard(_) => None,
        }
    }
}

impl Scenario {
    /// The kind of the named role, if the scenario declares it.
    pub fn role_kind(&self, role: &str) -> Option<RoleKind> {
        self.roles.get(role).map(RoleSpec::kind)
    }

    /// Names of the roles of one kind, in name order.
    pub fn roles_of(&self, kind: RoleKind) -> Vec<&str> {
        self.roles
            .iter()
            .filter(|(_, spec)| spec.kind() == kind)
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// Every rule this scenario can report: its own `rules` and every step's `rule`, sorted, no repeats.
    pub fn all_rules(&self) -> Vec<Rule> {
        let mut rules = self.rules.clone();
        rules.extend(self.steps.iter().filter_map(|s| s.value.rule()));
        rules.sort();
        rules.dedup();
        rules
    }
}

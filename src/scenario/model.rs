//! The scenario language as parsed from YAML (first pass: serde types, unknown keys refused).
//!
//! ```yaml
//! suite: revocation
//! title: Revocation on the phone itself (R4)
//! scenarios:
//!   - id: revoke-online
//!     title: Online revocation revokes and deletes
//!     rules: [R4]
//!     tags: [revocation, online]
//!     roles:
//!       phone: { phone: { requires: [supported] } }
//!       holder: { identity: { fixture: taro } }
//!     steps:
//!       - provision: { on: phone, identity: holder }
//!       - revoke: { on: phone, identity: holder, certs: [sign, auth] }
//!       - expect-authority: { on: phone, identity: holder, certs: [sign, auth], status: revoked }
//!       - expect-se: { on: phone, holds: [] }
//! ```

use crate::types::{CertKind, CertStatus, PinKind, Rule};
pub use mynacert_wire::types::{Feature, NetworkMode};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// One suite file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// Suite id, e.g. `revocation`.
    pub suite: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub scenarios: Vec<Scenario>,
}

/// One scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Unique within its suite; referred to as `suite/id`.
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Rules this scenario checks; a failing expectation reports these (or the step's own `rule`).
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Role name → what it needs. Ordered by name.
    pub roles: BTreeMap<String, RoleSpec>,
    /// Per phone role: the state the runner brings the unit to before the first step.
    #[serde(default)]
    pub preconditions: BTreeMap<String, Precondition>,
    /// How long a step and the whole scenario may take (default: the certification profile's).
    #[serde(default)]
    pub timeout: Timeouts,
    pub steps: Vec<Spanned<Step>>,
}

/// How long a step and a whole scenario may take, in seconds. A unit or reader that holds a step up past
/// it makes the step an infrastructure error naming it; the unit is checked and quarantined if gone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Seconds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<Seconds>,
}

impl Timeouts {
    /// These, with `defaults` where these say nothing.
    pub fn or(self, defaults: Timeouts) -> Timeouts {
        Timeouts {
            step: self.step.or(defaults.step),
            scenario: self.scenario.or(defaults.scenario),
        }
    }
}

/// A positive, finite number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Seconds(pub f64);

impl Seconds {
    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if v.is_finite() && v > 0.0 && v < 1e9 {
            Ok(Seconds(v))
        } else {
            Err(serde::de::Error::custom(format!(
                "a timeout is a positive number of seconds, e.g. `step: 120`; not {v}"
            )))
        }
    }
}

/// What a role is.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum RoleSpec {
    /// A phone unit.
    Phone(PhoneRole),
    /// A test identity (a person with a My Number Card).
    Identity(IdentityRole),
}

/// Which unit may play a phone role.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneRole {
    /// Capabilities the unit's model must have (see `profile::CAPABILITIES`).
    #[serde(default)]
    pub requires: Vec<String>,
    /// `subject` (default): a unit of the model under certification. `reference`: a unit of a known-good
    /// reference model of the lab, different from every other bound unit.
    #[serde(default)]
    pub model: ModelChoice,
}

/// Whose unit plays a phone role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelChoice {
    #[default]
    Subject,
    Reference,
}

/// Which identity plays an identity role.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityRole {
    /// Fixture id under `fixtures/identities/`, for a scenario that needs that very person; default: any
    /// identity of the lab, a different one per role (a parallel run takes one that is free: R2 lets an
    /// identity serve one execution at a time).
    #[serde(default)]
    pub fixture: Option<String>,
}

/// Wanted state of a phone before the scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Precondition {
    pub app: AppState,
    /// `none`: no smartphone certificate in the SE and none valid at the authority for the test identity.
    pub certificates: CertPrecondition,
    pub network: NetworkMode,
}

impl Default for Precondition {
    fn default() -> Self {
        Precondition {
            app: AppState::Installed,
            certificates: CertPrecondition::None,
            network: NetworkMode::Online,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppState {
    Installed,
    NotInstalled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertPrecondition {
    None,
}

/// One step: an action or an expectation. YAML: `- provision: { on: phone, identity: holder }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    // ---- app lifecycle
    InstallApp(OnPhone),
    UninstallApp(OnPhone),
    /// Uninstall then install.
    ReinstallApp(OnPhone),
    // ---- app flows (Mynaportal UI)
    /// Apply, read the card over NFC, set the phone's PINs (each twice), wait for issuance, register.
    Provision(Provision),
    /// Register a certificate that was (re-)issued, e.g. after a suspension is lifted.
    Register(PhoneIdentity),
    /// Log in to My Page with the phone's auth PIN (triggers the clean-up of stale certificates).
    OpenMyPage(PhoneIdentity),
    /// Revoke this phone's certificates from the phone itself.
    Revoke(Revoke),
    /// Revoke another phone's certificates from this phone, with the physical card.
    RevokeOther(RevokeOther),
    // ---- device
    FactoryReset(OnPhone),
    SetNetwork(SetNetwork),
    Power(Power),
    Reboot(OnPhone),
    // ---- authority (hotline operator)
    Suspend(OnIdentity),
    LiftSuspension(OnIdentity),
    // ---- cards and secure elements over NFC
    /// Hold the identity's card to a phone (stays until `remove-card`).
    PlaceCard(PlaceCard),
    RemoveCard(OnIdentity),
    /// Read the phone's SE over NFC and record what it holds (evidence only).
    ReadSe(PhoneIdentity),
    /// VERIFY against a phone's SE (`on`) or the identity's card (no `on`).
    VerifyPin(VerifyPin),
    // ---- expectations
    ExpectAuthority(ExpectAuthority),
    ExpectSe(ExpectSe),
    ExpectApp(ExpectApp),
    ExpectScreen(ExpectScreen),
    /// Scan logcat and every UI dump of the phone for every secret typed so far (R9).
    ExpectNoSecretLeak(OnPhone),
}

/// Fields every action step may carry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// The step must fail with this app error class (`network`, `card-required`, `suspended`,
    /// `not-offered`, `wrong-password`, …; classes live in the app flow data).
    #[serde(default, rename = "expect-error")]
    pub expect_error: Option<String>,
    /// Rule to blame when this step's expectation fails (default: the scenario's rules).
    #[serde(default)]
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnPhone {
    pub on: String,
    #[serde(default)]
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnIdentity {
    pub identity: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneIdentity {
    pub on: String,
    pub identity: String,
    #[serde(default, rename = "expect-error")]
    pub expect_error: Option<String>,
    #[serde(default)]
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provision {
    pub on: String,
    pub identity: String,
    /// Also register biometrics (only offered on models with a sensor).
    #[serde(default)]
    pub biometrics: bool,
    #[serde(default, rename = "expect-error")]
    pub expect_error: Option<String>,
    #[serde(default)]
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revoke {
    pub on: String,
    pub identity: String,
    pub certs: Vec<CertKind>,
    /// Phone signing password to type; default `${<identity>.phone_sign_password}`.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default, rename = "expect-error")]
    pub expect_error: Option<String>,
    #[serde(default)]
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeOther {
    /// The phone doing the revoking.
    pub on: String,
    pub identity: String,
    /// The phone role whose certificates are revoked.
    pub target: String,
    /// Hold the card to `on` while the app reads it (default true).
    #[serde(default = "yes", rename = "with-card")]
    pub with_card: bool,
    #[serde(default, rename = "expect-error")]
    pub expect_error: Option<String>,
    #[serde(default)]
    pub rule: Option<Rule>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetNetwork {
    pub on: String,
    pub mode: NetworkMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PowerState {
    Off,
    On,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Power {
    pub on: String,
    pub state: PowerState,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceCard {
    pub identity: String,
    pub on: String,
}

/// Which value a `verify-pin` step presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinChoice {
    /// The identity's right PIN for that target.
    Right,
    /// A wrong PIN of the right format, derived from the right one.
    Wrong,
    /// Header-only VERIFY: asks the retries left without spending one.
    Query,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyPin {
    /// Phone role whose SE is checked; absent: the identity's card.
    #[serde(default)]
    pub on: Option<String>,
    pub identity: String,
    pub pin: PinKind,
    pub value: PinChoice,
    /// Expected retries left after the step (`63 Cx`), if any.
    #[serde(default, rename = "expect-retries")]
    pub expect_retries: Option<u8>,
    /// Expect `69 84` (blocked).
    #[serde(default, rename = "expect-blocked")]
    pub expect_blocked: bool,
    #[serde(default)]
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectAuthority {
    pub on: String,
    pub identity: String,
    pub certs: Vec<CertKind>,
    pub status: CertStatus,
    #[serde(default)]
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectSe {
    pub on: String,
    /// Exactly these certificates are present in the SE's JPKI applet.
    pub holds: Vec<CertKind>,
    /// When set: whether the auth certificate reads without the auth PIN (it must not, on a phone).
    #[serde(default, rename = "auth-readable-without-pin")]
    pub auth_readable_without_pin: Option<bool>,
    #[serde(default)]
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectApp {
    pub on: String,
    #[serde(default)]
    pub offers: Vec<Feature>,
    #[serde(default, rename = "does-not-offer")]
    pub does_not_offer: Vec<Feature>,
    #[serde(default)]
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectScreen {
    pub on: String,
    #[serde(default)]
    pub shows: Vec<String>,
    #[serde(default)]
    pub hides: Vec<String>,
    #[serde(default)]
    pub rule: Option<Rule>,
}

/// The certification profile (`suites/certification.yaml`): which scenarios decide a model's verdict.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificationProfile {
    pub profile: String,
    /// Suite version recorded in results.
    pub version: String,
    /// `suite/scenario` ids that must pass for a supported (or planned) model.
    pub mandatory: Vec<String>,
    /// `suite/scenario` ids that must pass for an unsupported model (correct refusal).
    pub unsupported: Vec<String>,
    /// Units per carrier variant that must pass each mandatory scenario.
    #[serde(default = "one")]
    pub required_units: u32,
    /// Default step and scenario timeouts (a scenario's own `timeout:` overrides them).
    #[serde(default)]
    pub timeouts: Timeouts,
}

impl CertificationProfile {
    /// The scenarios that decide `model`'s verdict ([`crate::profile::DeviceProfile::deciding`]).
    pub fn deciding_for(&self, model: &crate::profile::DeviceProfile) -> &[String] {
        model.deciding(&self.mandatory, &self.unsupported)
    }
}

fn one() -> u32 {
    1
}

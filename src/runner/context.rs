//! Per-attempt state: which unit or identity plays each role, the open drivers, and what was typed.

use super::result::Evidence;
use super::shared::LabCell;
use crate::authority::AuthorityClient;
use crate::identity::Identity;
use crate::jpki::JpkiClient;
use crate::lab::{LabError, UnitInfo};
use crate::phone::{DriverError, FlowBook, PhoneDriver};
use crate::secret::Secret;
use crate::transport::{AuthorityTransport, CardTransport};
use crate::types::Rule;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a step did not pass.
#[derive(Debug)]
pub enum StepFail {
    /// The device under test broke a rule.
    Conformance { message: String, rules: Vec<Rule> },
    /// The lab could not do what the step needed.
    Infra(String),
}

impl From<LabError> for StepFail {
    fn from(e: LabError) -> Self {
        StepFail::Infra(e.to_string())
    }
}

impl From<DriverError> for StepFail {
    fn from(e: DriverError) -> Self {
        StepFail::Infra(e.to_string())
    }
}

impl From<crate::authority::AuthorityError> for StepFail {
    fn from(e: crate::authority::AuthorityError) -> Self {
        StepFail::Infra(format!("authority: {e}"))
    }
}

/// What a step produced.
pub type StepOutcome = (Result<String, StepFail>, Evidence);

/// The roles of one attempt, bound.
pub struct Context<'c, 'l> {
    pub lab: &'c LabCell<'l>,
    /// phone role → unit.
    pub phones: BTreeMap<String, UnitInfo>,
    /// identity role → identity.
    pub identities: BTreeMap<String, Identity>,
    drivers: BTreeMap<String, PhoneDriver>,
    flows: Arc<FlowBook>,
    pub authority: AuthorityClient<Box<dyn AuthorityTransport>>,
    /// Secrets typed on each phone role in this attempt, with a safe name for messages.
    pub typed: BTreeMap<String, Vec<(String, Secret)>>,
    /// Rules to blame by default.
    pub default_rules: Vec<Rule>,
    /// person id → ledger length when the scenario started: older certificates are not the scenario's.
    pub baseline: BTreeMap<String, usize>,
    /// What VERIFYs a test card may take.
    pub card_safety: crate::lab::CardSafety,
}

impl<'c, 'l> Context<'c, 'l> {
    /// Opens the authority; phone drivers open lazily.
    pub fn new(
        lab: &'c LabCell<'l>,
        flows: Arc<FlowBook>,
        phones: BTreeMap<String, UnitInfo>,
        identities: BTreeMap<String, Identity>,
        default_rules: Vec<Rule>,
    ) -> Result<Self, LabError> {
        let authority = AuthorityClient::new(lab.authority()?);
        Ok(Context {
            lab,
            phones,
            identities,
            drivers: BTreeMap::new(),
            flows,
            authority,
            typed: BTreeMap::new(),
            default_rules,
            baseline: BTreeMap::new(),
            card_safety: Default::default(),
        })
    }

    /// The lab's rules for its test cards.
    pub fn with_card_safety(mut self, s: crate::lab::CardSafety) -> Self {
        self.card_safety = s;
        self
    }

    /// The unit bound to a phone role.
    pub fn unit(&self, role: &str) -> Result<&UnitInfo, StepFail> {
        self.phones
            .get(role)
            .ok_or_else(|| StepFail::Infra(format!("role `{role}` is not a bound phone")))
    }

    /// Serial of the unit bound to a phone role.
    pub fn serial(&self, role: &str) -> Result<String, StepFail> {
        Ok(self.unit(role)?.serial.clone())
    }

    /// The identity bound to an identity role.
    pub fn identity(&self, role: &str) -> Result<Identity, StepFail> {
        self.identities
            .get(role)
            .cloned()
            .ok_or_else(|| StepFail::Infra(format!("role `{role}` is not a bound identity")))
    }

    /// The driver of a phone role (opened on first use, then kept: one connection per unit).
    pub fn driver(&mut self, role: &str) -> Result<&mut PhoneDriver, StepFail> {
        if !self.drivers.contains_key(role) {
            let serial = self.serial(role)?;
            let driver = PhoneDriver::new(self.lab.phone(&serial)?, self.flows.clone());
            self.drivers.insert(role.to_string(), driver);
        }
        self.drivers
            .get_mut(role)
            .ok_or_else(|| StepFail::Infra(format!("no driver for `{role}`")))
    }

    /// A fresh JPKI session with a phone role's SE over NFC.
    pub fn se(&mut self, role: &str) -> Result<JpkiClient<Box<dyn CardTransport>>, StepFail> {
        let serial = self.serial(role)?;
        Ok(JpkiClient::new(self.lab.secure_element(&serial)?))
    }

    /// A fresh JPKI session with an identity's card on a reader.
    pub fn card(
        &mut self,
        identity_role: &str,
    ) -> Result<JpkiClient<Box<dyn CardTransport>>, StepFail> {
        let id = self.identity(identity_role)?.id;
        Ok(JpkiClient::new(self.lab.card(&id)?))
    }

    /// Remembers that `secret` was typed on a phone role.
    pub fn typed(&mut self, role: &str, name: &str, secret: &Secret) {
        let list = self.typed.entry(role.to_string()).or_default();
        if !list.iter().any(|(n, _)| n == name) {
            list.push((name.to_string(), secret.clone()));
        }
    }

    /// A conformance failure blamed on `rule` or the scenario's rules.
    pub fn fail(&self, rule: Option<Rule>, message: impl Into<String>) -> StepFail {
        StepFail::Conformance {
            message: message.into(),
            rules: rule
                .map(|r| vec![r])
                .unwrap_or_else(|| self.default_rules.clone()),
        }
    }
}

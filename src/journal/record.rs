//! The journal's line types. Every line is one [`Entry`], tagged by `kind`.

use crate::profile::DeviceProfile;
use crate::runner::result::{ScenarioResult, StepRecord};
use crate::scenario::model::CertificationProfile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Journal format version written in the header.
pub const FORMAT: u32 = 1;

/// One line of the journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Entry {
    /// First line: what is being run, where, with what.
    Run(Box<RunHeader>),
    /// A step finished (any attempt).
    Step(Box<StepEntry>),
    /// A scenario finished (all its attempts).
    Scenario(Box<ScenarioEntry>),
    /// The run ended normally.
    Finished(RunFooter),
}

/// A suite file as run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteRecord {
    /// Suite id (`provisioning`), or `certification` for the certification profile.
    pub id: String,
    /// Path inside the run directory's `suites/` copy.
    pub file: String,
    /// SHA-256 (hex) of the file bytes.
    pub digest: String,
}

/// The certification rules a verdict is computed from (a copy of `suites/certification.yaml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertRules {
    pub profile: String,
    /// Suite version recorded in results and in the device list.
    pub version: String,
    pub mandatory: Vec<String>,
    pub unsupported: Vec<String>,
    pub required_units: u32,
}

impl CertRules {
    /// The scenarios that decide `model`'s verdict ([`DeviceProfile::deciding`]).
    pub fn deciding_for(&self, model: &crate::profile::DeviceProfile) -> &[String] {
        model.deciding(&self.mandatory, &self.unsupported)
    }
}

impl From<&CertificationProfile> for CertRules {
    fn from(p: &CertificationProfile) -> Self {
        CertRules {
            profile: p.profile.clone(),
            version: p.version.clone(),
            mandatory: p.mandatory.clone(),
            unsupported: p.unsupported.clone(),
            required_units: p.required_units,
        }
    }
}

/// One phone unit of the lab as seen at the start of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRecord {
    pub serial: String,
    /// Profile id of its model.
    pub model: String,
    pub carrier: String,
    pub reference: bool,
    /// `ro.build.fingerprint`, when the unit answered `getprop`.
    pub fingerprint: Option<String>,
    /// Why the fingerprint is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint_error: Option<String>,
}

/// The first line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunHeader {
    pub format: u32,
    pub run_id: String,
    pub harness_version: String,
    pub lab: String,
    /// Virtual or bench (absent in journals written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab_kind: Option<crate::lab::LabKind>,
    pub started: String,
    pub certification: Option<CertRules>,
    pub suites: Vec<SuiteRecord>,
    /// Every model profile of the lab (verdicts need maker, carriers, expected listing).
    pub models: Vec<DeviceProfile>,
    pub units: Vec<UnitRecord>,
    /// How the phone drivers reached the units ("in process", "ADB through the adb server at …").
    #[serde(default)]
    pub phones: Option<String>,
    /// What the command selected (suites, models, lab file, …), as the CLI records it to resume the
    /// run with the same selection. No secrets: a run's options name none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<serde_json::Value>,
    /// The part of the run this directory holds (`--partition K/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<crate::runner::Partition>,
    /// The run directories `mynacert merge` joined into this one (their run ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

/// A finished step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepEntry {
    pub run_id: String,
    /// Wall-clock time the line was written (RFC 3339).
    pub at: String,
    /// `suite/scenario`.
    pub scenario: String,
    pub model: String,
    pub unit: Option<String>,
    /// 1-based attempt of the scenario.
    pub attempt: u32,
    /// The execution's number in the run (absent in journals written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// Setup, scenario step or clean-up (older journals: scenario step).
    #[serde(default)]
    pub phase: crate::runner::result::Phase,
    pub step: StepRecord,
}

/// A finished scenario, with everything a report needs about it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioEntry {
    pub run_id: String,
    pub at: String,
    /// 1-based position in the run.
    pub index: usize,
    /// SHA-256 of the suite file the scenario came from.
    pub suite_digest: Option<String>,
    /// Build fingerprint of every bound unit (serial → fingerprint).
    pub fingerprints: BTreeMap<String, String>,
    pub result: ScenarioResult,
    /// Attempts cut short because the host running them was lost (a queue worker killed or cut off from
    /// the store): infrastructure errors of that host, not of the device, so they make nothing flaky.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<LostAttempt>,
}

impl ScenarioEntry {
    /// The line for a finished execution, written now: the fingerprints of its bound units (from the
    /// run's `known` serial → fingerprint), no lost attempts.
    pub fn finished(
        run_id: &str,
        index: usize,
        result: &ScenarioResult,
        suite_digest: Option<String>,
        known: &BTreeMap<String, String>,
    ) -> ScenarioEntry {
        ScenarioEntry {
            run_id: run_id.to_string(),
            at: crate::runner::now(),
            index,
            suite_digest,
            fingerprints: result
                .bindings
                .values()
                .filter_map(|s| Some((s.clone(), known.get(s)?.clone())))
                .collect(),
            result: result.clone(),
            lost: Vec::new(),
        }
    }
}

/// An attempt a lost host did not finish ([`ScenarioEntry::lost`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostAttempt {
    /// The worker that held the execution.
    pub worker: String,
    pub host: String,
    /// When another worker found its lease expired and took the execution over (RFC 3339).
    pub lost_at: String,
}

/// The last line of a run that ended normally.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunFooter {
    pub run_id: String,
    pub finished: String,
    pub scenarios: usize,
}

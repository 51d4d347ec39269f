//! What a run records: every attempt of every scenario, every step with its evidence. Pass / fail /
//! flaky is derived in one place ([`ScenarioResult::status`]).

use crate::types::Rule;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which part of an attempt a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Preconditions brought about before the scenario's steps (numbered in their own list).
    Setup,
    /// One of the scenario's steps.
    #[default]
    Step,
    /// Clean-up and the automatic checks after the steps (numbered in their own list).
    Cleanup,
}

/// Status of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Passed,
    /// The device broke a rule.
    Failed,
    /// The lab broke (transport, setup): no verdict.
    Error,
    /// Not run because an earlier step stopped the scenario.
    NotRun,
}

/// Evidence kept for a step. Secrets are redacted before anything lands here.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// APDU trace, VERIFY/CHANGE data redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apdu: Vec<String>,
    /// Shell command lines sent (typed secrets redacted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    /// The app's screen when the step ended (excerpt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<String>,
    /// Authority status lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authority: Vec<String>,
    /// Logcat excerpt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logcat: Option<String>,
    /// Screenshot of the (first) phone of a failing step: PNG, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screenshot_png: Option<String>,
}

impl Evidence {
    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.apdu.is_empty()
            && self.commands.is_empty()
            && self.screen.is_none()
            && self.authority.is_empty()
            && self.logcat.is_none()
            && self.screenshot_png.is_none()
    }
}

/// One step as run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    /// 1-based position; setup steps are numbered in their own list.
    pub index: usize,
    /// Step name, e.g. `provision on=new identity=holder`.
    pub name: String,
    pub status: StepStatus,
    pub duration_ms: f64,
    pub message: String,
    /// Rules a failure breaks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Evidence::is_empty")]
    pub evidence: Evidence,
}

/// Outcome of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttemptStatus {
    Passed,
    Failed,
    Error,
}

/// One attempt of a scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub number: u32,
    pub status: AttemptStatus,
    pub started: String,
    pub duration_ms: f64,
    /// Precondition steps (bring units to the declared state).
    pub setup: Vec<StepRecord>,
    pub steps: Vec<StepRecord>,
    /// Clean-up steps after the scenario.
    pub cleanup: Vec<StepRecord>,
    /// Rules broken in this attempt.
    pub rules_broken: Vec<Rule>,
    /// One-line reason for a failure or error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Device time the virtual lab charged to it (its virtual clock; absent on a real bench, where
    /// the durations measured are the device time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceSpent>,
}

/// Device time of an attempt on the virtual clock, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceSpent {
    pub seconds: f64,
    /// The part that needed the card-placing operator.
    pub operator_seconds: f64,
}

/// Final status of a scenario on one binding, derived from its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioStatus {
    Passed,
    /// Failed, then passed on a retry: reported, never a plain pass.
    Flaky,
    Failed,
    /// Infrastructure error: no verdict.
    Error,
    Skipped,
}

impl ScenarioStatus {
    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            ScenarioStatus::Passed => "pass",
            ScenarioStatus::Flaky => "FLAKY",
            ScenarioStatus::Failed => "FAIL",
            ScenarioStatus::Error => "ERROR",
            ScenarioStatus::Skipped => "skip",
        }
    }
}

/// Why an execution was skipped, as far as a verdict is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipKind {
    /// The scenario does not apply to the model (a capability its roles need, e.g. biometrics).
    NotApplicable,
    /// The lab lacks what the scenario needs (a unit, a reference unit, an identity's card): a gap in
    /// the evidence, never a pass.
    LabLacks,
    /// A unit of the binding was quarantined earlier in the run: a gap, never a pass.
    Quarantined,
}

/// One scenario on one binding of roles to units.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// `suite/scenario`.
    pub scenario: String,
    pub title: String,
    /// Profile id of the model under certification.
    pub model: String,
    /// Serial of the subject unit (the first subject role), if bound.
    pub unit: Option<String>,
    pub carrier: Option<String>,
    /// Role → serial or identity id.
    pub bindings: BTreeMap<String, String>,
    pub rules: Vec<Rule>,
    pub tags: Vec<String>,
    pub attempts: Vec<Attempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    /// Why it was skipped, as a kind the verdict can act on (absent in journals older than the kind:
    /// read as [`SkipKind::NotApplicable`], what every skip then meant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_kind: Option<SkipKind>,
    /// Derived by [`ScenarioResult::derive_status`]; stored for readers of the JSON.
    pub status: ScenarioStatus,
}

impl ScenarioResult {
    /// The one place that turns attempts into a status.
    pub fn derive_status(attempts: &[Attempt], skipped: bool) -> ScenarioStatus {
        if skipped {
            return ScenarioStatus::Skipped;
        }
        let Some(last) = attempts.last() else {
            return ScenarioStatus::Skipped;
        };
        match last.status {
            AttemptStatus::Passed => {
                if attempts.len() > 1 {
                    ScenarioStatus::Flaky
                } else {
                    ScenarioStatus::Passed
                }
            }
            AttemptStatus::Failed => ScenarioStatus::Failed,
            AttemptStatus::Error => {
                // A conformance failure seen in any attempt is not hidden by a later lab error.
                if attempts.iter().any(|a| a.status == AttemptStatus::Failed) {
                    ScenarioStatus::Failed
                } else {
                    ScenarioStatus::Error
                }
            }
        }
    }

    /// Rules broken across all attempts.
    pub fn rules_broken(&self) -> Vec<Rule> {
        let mut rules: Vec<Rule> = self
            .attempts
            .iter()
            .flat_map(|a| a.rules_broken.iter().copied())
            .collect();
        rules.sort();
        rules.dedup();
        rules
    }

    /// The reason of the last attempt, or the skip reason.
    pub fn reason(&self) -> Option<&str> {
        // A failed scenario says why it failed, even when a later attempt ended in a lab error.
        let deciding = match self.status {
            ScenarioStatus::Failed => self
                .attempts
                .iter()
                .rev()
                .find(|a| a.status == AttemptStatus::Failed),
            _ => None,
        };
        self.skip_reason.as_deref().or_else(|| {
            deciding
                .or(self.attempts.last())
                .and_then(|a| a.reason.as_deref())
        })
    }

    /// Why a flaky scenario needed more than one attempt: a conformance failure that went away, or
    /// only lab errors before it passed.
    pub fn flaky_reason(&self) -> String {
        let earlier = &self.attempts[..self.attempts.len().saturating_sub(1)];
        if earlier.iter().any(|a| a.status == AttemptStatus::Failed) {
            "flaky (failed, then passed)".into()
        } else {
            format!(
                "passed after {} attempt(s) ended in a lab error",
                earlier.len()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(status: AttemptStatus) -> Attempt {
        Attempt {
            number: 1,
            device: None,
            status,
            started: String::new(),
            duration_ms: 0.0,
            setup: vec![],
            steps: vec![],
            cleanup: vec![],
            rules_broken: vec![],
            reason: None,
        }
    }

    #[test]
    fn status_is_derived_from_attempts() {
        use AttemptStatus::*;
        let d = |a: &[AttemptStatus]| {
            let v: Vec<Attempt> = a.iter().map(|s| attempt(*s)).collect();
            ScenarioResult::derive_status(&v, false)
        };
        assert_eq!(d(&[Passed]), ScenarioStatus::Passed);
        assert_eq!(d(&[Failed, Passed]), ScenarioStatus::Flaky);
        assert_eq!(d(&[Error, Passed]), ScenarioStatus::Flaky);
        assert_eq!(d(&[Failed]), ScenarioStatus::Failed);
        assert_eq!(d(&[Failed, Error]), ScenarioStatus::Failed);
        assert_eq!(d(&[Error]), ScenarioStatus::Error);
        assert_eq!(d(&[]), ScenarioStatus::Skipped);
        assert_eq!(
            ScenarioResult::derive_status(&[attempt(Passed)], true),
            ScenarioStatus::Skipped
        );
    }

    #[test]
    fn a_failed_scenario_gives_the_failure_as_its_reason_and_lab_errors_are_not_flaky_failures() {
        use AttemptStatus::*;
        let with = |st: AttemptStatus, why: &str| Attempt {
            reason: Some(why.into()),
            ..attempt(st)
        };
        let result = |attempts: Vec<Attempt>| ScenarioResult {
            scenario: "s/a".into(),
            title: String::new(),
            model: "m".into(),
            unit: None,
            carrier: None,
            bindings: BTreeMap::new(),
            rules: vec![],
            tags: vec![],
            status: ScenarioResult::derive_status(&attempts, false),
            attempts,
            skip_reason: None,
            skip_kind: None,
        };
        let r = result(vec![
            with(Failed, "SE holds []"),
            with(Error, "reader unplugged"),
        ]);
        assert_eq!(r.status, ScenarioStatus::Failed);
        assert_eq!(r.reason(), Some("SE holds []"));
        let r = result(vec![with(Error, "a"), with(Error, "b"), attempt(Passed)]);
        assert_eq!(
            r.flaky_reason(),
            "passed after 2 attempt(s) ended in a lab error"
        );
        let r = result(vec![with(Failed, "x"), attempt(Passed)]);
        assert_eq!(r.flaky_reason(), "flaky (failed, then passed)");
    }
}

//! Verdicts per model, from scenario results and the certification profile.

use crate::profile::{DeviceProfile, Listing};
use crate::runner::result::{ScenarioResult, ScenarioStatus};
use crate::scenario::model::CertificationProfile;
use crate::types::Rule;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;

/// A model's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every deciding scenario passed on every carrier variant.
    Supported,
    /// An unsupported model that refused correctly.
    NotSupported,
    /// At least one deciding scenario failed: the rules broken are listed.
    ConformanceFailures,
    /// Infrastructure errors or missing units: no verdict can be given.
    Incomplete,
    /// Nothing ran.
    NotRun,
}

impl Verdict {
    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::NotSupported => "not supported",
            Verdict::ConformanceFailures => "conformance failures",
            Verdict::Incomplete => "incomplete",
            Verdict::NotRun => "not run",
        }
    }
}

/// What the profile says the verdict should be (the virtual fleet's defects are on purpose).
#[derive(Debug, Clone, Serialize)]
pub struct Expected {
    pub verdict: Verdict,
    pub rules: Vec<Rule>,
    pub quirks: Vec<String>,
}

/// One model's verdict and its grounds.
#[derive(Debug, Clone, Serialize)]
pub struct ModelVerdict {
    pub model: String,
    pub maker: String,
    pub model_name: String,
    pub model_code: String,
    pub carriers: Vec<String>,
    pub verdict: Verdict,
    pub rules_broken: Vec<Rule>,
    pub passed: usize,
    pub failed: usize,
    pub flaky: usize,
    pub errors: usize,
    pub skipped: usize,
    /// Why the verdict is not `supported` / `not supported`.
    pub notes: Vec<String>,
    pub expected: Expected,
    pub as_expected: bool,
}

/// What a profile's quirks and listing predict.
pub fn expected_of(p: &DeviceProfile) -> Expected {
    let mut rules: Vec<Rule> = p.quirks.iter().map(|q| q.rule()).collect();
    rules.sort();
    rules.dedup();
    let verdict = if !rules.is_empty() {
        Verdict::ConformanceFailures
    } else if p.app_supported() {
        Verdict::Supported
    } else {
        Verdict::NotSupported
    };
    Expected {
        verdict,
        rules,
        quirks: p.quirks.iter().map(|q| q.name()).collect(),
    }
}

/// Verdict of every model that has results.
pub fn verdicts(
    profiles: &[Arc<DeviceProfile>],
    cert: Option<&CertificationProfile>,
    results: &[ScenarioResult],
) -> Vec<ModelVerdict> {
    profiles
        .iter()
        .filter(|p| results.iter().any(|r| r.model == p.id))
        .map(|p| verdict_for(p, cert, results))
        .collect()
}

fn verdict_for(
    p: &DeviceProfile,
    cert: Option<&CertificationProfile>,
    results: &[ScenarioResult],
) -> ModelVerdict {
    let deciding: Option<&Vec<String>> = cert.map(|c| {
        if p.app_supported() || p.expected_listing == Listing::Planned {
            &c.mandatory
        } else {
            &c.unsupported
        }
    });
    let mine: Vec<&ScenarioResult> = results
        .iter()
        .filter(|r| r.model == p.id)
        .filter(|r| deciding.is_none_or(|d| d.contains(&r.scenario)))
        .collect();
    let count = |s: ScenarioStatus| mine.iter().filter(|r| r.status == s).count();
    let (passed, failed, flaky, errors, skipped) = (
        count(ScenarioStatus::Passed),
        count(ScenarioStatus::Failed),
        count(ScenarioStatus::Flaky),
        count(ScenarioStatus::Error),
        count(ScenarioStatus::Skipped),
    );
    let mut rules: BTreeSet<Rule> = BTreeSet::new();
    let mut notes = Vec::new();
    for r in mine.iter().filter(|r| r.status == ScenarioStatus::Failed) {
        rules.extend(r.rules_broken());
        notes.push(format!(
            "{} on {}: {}",
            r.scenario,
            r.unit.as_deref().unwrap_or("-"),
            r.reason().unwrap_or("failed")
        ));
    }
    for r in mine.iter().filter(|r| r.status == ScenarioStatus::Error) {
        notes.push(format!(
            "{} on {}: infrastructure error: {}",
            r.scenario,
            r.unit.as_deref().unwrap_or("-"),
            r.reason().unwrap_or("error")
        ));
    }
    for r in mine.iter().filter(|r| r.status == ScenarioStatus::Flaky) {
        notes.push(format!(
            "{} on {}: flaky (failed, then passed)",
            r.scenario,
            r.unit.as_deref().unwrap_or("-")
        ));
    }
    let required = cert.map(|c| c.required_units as usize).unwrap_or(1);
    let verdict = if failed > 0 {
        Verdict::ConformanceFailures
    } else if errors > 0 {
        Verdict::Incomplete
    } else if passed + flaky == 0 {
        Verdict::NotRun
    } else {
        // Every carrier variant needs each deciding scenario passed on enough units.
        let mut missing = Vec::new();
        for carrier in &p.carriers {
            let ran: BTreeSet<&str> = mine
                .iter()
                .filter(|r| r.status != ScenarioStatus::Skipped)
                .map(|r| r.scenario.as_str())
                .collect();
            for id in ran {
                let units = mine
                    .iter()
                    .filter(|r| r.scenario == id && r.carrier.as_deref() == Some(carrier.as_str()))
                    .filter(|r| matches!(r.status, ScenarioStatus::Passed | ScenarioStatus::Flaky))
                    .count();
                if units < required {
                    missing.push(format!(
                        "{id} passed on {units} {carrier} unit(s), {required} required"
                    ));
                }
            }
        }
        if missing.is_empty() {
            if p.app_supported() {
                Verdict::Supported
            } else {
                Verdict::NotSupported
            }
        } else {
            notes.extend(missing);
            Verdict::Incomplete
        }
    };
    let rules_broken: Vec<Rule> = rules.into_iter().collect();
    let expected = expected_of(p);
    let as_expected = expected.verdict == verdict
        && (verdict != Verdict::ConformanceFailures || expected.rules == rules_broken);
    ModelVerdict {
        model: p.id.clone(),
        maker: p.maker.clone(),
        model_name: p.model_name.clone(),
        model_code: p.model_code.clone(),
        carriers: p.carriers.clone(),
        verdict,
        rules_broken,
        passed,
        failed,
        flaky,
        errors,
        skipped,
        notes,
        expected,
        as_expected,
    }
}

/// Exit code of a run: 1 when any model has conformance failures, else 3 when a verdict is incomplete
/// because of infrastructure, else 0.
pub fn exit_code(verdicts: &[ModelVerdict]) -> i32 {
    if verdicts
        .iter()
        .any(|v| v.verdict == Verdict::ConformanceFailures)
    {
        1
    } else if verdicts.iter().any(|v| v.verdict == Verdict::Incomplete) {
        3
    } else {
        0
    }
}

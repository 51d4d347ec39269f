//! Verdicts per model, from scenario results and the certification rules (`suites/certification.yaml`,
//! as recorded in the journal).
//!
//! - *supported*: every mandatory scenario passed on at least `required_units` distinct units of every
//!   carrier variant the model claims;
//! - *not supported*: an unsupported model whose unsupported-model scenarios all showed correct refusal
//!   on the same coverage;
//! - *conformance failures*: a deciding scenario failed; the rules broken are listed;
//! - *incomplete*: infrastructure errors, or a deciding scenario not (yet) passed on enough units.
//!   Infrastructure errors never make a verdict *failed*.

use crate::journal::CertRules;
use crate::profile::{DeviceProfile, Listing};
use crate::runner::result::{ScenarioResult, ScenarioStatus};
use crate::types::Rule;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A model's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Expected {
    pub verdict: Verdict,
    pub rules: Vec<Rule>,
    pub quirks: Vec<String>,
}

/// One model's verdict and its grounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
pub fn verdicts<'p>(
    profiles: impl IntoIterator<Item = &'p DeviceProfile>,
    cert: Option<&CertRules>,
    results: &[ScenarioResult],
) -> Vec<ModelVerdict> {
    profiles
        .into_iter()
        .filter(|p| results.iter().any(|r| r.model == p.id))
        .map(|p| verdict_for(p, cert, results))
        .collect()
}

/// Verdict of one model (results of other models are ignored).
pub fn verdict_for(
    p: &DeviceProfile,
    cert: Option<&CertRules>,
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
        // Every carrier variant needs each deciding scenario passed on enough distinct units.
        // A deciding scenario every execution of which was skipped does not apply to this model (its
        // roles need capabilities the model lacks); one with no result at all was not run: a gap.
        let ids: BTreeSet<&str> = match deciding {
            Some(d) => d
                .iter()
                .map(String::as_str)
                .filter(|id| {
                    let of_id: Vec<_> = mine.iter().filter(|r| r.scenario == *id).collect();
                    of_id.is_empty() || of_id.iter().any(|r| r.status != ScenarioStatus::Skipped)
                })
                .collect(),
            None => mine
                .iter()
                .filter(|r| r.status != ScenarioStatus::Skipped)
                .map(|r| r.scenario.as_str())
                .collect(),
        };
        let mut missing = Vec::new();
        for carrier in &p.carriers {
            for id in &ids {
                let units: BTreeSet<&str> = mine
                    .iter()
                    .filter(|r| r.scenario == *id && r.carrier.as_deref() == Some(carrier.as_str()))
                    .filter(|r| matches!(r.status, ScenarioStatus::Passed | ScenarioStatus::Flaky))
                    .filter_map(|r| r.unit.as_deref())
                    .collect();
                if units.len() < required {
                    missing.push(format!(
                        "{id} passed on {} {carrier} unit(s), {required} required",
                        units.len()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::fixture::{attempt, model, result, rules};
    use crate::runner::result::{AttemptStatus, Evidence};

    fn run(
        id: &str,
        unit: &str,
        carrier: &str,
        statuses: &[AttemptStatus],
        broken: &[Rule],
    ) -> ScenarioResult {
        let attempts = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| attempt(i as u32 + 1, *s, broken, Evidence::default()))
            .collect();
        result(id, "m", unit, carrier, &[Rule::R1], attempts)
    }

    fn verdict(cert: &CertRules, results: &[ScenarioResult]) -> ModelVerdict {
        let p = model("m", "M-1", &["docomo", "au"], Listing::Supported);
        verdict_for(&p, Some(cert), results)
    }

    use AttemptStatus::{Error, Failed, Passed};

    #[test]
    fn supported_needs_every_mandatory_scenario_on_every_carrier() {
        let cert = rules("1", &["s/a", "s/b"], &[]);
        let all = vec![
            run("s/a", "D1", "docomo", &[Passed], &[]),
            run("s/b", "D1", "docomo", &[Passed], &[]),
            run("s/a", "A1", "au", &[Passed], &[]),
            run("s/b", "A1", "au", &[Failed, Passed], &[]),
        ];
        assert_eq!(verdict(&cert, &all).verdict, Verdict::Supported);
        // A mandatory scenario never run on au: incomplete, and the note says which.
        let v = verdict(&cert, &all[..3]);
        assert_eq!(v.verdict, Verdict::Incomplete);
        assert!(
            v.notes
                .iter()
                .any(|n| n.contains("s/b") && n.contains("au"))
        );
    }

    #[test]
    fn required_units_are_distinct_units() {
        let mut cert = rules("1", &["s/a"], &[]);
        cert.required_units = 2;
        let twice_on_one = vec![
            run("s/a", "D1", "docomo", &[Passed], &[]),
            run("s/a", "D1", "docomo", &[Passed], &[]),
            run("s/a", "A1", "au", &[Passed], &[]),
            run("s/a", "A2", "au", &[Passed], &[]),
        ];
        assert_eq!(verdict(&cert, &twice_on_one).verdict, Verdict::Incomplete);
        let mut two = twice_on_one.clone();
        two[1] = run("s/a", "D2", "docomo", &[Passed], &[]);
        assert_eq!(verdict(&cert, &two).verdict, Verdict::Supported);
    }

    #[test]
    fn infrastructure_errors_make_incomplete_never_failed_and_failures_list_rules() {
        let cert = rules("1", &["s/a"], &[]);
        let errors = vec![
            run("s/a", "D1", "docomo", &[Error, Error], &[]),
            run("s/a", "A1", "au", &[Passed], &[]),
        ];
        let v = verdict(&cert, &errors);
        assert_eq!(v.verdict, Verdict::Incomplete);
        assert!(v.rules_broken.is_empty());
        let failed = vec![
            run("s/a", "D1", "docomo", &[Failed, Error], &[Rule::R4]),
            run("s/a", "A1", "au", &[Passed], &[]),
        ];
        let v = verdict(&cert, &failed);
        assert_eq!(v.verdict, Verdict::ConformanceFailures);
        assert_eq!(v.rules_broken, vec![Rule::R4]);
    }

    #[test]
    fn an_unsupported_model_is_judged_on_the_refusal_scenarios() {
        let cert = rules("1", &["s/a"], &["u/refuse"]);
        let p = model("m", "U-1", &["docomo"], Listing::Unsupported);
        let ok = vec![result(
            "u/refuse",
            "m",
            "D1",
            "docomo",
            &[Rule::R8],
            vec![attempt(1, Passed, &[], Evidence::default())],
        )];
        assert_eq!(
            verdict_for(&p, Some(&cert), &ok).verdict,
            Verdict::NotSupported
        );
        let bad = vec![result(
            "u/refuse",
            "m",
            "D1",
            "docomo",
            &[Rule::R8],
            vec![attempt(1, Failed, &[Rule::R8], Evidence::default())],
        )];
        let v = verdict_for(&p, Some(&cert), &bad);
        assert_eq!(v.verdict, Verdict::ConformanceFailures);
        assert_eq!(v.rules_broken, vec![Rule::R8]);
    }
}

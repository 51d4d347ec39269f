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
use crate::profile::DeviceProfile;
use crate::runner::result::{ScenarioResult, ScenarioStatus, SkipKind};
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
    /// Scenarios ran, but not the whole deciding set (`--scenario`, `--tag`): no certification verdict,
    /// only the counts of what ran.
    Partial,
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
            Verdict::Partial => "partial run",
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
    /// Why the verdict is what it is: failures, errors, flaky scenarios, gaps in coverage.
    pub findings: Vec<Finding>,
    pub expected: Expected,
    pub as_expected: bool,
}

/// What kind of finding a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A scenario failed: the device broke a rule.
    Failed,
    /// An infrastructure error left a scenario without a result.
    Error,
    /// Failed, then passed on a retry.
    Flaky,
    /// A scenario outside the certification set failed or errored.
    Outside,
    /// A deciding scenario did not pass on enough units of a carrier.
    Coverage,
}

/// One reason behind a verdict, tied to the scenario and unit it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// `suite/scenario`, when the finding comes from one.
    pub scenario: Option<String>,
    /// The unit it ran on.
    pub unit: Option<String>,
    pub message: String,
}

impl Finding {
    fn of(kind: FindingKind, r: &ScenarioResult, message: &str) -> Finding {
        Finding {
            kind,
            scenario: Some(r.scenario.clone()),
            unit: r.unit.clone(),
            message: message.to_string(),
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (scenario, unit) = (
            self.scenario.as_deref().unwrap_or("-"),
            self.unit.as_deref().unwrap_or("-"),
        );
        match self.kind {
            FindingKind::Failed => write!(f, "{scenario} on {unit}: {}", self.message),
            FindingKind::Error => write!(
                f,
                "{scenario} on {unit}: infrastructure error: {}",
                self.message
            ),
            FindingKind::Flaky => write!(f, "{scenario} on {unit}: {}", self.message),
            FindingKind::Outside => write!(
                f,
                "{scenario} on {unit} (outside the certification set): {}",
                self.message
            ),
            FindingKind::Coverage => write!(f, "{}", self.message),
        }
    }
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

/// Verdict of every model that has results, in model-code order (as on a box and in the device list).
pub fn verdicts<'p>(
    profiles: impl IntoIterator<Item = &'p DeviceProfile>,
    cert: Option<&CertRules>,
    results: &[ScenarioResult],
) -> Vec<ModelVerdict> {
    let mut v: Vec<ModelVerdict> = profiles
        .into_iter()
        .filter(|p| results.iter().any(|r| r.model == p.id))
        .map(|p| verdict_for(p, cert, results))
        .collect();
    v.sort_by(|a, b| (&a.model_code, &a.model).cmp(&(&b.model_code, &b.model)));
    v
}

/// Verdict of one model (results of other models are ignored).
///
/// The certification verdict needs the deciding set ([`DeviceProfile::deciding`]) to have run: every one
/// of its scenarios has a result for the model (a skip counts: it says why it could not run). Where it did
/// not (a run of a few scenarios), the verdict is [`Verdict::Partial`] with the counts of what ran. The
/// counts always cover every scenario of the model that ran; failures outside the deciding set are named
/// in the notes.
pub fn verdict_for(
    p: &DeviceProfile,
    cert: Option<&CertRules>,
    results: &[ScenarioResult],
) -> ModelVerdict {
    let all: Vec<&ScenarioResult> = results.iter().filter(|r| r.model == p.id).collect();
    let deciding: Option<&[String]> = cert.map(|c| c.deciding_for(p));
    let covered = deciding.is_none_or(|d| d.iter().all(|id| all.iter().any(|r| &r.scenario == id)));
    let executed = all.iter().any(|r| r.status != ScenarioStatus::Skipped);
    if !covered && executed {
        return partial(p, &all);
    }
    let mine: Vec<&ScenarioResult> = all
        .iter()
        .copied()
        .filter(|r| deciding.is_none_or(|d| d.contains(&r.scenario)))
        .collect();
    let count = |s: ScenarioStatus| mine.iter().filter(|r| r.status == s).count();
    let (passed, failed, flaky, errors) = (
        count(ScenarioStatus::Passed),
        count(ScenarioStatus::Failed),
        count(ScenarioStatus::Flaky),
        count(ScenarioStatus::Error),
    );
    let mut rules: BTreeSet<Rule> = BTreeSet::new();
    let mut findings = Vec::new();
    for r in mine.iter().filter(|r| r.status == ScenarioStatus::Failed) {
        rules.extend(r.rules_broken());
        findings.push(Finding::of(
            FindingKind::Failed,
            r,
            r.reason().unwrap_or("failed"),
        ));
    }
    for r in mine.iter().filter(|r| r.status == ScenarioStatus::Error) {
        findings.push(Finding::of(
            FindingKind::Error,
            r,
            r.reason().unwrap_or("error"),
        ));
    }
    for r in mine.iter().filter(|r| r.status == ScenarioStatus::Flaky) {
        findings.push(Finding::of(FindingKind::Flaky, r, &r.flaky_reason()));
    }
    for r in all.iter().filter(|r| {
        matches!(r.status, ScenarioStatus::Failed | ScenarioStatus::Error)
            && deciding.is_some_and(|d| !d.contains(&r.scenario))
    }) {
        findings.push(Finding::of(
            FindingKind::Outside,
            r,
            r.reason().unwrap_or(r.status.label()),
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
                    // Skipped only because it does not apply (a capability the model lacks): not
                    // decided here. A skip for a lab gap or a quarantined unit is missing evidence.
                    let of_id: Vec<_> = mine.iter().filter(|r| r.scenario == *id).collect();
                    of_id.is_empty() || of_id.iter().any(|r| !not_applicable(r))
                })
                .collect(),
            None => mine
                .iter()
                .filter(|r| !not_applicable(r))
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
                    missing.push(Finding {
                        kind: FindingKind::Coverage,
                        scenario: Some(id.to_string()),
                        unit: None,
                        message: format!(
                            "{id} passed on {} {carrier} unit(s), {required} required",
                            units.len()
                        ),
                    });
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
            findings.extend(missing);
            Verdict::Incomplete
        }
    };
    let rules_broken: Vec<Rule> = rules.into_iter().collect();
    let mut v = model_verdict(p, verdict, rules_broken, &all);
    v.findings = findings;
    v
}

/// True for a skip that says the scenario does not apply to the model (older journals without a skip
/// kind: every skip, as they meant).
fn not_applicable(r: &ScenarioResult) -> bool {
    r.status == ScenarioStatus::Skipped && r.skip_kind.is_none_or(|k| k == SkipKind::NotApplicable)
}

/// A model whose deciding set did not run: the counts and rules of what did.
fn partial(p: &DeviceProfile, all: &[&ScenarioResult]) -> ModelVerdict {
    let mut rules: BTreeSet<Rule> = BTreeSet::new();
    let mut findings = Vec::new();
    for r in all
        .iter()
        .filter(|r| matches!(r.status, ScenarioStatus::Failed | ScenarioStatus::Error))
    {
        rules.extend(r.rules_broken());
        let kind = if r.status == ScenarioStatus::Failed {
            FindingKind::Failed
        } else {
            FindingKind::Error
        };
        findings.push(Finding::of(kind, r, r.reason().unwrap_or(r.status.label())));
    }
    let mut v = model_verdict(p, Verdict::Partial, rules.into_iter().collect(), all);
    v.findings = findings;
    v
}

/// The verdict with the model's identity, the counts of everything that ran for it, and whether the
/// profile predicted it (a partial run predicts nothing: it is never compared).
fn model_verdict(
    p: &DeviceProfile,
    verdict: Verdict,
    rules_broken: Vec<Rule>,
    all: &[&ScenarioResult],
) -> ModelVerdict {
    let count = |s: ScenarioStatus| all.iter().filter(|r| r.status == s).count();
    let expected = expected_of(p);
    let as_expected = verdict == Verdict::Partial
        || (expected.verdict == verdict
            && (verdict != Verdict::ConformanceFailures || expected.rules == rules_broken));
    ModelVerdict {
        model: p.id.clone(),
        maker: p.maker.clone(),
        model_name: p.model_name.clone(),
        model_code: p.model_code.clone(),
        carriers: p.carriers.clone(),
        verdict,
        rules_broken,
        passed: count(ScenarioStatus::Passed),
        failed: count(ScenarioStatus::Failed),
        flaky: count(ScenarioStatus::Flaky),
        errors: count(ScenarioStatus::Error),
        skipped: count(ScenarioStatus::Skipped),
        findings: Vec::new(),
        expected,
        as_expected,
    }
}

/// Exit code of a run, from every scenario that ran and every verdict: **1** when any executed scenario
/// failed (inside the certification set or not) or a model has conformance failures; else **3** when any
/// errored (infrastructure) or a certification verdict is incomplete; else **0**.
pub fn exit_code(results: &[ScenarioResult], verdicts: &[ModelVerdict]) -> i32 {
    let any = |s: ScenarioStatus| results.iter().any(|r| r.status == s);
    if any(ScenarioStatus::Failed)
        || verdicts
            .iter()
            .any(|v| v.verdict == Verdict::ConformanceFailures)
    {
        1
    } else if any(ScenarioStatus::Error)
        || verdicts.iter().any(|v| v.verdict == Verdict::Incomplete)
    {
        3
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::fixture::{attempt, model, result, rules};
    use crate::profile::Listing;
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
            v.findings
                .iter()
                .any(|n| n.to_string().contains("s/b") && n.to_string().contains("au"))
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

    #[test]
    fn a_run_of_part_of_the_deciding_set_is_partial_with_the_counts_of_what_ran_and_exits_1() {
        let cert = rules("1", &["s/a", "s/b"], &[]);
        let ran = vec![
            run("s/a", "D1", "docomo", &[Failed], &[Rule::R4]),
            run("s/a", "A1", "au", &[Passed], &[]),
        ];
        let v = verdict(&cert, &ran);
        assert_eq!(v.verdict, Verdict::Partial);
        assert_eq!((v.passed, v.failed, v.errors), (1, 1, 0));
        assert_eq!(v.rules_broken, vec![Rule::R4]);
        assert!(
            v.as_expected,
            "a partial run is not compared with the profile"
        );
        assert_eq!(exit_code(&ran, &[v]), 1);
    }

    #[test]
    fn a_failure_outside_the_deciding_set_is_counted_named_and_exits_1() {
        let cert = rules("1", &["s/a"], &[]);
        let ran = vec![
            run("s/a", "D1", "docomo", &[Passed], &[]),
            run("s/a", "A1", "au", &[Passed], &[]),
            run("x/extra", "D1", "docomo", &[Failed], &[Rule::R9]),
        ];
        let v = verdict(&cert, &ran);
        assert_eq!(v.verdict, Verdict::Supported);
        assert_eq!((v.passed, v.failed), (2, 1));
        assert!(
            v.findings.iter().any(|n| n.kind == FindingKind::Outside
                && n.to_string().contains("x/extra")
                && n.to_string().contains("outside the certification set")),
            "{:?}",
            v.findings
        );
        assert_eq!(exit_code(&ran, &[v]), 1);
    }

    #[test]
    fn errors_without_failures_exit_3_and_clean_runs_exit_0() {
        let cert = rules("1", &["s/a", "s/b"], &[]);
        let errored = vec![run("s/a", "D1", "docomo", &[Error], &[])];
        let v = verdict(&cert, &errored);
        assert_eq!(v.verdict, Verdict::Partial);
        assert_eq!(exit_code(&errored, &[v]), 3);
        let clean = vec![run("s/a", "D1", "docomo", &[Passed], &[])];
        let v = verdict(&cert, &clean);
        assert_eq!(exit_code(&clean, &[v]), 0);
    }

    #[test]
    fn the_deciding_set_follows_the_model_not_its_listing_alone() {
        // A planned model without a GP-SE cannot be offered certificates: it is judged on the refusal
        // scenarios, as the run planned it (one rule, `DeviceProfile::deciding`).
        let cert = rules("1", &["s/a"], &["u/refuse"]);
        let mut p = model("m", "P-1", &["docomo"], Listing::Planned);
        p.gp_se = false;
        assert_eq!(cert.deciding_for(&p), ["u/refuse".to_string()]);
        p.gp_se = true;
        assert_eq!(cert.deciding_for(&p), ["s/a".to_string()]);
    }

    #[test]
    fn a_deciding_scenario_skipped_for_a_lab_gap_is_missing_evidence_not_a_pass() {
        use crate::runner::result::SkipKind;
        let cert = rules("1", &["s/a", "s/b"], &[]);
        let skipped = |kind: SkipKind| {
            let mut r = run("s/b", "D1", "docomo", &[], &[]);
            r.skip_kind = Some(kind);
            r
        };
        let base = vec![
            run("s/a", "D1", "docomo", &[Passed], &[]),
            run("s/a", "A1", "au", &[Passed], &[]),
        ];
        // Does not apply to the model (a capability it lacks): decided without it.
        let mut not_applicable = base.clone();
        not_applicable.push(skipped(SkipKind::NotApplicable));
        assert_eq!(verdict(&cert, &not_applicable).verdict, Verdict::Supported);
        // Its unit was quarantined, or the lab lacked a unit: no verdict.
        for kind in [SkipKind::Quarantined, SkipKind::LabLacks] {
            let mut gap = base.clone();
            gap.push(skipped(kind));
            let v = verdict(&cert, &gap);
            assert_eq!(v.verdict, Verdict::Incomplete, "{kind:?}");
            assert!(
                v.findings.iter().any(|f| f.to_string().contains("s/b")),
                "{:?}",
                v.findings
            );
        }
    }
}

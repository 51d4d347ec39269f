//! Synthetic journals for tests of reports, bundles and the device list (no lab needed). Test data only.

use super::reader::Journal;
use super::record::{
    CertRules, Entry, FORMAT, RunFooter, RunHeader, ScenarioEntry, SuiteRecord, UnitRecord,
};
use crate::profile::{DeviceProfile, Listing, OpenPoints};
use crate::runner::result::{
    Attempt, AttemptStatus, Evidence, ScenarioResult, StepRecord, StepStatus,
};
use crate::types::{KeyType, Rule};
use std::collections::BTreeMap;

/// A model profile with the given id, code, carriers and listing.
pub fn model(id: &str, code: &str, carriers: &[&str], listing: Listing) -> DeviceProfile {
    let supported = listing != Listing::Unsupported;
    DeviceProfile {
        id: id.into(),
        maker: format!("{id} maker (TEST)"),
        model_name: format!("{id} name"),
        model_code: code.into(),
        carriers: carriers.iter().map(|c| c.to_string()).collect(),
        android: "14".into(),
        sdk: 34,
        nfc_type_b: supported,
        gp_se: supported,
        biometrics: false,
        se_key: KeyType::Rsa2048,
        expected_listing: listing,
        factory_reset: vec![],
        open_points: OpenPoints::default(),
        quirks: vec![],
        notes: String::new(),
        timing: Default::default(),
        chaos: None,
    }
}

/// Certification rules: `mandatory` scenarios for supported models, `unsupported` for the others.
pub fn rules(version: &str, mandatory: &[&str], unsupported: &[&str]) -> CertRules {
    CertRules {
        profile: "test-profile".into(),
        version: version.into(),
        mandatory: mandatory.iter().map(|s| s.to_string()).collect(),
        unsupported: unsupported.iter().map(|s| s.to_string()).collect(),
        required_units: 1,
    }
}

/// A run header; units are `(serial, model, carrier)`.
pub fn header(
    run_id: &str,
    lab: &str,
    cert: CertRules,
    models: Vec<DeviceProfile>,
    units: &[(&str, &str, &str)],
) -> RunHeader {
    RunHeader {
        format: FORMAT,
        run_id: run_id.into(),
        harness_version: "test".into(),
        lab: lab.into(),
        lab_kind: None,
        started: "2026-11-20T10:00:00Z".into(),
        certification: Some(cert),
        suites: vec![SuiteRecord {
            id: "provisioning".into(),
            file: "suites/provisioning.yaml".into(),
            digest: "00".repeat(32),
        }],
        models,
        phones: None,
        selection: None,
        partition: None,
        merged_from: vec![],
        units: units
            .iter()
            .map(|(s, m, c)| UnitRecord {
                serial: s.to_string(),
                model: m.to_string(),
                carrier: c.to_string(),
                reference: false,
                fingerprint: Some(format!("test/{m}/{s}:14/TEST/1:user/release-keys")),
                fingerprint_error: None,
            })
            .collect(),
    }
}

/// A step record.
pub fn step(index: usize, name: &str, status: StepStatus, message: &str) -> StepRecord {
    StepRecord {
        index,
        name: name.into(),
        status,
        duration_ms: 3.5,
        message: message.into(),
        rules: if status == StepStatus::Failed {
            vec![Rule::R2]
        } else {
            vec![]
        },
        evidence: Evidence::default(),
    }
}

/// An attempt of the given status; a failed or errored attempt ends with a step carrying `evidence`.
pub fn attempt(number: u32, status: AttemptStatus, rules: &[Rule], evidence: Evidence) -> Attempt {
    let mut steps = vec![step(1, "provision on=phone", StepStatus::Passed, "issued")];
    let (last, reason) = match status {
        AttemptStatus::Passed => (step(2, "expect-authority", StepStatus::Passed, "ok"), None),
        AttemptStatus::Failed => {
            let mut s = step(
                2,
                "expect-authority",
                StepStatus::Failed,
                "old phone still valid",
            );
            s.rules = rules.to_vec();
            s.evidence = evidence;
            (
                s,
                Some("step 2 `expect-authority`: old phone still valid".to_string()),
            )
        }
        AttemptStatus::Error => {
            let mut s = step(
                2,
                "expect-authority",
                StepStatus::Error,
                "adb: connection reset",
            );
            s.evidence = evidence;
            (
                s,
                Some("step 2 `expect-authority`: adb: connection reset".to_string()),
            )
        }
    };
    steps.push(last);
    Attempt {
        device: None,
        number,
        status,
        started: "2026-11-20T10:00:01Z".into(),
        duration_ms: 7.0,
        setup: vec![],
        steps,
        cleanup: vec![],
        rules_broken: if status == AttemptStatus::Failed {
            rules.to_vec()
        } else {
            vec![]
        },
        reason,
    }
}

/// A scenario result on one unit from a list of attempts (empty: skipped).
pub fn result(
    scenario: &str,
    model: &str,
    unit: &str,
    carrier: &str,
    rules: &[Rule],
    attempts: Vec<Attempt>,
) -> ScenarioResult {
    let skipped = attempts.is_empty();
    let status = ScenarioResult::derive_status(&attempts, skipped);
    ScenarioResult {
        scenario: scenario.into(),
        title: format!("title of {scenario}"),
        model: model.into(),
        unit: (!skipped).then(|| unit.to_string()),
        carrier: (!skipped).then(|| carrier.to_string()),
        bindings: if skipped {
            BTreeMap::new()
        } else {
            BTreeMap::from([("phone".to_string(), unit.to_string())])
        },
        rules: rules.to_vec(),
        tags: vec!["smoke".into()],
        attempts,
        skip_reason: skipped.then(|| "no unit with the capabilities the roles need".into()),
        skip_kind: skipped.then_some(crate::runner::result::SkipKind::NotApplicable),
        status,
    }
}

/// A journal from a header and results; `finished`: whether the run reached its end.
pub fn journal(header: RunHeader, results: Vec<ScenarioResult>, finished: bool) -> Journal {
    let run_id = header.run_id.clone();
    let scenarios: Vec<ScenarioEntry> = results
        .into_iter()
        .enumerate()
        .map(|(i, r)| ScenarioEntry {
            run_id: run_id.clone(),
            at: "2026-11-20T10:00:02Z".into(),
            index: i + 1,
            suite_digest: None,
            fingerprints: BTreeMap::new(),
            result: r,
            lost: Vec::new(),
        })
        .collect();
    let footer = finished.then(|| RunFooter {
        run_id: run_id.clone(),
        finished: "2026-11-20T10:05:00Z".into(),
        scenarios: scenarios.len(),
    });
    Journal {
        header,
        steps: vec![],
        scenarios,
        footer,
        torn_tail: false,
    }
}

/// The journal as JSON lines, as the writer would have left it.
pub fn to_jsonl(j: &Journal) -> Vec<u8> {
    let mut out = Vec::new();
    let mut push = |e: &Entry| {
        if let Ok(mut l) = serde_json::to_vec(e) {
            l.push(b'\n');
            out.extend(l);
        }
    };
    push(&Entry::Run(Box::new(j.header.clone())));
    for s in &j.scenarios {
        push(&Entry::Scenario(Box::new(s.clone())));
    }
    if let Some(f) = &j.footer {
        push(&Entry::Finished(f.clone()));
    }
    out
}

/// Writes a run directory (`journal.jsonl`, the reports, a suite copy and an evidence file) for `j`.
pub fn write_run_dir(dir: &std::path::Path, j: &Journal) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("suites"))?;
    std::fs::create_dir_all(dir.join("evidence"))?;
    std::fs::write(dir.join(super::FILE_NAME), to_jsonl(j))?;
    std::fs::write(
        dir.join("suites/provisioning.yaml"),
        "suite: provisioning\n",
    )?;
    std::fs::write(dir.join("evidence/screen.xml"), "<hierarchy/>\n")?;
    crate::report::write_reports(dir, j).map(|_| ())
}

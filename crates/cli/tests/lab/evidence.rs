//! Evidence of a failing step on a phone: a screenshot (PNG, base64) and a logcat tail scrubbed of every
//! typed secret, also shown in the HTML report as a `data:image/png;base64,…` image. Runs in process
//! against the embedded virtual lab (no service needed).

use base64::Engine;
use mynacert::journal::fixture::{header, journal, rules};
use mynacert::lab::profiles::load_profiles;
use mynacert::lab::{LabFile, load_identities};
use mynacert::profile::{DeviceProfile, Quirk};
use mynacert::report::{RunReport, html};
use mynacert::runner::result::{ScenarioStatus, StepStatus};
use mynacert::runner::{Job, NoReporter, Runner};
use mynacert::scenario::{ValidationContext, load_paths};
use std::sync::Arc;

const SUITE: &str = r#"suite: evidence-check
title: A step that fails after a secret reached logcat
description: provisioning on a phone that logs the signing password, then a step that must fail.
scenarios:
  - id: fail-after-leak
    title: expect-se fails after provisioning
    description: the SE holds both certificates, the step says none.
    rules: [R3]
    tags: [evidence]
    roles:
      phone: { phone: { requires: [supported] } }
      holder: { identity: { fixture: taro } }
    steps:
      - provision: { on: phone, identity: holder }
      - expect-se: { on: phone, holds: [] }
"#;

#[test]
fn failing_step_has_a_screenshot_and_a_scrubbed_logcat_and_html_shows_it() {
    let root = crate::common::root();
    let dir = tempfile::tempdir().expect("tempdir");
    let suite = dir.path().join("evidence-check.yaml");
    std::fs::write(&suite, SUITE).expect("write suite");
    let ctx = ValidationContext::from_identities_dir(&root.join("fixtures/identities"))
        .expect("fixtures");
    let set = load_paths(&[suite], &ctx).expect("suite loads");
    let fleet = load_profiles(&root.join("devices/models")).expect("profiles");
    let base = fleet
        .iter()
        .find(|p| p.id == "kumo-km51a")
        .expect("kumo-km51a")
        .clone();
    let mut p: DeviceProfile = (*base).clone();
    p.id = "leaky".into();
    p.model_code = "LEAK-1".into();
    p.quirks = vec![Quirk::SecretInLogcat];
    let model = Arc::new(p);
    let lab_file = LabFile::load(&root.join("devices/lab.yaml")).expect("lab.yaml");
    let identities =
        load_identities(&root.join("fixtures"), &lab_file.identities).expect("identities");
    let mut secrets = mynacert::secret::SecretSet::new();
    for id in &identities {
        id.add_secrets(&mut secrets);
    }
    assert!(!secrets.is_empty());
    let mut opened = crate::common::open(&crate::common::spec(
        vec![base.clone(), model.clone()],
        mynacert::lab::PhonePath::InProcess,
    ));
    let (suite_file, sc) = set.all().next().expect("one scenario");
    let jobs = vec![Job {
        full_id: format!("{}/{}", suite_file.suite.suite, sc.id),
        scenario: Arc::new(sc.clone()),
        model: model.clone(),
    }];
    let out = Runner::new(
        opened.lab.as_mut(),
        opened.flows.clone(),
        crate::common::run_options(),
    )
    .run(&jobs, &mut NoReporter);
    let r = out.scenarios.first().expect("a result");
    assert_eq!(r.status, ScenarioStatus::Failed, "{:?}", r.reason());
    let attempt = r.attempts.last().expect("an attempt");
    let failing = attempt
        .steps
        .iter()
        .find(|s| s.status == StepStatus::Failed)
        .expect("a failing step");
    assert!(failing.name.starts_with("expect-se"), "{}", failing.name);
    assert!(
        !failing.message.contains("[evidence:"),
        "capture worked: {}",
        failing.message
    );

    let b64 = failing
        .evidence
        .screenshot_png
        .as_deref()
        .expect("a screenshot");
    let png = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    let log = failing
        .evidence
        .logcat
        .as_deref()
        .expect("a logcat excerpt");
    assert!(log.lines().count() <= 40, "{log}");
    assert!(
        log.contains("setSignPassword: <redacted>"),
        "the leaked line is kept, scrubbed: {log}"
    );
    assert_eq!(secrets.count_in(log.as_bytes()), 0, "no secret in: {log}");
    let json = serde_json::to_string(&out.scenarios).expect("json");
    assert_eq!(
        secrets.count_in(json.as_bytes()),
        0,
        "no secret in the results"
    );

    let mut result = r.clone();
    result.unit = Some("SIM0001".into());
    let h = header(
        "run-evidence",
        "lab",
        rules("1", &[&jobs[0].full_id], &[]),
        vec![(*model).clone()],
        &[("SIM0001", "leaky", "docomo")],
    );
    let j = journal(h, vec![result], true);
    let report = RunReport::from_journal(&j);
    let page = html::render(&j, &report).expect("html");
    assert!(
        page.contains(&format!("src=\"data:image/png;base64,{b64}\"")),
        "HTML holds the screenshot's data URI unescaped"
    );
    assert!(page.contains("setSignPassword: &lt;redacted&gt;"));
}

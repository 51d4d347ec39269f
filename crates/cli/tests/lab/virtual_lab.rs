#[test]
fn a_copied_profile_with_a_defect_leaves_the_original_model_verdict_alone() {
    let kumo = shipped("kumo-km51a");
    let mut leaky = kumo.clone();
    leaky.id = "kumo-km51a-leaky".into();
    leaky.quirks = vec![Quirk::SecretInLogcat];
    let profiles = vec![Arc::new(kumo), Arc::new(leaky)];
    let file = virtual_lab_file();
    let identities = load_identities(&root().join("fixtures"), &file.identities).unwrap();
    let mut lab =
        VirtualLab::build(&file, &profiles, identities, &root().join("fixtures")).unwrap();
    let ctx = ValidationContext::from_identities_dir(&root().join("fixtures/identities")).unwrap();
    let set = load_paths(&[root().join("suites")], &ctx).unwrap();
    let (suite, sc) = set
        .all()
        .find(|(s, sc)| s.suite.suite == "provisioning" && sc.id == "issue-both")
        .unwrap();
    let jobs: Vec<Job> = profiles
        .iter()
        .map(|m| Job {
            full_id: format!("{}/{}", suite.suite.suite, sc.id),
            scenario: Arc::new(sc.clone()),
            model: m.clone(),
        })
        .collect();
    let out = Runner::new(&mut lab, RunOptions::default()).run(&jobs, &mut NoReporter);
    let status = |model: &str| {
        out.scenarios
            .iter()
            .filter(|r| r.model == model)
            .map(|r| (r.unit.clone().unwrap_or_default(), r.status))
            .collect::<Vec<_>>()
    };
    let kumo = status("kumo-km51a");
    assert!(
        !kumo.is_empty() && kumo.iter().all(|(_, s)| *s == ScenarioStatus::Passed),
        "{kumo:?}"
    );
    let leaky = status("kumo-km51a-leaky");
    assert!(
        !leaky.is_empty() && leaky.iter().all(|(_, s)| *s == ScenarioStatus::Failed),
        "{leaky:?}"
    );
}

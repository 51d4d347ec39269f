//! App flows end to end.

use super::*;

#[test]
fn provision_end_to_end_issues_and_registers_both() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    assert!(d.app_installed().unwrap());
    let out = rig.provision(&mut d, A);
    assert!(out.completed, "{out:?}");
    assert_eq!(out.error, None);
    assert!(out.screen.contains("登録が完了しました"), "{}", out.screen);
    assert_eq!(rig.holds(A), vec![CertKind::Sign, CertKind::Auth]);
    assert_eq!(rig.statuses(A), vec![CertStatus::Valid, CertStatus::Valid]);
    // R9: nothing the harness recorded or read back carries a typed secret.
    let set = secrets();
    assert!(d.commands().iter().any(|c| c == "input text <redacted>"));
    assert_eq!(set.count_in(d.commands().join("\n").as_bytes()), 0);
    assert_eq!(set.count_in(d.ui_dumps().join("\n").as_bytes()), 0);
    assert_eq!(set.count_in(d.logcat().unwrap().as_bytes()), 0);
    assert!(!format!("{out:?}").contains(PHONE_PW));
}

#[rstest]
#[case::sensor_yes(true, "yes", true)]
#[case::sensor_no(true, "no", true)]
#[case::no_sensor_no(false, "no", true)]
#[case::no_sensor_yes(false, "yes", false)]
fn biometrics_choice_follows_the_sensor(
    #[case] sensor: bool,
    #[case] choice: &str,
    #[case] completes: bool,
) {
    let rig = Rig::new();
    let mut d = rig.phone(A, profile(Listing::Supported, sensor, &[]));
    assert_eq!(d.offers(Feature::Biometrics).unwrap(), sensor);
    rig.card_on(Some(A));
    let out = d.run_flow("provision", &prov_vars(choice)).unwrap();
    assert_eq!(out.completed, completes, "{out:?}");
    if !completes {
        assert_eq!(error_of(&out), flow::UNEXPECTED_SCREEN);
        assert!(out.message.unwrap_or_default().contains("生体認証"));
    }
}

#[test]
fn provision_failures_are_classified_and_leave_nothing() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    // No card held to the phone.
    let out = d.run_flow("provision", &prov_vars("no")).unwrap();
    assert_eq!(error_of(&out), "card-required", "{out:?}");
    // NFC off.
    rig.card_on(Some(A));
    d.nfc(false).unwrap();
    let out = d.run_flow("provision", &prov_vars("no")).unwrap();
    assert_eq!(error_of(&out), "nfc-off", "{out:?}");
    d.nfc(true).unwrap();
    // Wrong card password: counts down.
    let mut v = prov_vars("no");
    v.insert("card_sign_password".into(), secret("WRONG1234"));
    let out = d.run_flow("provision", &v).unwrap();
    assert_eq!(error_of(&out), "wrong-password");
    assert_eq!(
        out.message.as_deref(),
        Some("パスワードが違います。残り4回")
    );
    // Offline at submission.
    d.set_network(NetworkMode::Offline).unwrap();
    let out = d.run_flow("provision", &prov_vars("no")).unwrap();
    assert_eq!(error_of(&out), "network", "{out:?}");
    assert!(rig.holds(A).is_empty());
    assert!(rig.statuses(A).is_empty());
}

#[test]
fn bad_phone_password_formats_are_refused() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    rig.card_on(Some(A));
    let mut v = prov_vars("no");
    v.insert("phone_auth_pin".into(), secret("12a4"));
    assert_eq!(
        error_of(&d.run_flow("provision", &v).unwrap()),
        "bad-format"
    );
    let mut v = prov_vars("no");
    v.insert("phone_sign_password".into(), secret("SHORT"));
    assert_eq!(
        error_of(&d.run_flow("provision", &v).unwrap()),
        "bad-format"
    );
}

#[test]
fn missing_variable_and_unknown_flow_are_driver_errors() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    rig.card_on(Some(A));
    assert!(matches!(
        d.run_flow("provision", &FlowVars::new()),
        Err(DriverError::Flow(m)) if m.contains("card_sign_password")
    ));
    assert!(matches!(
        d.run_flow("dance", &FlowVars::new()),
        Err(DriverError::Flow(_))
    ));
}

#[test]
fn revoke_online_revokes_and_deletes() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    assert!(rig.provision(&mut d, A).completed);
    let out = d.run_flow("revoke", &revoke_vars("sign,auth")).unwrap();
    assert!(out.completed, "{out:?}");
    assert_eq!(
        rig.statuses(A),
        vec![CertStatus::Revoked, CertStatus::Revoked]
    );
    assert!(rig.holds(A).is_empty());
}

#[test]
fn revoke_one_kind_only() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    assert!(rig.provision(&mut d, A).completed);
    assert!(
        d.run_flow("revoke", &revoke_vars("sign"))
            .unwrap()
            .completed
    );
    assert_eq!(rig.holds(A), vec![CertKind::Auth]);
    let st = rig.with(|l| l.env.statuses(A));
    assert_eq!(st[&CertKind::Sign], CertStatus::Revoked);
    assert_eq!(st[&CertKind::Auth], CertStatus::Valid);
}

#[rstest]
#[case::offline(NetworkMode::Offline)]
#[case::airplane(NetworkMode::Airplane)]
fn revoke_offline_fails_and_changes_nothing_then_succeeds_online(#[case] mode: NetworkMode) {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    assert!(rig.provision(&mut d, A).completed);
    d.set_network(mode).unwrap();
    let out = d.run_flow("revoke", &revoke_vars("sign,auth")).unwrap();
    assert!(!out.completed);
    assert_eq!(error_of(&out), "network", "{out:?}");
    assert!(out.message.unwrap_or_default().contains("通信エラー"));
    assert_eq!(rig.statuses(A), vec![CertStatus::Valid, CertStatus::Valid]);
    assert_eq!(rig.holds(A).len(), 2);
    d.set_network(NetworkMode::Online).unwrap();
    assert!(
        d.run_flow("revoke", &revoke_vars("sign,auth"))
            .unwrap()
            .completed
    );
    assert!(rig.holds(A).is_empty());
}

#[test]
fn revoke_with_wrong_phone_password_is_classified() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    assert!(rig.provision(&mut d, A).completed);
    let mut v = revoke_vars("sign,auth");
    v.insert("phone_sign_password".into(), secret("NOTMINE123"));
    let out = d.run_flow("revoke", &v).unwrap();
    assert_eq!(error_of(&out), "wrong-password");
    assert_eq!(rig.holds(A).len(), 2);
}

#[test]
fn unsupported_model_offers_nothing_and_issues_nothing() {
    let rig = Rig::new();
    let mut d = rig.phone(A, profile(Listing::Unsupported, true, &[]));
    assert!(!d.offers(Feature::Provisioning).unwrap());
    assert!(!d.offers(Feature::RevokeOther).unwrap());
    assert!(!d.offers(Feature::Biometrics).unwrap());
    assert!(d.offers(Feature::SuspensionHelp).unwrap());
    let out = rig.provision(&mut d, A);
    assert_eq!(error_of(&out), "not-offered", "{out:?}");
    let out = d.run_flow("revoke_other", &card_vars()).unwrap();
    assert_eq!(error_of(&out), "not-offered", "{out:?}");
    rig.with(|l| {
        assert!(l.env.certs.is_empty());
        assert!(
            !l.env
                .calls
                .iter()
                .any(|c| c.starts_with("apply") || c.starts_with("revoke"))
        );
    });
}

#[test]
fn revoke_other_with_the_card_revokes_the_old_phone() {
    let rig = Rig::new();
    let mut a = rig.phone(A, supported(&[Quirk::ReissueKeepsOldValid]));
    let mut b = rig.phone(B, supported(&[]));
    assert!(rig.provision(&mut a, A).completed);
    rig.card_on(Some(B));
    let out = b.run_flow("revoke_other", &card_vars()).unwrap();
    assert!(out.completed, "{out:?}");
    assert_eq!(
        rig.statuses(A),
        vec![CertStatus::Revoked, CertStatus::Revoked]
    );
}

#[test]
fn open_my_page_logs_in_and_reports_not_registered() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    let out = d.run_flow("open_my_page", &pin_vars()).unwrap();
    assert_eq!(error_of(&out), "not-registered", "{out:?}");
    assert!(rig.provision(&mut d, A).completed);
    let out = d.run_flow("open_my_page", &pin_vars()).unwrap();
    assert!(out.completed, "{out:?}");
    assert!(out.screen.contains("利用可能"));
}

#[test]
fn register_after_a_lift_downloads_the_reissued_sign_certificate() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    assert!(rig.provision(&mut d, A).completed);
    let out = d.run_flow("register", &FlowVars::new()).unwrap();
    assert_eq!(
        error_of(&out),
        flow::UNEXPECTED_SCREEN,
        "nothing to register yet"
    );
    rig.with(|l| l.env.reissue.insert(A.to_string()));
    let out = d.run_flow("register", &FlowVars::new()).unwrap();
    assert!(out.completed, "{out:?}");
    rig.with(|l| {
        let n = l.env.calls.iter().filter(|c| *c == "register").count();
        assert_eq!(n, 2);
        assert!(l.env.calls.iter().any(|c| c == "reissue_sign"));
    });
}

#[test]
fn stale_certificates_are_cleaned_up_after_reset_and_reinstall() {
    let rig = Rig::new();
    let p = supported(&[]);
    let mut d = rig.phone(A, Arc::clone(&p));
    assert!(rig.provision(&mut d, A).completed);
    d.factory_reset(&p.factory_reset).unwrap();
    assert!(!d.app_installed().unwrap());
    assert_eq!(rig.holds(A).len(), 2, "R3: reset keeps the SE");
    d.install_app(&apk()).unwrap();
    let out = d.run_flow("open_my_page", &pin_vars()).unwrap();
    assert!(out.completed, "{out:?}");
    assert!(out.screen.contains("削除しました"), "{}", out.screen);
    assert!(rig.holds(A).is_empty());
    assert_eq!(
        rig.statuses(A),
        vec![CertStatus::Revoked, CertStatus::Revoked]
    );
}

#[test]
fn suspension_shows_on_my_page_and_revocation_still_works() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    assert!(rig.provision(&mut d, A).completed);
    rig.with(|l| l.env.suspended.insert(PERSON.to_string()));
    let out = d.run_flow("open_my_page", &pin_vars()).unwrap();
    assert_eq!(error_of(&out), "suspended", "{out:?}");
    assert!(
        d.run_flow("revoke", &revoke_vars("sign,auth"))
            .unwrap()
            .completed
    );
}

#[test]
fn uninstall_online_revokes_offline_does_not() {
    let rig = Rig::new();
    let mut a = rig.phone(A, supported(&[]));
    assert!(rig.provision(&mut a, A).completed);
    a.set_network(NetworkMode::Airplane).unwrap();
    a.uninstall_app().unwrap();
    assert_eq!(rig.statuses(A), vec![CertStatus::Valid, CertStatus::Valid]);
    assert_eq!(rig.holds(A).len(), 2);
    a.set_network(NetworkMode::Online).unwrap();
    a.install_app(&apk()).unwrap();
    a.uninstall_app().unwrap();
    assert_eq!(
        rig.statuses(A),
        vec![CertStatus::Revoked, CertStatus::Revoked]
    );
    assert!(rig.holds(A).is_empty());
    assert!(matches!(
        a.uninstall_app(),
        Err(DriverError::Command { .. })
    ));
}

//! Device-level driver commands and injection safety.

use super::*;

#[test]
fn props_come_from_the_profile() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    let p = d.props().unwrap();
    assert_eq!(p.manufacturer, "Kumo");
    assert_eq!(p.model, "KM-51A");
    assert_eq!(p.marketname, "Kumo Sora 5");
    assert_eq!(p.serialno, A);
    assert_eq!(p.release, "14");
    assert_eq!(p.sdk, "34");
    assert_eq!(p.device, "km51a");
    assert!(
        p.fingerprint.starts_with("kumo/kumo_km51a/km51a:14/"),
        "{}",
        p.fingerprint
    );
    assert_eq!(d.serial(), A);
}

#[test]
fn network_modes_reach_the_phone() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    let online = |rig: &Rig| rig.with(|l| l.phones[A].online());
    d.set_network(NetworkMode::Offline).unwrap();
    assert!(!online(&rig));
    d.set_network(NetworkMode::Online).unwrap();
    assert!(online(&rig));
    d.set_network(NetworkMode::Airplane).unwrap();
    assert!(!online(&rig));
}

#[test]
fn powered_off_phone_is_a_transport_problem_until_powered_on() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    d.power_off().unwrap();
    assert!(matches!(
        d.run_flow("open_my_page", &pin_vars()),
        Err(DriverError::Transport(TransportError::Disconnected { .. }))
    ));
    // A phone already off did not reboot, reset or power off now: that is an error, not the
    // dropped connection those commands expect (found by the lifecycle model check).
    let commands = supported(&[]).factory_reset.clone();
    for (what, r) in [
        ("reboot", d.reboot()),
        ("power off", d.power_off()),
        ("factory reset", d.factory_reset(&commands)),
    ] {
        assert!(
            matches!(
                r,
                Err(DriverError::Transport(TransportError::Disconnected { .. }))
            ),
            "{what} of a phone that is off: {r:?}"
        );
    }
    rig.with(|l| l.phones.get_mut(A).unwrap().power_on());
    d.reboot().unwrap();
    assert!(d.app_installed().unwrap());
}

#[test]
fn flow_without_the_app_reports_app_not_installed() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    d.uninstall_app().unwrap();
    let out = d.run_flow("open_my_page", &pin_vars()).unwrap();
    assert_eq!(error_of(&out), flow::APP_NOT_INSTALLED);
    assert!(!d.offers(Feature::Provisioning).unwrap());
}

#[test]
fn install_of_a_foreign_file_fails_with_the_device_message() {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    let err = d.install_app(b"not an apk").unwrap_err();
    assert!(
        err.to_string().contains("INSTALL_FAILED_INVALID_APK"),
        "{err}"
    );
}

#[rstest]
#[case("'; reboot -p #")]
#[case("$(reboot -p)")]
#[case("`reboot -p`")]
#[case("a\nreboot -p")]
#[case("x && reboot -p")]
#[case("\"quoted\" 'single'")]
#[case("マイナンバー カード")]
fn typed_values_cannot_inject_commands(#[case] value: &str) {
    let rig = Rig::new();
    let mut d = rig.phone(A, supported(&[]));
    rig.card_on(Some(A));
    let mut v = prov_vars("no");
    v.insert("card_sign_password".into(), plain(value));
    let out = d.run_flow("provision", &v).unwrap();
    assert_eq!(error_of(&out), "bad-format", "{out:?}");
    assert!(rig.with(|l| l.phones[A].powered()), "injection ran");
    // The field received exactly the value: one bullet per character.
    let dump = d
        .ui_dumps()
        .iter()
        .rev()
        .find(|x| x.contains("card_password"))
        .unwrap()
        .clone();
    let tree = UiTree::parse_dump_output(&dump).unwrap();
    let field = tree
        .nodes
        .iter()
        .find(|n| n.resource_id.ends_with(":id/card_password"))
        .unwrap();
    assert_eq!(field.text.chars().count(), value.chars().count());
    assert!(d.commands().iter().any(|c| c.starts_with("input text ")));
}

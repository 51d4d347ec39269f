//! The driver against the virtual phone, in process (fake environment, no waiting).

use super::*;
use crate::profile::{DeviceProfile, Listing, Quirk};
use crate::scenario::model::{Feature, NetworkMode};
use crate::secret::{Secret, SecretSet};
use crate::sim::phone::VirtualPhone;
use crate::sim::phone::fake_env::{
    CARD_PW, FakeEnv, Lab, PERSON, PHONE_PIN, PHONE_PW, SimTransport, apk, flow_book, profile,
};
use crate::transport::TransportError;
use crate::types::{CertKind, CertStatus};
use rstest::rstest;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const A: &str = "SIM0001";
const B: &str = "SIM0002";

struct Rig {
    lab: Arc<Mutex<Lab>>,
}

impl Rig {
    fn new() -> Self {
        Rig {
            lab: Arc::new(Mutex::new(Lab {
                phones: BTreeMap::new(),
                env: FakeEnv::new(),
            })),
        }
    }
    /// Adds a phone with the app installed (through the driver) and returns its driver.
    fn phone(&self, serial: &str, p: Arc<DeviceProfile>) -> PhoneDriver {
        self.lab
            .lock()
            .unwrap()
            .phones
            .insert(serial.into(), VirtualPhone::new(p, serial, "docomo"));
        let mut d = self.driver(serial);
        d.install_app(&apk()).unwrap();
        d
    }
    fn driver(&self, serial: &str) -> PhoneDriver {
        let t = SimTransport {
            lab: Arc::clone(&self.lab),
            serial: serial.into(),
        };
        PhoneDriver::new(Box::new(t), flow_book())
    }
    fn with<R>(&self, f: impl FnOnce(&mut Lab) -> R) -> R {
        f(&mut self.lab.lock().unwrap())
    }
    fn card_on(&self, serial: Option<&str>) {
        self.with(|l| l.env.card_on = serial.map(str::to_string));
    }
    fn holds(&self, serial: &str) -> Vec<CertKind> {
        self.with(|l| l.env.holds(serial))
    }
    fn statuses(&self, serial: &str) -> Vec<CertStatus> {
        self.with(|l| l.env.statuses(serial).into_values().collect())
    }
    /// Card on the phone, provision, card off again.
    fn provision(&self, d: &mut PhoneDriver, serial: &str) -> FlowOutcome {
        self.card_on(Some(serial));
        let out = d.run_flow("provision", &prov_vars("no")).unwrap();
        self.card_on(None);
        out
    }
}

fn secret(s: &str) -> FlowValue {
    FlowValue::Secret(Secret::new(s))
}

fn plain(s: &str) -> FlowValue {
    FlowValue::Plain(s.into())
}

fn prov_vars(biometrics: &str) -> FlowVars {
    let mut v = FlowVars::new();
    v.insert("card_sign_password".into(), secret(CARD_PW));
    v.insert("phone_auth_pin".into(), secret(PHONE_PIN));
    v.insert("phone_sign_password".into(), secret(PHONE_PW));
    v.insert("biometrics".into(), plain(biometrics));
    v
}

fn revoke_vars(certs: &str) -> FlowVars {
    let mut v = FlowVars::new();
    v.insert("phone_sign_password".into(), secret(PHONE_PW));
    v.insert("certs".into(), plain(certs));
    v
}

fn pin_vars() -> FlowVars {
    let mut v = FlowVars::new();
    v.insert("phone_auth_pin".into(), secret(PHONE_PIN));
    v
}

fn card_vars() -> FlowVars {
    let mut v = FlowVars::new();
    v.insert("card_sign_password".into(), secret(CARD_PW));
    v
}

fn supported(quirks: &[Quirk]) -> Arc<DeviceProfile> {
    profile(Listing::Supported, true, quirks)
}

fn error_of(o: &FlowOutcome) -> &str {
    o.error.as_deref().unwrap_or("")
}

fn secrets() -> SecretSet {
    let mut s = SecretSet::new();
    for v in [CARD_PW, PHONE_PIN, PHONE_PW] {
        s.add(&Secret::new(v));
    }
    s
}

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

/// What a scenario observes after exercising one quirk, on a model with and without it.
fn observe(quirk: Quirk) -> String {
    let rig = Rig::new();
    let p = if quirk == Quirk::UnsupportedOffersProvisioning {
        profile(Listing::Unsupported, true, &[quirk])
    } else {
        supported(&[quirk])
    };
    observe_on(&rig, quirk, p)
}

fn observe_without(quirk: Quirk) -> String {
    let rig = Rig::new();
    let p = if quirk == Quirk::UnsupportedOffersProvisioning {
        profile(Listing::Unsupported, true, &[])
    } else {
        supported(&[])
    };
    observe_on(&rig, quirk, p)
}

fn observe_on(rig: &Rig, quirk: Quirk, p: Arc<DeviceProfile>) -> String {
    let mut d = rig.phone(A, Arc::clone(&p));
    let provisioned = rig.provision(&mut d, A);
    let summary = |rig: &Rig, o: &FlowOutcome| {
        format!(
            "completed={} error={:?} se={:?} status={:?}",
            o.completed,
            o.error,
            rig.holds(A),
            rig.statuses(A)
        )
    };
    match quirk {
        Quirk::ReissueKeepsOldValid => {
            let mut b = rig.phone(B, p);
            let o = rig.provision(&mut b, B);
            summary(rig, &o)
        }
        Quirk::ResetWipesSe => {
            d.factory_reset(&p.factory_reset).unwrap();
            summary(rig, &provisioned)
        }
        Quirk::CleanupOnReinstallMissing => {
            d.factory_reset(&p.factory_reset).unwrap();
            d.install_app(&apk()).unwrap();
            let o = d.run_flow("open_my_page", &pin_vars()).unwrap();
            summary(rig, &o)
        }
        Quirk::RevokeLeavesSeData => {
            let o = d.run_flow("revoke", &revoke_vars("sign,auth")).unwrap();
            summary(rig, &o)
        }
        Quirk::OfflineRevokeReportsSuccess => {
            d.set_network(NetworkMode::Airplane).unwrap();
            let o = d.run_flow("revoke", &revoke_vars("sign,auth")).unwrap();
            summary(rig, &o)
        }
        Quirk::RevokeOtherWithoutCard => {
            let o = d.run_flow("revoke_other", &card_vars()).unwrap();
            summary(rig, &o)
        }
        Quirk::UninstallOnlineNoRevoke => {
            d.uninstall_app().unwrap();
            summary(rig, &provisioned)
        }
        Quirk::AppIgnoresSuspension => {
            rig.with(|l| l.env.suspended.insert(PERSON.to_string()));
            let o = d.run_flow("open_my_page", &pin_vars()).unwrap();
            summary(rig, &o)
        }
        Quirk::UnsupportedOffersProvisioning => {
            format!(
                "offers={} {}",
                d.offers(Feature::Provisioning).unwrap(),
                summary(rig, &provisioned)
            )
        }
        Quirk::SecretInLogcat => {
            format!(
                "leaks={}",
                secrets().count_in(d.logcat().unwrap().as_bytes())
            )
        }
        Quirk::PinRetryNotEnforced | Quirk::AuthCertReadableWithoutPin => String::new(),
    }
}

#[rstest]
#[case(Quirk::ReissueKeepsOldValid)]
#[case(Quirk::ResetWipesSe)]
#[case(Quirk::CleanupOnReinstallMissing)]
#[case(Quirk::RevokeLeavesSeData)]
#[case(Quirk::OfflineRevokeReportsSuccess)]
#[case(Quirk::RevokeOtherWithoutCard)]
#[case(Quirk::UninstallOnlineNoRevoke)]
#[case(Quirk::AppIgnoresSuspension)]
#[case(Quirk::UnsupportedOffersProvisioning)]
#[case(Quirk::SecretInLogcat)]
fn each_app_quirk_changes_what_is_observed(#[case] quirk: Quirk) {
    let with = observe(quirk);
    let without = observe_without(quirk);
    assert_ne!(
        with, without,
        "{quirk:?} made no observable difference: {with}"
    );
}

#[test]
fn quirk_observations_are_the_expected_ones() {
    // Spot checks that the difference is the right one, not any difference.
    assert!(observe(Quirk::ReissueKeepsOldValid).contains("status=[Valid, Valid]"));
    assert!(observe_without(Quirk::ReissueKeepsOldValid).contains("status=[Revoked, Revoked]"));
    assert!(observe(Quirk::ResetWipesSe).contains("se=[] status=[Valid, Valid]"));
    assert!(observe(Quirk::OfflineRevokeReportsSuccess).starts_with("completed=true"));
    assert!(observe(Quirk::OfflineRevokeReportsSuccess).contains("status=[Valid, Valid]"));
    assert!(observe(Quirk::RevokeOtherWithoutCard).starts_with("completed=true"));
    assert!(observe_without(Quirk::RevokeOtherWithoutCard).contains("card-required"));
    assert_eq!(observe(Quirk::SecretInLogcat), "leaks=1");
    assert_eq!(observe_without(Quirk::SecretInLogcat), "leaks=0");
    assert!(
        observe(Quirk::UnsupportedOffersProvisioning).starts_with("offers=true completed=true")
    );
}

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

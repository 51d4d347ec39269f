//! Each app quirk changes what a suite observes.

use super::*;

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

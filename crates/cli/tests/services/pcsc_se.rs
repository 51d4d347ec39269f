//! The reader check against a phone's SE through a real pcscd: a virtual phone is provisioned in process
//! (the app's provision flow), its SE is served on vpcd slot 1, and the check behind `mynacert reader
//! check` reads it through pcscd — token `JPKIAPGPSETOKEN`, the auth certificate only after the auth PIN,
//! both certificates against the SE's CA certificates, and an auth signature verified against the
//! certificate: RSA PKCS#1 v1.5 on kumo-km51a, ECDSA P-256 on hoshi-hx22b. Also the CLI:
//! `mynacert lab serve --se SERIAL@1 --provision taro` + `mynacert reader check`.
//! Needs `pcscd -f -a` with vsmartcard-vpcd (scripts/test starts it; see tests/pcsc_vpcd.rs).

use mynacert::jpki::{JpkiClient, PinState, TOKEN_LABEL_SE};
use mynacert::lab::Lab;
use mynacert::lab::provision::provision_unit;
use mynacert::pcsc::check::{CheckSecrets, Outcome, TokenPins, check_token};
use mynacert::pcsc::{self, PcscSettings, PcscTransport};
use {mynacert::lab::ApduTarget, mynacert_sim::VirtualLab};

use crate::common::pcsc::{SLOT1, WAIT, identity, serve_on, services, slots};
use crate::common::{root, virtual_lab};
use mynacert::types::{CertKind, PinKind};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn unit_of(lab: &VirtualLab, model: &str) -> String {
    lab.units()
        .iter()
        .find(|u| u.profile.id == model && !u.reference)
        .map(|u| u.serial.clone())
        .expect("a unit of the model")
}

/// Provisions a unit of `model`, serves its SE on slot 1 and runs the check through pcscd.
fn check_served_se(model: &str, signature: &str) {
    let mut lab = virtual_lab();
    let serial = unit_of(&lab, model);
    provision_unit(&mut lab, &crate::common::flows(), &serial, "taro")
        .expect("provisioned in process");
    let id = identity(&lab, "taro");
    let server = serve_on(&lab, ApduTarget::SecureElement(serial.clone()), 1);

    // Before the PIN the auth certificate does not read, through pcscd as in process.
    let t = PcscTransport::connect(SLOT1, PcscSettings::default()).expect("connect");
    let mut c = JpkiClient::new(t);
    c.select_jpki_ap().expect("select");
    assert_eq!(c.token_label().expect("label"), TOKEN_LABEL_SE);
    assert!(
        c.read_certificate(CertKind::Auth).is_err(),
        "{model}: the SE's auth certificate is behind the auth PIN"
    );
    drop(c);

    let mut t = PcscTransport::connect(SLOT1, PcscSettings::default()).expect("connect");
    t.begin_transaction().expect("transaction");
    let report = check_token(t, &CheckSecrets::of(&id));
    assert!(report.passed(), "{model}: {report}");
    assert!(report.reader.contains(SLOT1), "{}", report.reader);
    let item = |what: &str| {
        report
            .item(what)
            .unwrap_or_else(|| panic!("{what}: {report}"))
    };
    assert_eq!(item("token info").detail, format!("label {TOKEN_LABEL_SE}"));
    for what in [
        "auth PIN",
        "auth certificate",
        "sign certificate",
        "auth signature",
    ] {
        assert_eq!(
            item(what).outcome,
            Outcome::Pass,
            "{model} {what}: {report}"
        );
    }
    assert!(
        item("auth certificate").detail.contains("signed by the CA"),
        "{report}"
    );
    assert!(
        item("auth signature").detail.starts_with(signature),
        "{model}: {report}"
    );
    // The auth PIN came before the auth certificate's read.
    let pos = |what: &str| report.items.iter().position(|i| i.what == what);
    assert!(pos("auth PIN") < pos("auth certificate"), "{report}");
    // No PIN bytes in the trace.
    let trace = report.trace.join("\n");
    for pin in [&id.phone.auth_pin, &id.phone.sign_password] {
        assert!(!trace.contains(&hex::encode_upper(pin.expose())), "{trace}");
        assert!(!trace.contains(&hex::encode(pin.expose())), "{trace}");
    }
    // No try spent: a new session sees the maximum.
    let t = PcscTransport::connect(SLOT1, PcscSettings::default()).expect("connect");
    let mut c = JpkiClient::new(t);
    c.select_jpki_ap().expect("select");
    assert!(
        matches!(c.retries_left(PinKind::Auth).expect("query"), PinState::Remaining(n) if n > 0)
    );
    drop(c);
    assert!(server.apdus(0) > 10);
    server.stop();
}

#[test]
fn the_reader_check_passes_on_a_served_rsa_phone_se() {
    if !services("the_reader_check_passes_on_a_served_rsa_phone_se") {
        return;
    }
    let _g = slots();
    check_served_se("kumo-km51a", "RSA PKCS#1 v1.5");
}

#[test]
fn the_reader_check_passes_on_a_served_p256_phone_se() {
    if !services("the_reader_check_passes_on_a_served_p256_phone_se") {
        return;
    }
    let _g = slots();
    check_served_se("hoshi-hx22b", "ECDSA P-256");
}

#[test]
fn the_reader_check_fails_on_a_served_se_with_a_wrong_auth_pin() {
    if !services("the_reader_check_fails_on_a_served_se_with_a_wrong_auth_pin") {
        return;
    }
    let _g = slots();
    let mut lab = virtual_lab();
    let serial = unit_of(&lab, "hoshi-hx22b");
    provision_unit(&mut lab, &crate::common::flows(), &serial, "taro")
        .expect("provisioned in process");
    let server = serve_on(&lab, ApduTarget::SecureElement(serial), 1);
    let secrets = CheckSecrets {
        card: TokenPins::default(),
        phone: TokenPins {
            auth_pin: Some(mynacert::secret::Secret::new("0000".to_string())),
            sign_password: None,
        },
    };
    let t = PcscTransport::connect(SLOT1, PcscSettings::default()).expect("connect");
    let report = check_token(t, &secrets);
    server.stop();
    assert!(!report.passed(), "{report}");
    assert_eq!(
        report.item("auth PIN").map(|i| i.outcome),
        Some(Outcome::Fail)
    );
    assert_eq!(
        report.item("auth certificate").map(|i| i.outcome),
        Some(Outcome::Skip),
        "{report}"
    );
}

/// Kills the child when dropped (the served lab must not outlive a failed assertion).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn cli_lab_serve_provisions_a_phone_and_reader_check_passes_on_its_se() {
    if !services("cli_lab_serve_provisions_a_phone_and_reader_check_passes_on_its_se") {
        return;
    }
    let _g = slots();
    pcsc::wait_for_card(SLOT1, false, WAIT).expect("the reader is empty before the test");
    let serial = unit_of(&virtual_lab(), "kumo-km51a");
    let bin = env!("CARGO_BIN_EXE_mynacert");
    let child = Command::new(bin)
        .current_dir(root())
        .args(["lab", "serve", "--no-phones", "--seconds", "60"])
        .args(["--se", &format!("{serial}@1"), "--provision", "taro"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("lab serve starts");
    let served = Child(child);
    // Provisioning runs before the SE is served: wait for the card, longer than a bare serve.
    let started = Instant::now();
    pcsc::wait_for_card(SLOT1, true, Duration::from_secs(30)).expect("the served SE appears");
    assert!(started.elapsed() < Duration::from_secs(30));
    let out = Command::new(bin)
        .current_dir(root())
        .args(["reader", "check", "--reader", SLOT1, "--identity", "taro"])
        .output()
        .expect("reader check runs");
    drop(served);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(&format!("label {TOKEN_LABEL_SE}")), "{text}");
    assert!(text.contains("RSA PKCS#1 v1.5 signature"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
    pcsc::wait_for_card(SLOT1, false, WAIT).expect("the SE leaves the reader with the server");
}

#[test]
fn cli_lab_serve_provision_needs_an_se_phone() {
    let out = Command::new(env!("CARGO_BIN_EXE_mynacert"))
        .current_dir(root())
        .args(["lab", "serve", "--no-phones", "--card", "taro@0"])
        .args(["--provision", "taro", "--seconds", "1"])
        .output()
        .expect("lab serve runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--provision needs at least one --se"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

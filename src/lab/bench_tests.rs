//! The bench lab without hardware: what it asks of the operator, and the errors that name what a bench
//! file lacks.

use super::bench::{BenchLab, Operator};
use super::{Lab, LabError, LabFile, load_identities, load_profiles};
use crate::adb::transport::AdbEnv;
use std::path::Path;
use std::sync::{Arc, Mutex};

struct Recorder(Arc<Mutex<Vec<String>>>);

impl Operator for Recorder {
    fn ask(&mut self, what: &str) -> Result<(), LabError> {
        if let Ok(mut asked) = self.0.lock() {
            asked.push(what.to_string());
        }
        Ok(())
    }
}

/// Builds a bench from lab-file text (identities from the fixtures).
fn build(text: &str) -> Result<BenchLab, LabError> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file: LabFile = match crate::scenario::parse::parse(Path::new("bench.yaml"), text) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    let profiles = load_profiles(&root.join("devices/models")).unwrap_or_default();
    let ids = load_identities(&root.join("fixtures"), &file.identities).unwrap_or_default();
    let env = AdbEnv::from_vars(|_| None).expect("default adb environment");
    BenchLab::build(&file, &profiles, ids, root, &env)
}

fn bench(extra: &str) -> BenchLab {
    let text = format!(
        "lab: b\nkind: bench\nreference_model: kumo-km51a\nidentities: [taro]\n\
         units:\n  - {{ serial: R5CT1, profile: kumo-km51a, carrier: docomo }}\n{extra}"
    );
    match build(&text) {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn without_a_controller_the_operator_is_asked_for_physical_actions() {
    let mut lab = bench("");
    let asked = Arc::new(Mutex::new(Vec::new()));
    lab.set_operator(Box::new(Recorder(asked.clone())));
    lab.place_card("taro", "R5CT1").expect("placed");
    lab.remove_card("taro").expect("removed");
    lab.power_on("R5CT1").expect("powered");
    let asked = asked.lock().map(|a| a.clone()).unwrap_or_default();
    assert_eq!(
        asked,
        [
            "hold taro's card to the NFC antenna of R5CT1",
            "put taro's card back on its reader",
            "power R5CT1 on",
        ]
    );
}

#[test]
fn what_a_bench_file_lacks_is_named() {
    let mut lab = bench("");
    let text = |e: LabError| e.to_string();
    let a = lab.authority().err().map(text).unwrap_or_default();
    assert!(a.contains("names no `controller:`"), "{a}");
    let se = lab
        .secure_element("R5CT1")
        .err()
        .map(text)
        .unwrap_or_default();
    assert!(
        se.contains("no reader in the lab file has `se: R5CT1`"),
        "{se}"
    );
    let card = lab.card("taro").err().map(text).unwrap_or_default();
    assert!(
        card.contains("no reader in the lab file has `card: taro`"),
        "{card}"
    );
    let apk = lab.app_apk().err().map(text).unwrap_or_default();
    assert!(apk.contains("no `app_apk:`"), "{apk}");
    let reset = lab
        .service_reset_card("taro")
        .err()
        .map(text)
        .unwrap_or_default();
    assert!(reset.contains("unblock the PINs of taro's card"), "{reset}");
    let unknown = lab
        .secure_element("R5CT9")
        .err()
        .map(text)
        .unwrap_or_default();
    assert!(unknown.contains("R5CT9"), "{unknown}");
}

#[test]
fn the_phone_path_names_the_adb_server_or_direct() {
    let lab = bench("");
    assert_eq!(
        lab.phone_path(),
        "ADB through the adb server at 127.0.0.1:5037"
    );
    let lab = bench("adb: tcp:10.0.0.2:5037\n");
    assert_eq!(
        lab.phone_path(),
        "ADB through the adb server at 10.0.0.2:5037"
    );
}

#[test]
fn direct_adb_needs_host_port_serials() {
    let e = build(
        "lab: b\nkind: bench\nreference_model: kumo-km51a\nidentities: []\nadb: direct\n\
         units:\n  - { serial: R5CT1, profile: kumo-km51a, carrier: docomo }\n",
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(e.contains("`R5CT1` is not"), "{e}");
}

#[test]
fn a_controller_off_loopback_needs_tls() {
    let text = "lab: b\nkind: bench\nreference_model: kumo-km51a\nidentities: [taro]\n\
                units:\n  - { serial: R5CT1, profile: kumo-km51a, carrier: docomo }\n\
                controller: 192.0.2.10:7000\n";
    let err = match build(text) {
        Ok(_) => panic!("a plain controller off loopback was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("not on loopback") && err.contains("controller_tls"),
        "{err}"
    );
    // On loopback plain TCP stays allowed (the virtual lab's `lab serve`).
    let _ = bench("controller: 127.0.0.1:7000\n");
    // A TLS key that is not there is named.
    let err = match build(&format!(
        "{text}controller_tls: {{ key: keys/none.key, server: keys/none.pub }}\n"
    )) {
        Ok(_) => panic!("missing keys accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("controller_tls: cannot read") && err.contains("none.key"),
        "{err}"
    );
}

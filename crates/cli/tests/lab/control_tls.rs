//! The bench controller over TLS: both ends pin each other's `mynacert keygen` key. A client without a
//! trusted key is refused by the controller; a controller whose key is not the pinned one is refused by
//! the client; plain TCP is served on loopback only.

use mynacert::control::Controller;
use mynacert_sim::control::serve_controller_tls;
use mynacert_wire::tls::{TlsIdentity, client_config, public_keys_from_pem, server_config};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// `mynacert keygen --out DIR/NAME`: (NAME.key text, NAME.pub text).
fn keygen(dir: &Path, name: &str) -> (String, String) {
    let stem: PathBuf = dir.join(name);
    let o = crate::common::mynacert()
        .args(["keygen", "--out"])
        .arg(&stem)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (
        std::fs::read_to_string(stem.with_extension("key")).unwrap(),
        std::fs::read_to_string(stem.with_extension("pub")).unwrap(),
    )
}

fn client(addr: SocketAddr, key: &str, server_pub: &str) -> Controller {
    let cfg = client_config(
        TlsIdentity::from_pem(key, "lab").unwrap(),
        public_keys_from_pem(server_pub).unwrap(),
    )
    .unwrap();
    Controller::new(addr).with_tls(cfg)
}

#[test]
fn only_a_pinned_controller_and_a_trusted_client_talk() {
    let dir = tempfile::tempdir().unwrap();
    let (ctl_key, ctl_pub) = keygen(dir.path(), "controller");
    let (lab_key, lab_pub) = keygen(dir.path(), "lab");
    let (other_key, other_pub) = keygen(dir.path(), "stranger");
    let lab = Arc::new(Mutex::new(crate::common::adb::fleet().lab));
    let cfg = server_config(
        TlsIdentity::from_pem(&ctl_key, "mynacert-controller").unwrap(),
        public_keys_from_pem(&lab_pub).unwrap(),
    )
    .unwrap();
    let server = serve_controller_tls(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        lab,
        BTreeMap::new(),
        Some(cfg),
    )
    .unwrap();
    let addr = server.addr();

    // Both keys right: the controller answers.
    assert_eq!(
        client(addr, &lab_key, &ctl_pub).hello().unwrap(),
        "virtual-lab"
    );
    // No TLS at all: no answer.
    let plain = Controller::with_timeout(addr, std::time::Duration::from_secs(2)).hello();
    assert!(plain.is_err(), "an unauthenticated client got an answer");
    // TLS with a key the controller does not trust: refused in the handshake.
    let err = client(addr, &other_key, &ctl_pub)
        .hello()
        .unwrap_err()
        .to_string();
    assert!(err.contains("TLS"), "{err}");
    // The client pinned another controller key: it refuses this controller.
    let err = client(addr, &lab_key, &other_pub)
        .hello()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("TLS handshake") && err.contains("not one this end was given"),
        "{err}"
    );
}

#[test]
fn plain_tcp_is_served_on_loopback_only_and_no_trusted_key_is_an_error() {
    let lab = Arc::new(Mutex::new(crate::common::adb::fleet().lab));
    let Err(err) = serve_controller_tls(
        SocketAddr::from(([0, 0, 0, 0], 0)),
        lab,
        BTreeMap::new(),
        None,
    ) else {
        panic!("plain TCP served off loopback");
    };
    assert!(err.to_string().contains("loopback only"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(dir.path(), "c");
    let none = server_config(TlsIdentity::from_pem(&key, "c").unwrap(), Vec::new());
    assert!(matches!(
        none,
        Err(mynacert_wire::tls::TlsError::NoTrustedKey)
    ));
}

/// `lab serve --control-key --client-key` serves the controller over TLS and writes a bench file whose
/// `controller_tls` reaches it (the authority's CA through the bench lab); a bench file naming another
/// lab key is refused.
#[test]
fn lab_serve_over_tls_writes_a_bench_file_that_reaches_it() {
    use mynacert::lab::Lab;
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "controller");
    keygen(dir.path(), "lab");
    keygen(dir.path(), "stranger");
    let bench = dir.path().join("bench.yaml");
    let (controller, lab) = (dir.path().join("controller"), dir.path().join("lab"));
    let (mut child, _) = crate::common::lab_serve(
        &bench,
        60,
        &[
            "--control-key".as_ref(),
            controller.as_os_str(),
            "--client-key".as_ref(),
            lab.as_os_str(),
        ],
    );
    let text = std::fs::read_to_string(&bench).unwrap();
    assert!(text.contains("controller_tls: { key: "), "{text}");
    let root = crate::common::root();
    let ca = |text: &str| -> Result<Vec<u8>, String> {
        let file: mynacert::lab::LabFile =
            serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        let profiles = mynacert::lab::load_profiles(&root.join("devices/models"))
            .map_err(|e| format!("{e:?}"))?;
        let ids = mynacert::lab::load_identities(&root.join("fixtures"), &file.identities)
            .map_err(|e| format!("{e:?}"))?;
        let env =
            mynacert::adb::transport::AdbEnv::from_vars(|_| None).map_err(|e| e.to_string())?;
        let mut lab = mynacert::lab::bench::BenchLab::build(&file, &profiles, ids, &root, &env)
            .map_err(|e| e.to_string())?;
        lab.authority()
            .map_err(|e| e.to_string())?
            .ca_certificate(mynacert::types::CertKind::Auth)
            .map_err(|e| e.to_string())
    };
    let der = ca(&text).expect("the CA over TLS");
    assert!(der.len() > 100);
    let lab_key = dir.path().join("lab.key").canonicalize().unwrap();
    let other = dir.path().join("stranger.key").canonicalize().unwrap();
    let err = ca(&text.replace(&*lab_key.to_string_lossy(), &other.to_string_lossy())).unwrap_err();
    assert!(err.contains("trust this lab's key"), "{err}");
    let _ = child.kill();
    let _ = child.wait();
}

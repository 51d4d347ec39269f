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

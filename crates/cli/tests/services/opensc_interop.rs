//! Interop with an independent JPKI client: OpenSC's `jpki` driver reads the served virtual card through
//! pcscd exactly as it reads a real one. Needs pcscd + vpcd (see tests/pcsc_vpcd.rs) and `opensc`.

use crate::common::pcsc::{SLOT0, card_on_slot0, identity, services, slots};
use crate::common::virtual_lab;
use std::process::Command;

const MODULE: &str = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";

fn tool(name: &str) -> Command {
    let mut c = Command::new(name);
    c.env("OPENSC_CONF", "/dev/null");
    c
}

fn run(c: &mut Command) -> String {
    let out = c
        .output()
        .expect("OpenSC tool runs (is `opensc` installed?)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{c:?} failed:\n{text}");
    text
}

#[test]
fn opensc_lists_two_pins_and_four_certificates_and_signs_with_the_auth_key() {
    if !services("opensc_lists_two_pins_and_four_certificates_and_signs_with_the_auth_key") {
        return;
    }
    let _g = slots();
    let lab = virtual_lab();
    let id = identity(&lab, "taro");
    let server = card_on_slot0(&lab, "taro");

    let dump = run(tool("pkcs15-tool").args(["--reader", SLOT0, "-D"]));
    assert!(dump.contains("PKCS#15 Card [JPKI]"), "{dump}");
    assert_eq!(dump.matches("\nPIN [").count(), 2, "{dump}");
    assert!(dump.contains("PIN [User Authentication PIN]"), "{dump}");
    assert!(dump.contains("PIN [Digital Signature PIN]"), "{dump}");
    assert_eq!(dump.matches("X.509 Certificate [").count(), 4, "{dump}");
    assert!(
        dump.contains("Tries left     : 3"),
        "auth PIN retries read without spending: {dump}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("challenge");
    let sig = dir.path().join("sig");
    let cert = dir.path().join("auth.pem");
    let public = dir.path().join("auth-pub.pem");
    std::fs::write(&data, rand::random::<[u8; 32]>()).expect("write challenge");
    run(tool("pkcs15-tool")
        .args(["--reader", SLOT0, "--read-certificate", "01", "-o"])
        .arg(&cert));
    // The PIN goes through the environment of the child only (OpenSC's `env:` form), never argv or logs.
    let signed = run(tool("pkcs11-tool")
        .env("MYNACERT_OPENSC_PIN", id.card.auth_pin.expose())
        .args([
            "--module",
            MODULE,
            "--token-label",
            "JPKI (User Authentication PIN)",
        ])
        .args(["--login", "--pin", "env:MYNACERT_OPENSC_PIN", "--sign"])
        .args(["--mechanism", "SHA256-RSA-PKCS", "--id", "01", "-i"])
        .arg(&data)
        .arg("-o")
        .arg(&sig));
    assert!(!signed.contains(id.card.auth_pin.expose()), "{signed}");
    assert_eq!(std::fs::metadata(&sig).map(|m| m.len()).ok(), Some(256));
    // Right after the signing session (the card still powered, the PIN still verified), OpenSC binds the
    // card again: its jpki driver reads the PIN status as `63 Cx` (a 9000 made it "Unsupported card").
    let again = dir.path().join("auth-again.pem");
    run(tool("pkcs15-tool")
        .args(["--reader", SLOT0, "--read-certificate", "01", "-o"])
        .arg(&again));
    assert_eq!(
        std::fs::read(&again).expect("read again"),
        std::fs::read(&cert).expect("read first")
    );
    run(Command::new("openssl")
        .args(["x509", "-pubkey", "-noout", "-in"])
        .arg(&cert)
        .arg("-out")
        .arg(&public));
    let verified = run(Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&public)
        .arg("-signature")
        .arg(&sig)
        .arg(&data));
    assert!(verified.contains("Verified OK"), "{verified}");
    // A flipped bit does not verify: the check above can fail.
    let mut bad = std::fs::read(&sig).expect("sig");
    bad[17] ^= 0x01;
    std::fs::write(&sig, bad).expect("write");
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&public)
        .arg("-signature")
        .arg(&sig)
        .arg(&data)
        .output()
        .expect("openssl");
    assert!(!out.status.success());
    server.stop();
}

//! Writes the seed corpus from the real encoders and fixtures (run once, then commit the files):
//! `cargo test -p mynacert-fuzz --test seeds -- --ignored`. Existing files are kept (they may be
//! regression inputs).

use mynacert_wire::adb::proto::{Cmd, Message};
use mynacert_wire::types::CertKind;
use std::path::Path;

/// Chunks in the targets' input format: a length byte, then that many bytes.
fn chunked(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        for piece in p.chunks(255) {
            out.push(piece.len() as u8);
            out.extend_from_slice(piece);
        }
    }
    out
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = mynacert_fuzz::corpus_dir(target);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    if !path.exists() {
        std::fs::write(path, bytes).unwrap();
    }
}

const SELECT_AP: &[u8] = &[
    0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
];
const SELECT_TOKEN: &[u8] = &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x06];
const READ_BINARY: &[u8] = &[0x00, 0xB0, 0x00, 0x00, 0x00];
const SELECT_AUTH_CERT: &[u8] = &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A];
const VERIFY_QUERY: &[u8] = &[0x00, 0x20, 0x00, 0x80];
const VERIFY_SIGN: &[u8] = &[
    0x00, 0x20, 0x00, 0x80, 0x06, b'A', b'B', b'C', b'1', b'2', b'3',
];

#[test]
#[ignore = "writes crates/fuzz/corpus/; run once"]
fn write_seed_corpus() {
    // APDUs.
    for (i, c) in [
        SELECT_AP,
        SELECT_TOKEN,
        READ_BINARY,
        VERIFY_QUERY,
        VERIFY_SIGN,
        &[0x00, 0xB0, 0x00, 0x00, 0x00, 0x08, 0x00],
    ]
    .iter()
    .enumerate()
    {
        write("apdu_command", &format!("seed-{i}"), c);
    }
    for (i, r) in [
        &[0x90, 0x00][..],
        &[0x63, 0xC3],
        &[0x6A, 0x82],
        &[0x30, 0x03, 1, 2, 3, 0x90, 0x00],
        &[0x6C, 0x10],
    ]
    .iter()
    .enumerate()
    {
        write("apdu_response", &format!("seed-{i}"), r);
    }
    // DER headers.
    for (i, d) in [
        &[0x30, 0x03, 1, 2, 3][..],
        &[0x30, 0x81, 0x80],
        &[0x30, 0x82, 0x04, 0x00],
        &[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF],
        &[0x30],
    ]
    .iter()
    .enumerate()
    {
        write("der_length", &format!("seed-{i}"), d);
    }
    // The client against answers: select OK, a token label, retries, a short DER certificate.
    let mut label = b"JPKIAPICCTOKEN2".to_vec();
    label.extend_from_slice(&[0x90, 0x00]);
    write(
        "jpki_client",
        "seed-0",
        &chunked(&[
            &[0x90, 0x00],
            &[0x90, 0x00],
            &label,
            &[0x90, 0x00],
            &[0x63, 0xC3],
            &[0x90, 0x00],
            &[0x63, 0xC4],
            &[0x90, 0x00],
            &[0x30, 0x03, 1, 2, 3, 0x90, 0x00],
        ]),
    );
    write(
        "jpki_client",
        "seed-1",
        &chunked(&[
            &[0x90, 0x00],
            &[0x6A, 0x82],
            &[0x6C, 0x05],
            &[0x30, 0x82, 0x01, 0x00, 0x90, 0x00],
        ]),
    );
    // The applet: a session of commands.
    write(
        "jpki_applet",
        "seed-0",
        &chunked(&[
            SELECT_AP,
            SELECT_TOKEN,
            READ_BINARY,
            SELECT_AUTH_CERT,
            &[0x00, 0xB0, 0x00, 0x00, 0x04],
            VERIFY_QUERY,
        ]),
    );
    write(
        "jpki_applet",
        "seed-1",
        &chunked(&[
            SELECT_AP,
            &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x1B],
            VERIFY_SIGN,
            &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x1A],
            &[0x80, 0x2A, 0x00, 0x80, 0x04, 1, 2, 3, 4, 0x00],
        ]),
    );
    // ADB messages.
    let cnxn = Message::new(Cmd::CNXN, 0x0100_0001, 256 * 1024, b"host::\0".to_vec()).encode();
    let open = Message::new(Cmd::OPEN, 1, 0, b"shell,v2,raw:getprop\0".to_vec()).encode();
    let auth = Message::new(Cmd::AUTH, 1, 0, vec![7u8; 20]).encode();
    write("adb_frames", "seed-0", &chunked(&[&cnxn, &open]));
    write(
        "adb_frames",
        "seed-1",
        &chunked(&[&auth[..10], &auth[10..]]),
    );
    // Shell v2.
    let out = mynacert_wire::adb::shell_v2::encode_output(b"hello\n", b"warn\n", 0);
    write("adb_shell_v2", "seed-0", &chunked(&[&out]));
    write("adb_shell_v2", "seed-1", &chunked(&[&out[..3], &out[3..]]));
    // Sync: requests and answers.
    let mut req = Vec::new();
    mynacert_wire::adb::sync::frame_into(b"STAT", b"/sdcard/x", &mut req);
    mynacert_wire::adb::sync::frame_into(b"RECV", b"/sdcard/x", &mut req);
    mynacert_wire::adb::sync::word_into(b"QUIT", 0, &mut req);
    write("adb_sync", "seed-0", &chunked(&[&req]));
    let mut resp = Vec::new();
    mynacert_wire::adb::sync::frame_into(b"DATA", b"content", &mut resp);
    mynacert_wire::adb::sync::word_into(b"DONE", 0, &mut resp);
    mynacert_wire::adb::sync::frame_into(b"FAIL", b"no such file", &mut resp);
    write("adb_sync", "seed-1", &chunked(&[&resp]));
    // An ADB public key.
    let pem = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/keys/se-pool-00.pem"),
    )
    .unwrap();
    use rsa::pkcs8::DecodePrivateKey;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
    let text =
        mynacert_wire::adb::auth::encode_public_key(&key.to_public_key(), "fuzz@lab").unwrap();
    write("adb_key", "seed-0", text.as_bytes());
    // vpcd.
    let mut frames = Vec::new();
    for p in [&[0x01u8][..], &[0x04], SELECT_AP, &[0x00]] {
        frames.extend(mynacert_wire::vpcd::encode_frame(p).unwrap());
    }
    write("vpcd", "seed-0", &chunked(&[&frames]));
    write("vpcd", "seed-1", &[0x04]);
    // Controller lines.
    use mynacert_wire::control::{Request, encode_request};
    let mut lines = Vec::new();
    for r in [
        Request::Hello,
        Request::PlaceCard {
            identity: "taro".into(),
            unit: "SIM-1".into(),
        },
        Request::Crl {
            kind: CertKind::Auth,
        },
        Request::SetSuspended {
            person: "TEST0000000001".into(),
            suspended: true,
        },
    ] {
        lines.extend(encode_request(&r));
    }
    write("controller", "seed-0", &chunked(&[&lines]));
    write("controller", "seed-1", &encode_request(&Request::Hello));
    // uiautomator.
    write(
        "uiautomator",
        "seed-0",
        br#"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0"><node index="0" text="Mynaportal" resource-id="jp.go.myna:id/title" class="android.widget.TextView" package="jp.go.myna" clickable="false" bounds="[0,0][1080,200]"><node index="1" text="Issue" resource-id="jp.go.myna:id/issue" class="android.widget.Button" clickable="true" bounds="[40,300][1040,420]" /></node></hierarchy>"#,
    );
    write(
        "uiautomator",
        "seed-1",
        b"UI hierchary dumped to: /dev/tty\n<hierarchy rotation=\"0\"></hierarchy>",
    );
    // X.509: the authority's own CRL and CA certificate.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let va = mynacert_sim::authority::VirtualAuthority::load(&fixtures).unwrap();
    write("x509", "seed-0", &va.crl_der(CertKind::Auth).unwrap());
    write("x509", "seed-1", &va.ca_der(CertKind::Auth));
    // Suites: the shipped ones.
    for f in ["provisioning", "revocation", "pin-and-secrets"] {
        let text = std::fs::read(fixtures.join(format!("../suites/{f}.yaml"))).unwrap();
        write("scenario", &format!("{f}.yaml"), &text);
    }
}

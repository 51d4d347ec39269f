//! The targets. Each takes any bytes; a panic (or a failed round trip) is a finding.

use super::{Target, chunks};
use mynacert_sim::card::{AppletFlags, AppletKind, JpkiApplet, JpkiContents, test_support};
use mynacert_wire::apdu::{Command, Response};
use mynacert_wire::secret::Secret;
use mynacert_wire::transport::{CardTransport, TransportError};
use mynacert_wire::types::{CertKind, PinKind};
use std::path::Path;
use std::sync::OnceLock;

/// Every target, by name.
pub static TARGETS: &[Target] = &[
    Target {
        name: "apdu_command",
        what: "ISO 7816-4 command APDUs (all four cases, short and extended)",
        run: apdu_command,
    },
    Target {
        name: "apdu_response",
        what: "response APDUs (data and status word)",
        run: apdu_response,
    },
    Target {
        name: "der_length",
        what: "DER/TLV header length parsing",
        run: der_length,
    },
    Target {
        name: "jpki_client",
        what: "the JPKI client against a card answering these bytes (token info, retries, READ BINARY of DER)",
        run: jpki_client,
    },
    Target {
        name: "jpki_applet",
        what: "the virtual JPKI applet (card and phone SE) processing these commands",
        run: jpki_applet,
    },
    Target {
        name: "adb_frames",
        what: "ADB message framing (the decoder both ends use)",
        run: adb_frames,
    },
    Target {
        name: "adb_shell_v2",
        what: "shell protocol v2 packets and the output collector",
        run: adb_shell_v2,
    },
    Target {
        name: "adb_sync",
        what: "the sync protocol: host requests and device answers",
        run: adb_sync,
    },
    Target {
        name: "adb_key",
        what: "ADB public keys (AUTH RSAPUBLICKEY payloads)",
        run: adb_key,
    },
    Target {
        name: "vpcd",
        what: "vpcd framing and requests",
        run: vpcd,
    },
    Target {
        name: "controller",
        what: "bench-controller lines: framing, requests, responses",
        run: controller,
    },
    Target {
        name: "uiautomator",
        what: "uiautomator XML dumps",
        run: uiautomator,
    },
    Target {
        name: "x509",
        what: "CRLs and certificates from the authority, checked against the test CA",
        run: x509,
    },
    Target {
        name: "scenario",
        what: "suite files (the scenario loader with its checks)",
        run: scenario,
    },
];

fn apdu_command(data: &[u8]) {
    if let Ok(c) = Command::decode(data) {
        let again = Command::decode(&c.encode());
        assert_eq!(
            again.as_ref(),
            Ok(&c),
            "a decoded command must encode back to itself"
        );
    }
}

fn apdu_response(data: &[u8]) {
    if let Ok(r) = Response::decode(data) {
        assert_eq!(Response::decode(&r.encode()).as_ref(), Ok(&r));
    }
}

fn der_length(data: &[u8]) {
    if let Ok(n) = mynacert_wire::jpki::der::der_total_len(data) {
        assert!(n >= 2, "a TLV has at least a tag and a length byte");
    }
}

/// A card that answers each command with the next chunk of the input.
struct Scripted<'a>(std::vec::IntoIter<&'a [u8]>);

impl CardTransport for Scripted<'_> {
    fn name(&self) -> &str {
        "fuzz"
    }
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0
            .next()
            .map(<[u8]>::to_vec)
            .ok_or(TransportError::Disconnected {
                unit: "fuzz".into(),
                detail: "no more answers".into(),
            })
    }
}

fn jpki_client(data: &[u8]) {
    let mut c = mynacert_wire::jpki::JpkiClient::new(Scripted(chunks(data).into_iter()));
    let _ = c.select_jpki_ap();
    let _ = c.token_label();
    let _ = c.retries_left(PinKind::Auth);
    let _ = c.verify(PinKind::Sign, &Secret::new("FUZZ1234"));
    let _ = c.read_certificate(CertKind::Auth);
    let _ = c.read_binary_der();
}

fn contents() -> &'static (JpkiContents, JpkiContents) {
    static C: OnceLock<(JpkiContents, JpkiContents)> = OnceLock::new();
    C.get_or_init(|| (test_support::taro_card(), test_support::p256_se()))
}

fn jpki_applet(data: &[u8]) {
    let (card, se) = contents();
    for (kind, c) in [(AppletKind::Card, card), (AppletKind::PhoneSe, se)] {
        let mut applet = JpkiApplet::with_contents(kind, AppletFlags::default(), c.clone());
        for command in chunks(data) {
            let answer = applet.process(command);
            assert!(answer.len() >= 2, "every answer ends with a status word");
        }
    }
}

fn adb_frames(data: &[u8]) {
    let mut d = mynacert_wire::adb::proto::Decoder::new(64 * 1024);
    for piece in chunks(data) {
        d.feed(piece);
        while let Ok(Some(m)) = d.next_message() {
            let mut again = mynacert_wire::adb::proto::Decoder::new(64 * 1024);
            again.feed(&m.encode());
            let back = again.next_message();
            assert!(
                matches!(back, Ok(Some(_))),
                "a decoded message must decode again"
            );
        }
    }
}

fn adb_shell_v2(data: &[u8]) {
    let mut d = mynacert_wire::adb::shell_v2::PacketDecoder::default();
    let mut out = mynacert_wire::adb::shell_v2::OutputCollector::default();
    for piece in chunks(data) {
        d.feed(piece);
        while d.next_packet().is_some() {}
        if out.feed(piece) {
            break;
        }
    }
    let _ = out.finish();
}

fn adb_sync(data: &[u8]) {
    let mut req = mynacert_wire::adb::sync::RequestParser::default();
    let mut resp = mynacert_wire::adb::sync::ResponseParser::default();
    for piece in chunks(data) {
        req.feed(piece);
        resp.feed(piece);
        while let Ok(Some(_)) = req.next_request() {}
        while let Ok(Some(_)) = resp.next_response() {}
    }
}

fn adb_key(data: &[u8]) {
    let _ = mynacert_wire::adb::auth::parse_public_key(data);
}

fn vpcd(data: &[u8]) {
    let _ = mynacert_wire::vpcd::Request::decode(data);
    let mut d = mynacert_wire::vpcd::FrameDecoder::new();
    for piece in chunks(data) {
        d.push(piece);
        while let Some(p) = d.next_payload() {
            if let Ok(r) = mynacert_wire::vpcd::Request::decode(&p) {
                assert_eq!(
                    mynacert_wire::vpcd::Request::decode(&r.payload()).ok(),
                    Some(r)
                );
            }
        }
    }
}

fn controller(data: &[u8]) {
    use mynacert_wire::control::*;
    if let Ok(r) = decode_request(data) {
        let line = encode_request(&r);
        let line = line.strip_suffix(b"\n").unwrap_or(&line);
        assert_eq!(decode_request(line).ok(), Some(r));
    }
    let _ = decode_response(data);
    let mut f = LineFramer::new(256);
    for piece in chunks(data) {
        f.feed(piece);
        while let Some(line) = f.next_line() {
            if let Ok(line) = line {
                let _ = decode_request(&line);
                let _ = decode_response(&line);
            }
        }
    }
}

fn uiautomator(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = mynacert_wire::ui::UiTree::parse(&text);
    let _ = mynacert_wire::ui::UiTree::parse_dump_output(&text);
}

fn ca() -> &'static Vec<u8> {
    static CA: OnceLock<Vec<u8>> = OnceLock::new();
    CA.get_or_init(|| {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        mynacert_sim::authority::VirtualAuthority::load(&fixtures)
            .map(|a| a.ca_der(CertKind::Auth))
            .unwrap_or_default()
    })
}

fn x509(data: &[u8]) {
    let _ = mynacert::authority::parse_crl(data, ca());
    let _ = mynacert::authority::verify_certificate(data, ca());
}

fn scenario(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = mynacert::scenario::load_suite_text(Path::new("fuzz.yaml"), text, String::new());
}

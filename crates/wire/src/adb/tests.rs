//! Byte-level tests of the sans-IO ADB core.

use super::auth::{self, AuthPolicy};
use super::device::{ConnState, DeviceConn, Flow, Service, ServiceHost, ServiceOutput};
use super::drops_connection;
use super::proto::{self, Cmd, Decoder, FrameError, Message};
use super::shell_v2::{self, PacketDecoder};
use super::sync::{self, Request, RequestParser, Response, ResponseParser};
use rsa::RsaPrivateKey;
use std::path::Path;

/// A stored TEST key of the project's fixtures.
fn key(n: u32) -> RsaPrivateKey {
    use rsa::pkcs8::DecodePrivateKey;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/keys")
        .join(format!("se-pool-{n:02}.pem"));
    let pem = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture key {}: {e}", path.display()));
    match RsaPrivateKey::from_pkcs8_pem(&pem) {
        Ok(k) => k,
        Err(e) => panic!("fixture key {}: {e}", path.display()),
    }
}

fn decode_all(bytes: &[u8]) -> Vec<Message> {
    let mut d = Decoder::default();
    d.feed(bytes);
    let mut v = Vec::new();
    while let Some(m) = d.next_message().expect("valid framing") {
        v.push(m);
    }
    assert_eq!(d.pending(), 0, "trailing bytes");
    v
}

#[test]
fn header_is_24_le_bytes_with_checksum_and_magic() {
    let m = Message::new(Cmd::OPEN, 7, 0, b"shell:id\0".to_vec());
    let b = m.encode();
    assert_eq!(b.len(), 24 + 9);
    assert_eq!(&b[0..4], b"OPEN");
    assert_eq!(u32::from_le_bytes([b[4], b[5], b[6], b[7]]), 7);
    assert_eq!(u32::from_le_bytes([b[12], b[13], b[14], b[15]]), 9);
    assert_eq!(
        u32::from_le_bytes([b[16], b[17], b[18], b[19]]),
        proto::checksum(b"shell:id\0")
    );
    assert_eq!(
        u32::from_le_bytes([b[20], b[21], b[22], b[23]]),
        Cmd::OPEN.0 ^ 0xffff_ffff
    );
    assert_eq!(decode_all(&b), vec![m]);
}

#[test]
fn every_truncated_prefix_waits_for_more() {
    let b = Message::new(Cmd::WRTE, 1, 2, vec![9u8; 40]).encode();
    for cut in 0..b.len() {
        let mut d = Decoder::default();
        d.feed(&b[..cut]);
        assert_eq!(d.next_message(), Ok(None), "prefix of {cut} bytes");
    }
}

#[test]
fn bad_magic_checksum_and_length_are_rejected() {
    let mut b = Message::new(Cmd::OKAY, 1, 2, Vec::new()).encode();
    b[20] ^= 1;
    let mut d = Decoder::default();
    d.feed(&b);
    assert!(matches!(d.next_message(), Err(FrameError::BadMagic { .. })));

    let mut b = Message::new(Cmd::WRTE, 1, 2, b"abc".to_vec()).encode();
    b[16] = b[16].wrapping_add(1);
    let mut d = Decoder::default();
    d.feed(&b);
    assert!(matches!(d.next_message(), Err(FrameError::Checksum { .. })));

    let mut d = Decoder::new(16);
    d.feed(&Message::new(Cmd::WRTE, 1, 2, vec![0u8; 17]).encode());
    assert!(matches!(d.next_message(), Err(FrameError::TooLong { .. })));
}

#[test]
fn zero_checksum_is_accepted_from_new_hosts() {
    let mut b = Message::new(Cmd::WRTE, 1, 2, b"abc".to_vec()).encode();
    b[16..20].copy_from_slice(&[0, 0, 0, 0]);
    assert_eq!(decode_all(&b)[0].payload, b"abc");
}

#[test]
fn shell_v2_packets_survive_any_split() {
    let bytes = shell_v2::encode_output(b"out", b"err", 3);
    for cut in 0..bytes.len() {
        let mut d = PacketDecoder::default();
        d.feed(&bytes[..cut]);
        let mut got = Vec::new();
        while let Some(p) = d.next_packet() {
            got.push(p);
        }
        d.feed(&bytes[cut..]);
        while let Some(p) = d.next_packet() {
            got.push(p);
        }
        let ids: Vec<u8> = got.iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![1, 2, 3], "split at {cut}");
        assert_eq!(got[2].data, vec![3]);
    }
}

#[test]
fn packed_small_push_is_parsed_from_one_write() {
    let mut b = Vec::new();
    sync::frame_into(b"SEND", b"/sdcard/x,33188", &mut b);
    sync::frame_into(b"DATA", b"hello", &mut b);
    sync::word_into(b"DONE", 1234, &mut b);
    sync::word_into(b"QUIT", 0, &mut b);
    let mut p = RequestParser::default();
    p.feed(&b);
    let mut got = Vec::new();
    while let Some(r) = p.next_request().expect("valid") {
        got.push(r);
    }
    assert_eq!(
        got,
        vec![
            Request::Send {
                path: "/sdcard/x".into(),
                mode: 33188
            },
            Request::Data(b"hello".to_vec()),
            Request::Done(1234),
            Request::Quit
        ]
    );
}

#[test]
fn sync_answers_round_trip_and_oversized_frames_fail() {
    let mut b = Vec::new();
    sync::frame_into(b"DATA", b"abc", &mut b);
    sync::word_into(b"DONE", 0, &mut b);
    sync::frame_into(b"FAIL", b"nope", &mut b);
    sync::word_into(b"OKAY", 0, &mut b);
    let mut p = ResponseParser::default();
    p.feed(&b);
    let mut got = Vec::new();
    while let Some(r) = p.next_response().expect("valid") {
        got.push(r);
    }
    assert_eq!(
        got,
        vec![
            Response::Data(b"abc".to_vec()),
            Response::Done,
            Response::Fail("nope".into()),
            Response::Okay
        ]
    );
    let mut p = RequestParser::default();
    let mut big = Vec::new();
    big.extend_from_slice(b"DATA");
    big.extend_from_slice(&(sync::MAX_CHUNK as u32 + 1).to_le_bytes());
    p.feed(&big);
    assert!(p.next_request().is_err());
}

#[test]
fn sta2_answer_is_72_bytes() {
    let mut b = Vec::new();
    sync::stat_v2_into(
        b"STA2",
        &sync::FileStat {
            errno: 0,
            mode: sync::S_IFREG | 0o644,
            size: 5,
            mtime: 1,
        },
        &mut b,
    );
    assert_eq!(b.len(), 72);
}

/// A host that echoes: `echo:N` answers N bytes then closes; `drop:` asks for a disconnect.
struct FakeHost;
struct Fixed(ServiceOutput);
impl Service for Fixed {
    fn on_open(&mut self) -> ServiceOutput {
        std::mem::take(&mut self.0)
    }
    fn on_data(&mut self, data: &[u8]) -> ServiceOutput {
        ServiceOutput {
            data: data.to_vec(),
            close: false,
            drop_connection: false,
        }
    }
}
impl ServiceHost for FakeHost {
    fn open(&mut self, service: &str) -> Option<Box<dyn Service>> {
        if let Some(n) = service.strip_prefix("echo:") {
            let n: usize = n.parse().ok()?;
            return Some(Box::new(Fixed(ServiceOutput {
                data: vec![b'x'; n],
                close: true,
                drop_connection: false,
            })));
        }
        if service == "drop:" {
            return Some(Box::new(Fixed(ServiceOutput {
                data: vec![],
                close: true,
                drop_connection: true,
            })));
        }
        if service == "stream:" {
            return Some(Box::new(Fixed(ServiceOutput::default())));
        }
        None
    }
}

fn feed(conn: &mut DeviceConn, msgs: &[Message]) -> (Vec<Message>, Flow) {
    let mut bytes = Vec::new();
    for m in msgs {
        m.encode_into(&mut bytes);
    }
    let mut out = Vec::new();
    let flow = conn
        .on_bytes(&bytes, &mut FakeHost, &mut out)
        .expect("framing");
    (decode_all(&out), flow)
}

fn cnxn(max: u32) -> Message {
    Message::new(Cmd::CNXN, proto::VERSION, max, b"host::\0".to_vec())
}

#[test]
fn cnxn_without_auth_answers_banner_and_ignores_earlier_opens() {
    let mut c = DeviceConn::new("device::x=1".into(), AuthPolicy::Off);
    let (out, _) = feed(
        &mut c,
        &[Message::new(Cmd::OPEN, 1, 0, b"echo:1\0".to_vec())],
    );
    assert!(out.is_empty(), "OPEN before CNXN must be ignored");
    let (out, _) = feed(&mut c, &[cnxn(4096)]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].cmd, Cmd::CNXN);
    assert_eq!(out[0].payload, b"device::x=1");
    assert_eq!(c.state(), &ConnState::Online);
}

#[test]
fn one_write_in_flight_per_stream_then_close() {
    let mut c = DeviceConn::new("device::".into(), AuthPolicy::Off);
    feed(&mut c, &[cnxn(4096)]);
    let (out, _) = feed(
        &mut c,
        &[Message::new(Cmd::OPEN, 9, 0, b"echo:10000\0".to_vec())],
    );
    let cmds: Vec<Cmd> = out.iter().map(|m| m.cmd).collect();
    assert_eq!(
        cmds,
        vec![Cmd::OKAY, Cmd::WRTE],
        "only one WRTE before OKAY"
    );
    let local = out[0].arg0;
    assert_eq!(out[0].arg1, 9);
    assert_eq!(
        out[1].payload.len(),
        4096,
        "chunked at the host's max payload"
    );
    let mut total = out[1].payload.len();
    let mut closed = false;
    for _ in 0..5 {
        let (out, _) = feed(&mut c, &[Message::new(Cmd::OKAY, 9, local, Vec::new())]);
        for m in out {
            match m.cmd {
                Cmd::WRTE => total += m.payload.len(),
                Cmd::CLSE => closed = true,
                _ => panic!("unexpected {m:?}"),
            }
        }
    }
    assert_eq!(total, 10000);
    assert!(closed);
    assert_eq!(c.open_streams(), 0);
}

#[test]
fn host_writes_are_acknowledged_and_unknown_services_refused() {
    let mut c = DeviceConn::new("device::".into(), AuthPolicy::Off);
    feed(&mut c, &[cnxn(4096)]);
    let (out, _) = feed(
        &mut c,
        &[Message::new(Cmd::OPEN, 3, 0, b"nope:\0".to_vec())],
    );
    assert_eq!((out[0].cmd, out[0].arg0, out[0].arg1), (Cmd::CLSE, 0, 3));
    let (out, _) = feed(
        &mut c,
        &[Message::new(Cmd::OPEN, 4, 0, b"stream:\0".to_vec())],
    );
    let local = out[0].arg0;
    let (out, _) = feed(&mut c, &[Message::new(Cmd::WRTE, 4, local, b"ab".to_vec())]);
    assert_eq!(out[0].cmd, Cmd::OKAY);
    assert_eq!(out[1].cmd, Cmd::WRTE);
    assert_eq!(out[1].payload, b"ab");
    let (out, _) = feed(&mut c, &[Message::new(Cmd::WRTE, 4, 999, b"zz".to_vec())]);
    assert!(out.is_empty(), "packets for unknown streams are ignored");
    let (out, _) = feed(&mut c, &[Message::new(Cmd::CLSE, 4, local, Vec::new())]);
    assert_eq!(out[0].cmd, Cmd::CLSE);
}

#[test]
fn reboot_like_service_asks_for_disconnect() {
    let mut c = DeviceConn::new("device::".into(), AuthPolicy::Off);
    feed(&mut c, &[cnxn(4096)]);
    let (_, flow) = feed(
        &mut c,
        &[Message::new(Cmd::OPEN, 1, 0, b"drop:\0".to_vec())],
    );
    assert_eq!(flow, Flow::Disconnect);
}

fn token_conn(policy: AuthPolicy) -> DeviceConn {
    DeviceConn::new("device::".into(), policy).with_token_source(Box::new(|| [7u8; 20]))
}

#[test]
fn auth_signature_from_an_authorized_key_goes_online() {
    let k = key(0);
    let mut c = token_conn(AuthPolicy::Keys {
        authorized: vec![k.to_public_key()],
        accept_new: false,
    });
    let (out, _) = feed(&mut c, &[cnxn(4096)]);
    assert_eq!((out[0].cmd, out[0].arg0), (Cmd::AUTH, proto::AUTH_TOKEN));
    let sig = auth::sign_token(&k, &out[0].payload).expect("sign");
    let (out, _) = feed(
        &mut c,
        &[Message::new(Cmd::AUTH, proto::AUTH_SIGNATURE, 0, sig)],
    );
    assert_eq!(out[0].cmd, Cmd::CNXN);
}

#[test]
fn auth_with_a_stranger_key_stays_unauthorized_unless_accepted() {
    let stranger = key(1);
    for accept in [false, true] {
        let mut c = token_conn(AuthPolicy::Keys {
            authorized: vec![key(0).to_public_key()],
            accept_new: accept,
        });
        let (out, _) = feed(&mut c, &[cnxn(4096)]);
        let sig = auth::sign_token(&stranger, &out[0].payload).expect("sign");
        let (out, _) = feed(
            &mut c,
            &[Message::new(Cmd::AUTH, proto::AUTH_SIGNATURE, 0, sig)],
        );
        assert_eq!(
            (out[0].cmd, out[0].arg0),
            (Cmd::AUTH, proto::AUTH_TOKEN),
            "a bad signature gets a new token"
        );
        let mut pubkey = auth::encode_public_key(&stranger.to_public_key(), "t@h")
            .expect("encode")
            .into_bytes();
        pubkey.push(0);
        let (out, _) = feed(
            &mut c,
            &[Message::new(Cmd::AUTH, proto::AUTH_RSAPUBLICKEY, 0, pubkey)],
        );
        if accept {
            assert_eq!(out[0].cmd, Cmd::CNXN);
        } else {
            assert!(out.is_empty());
            let (out, _) = feed(
                &mut c,
                &[Message::new(Cmd::OPEN, 1, 0, b"echo:1\0".to_vec())],
            );
            assert!(out.is_empty(), "unauthorized device opens nothing");
        }
    }
}

#[test]
fn android_public_key_format_round_trips() {
    let k = key(2).to_public_key();
    let text = auth::encode_public_key(&k, "user@host").expect("encode");
    assert!(text.ends_with(" user@host"));
    assert_eq!(auth::parse_public_key(text.as_bytes()).expect("parse"), k);
    assert!(auth::parse_public_key(b"AAAA user@host").is_err());
}

#[test]
fn reboot_and_factory_reset_lines_drop_the_connection() {
    assert!(drops_connection("reboot"));
    assert!(drops_connection("reboot -p"));
    assert!(drops_connection(
        "am broadcast -a android.intent.action.FACTORY_RESET -p android"
    ));
    assert!(!drops_connection("getprop ro.product.model"));
    assert!(!drops_connection("echo 'reboot'x"));
}

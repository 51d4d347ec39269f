//! Byte-fixture tests of the controller codec: every op round-trips; bad lines give named errors.

use super::*;
use crate::types::{CertKind, IssuedRecord};

fn all_requests() -> Vec<(Request, &'static str)> {
    vec![
        (Request::Hello, r#"{"op":"hello"}"#),
        (
            Request::PlaceCard {
                identity: "taro".into(),
                unit: "127.0.0.1:15100".into(),
            },
            r#"{"op":"place_card","identity":"taro","unit":"127.0.0.1:15100"}"#,
        ),
        (
            Request::RemoveCard {
                identity: "taro".into(),
            },
            r#"{"op":"remove_card","identity":"taro"}"#,
        ),
        (
            Request::PowerOn { unit: "U1".into() },
            r#"{"op":"power_on","unit":"U1"}"#,
        ),
        (
            Request::ResetCard {
                identity: "hanako".into(),
            },
            r#"{"op":"reset_card","identity":"hanako"}"#,
        ),
        (
            Request::WipeSe { unit: "U1".into() },
            r#"{"op":"wipe_se","unit":"U1"}"#,
        ),
        (
            Request::CaCertificate {
                kind: CertKind::Sign,
            },
            r#"{"op":"ca_certificate","kind":"sign"}"#,
        ),
        (
            Request::Crl {
                kind: CertKind::Auth,
            },
            r#"{"op":"crl","kind":"auth"}"#,
        ),
        (
            Request::Issued {
                person: "taro".into(),
            },
            r#"{"op":"issued","person":"taro"}"#,
        ),
        (
            Request::Suspended {
                person: "taro".into(),
            },
            r#"{"op":"suspended","person":"taro"}"#,
        ),
        (
            Request::SetSuspended {
                person: "taro".into(),
                suspended: true,
            },
            r#"{"op":"set_suspended","person":"taro","suspended":true}"#,
        ),
        (
            Request::RevokeAll {
                person: "taro".into(),
            },
            r#"{"op":"revoke_all","person":"taro"}"#,
        ),
    ]
}

#[test]
fn every_request_has_its_wire_bytes_and_round_trips() {
    let all = all_requests();
    assert_eq!(all.len(), OPS.len(), "a fixture per op");
    for (request, wire) in all {
        let line = encode_request(&request);
        assert_eq!(line, format!("{wire}\n").into_bytes(), "{request:?}");
        assert_eq!(decode_request(&line), Ok(request.clone()));
        assert_eq!(decode_request(wire.as_bytes()), Ok(request.clone()));
        assert!(OPS.contains(&request.op()));
    }
}

#[test]
fn crlf_line_end_is_accepted() {
    assert_eq!(
        decode_request(b"{\"op\":\"hello\"}\r\n"),
        Ok(Request::Hello)
    );
}

#[test]
fn every_response_has_its_wire_bytes_and_round_trips() {
    let record = IssuedRecord {
        kind: CertKind::Sign,
        device: "127.0.0.1:15100".into(),
        der: vec![0x30, 0x03, 0x02, 0x01, 0x01],
    };
    let cases = [
        (
            Response::Hello {
                lab: "virtual-lab".into(),
                protocol: 1,
            },
            r#"{"ok":true,"lab":"virtual-lab","protocol":1}"#,
        ),
        (Response::Done, r#"{"ok":true}"#),
        (
            Response::Der(vec![0x30, 0x00]),
            r#"{"ok":true,"der":"MAA="}"#,
        ),
        (
            Response::Issued(vec![record]),
            r#"{"ok":true,"issued":[{"kind":"sign","device":"127.0.0.1:15100","der":"MAMCAQE="}]}"#,
        ),
        (Response::Issued(vec![]), r#"{"ok":true,"issued":[]}"#),
        (
            Response::Suspended(false),
            r#"{"ok":true,"suspended":false}"#,
        ),
        (Response::Count(2), r#"{"ok":true,"count":2}"#),
        (
            Response::Error("no unit `x`".into()),
            r#"{"ok":false,"error":"no unit `x`"}"#,
        ),
    ];
    for (response, wire) in cases {
        let line = encode_response(&response);
        assert_eq!(
            String::from_utf8_lossy(&line),
            format!("{wire}\n"),
            "{response:?}"
        );
        assert_eq!(decode_response(&line), Ok(response));
    }
}

#[test]
fn garbage_lines_give_named_errors() {
    let cases: [(&[u8], ProtoError); 9] = [
        (b"hello", ProtoError::NotJson(String::new())),
        (b"", ProtoError::Empty),
        (b"  \n", ProtoError::Empty),
        (b"[1,2]", ProtoError::NotObject),
        (
            b"{\"identity\":\"taro\"}",
            ProtoError::MissingField("op".into()),
        ),
        (b"{\"op\":\"x\"}", ProtoError::UnknownOp("x".into())),
        (
            b"{\"op\":\"place_card\",\"unit\":\"u\"}",
            ProtoError::MissingField("identity".into()),
        ),
        (b"{\"op\":3}", ProtoError::BadField(String::new())),
        (b"{\"op\":\"\xff\"}", ProtoError::NotUtf8 { offset: 7 }),
    ];
    for (line, want) in cases {
        let got = decode_request(line);
        let same = match (&got, &want) {
            (Err(ProtoError::NotJson(_)), ProtoError::NotJson(_)) => true,
            (Err(ProtoError::BadField(_)), ProtoError::BadField(_)) => true,
            (Err(g), w) => g == w,
            _ => false,
        };
        assert!(
            same,
            "{:?}: got {got:?}, want {want:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn errors_name_what_was_wrong() {
    let text = |line: &[u8]| decode_request(line).unwrap_err().to_string();
    assert_eq!(text(b"{\"op\":\"x\"}"), "unknown op `x`");
    assert_eq!(
        text(b"{\"op\":\"place_card\",\"unit\":\"u\"}"),
        "missing field `identity`"
    );
    assert!(text(b"hello").starts_with("not JSON"));
    assert!(text(b"{\"op\":\"crl\",\"kind\":\"both\"}").contains("both"));
}

#[test]
fn truncated_lines_are_named_truncated() {
    for wire in [
        &br#"{"op":"place_card","identity":"ta"#[..],
        br#"{"op":"#,
        br#"{"#,
    ] {
        assert!(
            matches!(decode_request(wire), Err(ProtoError::Truncated(_))),
            "{:?}",
            decode_request(wire)
        );
    }
    assert!(matches!(
        decode_response(br#"{"ok":true,"der":"MA"#),
        Err(ProtoError::Truncated(_))
    ));
}

#[test]
fn every_prefix_of_a_valid_line_is_an_error_not_a_panic() {
    for (_, wire) in all_requests() {
        let bytes = wire.as_bytes();
        for cut in 0..bytes.len() {
            assert!(decode_request(&bytes[..cut]).is_err(), "{cut}: {wire}");
        }
    }
}

#[test]
fn bad_responses_give_named_errors() {
    assert_eq!(
        decode_response(br#"{"error":"x"}"#),
        Err(ProtoError::MissingField("ok".into()))
    );
    assert_eq!(
        decode_response(br#"{"ok":false}"#),
        Err(ProtoError::MissingField("error".into()))
    );
    assert!(matches!(
        decode_response(br#"{"ok":true,"der":"not base64!"}"#),
        Err(ProtoError::BadField(t)) if t.contains("der")
    ));
    assert_eq!(
        decode_response(br#"{"ok":true,"lab":"x"}"#),
        Err(ProtoError::MissingField("protocol".into()))
    );
}

#[test]
fn oversized_lines_are_refused() {
    let mut line = vec![b' '; MAX_LINE + 1];
    line.extend_from_slice(b"{\"op\":\"hello\"}");
    assert_eq!(
        decode_request(&line),
        Err(ProtoError::TooLong {
            len: MAX_LINE + 15,
            max: MAX_LINE
        })
    );
}

#[test]
fn framer_cuts_lines_across_chunks() {
    let mut f = LineFramer::new(64);
    f.feed(b"{\"op\":\"he");
    assert_eq!(f.next_line(), None);
    f.feed(b"llo\"}\n{\"op\":\"hello\"}\nrest");
    assert_eq!(f.next_line(), Some(Ok(b"{\"op\":\"hello\"}".to_vec())));
    assert_eq!(f.next_line(), Some(Ok(b"{\"op\":\"hello\"}".to_vec())));
    assert_eq!(f.next_line(), None);
    assert_eq!(f.pending(), 4);
}

#[test]
fn framer_reports_an_oversized_line_once_and_resynchronises() {
    let mut f = LineFramer::new(8);
    f.feed(b"0123456789");
    assert_eq!(f.next_line(), None, "waits for the end of the long line");
    f.feed(b"abc\nok\n");
    assert_eq!(
        f.next_line(),
        Some(Err(ProtoError::TooLong { len: 13, max: 8 }))
    );
    assert_eq!(f.next_line(), Some(Ok(b"ok".to_vec())));
    assert_eq!(f.next_line(), None);
    // A line of exactly the limit is fine; one over in a single chunk is refused.
    f.feed(b"12345678\n123456789\nx\n");
    assert_eq!(f.next_line(), Some(Ok(b"12345678".to_vec())));
    assert_eq!(
        f.next_line(),
        Some(Err(ProtoError::TooLong { len: 9, max: 8 }))
    );
    assert_eq!(f.next_line(), Some(Ok(b"x".to_vec())));
}

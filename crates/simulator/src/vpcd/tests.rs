use super::*;
use crate::card::test_support;
use crate::transport::{CardTransport, TransportError};
use proptest::prelude::*;

#[test]
fn control_bytes_decode_to_requests() {
    assert_eq!(Request::decode(&[0x00]), Ok(Request::PowerOff));
    assert_eq!(Request::decode(&[0x01]), Ok(Request::PowerOn));
    assert_eq!(Request::decode(&[0x02]), Ok(Request::Reset));
    assert_eq!(Request::decode(&[0x04]), Ok(Request::GetAtr));
    assert_eq!(Request::decode(&[0x03]), Err(CodecError::UnknownControl(3)));
    assert_eq!(Request::decode(&[]), Err(CodecError::Empty));
    assert_eq!(
        Request::decode(&[0x00, 0xB0]),
        Ok(Request::Apdu(vec![0x00, 0xB0]))
    );
}

#[test]
fn frames_are_length_prefixed_big_endian() {
    assert_eq!(encode_frame(&[0x04]), Ok(vec![0x00, 0x01, 0x04]));
    let long = vec![0xAB; 0x1234];
    let f = encode_frame(&long).expect("fits");
    assert_eq!(&f[..2], &[0x12, 0x34]);
    assert_eq!(f.len(), 0x1236);
    assert_eq!(
        encode_frame(&vec![0; 70_000]),
        Err(CodecError::TooLong(70_000))
    );
}

#[test]
fn decoder_waits_for_whole_frames_and_splits_packed_ones() {
    let mut d = FrameDecoder::new();
    d.push(&[0x00]);
    assert_eq!(d.next_payload(), None);
    d.push(&[0x01, 0x04, 0x00, 0x03, 0xAA]);
    assert_eq!(d.next_payload(), Some(vec![0x04]));
    assert_eq!(d.next_payload(), None);
    assert_eq!(d.pending(), 3);
    d.push(&[0xBB, 0xCC, 0x00, 0x01, 0x01]);
    assert_eq!(d.next_payload(), Some(vec![0xAA, 0xBB, 0xCC]));
    assert_eq!(d.next_payload(), Some(vec![0x01]));
    assert_eq!(d.pending(), 0);
}

proptest! {
    #[test]
    fn any_split_of_a_frame_stream_yields_the_payloads(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..300), 1..6),
        cut in 0usize..2000,
    ) {
        let stream: Vec<u8> = payloads.iter().flat_map(|p| encode_frame(p).expect("small")).collect();
        let cut = cut.min(stream.len());
        let mut d = FrameDecoder::new();
        let mut got = Vec::new();
        for part in [&stream[..cut], &stream[cut..]] {
            d.push(part);
            while let Some(p) = d.next_payload() {
                got.push(p);
            }
        }
        prop_assert_eq!(got, payloads);
    }
}

/// A fake session that counts how often it was opened and echoes commands with 9000.
fn counting_card() -> (VpcdCard, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    struct Echo;
    impl CardTransport for Echo {
        fn name(&self) -> &str {
            "echo"
        }
        fn transmit(&mut self, c: &[u8]) -> Result<Vec<u8>, TransportError> {
            let mut r = c.to_vec();
            r.extend_from_slice(&[0x90, 0x00]);
            Ok(r)
        }
    }
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let o = opened.clone();
    let card = VpcdCard::new(
        vec![0x3B, 0x00],
        Box::new(move || {
            o.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Box::new(Echo) as Box<dyn CardTransport>)
        }),
    );
    (card, opened)
}

#[test]
fn card_side_answers_atr_and_apdus_and_not_power_requests() {
    let (mut card, opened) = counting_card();
    assert_eq!(card.handle(Request::GetAtr), Ok(Some(vec![0x3B, 0x00])));
    assert_eq!(card.handle(Request::PowerOn), Ok(None));
    assert!(card.powered());
    assert_eq!(
        card.handle(Request::Apdu(vec![0x00, 0x84])),
        Ok(Some(vec![0x00, 0x84, 0x90, 0x00]))
    );
    assert_eq!(card.handle(Request::Reset), Ok(None));
    assert_eq!(card.handle(Request::PowerOff), Ok(None));
    assert!(!card.powered());
    assert_eq!(opened.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(card.apdus(), 1);
}

#[test]
fn a_reset_clears_the_verified_pin_of_the_real_applet() {
    let applet = std::sync::Arc::new(std::sync::Mutex::new(
        crate::card::JpkiApplet::with_contents(
            crate::card::AppletKind::Card,
            crate::card::AppletFlags::default(),
            test_support::taro_card(),
        ),
    ));
    let a = applet.clone();
    let mut card = VpcdCard::new(
        crate::card::JpkiApplet::CARD_ATR.to_vec(),
        Box::new(move || {
            if let Ok(mut g) = a.lock() {
                g.power_cycle();
            }
            Ok(
                Box::new(crate::card::AppletTransport::shared("t", a.clone()))
                    as Box<dyn CardTransport>,
            )
        }),
    );
    let select = |c: &mut VpcdCard, apdu: Vec<u8>| c.handle(Request::Apdu(apdu));
    let mut aid = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    aid.extend_from_slice(&crate::jpki::JPKI_AP_AID);
    assert_eq!(select(&mut card, aid.clone()), Ok(Some(vec![0x90, 0x00])));
    assert_eq!(
        select(&mut card, vec![0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]),
        Ok(Some(vec![0x90, 0x00]))
    );
    let mut verify = vec![0x00, 0x20, 0x00, 0x80, 0x04];
    verify.extend_from_slice(test_support::AUTH_PIN.as_bytes());
    assert_eq!(select(&mut card, verify), Ok(Some(vec![0x90, 0x00])));
    assert!(
        applet
            .lock()
            .map(|a| a.is_verified(crate::types::PinKind::Auth))
            .unwrap_or(false)
    );
    card.handle(Request::Reset).expect("reset");
    assert!(
        !applet
            .lock()
            .map(|a| a.is_verified(crate::types::PinKind::Auth))
            .unwrap_or(true)
    );
}

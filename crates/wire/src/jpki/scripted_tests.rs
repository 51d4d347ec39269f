//! Client against scripted cards: garbage and unusual answers.

use super::*;
use crate::apdu::Sw;
use crate::secret::Secret;
use crate::transport::{CardTransport, TransportError};
use crate::types::PinKind;
use rstest::rstest;
use std::collections::VecDeque;

fn s(v: &str) -> Secret {
    Secret::new(v)
}

/// A card that answers from a script and records what it was sent.
struct Scripted {
    answers: VecDeque<Vec<u8>>,
    sent: Vec<Vec<u8>>,
}

impl CardTransport for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.sent.push(command.to_vec());
        self.answers
            .pop_front()
            .ok_or(TransportError::Disconnected {
                unit: "scripted".into(),
                detail: "script ended".into(),
            })
    }
}

fn scripted(answers: &[&[u8]]) -> JpkiClient<Scripted> {
    JpkiClient::new(Scripted {
        answers: answers.iter().map(|a| a.to_vec()).collect(),
        sent: Vec::new(),
    })
}

#[test]
fn answer_without_status_word_is_malformed() {
    let mut c = scripted(&[&[0x90]]);
    let err = c.select_jpki_ap().unwrap_err();
    assert!(
        matches!(&err, JpkiError::Malformed { what } if what.contains("1 byte(s)")),
        "{err}"
    );
}

#[test]
fn wrong_le_6cxx_is_retried_with_the_exact_length() {
    let mut c = scripted(&[&[0x6C, 0x05], &[0x30, 0x03, 1, 2, 3, 0x90, 0x00]]);
    assert_eq!(c.read_binary_der().unwrap(), vec![0x30, 0x03, 1, 2, 3]);
    let sent = &c.transport().sent;
    assert_eq!(sent[0], vec![0x00, 0xB0, 0x00, 0x00, 0x00]);
    assert_eq!(sent[1], vec![0x00, 0xB0, 0x00, 0x00, 0x05]);
}

#[rstest]
#[case::verify_ok(&[0x90, 0x00], Ok(PinState::Verified))]
#[case::two_left(&[0x63, 0xC2], Ok(PinState::Remaining(2)))]
#[case::blocked(&[0x69, 0x84], Ok(PinState::Blocked))]
#[case::weird(&[0x6F, 0x00], Err(Sw::UNKNOWN_ERROR))]
fn verify_maps_status_words(#[case] answer: &[u8], #[case] want: Result<PinState, Sw>) {
    let mut c = scripted(&[&[0x90, 0x00], answer]);
    let got = c
        .verify(PinKind::Auth, &s("1234"))
        .map_err(|e| e.sw().unwrap());
    assert_eq!(got, want);
    assert_eq!(
        c.transport().sent[0],
        vec![0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]
    );
    assert_eq!(c.transport().sent[1], b"\x00\x20\x00\x80\x041234".to_vec());
}

#[test]
fn empty_pin_is_refused_before_sending() {
    let mut c = scripted(&[]);
    assert!(matches!(
        c.verify(PinKind::Auth, &s("")),
        Err(JpkiError::InvalidInput { .. })
    ));
    assert!(c.transport().sent.is_empty());
}

/// A card that lost its selection answers `6A 82` once; the client selects the AP again and asks again,
/// so the EF is not taken for absent. A second `6A 82` is the real answer.
#[test]
fn a_lost_selection_is_asked_again_and_a_real_absence_stays_absent() {
    const OK: &[u8] = &[0x90, 0x00];
    const NOT_FOUND: &[u8] = &[0x6A, 0x82];
    let mut c = scripted(&[OK, NOT_FOUND, OK, OK]);
    c.select_jpki_ap().unwrap();
    assert!(c.holds(CertKind::Auth).unwrap(), "the glitch is retried");
    let sent = &c.transport().sent;
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[2], sent[0], "the AP is selected again");
    assert_eq!(sent[3], sent[1], "then the EF is asked again");
    let mut c = scripted(&[OK, NOT_FOUND, OK, NOT_FOUND]);
    c.select_jpki_ap().unwrap();
    assert!(!c.holds(CertKind::Auth).unwrap());
    // Before any application is selected, nothing is retried.
    let mut c = scripted(&[NOT_FOUND]);
    assert!(!c.holds(CertKind::Auth).unwrap());
}

/// `69 86` (no current EF) on READ BINARY: the AP and the EF are selected again, then the read.
#[test]
fn command_not_allowed_on_a_read_restores_the_selection_once() {
    let mut c = scripted(&[
        &[0x90, 0x00],
        &[0x90, 0x00],
        &[0x69, 0x86],
        &[0x90, 0x00],
        &[0x90, 0x00],
        &[b'J', b'P', 0x90, 0x00],
    ]);
    c.select_jpki_ap().unwrap();
    c.select_ef(ef::TOKEN_INFO).unwrap();
    assert_eq!(c.read_binary(0, 2).unwrap(), b"JP");
    let sent = &c.transport().sent;
    assert_eq!(sent[3], sent[0]);
    assert_eq!(sent[4], sent[1]);
    assert_eq!(sent[5], sent[2]);
}

/// More bytes than Le (a reader handing back its whole buffer) is not an answer: refused.
#[test]
fn an_answer_longer_than_asked_is_malformed() {
    let mut long = vec![0u8; 256];
    long.extend_from_slice(&[0x90, 0x00]);
    let mut c = scripted(&[&long]);
    let e = c.read_binary(0, 32).unwrap_err();
    assert!(
        matches!(&e, JpkiError::Malformed { what } if what.contains("asked 32 byte(s) and got 256")),
        "{e}"
    );
}

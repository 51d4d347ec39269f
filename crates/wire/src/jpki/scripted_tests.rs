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

//! Virtual cards served on vpcd, read through a real pcscd with the PC/SC transport. Needs `pcscd -f -a`
//! running with vsmartcard-vpcd (scripts/test starts it; without it these tests SKIP loudly, or fail
//! when MYNACERT_REQUIRE_SERVICES=1).

use crate::common::pcsc::{SLOT0, WAIT, card_on_slot0, identity, services, slots};
use crate::common::virtual_lab;
use mynacert::apdu::Sw;
use mynacert::jpki::{JpkiClient, TOKEN_LABEL_CARD, ef};
use mynacert::lab::Lab;
use mynacert::pcsc::check::{CheckSecrets, check_token};
use mynacert::pcsc::{self, PcscSettings, PcscTransport};
use mynacert::secret::Secret;
use mynacert::transport::{CardTransport, TransportError};
use mynacert::types::CertKind;

#[test]
fn a_served_card_reads_through_pcscd_like_in_process() {
    if !services("a_served_card_reads_through_pcscd_like_in_process") {
        return;
    }
    let _g = slots();
    let mut lab = virtual_lab();
    let server = card_on_slot0(&lab, "taro");
    let atr = pcsc::card_atr(SLOT0).expect("status");
    assert_eq!(
        atr,
        Some(vec![0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14])
    );

    let reader = pcsc::resolve_reader("Virtual PCD * 00").expect("one reader matches");
    assert_eq!(reader, SLOT0);
    let t = PcscTransport::connect(&reader, PcscSettings::default()).expect("connect");
    assert!(t.name().contains(SLOT0));
    let mut client = JpkiClient::new(t);
    client.select_jpki_ap().expect("select");
    assert_eq!(client.token_label().expect("label"), TOKEN_LABEL_CARD);
    let over_reader = client.read_certificate(CertKind::Auth).expect("auth cert");
    let mut local = JpkiClient::new(lab.card("taro").expect("in-process card"));
    local.select_jpki_ap().expect("select");
    assert_eq!(
        local.read_certificate(CertKind::Auth).expect("cert"),
        over_reader
    );
    // Past the end of the file: 6B00, through pcscd as in process.
    client.select_ef(ef::AUTH_CERT).expect("select EF");
    let end = u16::try_from(over_reader.len() + 16).expect("small");
    let r = client.read_binary(end, 16);
    assert_eq!(
        r.expect_err("past end").sw(),
        Some(Sw::from_bytes(0x6B, 0x00))
    );
    // Sign cert behind the sign PIN.
    assert!(client.read_certificate(CertKind::Sign).is_err());
    drop(client);
    assert!(server.apdus(0) > 0);
    server.stop();
}

#[test]
fn the_reader_check_passes_on_the_served_card_and_spends_no_try() {
    if !services("the_reader_check_passes_on_the_served_card_and_spends_no_try") {
        return;
    }
    let _g = slots();
    let lab = virtual_lab();
    let server = card_on_slot0(&lab, "taro");
    let id = identity(&lab, "taro");
    let mut t = PcscTransport::connect(SLOT0, PcscSettings::default()).expect("connect");
    t.begin_transaction()
        .expect("the check runs in one transaction");
    let report = check_token(t, &CheckSecrets::of(&id));
    assert!(report.passed(), "{report}");
    for what in ["auth certificate", "sign certificate", "auth signature"] {
        let item = report.item(what).expect(what);
        assert_eq!(
            item.outcome,
            mynacert::pcsc::check::Outcome::Pass,
            "{report}"
        );
    }
    let trace = report.trace.join("\n");
    assert!(
        !trace.contains(&hex::encode_upper(id.card.auth_pin.expose())),
        "{trace}"
    );
    assert!(
        trace.contains("00 20 00 80") || trace.contains("00200080"),
        "{trace}"
    );
    // The counter is untouched: a new session still sees 3 tries.
    let t = PcscTransport::connect(SLOT0, PcscSettings::default()).expect("connect");
    let mut c = JpkiClient::new(t);
    c.select_jpki_ap().expect("select");
    assert_eq!(
        c.retries_left(mynacert::types::PinKind::Auth)
            .expect("query"),
        mynacert::jpki::PinState::Remaining(3)
    );
    drop(c);
    server.stop();
}

#[test]
fn removing_the_card_mid_session_is_an_infrastructure_error_naming_the_reader() {
    if !services("removing_the_card_mid_session_is_an_infrastructure_error_naming_the_reader") {
        return;
    }
    let _g = slots();
    let lab = virtual_lab();
    let server = card_on_slot0(&lab, "taro");
    let t = PcscTransport::connect(SLOT0, PcscSettings::default()).expect("connect");
    let mut client = JpkiClient::new(t);
    client.select_jpki_ap().expect("select");
    server.remove(0);
    assert!(server.wait_connected(0, false, WAIT));
    pcsc::wait_for_card(SLOT0, false, WAIT).expect("pcscd sees the removal");
    let err = client
        .read_certificate(CertKind::Auth)
        .expect_err("card is gone");
    let text = err.to_string();
    assert!(text.contains(SLOT0), "{text}");
    assert!(
        matches!(
            err,
            mynacert::jpki::JpkiError::Transport(TransportError::Disconnected { .. })
        ),
        "{err:?}"
    );
    drop(client);
    // No card: a new session waits, then fails naming the reader.
    let quick = PcscSettings {
        card_wait_ms: 200,
        ..PcscSettings::default()
    };
    let e = PcscTransport::connect(SLOT0, quick).err().expect("no card");
    assert!(e.to_string().contains(SLOT0), "{e}");
    assert!(matches!(e, TransportError::Timeout { .. }), "{e:?}");
    // Put it back: a new session works.
    server.insert(0);
    pcsc::wait_for_card(SLOT0, true, WAIT).expect("card back");
    let mut c =
        JpkiClient::new(PcscTransport::connect(SLOT0, PcscSettings::default()).expect("connect"));
    c.select_jpki_ap().expect("select after re-insert");
    drop(c);
    server.stop();
}

#[test]
fn transactions_keep_other_sessions_out_until_they_end() {
    if !services("transactions_keep_other_sessions_out_until_they_end") {
        return;
    }
    let _g = slots();
    let lab = virtual_lab();
    let server = card_on_slot0(&lab, "taro");
    let explicit = PcscSettings {
        session_transaction: false,
        command_timeout_ms: 500,
        ..PcscSettings::default()
    };
    let mut a = PcscTransport::connect(SLOT0, explicit.clone()).expect("a");
    let mut b = PcscTransport::connect(SLOT0, explicit).expect("b");
    a.begin_transaction().expect("a begins");
    let select = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];
    assert_eq!(a.transmit(&select).expect("a transmits"), vec![0x90, 0x00]);
    // b blocks while a holds the transaction: its command times out, naming the reader.
    let e = b.transmit(&select).expect_err("b is kept out");
    assert!(matches!(e, TransportError::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains(SLOT0), "{e}");
    a.end_transaction().expect("a ends");
    drop(a);
    drop(b);
    let mut c = PcscTransport::connect(SLOT0, PcscSettings::default()).expect("c");
    assert_eq!(c.transmit(&select).expect("c transmits"), vec![0x90, 0x00]);
    drop(c);
    server.stop();
}

#[test]
fn an_unknown_reader_pattern_is_an_error_listing_the_readers() {
    if !services("an_unknown_reader_pattern_is_an_error_listing_the_readers") {
        return;
    }
    let e = pcsc::resolve_reader("ACS ACR1252*").expect_err("no such reader");
    let text = e.to_string();
    assert!(
        text.contains("ACS ACR1252*") && text.contains("Virtual PCD"),
        "{text}"
    );
    let _ = Secret::new("unused");
}

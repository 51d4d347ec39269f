//! A hung reader ends the command at the step's deadline: a card served on vpcd that takes a command and
//! answers nothing holds pcscd's transmit; the harness's PC/SC transport gives up when the thread's
//! deadline (a step's or scenario's timeout) comes, naming the reader — instead of waiting out its own
//! command timeout.

use crate::common::pcsc::{SLOT0, card_on_slot0, services, slots};
use crate::common::virtual_lab;
use mynacert::jpki::JpkiClient;
use mynacert::pcsc::{PcscSettings, PcscTransport};
use std::time::{Duration, Instant};

#[test]
fn a_hung_reader_ends_the_command_at_the_step_deadline_naming_the_reader() {
    if !services("a_hung_reader_ends_the_command_at_the_step_deadline_naming_the_reader") {
        return;
    }
    let _slots = slots();
    let lab = virtual_lab();
    let server = card_on_slot0(&lab, "taro");
    let t = PcscTransport::connect(SLOT0, PcscSettings::default()).expect("connect");
    let mut c = JpkiClient::new(t);
    c.select_jpki_ap()
        .expect("the card answers before it hangs");
    server.freeze(0, true);
    let deadline = Instant::now() + Duration::from_millis(700);
    let err = mynacert_wire::deadline::within(deadline, || c.token_label())
        .expect_err("a hung card cannot answer");
    server.freeze(0, false);
    let text = err.to_string();
    assert!(text.contains(SLOT0), "names the reader: {text}");
    assert!(
        text.contains("before the step's timeout"),
        "the step's deadline, not the 5 s command timeout, ended the wait: {text}"
    );
    drop(c);
    server.stop();
}

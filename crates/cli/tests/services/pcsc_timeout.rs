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

/// With a time scale, a card served on vpcd takes its device time: a reader session (`se_read` in
/// `devices/timing.yaml`) starts with the SELECT of an application, which answers only once that time ×
/// the scale has passed — the PC/SC path meets real waiting, as the ADB path does.
#[test]
fn a_served_card_takes_its_device_time_times_the_scale() {
    if !services("a_served_card_takes_its_device_time_times_the_scale") {
        return;
    }
    let _slots = slots();
    let root = crate::common::root();
    let profiles = crate::common::profiles();
    let spec = crate::common::spec(profiles.clone(), mynacert::lab::PhonePath::InProcess);
    let timing = mynacert::schedule::load_timing(&root).expect("timing");
    let se_read = timing
        .get(mynacert_wire::timing::Action::SeRead)
        .expect("se_read");
    let scale = 0.05;
    let vspec = mynacert_wire::lab::VirtualSpec {
        timing: Some(timing),
        time_scale: scale,
        ..spec.file.virtual_spec()
    };
    let lab =
        mynacert_sim::VirtualLab::build(&vspec, &profiles, spec.identities, &root.join("fixtures"))
            .expect("a lab on a time scale");
    let server = card_on_slot0(&lab, "taro");
    let t = PcscTransport::connect(SLOT0, PcscSettings::default()).expect("connect");
    let mut c = JpkiClient::new(t);
    let started = Instant::now();
    c.select_jpki_ap().expect("select");
    let took = started.elapsed();
    // A lower bound only: the card slept before it answered.
    assert!(
        took >= Duration::from_secs_f64(se_read * scale),
        "answered after {took:?}, before {se_read} s × {scale}"
    );
    drop(c);
    server.stop();
}

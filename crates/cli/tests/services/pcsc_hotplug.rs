//! Waiting for a card through a real pcscd while watching reader hotplug (PnP notification): insertion
//! and removal still end the wait, a wait that should time out does (the PnP pseudo-reader's first
//! report does not end it), and a reader pcscd does not know ends the wait at once as an infrastructure
//! error naming the reader. vpcd's readers cannot be unplugged (closing a slot is a card removal), so
//! the unplug-during-a-wait decision is unit-tested sans-IO in `src/pcsc/hotplug.rs`.
//! Needs `pcscd -f -a` with vsmartcard-vpcd (see tests/pcsc_vpcd.rs).

use crate::common::pcsc::{SLOT1, WAIT, services, slots};
use crate::common::virtual_lab;
use mynacert::lab::ApduTarget;
use mynacert::pcsc;
use mynacert::transport::TransportError;
use mynacert_sim::vpcd::{CardSlot, serve_cards};
use std::time::{Duration, Instant};

#[test]
fn waiting_on_a_reader_pcscd_does_not_know_fails_at_once_naming_it() {
    if !services("waiting_on_a_reader_pcscd_does_not_know_fails_at_once_naming_it") {
        return;
    }
    let name = "Unplugged Reader 42 00";
    let started = Instant::now();
    let e = pcsc::wait_for_card(name, true, WAIT).expect_err("no such reader");
    assert!(started.elapsed() < Duration::from_secs(2), "not a timeout");
    assert!(matches!(e, TransportError::Disconnected { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains(name), "{text}");
    assert!(text.contains("unplugged"), "{text}");
}

#[test]
fn waits_with_hotplug_watch_see_insertion_removal_and_time_out() {
    if !services("waits_with_hotplug_watch_see_insertion_removal_and_time_out") {
        return;
    }
    let _g = slots();
    pcsc::wait_for_card(SLOT1, false, WAIT).expect("the reader is empty before the test");
    // Nothing happens: the wait runs its full time, then names the reader.
    let started = Instant::now();
    let e = pcsc::wait_for_card(SLOT1, true, Duration::from_millis(700)).expect_err("no card");
    assert!(started.elapsed() >= Duration::from_millis(650));
    assert!(matches!(e, TransportError::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains(SLOT1), "{e}");

    let lab = virtual_lab();
    let server = serve_cards(&lab, &[CardSlot::local(ApduTarget::Card("taro".into()), 1)]);
    pcsc::wait_for_card(SLOT1, true, WAIT).expect("insertion seen");
    let e = pcsc::wait_for_card(SLOT1, false, Duration::from_millis(700)).expect_err("card stays");
    assert!(matches!(e, TransportError::Timeout { .. }), "{e:?}");
    server.remove(0);
    pcsc::wait_for_card(SLOT1, false, WAIT).expect("removal seen");
    server.stop();
}

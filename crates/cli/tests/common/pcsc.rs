//! Shared helpers of the PC/SC tests: the service gate, the virtual lab, and one lock, because vpcd's
//! two slots are one machine-wide resource.
#![allow(dead_code)]

use mynacert::identity::Identity;
use mynacert::lab::{ApduTarget, Lab};
use mynacert::pcsc;
use mynacert_sim::VirtualLab;
use mynacert_sim::vpcd::{CardServer, CardSlot, serve_cards};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// vpcd's reader names for slots 0 and 1 as pcscd lists them.
pub const SLOT0: &str = "Virtual PCD 00 00";
pub const SLOT1: &str = "Virtual PCD 00 01";

static VPCD: Mutex<()> = Mutex::new(());

/// Takes the vpcd slots for one test (poison from a failed test is ignored).
pub fn slots() -> MutexGuard<'static, ()> {
    VPCD.lock().unwrap_or_else(|p| p.into_inner())
}

/// True when pcscd runs with the vpcd reader. When it does not: panics if `MYNACERT_REQUIRE_SERVICES=1`
/// (scripts/test starts pcscd), else prints a loud SKIP and returns false.
pub fn services(test: &str) -> bool {
    let why = match mynacert::pcsc::list_readers() {
        Ok(r) if r.iter().any(|n| n == SLOT0) && r.iter().any(|n| n == SLOT1) => return true,
        Ok(r) => {
            format!("pcscd lists no vpcd reader (readers: {r:?}); is vsmartcard-vpcd installed?")
        }
        Err(e) => format!("{e}"),
    };
    if std::env::var("MYNACERT_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("{test}: PC/SC service required but unavailable: {why}");
    }
    eprintln!(
        "\n!!!!!!!! SKIPPED {test}: needs pcscd + vpcd ({why}). Start `pcscd -f -a` or run scripts/test. !!!!!!!!\n"
    );
    false
}

/// How long to wait for pcscd to see a card come or go.
pub const WAIT: Duration = Duration::from_secs(5);

/// Serves `target` of `lab` on vpcd slot `slot` (0 or 1) once that reader is empty, and waits until
/// pcscd sees it there.
pub fn serve_on(lab: &VirtualLab, target: ApduTarget, slot: u16) -> CardServer {
    let reader = if slot == 0 { SLOT0 } else { SLOT1 };
    pcsc::wait_for_card(reader, false, WAIT).expect("the reader is empty before the test");
    let server = serve_cards(lab, &[CardSlot::local(target, slot)]);
    pcsc::wait_for_card(reader, true, WAIT).expect("the card or SE appears on the reader");
    server
}

/// Serves `lab`'s card of `identity` on vpcd slot 0 (see [`serve_on`]).
pub fn card_on_slot0(lab: &VirtualLab, identity: &str) -> CardServer {
    serve_on(lab, ApduTarget::Card(identity.into()), 0)
}

/// The lab's test identity `id`.
pub fn identity(lab: &VirtualLab, id: &str) -> Identity {
    lab.identities()
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("the lab holds no identity `{id}`"))
        .clone()
}

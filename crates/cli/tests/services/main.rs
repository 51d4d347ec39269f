//! mynacert's system tests through real services: pcscd with vsmartcard's vpcd (readers, cards, SEs,
//! OpenSC), Debian's adb server, and benches built from both. `scripts/test` starts them and sets
//! `MYNACERT_REQUIRE_SERVICES=1`; without them these tests skip loudly.

#[path = "../common/mod.rs"]
mod common;

mod adb_server;
mod bench;
mod opensc_interop;
mod pcsc_hotplug;
mod pcsc_runner;
mod pcsc_se;
mod pcsc_timeout;
mod pcsc_vpcd;
mod queue;

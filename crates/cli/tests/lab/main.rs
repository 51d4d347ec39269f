//! mynacert's system tests that need no service: the shipped suites on the virtual lab in process and
//! over ADB straight to served adbds, the CLI, reports, bundles, the device list, the drivers against
//! the simulator, and the mutation score. (`services` holds the tests that need pcscd, vpcd or an adb
//! server.)

#[path = "../common/mod.rs"]
mod common;

mod adb_wire;
mod authority;
mod authority_x509;
mod boundary;
mod bundle;
mod cli;
mod control;
mod control_tls;
mod devicelist;
mod evidence;
mod handover;
mod jpki_applet;
mod model;
mod mutation;
mod parallel;
mod pcsc_offline;
mod phone;
mod plan;
mod report;
mod timeout;
mod virtual_lab;

//! The virtual adbd: the device side of ADB over TCP for each virtual phone. `services` answers
//! shell/exec/sync/install/reboot over a phone's in-process shell on top of the sans-IO connection state
//! machine of `mynacert_wire::adb::device`; `server` is the TCP edge (one listener per phone, closed while
//! the phone reboots or is off, as a real one); `fleet` serves a whole virtual lab.

pub mod fleet;
pub mod server;
pub mod services;

pub use server::{AdbdConfig, ServedPhone, ShellFactory};

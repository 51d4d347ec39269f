//! mynacert-sim: the virtual lab. Virtual phones (a GP-SE with the JPKI applet and the Mynaportal app,
//! rendered as uiautomator XML and PNG screenshots), virtual My Number Cards, a virtual test CA with signed
//! CRLs, and the composition root that ties them into a [`virtual_lab::VirtualLab`] implementing the
//! `Lab` seam of `mynacert_wire`. It serves its phones as adbds ([`adbd`]), its cards and SEs on vpcd
//! ([`vpcd`]) and itself as a bench controller ([`control`]), so the harness reaches it over the same
//! wires as a real lab. It depends on `mynacert_wire` only; the harness never depends on it.

pub mod adbd;
pub mod authority;
pub mod card;
pub mod chaos;
pub mod control;
pub mod device_time;
pub mod keys;
pub mod phone;
pub mod virtual_lab;
pub mod vpcd;
mod world;

pub use mynacert_wire::lab::VirtualSpec;
pub use mynacert_wire::{apdu, identity, jpki, lab, profile, secret, shell, transport, types, ui};
pub use virtual_lab::{VirtualLab, factory};

//! mynacert: a conformance harness and device-certification suite for Japan's smartphone JPKI service.
//!
//! Layers (see README): `scenario` loads YAML; `runner` binds roles to units and executes steps through
//! the drivers (`phone`, `jpki`, `authority`) over the byte transports of `transport`; `sim` is the virtual
//! lab that answers those same transports; `report` turns results into verdicts and files.

pub mod adb;
pub mod apdu;
pub mod authority;
pub mod bundle;
pub mod carrier;
pub mod cli;
pub mod control;
pub mod devicelist;
pub mod identity;
pub mod journal;
pub mod jpki;
pub mod lab;
pub mod pcsc;
pub mod phone;
pub mod profile;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod secret;
pub mod sim;
pub mod transport;
pub mod types;

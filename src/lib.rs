//! mynacert: a conformance harness and device-certification suite for Japan's smartphone JPKI service.
//!
//! This crate is the harness: `scenario` loads YAML; `runner` binds roles to units and executes steps
//! through the drivers (`phone`, `jpki`, `authority`) over the transports of the `Lab` seam; `report`
//! turns results into verdicts and files; `journal`, `bundle` and `devicelist` keep and publish them. The
//! codecs and shared types come from `mynacert_wire` (re-exported here under their old names); the
//! virtual lab is the `mynacert_sim` crate, which this one never depends on.

pub mod adb;
pub mod authority;
pub mod bundle;
pub mod carrier;
pub mod control;
pub mod devicelist;
pub mod journal;
pub mod jpki;
pub mod lab;
pub mod pcsc;
pub mod phone;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod schedule;
pub mod store;

pub use mynacert_wire::{apdu, chaos, identity, profile, secret, transport, types};

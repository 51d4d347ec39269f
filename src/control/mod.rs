//! The bench controller: a TCP service a bench lab provides for what the harness cannot do itself (hold a
//! card to a phone, power a unit on, test-service resets, the authority's test environment). JSON lines:
//! the sans-IO codec is `mynacert_wire::control` (re-exported as `proto`), `client` the harness side
//! ([`Controller`]); the virtual lab's server lives in the simulator crate.

pub mod client;

pub use client::Controller;
pub use mynacert_wire::control as proto;
pub use proto::{ProtoError, Request, Response};

//! The bench controller: a TCP service a bench lab provides for what the harness cannot do itself (hold a
//! card to a phone, power a unit on, test-service resets, the authority's test environment). JSON lines:
//! `proto` is the sans-IO codec, `client` the harness side ([`Controller`]), `server` the virtual lab's
//! implementation (`mynacert lab serve --control PORT`).

pub mod bench_file;
pub mod client;
pub mod proto;
pub mod server;
#[cfg(test)]
mod tests;

pub use client::Controller;
pub use proto::{ProtoError, Request, Response};
pub use server::{ControllerServer, UnitNames, serve_controller};

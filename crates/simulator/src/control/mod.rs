//! The virtual lab as a bench controller: the server side of the controller protocol
//! (`mynacert_wire::control`), and the bench lab file that describes what `mynacert lab serve` serves.

pub mod bench_file;
pub mod server;

pub use server::{ControllerServer, UnitNames, serve_controller, serve_controller_tls};

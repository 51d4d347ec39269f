//! JPKI: the client driver and constants live in `mynacert_wire::jpki` (the virtual app reads cards with
//! the same client); re-exported here under the harness's old path.

pub use mynacert_wire::jpki::*;

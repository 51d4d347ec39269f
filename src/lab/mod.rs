//! Labs: the `Lab` seam (defined in `mynacert_wire::lab`, re-exported here), lab files and model profiles
//! as files, bench labs (real units over ADB, readers over PC/SC, a bench controller), and provisioning a
//! unit outside a scenario. The virtual lab lives in the simulator crate, which the harness never depends
//! on.

pub mod bench;
#[cfg(test)]
mod bench_tests;
pub mod cards;
mod inventory;
pub mod open;
pub mod profiles;
pub mod provision;
pub mod survey;
mod units;

pub use inventory::{CardSafety, ControllerTls, LabFile, LabKind, load_identities, load_yaml_file};
pub use profiles::{ModelFile, check_models, load_profiles};
pub use units::check_units;

pub use mynacert_wire::lab::{
    ApduConnector, ApduTarget, Fault, Lab, LabError, PhoneConnector, UnitInfo, VirtualBackend,
    VirtualFactory, VirtualSpec, is_simulated_fingerprint, unit,
};
pub use open::{LabSpec, OpenLab, PhonePath, lab_units, load_flows, open_lab};

//! Device time and the schedule: what each action of a lab costs ([`timing`], `devices/timing.yaml`
//! under each profile's `timing:`), what each execution costs ([`cost`]), and the scheduler that shares
//! units, identities, the operator and the readers on a virtual clock ([`sim`]); [`plan`] puts them
//! together for `mynacert plan`.

pub mod cost;
mod engine;
pub mod medians;
pub mod plan;
pub mod replay;
pub mod sim;
pub mod timing;

pub use plan::{Plan, PlanLab, human, plan, render};
pub use replay::{Ran, replay, replay_bound};
pub use sim::{Capacity, Demand, LowerBound, Schedule, Segment, Slot, lower_bound, schedule};
pub use timing::{load_timing, load_timing_file};

//! The scenario language: YAML suites → validated scenarios.
//!
//! Passes: [`parse`] turns text into the serde [`model`] (unknown keys refused, budgets enforced), then
//! [`validate`] checks what serde cannot (roles, capabilities, error classes, variables, unique ids) and
//! [`load`] does the cross-file checks. Every problem is a [`LoadError`] at `file:line:column`.

pub mod error;
pub mod list;
pub mod load;
pub mod model;
pub mod parse;
pub mod steps;
pub mod suggest;
pub mod validate;
pub mod vars;

pub use error::{LoadError, LoadErrors, Pos};
pub use list::render_list;
pub use load::{LoadedSuite, SuiteSet, full_id, load_paths, load_profile, load_suite};
pub use steps::{RoleKind, RoleRef};
pub use validate::{ERROR_CLASSES, ValidationContext};
pub use vars::{Value, VarError, resolve};

#[cfg(test)]
mod tests_load;
#[cfg(test)]
mod tests_prop;

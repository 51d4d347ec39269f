//! The scenario language: YAML suites → validated scenarios.
//!
//! Passes: [`parse`] turns text into the serde [`model`] (unknown keys refused, budgets enforced; when it
//! fails, `recover` finds every other problem of the file too), then [`validate`] checks what serde cannot
//! (roles, capabilities, error classes, variables, unique ids) and [`load`] does the cross-file checks.
//! Every problem is a [`LoadError`] at `file:line:column`; [`help`] has the words for them. [`secrets`]
//! finds passwords typed literally into a suite.

pub mod error;
pub mod help;
pub mod list;
pub mod load;
pub mod model;
pub mod parse;
mod recover;
pub mod secrets;
pub mod steps;
pub mod suggest;
pub mod tree;
pub mod validate;
pub mod vars;

pub use error::{LoadError, LoadErrors, Pos};
pub use list::render_list;
pub use load::{
    LoadedSuite, SuiteSet, full_id, load_paths, load_profile, load_suite, load_suite_text,
    suite_ids_under,
};
pub use steps::{RoleKind, RoleRef};
pub use validate::{ERROR_CLASSES, TakenSuite, ValidationContext};
pub use vars::{Value, VarError, resolve};

#[cfg(test)]
mod tests_load;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_recover;

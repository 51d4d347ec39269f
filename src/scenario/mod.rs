//! The scenario language: YAML suites → validated scenarios.

pub mod model;

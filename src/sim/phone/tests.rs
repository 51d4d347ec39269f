//! Virtual phone tests.

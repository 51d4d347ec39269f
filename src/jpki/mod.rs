//! The JPKI client driver (harness side) and the stored test keys.

pub mod keys;

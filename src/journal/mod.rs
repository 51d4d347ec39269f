//! The results journal: an append-only JSON-lines file (`journal.jsonl`) in the run directory.
//!
//! The first line describes the run (run id, harness version, lab, suites with their SHA-256 digests, the
//! certification rules, the model profiles and every unit with its build fingerprint). Then one line per
//! finished step and one per finished scenario, each written in one `write` and flushed as it finishes,
//! and a last line when the run ends. A run killed with SIGKILL keeps every line written before; the
//! reader tolerates a torn last line. Reports are pure functions of what [`read_journal`] returns.

/// Test data (journals, results, profiles) for this crate's tests and, with the `fixtures` feature, for other
/// crates' tests. Not compiled into the product.
#[cfg(any(test, feature = "fixtures"))]
pub mod fixture;
mod header;
mod merge;
mod reader;
mod record;
mod writer;

pub use header::{RunMeta, start_run, suite_digests, suite_files};
pub use merge::{MergeError, merge};
pub use reader::{Journal, JournalError, read_journal};
pub use record::{
    CertRules, Entry, FORMAT, LostAttempt, RunFooter, RunHeader, ScenarioEntry, StepEntry,
    SuiteRecord, UnitRecord,
};
pub use writer::{Fanout, JournalWriter};

/// The journal's file name inside a run directory.
pub const FILE_NAME: &str = "journal.jsonl";

#[cfg(test)]
mod tests;

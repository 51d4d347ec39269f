//! Reports: the results JSON of a run, the console reporter and the per-model table.

mod console;
pub mod verdict;

pub use console::{ConsoleReporter, render_table};

use crate::runner::result::ScenarioResult;
use serde::Serialize;
use std::path::{Path, PathBuf};
use verdict::ModelVerdict;

/// A suite file as run.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteRef {
    pub path: String,
    /// SHA-256 of the file bytes.
    pub digest: String,
}

/// The results file of one run (`reports/<run-id>/results.json`).
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub harness_version: String,
    pub lab: String,
    pub started: String,
    pub finished: String,
    pub certification_profile: Option<String>,
    pub suite_version: Option<String>,
    pub suites: Vec<SuiteRef>,
    pub verdicts: Vec<ModelVerdict>,
    pub scenarios: Vec<ScenarioResult>,
}

impl RunReport {
    /// Writes `results.json` under `dir/<run_id>/` and returns its path.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let run_dir = dir.join(&self.run_id);
        std::fs::create_dir_all(&run_dir)?;
        let path = run_dir.join("results.json");
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let tmp = run_dir.join("results.json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// A run id from the wall clock: `run-YYYYMMDDTHHMMSSZ-<pid>`.
pub fn new_run_id() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "run-{:04}{:02}{:02}T{:02}{:02}{:02}Z-{}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        std::process::id()
    )
}

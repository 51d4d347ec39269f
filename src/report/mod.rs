//! Reports: every file a run leaves, as pure functions of its journal (`mynacert report RUN_DIR` rebuilds
//! them): `results.json`, `junit.xml` (CI), `report.html` (people), plus the console reporter and table.

mod console;
pub mod history_svg;
pub mod html;
pub mod junit;
pub mod verdict;

pub use console::{ConsoleReporter, render_table};

use crate::journal::{Journal, SuiteRecord, UnitRecord};
use crate::runner::result::ScenarioResult;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use verdict::ModelVerdict;

/// The results file of one run (`reports/<run-id>/results.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub run_id: String,
    pub harness_version: String,
    pub lab: String,
    pub started: String,
    /// When the run ended, or the time of the last journal line of an interrupted run.
    pub finished: String,
    /// The run did not reach its end (killed or crashed): only finished scenarios are reported.
    pub interrupted: bool,
    pub certification_profile: Option<String>,
    pub suite_version: Option<String>,
    pub suites: Vec<SuiteRecord>,
    pub units: Vec<UnitRecord>,
    /// How the phone drivers reached the units.
    #[serde(default)]
    pub phones: Option<String>,
    pub verdicts: Vec<ModelVerdict>,
    pub scenarios: Vec<ScenarioResult>,
    /// Attempts a lost host did not finish (queue workers killed or cut off), by execution: the host's
    /// infrastructure errors, kept apart from the devices' attempts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_losses: Vec<HostLoss>,
}

/// An attempt a lost host did not finish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostLoss {
    /// The execution's number in the run.
    pub index: usize,
    pub scenario: String,
    pub model: String,
    pub worker: String,
    pub host: String,
    pub lost_at: String,
}

impl RunReport {
    /// Builds the report from a journal (pure).
    pub fn from_journal(j: &Journal) -> RunReport {
        let h = &j.header;
        let scenarios: Vec<ScenarioResult> = j.scenarios.iter().map(|s| s.result.clone()).collect();
        let verdicts = verdict::verdicts(&h.models, h.certification.as_ref(), &scenarios);
        let finished = match &j.footer {
            Some(f) => f.finished.clone(),
            None => j
                .steps
                .iter()
                .map(|s| s.at.as_str())
                .chain(j.scenarios.iter().map(|s| s.at.as_str()))
                .max()
                .unwrap_or(h.started.as_str())
                .to_string(),
        };
        RunReport {
            run_id: h.run_id.clone(),
            harness_version: h.harness_version.clone(),
            lab: h.lab.clone(),
            started: h.started.clone(),
            finished,
            interrupted: j.interrupted(),
            certification_profile: h.certification.as_ref().map(|c| c.profile.clone()),
            suite_version: h.certification.as_ref().map(|c| c.version.clone()),
            suites: h.suites.clone(),
            units: h.units.clone(),
            phones: h.phones.clone(),
            verdicts,
            scenarios,
            host_losses: j
                .scenarios
                .iter()
                .flat_map(|s| {
                    s.lost.iter().map(|l| HostLoss {
                        index: s.index,
                        scenario: s.result.scenario.clone(),
                        model: s.result.model.clone(),
                        worker: l.worker.clone(),
                        host: l.host.clone(),
                        lost_at: l.lost_at.clone(),
                    })
                })
                .collect(),
        }
    }

    /// Writes `results.json` under `dir/<run_id>/` and returns its path.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let run_dir = dir.join(&self.run_id);
        std::fs::create_dir_all(&run_dir)?;
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        write_atomic(&run_dir.join("results.json"), &json)
    }
}

/// The files [`write_reports`] wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub results: PathBuf,
    pub junit: PathBuf,
    pub html: PathBuf,
}

/// Writes `results.json`, `junit.xml` and `report.html` into the run directory, from the journal only.
pub fn write_reports(run_dir: &Path, j: &Journal) -> std::io::Result<(RunReport, ReportFiles)> {
    write_reports_with(run_dir, j, &[])
}

/// [`write_reports`], the HTML page with a history section (series from a store).
pub fn write_reports_with(
    run_dir: &Path,
    j: &Journal,
    history: &[crate::store::history::Series],
) -> std::io::Result<(RunReport, ReportFiles)> {
    let report = RunReport::from_journal(j);
    // The JUnit file and the HTML page are rendered side by side (two cores, one report).
    let (xml, page) = std::thread::scope(|s| {
        let xml = s.spawn(|| junit::render(j, &report).map_err(|e| e.to_string()));
        let page = html::render_with(j, &report, history).map_err(|e| e.to_string());
        let xml = xml
            .join()
            .unwrap_or_else(|_| Err("the JUnit renderer panicked".to_string()));
        (xml, page)
    });
    let json = serde_json::to_vec_pretty(&report).map_err(std::io::Error::other)?;
    let results = write_atomic(&run_dir.join("results.json"), &json)?;
    let junit = write_atomic(
        &run_dir.join("junit.xml"),
        xml.map_err(std::io::Error::other)?.as_bytes(),
    )?;
    let html = write_atomic(
        &run_dir.join("report.html"),
        page.map_err(std::io::Error::other)?.as_bytes(),
    )?;
    Ok((
        report,
        ReportFiles {
            results,
            junit,
            html,
        },
    ))
}

/// Writes through a temporary file and a rename, so a reader never sees half a report.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(path.to_path_buf())
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

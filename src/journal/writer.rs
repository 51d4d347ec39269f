//! Appending to the journal as the run goes: a [`Reporter`] that writes one line per finished step and
//! scenario, each in a single `write` followed by a flush (and `fsync` for scenario lines).

use super::record::{Entry, RunFooter, RunHeader, ScenarioEntry, StepEntry};
use crate::runner::{Reporter, RunEvent, now};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes the journal of one run.
pub struct JournalWriter {
    file: File,
    path: PathBuf,
    run_id: String,
    /// Suite id → digest.
    digests: BTreeMap<String, String>,
    /// Serial → fingerprint.
    fingerprints: BTreeMap<String, String>,
    /// Executions under way, by number: (scenario, model, unit) — a parallel run interleaves them.
    current: std::collections::BTreeMap<usize, (String, String, Option<String>)>,
    scenarios: usize,
    error: Option<String>,
}

impl JournalWriter {
    /// Creates the journal file (it must not exist) and writes the header line.
    pub fn create(path: &Path, header: &RunHeader) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)?;
        let mut w = JournalWriter::over(file, path, header);
        w.append(&Entry::Run(Box::new(header.clone())), true)?;
        Ok(w)
    }

    /// Opens the journal of a run to continue it (`--resume`, `--rerun-failed`): a torn last line (a
    /// run killed mid-write) is cut off, then lines are appended after the last whole one.
    pub fn reopen(path: &Path, header: &RunHeader) -> std::io::Result<Self> {
        let text = std::fs::read(path)?;
        let whole = text
            .iter()
            .rposition(|b| *b == b'\n')
            .map(|i| i + 1)
            .unwrap_or(0);
        let file = OpenOptions::new().append(true).open(path)?;
        if whole < text.len() {
            file.set_len(whole as u64)?;
        }
        Ok(JournalWriter::over(file, path, header))
    }

    fn over(file: File, path: &Path, header: &RunHeader) -> Self {
        JournalWriter {
            file,
            path: path.to_path_buf(),
            run_id: header.run_id.clone(),
            digests: header
                .suites
                .iter()
                .map(|s| (s.id.clone(), s.digest.clone()))
                .collect(),
            fingerprints: header
                .units
                .iter()
                .filter_map(|u| Some((u.serial.clone(), u.fingerprint.clone()?)))
                .collect(),
            current: Default::default(),
            scenarios: 0,
            error: None,
        }
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The first write error, if any happened (the run goes on; reports will say what is missing).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Writes the closing line.
    pub fn finish(mut self) -> std::io::Result<()> {
        let footer = RunFooter {
            run_id: self.run_id.clone(),
            finished: now(),
            scenarios: self.scenarios,
        };
        self.append(&Entry::Finished(footer), true)
    }

    fn append(&mut self, entry: &Entry, sync: bool) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.flush()?;
        if sync {
            self.file.sync_data()?;
        }
        Ok(())
    }

    fn record(&mut self, entry: Entry, sync: bool) {
        if let Err(e) = self.append(&entry, sync)
            && self.error.is_none()
        {
            eprintln!(
                "JOURNAL WRITE FAILED ({}): {e}; results after this point may be missing",
                self.path.display()
            );
            self.error = Some(e.to_string());
        }
    }
}

impl Reporter for JournalWriter {
    fn event(&mut self, event: &RunEvent<'_>) {
        match event {
            RunEvent::Started { .. } => {}
            RunEvent::ScenarioStarted {
                index,
                scenario,
                model,
                unit,
                ..
            } => {
                self.current.insert(
                    *index,
                    (
                        scenario.to_string(),
                        model.to_string(),
                        unit.map(str::to_string),
                    ),
                );
            }
            RunEvent::StepFinished {
                index,
                scenario,
                attempt,
                phase,
                step,
            } => {
                let (model, unit) = match self.current.get(index) {
                    Some((s, m, u)) if s == scenario => (m.clone(), u.clone()),
                    _ => (String::new(), None),
                };
                let entry = StepEntry {
                    run_id: self.run_id.clone(),
                    at: now(),
                    scenario: scenario.to_string(),
                    model,
                    unit,
                    attempt: *attempt,
                    index: Some(*index),
                    phase: *phase,
                    step: (*step).clone(),
                };
                self.record(Entry::Step(Box::new(entry)), false);
            }
            RunEvent::ScenarioFinished { index, result, .. } => {
                self.scenarios += 1;
                let suite = result.scenario.split('/').next().unwrap_or_default();
                let entry = ScenarioEntry::finished(
                    &self.run_id,
                    *index,
                    result,
                    self.digests.get(suite).cloned(),
                    &self.fingerprints,
                );
                self.record(Entry::Scenario(Box::new(entry)), true);
                self.current.remove(index);
            }
        }
    }
}

/// Sends every event to several reporters, in order.
pub struct Fanout<'a>(pub Vec<&'a mut dyn Reporter>);

impl Reporter for Fanout<'_> {
    fn event(&mut self, event: &RunEvent<'_>) {
        for r in self.0.iter_mut() {
            r.event(event);
        }
    }
}

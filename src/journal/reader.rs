//! Reading a journal back, tolerating a torn last line (a run killed mid-write).

use super::record::{Entry, RunFooter, RunHeader, ScenarioEntry, StepEntry};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A journal read back: everything that had finished when it was last written.
#[derive(Debug, Clone)]
pub struct Journal {
    pub header: RunHeader,
    pub steps: Vec<StepEntry>,
    pub scenarios: Vec<ScenarioEntry>,
    /// Present when the run ended normally.
    pub footer: Option<RunFooter>,
    /// The last line was cut short (the run was killed while writing it) and was ignored.
    pub torn_tail: bool,
}

impl Journal {
    /// True when the run did not reach its end (killed, crashed).
    pub fn interrupted(&self) -> bool {
        self.footer.is_none()
    }

    /// Parses journal bytes.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Journal, JournalError> {
        let text = std::str::from_utf8(bytes).map_err(|e| JournalError::Malformed {
            path: path.to_path_buf(),
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
            detail: "not UTF-8".into(),
        })?;
        let ends_cleanly = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        let mut header = None;
        let mut steps = Vec::new();
        let mut scenarios = Vec::new();
        let mut footer = None;
        let mut torn_tail = false;
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let last = i + 1 == lines.len();
            let entry: Entry = match serde_json::from_str(line) {
                Ok(e) => e,
                Err(_) if last && !ends_cleanly => {
                    torn_tail = true;
                    break;
                }
                Err(e) => {
                    return Err(JournalError::Malformed {
                        path: path.to_path_buf(),
                        line: i + 1,
                        detail: e.to_string(),
                    });
                }
            };
            match (entry, i) {
                (Entry::Run(h), 0) => header = Some(*h),
                (Entry::Run(_), _) => {
                    return Err(JournalError::Malformed {
                        path: path.to_path_buf(),
                        line: i + 1,
                        detail: "a second run header".into(),
                    });
                }
                (_, 0) => {
                    return Err(JournalError::Malformed {
                        path: path.to_path_buf(),
                        line: 1,
                        detail: "the first line is not the run header".into(),
                    });
                }
                (Entry::Step(s), _) => steps.push(*s),
                (Entry::Scenario(s), _) => scenarios.push(*s),
                (Entry::Finished(f), _) => footer = Some(f),
            }
        }
        // A parallel run journals executions as they finish; reports list them in plan order. A rerun
        // (`--rerun-failed`) appends an execution again with all its attempts: the last line stands.
        let mut by_index: BTreeMap<usize, ScenarioEntry> = BTreeMap::new();
        for s in scenarios {
            by_index.insert(s.index, s);
        }
        let scenarios: Vec<ScenarioEntry> = by_index.into_values().collect();
        let header = header.ok_or_else(|| JournalError::Malformed {
            path: path.to_path_buf(),
            line: 1,
            detail: "empty journal (no run header)".into(),
        })?;
        Ok(Journal {
            header,
            steps,
            scenarios,
            footer,
            torn_tail,
        })
    }
}

/// Why a journal could not be read.
#[derive(Debug, Error)]
pub enum JournalError {
    #[error("cannot read journal {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal {} line {line}: {detail}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        detail: String,
    },
}

/// Reads `journal.jsonl` from a run directory (or the file itself).
pub fn read_journal(path: &Path) -> Result<Journal, JournalError> {
    let file = if path.is_dir() {
        path.join(super::FILE_NAME)
    } else {
        path.to_path_buf()
    };
    let bytes = std::fs::read(&file).map_err(|source| JournalError::Io {
        path: file.clone(),
        source,
    })?;
    Journal::parse(&bytes, &file)
}

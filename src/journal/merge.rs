//! Joining the run directories of a partitioned run (`--partition K/N` on several hosts) into one: the
//! same suites (by SHA-256) and lab, every part present once and finished, each execution from exactly
//! one part. The merged directory has one journal, whose reports are those of a one-host run of the
//! same executions.

use super::reader::Journal;
use super::record::{Entry, RunFooter, RunHeader};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why run directories cannot be merged (the input is at fault: each names the directory).
#[derive(Debug, Error)]
pub enum MergeError {
    #[error("nothing to merge: give the run directories of every partition")]
    Empty,
    #[error("{dir}: not a partition of a run (run it with --partition K/N)")]
    NotAPartition { dir: String },
    #[error(
        "{dir}: partition {part} did not finish (continue it with `mynacert run --resume {dir}`)"
    )]
    Unfinished { dir: String, part: String },
    #[error("{dir} differs from {first}: {what}")]
    Differs {
        dir: String,
        first: String,
        what: String,
    },
    #[error("partition {part} is given twice: {a} and {b}")]
    Twice { part: String, a: String, b: String },
    #[error("partition {k}/{n} is missing")]
    Missing { k: usize, n: usize },
    #[error("execution {index} ({scenario}) is in {a} and in {b}")]
    Overlap {
        index: usize,
        scenario: String,
        a: String,
        b: String,
    },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Checks that `parts` (directory, journal) are the parts of one run, and writes their merged run
/// directory `out/run_id` (journal and suite copies). Returns the merged directory.
pub fn merge(
    parts: &[(PathBuf, Journal)],
    out: &Path,
    run_id: &str,
) -> Result<PathBuf, MergeError> {
    let (first_dir, first) = parts.first().ok_or(MergeError::Empty)?;
    let name = |d: &Path| d.display().to_string();
    let h0 = &first.header;
    let Some(p0) = h0.partition else {
        return Err(MergeError::NotAPartition {
            dir: name(first_dir),
        });
    };
    let mut seen: BTreeMap<usize, &Path> = BTreeMap::new();
    for (dir, j) in parts {
        let h = &j.header;
        let part = h
            .partition
            .ok_or_else(|| MergeError::NotAPartition { dir: name(dir) })?;
        let differs = |what: String| MergeError::Differs {
            dir: name(dir),
            first: name(first_dir),
            what,
        };
        if j.footer.is_none() {
            return Err(MergeError::Unfinished {
                dir: name(dir),
                part: part.to_string(),
            });
        }
        if part.n != p0.n {
            return Err(differs(format!("partition {part}, not of {}", p0.n)));
        }
        let suites = |h: &RunHeader| -> Vec<(String, String)> {
            h.suites
                .iter()
                .map(|s| (s.id.clone(), s.digest.clone()))
                .collect()
        };
        if suites(h) != suites(h0) {
            return Err(differs(
                "its suites (ids or SHA-256) are not the same".into(),
            ));
        }
        if h.lab != h0.lab {
            return Err(differs(format!("lab `{}`, not `{}`", h.lab, h0.lab)));
        }
        if h.selection.clone().map(without_partition) != h0.selection.clone().map(without_partition)
        {
            return Err(differs(
                "it selected other models, scenarios or suites".into(),
            ));
        }
        if let Some(other) = seen.insert(part.k, dir) {
            return Err(MergeError::Twice {
                part: part.to_string(),
                a: name(other),
                b: name(dir),
            });
        }
    }
    if let Some(k) = (1..=p0.n).find(|k| !seen.contains_key(k)) {
        return Err(MergeError::Missing { k, n: p0.n });
    }
    // Every execution from one part only.
    let mut owner: BTreeMap<usize, &Path> = BTreeMap::new();
    for (dir, j) in parts {
        for s in &j.scenarios {
            if let Some(a) = owner.insert(s.index, dir) {
                return Err(MergeError::Overlap {
                    index: s.index,
                    scenario: s.result.scenario.clone(),
                    a: name(a),
                    b: name(dir),
                });
            }
        }
    }
    write_merged(parts, out, run_id)
}

fn without_partition(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("partition");
    }
    v
}

fn write_merged(
    parts: &[(PathBuf, Journal)],
    out: &Path,
    run_id: &str,
) -> Result<PathBuf, MergeError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MergeError::Io { path, source }
    };
    let dir = out.join(run_id);
    std::fs::create_dir_all(out).map_err(io(out))?;
    std::fs::create_dir(&dir).map_err(io(&dir))?;
    // The suites as run: the same bytes in every part (their digests are equal).
    let (first_dir, first) = &parts[0];
    let suites = dir.join("suites");
    std::fs::create_dir(&suites).map_err(io(&suites))?;
    for s in &first.header.suites {
        let from = first_dir.join(&s.file);
        let to = dir.join(&s.file);
        std::fs::copy(&from, &to).map_err(io(&to))?;
    }
    let mut header = first.header.clone();
    header.run_id = run_id.to_string();
    header.partition = None;
    header.selection = header.selection.map(without_partition);
    header.merged_from = parts.iter().map(|(_, j)| j.header.run_id.clone()).collect();
    header.started = parts
        .iter()
        .map(|(_, j)| j.header.started.clone())
        .min()
        .unwrap_or_default();
    // Units: every part surveyed its own; one record per serial, a fingerprint where one was read.
    let mut units: BTreeMap<String, super::record::UnitRecord> = BTreeMap::new();
    for (_, j) in parts {
        for u in &j.header.units {
            let keep = units
                .get(&u.serial)
                .is_some_and(|have| have.fingerprint.is_some());
            if !keep {
                units.insert(u.serial.clone(), u.clone());
            }
        }
    }
    header.units = units.into_values().collect();
    let mut lines: Vec<Entry> = vec![Entry::Run(Box::new(header))];
    let mut scenarios = Vec::new();
    for (_, j) in parts {
        for s in &j.steps {
            let mut s = s.clone();
            s.run_id = run_id.to_string();
            lines.push(Entry::Step(Box::new(s)));
        }
        for s in &j.scenarios {
            let mut s = s.clone();
            s.run_id = run_id.to_string();
            scenarios.push(s);
        }
    }
    scenarios.sort_by_key(|s| s.index);
    let count = scenarios.len();
    lines.extend(scenarios.into_iter().map(|s| Entry::Scenario(Box::new(s))));
    let finished = parts
        .iter()
        .filter_map(|(_, j)| j.footer.as_ref().map(|f| f.finished.clone()))
        .max()
        .unwrap_or_default();
    lines.push(Entry::Finished(RunFooter {
        run_id: run_id.to_string(),
        finished,
        scenarios: count,
    }));
    let path = dir.join(super::FILE_NAME);
    let mut file = std::fs::File::create_new(&path).map_err(io(&path))?;
    for e in &lines {
        let mut line = serde_json::to_vec(e).map_err(|e| MergeError::Io {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        line.push(b'\n');
        file.write_all(&line).map_err(io(&path))?;
    }
    file.sync_all().map_err(io(&path))?;
    Ok(dir)
}

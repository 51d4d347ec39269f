//! Starting a run's journal: the header (suites copied into the run directory with their digests, the
//! certification rules, model profiles, units with their build fingerprints).

use super::FILE_NAME;
use super::record::{CertRules, FORMAT, RunHeader, SuiteRecord};
use super::writer::JournalWriter;
use crate::lab::survey::LabSurvey;
use crate::profile::DeviceProfile;
use crate::scenario::SuiteSet;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every suite file of a set (the certification profile last) with its suite id.
pub fn suite_files(set: &SuiteSet) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = set
        .suites
        .iter()
        .map(|s| (s.suite.suite.clone(), s.path.clone()))
        .collect();
    if let Some((path, _)) = &set.profile {
        files.push(("certification".into(), path.clone()));
    }
    files
}

/// What a run's command asked for, recorded in its header.
#[derive(Debug, Clone, Default)]
pub struct RunMeta {
    /// The selection, as the CLI records it to continue the run with.
    pub selection: Option<serde_json::Value>,
    /// The part of the run (`--partition K/N`).
    pub partition: Option<crate::runner::Partition>,
}

/// The SHA-256 of every suite file of a set, by suite id, as a journal records them (a file that cannot
/// be read says why instead).
pub fn suite_digests(set: &SuiteSet) -> Vec<(String, String)> {
    suite_files(set)
        .into_iter()
        .map(|(id, path)| {
            let digest = std::fs::read(&path)
                .map(|b| hex::encode(Sha256::digest(&b)))
                .unwrap_or_else(|e| format!("unreadable ({e})"));
            (id, digest)
        })
        .collect()
}

/// Creates `run_dir` (which must not exist yet), copies the suite files as run into `run_dir/suites/`,
/// records the lab as surveyed ([`crate::lab::survey`]) and what the command selected (to continue the
/// run with), and opens the journal with its header written.
pub fn start_run(
    run_dir: &Path,
    run_id: &str,
    lab: &LabSurvey,
    set: &SuiteSet,
    profiles: &[Arc<DeviceProfile>],
    meta: RunMeta,
) -> std::io::Result<JournalWriter> {
    std::fs::create_dir_all(run_dir.parent().unwrap_or(Path::new(".")))?;
    std::fs::create_dir(run_dir)?;
    let suites_dir = run_dir.join("suites");
    std::fs::create_dir(&suites_dir)?;
    let mut suites: Vec<SuiteRecord> = Vec::new();
    for (id, path) in suite_files(set) {
        let bytes = std::fs::read(&path)?;
        let mut name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("{id}.yaml"));
        // Suites from several directories (`--suite`) may share a file name: never overwrite a copy.
        let mut n = 1;
        while suites.iter().any(|s| s.file == format!("suites/{name}")) {
            n += 1;
            name = format!("{id}-{n}.yaml");
        }
        // The copy has literal secrets (`password: ABC123`) replaced by a marker, lines unchanged. The
        // digest stays the SHA-256 of the ORIGINAL file: it names the suite as its authors wrote it, the
        // same in every run and lab; for a suite without literal secrets (every shipped one) the copy is
        // byte for byte the original and hashes to it.
        let copy = std::str::from_utf8(&bytes)
            .ok()
            .and_then(crate::scenario::secrets::redact)
            .map(String::into_bytes);
        std::fs::write(suites_dir.join(&name), copy.as_deref().unwrap_or(&bytes))?;
        suites.push(SuiteRecord {
            id,
            file: format!("suites/{name}"),
            digest: hex::encode(Sha256::digest(&bytes)),
        });
    }
    let header = RunHeader {
        format: FORMAT,
        run_id: run_id.to_string(),
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        lab: lab.id.clone(),
        lab_kind: Some(lab.kind),
        started: crate::runner::now(),
        certification: set.profile.as_ref().map(|(_, p)| CertRules::from(p)),
        suites,
        models: profiles.iter().map(|p| (**p).clone()).collect(),
        units: lab.units.clone(),
        phones: Some(lab.phones.clone()),
        selection: meta.selection,
        partition: meta.partition,
        merged_from: vec![],
    };
    JournalWriter::create(&run_dir.join(FILE_NAME), &header)
}

//! Lab inventory files (`devices/lab.yaml`), model profiles (`devices/models/*.yaml`) and identities
//! (`fixtures/identities/*.yaml`).

use crate::identity::Identity;
use crate::profile::DeviceProfile;
use crate::scenario::LoadError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One unit listed in a lab file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitEntry {
    pub serial: String,
    pub profile: String,
    pub carrier: String,
    #[serde(default)]
    pub reference: bool,
}

/// Which lab this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabKind {
    /// The embedded virtual lab.
    Virtual,
}

/// `devices/lab.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabFile {
    pub lab: String,
    pub kind: LabKind,
    /// Profile id of the known-good reference model.
    pub reference_model: String,
    /// Virtual lab: how many reference units to create.
    #[serde(default = "two")]
    pub reference_units: usize,
    /// Identity fixture ids whose cards the lab holds.
    pub identities: Vec<String>,
    /// Units (a virtual lab generates them when absent).
    #[serde(default)]
    pub units: Vec<UnitEntry>,
    /// PC/SC readers and what lies on each (a phone's SE or an identity's card); SEs and cards with a
    /// reader are read through it (see `pcsc::pcsc_connector`), the others in process.
    #[serde(default)]
    pub readers: Vec<crate::pcsc::ReaderEntry>,
}

fn two() -> usize {
    2
}

impl LabFile {
    /// Loads and checks a lab file.
    pub fn load(path: &Path) -> Result<LabFile, LoadError> {
        load_yaml_file(path)
    }
}

/// Loads every model profile under `dir` (`*.yaml`), sorted by id. The file stem must equal the `id`.
pub fn load_profiles(dir: &Path) -> Result<Vec<Arc<DeviceProfile>>, Vec<LoadError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for path in yaml_files(dir).map_err(|e| vec![e])? {
        match load_yaml_file::<DeviceProfile>(&path) {
            Ok(p) => {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                if p.id != stem {
                    errors.push(LoadError::file(
                        &path,
                        format!("profile id `{}` differs from the file name `{stem}`", p.id),
                    ));
                } else {
                    out.push(Arc::new(p));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Loads the named identities from `fixtures/identities/`.
pub fn load_identities(fixtures: &Path, ids: &[String]) -> Result<Vec<Identity>, Vec<LoadError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for id in ids {
        let path = fixtures.join("identities").join(format!("{id}.yaml"));
        match load_yaml_file::<Identity>(&path) {
            Ok(i) => out.push(i),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| LoadError::file(dir, format!("cannot read directory: {e}")))?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads and parses one YAML file into `T` (unknown keys refused; errors name file:line:column).
pub fn load_yaml_file<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, LoadError> {
    let source = std::fs::read_to_string(path)
        .map_err(|e| LoadError::file(path, format!("cannot read: {e}")))?;
    crate::scenario::parse::parse(path, &source)
}

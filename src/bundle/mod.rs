//! Signed result bundles: a run directory (journal, reports, evidence, suite files as run) packed into one
//! tar archive with a manifest of SHA-256 digests, signed with the lab's P-256 ECDSA key.
//!
//! Layout: `manifest.json` (run id, lab, key id, every file with size and SHA-256), `manifest.sig` (a
//! [`Detached`] signature over the manifest bytes), then `run/<path>` for every file of the run directory.
//! The archive is deterministic (sorted names, zero mtimes and owners). [`verify`] checks the signature
//! against a [`TrustList`] and every digest, and names exactly which file was altered, missing or added.

pub mod keys;

pub use keys::{
    Detached, KeyError, SignatureProblem, TrustList, generate, key_id, load_signing_key,
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Manifest format tag.
pub const FORMAT: &str = "mynacert-bundle/1";
/// Name of the manifest inside the archive.
pub const MANIFEST: &str = "manifest.json";
/// Name of the manifest's signature inside the archive.
pub const SIGNATURE: &str = "manifest.sig";
/// Prefix of the run's files inside the archive.
pub const RUN_PREFIX: &str = "run/";

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// Path inside the archive (`run/journal.jsonl`).
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// The signed manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub run_id: String,
    pub lab: String,
    pub harness_version: String,
    pub created: String,
    /// Id of the key that signs this manifest.
    pub key_id: String,
    pub files: Vec<FileDigest>,
}

/// One thing wrong with a bundle, naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file inside the bundle (`manifest.json`, `manifest.sig`, `run/report.html`).
    pub file: String,
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.what)
    }
}

/// Why a bundle was not made or not accepted.
#[derive(Debug, Error)]
pub enum BundleError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("{}: not a run directory: {detail}", path.display())]
    NotARun { path: PathBuf, detail: String },
    #[error("{}: the archive is damaged{}: {detail}", bundle.display(), after.as_ref().map(|a| format!(" after `{a}`")).unwrap_or_default())]
    Damaged {
        bundle: PathBuf,
        after: Option<String>,
        detail: String,
    },
    #[error("{}: unsigned: no {SIGNATURE}", bundle.display())]
    Unsigned { bundle: PathBuf },
    #[error("{}: signed by key {key_id} (lab `{lab}`), which is not on the trust list", bundle.display())]
    Untrusted {
        bundle: PathBuf,
        key_id: String,
        lab: String,
    },
    #[error("{}: TAMPERED: {}", bundle.display(), problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Tampered {
        bundle: PathBuf,
        problems: Vec<Problem>,
    },
}

impl BundleError {
    /// The files named as tampered with, if that is the error.
    pub fn tampered_files(&self) -> Vec<&str> {
        match self {
            BundleError::Tampered { problems, .. } => {
                problems.iter().map(|p| p.file.as_str()).collect()
            }
            _ => vec![],
        }
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn files_under(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), BundleError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let rel_name = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let ft = e.file_type().map_err(io(&path))?;
        if ft.is_dir() {
            files_under(&path, &rel_name, out)?;
        } else if ft.is_file() && !name.ends_with(".tmp") {
            out.push((rel_name, path));
        }
    }
    Ok(())
}

/// Packs and signs a run directory into `out`. Returns the manifest and the bundle id.
pub fn sign(
    run_dir: &Path,
    key: &p256::ecdsa::SigningKey,
    out: &Path,
) -> Result<(Manifest, String), BundleError> {
    let journal = crate::journal::read_journal(run_dir).map_err(|e| BundleError::NotARun {
        path: run_dir.to_path_buf(),
        detail: e.to_string(),
    })?;
    let mut files = Vec::new();
    files_under(run_dir, "", &mut files)?;
    let mut contents = Vec::new();
    let mut digests = Vec::new();
    for (rel, path) in files {
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let name = format!("{RUN_PREFIX}{rel}");
        digests.push(FileDigest {
            path: name.clone(),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
        });
        contents.push((name, bytes));
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        run_id: journal.header.run_id.clone(),
        lab: journal.header.lab.clone(),
        harness_version: env!("CARGO_PKG_VERSION").into(),
        created: crate::runner::now(),
        key_id: key_id(key.verifying_key()),
        files: digests,
    };
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    manifest_bytes.push(b'\n');
    let sig = Detached::sign(key, &manifest_bytes);
    let mut builder = tar::Builder::new(Vec::new());
    let mut append = |name: &str, bytes: &[u8]| -> Result<(), BundleError> {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut h, name, bytes).map_err(io(out))
    };
    append(MANIFEST, &manifest_bytes)?;
    append(SIGNATURE, &sig.to_bytes())?;
    for (name, bytes) in &contents {
        append(name, bytes)?;
    }
    let archive = builder.into_inner().map_err(io(out))?;
    crate::report::write_atomic(out, &archive).map_err(io(out))?;
    Ok((manifest, bundle_id(&manifest_bytes)))
}

/// A bundle's id: the first 16 hex digits of the SHA-256 of its manifest.
pub fn bundle_id(manifest_bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(manifest_bytes)[..8])
}

/// A bundle that passed verification, with its files in memory.
#[derive(Debug, Clone)]
pub struct Verified {
    pub id: String,
    pub manifest: Manifest,
    /// Key that signed it (on the trust list).
    pub key_id: String,
    /// Archive path → bytes, for every `run/` file.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Verified {
    /// A run file by its path inside the run directory (`journal.jsonl`).
    pub fn run_file(&self, rel: &str) -> Option<&[u8]> {
        self.files
            .get(&format!("{RUN_PREFIX}{rel}"))
            .map(Vec::as_slice)
    }
}

/// Verifies a bundle file: signature by a trusted key, then every digest; names every altered, missing or
/// unexpected file.
pub fn verify(bundle: &Path, trust: &TrustList) -> Result<Verified, BundleError> {
    let bytes = std::fs::read(bundle).map_err(io(bundle))?;
    verify_bytes(bundle, &bytes, trust)
}

/// [`verify`] over archive bytes (`bundle` only names it in errors).
pub fn verify_bytes(
    bundle: &Path,
    bytes: &[u8],
    trust: &TrustList,
) -> Result<Verified, BundleError> {
    let mut archive = tar::Archive::new(bytes);
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let damaged = |after: Option<String>, detail: String| BundleError::Damaged {
        bundle: bundle.to_path_buf(),
        after,
        detail,
    };
    let iter = archive
        .entries()
        .map_err(|e| damaged(None, e.to_string()))?;
    for entry in iter {
        let last = entries.last().map(|(n, _)| n.clone());
        let mut entry = entry.map_err(|e| damaged(last.clone(), e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| damaged(last.clone(), e.to_string()))?
            .to_string_lossy()
            .into_owned();
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| damaged(Some(name.clone()), e.to_string()))?;
        entries.push((name, data));
    }
    let tampered = |problems: Vec<Problem>| BundleError::Tampered {
        bundle: bundle.to_path_buf(),
        problems,
    };
    let problem = |file: &str, what: String| Problem {
        file: file.to_string(),
        what,
    };
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (name, data) in entries {
        if files.contains_key(&name) {
            problems.push(problem(&name, "appears twice in the archive".into()));
        }
        files.insert(name, data);
    }
    let Some(manifest_bytes) = files.remove(MANIFEST) else {
        problems.push(problem(MANIFEST, "missing".into()));
        return Err(tampered(problems));
    };
    let Some(sig_bytes) = files.remove(SIGNATURE) else {
        return Err(BundleError::Unsigned {
            bundle: bundle.to_path_buf(),
        });
    };
    let key_id = match Detached::verify(&sig_bytes, &manifest_bytes, trust) {
        Ok(k) => k,
        Err(SignatureProblem::SignatureFileAltered(d)) => {
            problems.push(problem(SIGNATURE, format!("altered ({d})")));
            return Err(tampered(problems));
        }
        Err(SignatureProblem::DocumentAltered) => {
            problems.push(problem(
                MANIFEST,
                "altered (its SHA-256 differs from the one signed)".into(),
            ));
            return Err(tampered(problems));
        }
        Err(SignatureProblem::Untrusted { key_id }) => {
            let lab = serde_json::from_slice::<Manifest>(&manifest_bytes)
                .map(|m| m.lab)
                .unwrap_or_else(|_| "?".into());
            return Err(BundleError::Untrusted {
                bundle: bundle.to_path_buf(),
                key_id,
                lab,
            });
        }
        Err(SignatureProblem::BadSignature { key_id }) => {
            problems.push(problem(
                SIGNATURE,
                format!("the signature does not verify with trusted key {key_id} (forged)"),
            ));
            return Err(tampered(problems));
        }
    };
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| {
        tampered(vec![problem(
            MANIFEST,
            format!("signed but unreadable: {e}"),
        )])
    })?;
    if manifest.key_id != key_id {
        problems.push(problem(
            MANIFEST,
            format!("names key {} but is signed by {key_id}", manifest.key_id),
        ));
    }
    for f in &manifest.files {
        match files.get(&f.path) {
            None => problems.push(problem(&f.path, "missing from the archive".into())),
            Some(data) => {
                let sha = hex::encode(Sha256::digest(data));
                if sha != f.sha256 || data.len() as u64 != f.size {
                    problems.push(problem(
                        &f.path,
                        format!(
                            "content altered (SHA-256 {sha}, {} bytes; manifest says {}, {} bytes)",
                            data.len(),
                            f.sha256,
                            f.size
                        ),
                    ));
                }
            }
        }
    }
    for name in files.keys() {
        if !manifest.files.iter().any(|f| &f.path == name) {
            problems.push(problem(name, "not in the manifest (added)".into()));
        }
    }
    if !problems.is_empty() {
        return Err(tampered(problems));
    }
    Ok(Verified {
        id: bundle_id(&manifest_bytes),
        manifest,
        key_id,
        files,
    })
}

//! The supported-device list (対応機種一覧), built only from verified, trusted result bundles of real phones.
//!
//! Every bundle is verified first; an unsigned, tampered or untrusted bundle is refused and contributes
//! nothing, and so is a bundle whose run was virtual ([`provenance::virtual_reasons`]) unless the list is
//! built with `allow_virtual`, which marks the list itself (JSON, CSV, HTML) as not from real phones.
//!
//! Merging ([`merge`]): per model, only runs of the latest suite version that has results for the model
//! count. Among those, results are keyed by (carrier, build fingerprint) and the newest run covering a
//! key decides it alone; older runs for that key are *superseded* (recorded in the row and in the diff).
//! One row per (model, carrier, build fingerprint) tested, decided by the verdict rules over the deciding
//! run's units ([`crate::report::verdict`]); a carrier variant with no results gets one untested row.
//! Status: verdict *supported* → 対応 (supported); verdict *not supported* → 非対応 (unsupported); anything
//! else (conformance failures, incomplete, not run) → 対応予定 (planned: not verified yet) for a model that
//! claims support, 非対応 for one that does not, with the verdict and the rules broken alongside.

mod diff;
mod labels;
mod merge;
pub mod provenance;
mod render;

pub use diff::{Change, Diff, Supersession, diff};
pub use labels::carrier_name;
pub use merge::version_cmp;
pub use render::{render_csv, render_html};

use crate::bundle::{Detached, TrustList, Verified};
use crate::journal::Journal;
use crate::report::verdict::Verdict;
use crate::types::Rule;
use merge::Run;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Listing status as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// 対応
    Supported,
    /// 対応予定
    Planned,
    /// 非対応
    Unsupported,
}

impl Status {
    /// English label.
    pub fn en(self) -> &'static str {
        match self {
            Status::Supported => "supported",
            Status::Planned => "planned",
            Status::Unsupported => "not supported",
        }
    }
    /// Japanese label.
    pub fn ja(self) -> &'static str {
        match self {
            Status::Supported => "対応",
            Status::Planned => "対応予定",
            Status::Unsupported => "非対応",
        }
    }
}

/// One row: a model on one carrier variant with one build (or untested).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub maker: String,
    pub model_name: String,
    pub model_code: String,
    /// Carrier id (`docomo`); pages show its display name ([`carrier_name`]).
    pub carrier: String,
    pub status: Status,
    /// The verdict behind the status.
    pub verdict: Verdict,
    pub rules_broken: Vec<Rule>,
    /// Android version tested (from the build fingerprint); empty when untested.
    #[serde(default)]
    pub android: String,
    /// Build id tested (the fingerprint's build field, the phone's build number); empty when untested.
    #[serde(default)]
    pub build_id: String,
    /// `ro.build.fingerprint` of the units tested; `None` when untested or not recorded.
    #[serde(default)]
    pub build_fingerprint: Option<String>,
    /// Date (YYYY-MM-DD, Japan time) the deciding run finished; empty when untested.
    pub verified_on: String,
    pub suite_version: String,
    /// Ids of the bundles whose results decided this row.
    pub evidence_bundles: Vec<String>,
    /// `lab/serial` of every unit whose results count.
    pub units: Vec<String>,
    pub labs: Vec<String>,
    /// Older runs for the same model, carrier and build whose results no longer count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<Superseded>,
    /// The deciding run was virtual (only in a list built with `allow_virtual`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub virtual_lab: bool,
}

/// A run superseded by a newer one for the same (model, carrier, build fingerprint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Superseded {
    pub bundle: String,
    pub run_id: String,
    pub lab: String,
    /// Its recorded start time.
    pub started: String,
    pub verified_on: String,
    /// The bundle that superseded it (the row's evidence).
    pub by: String,
}

/// A bundle that contributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub bundle: String,
    pub file: String,
    pub lab: String,
    pub run_id: String,
    pub key_id: String,
    pub suite_version: Option<String>,
    /// The run's recorded start time.
    #[serde(default)]
    pub started: String,
    /// Why the run is virtual (only in a list built with `allow_virtual`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_reasons: Vec<String>,
}

/// The published list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    pub format: String,
    pub generated: String,
    /// Built with `--allow-virtual`: virtual-lab bundles were accepted, and every page says so.
    #[serde(default)]
    pub allow_virtual: bool,
    /// What every page of a list built with `--allow-virtual` says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    pub entries: Vec<Entry>,
    pub sources: Vec<Source>,
}

/// Format of the published JSON.
pub const FORMAT: &str = "mynacert-device-list/2";

/// A bundle that was refused, and why.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub file: PathBuf,
    pub reason: String,
}

/// How a list is built.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// Accept bundles of virtual runs (the list is marked as such on every page).
    pub allow_virtual: bool,
}

/// Verifies every bundle and builds the list from those accepted.
pub fn build(
    bundles: &[PathBuf],
    trust: &TrustList,
    opts: &BuildOptions,
) -> (DeviceList, Vec<Refusal>) {
    let mut runs: Vec<Run> = Vec::new();
    let mut refused = Vec::new();
    let mut sources = Vec::new();
    for b in bundles {
        let run = match accept(b, trust, opts) {
            Ok(r) => r,
            Err(reason) => {
                refused.push(Refusal {
                    file: b.clone(),
                    reason,
                });
                continue;
            }
        };
        // The same bundle named twice counts once.
        if runs.iter().any(|r| r.bundle == run.bundle) {
            continue;
        }
        sources.push(Source {
            bundle: run.bundle.clone(),
            file: b
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            lab: run.lab.clone(),
            run_id: run.journal.header.run_id.clone(),
            key_id: run.key_id.clone(),
            suite_version: run
                .journal
                .header
                .certification
                .as_ref()
                .map(|c| c.version.clone()),
            started: run.journal.header.started.clone(),
            virtual_reasons: run.virtual_reasons.clone(),
        });
        runs.push(run);
    }
    let list = DeviceList {
        format: FORMAT.into(),
        generated: crate::runner::now(),
        allow_virtual: opts.allow_virtual,
        notice: opts.allow_virtual.then(|| labels::NOTICE_EN.to_string()),
        entries: merge::merge(&runs),
        sources,
    };
    (list, refused)
}

/// Verifies one bundle and reads its run; the reason it is refused otherwise.
fn accept(path: &Path, trust: &TrustList, opts: &BuildOptions) -> Result<Run, String> {
    let v = crate::bundle::verify(path, trust).map_err(|e| e.to_string())?;
    let journal = journal_of(path, &v).map_err(|e| e.to_string())?;
    let virtual_reasons = provenance::virtual_reasons(&journal);
    if !virtual_reasons.is_empty() && !opts.allow_virtual {
        return Err(format!(
            "bundle {} (run {}, lab `{}`) holds virtual-lab results: {}. A virtual phone proves \
             nothing about a real model (--allow-virtual builds a list marked as not from real phones)",
            v.id,
            journal.header.run_id,
            journal.header.lab,
            virtual_reasons.join("; ")
        ));
    }
    Run::new(v, journal, virtual_reasons).map_err(|e| format!("{}: {e}", path.display()))
}

fn journal_of(path: &Path, v: &Verified) -> Result<Journal, crate::bundle::BundleError> {
    let bytes = v.run_file(crate::journal::FILE_NAME).ok_or_else(|| {
        crate::bundle::BundleError::NotARun {
            path: path.to_path_buf(),
            detail: "no run/journal.jsonl".into(),
        }
    })?;
    Journal::parse(bytes, path).map_err(|e| crate::bundle::BundleError::NotARun {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// The published JSON bytes of a list (pretty, newline-terminated): what the signature covers.
pub fn to_json(list: &DeviceList) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(list).unwrap_or_default();
    v.push(b'\n');
    v
}

/// Checks a published list against its detached signature and a trust list.
pub fn verify_signed(json: &[u8], sig: &[u8], trust: &TrustList) -> Result<DeviceList, String> {
    use crate::bundle::SignatureProblem as P;
    Detached::verify(sig, json, trust).map_err(|p| match p {
        P::SignatureFileAltered(d) => format!("the signature file was altered ({d})"),
        P::DocumentAltered => "the list differs from the one signed".into(),
        P::Untrusted { key_id } => format!("signed by key {key_id}, not on the trust list"),
        P::BadSignature { key_id } => format!("the signature does not verify with key {key_id}"),
    })?;
    serde_json::from_slice(json).map_err(|e| format!("signed but unreadable: {e}"))
}

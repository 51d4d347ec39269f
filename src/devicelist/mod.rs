//! The supported-device list (対応機種一覧), built only from verified, trusted result bundles.
//!
//! Every bundle is verified first; an unsigned, tampered or untrusted bundle is refused and contributes
//! nothing. Results are merged across labs and runs per model: only bundles of the latest suite version
//! that has results for a model count, units are told apart by lab and serial, and each carrier variant
//! gets its own row, decided by the verdict rules over that carrier's units
//! ([`crate::report::verdict`]). Status: verdict *supported* → 対応 (supported); verdict *not
//! supported* → 非対応 (unsupported); anything else (conformance failures, incomplete, not run) → 対応予定
//! (planned: not verified yet) for a model that claims support, 非対応 for one that does not, with the verdict and the rules broken in their own columns.

mod render;

pub use render::{render_csv, render_html};

use crate::bundle::{Detached, TrustList, Verified};
use crate::journal::{CertRules, Journal};
use crate::profile::DeviceProfile;
use crate::report::verdict::{Verdict, verdict_for};
use crate::runner::result::ScenarioResult;
use crate::types::Rule;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
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

/// One row: a model on one carrier variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub maker: String,
    pub model_name: String,
    pub model_code: String,
    pub carrier: String,
    pub status: Status,
    /// The verdict behind the status.
    pub verdict: Verdict,
    pub rules_broken: Vec<Rule>,
    /// Date (YYYY-MM-DD) of the latest run that contributed.
    pub verified_on: String,
    pub suite_version: String,
    /// Ids of the bundles whose results decided this row.
    pub evidence_bundles: Vec<String>,
    /// `lab/serial` of every unit whose results count.
    pub units: Vec<String>,
    pub labs: Vec<String>,
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
}

/// The published list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    pub format: String,
    pub generated: String,
    pub entries: Vec<Entry>,
    pub sources: Vec<Source>,
}

/// A bundle that was refused, and why.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub file: PathBuf,
    pub reason: String,
}

/// Differences from the previously published list, by (model code, carrier).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    pub added: Vec<Entry>,
    pub removed: Vec<Entry>,
    pub changed: Vec<Change>,
}

/// A row whose status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub model_code: String,
    pub carrier: String,
    pub from: Status,
    pub to: Status,
}

impl Diff {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares two lists.
pub fn diff(previous: &DeviceList, current: &DeviceList) -> Diff {
    let key = |e: &Entry| (e.model_code.clone(), e.carrier.clone());
    let old: BTreeMap<_, &Entry> = previous.entries.iter().map(|e| (key(e), e)).collect();
    let new: BTreeMap<_, &Entry> = current.entries.iter().map(|e| (key(e), e)).collect();
    let mut d = Diff::default();
    for (k, e) in &new {
        match old.get(k) {
            None => d.added.push((*e).clone()),
            Some(o) if o.status != e.status => d.changed.push(Change {
                model_code: k.0.clone(),
                carrier: k.1.clone(),
                from: o.status,
                to: e.status,
            }),
            _ => {}
        }
    }
    for (k, e) in &old {
        if !new.contains_key(k) {
            d.removed.push((*e).clone());
        }
    }
    d
}

/// Compares suite versions: numeric runs compare as numbers, the rest as text.
pub fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(s: &str) -> Vec<(u64, String)> {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .map(|p| (p.parse::<u64>().unwrap_or(0), p.to_string()))
            .collect()
    }
    parts(a).cmp(&parts(b))
}

/// A verified bundle's run.
struct Run {
    bundle: String,
    lab: String,
    journal: Journal,
}

/// Verifies every bundle and builds the list from those accepted.
pub fn build(bundles: &[PathBuf], trust: &TrustList) -> (DeviceList, Vec<Refusal>) {
    let mut runs = Vec::new();
    let mut refused = Vec::new();
    let mut sources = Vec::new();
    for b in bundles {
        match crate::bundle::verify(b, trust).and_then(|v| journal_of(b, &v).map(|j| (v, j))) {
            Ok((v, journal)) => {
                sources.push(Source {
                    bundle: v.id.clone(),
                    file: b
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    lab: v.manifest.lab.clone(),
                    run_id: v.manifest.run_id.clone(),
                    key_id: v.key_id.clone(),
                    suite_version: journal
                        .header
                        .certification
                        .as_ref()
                        .map(|c| c.version.clone()),
                });
                runs.push(Run {
                    bundle: v.id,
                    lab: v.manifest.lab,
                    journal,
                });
            }
            Err(e) => refused.push(Refusal {
                file: b.clone(),
                reason: e.to_string(),
            }),
        }
    }
    let list = DeviceList {
        format: "mynacert-device-list/1".into(),
        generated: crate::runner::now(),
        entries: merge(&runs),
        sources,
    };
    (list, refused)
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

fn version_of(r: &Run) -> String {
    r.journal
        .header
        .certification
        .as_ref()
        .map(|c| c.version.clone())
        .unwrap_or_default()
}

fn merge(runs: &[Run]) -> Vec<Entry> {
    let mut model_ids: BTreeSet<&str> = BTreeSet::new();
    for r in runs {
        for s in &r.journal.scenarios {
            model_ids.insert(&s.result.model);
        }
    }
    let mut entries = Vec::new();
    for id in model_ids {
        let with: Vec<&Run> = runs
            .iter()
            .filter(|r| r.journal.scenarios.iter().any(|s| s.result.model == id))
            .collect();
        let Some(latest) = with
            .iter()
            .map(|r| version_of(r))
            .max_by(|a, b| version_cmp(a, b))
        else {
            continue;
        };
        let mut current: Vec<&Run> = with
            .into_iter()
            .filter(|r| version_of(r) == latest)
            .collect();
        current.sort_by(|a, b| a.journal.header.started.cmp(&b.journal.header.started));
        let Some(newest) = current.last() else {
            continue;
        };
        let Some(profile) = newest.journal.header.models.iter().find(|m| m.id == id) else {
            continue;
        };
        let cert: Option<&CertRules> = newest.journal.header.certification.as_ref();
        // Units are told apart by lab and serial across runs.
        let mut results: Vec<(ScenarioResult, &Run)> = Vec::new();
        for r in &current {
            for s in r.journal.scenarios.iter().filter(|s| s.result.model == id) {
                let mut res = s.result.clone();
                res.unit = res.unit.map(|u| format!("{}/{u}", r.lab));
                results.push((res, r));
            }
        }
        for carrier in &profile.carriers {
            let mine: Vec<&(ScenarioResult, &Run)> = results
                .iter()
                // Skipped executions have no unit and no carrier: they count for every carrier.
                .filter(|(res, _)| {
                    res.carrier.is_none() || res.carrier.as_deref() == Some(carrier.as_str())
                })
                .collect();
            let only: Vec<ScenarioResult> = mine.iter().map(|(r, _)| r.clone()).collect();
            let one = DeviceProfile {
                carriers: vec![carrier.clone()],
                ..profile.clone()
            };
            let v = if only.is_empty() {
                None
            } else {
                Some(verdict_for(&one, cert, &only))
            };
            let verdict = v.as_ref().map(|v| v.verdict).unwrap_or(Verdict::NotRun);
            let status = match verdict {
                Verdict::Supported => Status::Supported,
                Verdict::NotSupported => Status::Unsupported,
                // Not verified: planned when the model claims support, otherwise not supported.
                _ if profile.app_supported() => Status::Planned,
                _ => Status::Unsupported,
            };
            let set = |f: &dyn Fn(&(ScenarioResult, &Run)) -> Option<String>| -> Vec<String> {
                mine.iter()
                    .filter_map(|x| f(x))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            };
            let verified_on = mine
                .iter()
                .map(|(_, r)| {
                    r.journal
                        .footer
                        .as_ref()
                        .map(|f| f.finished.clone())
                        .unwrap_or_else(|| r.journal.header.started.clone())
                })
                .max()
                .unwrap_or_default()
                .chars()
                .take(10)
                .collect();
            entries.push(Entry {
                maker: profile.maker.clone(),
                model_name: profile.model_name.clone(),
                model_code: profile.model_code.clone(),
                carrier: carrier.clone(),
                status,
                verdict,
                rules_broken: v.map(|v| v.rules_broken).unwrap_or_default(),
                verified_on,
                suite_version: latest.clone(),
                evidence_bundles: set(&|(_, r)| Some(r.bundle.clone())),
                units: set(&|(res, _)| res.unit.clone()),
                labs: set(&|(_, r)| Some(r.lab.clone())),
            });
        }
    }
    entries.sort_by(|a, b| {
        (a.maker.as_str(), a.model_code.as_str(), a.carrier.as_str()).cmp(&(
            b.maker.as_str(),
            b.model_code.as_str(),
            b.carrier.as_str(),
        ))
    });
    entries
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

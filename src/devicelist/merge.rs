//! Merging verified runs into rows: the latest suite version per model, then the newest run per
//! (model, carrier, build fingerprint).
//!
//! "Newest" is the run's recorded start time (journal header `started`, RFC 3339, compared as instants,
//! not text); runs recorded at the same instant are told apart by their finish time (a finished run after
//! an unfinished one), then by bundle id (the larger wins), so the outcome never depends on the order the
//! bundles were given in.

use super::provenance::Fingerprint;
use super::{Entry, Status, Superseded};
use crate::bundle::Verified;
use crate::journal::{Journal, ScenarioEntry};
use crate::profile::DeviceProfile;
use crate::report::verdict::{Verdict, verdict_for};
use crate::runner::result::ScenarioResult;
use std::collections::{BTreeMap, BTreeSet};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

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
pub(super) struct Run {
    pub bundle: String,
    pub lab: String,
    pub key_id: String,
    pub journal: Journal,
    pub virtual_reasons: Vec<String>,
    started: OffsetDateTime,
    finished: Option<OffsetDateTime>,
}

fn instant(what: &str, s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| format!("the run's recorded {what} time `{s}` is not RFC 3339: {e}"))
}

/// Build key of a result: (carrier, build fingerprint).
type Key = (String, Option<String>);

impl Run {
    pub fn new(v: Verified, journal: Journal, virtual_reasons: Vec<String>) -> Result<Run, String> {
        let started = instant("start", &journal.header.started)?;
        let finished = match &journal.footer {
            Some(f) => Some(instant("finish", &f.finished)?),
            None => None,
        };
        Ok(Run {
            bundle: v.id,
            lab: v.manifest.lab,
            key_id: v.key_id,
            journal,
            virtual_reasons,
            started,
            finished,
        })
    }

    /// Newer runs compare greater.
    fn order(&self) -> (OffsetDateTime, Option<OffsetDateTime>, &str) {
        (self.started, self.finished, &self.bundle)
    }

    fn version(&self) -> String {
        self.journal
            .header
            .certification
            .as_ref()
            .map(|c| c.version.clone())
            .unwrap_or_default()
    }

    /// Date the run finished (or started, if it never finished), in Japan time.
    fn verified_on(&self) -> String {
        let jst = UtcOffset::from_hms(9, 0, 0).unwrap_or(UtcOffset::UTC);
        let d = self.finished.unwrap_or(self.started).to_offset(jst).date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// (carrier, fingerprint) of a result on a unit; `None` for a result that counts for every carrier
    /// (a skipped execution has no unit and no carrier).
    fn key_of(&self, s: &ScenarioEntry) -> Option<Key> {
        let carrier = s.result.carrier.clone()?;
        let Some(unit) = s.result.unit.as_deref() else {
            return Some((carrier, None));
        };
        let fp = s.fingerprints.get(unit).cloned().or_else(|| {
            self.journal
                .header
                .units
                .iter()
                .find(|u| u.serial == unit)
                .and_then(|u| u.fingerprint.clone())
        });
        Some((carrier, fp))
    }

    fn of_model<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a ScenarioEntry> + 'a {
        self.journal
            .scenarios
            .iter()
            .filter(move |s| s.result.model == id)
    }

    fn superseded_by(&self, newer: &Run) -> Superseded {
        Superseded {
            bundle: self.bundle.clone(),
            run_id: self.journal.header.run_id.clone(),
            lab: self.lab.clone(),
            started: self.journal.header.started.clone(),
            verified_on: self.verified_on(),
            by: newer.bundle.clone(),
        }
    }
}

pub(super) fn merge(runs: &[Run]) -> Vec<Entry> {
    let model_ids: BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| r.journal.scenarios.iter().map(|s| s.result.model.as_str()))
        .collect();
    let mut entries = Vec::new();
    for id in model_ids {
        let with: Vec<&Run> = runs
            .iter()
            .filter(|r| r.of_model(id).next().is_some())
            .collect();
        let Some(latest) = with
            .iter()
            .map(|r| r.version())
            .max_by(|a, b| version_cmp(a, b))
        else {
            continue;
        };
        let current: Vec<&Run> = with.into_iter().filter(|r| r.version() == latest).collect();
        let Some(newest) = current.iter().max_by(|a, b| a.order().cmp(&b.order())) else {
            continue;
        };
        let Some(profile) = newest.journal.header.models.iter().find(|m| m.id == id) else {
            continue;
        };
        // Which runs cover each (carrier, build); the newest of them decides it.
        let mut covers: BTreeMap<Key, Vec<&Run>> = BTreeMap::new();
        for r in &current {
            let keys: BTreeSet<Key> = r.of_model(id).filter_map(|s| r.key_of(s)).collect();
            for k in keys {
                covers.entry(k).or_default().push(r);
            }
        }
        for carrier in &profile.carriers {
            let one = DeviceProfile {
                carriers: vec![carrier.clone()],
                ..profile.clone()
            };
            let mine: Vec<(&Key, &Vec<&Run>)> =
                covers.iter().filter(|(k, _)| &k.0 == carrier).collect();
            if mine.is_empty() {
                entries.push(untested(&one, carrier, &latest));
                continue;
            }
            for (key, by) in mine {
                // A run that did not run the model's deciding scenarios (a partial run) proves no
                // verdict: it neither decides nor supersedes while a complete run covers the key.
                let complete: Vec<&Run> = by
                    .iter()
                    .copied()
                    .filter(|r| decide(&one, id, key, r, &latest).verdict != Verdict::Partial)
                    .collect();
                let mut by = if complete.is_empty() {
                    by.clone()
                } else {
                    complete
                };
                by.sort_by(|a, b| a.order().cmp(&b.order()));
                let Some((decider, older)) = by.split_last() else {
                    continue;
                };
                let mut e = decide(&one, id, key, decider, &latest);
                e.superseded = older.iter().map(|o| o.superseded_by(decider)).collect();
                entries.push(e);
            }
        }
    }
    entries.sort_by(|a, b| {
        (
            a.maker.as_str(),
            a.model_code.as_str(),
            a.carrier.as_str(),
            &a.build_fingerprint,
        )
            .cmp(&(
                b.maker.as_str(),
                b.model_code.as_str(),
                b.carrier.as_str(),
                &b.build_fingerprint,
            ))
    });
    entries
}

fn status_of(profile: &DeviceProfile, verdict: Verdict) -> Status {
    match verdict {
        Verdict::Supported => Status::Supported,
        Verdict::NotSupported => Status::Unsupported,
        // Not verified: planned when the model claims support, otherwise not supported.
        _ if profile.app_supported() => Status::Planned,
        _ => Status::Unsupported,
    }
}

/// The row of a carrier variant nobody tested.
fn untested(profile: &DeviceProfile, carrier: &str, version: &str) -> Entry {
    Entry {
        maker: profile.maker.clone(),
        model_name: profile.model_name.clone(),
        model_code: profile.model_code.clone(),
        carrier: carrier.to_string(),
        status: status_of(profile, Verdict::NotRun),
        verdict: Verdict::NotRun,
        rules_broken: vec![],
        android: String::new(),
        build_id: String::new(),
        build_fingerprint: None,
        verified_on: String::new(),
        suite_version: version.to_string(),
        evidence_bundles: vec![],
        units: vec![],
        labs: vec![],
        superseded: vec![],
        virtual_lab: false,
    }
}

/// The row of one (carrier, build), decided by one run's results for it (and its run-wide skips).
fn decide(profile: &DeviceProfile, id: &str, key: &Key, run: &Run, version: &str) -> Entry {
    // Units are told apart by lab and serial.
    let results: Vec<ScenarioResult> = run
        .of_model(id)
        .filter(|s| match run.key_of(s) {
            Some(k) => &k == key,
            None => true,
        })
        .map(|s| {
            let mut res = s.result.clone();
            res.unit = res.unit.map(|u| format!("{}/{u}", run.lab));
            res
        })
        .collect();
    let v = verdict_for(profile, run.journal.header.certification.as_ref(), &results);
    let fp = key.1.as_deref().and_then(Fingerprint::parse);
    Entry {
        maker: profile.maker.clone(),
        model_name: profile.model_name.clone(),
        model_code: profile.model_code.clone(),
        carrier: key.0.clone(),
        status: status_of(profile, v.verdict),
        verdict: v.verdict,
        rules_broken: v.rules_broken,
        android: fp
            .as_ref()
            .map(|f| f.release.to_string())
            .unwrap_or_default(),
        build_id: fp
            .as_ref()
            .map(|f| f.build_id.to_string())
            .unwrap_or_default(),
        build_fingerprint: key.1.clone(),
        verified_on: run.verified_on(),
        suite_version: version.to_string(),
        evidence_bundles: vec![run.bundle.clone()],
        units: results
            .iter()
            .filter_map(|r| r.unit.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        labs: vec![run.lab.clone()],
        superseded: vec![],
        virtual_lab: !run.virtual_reasons.is_empty(),
    }
}

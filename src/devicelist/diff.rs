//! What changed since the previously published list, by (model code, carrier, build fingerprint).

use super::{DeviceList, Entry, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Differences from the previously published list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    pub added: Vec<Entry>,
    pub removed: Vec<Entry>,
    pub changed: Vec<Change>,
    /// Results that no longer count, and the bundle whose newer results replaced them.
    #[serde(default)]
    pub superseded: Vec<Supersession>,
}

/// A row whose status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub model_code: String,
    pub carrier: String,
    #[serde(default)]
    pub build_fingerprint: Option<String>,
    pub from: Status,
    pub to: Status,
}

/// Results of `bundle` for a (model, carrier, build), replaced by the newer results of `by`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supersession {
    pub model_code: String,
    pub carrier: String,
    pub build_fingerprint: Option<String>,
    /// The superseded bundle and the date its run was verified.
    pub bundle: String,
    pub verified_on: String,
    /// The bundle whose results now decide the row, and its date.
    pub by: String,
    pub by_verified_on: String,
}

impl Diff {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.superseded.is_empty()
    }
}

type Key = (String, String, Option<String>);

fn key(e: &Entry) -> Key {
    (
        e.model_code.clone(),
        e.carrier.clone(),
        e.build_fingerprint.clone(),
    )
}

/// Compares two lists. A supersession is reported once: when the current list records it (newer
/// results for a row arrived in this build) and the previous one did not, or when a row's deciding
/// bundle is no longer the one the previous list published.
pub fn diff(previous: &DeviceList, current: &DeviceList) -> Diff {
    let old: BTreeMap<Key, &Entry> = previous.entries.iter().map(|e| (key(e), e)).collect();
    let new: BTreeMap<Key, &Entry> = current.entries.iter().map(|e| (key(e), e)).collect();
    // An untested row (no build) is followed by the rows of the builds since tested, as long as the
    // model and carrier have no untested row any more (a previous list of format 1 has no builds at all).
    let untested_before = |k: &Key| -> Option<&Entry> {
        let bare = (k.0.clone(), k.1.clone(), None);
        if new.contains_key(&bare) {
            return None;
        }
        old.get(&bare).copied()
    };
    let mut followed: Vec<Key> = Vec::new();
    let mut d = Diff::default();
    for (k, e) in &new {
        let before = old.get(k).copied().or_else(|| {
            let o = untested_before(k)?;
            followed.push(key(o));
            Some(o)
        });
        match before {
            None => d.added.push((*e).clone()),
            Some(o) if o.status != e.status => d.changed.push(Change {
                model_code: k.0.clone(),
                carrier: k.1.clone(),
                build_fingerprint: k.2.clone(),
                from: o.status,
                to: e.status,
            }),
            _ => {}
        }
        let by = e.evidence_bundles.join(" ");
        let mut push = |bundle: &str, verified_on: &str| {
            if !d.superseded.iter().any(|s| {
                (&s.model_code, &s.carrier, &s.build_fingerprint) == (&k.0, &k.1, &k.2)
                    && s.bundle == bundle
            }) {
                d.superseded.push(Supersession {
                    model_code: k.0.clone(),
                    carrier: k.1.clone(),
                    build_fingerprint: k.2.clone(),
                    bundle: bundle.to_string(),
                    verified_on: verified_on.to_string(),
                    by: by.clone(),
                    by_verified_on: e.verified_on.clone(),
                });
            }
        };
        for s in &e.superseded {
            let known = before.is_some_and(|o| o.superseded.iter().any(|p| p.bundle == s.bundle));
            if !known {
                push(&s.bundle, &s.verified_on);
            }
        }
        if let Some(o) = before {
            for b in &o.evidence_bundles {
                if !e.evidence_bundles.contains(b) && !e.evidence_bundles.is_empty() {
                    push(b, &o.verified_on);
                }
            }
        }
    }
    for (k, e) in &old {
        if !new.contains_key(k) && !followed.contains(k) {
            d.removed.push((*e).clone());
        }
    }
    d
}

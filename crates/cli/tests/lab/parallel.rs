//! A parallel run: the shipped fleet scheduled on device time and run concurrently across units gives
//! the statuses of a run one execution at a time — in process on the virtual clock, and over ADB to
//! served adbds that sleep device time × 0.001 — and while
//! executions overlap, no unit and no identity ever serves two at once (R2).

use crate::common::mynacert;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Runs the shipped certification with `args`; its results.json.
fn run(out: &Path, args: &[&str]) -> Value {
    let o = mynacert()
        .args(["run", "--no-progress", "--out"])
        .arg(out)
        .args(args)
        .output()
        .expect("mynacert run");
    // The shipped fleet holds known-bad models: exit 1, never 3 (no infrastructure error).
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let dir = std::fs::read_dir(out)
        .expect("out")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.join("results.json").is_file())
        .expect("a run directory");
    serde_json::from_slice(&std::fs::read(dir.join("results.json")).expect("results.json"))
        .expect("JSON")
}

/// (scenario, unit) → status, and model → verdict.
fn statuses(r: &Value) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let per = r["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| {
            (
                format!("{} {} {}", s["scenario"], s["model"], s["unit"]),
                s["status"].to_string(),
            )
        })
        .collect();
    let verdicts = r["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .map(|v| (v["model"].to_string(), v["verdict"].to_string()))
        .collect();
    (per, verdicts)
}

/// Each execution's attempts as (start, end) in ms since the epoch, with what it held.
fn intervals(r: &Value) -> Vec<(f64, f64, Vec<String>, String)> {
    let mut out = Vec::new();
    for s in r["scenarios"].as_array().expect("scenarios") {
        let held: Vec<String> = s["bindings"]
            .as_object()
            .map(|b| b.values().map(|v| v.to_string()).collect())
            .unwrap_or_default();
        for a in s["attempts"].as_array().into_iter().flatten() {
            let started = a["started"].as_str().expect("started");
            let t = time::OffsetDateTime::parse(
                started,
                &time::format_description::well_known::Rfc3339,
            )
            .expect("RFC 3339");
            let start = t.unix_timestamp_nanos() as f64 / 1e6;
            let end = start + a["duration_ms"].as_f64().expect("duration");
            out.push((start, end, held.clone(), s["scenario"].to_string()));
        }
    }
    out
}

#[test]
fn the_fleet_in_parallel_gives_the_sequential_statuses_and_never_shares_a_unit_or_identity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sequential = run(&dir.path().join("seq"), &["--sequential"]);
    let parallel = run(&dir.path().join("par"), &[]);
    // Over ADB with device time turned into real sleeps (1/1000): the real paths meet real waiting.
    let over_adb = run(
        &dir.path().join("adb"),
        &["--phones", "adb-direct", "--time-scale", "0.001"],
    );
    let (seq, seq_verdicts) = statuses(&sequential);
    assert!(seq.len() > 100, "{}", seq.len());
    for (name, r) in [("in process", &parallel), ("adb-direct", &over_adb)] {
        let (par, verdicts) = statuses(r);
        assert_eq!(par, seq, "{name}: statuses per execution");
        assert_eq!(verdicts, seq_verdicts, "{name}: verdicts");
    }
    // Over ADB the executions overlap: several units at once.
    let iv = intervals(&over_adb);
    let overlapping = iv
        .iter()
        .enumerate()
        .filter(|(i, a)| iv[i + 1..].iter().any(|b| a.0 < b.1 && b.0 < a.1))
        .count();
    assert!(
        overlapping > 10,
        "only {overlapping} executions overlapped another"
    );
    // ... and never on one unit or one identity (R2: an identity serves one execution at a time). An
    // attempt's start is written to the millisecond (truncated) and its duration comes from another
    // clock: the next holder can seem to start up to about a millisecond before the last one ended.
    const RESOLUTION_MS: f64 = 2.0;
    for (i, a) in iv.iter().enumerate() {
        for b in &iv[i + 1..] {
            let overlap = a.1.min(b.1) - a.0.max(b.0);
            if overlap > RESOLUTION_MS {
                let shared: Vec<&String> = a.2.iter().filter(|x| b.2.contains(x)).collect();
                assert!(
                    shared.is_empty(),
                    "{} and {} both held {shared:?} for {overlap:.1} ms",
                    a.3,
                    b.3
                );
            }
        }
    }
}

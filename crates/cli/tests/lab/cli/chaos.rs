//! A seeded chaos night (`run --chaos SEED`): the shipped fleet on the virtual lab with units dropping
//! off, cards lifted mid-APDU, readers unplugged, slow phones, cut and padded answers, lost selections,
//! adb server restarts and the authority's connection cut. Without retries every execution ends as in
//! a calm run or as an infrastructure error caused by chaos — never a pass or a conformance failure it
//! did not earn — and none is missing from the journal; with retries the verdicts are the calm ones.

use super::*;
use std::collections::BTreeMap;

/// Runs the fleet one execution at a time (so a seed meets the same faults every time).
fn night(out: &Path, extra: &[&str]) -> PathBuf {
    let o = bin()
        .args(["run", "--no-progress", "--sequential", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(1 | 3)),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    crate::common::the_run_dir(out)
}

/// Executions named in the journal, each once.
fn journaled(run_dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    let mut keys = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["kind"] == "scenario" {
            let r = &v["result"];
            keys.push(format!("{} {} {}", r["scenario"], r["model"], r["unit"]));
        }
    }
    keys
}

/// model → its verdict and the rules it broke.
fn verdicts(r: &serde_json::Value) -> BTreeMap<String, String> {
    r["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["model"].to_string(),
                format!("{} {}", v["verdict"], v["rules_broken"]),
            )
        })
        .collect()
}

fn reasons(r: &serde_json::Value) -> BTreeMap<String, String> {
    r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "error")
        .map(|s| {
            let last = s["attempts"].as_array().and_then(|a| a.last()).cloned();
            (
                format!("{} {} {}", s["scenario"], s["model"], s["unit"]),
                last.map(|a| a["reason"].to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_seeded_chaos_night_gives_only_lab_errors_and_with_retries_the_calm_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let calm = results(&night(&dir.path().join("calm"), &[]));
    let calm_status = statuses(&calm);
    assert!(calm_status.values().any(|s| s == "\"passed\""));
    assert!(calm_status.values().any(|s| s == "\"failed\""));
    let mut errors = 0;
    for seed in ["2026", "7"] {
        let raw_dir = night(&dir.path().join(format!("raw-{seed}")), &["--chaos", seed]);
        let raw = results(&raw_dir);
        let got = statuses(&raw);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            calm_status.keys().collect::<Vec<_>>(),
            "seed {seed}: the same executions"
        );
        let mut journal = journaled(&raw_dir);
        journal.sort();
        assert_eq!(
            journal,
            got.keys().cloned().collect::<Vec<_>>(),
            "seed {seed}: every execution in the journal, once"
        );
        let why = reasons(&raw);
        for (key, status) in &got {
            let want = &calm_status[key];
            if status == want {
                continue;
            }
            assert_eq!(
                status, "\"error\"",
                "seed {seed}: {key} is {status} under chaos, {want} in calm"
            );
            assert!(
                why[key].contains("(chaos)"),
                "seed {seed}: {key}: a lab error chaos did not cause: {}",
                why[key]
            );
            errors += 1;
        }
        let retried = results(&night(
            &dir.path().join(format!("retried-{seed}")),
            &["--chaos", seed, "--retries", "5"],
        ));
        assert_eq!(
            verdicts(&retried),
            verdicts(&calm),
            "seed {seed}: with retries, the calm verdicts"
        );
        for (key, status) in statuses(&retried) {
            let want = &calm_status[&key];
            assert!(
                &status == want || (want == "\"passed\"" && status == "\"flaky\""),
                "seed {seed}: {key} is {status} after retries, {want} in calm"
            );
        }
    }
    assert!(
        errors >= 5,
        "chaos caused only {errors} lab errors: the night proved little"
    );
}

/// A model profile's `chaos:` makes only that model's units misbehave, at its own rates, without
/// `--chaos`; a rate that is not a probability is refused where the profile is loaded.
#[test]
fn a_profile_chaos_setting_touches_only_its_own_units() {
    use mynacert::lab::PhonePath;
    let all = crate::common::profiles();
    let pick = |id: &str| {
        all.iter()
            .find(|p| p.id == id)
            .map(|p| (**p).clone())
            .unwrap()
    };
    let mut flaky = pick("kumo-km51a");
    let none: mynacert::chaos::ChaosRates = serde_saphyr::from_str(
        "{drop_off: 0, adb_restart: 0, slow: 0, card_removed: 0, reader_unplugged: 0, \
         truncated: 0, oversized: 0, lost_selection: 0, controller_cut: 0}",
    )
    .unwrap();
    flaky.chaos = Some(mynacert::chaos::ChaosRates {
        adb_restart: 1.0,
        ..none
    });
    let calm = pick("hoshi-hx22b");
    let models = vec![std::sync::Arc::new(flaky), std::sync::Arc::new(calm)];
    let mut opened = crate::common::open(&crate::common::spec(models, PhonePath::InProcess));
    let units = opened.lab.units().to_vec();
    let unit = |model: &str| {
        units
            .iter()
            .find(|u| u.profile.id == model && !u.reference)
            .unwrap()
            .serial
            .clone()
    };
    let (k, h) = (unit("kumo-km51a"), unit("hoshi-hx22b"));
    let e = opened.lab.phone(&k).unwrap().shell("getprop").unwrap_err();
    assert!(
        e.to_string().contains("adb server restarted (chaos)"),
        "{e}"
    );
    assert!(opened.lab.phone(&h).unwrap().shell("getprop").is_ok());
    // Its SE is reached at its own rates: none for cards.
    let mut se = mynacert::jpki::JpkiClient::new(opened.lab.secure_element(&k).unwrap());
    se.select_jpki_ap().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    std::fs::copy(
        crate::common::root().join("devices/carriers.yaml"),
        dir.path().join("carriers.yaml"),
    )
    .unwrap();
    let text =
        std::fs::read_to_string(crate::common::root().join("devices/models/kumo-km51a.yaml"))
            .unwrap();
    std::fs::write(
        models.join("kumo-km51a.yaml"),
        format!("{text}\nchaos: {{ drop_off: 1.5 }}\n"),
    )
    .unwrap();
    let errors = mynacert::lab::profiles::load_profiles(&models).unwrap_err();
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|e| e.contains("chaos.drop_off: 1.5 is not a probability")),
        "{text:?}"
    );
}

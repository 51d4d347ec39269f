//! `mynacert plan`: the shipped certification planned on device time without touching anything, and the
//! schedule of a generated lab of 64 phones, 16 identities, 8 readers and one operator against the lower
//! bound (figures printed: `cargo test --test lab plan -- --nocapture`).

use crate::common::{mynacert, profiles, root, suites};
use mynacert::identity::Identity;
use mynacert::lab::UnitInfo;
use mynacert::runner::{Selection, plan_jobs};
use mynacert::schedule::{PlanLab, human, load_timing, plan};
use std::sync::Arc;
use std::time::Instant;

/// A lab of 15 supported models sold by four carriers (60 subject units), 4 reference units, and 16
/// test identities (taro and hanako, whom the suites name, among them).
fn night() -> (
    Vec<Arc<mynacert::profile::DeviceProfile>>,
    Vec<UnitInfo>,
    Vec<Identity>,
) {
    let shipped = profiles();
    let kumo = shipped
        .iter()
        .find(|p| p.id == "kumo-km51a")
        .expect("kumo-km51a")
        .clone();
    let carriers = ["docomo", "au", "softbank", "rakuten"];
    let mut models = Vec::new();
    let mut units = Vec::new();
    for m in 1..=15 {
        let mut p = (*kumo).clone();
        p.id = format!("model-{m:02}");
        p.model_code = format!("M-{m:02}");
        p.carriers = carriers.iter().map(|c| c.to_string()).collect();
        let p = Arc::new(p);
        for c in carriers {
            units.push(UnitInfo {
                serial: format!("N{m:02}{c}"),
                profile: p.clone(),
                carrier: c.into(),
                reference: false,
            });
        }
        models.push(p);
    }
    for r in 1..=4 {
        units.push(UnitInfo {
            serial: format!("REF{r:02}"),
            profile: kumo.clone(),
            carrier: carriers[r % 4].into(),
            reference: true,
        });
    }
    let lab_file = crate::common::lab_file();
    let base = mynacert::lab::load_identities(&root().join("fixtures"), &lab_file.identities)
        .expect("identities");
    let mut identities = base.clone();
    for i in identities.len() + 1..=16 {
        let mut id = base[0].clone();
        id.id = format!("person-{i:02}");
        id.person_id = format!("TEST-PERSON-{i:02}");
        identities.push(id);
    }
    (models, units, identities)
}

#[test]
fn a_night_of_64_phones_is_scheduled_within_5_percent_of_the_lower_bound() {
    let (models, units, identities) = night();
    assert_eq!(units.len(), 64);
    assert_eq!(identities.len(), 16);
    let jobs = plan_jobs(&suites(), &models, &Selection::default()).expect("jobs");
    let timing = load_timing(&root()).expect("devices/timing.yaml");
    let lab = PlanLab {
        measured: None,
        partition: None,
        units: &units,
        identities: &identities,
        operators: 1,
        readers: 8,
    };
    let t = Instant::now();
    let p = plan(&jobs, &lab, &timing);
    let took = t.elapsed();
    let ratio = p.makespan / p.lower_bound;
    println!(
        "night of 64 phones: {} executions, makespan {} ({:.0} s), lower bound {} ({:.0} s), ratio {ratio:.4}, \
         sequential {} ({:.1}× the makespan); planned in {:.0} ms",
        p.executions.len(),
        human(p.makespan),
        p.makespan,
        human(p.lower_bound),
        p.lower_bound,
        human(p.sequential),
        p.sequential / p.makespan,
        took.as_secs_f64() * 1000.0
    );
    for (name, s) in &p.lower_bound_terms {
        println!("  bound: {name:<40} {}", human(*s));
    }
    // Every model has a fingerprint sensor: only the scenario for models without one does not apply.
    assert_eq!(p.skips.len(), models.len(), "{:?}", p.skips.first());
    assert!(
        p.skips
            .iter()
            .all(|s| s.scenario == "provisioning/biometrics-not-offered"),
        "{:?}",
        p.skips
    );
    assert!(p.executions.iter().all(|e| e.conflict.is_none()));
    assert!(
        p.makespan >= p.lower_bound - 1e-6,
        "no schedule beats its lower bound"
    );
    assert!(ratio <= 1.05, "makespan {ratio:.4}× the lower bound");
    // The same plan gives the same schedule.
    let again = plan(&jobs, &lab, &timing);
    let starts = |p: &mynacert::schedule::Plan| -> Vec<Option<f64>> {
        p.executions.iter().map(|e| e.start).collect()
    };
    assert_eq!(starts(&p), starts(&again));
}

#[test]
fn plan_shows_the_shipped_certification_without_touching_anything() {
    let reports = tempfile::tempdir().expect("tempdir");
    let out = mynacert()
        .current_dir(reports.path())
        .args(["plan", "--model", "kumo-km51a", "--model", "tsuki-tk10"])
        .output()
        .expect("mynacert plan");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("scheduled makespan"), "{text}");
    assert!(text.contains("lower bound"), "{text}");
    assert!(text.contains("provisioning/issue-both"), "{text}");
    // kumo has biometrics: the scenario for models without a sensor is skipped, with why.
    assert!(
        text.contains("provisioning/biometrics-not-offered on kumo-km51a: role"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_dir(reports.path()).expect("dir").count(),
        0,
        "plan writes nothing"
    );
    let out = mynacert()
        .args(["plan", "--model", "kumo-km51a", "--format", "json"])
        .output()
        .expect("mynacert plan --format json");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let makespan = json["makespan"].as_f64().expect("makespan");
    let sequential = json["sequential"].as_f64().expect("sequential");
    let bound = json["lower_bound"].as_f64().expect("lower_bound");
    assert!(bound <= makespan && makespan <= sequential, "{json}");
    assert!(json["executions"].as_array().is_some_and(|e| !e.is_empty()));
    assert!(json["models"]["kumo-km51a"]["seconds"].as_f64().is_some());
    // The parts of a partitioned run plan what each part runs: together, the whole plan.
    let count = |args: &[&str]| -> (usize, usize) {
        let out = mynacert()
            .args(["plan", "--format", "json"])
            .args(args)
            .output()
            .expect("plan");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let n = |k: &str| json[k].as_array().map(Vec::len).unwrap_or(0);
        (n("executions"), n("skips"))
    };
    let whole = count(&[]);
    let (a, b) = (
        count(&["--partition", "1/2"]),
        count(&["--partition", "2/2"]),
    );
    assert!(a.0 > 0 && b.0 > 0, "{a:?} {b:?}");
    assert_eq!((a.0 + b.0, a.1 + b.1), whole);
    // Medians come from a bench: a virtual run measured no device time.
    let runs = tempfile::tempdir().expect("tempdir");
    let o = mynacert()
        .args([
            "run",
            "--no-progress",
            "--model",
            "kumo-km51a",
            "--scenario",
        ])
        .args(["revocation/revoke-online", "--out"])
        .arg(runs.path())
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0));
    let run_dir = crate::common::the_run_dir(runs.path());
    let o = mynacert()
        .args(["plan", "--model", "kumo-km51a", "--medians"])
        .arg(&run_dir)
        .output()
        .expect("plan --medians");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("measured no device time"));
}

/// The same night run for real on the virtual lab in process: 64 virtual phones, 16 identities, the
/// certification profile scheduled on device time and executed concurrently, each execution charged by
/// the simulator on the virtual clock. Figures printed; run it in release:
/// `cargo test --release --test lab night_on_the_virtual_clock -- --ignored --nocapture`.
#[test]
#[ignore = "a bench: the whole night in process (seconds in release, minutes in debug)"]
fn night_on_the_virtual_clock() {
    use mynacert::lab::{LabFile, LabSpec, PhonePath, open_lab};
    use mynacert::runner::{NoReporter, Parallel, RunOptions, Runner};
    use mynacert_wire::lab::UnitEntry;
    let (models, units, identities) = night();
    let mut file: LabFile = crate::common::lab_file();
    file.units = units
        .iter()
        .map(|u| UnitEntry {
            serial: u.serial.clone(),
            profile: u.profile.id.clone(),
            carrier: u.carrier.clone(),
            reference: u.reference,
        })
        .collect();
    let mut profiles = models.clone();
    profiles.extend(profiles_of(&units));
    let timing = load_timing(&root()).expect("devices/timing.yaml");
    let spec = LabSpec {
        root: root(),
        path: root().join("devices/lab.yaml"),
        file,
        profiles,
        identities,
        phones: PhonePath::InProcess,
        adb_port_base: 0,
        boot_timeout: std::time::Duration::from_secs(20),
        timing: Some(timing.clone()),
        time_scale: 0.0,
        chaos: None,
    };
    let mut opened = open_lab(&spec, Some(mynacert_sim::factory)).expect("the night's lab");
    let jobs = plan_jobs(&suites(), &models, &Selection::default()).expect("jobs");
    let options = RunOptions {
        parallel: Some(Parallel {
            timing,
            operators: 1,
            readers: 8,
        }),
        ..crate::common::run_options()
    };
    let t = Instant::now();
    let out =
        Runner::new(opened.lab.as_mut(), opened.flows.clone(), options).run(&jobs, &mut NoReporter);
    let wall = t.elapsed();
    let d = out.device_time.expect("device time on the virtual clock");
    let ratio = d.makespan / d.lower_bound;
    println!(
        "night of 64 phones on the virtual clock: {} executions in {:.1} s of wall time; makespan {} ({:.0} s), \
         lower bound {} ({:.0} s), ratio {ratio:.4}; sequential {} ({:.1}× the makespan)",
        out.scenarios.len(),
        wall.as_secs_f64(),
        human(d.makespan),
        d.makespan,
        human(d.lower_bound),
        d.lower_bound,
        human(d.sequential),
        d.sequential / d.makespan
    );
    let statuses = |s: mynacert::runner::result::ScenarioStatus| {
        out.scenarios.iter().filter(|r| r.status == s).count()
    };
    use mynacert::runner::result::ScenarioStatus as S;
    println!(
        "  passed {}, failed {}, errors {}, skipped {}",
        statuses(S::Passed),
        statuses(S::Failed),
        statuses(S::Error),
        statuses(S::Skipped)
    );
    assert_eq!(
        statuses(S::Error),
        0,
        "no infrastructure error on a calm virtual night"
    );
    assert!(ratio <= 1.05, "makespan {ratio:.4}× the lower bound");
}

/// The profiles of `units` not among the night's models (the reference model).
fn profiles_of(units: &[UnitInfo]) -> Vec<Arc<mynacert::profile::DeviceProfile>> {
    let mut out: Vec<Arc<mynacert::profile::DeviceProfile>> = Vec::new();
    for u in units.iter().filter(|u| u.reference) {
        if !out.iter().any(|p| p.id == u.profile.id) {
            out.push(u.profile.clone());
        }
    }
    out
}

//! The shared work queue through a real PostgreSQL: a coordinator and two lab hosts' workers, each on
//! its own virtual lab (own units, own identities); one host is killed mid-run and comes back.

use crate::common::{mynacert, pg};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Host A: three models' units and a reference unit, two identities.
const LAB_A: &str = "lab: bench-a
kind: virtual
reference_model: kumo-km51a
identities: [taro, hanako]
card_safety: { allow_lock: [taro, hanako] }
units:
  - { serial: SIM-hoshi-hx22b-softbank-01, profile: hoshi-hx22b, carrier: softbank }
  - { serial: SIM-kaze-kz30c-au-01, profile: kaze-kz30c, carrier: au }
  - { serial: SIM-kumo-km51a-docomo-01, profile: kumo-km51a, carrier: docomo }
  - { serial: SIMREF-kumo-km51a-docomo-01, profile: kumo-km51a, carrier: docomo, reference: true }
";

/// Host B: the rest of the shipped fleet, the other two identities.
const LAB_B: &str = "lab: bench-b
kind: virtual
reference_model: kumo-km51a
identities: [jiro, sakura]
card_safety: { allow_lock: [jiro, sakura] }
units:
  - { serial: SIM-kumo-km51a-au-01, profile: kumo-km51a, carrier: au }
  - { serial: SIM-nami-nm07-docomo-01, profile: nami-nm07, carrier: docomo }
  - { serial: SIM-tsuki-tk10-rakuten-01, profile: tsuki-tk10, carrier: rakuten }
  - { serial: SIM-yuki-yk55-softbank-01, profile: yuki-yk55, carrier: softbank }
  - { serial: SIMREF-kumo-km51a-au-02, profile: kumo-km51a, carrier: au, reference: true }
";

fn spawn(cmd: &mut Command, log: &Path) -> Child {
    let out = std::fs::File::create(log).unwrap();
    let err = out.try_clone().unwrap();
    cmd.stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .unwrap()
}

fn wait_exit(child: &mut Child, timeout: Duration, log: &Path) -> ExitStatus {
    let until = Instant::now() + timeout;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!(
                "{} still running after {timeout:?}:\n{}",
                log.display(),
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn results(dir: &Path) -> serde_json::Value {
    let run = crate::common::the_run_dir(dir);
    serde_json::from_slice(&std::fs::read(run.join("results.json")).unwrap()).unwrap()
}

/// Model → (verdict, passed, failed, flaky, errors, skipped).
fn table(r: &serde_json::Value) -> Vec<String> {
    r["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "{} {} {} {} {} {} {}",
                v["model"],
                v["verdict"],
                v["passed"],
                v["failed"],
                v["flaky"],
                v["errors"],
                v["skipped"]
            )
        })
        .collect()
}

/// (scenario, model, unit) → status, every execution once.
fn statuses(r: &serde_json::Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in r["scenarios"].as_array().unwrap() {
        let key = format!("{} {} {}", s["scenario"], s["model"], s["unit"]);
        assert!(
            out.insert(key.clone(), s["status"].to_string()).is_none(),
            "{key} reported twice"
        );
    }
    out
}

#[test]
fn two_workers_one_killed_mid_run_finish_the_run_as_one_host_would() {
    let Some(db) = pg::fresh_database("queue_kill") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("lab-a.yaml"), LAB_A).unwrap();
    std::fs::write(d.join("lab-b.yaml"), LAB_B).unwrap();
    // The reference: one host with the same units (the shipped fleet).
    let one = mynacert()
        .args(["run", "--no-store", "--no-progress", "--out"])
        .arg(d.join("one"))
        .output()
        .unwrap();
    let one_code = one.status.code();
    let one = results(&d.join("one"));

    let mut coordinator = spawn(
        mynacert()
            .args(["run", "--queue", "--no-progress", "--store", &db, "--out"])
            .arg(d.join("queued")),
        &d.join("coordinator.log"),
    );
    let worker = |name: &str, lab: &str| -> Command {
        let mut c = mynacert();
        c.args(["worker", "--store", &db, "--name", name, "--lease", "3"])
            .args(["--exit-when-idle", "--time-scale", "0.0005", "--lab"])
            .arg(d.join(lab));
        c
    };
    let until = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(d.join("coordinator.log"))
        .unwrap_or_default()
        .contains("queued in")
    {
        assert!(Instant::now() < until, "the run was never queued");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut a = spawn(&mut worker("host-a", "lab-a.yaml"), &d.join("a.log"));
    let mut b = spawn(&mut worker("host-b", "lab-b.yaml"), &d.join("b.log"));

    // Kill host A while it holds executions, after it has written some back.
    let until = Instant::now() + Duration::from_secs(120);
    let count = |sql: &str| pg::scalar(&db, sql).parse::<i64>().unwrap();
    loop {
        let done = count("SELECT COUNT(*) FROM queue WHERE worker = 'host-a' AND state = 'done'");
        let held =
            count("SELECT COUNT(*) FROM queue WHERE worker = 'host-a' AND state = 'claimed'");
        if done >= 3 && held >= 1 {
            break;
        }
        assert!(
            Instant::now() < until,
            "host A never held work after writing some back"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    a.kill().unwrap();
    a.wait().unwrap();
    let held = pg::scalar(
        &db,
        "SELECT string_agg(idx::text, ',' ORDER BY idx) FROM queue WHERE worker = 'host-a' AND state = 'claimed'",
    );
    assert!(!held.is_empty(), "host A held nothing when killed");
    // The host comes back (or another with the same models): it takes the work over once the leases
    // have run out.
    let mut a2 = spawn(&mut worker("host-a-again", "lab-a.yaml"), &d.join("a2.log"));

    let code = wait_exit(
        &mut coordinator,
        Duration::from_secs(600),
        &d.join("coordinator.log"),
    );
    assert!(wait_exit(&mut b, Duration::from_secs(120), &d.join("b.log")).success());
    assert!(wait_exit(&mut a2, Duration::from_secs(120), &d.join("a2.log")).success());
    assert_eq!(
        code.code(),
        one_code,
        "the queued run's exit code is the one-host run's"
    );

    // Every execution's final result is there exactly once.
    let total = one["scenarios"].as_array().unwrap().len() as i64;
    assert_eq!(count("SELECT COUNT(*) FROM executions"), total);
    assert_eq!(count("SELECT COUNT(DISTINCT idx) FROM executions"), total);
    assert_eq!(count("SELECT COUNT(*) FROM queue WHERE state <> 'done'"), 0);
    // What host A held when it died was run again by the host that came back, and the lost attempts
    // are recorded as infrastructure errors of host A.
    for idx in held.split(',') {
        let row = pg::scalar(
            &db,
            &format!("SELECT worker || ' ' || lost FROM queue WHERE idx = {idx}"),
        );
        assert!(
            row.starts_with("host-a-again ") && row.contains("\"worker\": \"host-a\""),
            "execution {idx}: {row}"
        );
        let reason = pg::scalar(
            &db,
            &format!("SELECT reason FROM attempts WHERE idx = {idx} AND number < 0"),
        );
        assert!(reason.contains("worker host-a lost its lease"), "{reason}");
    }

    // The same verdict table and per-execution statuses as the one-host run; the losses reported.
    let queued = results(&d.join("queued"));
    let losses: Vec<String> = queued["host_losses"]
        .as_array()
        .expect("host_losses in results.json")
        .iter()
        .map(|l| {
            assert_eq!(l["worker"], "host-a", "{l}");
            l["index"].to_string()
        })
        .collect();
    assert_eq!(
        losses.join(","),
        held,
        "every lost attempt is reported, once"
    );
    assert_eq!(table(&queued), table(&one));
    assert_eq!(statuses(&queued), statuses(&one));
    // …and `report --store` writes the same results again.
    let run_id = queued["run_id"].as_str().unwrap().to_string();
    let again = mynacert()
        .args(["report", "--store", &db, "--run", &run_id, "--out"])
        .arg(d.join("again"))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), one_code);
    let again = results(&d.join("again"));
    assert_eq!(statuses(&again), statuses(&one));
}

#[test]
fn on_postgres_an_older_schema_is_migrated_and_a_newer_one_refused() {
    use mynacert::store::{Location, Store, StoreError, schema};
    let Some(db) = pg::fresh_database("pg_schema") else {
        return;
    };
    let loc = Location::Postgres(db.clone());
    drop(Store::open_at(&loc, 1).unwrap());
    assert_eq!(
        pg::scalar(&db, "SELECT MAX(version) FROM mynacert_schema"),
        "1"
    );
    let mut s = Store::open(&loc).unwrap();
    assert_eq!(s.schema_version().unwrap(), schema::LATEST);
    drop(s);
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    c.batch_execute("UPDATE mynacert_schema SET version = 99")
        .unwrap();
    match Store::open(&loc) {
        Err(StoreError::NewerSchema { found: 99, .. }) => {}
        other => panic!("want NewerSchema, got {:?}", other.err()),
    }
    // The worker says so and exits 2 (input: a newer mynacert is needed), touching nothing.
    let out = mynacert()
        .args(["worker", "--store", &db])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("schema version 99"));
}

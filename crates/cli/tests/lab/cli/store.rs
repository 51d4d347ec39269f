//! The results store on its SQLite path (no workers): a run lands in the store, its reports rebuilt
//! from the store are the run directory's, `history` names regressions and fixes, and a worker with no
//! database fails fast.

use super::bin;
use mynacert::journal::fixture::{attempt, header, journal, model, result, rules, write_run_dir};
use mynacert::profile::Listing;
use mynacert::runner::result::{AttemptStatus, Evidence};

#[test]
fn a_run_lands_in_the_default_store_and_its_reports_come_back_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let run = |extra: &[&str]| {
        let o = bin()
            .args(["run", "--no-progress", "--model", "kumo-km51a", "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let stdout = run(&[]);
    let store = out.join("mynacert.sqlite");
    assert!(
        stdout.contains(&format!("store: {}", store.display())),
        "{stdout}"
    );
    let run_dir = crate::common::the_run_dir(&out);
    let run_id = run_dir.file_name().unwrap().to_string_lossy().into_owned();
    let again = dir.path().join("again");
    let o = bin()
        .args(["report", "--run", &run_id, "--store"])
        .arg(&store)
        .arg("--out")
        .arg(&again)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for f in ["results.json", "junit.xml"] {
        assert_eq!(
            std::fs::read(run_dir.join(f)).unwrap(),
            std::fs::read(again.join(&run_id).join(f)).unwrap(),
            "{f} from the store differs from the run directory's"
        );
    }
    // A second run: the HTML report shows the history of the model's scenarios.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    run(&[]);
    let newest = crate::common::run_dirs(&out).pop().unwrap();
    let html = std::fs::read_to_string(newest.join("report.html")).unwrap();
    assert!(
        html.contains("<h2>History</h2>") && html.contains("<svg"),
        "no history section"
    );
    let runs = bin()
        .args(["store", "runs", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&runs.stdout).lines().count(), 2);
    // --no-store leaves the store alone.
    run(&["--no-store"]);
    let runs = bin()
        .args(["store", "runs", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&runs.stdout).lines().count(), 2);
}

#[test]
fn history_of_three_imported_runs_names_the_regression_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for (i, status) in [
        AttemptStatus::Passed,
        AttemptStatus::Failed,
        AttemptStatus::Passed,
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("run-{}", i + 1);
        let mut h = header(
            &id,
            "lab-a",
            rules("1", &["s/a"], &[]),
            vec![model("m1", "M-1", &["docomo"], Listing::Supported)],
            &[("U1", "m1", "docomo")],
        );
        h.started = format!("2026-11-2{}T10:00:00Z", 7 + i);
        let r = result(
            "s/a",
            "m1",
            "U1",
            "docomo",
            &[],
            vec![attempt(1, status, &[], Evidence::default())],
        );
        let d = dir.path().join(&id);
        write_run_dir(&d, &journal(h, vec![r], true)).unwrap();
        dirs.push(d);
    }
    let store = dir.path().join("s.sqlite");
    let o = bin()
        .args(["store", "import"])
        .args(&dirs)
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin()
        .args(["history", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(text.contains("m1  s/a  [passed failed passed]"), "{text}");
    assert!(
        text.contains("regression in run-2 (passed in run-1)"),
        "{text}"
    );
    assert!(text.contains("fixed in run-3 (failed in run-2)"), "{text}");
    let o = bin()
        .args(["history", "--format", "json", "--model", "m1", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let kinds: Vec<&str> = v[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["regression", "fix"]);
}

#[test]
fn a_worker_with_no_reachable_database_fails_in_seconds_with_exit_3() {
    let started = std::time::Instant::now();
    // Port 9 (discard) on loopback: nothing listens there.
    let o = bin()
        .args([
            "worker",
            "--store",
            "postgres://lab:s3cret@127.0.0.1:9/mynacert",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(
        stderr.contains("cannot open the store postgres://lab:***@127.0.0.1:9/mynacert"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cret"),
        "the password was printed: {stderr}"
    );
    // An SQLite store is refused: workers share PostgreSQL.
    let o = bin()
        .args(["worker", "--store", "/tmp/x.sqlite"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

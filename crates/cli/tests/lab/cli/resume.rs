//! `run --resume` and `run --rerun-failed`: a run killed with SIGKILL and continued ends with the
//! statuses of an uninterrupted run, each execution once; a changed suite is refused; a rerun adds
//! attempts to the failed executions of the same run.

use super::*;
use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn verdicts(r: &Value) -> Vec<(String, String)> {
    r["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["model"].to_string(), v["verdict"].to_string()))
        .collect()
}

/// `mynacert run --resume RUN_DIR` or `--rerun-failed RUN_DIR` in the project at `root`.
fn continue_run(root: &Path, how: &str, run_dir: &Path) -> std::process::Output {
    bin_at(root)
        .args(["run", "--no-progress", how])
        .arg(run_dir)
        .output()
        .unwrap()
}

/// The run directory under `out` once its journal holds `n` finished executions.
fn wait_for(out: &Path, n: usize) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        assert!(
            Instant::now() < deadline,
            "the run never reached {n} executions"
        );
        let found = crate::common::run_dirs(out).first().cloned();
        if let Some(d) = found
            && let Ok(text) = std::fs::read_to_string(d.join("journal.jsonl"))
            && text.matches("\"kind\":\"scenario\"").count() >= n
        {
            return d;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_killed_run_resumed_ends_as_an_uninterrupted_run_with_each_execution_once() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let o = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(&whole)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let whole_dir = crate::common::the_run_dir(&whole);
    let expected = results(&whole_dir);
    // Over ADB a run takes seconds: kill it a third of the way in.
    let killed = dir.path().join("killed");
    let mut child = bin()
        .args(["run", "--no-progress", "--phones", "adb-direct", "--out"])
        .arg(&killed)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let run_dir = wait_for(&killed, 50);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let journal = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    assert!(
        !journal.contains("\"kind\":\"finished\""),
        "killed too late"
    );
    // Whole lines only: the kill may have cut the last one short.
    let whole = &journal[..journal.rfind('\n').map_or(0, |i| i + 1)];
    let before = whole.matches("\"kind\":\"scenario\"").count();
    let total = expected["scenarios"].as_array().unwrap().len();
    assert!(
        before < total,
        "{before} of {total} finished before the kill"
    );
    let o = continue_run(&crate::common::root(), "--resume", &run_dir);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{before} execution(s) stand")),
        "{stderr}"
    );
    let resumed = results(&run_dir);
    assert_eq!(statuses(&resumed), statuses(&expected));
    assert_eq!(verdicts(&resumed), verdicts(&expected));
    assert_eq!(
        resumed["run_id"],
        run_dir.file_name().unwrap().to_str().unwrap()
    );
    assert_eq!(resumed["interrupted"], false);
    // Every execution was journalled exactly once: the finished ones were not run again.
    let journal = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    assert_eq!(journal.matches("\"kind\":\"scenario\"").count(), total);
    // A finished run has nothing to resume.
    let o = continue_run(&crate::common::root(), "--resume", &run_dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to resume"));
}

#[test]
fn a_changed_suite_is_refused_and_a_rerun_adds_attempts_to_the_failures_only() {
    let project = project_copy();
    let out = project.path().join("reports");
    let o = bin_at(project.path())
        .args(["run", "--no-progress", "--model", "kaze-kz30c", "--suite"])
        .arg(project.path().join("suites/revocation.yaml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let run_dir = crate::common::the_run_dir(&out);
    let first = results(&run_dir);
    let failed: Vec<String> = statuses(&first)
        .into_iter()
        .filter(|(_, s)| s.contains("failed"))
        .map(|(k, _)| k)
        .collect();
    assert!(!failed.is_empty(), "kaze-kz30c is a known-bad model");
    let o = continue_run(project.path(), "--rerun-failed", &run_dir);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let again = results(&run_dir);
    assert_eq!(
        statuses(&again),
        statuses(&first),
        "the same failures, once each"
    );
    for s in again["scenarios"].as_array().unwrap() {
        let key = format!("{} {} {}", s["scenario"], s["model"], s["unit"]);
        let attempts = s["attempts"].as_array().map(Vec::len).unwrap_or(0);
        let want = if failed.contains(&key) {
            2
        } else {
            attempts.min(1)
        };
        assert_eq!(attempts, want, "{key}");
    }
    // Cut the footer off as a kill would, change a suite: the run cannot be continued.
    let journal = run_dir.join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("\"kind\":\"finished\""))
        .collect();
    std::fs::write(&journal, kept.join("\n") + "\n").unwrap();
    edit(
        &project.path().join("suites/revocation.yaml"),
        "title: Online revocation",
        "title: Online revocation (edited)",
    );
    let o = continue_run(project.path(), "--resume", &run_dir);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("suite `revocation` changed since run"),
        "{stderr}"
    );
}

//! `run --partition K/N` in separate processes, then `merge`: the verdict table and the statuses of a
//! one-host run, each execution once; a missing or repeated part is refused.

use super::*;

fn only_dir(out: &Path) -> PathBuf {
    crate::common::the_run_dir(out)
}

/// The verdict table as the console prints it (stdout up to the results line).
fn table(stdout: &[u8]) -> String {
    String::from_utf8_lossy(stdout)
        .lines()
        .take_while(|l| {
            !l.starts_with("results:")
                && !l.starts_with("device time")
                && !l.contains("scenario(s) reported")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[test]
fn two_partitions_merged_give_the_one_host_run() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    let whole = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(&one)
        .output()
        .unwrap();
    assert_eq!(whole.status.code(), Some(1));
    // The two parts run at the same time, as two CI jobs would.
    let spawn = |k: &str| {
        bin()
            .args(["run", "--no-progress", "--partition", k, "--out"])
            .arg(dir.path().join(k.replace('/', "of")))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("1/2"), spawn("2/2"));
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let (p1, p2) = (
        only_dir(&dir.path().join("1of2")),
        only_dir(&dir.path().join("2of2")),
    );
    let (r1, r2) = (statuses(&results(&p1)), statuses(&results(&p2)));
    assert!(!r1.is_empty() && !r2.is_empty(), "both parts ran something");
    assert!(
        r1.keys().all(|k| !r2.contains_key(k)),
        "no execution in both"
    );
    let merged_out = dir.path().join("merged");
    let m = bin()
        .arg("merge")
        .arg(&p2)
        .arg(&p1)
        .arg("--out")
        .arg(&merged_out)
        .output()
        .unwrap();
    assert_eq!(
        m.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&m.stderr)
    );
    let merged = only_dir(&merged_out);
    let expected = results(&only_dir(&one));
    assert_eq!(statuses(&results(&merged)), statuses(&expected));
    assert_eq!(results(&merged)["verdicts"], expected["verdicts"]);
    assert_eq!(table(&m.stdout), table(&whole.stdout));
    // A part missing, or given twice, is refused.
    for dirs in [vec![&p1], vec![&p1, &p1]] {
        let o = bin()
            .arg("merge")
            .args(dirs.iter().map(|d| d.as_os_str()))
            .arg("--out")
            .arg(dir.path().join("bad"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("partition 2/2 is missing") || err.contains("is given twice"),
            "{err}"
        );
    }
}

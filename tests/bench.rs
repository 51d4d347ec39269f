//! A bench lab (`kind: bench`) end to end, with nothing in process: `mynacert lab serve` serves the virtual
//! lab in another process — phones as adbds, taro's card and one phone's SE on vpcd, and the bench
//! controller (card placement, power, test services, the authority) — and writes a bench lab file;
//! `mynacert run --lab` that file then reaches the phones through Debian's adb server, the card and the SE
//! through pcscd, the rest through the controller.
//!
//! Needs pcscd with vpcd and an adb server (`scripts/test` starts both); without them it SKIPS LOUDLY,
//! unless `MYNACERT_REQUIRE_SERVICES=1`, where it fails.

mod pcsc_common;

use mynacert::adb::transport::{AdbEnv, server_request};
use mynacert::lab::LabFile;
use mynacert::pcsc;
use pcsc_common::{SLOT0, SLOT1, WAIT, root, services, slots};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The served lab: killed when the test ends, however it ends.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn adb_server_up() -> bool {
    let env = match AdbEnv::from_process() {
        Ok(e) => e,
        Err(e) => panic!("adb environment: {e}"),
    };
    match server_request(env.server, "host:version") {
        Ok(_) => true,
        Err(e) if std::env::var("MYNACERT_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("MYNACERT_REQUIRE_SERVICES=1 but no adb server at {}: {e}", env.server)
        }
        Err(e) => {
            eprintln!("\n*** SKIPPED: no adb server at {} ({e}); run scripts/test ***\n", env.server);
            false
        }
    }
}

fn wait_for_file(path: &Path, served: &mut Served) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        if let Ok(Some(status)) = served.0.try_wait() {
            panic!("lab serve exited early: {status}");
        }
        assert!(Instant::now() < deadline, "no bench file after 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Written in one go, but give the writer a moment to close it.
    std::thread::sleep(Duration::from_millis(100));
}

#[test]
fn a_bench_lab_file_runs_the_suites_against_the_lab_served_in_another_process() {
    if !services("a_bench_lab_file_runs_the_suites_against_the_lab_served_in_another_process")
        || !adb_server_up()
    {
        return;
    }
    let _g = slots();
    pcsc::wait_for_card(SLOT0, false, WAIT).expect("reader 0 is empty before the test");
    pcsc::wait_for_card(SLOT1, false, WAIT).expect("reader 1 is empty before the test");
    let dir = tempfile::tempdir().expect("tempdir");
    let bench_file = dir.path().join("bench.yaml");
    let bin = env!("CARGO_BIN_EXE_mynacert");
    let root = root();
    let mut served = Served(
        Command::new(bin)
            .args(["--root", &root.to_string_lossy(), "lab", "serve"])
            .args(["--card", "taro@0", "--se", "SIMKM51ADO01@1", "--control", "0"])
            .args(["--adb-port-base", "0", "--auth", "off", "--seconds", "900"])
            .arg("--bench-file")
            .arg(&bench_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("lab serve"),
    );
    wait_for_file(&bench_file, &mut served);
    let file = LabFile::load(&bench_file).expect("the bench file parses as a lab file");
    let se_unit = file
        .readers
        .iter()
        .find_map(|r| r.se.clone())
        .expect("the bench file puts an SE on a reader");
    pcsc::wait_for_card(SLOT1, true, WAIT).expect("the SE is on reader 1");

    let out = Command::new(bin)
        .args(["--root", &root.to_string_lossy(), "run", "--no-progress"])
        .args(["--model", "kumo-km51a", "--lab"])
        .arg(&bench_file)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .output()
        .expect("mynacert run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Incomplete at most: the bench has readers for one SE and one card only, so scenarios on the other
    // units' SEs and with hanako's card are infrastructure errors — never a conformance failure.
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "{stdout}\n{stderr}"
    );
    assert!(stderr.contains("ADB through the adb server"), "{stderr}");
    let run_dir = std::fs::read_dir(dir.path().join("reports"))
        .expect("reports")
        .filter_map(Result::ok)
        .next()
        .expect("a run directory")
        .path();
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("results.json")).expect("results"))
            .expect("results.json");
    let scenarios = results["scenarios"].as_array().expect("scenarios");
    let on_se_unit: Vec<&serde_json::Value> = scenarios
        .iter()
        .filter(|s| s["unit"] == se_unit.as_str())
        .collect();
    let status = |name: &str| {
        on_se_unit
            .iter()
            .find(|s| s["scenario"] == name)
            .map(|s| s["status"].as_str().unwrap_or("").to_string())
    };
    let passed = on_se_unit.iter().filter(|s| s["status"] == "passed").count();
    assert!(
        !scenarios.iter().any(|s| s["status"] == "failed"),
        "a conformant model failed on the bench:\n{stdout}"
    );
    // Card held to the phone by the controller, SE read through pcscd, status from the authority over
    // the controller: the whole chain.
    assert_eq!(
        status("provisioning/issue-both").as_deref(),
        Some("passed"),
        "{stdout}"
    );
    assert!(passed >= 10, "only {passed} scenarios passed on {se_unit}:\n{stdout}");
    let text = serde_json::to_string(&results).expect("json");
    assert!(text.contains("via reader `Virtual PCD 00 01`"));
    // Every error is a missing reader (what this bench lacks), named as such.
    for s in scenarios.iter().filter(|s| s["status"] == "error") {
        let msg = s.to_string();
        assert!(
            msg.contains("no reader in the lab file"),
            "unexpected infrastructure error: {msg}"
        );
    }
    drop(served);
}

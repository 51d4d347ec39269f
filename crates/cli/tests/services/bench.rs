//! A bench lab (`kind: bench`) end to end, with nothing in process: `mynacert lab serve` serves the virtual
//! lab in another process — phones as adbds, taro's card and one phone's SE on vpcd, and the bench
//! controller (card placement, power, test services, the authority) — and writes a bench lab file;
//! `mynacert run --lab` that file then reaches the phones through Debian's adb server, the card and the SE
//! through pcscd, the rest through the controller.
//!
//! Needs pcscd with vpcd and an adb server (`scripts/test` starts both); without them it SKIPS LOUDLY,
//! unless `MYNACERT_REQUIRE_SERVICES=1`, where it fails.

use crate::common::pcsc::{SLOT0, SLOT1, WAIT, services, slots};
use crate::common::root;
use mynacert::adb::transport::{AdbEnv, server_request};
use mynacert::lab::LabFile;
use mynacert::pcsc;
use std::collections::BTreeMap;
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
            panic!(
                "MYNACERT_REQUIRE_SERVICES=1 but no adb server at {}: {e}",
                env.server
            )
        }
        Err(e) => {
            eprintln!(
                "\n*** SKIPPED: no adb server at {} ({e}); run scripts/test ***\n",
                env.server
            );
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

/// `mynacert run` with `args`; the results file as JSON.
fn run(bin: &str, args: &[&str], out: &Path) -> (Option<i32>, String, serde_json::Value) {
    let o = Command::new(bin)
        .args(["--root", &root().to_string_lossy(), "run", "--no-progress"])
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("mynacert run");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let run_dir = crate::common::the_run_dir(out);
    let results =
        serde_json::from_slice(&std::fs::read(run_dir.join("results.json")).expect("results"))
            .expect("results.json");
    (o.status.code(), text, results)
}

/// scenario → status of every scenario whose subject is `unit`.
fn statuses(results: &serde_json::Value, unit: &str) -> BTreeMap<String, String> {
    results["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .filter(|s| s["unit"] == unit)
        .map(|s| {
            (
                s["scenario"].as_str().unwrap_or("").to_string(),
                s["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// `mynacert lab check` on the served bench: ready; then on a copy whose first unit claims another model:
/// not ready, naming the unit and both models.
fn lab_check_finds_the_wiring(bin: &str, bench_file: &Path, dir: &Path) {
    let check = |file: &Path| {
        let o = Command::new(bin)
            .args(["--root", &root().to_string_lossy(), "lab", "check", "--lab"])
            .arg(file)
            .output()
            .expect("lab check");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, out) = check(bench_file);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("ok    authority") && out.contains("bench ready"),
        "{out}"
    );
    assert_eq!(out.matches("\nok    unit ").count(), 9, "{out}");
    assert_eq!(out.matches("\nok    reader ").count(), 2, "{out}");
    let text = std::fs::read_to_string(bench_file).expect("bench file");
    let first = text
        .lines()
        .find(|l| l.contains("profile: \""))
        .expect("a unit line");
    let claimed = if first.contains("tsuki-tk10") {
        "hoshi-hx22b"
    } else {
        "tsuki-tk10"
    };
    let start = first.find("profile: \"").expect("profile") + "profile: \"".len();
    let end = start + first[start..].find('"').expect("closing quote");
    let wrong = format!("{}{claimed}{}", &first[..start], &first[end..]);
    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, text.replacen(first, &wrong, 1)).expect("broken copy");
    let (code, out) = check(&broken);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(&format!("but the lab file says profile {claimed}")),
        "{out}"
    );
}

/// Serves the virtual lab with `serial`'s SE and taro's card on vpcd, runs `model` on the bench file,
/// runs it in process too, and compares the scenarios on that unit. Returns the bench's statuses.
fn bench_against_in_process(model: &str, serial: &str) -> BTreeMap<String, String> {
    let _g = slots();
    pcsc::wait_for_card(SLOT0, false, WAIT).expect("reader 0 is empty before the test");
    pcsc::wait_for_card(SLOT1, false, WAIT).expect("reader 1 is empty before the test");
    let dir = tempfile::tempdir().expect("tempdir");
    let bench_file = dir.path().join("bench.yaml");
    let bin = env!("CARGO_BIN_EXE_mynacert");
    let mut served = Served(
        Command::new(bin)
            .args(["--root", &root().to_string_lossy(), "lab", "serve"])
            .args([
                "--card",
                "taro@0",
                "--se",
                &format!("{serial}@1"),
                "--control",
                "0",
            ])
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
    lab_check_finds_the_wiring(bin, &bench_file, dir.path());
    let bench_file = bench_file.to_string_lossy().into_owned();
    let (code, text, bench) = run(
        bin,
        &["--model", model, "--lab", &bench_file],
        &dir.path().join("bench"),
    );
    drop(served);
    // Never invalid input or a crash: the bench has readers for one SE and one card only, so scenarios
    // on the other units' SEs and with hanako's card are infrastructure errors.
    assert!(matches!(code, Some(1) | Some(3)), "{text}");
    assert!(text.contains("ADB through the adb server"), "{text}");
    assert!(
        serde_json::to_string(&bench)
            .expect("json")
            .contains("via reader `Virtual PCD 00 01`")
    );
    for s in bench["scenarios"].as_array().expect("scenarios") {
        if s["status"] == "error" {
            let msg = s.to_string();
            assert!(
                msg.contains("no reader in the lab file"),
                "unexpected error: {msg}"
            );
        }
    }
    let (_, _, local) = run(bin, &["--model", model], &dir.path().join("local"));
    let on_bench = statuses(&bench, &se_unit);
    let in_process = statuses(&local, serial);
    let mut compared = 0;
    for (scenario, status) in &on_bench {
        if status == "error" {
            continue;
        }
        compared += 1;
        assert_eq!(
            Some(status),
            in_process.get(scenario),
            "{scenario} on the bench vs in process\n{text}"
        );
    }
    assert!(
        compared >= 10,
        "only {compared} scenarios compared:\n{text}"
    );
    on_bench
}

#[test]
fn a_conformant_model_passes_on_the_bench_as_in_process() {
    if !services("a_conformant_model_passes_on_the_bench_as_in_process") || !adb_server_up() {
        return;
    }
    let s = bench_against_in_process("kumo-km51a", "SIM-kumo-km51a-docomo-01");
    // Card held to the phone by the controller, SE read through pcscd, status from the authority over
    // the controller, power through the controller: the whole chain.
    for scenario in [
        "provisioning/issue-both",
        "suspension/suspend-and-lift",
        "revocation/power-off-then-on",
        "factory-reset/reset-keeps-se-and-validity",
    ] {
        assert_eq!(
            s.get(scenario).map(String::as_str),
            Some("passed"),
            "{scenario}"
        );
    }
}

#[test]
fn a_defective_model_fails_on_the_bench_as_in_process() {
    if !services("a_defective_model_fails_on_the_bench_as_in_process") || !adb_server_up() {
        return;
    }
    // nami-nm07 wipes the SE on factory reset (R3): the SE, read through pcscd, shows it.
    let s = bench_against_in_process("nami-nm07", "SIM-nami-nm07-docomo-01");
    assert_eq!(
        s.get("factory-reset/reset-keeps-se-and-validity")
            .map(String::as_str),
        Some("failed")
    );
}

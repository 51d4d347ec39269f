//! The virtual fleet served as adbds and driven over real ADB bytes on loopback, straight to each adbd
//! (our direct-TCP host client): no adb server needed, so these always run. The adb-server path is in
//! `tests/adb_server.rs`.

use crate::common::adb::*;
use crate::common::root;
use mynacert::adb::host::DirectConnection;
use mynacert::adb::link::Route;
use mynacert::adb::transport::AdbShellTransport;
use mynacert::lab::Lab;
use mynacert::lab::profiles::load_profiles;
use mynacert::phone::{FlowValue, FlowVars};
use mynacert::runner::result::ScenarioStatus;
use mynacert::runner::{NoReporter, Reporter, RunEvent, RunOptions};
use mynacert::secret::Secret;
use mynacert::transport::ShellTransport;
use mynacert_sim::adbd::AdbdConfig;
use mynacert_sim::adbd::fleet::ServedFleet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn serve(f: &Fleet) -> ServedFleet {
    ServedFleet::serve(&f.lab, 0, &AdbdConfig::default()).expect("serve fleet on loopback")
}

#[test]
fn full_shipped_suites_over_direct_adb_give_the_in_process_verdicts() {
    let mut inproc = fleet();
    let jobs = all_jobs(&inproc);
    let a = run(
        &mut inproc,
        &jobs,
        crate::common::run_options(),
        &mut NoReporter,
    );
    let expected = summary(&inproc, &a);

    let mut wired = fleet();
    let served = serve(&wired);
    connect_lab(
        &mut wired.lab,
        served.addresses(),
        Route::Direct,
        Duration::from_secs(10),
    );
    let b = run(
        &mut wired,
        &jobs,
        crate::common::run_options(),
        &mut NoReporter,
    );
    let got = summary(&wired, &b);
    assert_same("over ADB", &got, &expected, &b);
    assert!(
        b.iter().any(|r| r.status == ScenarioStatus::Passed),
        "nothing passed: the comparison would be vacuous"
    );
}

/// Unplugs one served phone right after the first step of the first scenario that runs on it.
struct Unplugger {
    fleet: Arc<Mutex<ServedFleet>>,
    armed: Option<String>,
    unplugged: Option<String>,
}

impl Reporter for Unplugger {
    fn event(&mut self, event: &RunEvent<'_>) {
        match event {
            RunEvent::ScenarioStarted { unit: Some(u), .. } if self.unplugged.is_none() => {
                self.armed = Some(u.to_string());
            }
            RunEvent::StepFinished { .. } => {
                if let Some(u) = self.armed.take()
                    && self.unplugged.is_none()
                    && let Ok(mut f) = self.fleet.lock()
                {
                    assert!(f.unplug(&u), "unit {u} is served");
                    self.unplugged = Some(u);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn a_phone_unplugged_mid_scenario_is_an_infrastructure_error_then_quarantined() {
    let mut f = fleet();
    let jobs: Vec<_> = all_jobs(&f)
        .into_iter()
        .filter(|j| j.model.id == "kumo-km51a" || j.model.id == "hoshi-hx22b")
        .collect();
    let served = Arc::new(Mutex::new(serve(&f)));
    let addresses = served.lock().expect("fleet").addresses();
    connect_lab(&mut f.lab, addresses, Route::Direct, Duration::from_secs(1));
    let mut reporter = Unplugger {
        fleet: served.clone(),
        armed: None,
        unplugged: None,
    };
    let options = RunOptions {
        unit_return_timeout: Duration::from_millis(300),
        ..crate::common::run_options()
    };
    let results = run(&mut f, &jobs, options, &mut reporter);
    let gone = reporter.unplugged.expect("a phone was unplugged");

    // In-process reference: how many results the same plan yields.
    let mut reference = fleet();
    let expected = run(
        &mut reference,
        &jobs,
        crate::common::run_options(),
        &mut NoReporter,
    );
    assert_eq!(results.len(), expected.len(), "a finished result was lost");

    let on_gone = |r: &mynacert::runner::result::ScenarioResult| {
        r.unit.as_deref() == Some(gone.as_str()) || r.bindings.values().any(|s| s == &gone)
    };
    let first = results
        .iter()
        .position(|r| r.status == ScenarioStatus::Error)
        .expect("an error result");
    let err = &results[first];
    let reason = err.reason().unwrap_or_default().to_string();
    assert!(
        reason.contains(&gone) && reason.contains("quarantined"),
        "the error names the unit and the quarantine: {reason}"
    );
    let later_on_gone: Vec<_> = results[first + 1..]
        .iter()
        .filter(|r| r.status != ScenarioStatus::Skipped && r.unit.as_deref() == Some(gone.as_str()))
        .map(|r| format!("{} {:?}", r.scenario, r.status))
        .collect();
    assert!(
        later_on_gone.is_empty(),
        "ran on a quarantined unit: {later_on_gone:?}"
    );
    let skipped = results[first + 1..]
        .iter()
        .filter(|r| r.status == ScenarioStatus::Skipped && on_gone(r))
        .count();
    let trail: Vec<String> = results
        .iter()
        .filter(|r| on_gone(r))
        .map(|r| {
            format!(
                "{} {:?} {:?} {:?}",
                r.scenario,
                r.unit,
                r.status,
                r.reason().or(r.skip_reason.as_deref())
            )
        })
        .collect();
    assert!(
        skipped > 0,
        "later scenarios on {gone} are skipped: {trail:#?}"
    );
    assert!(
        results
            .iter()
            .filter(|r| r.status == ScenarioStatus::Skipped && on_gone(r))
            .all(|r| r
                .skip_reason
                .as_deref()
                .unwrap_or("")
                .contains(&format!("unit {gone} quarantined")))
    );
    // The run went on with the other units.
    let others_ran = results[first + 1..]
        .iter()
        .filter(|r| {
            !on_gone(r) && matches!(r.status, ScenarioStatus::Passed | ScenarioStatus::Failed)
        })
        .count();
    assert!(others_ran > 0, "the run went on with the other units");
}

#[test]
fn push_pull_and_reboot_over_the_direct_path() {
    let f = fleet();
    let served = serve(&f);
    let (serial, addr) = served.addresses().into_iter().next().expect("a unit");
    let mut t = AdbShellTransport::direct(addr, None)
        .with_boot_timeout(Duration::from_secs(5))
        .named(&serial);
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    t.push(&data, "/sdcard/blob.bin", 0o644).expect("push");
    assert_eq!(t.pull("/sdcard/blob.bin").expect("pull"), data);
    let err = t.pull("/sdcard/none").expect_err("missing file");
    assert!(err.to_string().contains(&serial), "{err}");
    let before = t.shell("getprop ro.serialno").expect("getprop");
    assert_eq!(before.stdout_text().trim(), serial);
    assert_eq!(before.exit_code, Some(0));
    t.shell("reboot").expect("reboot is not an error");
    // The device dropped every connection and comes back: the next command waits for it.
    let after = t.shell("getprop ro.serialno").expect("back after reboot");
    assert_eq!(after.stdout_text().trim(), serial);
    let fail = t.shell("no-such-program").expect("runs");
    assert_eq!(fail.exit_code, Some(127));
    assert!(fail.stderr_text().contains("not found"));
}

#[test]
fn hostile_model_name_and_password_cross_the_wire_verbatim() {
    let hostile_model = "X'; reboot -p #$(reboot -p)";
    let mut profiles = load_profiles(&root().join("devices/models")).expect("profiles");
    let i = profiles
        .iter()
        .position(|p| p.id == "kumo-km51a")
        .expect("reference model");
    let mut p = (*profiles[i]).clone();
    p.model_code = hostile_model.to_string();
    profiles[i] = Arc::new(p);
    let mut f = fleet_with(profiles);
    let served = serve(&f);
    let unit = f
        .lab
        .units()
        .iter()
        .find(|u| u.profile.model_code == hostile_model)
        .expect("unit of the hostile model")
        .serial
        .clone();
    let addr = served.addresses()[&unit];

    // The banner stays parseable: four `key=value` fields, no injected separators.
    let conn = DirectConnection::connect(addr, None, Duration::from_secs(5)).expect("connect");
    let fields: Vec<&str> = conn
        .banner()
        .strip_prefix("device::")
        .expect("device banner")
        .split(';')
        .collect();
    assert_eq!(fields.len(), 4, "{}", conn.banner());
    assert!(
        fields.iter().all(|f| f.matches('=').count() == 1),
        "{fields:?}"
    );

    // getprop over ADB returns the name verbatim, and the phone did not reboot or power off.
    connect_lab(
        &mut f.lab,
        served.addresses(),
        Route::Direct,
        Duration::from_secs(5),
    );
    let mut d = driver(&mut f, &unit);
    let props = d.props().expect("props");
    assert_eq!(props.model, hostile_model);

    // A password with shell metacharacters typed through the ADB path reaches the app's field as is.
    for value in ["'; reboot -p #", "$(reboot -p)"] {
        f.lab.place_card("taro", &unit).expect("card on phone");
        let mut d = driver(&mut f, &unit);
        let _ = d.install_app(&f.lab.app_apk().expect("apk"));
        let mut vars = FlowVars::new();
        vars.insert(
            "card_sign_password".into(),
            FlowValue::Secret(Secret::new(value)),
        );
        for (k, v) in [
            ("phone_auth_pin", "1234"),
            ("phone_sign_password", "ABC123"),
            ("biometrics", "no"),
        ] {
            vars.insert(k.into(), FlowValue::Plain(v.into()));
        }
        let _ = d.run_flow("provision", &vars);
        assert!(
            d.commands().iter().any(|c| c.starts_with("input text ")),
            "the value was typed"
        );
        assert!(
            d.commands().iter().all(|c| !c.contains(value)),
            "the secret is redacted from the command log"
        );
        // Still powered and connected: no injected `reboot -p` ran.
        assert_eq!(d.props().expect("still answering").model, hostile_model);
    }
}

#[test]
fn lab_serve_then_devices_lists_the_served_phones_with_their_profiles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ports = dir.path().join("ports.txt");
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_mynacert"))
        .args([
            "--root",
            &crate::common::root().to_string_lossy(),
            "lab",
            "serve",
            "--seconds",
            "30",
        ])
        .args(["--adb-port-base", "0", "--auth", "off", "--ports-file"])
        .arg(&ports)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn lab serve");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let text = loop {
        if let Ok(t) = std::fs::read_to_string(&ports)
            && t.lines().count() > 1
        {
            break t;
        }
        if std::time::Instant::now() > deadline {
            let _ = serve.kill();
            panic!("lab serve wrote no ports file");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut args = vec![
        "--root".to_string(),
        crate::common::root().to_string_lossy().into_owned(),
    ];
    args.extend(["devices".to_string(), "--no-server".to_string()]);
    for line in text.lines() {
        let addr = line.split_whitespace().nth(1).expect("SERIAL ADDR");
        args.extend(["--direct".to_string(), addr.to_string()]);
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mynacert"))
        .args(&args)
        .output()
        .expect("run devices");
    let _ = serve.kill();
    let _ = serve.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("kumo-km51a"), "profile matched: {stdout}");
    assert!(stdout.contains("KM-51A"), "model shown: {stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.contains(" device ")).count(),
        text.lines().count(),
        "every served unit is listed as `device`: {stdout}"
    );
}

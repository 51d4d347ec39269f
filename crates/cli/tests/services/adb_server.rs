//! Debian's `adb` and its server against the served virtual fleet: the CLI (connect, devices -l, shell,
//! push/pull, install, exec-out, reboot), the full shipped suites through adb_client → adb server →
//! virtual adbd with the same verdicts as in process, and `mynacert run --phones adb-server`.
//!
//! Needs an adb server: `scripts/test` starts one (`adb -P 15037 nodaemon server` with a temporary HOME)
//! and exports `ADB_SERVER_SOCKET`. Without one these tests SKIP LOUDLY, unless
//! `MYNACERT_REQUIRE_SERVICES=1`, where they fail.

use crate::common::adb::*;
use crate::common::{require_services, root};
use mynacert::adb::auth::AuthPolicy;
use mynacert::adb::link::{Route, connect_through_server, disconnect_through_server};
use mynacert::adb::transport::{AdbEnv, server_request};
use mynacert::lab::Lab;
use mynacert::runner::NoReporter;
use mynacert::runner::result::ScenarioStatus;
use mynacert_sim::adbd::AdbdConfig;
use mynacert_sim::adbd::fleet::ServedFleet;
use std::net::{SocketAddr, SocketAddrV4};
use std::process::Command;
use std::time::{Duration, Instant};

/// The adb server to use, or `None` (after a loud message) when there is none and none is required.
fn server() -> Option<SocketAddrV4> {
    let env = match AdbEnv::from_process() {
        Ok(e) => e,
        Err(e) => panic!("adb environment: {e}"),
    };
    match server_request(env.server, "host:version") {
        Ok(_) => Some(env.server),
        Err(e) if require_services() => {
            panic!(
                "MYNACERT_REQUIRE_SERVICES=1 but no adb server at {}: {e}",
                env.server
            )
        }
        Err(e) => {
            eprintln!(
                "\n*** SKIPPED: no adb server at {} ({e}); run scripts/test, or start one with \
                 `HOME=$(mktemp -d) adb -P 15037 nodaemon server &` and ADB_SERVER_SOCKET=tcp:127.0.0.1:15037 ***\n",
                env.server
            );
            None
        }
    }
}

/// Connects every address and waits until the server lists each in `state`.
fn connect_all(server: SocketAddrV4, addrs: &[SocketAddr], state: &str) {
    if let Err(e) = connect_through_server(server, addrs, state, Duration::from_secs(15)) {
        panic!("{e}");
    }
}

/// Runs Debian's `adb -H 127.0.0.1 -P PORT …`. The host given as an address, not `localhost`, keeps the
/// CLI from starting a server of its own when the test's one is down (adb starts one only for a "local"
/// host); such a stray server would hold the port against the supervised one.
fn adb(server: SocketAddrV4, args: &[&str]) -> (bool, String, String) {
    let out = Command::new("adb")
        .arg("-H")
        .arg(server.ip().to_string())
        .arg("-P")
        .arg(server.port().to_string())
        .args(args)
        .output()
        .expect("run adb");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn debian_adb_cli_drives_a_served_phone_with_auth() {
    let Some(server) = server() else { return };
    let f = fleet();
    let config = AdbdConfig {
        policy: AuthPolicy::Keys {
            authorized: vec![],
            accept_new: true,
        },
        ..AdbdConfig::default()
    };
    let served = ServedFleet::serve(&f.lab, 0, &config).expect("serve");
    let (serial, addr) = served.addresses().into_iter().next().expect("a unit");
    let unit = f
        .lab
        .units()
        .iter()
        .find(|u| u.serial == serial)
        .expect("unit");
    let a = addr.to_string();
    connect_all(server, &[addr], "device");

    let (_, list, _) = adb(server, &["devices", "-l"]);
    let line = list.lines().find(|l| l.starts_with(&a)).expect("listed");
    assert!(
        line.contains("product:") && line.contains("device:"),
        "{line}"
    );
    let (ok, model, _) = adb(server, &["-s", &a, "shell", "getprop", "ro.product.model"]);
    assert!(ok);
    assert_eq!(model.trim(), unit.profile.model_code);
    let (ok, _, err) = adb(server, &["-s", &a, "shell", "no-such-program"]);
    assert!(!ok, "shell v2 carries the exit code");
    assert!(err.contains("not found"), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("blob.bin");
    let back = dir.path().join("back.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 31 % 253) as u8).collect();
    std::fs::write(&src, &data).expect("write blob");
    let (ok, _, err) = adb(
        server,
        &["-s", &a, "push", &src.to_string_lossy(), "/sdcard/blob.bin"],
    );
    assert!(ok, "push: {err}");
    let (ok, _, err) = adb(
        server,
        &[
            "-s",
            &a,
            "pull",
            "/sdcard/blob.bin",
            &back.to_string_lossy(),
        ],
    );
    assert!(ok, "pull: {err}");
    assert_eq!(std::fs::read(&back).expect("pulled file"), data);

    let apk = root().join("fixtures/app/mynaportal-sim.apk");
    let (ok, out, err) = adb(server, &["-s", &a, "install", &apk.to_string_lossy()]);
    assert!(ok && out.contains("Success"), "install: {out} {err}");
    let (_, pkgs, _) = adb(server, &["-s", &a, "shell", "pm", "list", "packages"]);
    assert!(pkgs.contains("jp.go.digital.mynaportal"), "{pkgs}");
    let (ok, dump, _) = adb(
        server,
        &["-s", &a, "exec-out", "uiautomator", "dump", "/dev/tty"],
    );
    assert!(ok && dump.contains("<hierarchy"), "{dump}");

    let (ok, _, err) = adb(server, &["-s", &a, "reboot"]);
    assert!(ok, "reboot: {err}");
    // Back like a real device: the server reconnects it by itself (its reconnect handler retries every
    // ~10 s), without a `host:connect` from us — unless the server was restarted meanwhile (scripts/test
    // supervises it): a fresh server has never heard of the unit, and a lab would `adb connect` it again.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let listed = server_request(server, "host:devices").unwrap_or_default();
        if !listed.contains(&a) {
            let _ = server_request(server, &format!("host:connect:{a}"));
        }
        let (ok, out, _) = adb(server, &["-s", &a, "shell", "getprop", "ro.serialno"]);
        if ok && out.trim() == serial {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "device did not come back after reboot"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    disconnect_through_server(server, &[addr]);
}

#[test]
fn a_stranger_key_stays_unauthorized() {
    let Some(server) = server() else { return };
    let f = fleet();
    let config = AdbdConfig {
        policy: AuthPolicy::Keys {
            authorized: vec![],
            accept_new: false,
        },
        ..AdbdConfig::default()
    };
    let served = ServedFleet::serve(&f.lab, 0, &config).expect("serve");
    let (_, addr) = served.addresses().into_iter().next().expect("a unit");
    connect_all(server, &[addr], "unauthorized");
    disconnect_through_server(server, &[addr]);
}

#[test]
fn full_shipped_suites_through_the_adb_server_give_the_in_process_verdicts() {
    let Some(server) = server() else { return };
    let mut inproc = fleet();
    let jobs = all_jobs(&inproc);
    let a = run(
        &mut inproc,
        &jobs,
        crate::common::run_options(),
        &mut NoReporter,
    );
    let expected = summary(&inproc, &a);
    let (wired, b) = match wired_run(server, &jobs) {
        Ok(r) => r,
        Err(died) => {
            // Debian's adb 29 server has crashed (SIGSEGV / fdevent abort) under this churn, rarely since
            // the transport stopped leaning on its reconnect handler. That says nothing about our side:
            // measure again, once, through a fresh server of our own — loudly.
            eprintln!(
                "\n!!!!!!!! {died}; re-running the comparison once through a fresh adb server !!!!!!!!\n"
            );
            let own = OwnServer::start();
            match wired_run(own.addr, &jobs) {
                Ok(r) => r,
                Err(again) => panic!("{again}, and the fresh one died too"),
            }
        }
    };
    let got = summary(&wired, &b);
    assert_same("through the adb server", &got, &expected, &b);
    assert!(b.iter().any(|r| r.status == ScenarioStatus::Passed));
}

/// The shipped suites on a fresh fleet whose phones are served as adbds and driven through `server`;
/// `Err` when the server died during the run.
fn wired_run(
    server: SocketAddrV4,
    jobs: &[mynacert::runner::Job],
) -> Result<(Fleet, Vec<mynacert::runner::result::ScenarioResult>), String> {
    let mut wired = fleet();
    let served = ServedFleet::serve(&wired.lab, 0, &AdbdConfig::default()).expect("serve");
    let addrs: Vec<SocketAddr> = served.addresses().values().copied().collect();
    connect_all(server, &addrs, "device");
    connect_lab(
        &mut wired.lab,
        served.addresses(),
        Route::Server(server),
        Duration::from_secs(20),
    );
    let b = run(
        &mut wired,
        jobs,
        crate::common::run_options(),
        &mut NoReporter,
    );
    if let Err(e) = server_request(server, "host:version") {
        return Err(format!(
            "the adb server at {server} died during the run ({e}; scripts/test prints the end of its log)"
        ));
    }
    disconnect_through_server(server, &addrs);
    Ok((wired, b))
}

/// An adb server of this test's own: `adb -P PORT nodaemon server` with a temporary HOME; killed on drop.
struct OwnServer {
    addr: SocketAddrV4,
    child: std::process::Child,
    _home: tempfile::TempDir,
}

impl OwnServer {
    fn start() -> OwnServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        OwnServer::start_on(port)
    }

    fn start_on(port: u16) -> OwnServer {
        let home = tempfile::tempdir().expect("temp HOME");
        let child = Command::new("adb")
            .args(["-P", &port.to_string(), "nodaemon", "server"])
            .env("HOME", home.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start adb server");
        let addr = SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, port);
        let deadline = Instant::now() + Duration::from_secs(20);
        while server_request(addr, "host:version").is_err() {
            assert!(Instant::now() < deadline, "own adb server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        OwnServer {
            addr,
            child,
            _home: home,
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_restarted_adb_server_costs_no_command_the_unit_is_connected_again() {
    use mynacert::adb::transport::AdbShellTransport;
    use mynacert::transport::ShellTransport;
    if server().is_none() {
        return;
    }
    // A server of this test's own, so that killing it disturbs no other test.
    let first = OwnServer::start();
    let port = first.addr.port();
    let f = fleet();
    let served = ServedFleet::serve(&f.lab, 0, &AdbdConfig::default()).expect("serve");
    let (serial, addr) = served.addresses().into_iter().next().expect("a unit");
    connect_all(first.addr, &[addr], "device");
    let mut t = AdbShellTransport::via_server(first.addr, &addr.to_string()).named(&serial);
    let ok = t.shell("getprop ro.serialno").expect("before the restart");
    assert_eq!(ok.stdout_text().trim(), serial);

    // The server dies and a supervisor starts a fresh one on the same port: it knows no unit.
    drop(first);
    let second = OwnServer::start_on(port);
    let list = server_request(second.addr, "host:devices").expect("devices");
    assert!(!list.contains(&addr.to_string()), "a fresh server: {list}");

    // The next command reaches the unit: the transport connected it again, it did not report it gone.
    let ok = t
        .shell("getprop ro.serialno")
        .expect("the unit after the server restart");
    assert_eq!(ok.stdout_text().trim(), serial);
    t.push(b"after", "/sdcard/after.bin", 0o644).expect("push");
    assert_eq!(t.pull("/sdcard/after.bin").expect("pull"), b"after");
    disconnect_through_server(second.addr, &[addr]);
}

#[test]
fn adb_client_through_the_server_carries_exit_codes_and_files() {
    use mynacert::adb::transport::AdbShellTransport;
    use mynacert::transport::ShellTransport;
    let Some(server) = server() else { return };
    let f = fleet();
    let served = ServedFleet::serve(&f.lab, 0, &AdbdConfig::default()).expect("serve");
    let (serial, addr) = served.addresses().into_iter().next().expect("a unit");
    connect_all(server, &[addr], "device");
    let mut t = AdbShellTransport::via_server(server, &addr.to_string()).named(&serial);
    for _ in 0..3 {
        let ok = t.shell("getprop ro.serialno").expect("getprop");
        assert_eq!(
            (ok.stdout_text().trim(), ok.exit_code),
            (serial.as_str(), Some(0))
        );
    }
    let bad = t.shell("no-such-program").expect("runs");
    assert_eq!(bad.exit_code, Some(127));
    assert!(bad.stderr_text().contains("not found"));
    t.push(b"bytes", "/sdcard/x.bin", 0o644).expect("push");
    assert_eq!(t.pull("/sdcard/x.bin").expect("pull"), b"bytes");
    disconnect_through_server(server, &[addr]);
}

#[test]
fn mynacert_run_drives_the_served_phones_through_the_adb_server() {
    let Some(server) = server() else { return };
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_mynacert"))
        .args(["--root", &root().to_string_lossy(), "run", "--no-progress"])
        .args(["--phones", "adb-server", "--model", "kumo-km51a", "--out"])
        .arg(out_dir.path())
        .env("ADB_SERVER_SOCKET", format!("tcp:{server}"))
        .output()
        .expect("run mynacert");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("ADB through the adb server at {server}")),
        "{stderr}"
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("KM-51A"))
        .expect("a KM-51A row");
    assert!(line.contains("supported") && line.contains("yes"), "{line}");
    let run_dir = crate::common::the_run_dir(out_dir.path());
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("results.json")).expect("results"))
            .expect("results.json");
    assert_eq!(
        results["phones"].as_str(),
        Some(format!("ADB through the adb server at {server}").as_str())
    );
    // The served phones were `adb disconnect`ed after the run.
    let first = stderr
        .split("(first at ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("the first served address on stderr");
    let list = server_request(server, "host:devices").expect("devices");
    assert!(!list.contains(first), "{first} still listed:\n{list}");
}

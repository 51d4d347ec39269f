//! One `getprop`-level driver step against the same served virtual phone: `AdbShellTransport` through
//! Debian's adb server and straight over TCP (persistent connection), adb_client's
//! `ADBServerDevice::shell_command`, `adb -s SERIAL shell …` spawned per command, and adb_client's
//! direct-TCP device (`ADBTcpDevice`, ~44 ms/command). Prints medians and the ratios for the README.
//!
//! Uses the adb server of `ADB_SERVER_SOCKET` when set, else starts `adb -P 15038 nodaemon server` with a
//! temporary HOME and stops it at the end.

use adb_client::ADBDeviceExt;
use criterion::{Criterion, criterion_group};
use mynacert::adb::transport::{AdbEnv, AdbShellTransport, server_request};
use mynacert::lab::profiles::load_profiles;
use mynacert::lab::{LabFile, load_identities};
use mynacert::transport::ShellTransport;
use mynacert_sim::VirtualLab;
use mynacert_sim::adbd::AdbdConfig;
use mynacert_sim::adbd::fleet::ServedFleet;
use std::net::SocketAddrV4;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const STEP: &str = "getprop ro.product.model";

fn lab() -> VirtualLab {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let profiles = load_profiles(&root.join("devices/models")).expect("profiles");
    let lab_file = LabFile::load(&root.join("devices/lab.yaml")).expect("lab file");
    let ids = load_identities(&root.join("fixtures"), &lab_file.identities).expect("identities");
    VirtualLab::build(
        &lab_file.virtual_spec(),
        &profiles,
        ids,
        &root.join("fixtures"),
    )
    .expect("lab")
}

struct Server {
    addr: SocketAddrV4,
    child: Option<Child>,
    home: Option<PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(h) = &self.home {
            let _ = std::fs::remove_dir_all(h);
        }
    }
}

fn server() -> Server {
    if std::env::var("ADB_SERVER_SOCKET").is_ok() {
        let env = AdbEnv::from_process().expect("ADB_SERVER_SOCKET");
        return Server {
            addr: env.server,
            child: None,
            home: None,
        };
    }
    let home = std::env::temp_dir().join(format!("mynacert-bench-adb-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("temp HOME");
    let child = Command::new("adb")
        .args(["-P", "15038", "nodaemon", "server"])
        .env("HOME", &home)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start adb server (apt-get install adb)");
    let addr: SocketAddrV4 = "127.0.0.1:15038".parse().expect("addr");
    let deadline = Instant::now() + Duration::from_secs(10);
    while server_request(addr, "host:version").is_err() {
        assert!(Instant::now() < deadline, "adb server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        addr,
        child: Some(child),
        home: Some(home),
    }
}

fn median_ms(n: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[n / 2]
}

fn cli_step(server: SocketAddrV4, serial: &str) {
    let out = Command::new("adb")
        .args([
            "-H",
            "127.0.0.1",
            "-P",
            &server.port().to_string(),
            "-s",
            serial,
            "shell",
            STEP,
        ])
        .output()
        .expect("adb shell");
    assert!(out.status.success());
}

fn bench(c: &mut Criterion) {
    let lab = lab();
    let fleet = ServedFleet::serve(&lab, 0, &AdbdConfig::default()).expect("serve");
    let (_, addr) = fleet.addresses().into_iter().next().expect("a unit");
    let serial = addr.to_string();
    let srv = server();
    server_request(srv.addr, &format!("host:connect:{addr}")).expect("connect");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server_request(srv.addr, "host:devices")
        .unwrap_or_default()
        .contains(&format!("{serial}\tdevice"))
    {
        assert!(Instant::now() < deadline, "device not online");
        std::thread::sleep(Duration::from_millis(50));
    }

    let mut via_server = AdbShellTransport::via_server(srv.addr, &serial);
    let mut direct = AdbShellTransport::direct(addr, None);
    let mut server_step = || {
        let o = via_server.shell(STEP).expect("server step");
        assert_eq!(o.exit_code, Some(0));
    };
    let mut direct_step = || {
        let o = direct.shell(STEP).expect("direct step");
        assert_eq!(o.exit_code, Some(0));
    };
    let m_server = median_ms(200, &mut server_step);
    let m_direct = median_ms(200, &mut direct_step);
    let m_cli = median_ms(40, || cli_step(srv.addr, &serial));
    let mut dev = adb_client::server_device::ADBServerDevice::new(serial.clone(), Some(srv.addr));
    let m_client = median_ms(200, || {
        let mut out = Vec::new();
        dev.shell_command(&STEP, Some(&mut out), None)
            .expect("ADBServerDevice step");
    });
    let mut tcp = adb_client::tcp::ADBTcpDevice::new(addr).expect("ADBTcpDevice");
    let m_tcp = median_ms(10, || {
        let mut out = Vec::new();
        tcp.shell_command(&STEP, Some(&mut out), None)
            .expect("ADBTcpDevice step");
    });
    println!("\nmedian per `{STEP}` step on loopback (same served virtual phone):");
    println!("  server path, AdbShellTransport:            {m_server:.3} ms");
    println!("  adb_client ADBServerDevice::shell_command: {m_client:.3} ms (exit code lost)");
    println!("  direct TCP, AdbShellTransport (own client): {m_direct:.3} ms");
    println!("  `adb -s SERIAL shell` spawned per command: {m_cli:.3} ms");
    println!("  adb_client ADBTcpDevice (direct TCP):      {m_tcp:.3} ms");
    println!(
        "  ratio CLI / server path: {:.1}x; CLI / direct path: {:.1}x\n",
        m_cli / m_server,
        m_cli / m_direct
    );

    let mut g = c.benchmark_group("adb_step");
    g.bench_function("server_path", |b| b.iter(&mut server_step));
    g.bench_function("direct_tcp_mynacert", |b| b.iter(&mut direct_step));
    g.sample_size(20);
    g.bench_function("cli_spawn_per_command", |b| {
        b.iter(|| cli_step(srv.addr, &serial))
    });
    g.finish();
    let _ = server_request(srv.addr, &format!("host:disconnect:{addr}"));
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}

//! Reaching served phones over real ADB: `adb connect`ing them through a server and forgetting them
//! after, and the phone connector a lab uses to open an [`AdbShellTransport`] per unit.

use super::server_client::server_request;
use super::transport::AdbShellTransport;
use crate::lab::{LabError, PhoneConnector};
use crate::transport::ShellTransport;
use std::collections::BTreeMap;
use std::net::{SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

/// How the lab's drivers reach the served phones.
#[derive(Debug, Clone, Copy)]
pub enum Route {
    /// Through an adb server that has `adb connect`ed every served address.
    Server(SocketAddrV4),
    /// Straight to each adbd over TCP.
    Direct,
}

/// A connector that opens a transport over real ADB to each served address (lab serial → address), and
/// the line that says how (recorded in results).
pub fn phone_connector(
    addresses: BTreeMap<String, SocketAddr>,
    route: Route,
    boot_timeout: Duration,
) -> (PhoneConnector, String) {
    let key = super::transport::default_host_key();
    let path = match route {
        Route::Server(server) => format!("ADB through the adb server at {server}"),
        Route::Direct => "ADB straight over TCP to each adbd".to_string(),
    };
    let connector = Box::new(move |serial: &str| {
        let addr = addresses.get(serial).ok_or_else(|| LabError::Unknown {
            what: "served phone",
            name: serial.to_string(),
        })?;
        let t = match route {
            Route::Server(server) => AdbShellTransport::via_server(server, &addr.to_string()),
            Route::Direct => AdbShellTransport::direct(*addr, key.clone()),
        };
        Ok(Box::new(t.with_boot_timeout(boot_timeout).named(serial)) as Box<dyn ShellTransport>)
    });
    (connector, path)
}

/// Asks the adb server to `host:connect` each address and waits (up to `timeout`) until it lists every
/// one in `state` (`device`, or `unauthorized` for a host key the phone refuses).
pub fn connect_through_server(
    server: SocketAddrV4,
    addrs: &[SocketAddr],
    state: &str,
    timeout: Duration,
) -> Result<(), String> {
    for a in addrs {
        let answer = server_request(server, &format!("host:connect:{a}"))?;
        // adb 29 answers "failed to authenticate" when the phone refuses its first signature and it
        // goes on to offer its public key: the listed state decides.
        if !(answer.contains("connected") || answer.contains("failed to authenticate")) {
            return Err(format!("adb server at {server}: connect {a}: {answer}"));
        }
    }
    let deadline = Instant::now() + timeout;
    loop {
        let list = server_request(server, "host:devices-l").unwrap_or_default();
        let missing: Vec<String> = addrs
            .iter()
            .map(|a| a.to_string())
            .filter(|a| {
                !list.lines().any(|l| {
                    let mut w = l.split_whitespace();
                    w.next() == Some(a.as_str()) && w.next() == Some(state)
                })
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "adb server at {server}: not `{state}` after {} s: {}; it lists:\n{list}",
                timeout.as_secs(),
                missing.join(", ")
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asks the adb server to forget each address (`adb disconnect`); errors are ignored (already gone).
pub fn disconnect_through_server(server: SocketAddrV4, addrs: &[SocketAddr]) {
    for a in addrs {
        let _ = server_request(server, &format!("host:disconnect:{a}"));
    }
}

//! Serving a whole virtual lab's phones as adbds (one loopback port each), and connecting the lab's
//! phone drivers back to them over real ADB.

use super::server::{AdbdConfig, ServedPhone, ShellFactory};
use super::server_client::server_request;
use super::transport::AdbShellTransport;
use crate::lab::virtual_lab::VirtualLab;
use crate::lab::{Lab, LabError};
use crate::transport::{ShellOutput, ShellTransport, TransportError};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The port range the adb server scans for emulators: served phones stay out of it.
pub const ADB_SCAN_PORTS: std::ops::RangeInclusive<u16> = 5555..=5585;

/// One in-process shell shared by every connection to a served phone.
struct SharedShell {
    serial: String,
    inner: Arc<Mutex<Box<dyn ShellTransport>>>,
}

impl SharedShell {
    fn with<R>(
        &mut self,
        f: impl FnOnce(&mut dyn ShellTransport) -> Result<R, TransportError>,
    ) -> Result<R, TransportError> {
        let mut g = self.inner.lock().map_err(|_| TransportError::Io {
            unit: self.serial.clone(),
            detail: "phone shell poisoned".into(),
        })?;
        f(g.as_mut())
    }
}

impl ShellTransport for SharedShell {
    fn serial(&self) -> &str {
        &self.serial
    }
    fn shell(&mut self, command: &str) -> Result<ShellOutput, TransportError> {
        self.with(|s| s.shell(command))
    }
    fn push(&mut self, data: &[u8], remote_path: &str, mode: u32) -> Result<(), TransportError> {
        self.with(|s| s.push(data, remote_path, mode))
    }
    fn pull(&mut self, remote_path: &str) -> Result<Vec<u8>, TransportError> {
        self.with(|s| s.pull(remote_path))
    }
}

/// The virtual fleet served as adbds.
#[derive(Debug, Default)]
pub struct ServedFleet {
    /// Lab serial → served phone.
    pub phones: BTreeMap<String, ServedPhone>,
}

impl ServedFleet {
    /// Serves every unit of `lab` on loopback: ports `base_port`, `base_port + 1`, … (0 = any free port,
    /// chosen by the OS). Ports in 5555–5585 are refused (the adb server scans them).
    pub fn serve(lab: &VirtualLab, base_port: u16, config: &AdbdConfig) -> std::io::Result<Self> {
        let mut phones = BTreeMap::new();
        for (i, unit) in lab.units().iter().enumerate() {
            let port = if base_port == 0 {
                0
            } else {
                base_port.saturating_add(u16::try_from(i).unwrap_or(u16::MAX))
            };
            if ADB_SCAN_PORTS.contains(&port) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("port {port} is in 5555-5585, which the adb server scans"),
                ));
            }
            let shell = Arc::new(Mutex::new(lab.in_process_shell(&unit.serial)));
            let serial = unit.serial.clone();
            let factory: ShellFactory = Arc::new(move || {
                Box::new(SharedShell {
                    serial: serial.clone(),
                    inner: shell.clone(),
                }) as Box<dyn ShellTransport>
            });
            let bind = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
            let served = ServedPhone::serve(&unit.serial, bind, factory, config.clone())?;
            phones.insert(unit.serial.clone(), served);
        }
        Ok(ServedFleet { phones })
    }

    /// Lab serial → `127.0.0.1:PORT`.
    pub fn addresses(&self) -> BTreeMap<String, SocketAddr> {
        self.phones
            .iter()
            .map(|(s, p)| (s.clone(), p.addr()))
            .collect()
    }

    /// Unplugs one phone (its adbd stops listening and drops its connections).
    pub fn unplug(&mut self, serial: &str) -> bool {
        match self.phones.get_mut(serial) {
            Some(p) => {
                p.stop();
                true
            }
            None => false,
        }
    }
}

/// How the lab's drivers reach the served phones.
#[derive(Debug, Clone, Copy)]
pub enum Route {
    /// Through an adb server that has `adb connect`ed every served address.
    Server(SocketAddrV4),
    /// Straight to each adbd over TCP.
    Direct,
}

/// Makes `lab`'s phone drivers go through real ADB to the served addresses.
pub fn connect_lab(
    lab: &mut VirtualLab,
    addresses: BTreeMap<String, SocketAddr>,
    route: Route,
    boot_timeout: Duration,
) {
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
    lab.set_phone_connector(connector, &path);
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

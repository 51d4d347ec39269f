//! Serving a whole virtual lab's phones as adbds (one loopback port each). The harness connects its
//! drivers back to them (`mynacert::adb::link`).

use super::server::{AdbdConfig, ServedPhone, ShellFactory};
use crate::lab::Lab;
use crate::transport::{ShellOutput, ShellTransport, TransportError};
use crate::virtual_lab::VirtualLab;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

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

    /// Hangs one phone (`true`) or thaws it: see [`ServedPhone::freeze`]. False when it is not served.
    pub fn freeze(&self, serial: &str, frozen: bool) -> bool {
        match self.phones.get(serial) {
            Some(p) => {
                p.freeze(frozen);
                true
            }
            None => false,
        }
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

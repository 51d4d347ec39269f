//! [`AdbShellTransport`]: the phone driver's [`ShellTransport`] over real ADB, either through an adb
//! server (adb_client's `ADBServerDevice`, local or remote) or straight to a device's adbd over TCP (our
//! [`DirectConnection`]). Connections are persistent per device; a reboot or factory reset is followed by
//! waiting for the device to come back, within a timeout.

use super::host::DirectConnection;
use super::reconnect;
pub use super::server_client::{server_request, server_shell, server_shell_delivery};
use crate::transport::{ShellOutput, ShellTransport, TransportError};
use adb_client::RustADBError;
use adb_client::server_device::ADBServerDevice;
use mynacert_wire::adb::drops_connection;
use rsa::RsaPrivateKey;
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, ToSocketAddrs};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Serials (ADB serial) told to reboot or reset and not seen back yet: a new transport to one of them
/// waits for it first, like the one that sent the command.
static REBOOTING: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn mark_rebooting(serial: &str, on: bool) {
    if let Ok(mut set) = REBOOTING.lock() {
        if on {
            set.insert(serial.to_string());
        } else {
            set.remove(serial);
        }
    }
}

fn is_rebooting(serial: &str) -> bool {
    REBOOTING
        .lock()
        .map(|s| s.contains(serial))
        .unwrap_or(false)
}

/// How long a unit may take to go down after a reboot, reset or power-off reached it.
const DOWN_WAIT: Duration = Duration::from_secs(5);

/// The default adb server port.
pub const DEFAULT_SERVER_PORT: u16 = 5037;

/// Where the adb server is and which device is the default, from the environment as `adb` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdbEnv {
    /// The server's address (`ADB_SERVER_SOCKET=tcp:HOST:PORT`, else `ANDROID_ADB_SERVER_ADDRESS` and
    /// `ANDROID_ADB_SERVER_PORT`, else 127.0.0.1:5037).
    pub server: SocketAddrV4,
    /// `ANDROID_SERIAL`.
    pub serial: Option<String>,
}

fn resolve_v4(host: &str, port: u16) -> Result<SocketAddrV4, String> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{host}`: {e}"))?
        .find_map(|a| match a {
            SocketAddr::V4(v4) => Some(v4),
            SocketAddr::V6(_) => None,
        })
        .ok_or_else(|| format!("`{host}` has no IPv4 address"))
}

impl AdbEnv {
    /// Reads the variables through `get` (the process environment in production).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<AdbEnv, String> {
        let serial = get("ANDROID_SERIAL").filter(|s| !s.is_empty());
        if let Some(sock) = get("ADB_SERVER_SOCKET").filter(|s| !s.is_empty()) {
            let rest = sock.strip_prefix("tcp:").ok_or_else(|| {
                format!("ADB_SERVER_SOCKET=`{sock}`: only tcp:HOST:PORT or tcp:PORT is supported")
            })?;
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p),
                None => ("127.0.0.1".to_string(), rest),
            };
            let port: u16 = port
                .parse()
                .map_err(|_| format!("ADB_SERVER_SOCKET=`{sock}`: bad port"))?;
            return Ok(AdbEnv {
                server: resolve_v4(&host, port)?,
                serial,
            });
        }
        let port = match get("ANDROID_ADB_SERVER_PORT").filter(|s| !s.is_empty()) {
            Some(p) => p
                .parse()
                .map_err(|_| format!("ANDROID_ADB_SERVER_PORT=`{p}` is not a port"))?,
            None => DEFAULT_SERVER_PORT,
        };
        let host = get("ANDROID_ADB_SERVER_ADDRESS")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "127.0.0.1".into());
        Ok(AdbEnv {
            server: resolve_v4(&host, port)?,
            serial,
        })
    }

    /// From the process environment.
    pub fn from_process() -> Result<AdbEnv, String> {
        AdbEnv::from_vars(|k| std::env::var(k).ok())
    }
}

/// Reads an adb host key (`~/.android/adbkey`, PKCS#8 or PKCS#1 PEM).
pub fn load_host_key(path: &Path) -> Result<RsaPrivateKey, String> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    RsaPrivateKey::from_pkcs8_pem(&pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(&pem))
        .map_err(|e| format!("{}: not an RSA private key: {e}", path.display()))
}

/// `~/.android/adbkey` when it exists and parses.
pub fn default_host_key() -> Option<RsaPrivateKey> {
    let home = std::env::var_os("HOME")?;
    load_host_key(&Path::new(&home).join(".android").join("adbkey")).ok()
}

enum Path_ {
    Server {
        device: ADBServerDevice,
        server: SocketAddrV4,
    },
    Direct {
        addr: SocketAddr,
        key: Option<Box<RsaPrivateKey>>,
        conn: Option<Box<DirectConnection>>,
    },
}

/// A phone reached over ADB.
pub struct AdbShellTransport {
    adb_serial: String,
    name: String,
    path: Path_,
    /// How long to wait for a device to come back after a reboot or factory reset.
    pub boot_timeout: Duration,
    /// How long one connection attempt may take.
    pub connect_timeout: Duration,
    rebooting: bool,
}

impl std::fmt::Debug for AdbShellTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match &self.path {
            Path_::Server { server, .. } => format!("server {server}"),
            Path_::Direct { addr, .. } => format!("direct {addr}"),
        };
        write!(f, "AdbShellTransport({} via {how})", self.adb_serial)
    }
}

/// Puts the unit's name into an error that came from a lower layer.
fn renamed(e: TransportError, name: &str) -> TransportError {
    let n = name.to_string();
    match e {
        TransportError::Disconnected { detail, .. } => {
            TransportError::Disconnected { unit: n, detail }
        }
        TransportError::Timeout { millis, what, .. } => TransportError::Timeout {
            unit: n,
            millis,
            what,
        },
        TransportError::Protocol { detail, .. } => TransportError::Protocol { unit: n, detail },
        TransportError::Io { detail, .. } => TransportError::Io { unit: n, detail },
        TransportError::Unsupported { what, .. } => TransportError::Unsupported { unit: n, what },
    }
}

fn map_adb(unit: &str, e: RustADBError) -> TransportError {
    let text = e.to_string();
    match e {
        RustADBError::DeviceNotFound(_) => TransportError::Disconnected {
            unit: unit.into(),
            detail: text,
        },
        RustADBError::ADBRequestFailed(m)
            if m.contains("not found") || m.contains("offline") || m.contains("unauthorized") =>
        {
            TransportError::Disconnected {
                unit: unit.into(),
                detail: m,
            }
        }
        RustADBError::IOError(io) => TransportError::Io {
            unit: unit.into(),
            detail: format!("adb server: {io}"),
        },
        _ => TransportError::Protocol {
            unit: unit.into(),
            detail: text,
        },
    }
}

impl AdbShellTransport {
    /// Through an adb server (adb_client), to the device with this serial.
    pub fn via_server(server: SocketAddrV4, serial: &str) -> Self {
        AdbShellTransport {
            adb_serial: serial.to_string(),
            name: serial.to_string(),
            path: Path_::Server {
                device: ADBServerDevice::new(serial.to_string(), Some(server)),
                server,
            },
            boot_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            rebooting: is_rebooting(serial),
        }
    }

    /// Straight to a device's adbd over TCP (no server), authenticating with `key` when asked.
    pub fn direct(addr: SocketAddr, key: Option<RsaPrivateKey>) -> Self {
        AdbShellTransport {
            adb_serial: addr.to_string(),
            name: addr.to_string(),
            path: Path_::Direct {
                addr,
                key: key.map(Box::new),
                conn: None,
            },
            boot_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            rebooting: is_rebooting(&addr.to_string()),
        }
    }

    /// Names the unit in errors and `serial()` (e.g. the lab's serial when the ADB serial is
    /// `host:port`).
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// Sets the wait for a device to return after reboot or reset.
    pub fn with_boot_timeout(mut self, t: Duration) -> Self {
        self.boot_timeout = t;
        self
    }

    /// Waits (up to the boot timeout) until the device answers again; a no-op when it does already.
    pub fn wait_for_device(&mut self) -> Result<(), TransportError> {
        let deadline = Instant::now() + self.boot_timeout;
        self.wait_until(deadline, true)
    }

    /// Waits until the unit is back and booted. Through a server, a network unit is brought back on it
    /// first ([`reconnect::bring_back`]: one `host:connect` once its port accepts). `expected`: a return
    /// is expected (reboot, reset, power); otherwise a unit whose port is closed is gone at once.
    fn wait_until(&mut self, deadline: Instant, expected: bool) -> Result<(), TransportError> {
        loop {
            if let (Path_::Server { server, .. }, Some(addr)) =
                (&self.path, tcp_serial(&self.adb_serial))
            {
                reconnect::bring_back(*server, addr, &self.name, expected, deadline)?;
            }
            match self.once(|t| t.probe()) {
                Ok(()) => {
                    self.rebooting = false;
                    mark_rebooting(&self.adb_serial, false);
                    return Ok(());
                }
                Err(e) if Instant::now() >= deadline => {
                    return Err(TransportError::Timeout {
                        unit: self.name.clone(),
                        millis: self.boot_timeout.as_millis() as u64,
                        what: format!("device to come back ({e})"),
                    });
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// After a command that never reached the unit through the server (the server does not list it,
    /// lists it offline, or does not answer — a restarted server has forgotten every unit it had
    /// connected): brings the unit back if it is there, within the connect timeout. `Err` when it is
    /// not: the caller reports the original error.
    fn recover(&mut self) -> Result<(), TransportError> {
        let Path_::Server { .. } = &self.path else {
            return Err(TransportError::Unsupported {
                unit: self.name.clone(),
                what: "recovery on a direct connection".into(),
            });
        };
        let deadline = Instant::now() + self.connect_timeout.min(self.boot_timeout);
        self.wait_until(deadline, false)
    }

    fn probe(&mut self) -> Result<(), TransportError> {
        let out = self.raw_shell("getprop sys.boot_completed")?;
        if boot_completed(&out) {
            Ok(())
        } else {
            Err(TransportError::Disconnected {
                unit: self.name.clone(),
                detail: format!(
                    "still booting (sys.boot_completed is {:?})",
                    out.stdout_text().trim()
                ),
            })
        }
    }

    /// Runs `f`; a direct connection that broke is dropped (the next call connects again).
    fn once<R>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<R, TransportError>,
    ) -> Result<R, TransportError> {
        let r = f(self);
        if let (Err(TransportError::Disconnected { .. }), Path_::Direct { conn, .. }) =
            (&r, &mut self.path)
        {
            *conn = None;
        }
        r
    }

    /// Runs `f` through the server; when it failed before reaching the unit and the unit can be brought
    /// back ([`Self::recover`]), runs it once more. Only for operations that did not reach the unit, or
    /// that are safe to repeat (a push writes the same file, a pull reads).
    fn through_server<R>(
        &mut self,
        mut f: impl FnMut(&mut Self) -> Result<R, Undelivered>,
    ) -> Result<R, TransportError> {
        match f(self) {
            Ok(r) => Ok(r),
            Err(Undelivered::Yes(e)) if recoverable(&e) => match self.recover() {
                Ok(()) => f(self).map_err(Undelivered::error),
                Err(_) => Err(e),
            },
            Err(u) => Err(u.error()),
        }
    }

    fn direct_conn(&mut self) -> Result<&mut DirectConnection, TransportError> {
        let timeout = self.connect_timeout;
        let Path_::Direct { addr, key, conn } = &mut self.path else {
            return Err(TransportError::Unsupported {
                unit: self.name.clone(),
                what: "direct connection on a server transport".into(),
            });
        };
        if conn.is_none() {
            *conn = Some(Box::new(DirectConnection::connect(
                *addr,
                key.as_deref(),
                timeout,
            )?));
        }
        conn.as_deref_mut().ok_or_else(|| TransportError::Io {
            unit: addr.to_string(),
            detail: "no connection".into(),
        })
    }

    fn raw_shell(&mut self, command: &str) -> Result<ShellOutput, TransportError> {
        if let Path_::Server { server, .. } = &self.path {
            // Not adb_client's `shell_command`: 3.2 drops the shell-v2 exit code when the stream ends
            // after the exit packet (it always does) and asks for the features on a second connection.
            return server_shell(*server, &self.adb_serial, command, self.connect_timeout);
        }
        self.direct_conn()?.shell(command)
    }

    /// One shell command through the server, telling whether it reached the unit.
    fn server_shell_once(&mut self, command: &str) -> Result<ShellOutput, Undelivered> {
        let Path_::Server { server, .. } = &self.path else {
            return self.raw_shell(command).map_err(Undelivered::No);
        };
        server_shell_delivery(*server, &self.adb_serial, command, self.connect_timeout).map_err(
            |f| {
                if f.delivered {
                    Undelivered::No(f.error)
                } else {
                    Undelivered::Yes(f.error)
                }
            },
        )
    }

    fn before(&mut self) -> Result<(), TransportError> {
        if self.rebooting {
            let name = self.name.clone();
            self.wait_for_device().map_err(|e| renamed(e, &name))?;
        }
        Ok(())
    }
}

impl ShellTransport for AdbShellTransport {
    fn serial(&self) -> &str {
        &self.name
    }

    fn shell(&mut self, command: &str) -> Result<ShellOutput, TransportError> {
        self.before()?;
        let name = self.name.clone();
        if !drops_connection(command) {
            return match &self.path {
                Path_::Server { .. } => self.through_server(|t| t.server_shell_once(command)),
                Path_::Direct { .. } => self.once(|t| t.raw_shell(command)),
            }
            .map_err(|e| renamed(e, &name));
        }
        // A command after which the device goes down (reboot, factory reset, power off).
        let server = match &self.path {
            Path_::Server { server, .. } => *server,
            Path_::Direct { .. } => {
                // No connection: the command never reached the device.
                let c = self.direct_conn().map_err(|e| renamed(e, &name))?;
                let r = c.shell(command);
                // The device may drop the connection before it answers: that is the command working.
                if let Path_::Direct { conn, .. } = &mut self.path {
                    *conn = None;
                }
                self.rebooting = true;
                mark_rebooting(&self.adb_serial, true);
                return match r {
                    Err(TransportError::Disconnected { .. }) => Ok(ShellOutput {
                        exit_code: None,
                        ..ShellOutput::default()
                    }),
                    other => other.map_err(|e| renamed(e, &name)),
                };
            }
        };
        let out =
            match server_shell_delivery(server, &self.adb_serial, command, self.connect_timeout) {
                Ok(out) => out,
                // Lost after the device took the command: it went down, as asked.
                Err(f) if f.delivered => ShellOutput {
                    exit_code: None,
                    ..ShellOutput::default()
                },
                // Never reached the device (gone, offline): an infrastructure error, nothing to wait for.
                Err(f) => return Err(renamed(f.error, &name)),
            };
        self.rebooting = true;
        mark_rebooting(&self.adb_serial, true);
        // A TCP device: the server would keep it `offline` and retry on its own ~10 s schedule (Debian's
        // adb 29 server has aborted in that reconnect churn). Forget it now, while its connection is still
        // up; the wait before the next command connects it again once it accepts.
        if let Some(a) = tcp_serial(&self.adb_serial) {
            let _ = server_request(server, &format!("host:disconnect:{a}"));
        }
        // A real phone's adbd answers a moment before it goes down: not back before it went.
        reconnect::wait_down(server, &self.adb_serial, DOWN_WAIT);
        Ok(out)
    }

    fn push(&mut self, data: &[u8], remote_path: &str, mode: u32) -> Result<(), TransportError> {
        self.before()?;
        let serial = self.name.clone();
        match &self.path {
            // Repeating a push writes the same file: safe after any lost connection.
            Path_::Server { .. } => self.through_server(|t| {
                let Path_::Server { device, .. } = &mut t.path else {
                    return Err(Undelivered::No(not_server(&serial)));
                };
                let mut reader = data;
                device
                    .push(&mut reader, remote_path)
                    .map_err(|e| Undelivered::Yes(map_adb(&serial, e)))
            }),
            Path_::Direct { .. } => self.once(|t| t.direct_conn()?.push(data, remote_path, mode)),
        }
        .map_err(|e| renamed(e, &serial))
    }

    fn pull(&mut self, remote_path: &str) -> Result<Vec<u8>, TransportError> {
        self.before()?;
        let serial = self.name.clone();
        match &self.path {
            // A pull only reads: safe to repeat.
            Path_::Server { .. } => self.through_server(|t| {
                let Path_::Server { device, .. } = &mut t.path else {
                    return Err(Undelivered::No(not_server(&serial)));
                };
                let mut out = Vec::new();
                device
                    .pull(&remote_path, &mut out)
                    .map_err(|e| Undelivered::Yes(map_adb(&serial, e)))?;
                Ok(out)
            }),
            Path_::Direct { .. } => self.once(|t| t.direct_conn()?.pull(remote_path)),
        }
        .map_err(|e| renamed(e, &serial))
    }
}

/// A failed operation through the server, and whether it may be repeated after the unit is back.
enum Undelivered {
    /// It never reached the unit (or repeating it is harmless).
    Yes(TransportError),
    /// It may have reached the unit: never repeated.
    No(TransportError),
}

impl Undelivered {
    fn error(self) -> TransportError {
        match self {
            Undelivered::Yes(e) | Undelivered::No(e) => e,
        }
    }
}

/// The failures a unit coming back (or a restarted server) explains: the server does not list the unit,
/// lists it offline, or does not answer.
fn recoverable(e: &TransportError) -> bool {
    matches!(
        e,
        TransportError::Disconnected { .. } | TransportError::Io { .. }
    )
}

fn not_server(unit: &str) -> TransportError {
    TransportError::Unsupported {
        unit: unit.to_string(),
        what: "a server operation on a direct connection".into(),
    }
}

/// The device's address when its ADB serial is a TCP `HOST:PORT` (a network device the server
/// connected with `host:connect`), not a USB serial.
fn tcp_serial(serial: &str) -> Option<SocketAddrV4> {
    match serial.parse::<SocketAddr>() {
        Ok(SocketAddr::V4(a)) => Some(a),
        _ => None,
    }
}

/// True when `getprop sys.boot_completed` answered exactly `1` (and did not fail): an empty value, a
/// `0` or an error text means the device is not up yet.
pub fn boot_completed(out: &ShellOutput) -> bool {
    out.exit_code.unwrap_or(0) == 0 && out.stderr.is_empty() && out.stdout_text().trim() == "1"
}

/// The loopback address for a served port.
pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
}

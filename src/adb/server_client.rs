//! Talking to an adb server directly: one host request (`host:connect:…`, `host:devices-l`) and one
//! shell-v2 command through `host:transport:SERIAL` (our own reader: adb_client 3.2's `shell_command`
//! loses the exit code).

use super::shell_v2;
use crate::transport::{ShellOutput, TransportError};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, SocketAddrV4, TcpStream};
use std::time::Duration;

/// Sends one host request (`host:connect:…`, `host:devices-l`) to an adb server; returns its answer.
pub fn server_request(server: SocketAddrV4, request: &str) -> Result<String, String> {
    let mut s = TcpStream::connect_timeout(&SocketAddr::V4(server), Duration::from_secs(2))
        .map_err(|e| format!("adb server at {server}: {e}"))?;
    let _ = s.set_nodelay(true);
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    s.write_all(format!("{:04x}{request}", request.len()).as_bytes())
        .map_err(|e| format!("adb server at {server}: {e}"))?;
    let mut status = [0u8; 4];
    s.read_exact(&mut status)
        .map_err(|e| format!("adb server at {server}: {e}"))?;
    let mut len = [0u8; 4];
    let body = match s.read_exact(&mut len) {
        Ok(()) => {
            let n = usize::from_str_radix(&String::from_utf8_lossy(&len), 16)
                .map_err(|_| format!("adb server at {server}: bad length"))?;
            let mut b = vec![0u8; n];
            s.read_exact(&mut b)
                .map_err(|e| format!("adb server at {server}: {e}"))?;
            String::from_utf8_lossy(&b).into_owned()
        }
        Err(_) => String::new(),
    };
    if &status == b"OKAY" {
        Ok(body)
    } else {
        Err(body)
    }
}

fn server_io(serial: &str, what: &str, e: std::io::Error) -> TransportError {
    TransportError::Io {
        unit: serial.to_string(),
        detail: format!("adb server: {what}: {e}"),
    }
}

/// Reads `OKAY`, or `FAIL` + hex length + message (a missing, offline or unauthorized device is
/// `Disconnected`).
fn server_status(s: &mut TcpStream, serial: &str, what: &str) -> Result<(), TransportError> {
    let mut status = [0u8; 4];
    s.read_exact(&mut status)
        .map_err(|e| server_io(serial, what, e))?;
    if &status == b"OKAY" {
        return Ok(());
    }
    let mut len = [0u8; 4];
    let mut msg = String::new();
    if s.read_exact(&mut len).is_ok()
        && let Ok(n) = usize::from_str_radix(&String::from_utf8_lossy(&len), 16)
    {
        let mut b = vec![0u8; n.min(64 * 1024)];
        if s.read_exact(&mut b).is_ok() {
            msg = String::from_utf8_lossy(&b).into_owned();
        }
    }
    if msg.contains("not found") || msg.contains("offline") || msg.contains("unauthorized") {
        Err(TransportError::Disconnected {
            unit: serial.to_string(),
            detail: msg,
        })
    } else {
        Err(TransportError::Protocol {
            unit: serial.to_string(),
            detail: format!("adb server refused {what}: {msg}"),
        })
    }
}

/// A shell command through the server that did not complete.
#[derive(Debug)]
pub struct ShellFailure {
    /// The device accepted the shell service (the command reached it) before the failure.
    pub delivered: bool,
    pub error: TransportError,
}

/// One shell-v2 command through an adb server: `host:transport:SERIAL`, then `shell,v2,raw:CMD` on the
/// same connection, packets decoded until the server closes it.
pub fn server_shell(
    server: SocketAddrV4,
    serial: &str,
    command: &str,
    timeout: Duration,
) -> Result<ShellOutput, TransportError> {
    server_shell_delivery(server, serial, command, timeout).map_err(|f| f.error)
}

/// [`server_shell`], telling a command that never reached the device (no such device, offline, the
/// server refused the service) from one that did and then lost its connection (a reboot, a cable).
pub fn server_shell_delivery(
    server: SocketAddrV4,
    serial: &str,
    command: &str,
    timeout: Duration,
) -> Result<ShellOutput, ShellFailure> {
    let before = |error| ShellFailure {
        delivered: false,
        error,
    };
    let mut s = TcpStream::connect_timeout(&SocketAddr::V4(server), timeout)
        .map_err(|e| before(server_io(serial, "connect", e)))?;
    let _ = s.set_nodelay(true);
    // A step's or scenario's deadline shortens the wait: a hung unit ends the step.
    let (wait, capped) = mynacert_wire::deadline::cap(timeout.max(Duration::from_secs(30)));
    let _ = s.set_read_timeout(Some(wait));
    let transport = format!("host:transport:{serial}");
    s.write_all(format!("{:04x}{transport}", transport.len()).as_bytes())
        .map_err(|e| before(server_io(serial, "write", e)))?;
    server_status(&mut s, serial, "transport").map_err(before)?;
    let service = format!("shell,v2,raw:{command}");
    s.write_all(format!("{:04x}{service}", service.len()).as_bytes())
        .map_err(|e| before(server_io(serial, "write", e)))?;
    server_status(&mut s, serial, "shell").map_err(before)?;
    let mut collector = shell_v2::OutputCollector::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if capped && matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(ShellFailure {
                    delivered: true,
                    error: TransportError::Timeout {
                        unit: serial.to_string(),
                        millis: wait.as_millis() as u64,
                        // Never the command: it may type a PIN.
                        what: "a shell command before the step's timeout".into(),
                    },
                });
            }
            Err(e) => {
                return Err(ShellFailure {
                    delivered: true,
                    error: server_io(serial, "read", e),
                });
            }
        };
        if collector.feed(&buf[..n]) {
            break;
        }
    }
    Ok(collector.finish())
}

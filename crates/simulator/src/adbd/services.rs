//! The virtual adbd's services, over a phone's in-process [`ShellTransport`]: shell (v2 and v1), exec,
//! sync (STAT/STA2/LST2, SEND/DATA/DONE, RECV, LIST, QUIT), streamed install (`exec:cmd package
//! 'install' -S N`, as Debian's adb 29 sends it) and reboot. Sans-IO: they run commands, they never touch
//! sockets.

use crate::shell::shlex;
use crate::transport::{ShellOutput, ShellTransport, TransportError};
use mynacert_wire::adb::device::{Service, ServiceHost, ServiceOutput};
use mynacert_wire::adb::shell_v2;
use mynacert_wire::adb::sync::{self, FileStat, Request, RequestParser};
use std::sync::{Arc, Mutex};

/// Features the virtual adbd announces in its banner.
pub const FEATURES: &str = "shell_v2,cmd,stat_v2,fixed_push_mkdir,fixed_push_symlink_timestamp";
/// Where a streamed install stages the APK before `pm install`.
pub const INSTALL_STAGING: &str = "/data/local/tmp/adb-install.apk";

/// A phone's shell shared by the services of one connection.
pub type SharedShell = Arc<Mutex<Box<dyn ShellTransport>>>;

/// Builds the `device::…` banner from the phone's properties.
pub fn banner(shell: &mut dyn ShellTransport) -> Result<String, TransportError> {
    let mut parts = Vec::new();
    for key in ["ro.product.name", "ro.product.model", "ro.product.device"] {
        let out = shell.shell(&format!("getprop {key}"))?;
        let clean: String = out
            .stdout_text()
            .trim()
            .chars()
            .filter(|c| !":;=".contains(*c))
            .collect();
        parts.push(format!("{key}={clean}"));
    }
    Ok(format!("device::{};features={FEATURES}", parts.join(";")))
}

pub use mynacert_wire::adb::drops_connection;

/// The services of one connection to one virtual phone.
pub struct PhoneServices {
    shell: SharedShell,
}

impl PhoneServices {
    /// Services over a phone's shell.
    pub fn new(shell: SharedShell) -> Self {
        PhoneServices { shell }
    }
}

fn run(shell: &SharedShell, command: &str) -> Result<ShellOutput, TransportError> {
    let mut guard = shell.lock().map_err(|_| TransportError::Io {
        unit: String::new(),
        detail: "phone shell poisoned".into(),
    })?;
    guard.shell(command)
}

fn with_shell<R>(
    shell: &SharedShell,
    f: impl FnOnce(&mut dyn ShellTransport) -> Result<R, TransportError>,
) -> Result<R, TransportError> {
    let mut guard = shell.lock().map_err(|_| TransportError::Io {
        unit: String::new(),
        detail: "phone shell poisoned".into(),
    })?;
    f(guard.as_mut())
}

/// How a command's answer is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Shell v2 packets with the exit code.
    V2,
    /// Raw stdout and stderr (shell v1).
    V1,
    /// Raw stdout only (`exec:`).
    Exec,
}

/// Runs one command on open and answers it.
struct CommandService {
    shell: SharedShell,
    command: String,
    framing: Framing,
}

impl Service for CommandService {
    fn on_open(&mut self) -> ServiceOutput {
        let dropping = drops_connection(&self.command);
        let (stdout, stderr, exit) = match run(&self.shell, &self.command) {
            Ok(o) => (o.stdout, o.stderr, o.exit_code.unwrap_or(0)),
            Err(TransportError::Disconnected { .. }) if dropping => (vec![], vec![], 0),
            Err(e) => (vec![], format!("{e}\n").into_bytes(), 255),
        };
        let data = match self.framing {
            Framing::V2 => shell_v2::encode_output(&stdout, &stderr, exit),
            Framing::V1 => [stdout, stderr].concat(),
            Framing::Exec => stdout,
        };
        ServiceOutput {
            data,
            close: true,
            drop_connection: dropping,
        }
    }
    fn on_data(&mut self, _data: &[u8]) -> ServiceOutput {
        // stdin, close-stdin and window-size packets: the command already ran.
        ServiceOutput::default()
    }
}

/// `exec:cmd package 'install' [opts] -S SIZE`: collects SIZE bytes, then installs them.
struct InstallService {
    shell: SharedShell,
    size: usize,
    data: Vec<u8>,
    replace: bool,
}

impl InstallService {
    fn finish(&mut self) -> ServiceOutput {
        let apk = std::mem::take(&mut self.data);
        let flag = if self.replace { " -r" } else { "" };
        let result = with_shell(&self.shell, |sh| {
            sh.push(&apk, INSTALL_STAGING, 0o644)?;
            let out = sh.shell(&format!("pm install{flag} {INSTALL_STAGING}"))?;
            let _ = sh.shell(&format!("rm -f {INSTALL_STAGING}"));
            Ok(out)
        });
        let text = match result {
            Ok(o) => [o.stdout, o.stderr].concat(),
            Err(e) => format!("Failure [{e}]\n").into_bytes(),
        };
        ServiceOutput {
            data: text,
            close: true,
            drop_connection: false,
        }
    }
}

impl Service for InstallService {
    fn on_open(&mut self) -> ServiceOutput {
        if self.size == 0 {
            return self.finish();
        }
        ServiceOutput::default()
    }
    fn on_data(&mut self, data: &[u8]) -> ServiceOutput {
        if self.data.len() >= self.size {
            return ServiceOutput::default();
        }
        self.data.extend_from_slice(data);
        if self.data.len() >= self.size {
            self.data.truncate(self.size);
            return self.finish();
        }
        ServiceOutput::default()
    }
}

/// Parses `cmd package install … -S N` (quoted words allowed); returns (size, replace).
fn install_request(command: &str) -> Option<(usize, bool)> {
    let segs = shlex::split_commands(command).ok()?;
    let argv = &segs.first()?.argv;
    if argv.len() < 3 || argv[0] != "cmd" || argv[1] != "package" || argv[2] != "install" {
        return None;
    }
    let i = argv.iter().position(|a| a == "-S")?;
    let size = argv.get(i + 1)?.parse().ok()?;
    Some((size, argv.iter().any(|a| a == "-r")))
}

/// `sync:`.
struct SyncService {
    shell: SharedShell,
    parser: RequestParser,
    sending: Option<(String, Vec<u8>)>,
}

/// Paths the virtual phones treat as directories for STAT.
fn is_known_dir(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    p.is_empty()
        || matches!(
            p,
            "/sdcard" | "/data" | "/data/local" | "/data/local/tmp" | "/storage" | "/tmp"
        )
        || path.ends_with('/')
}

impl SyncService {
    fn stat(&self, path: &str) -> FileStat {
        if is_known_dir(path) {
            return FileStat {
                errno: 0,
                mode: sync::S_IFDIR | 0o771,
                size: 4096,
                mtime: 0,
            };
        }
        match with_shell(&self.shell, |sh| sh.pull(path)) {
            Ok(bytes) => FileStat {
                errno: 0,
                mode: sync::S_IFREG | 0o644,
                size: bytes.len() as u64,
                mtime: 0,
            },
            Err(_) => FileStat {
                errno: sync::ENOENT,
                ..FileStat::default()
            },
        }
    }

    fn handle(&mut self, req: Request, out: &mut Vec<u8>) -> bool {
        match req {
            Request::Stat(path) => sync::stat_v1_into(&self.stat(&path), out),
            Request::Stat2 { path, lstat } => {
                let id = if lstat { b"LST2" } else { b"STA2" };
                sync::stat_v2_into(id, &self.stat(&path), out);
            }
            Request::List(_) => sync::word_into(b"DONE", 0, out),
            Request::Send { path, .. } => self.sending = Some((path, Vec::new())),
            Request::Data(bytes) => match self.sending.as_mut() {
                Some((_, buf)) => buf.extend_from_slice(&bytes),
                None => sync::frame_into(b"FAIL", b"DATA without SEND", out),
            },
            Request::Done(_) => match self.sending.take() {
                Some((path, data)) => {
                    match with_shell(&self.shell, |sh| sh.push(&data, &path, 0o644)) {
                        Ok(()) => sync::word_into(b"OKAY", 0, out),
                        Err(e) => sync::frame_into(b"FAIL", e.to_string().as_bytes(), out),
                    }
                }
                None => sync::frame_into(b"FAIL", b"DONE without SEND", out),
            },
            Request::Recv(path) => match with_shell(&self.shell, |sh| sh.pull(&path)) {
                Ok(bytes) => {
                    for chunk in bytes.chunks(sync::MAX_CHUNK) {
                        sync::frame_into(b"DATA", chunk, out);
                    }
                    sync::word_into(b"DONE", 0, out);
                }
                Err(_) => sync::frame_into(
                    b"FAIL",
                    format!("remote object '{path}' does not exist").as_bytes(),
                    out,
                ),
            },
            Request::Quit => return true,
            Request::Unknown(id) => {
                let msg = format!("unknown sync request {}", String::from_utf8_lossy(&id));
                sync::frame_into(b"FAIL", msg.as_bytes(), out);
                return true;
            }
        }
        false
    }
}

impl Service for SyncService {
    fn on_open(&mut self) -> ServiceOutput {
        ServiceOutput::default()
    }
    fn on_data(&mut self, data: &[u8]) -> ServiceOutput {
        self.parser.feed(data);
        let mut out = ServiceOutput::default();
        loop {
            match self.parser.next_request() {
                Ok(Some(req)) => {
                    if self.handle(req, &mut out.data) {
                        out.close = true;
                        return out;
                    }
                }
                Ok(None) => return out,
                Err(e) => {
                    sync::frame_into(b"FAIL", e.as_bytes(), &mut out.data);
                    out.close = true;
                    return out;
                }
            }
        }
    }
}

impl ServiceHost for PhoneServices {
    fn open(&mut self, service: &str) -> Option<Box<dyn Service>> {
        let shell = self.shell.clone();
        let command = |framing, command: &str| -> Option<Box<dyn Service>> {
            if command.trim().is_empty() {
                return None; // interactive shells are not offered
            }
            Some(Box::new(CommandService {
                shell: shell.clone(),
                command: command.to_string(),
                framing,
            }))
        };
        if let Some(rest) = service.strip_prefix("shell,") {
            // shell,v2,TERM=xterm,raw:CMD / shell,v2,pty:CMD
            let (opts, cmd) = rest.split_once(':')?;
            let framing = if opts.split(',').any(|o| o == "v2") {
                Framing::V2
            } else {
                Framing::V1
            };
            return command(framing, cmd);
        }
        if let Some(cmd) = service.strip_prefix("shell:") {
            return command(Framing::V1, cmd);
        }
        if let Some(cmd) = service.strip_prefix("exec:") {
            if let Some((size, replace)) = install_request(cmd) {
                return Some(Box::new(InstallService {
                    shell,
                    size,
                    data: Vec::new(),
                    replace,
                }));
            }
            return command(Framing::Exec, cmd);
        }
        if service == "sync:" {
            return Some(Box::new(SyncService {
                shell,
                parser: RequestParser::default(),
                sending: None,
            }));
        }
        if let Some(kind) = service.strip_prefix("reboot:") {
            let cmd = if kind.is_empty() {
                "reboot".to_string()
            } else {
                format!("reboot {}", crate::shell::quote::quote(kind))
            };
            return Some(Box::new(CommandService {
                shell,
                command: cmd,
                framing: Framing::Exec,
            }));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_install_requests_are_recognised_as_adb_29_sends_them() {
        assert_eq!(
            install_request("cmd package 'install' -S 1234"),
            Some((1234, false))
        );
        assert_eq!(
            install_request("cmd package 'install' '-r' -S 7"),
            Some((7, true))
        );
        assert_eq!(install_request("cmd package 'install' -S x"), None);
        assert_eq!(install_request("cmd package list packages"), None);
        assert_eq!(install_request("pm install -S 5"), None);
    }

    #[test]
    fn directories_for_stat() {
        assert!(is_known_dir("/sdcard/"));
        assert!(is_known_dir("/data/local/tmp"));
        assert!(!is_known_dir("/sdcard/blob.bin"));
    }
}

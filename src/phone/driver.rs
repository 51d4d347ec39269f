//! The phone driver: everything the harness does to a phone, as ADB shell command lines over a
//! [`ShellTransport`]. App-behaviour problems come back as [`FlowOutcome`]s; only transport and parse
//! problems are [`DriverError`]s.

use crate::phone::flow::{FlowBook, WaitSettings};
use crate::phone::quote::ShellCommand;
use crate::phone::shlex;
use crate::phone::ui::{UiError, UiTree};
use crate::secret::Secret;
use crate::transport::{ShellOutput, ShellTransport, TransportError};
use crate::types::NetworkMode;
use std::collections::BTreeMap;
use std::sync::Arc;
use thiserror::Error;

/// Where `install_app` stages the APK on the device.
pub const APK_STAGING_PATH: &str = "/data/local/tmp/mynaportal.apk";

/// A value a flow may type or test.
#[derive(Debug, Clone)]
pub enum FlowValue {
    /// Ordinary text (shown in evidence).
    Plain(String),
    /// A PIN or password (redacted in evidence).
    Secret(Secret),
}

/// Flow variables by name (`card_sign_password`, `phone_auth_pin`, `certs`, …).
pub type FlowVars = BTreeMap<String, FlowValue>;

/// How a flow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowOutcome {
    /// Every step ran.
    pub completed: bool,
    /// Error class from the flow data (`network`, `not-offered`, …, or `unexpected-screen`).
    pub error: Option<String>,
    /// The visible error text, or what was awaited when no known error showed.
    pub message: Option<String>,
    /// Excerpt of the last screen.
    pub screen: String,
}

/// Identity properties of a unit (`getprop`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceProps {
    pub manufacturer: String,
    pub model: String,
    pub name: String,
    pub device: String,
    pub fingerprint: String,
    pub release: String,
    pub sdk: String,
    pub serialno: String,
    pub marketname: String,
}

impl DeviceProps {
    /// Reads a unit's identity properties (`getprop`) over any shell: what a lab needs to name a unit
    /// (fingerprint, model) without driving the app.
    pub fn read(transport: &mut dyn ShellTransport) -> Result<DeviceProps, DriverError> {
        let cmd = ShellCommand::new("getprop");
        let out = transport.shell(&cmd.render())?;
        if !out.success() {
            return Err(command_error(&cmd, &out));
        }
        let map = parse_getprop(&out.stdout_text());
        if map.is_empty() {
            return Err(DriverError::Command {
                command: cmd.redacted(),
                detail: "no `[key]: [value]` lines in output".into(),
            });
        }
        let g = |k: &str| map.get(k).cloned().unwrap_or_default();
        Ok(DeviceProps {
            manufacturer: g("ro.product.manufacturer"),
            model: g("ro.product.model"),
            name: g("ro.product.name"),
            device: g("ro.product.device"),
            fingerprint: g("ro.build.fingerprint"),
            release: g("ro.build.version.release"),
            sdk: g("ro.build.version.sdk"),
            serialno: g("ro.serialno"),
            marketname: g("ro.product.marketname"),
        })
    }
}

/// A driver operation failed for a reason other than the app's behaviour.
#[derive(Debug, Error)]
pub enum DriverError {
    /// The transport failed (unit gone, timeout, …).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A UI dump could not be parsed.
    #[error(transparent)]
    Ui(#[from] UiError),
    /// A device command reported failure (command shown redacted).
    #[error("`{command}` failed: {detail}")]
    Command { command: String, detail: String },
    /// The flow data cannot be run as asked (unknown flow, missing variable).
    #[error("flow: {0}")]
    Flow(String),
}

/// Drives one phone.
pub struct PhoneDriver {
    pub(super) transport: Box<dyn ShellTransport>,
    pub(super) flows: Arc<FlowBook>,
    pub(super) wait: WaitSettings,
    pub(super) dumps: Vec<String>,
    pub(super) commands: Vec<String>,
}

impl std::fmt::Debug for PhoneDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PhoneDriver({})", self.transport.serial())
    }
}

impl PhoneDriver {
    /// A driver over a transport, with the app's flows (wait settings from the flow book).
    pub fn new(transport: Box<dyn ShellTransport>, flows: Arc<FlowBook>) -> Self {
        let wait = flows.settings;
        PhoneDriver {
            transport,
            flows,
            wait,
            dumps: Vec::new(),
            commands: Vec::new(),
        }
    }

    /// Overrides the polling of `wait` steps (interval 0 for the virtual lab).
    pub fn with_wait(mut self, wait: WaitSettings) -> Self {
        self.wait = wait;
        self
    }

    /// The unit's serial.
    pub fn serial(&self) -> String {
        self.transport.serial().to_string()
    }

    /// Sends one command, recording its redacted form.
    pub(super) fn run(&mut self, cmd: &ShellCommand) -> Result<ShellOutput, DriverError> {
        self.commands.push(cmd.redacted());
        Ok(self.transport.shell(&cmd.render())?)
    }

    /// Sends one command that must succeed; returns stdout.
    pub fn run_ok(&mut self, cmd: &ShellCommand) -> Result<String, DriverError> {
        let out = self.run(cmd)?;
        if out.success() {
            Ok(out.stdout_text())
        } else {
            Err(command_error(cmd, &out))
        }
    }

    /// Identity properties (`getprop`).
    pub fn props(&mut self) -> Result<DeviceProps, DriverError> {
        let cmd = ShellCommand::new("getprop");
        self.commands.push(cmd.redacted());
        DeviceProps::read(self.transport.as_mut())
    }

    /// Whether the app's package is installed (`pm list packages <pkg>`).
    pub fn app_installed(&mut self) -> Result<bool, DriverError> {
        let pkg = self.flows.app.package.clone();
        let out = self.run(
            &ShellCommand::new("pm")
                .arg("list")
                .arg("packages")
                .arg(&pkg),
        )?;
        let text = out.stdout_text();
        Ok(text
            .lines()
            .any(|l| l.trim().strip_prefix("package:") == Some(pkg.as_str())))
    }

    /// Pushes the APK to the staging path and installs it.
    pub fn install_app(&mut self, apk: &[u8]) -> Result<(), DriverError> {
        self.commands
            .push(format!("push <{} bytes> {APK_STAGING_PATH}", apk.len()));
        self.transport.push(apk, APK_STAGING_PATH, 0o644)?;
        let cmd = ShellCommand::new("pm")
            .arg("install")
            .arg("-r")
            .arg(APK_STAGING_PATH);
        let out = self.run(&cmd)?;
        let _ = self.run(&ShellCommand::new("rm").arg("-f").arg(APK_STAGING_PATH))?;
        expect_success_line(&cmd, &out)
    }

    /// Uninstalls the app (`pm uninstall`).
    pub fn uninstall_app(&mut self) -> Result<(), DriverError> {
        let cmd = ShellCommand::new("pm")
            .arg("uninstall")
            .arg(self.flows.app.package.clone());
        let out = self.run(&cmd)?;
        expect_success_line(&cmd, &out)
    }

    /// Puts the phone online, offline (radios off) or in airplane mode, then checks the airplane setting.
    pub fn set_network(&mut self, mode: NetworkMode) -> Result<(), DriverError> {
        let airplane = |on: bool| {
            ShellCommand::new("cmd")
                .arg("connectivity")
                .arg("airplane-mode")
                .arg(if on { "enable" } else { "disable" })
        };
        let svc = |what: &str, on: bool| {
            ShellCommand::new("svc")
                .arg(what)
                .arg(if on { "enable" } else { "disable" })
        };
        let cmds = match mode {
            NetworkMode::Online => vec![airplane(false), svc("wifi", true), svc("data", true)],
            NetworkMode::Offline => vec![airplane(false), svc("wifi", false), svc("data", false)],
            NetworkMode::Airplane => vec![airplane(true)],
        };
        for c in &cmds {
            self.run_ok(c)?;
        }
        let check = ShellCommand::new("settings")
            .arg("get")
            .arg("global")
            .arg("airplane_mode_on");
        let got = self.run_ok(&check)?;
        let want = if mode == NetworkMode::Airplane {
            "1"
        } else {
            "0"
        };
        if got.trim() != want {
            return Err(DriverError::Command {
                command: check.redacted(),
                detail: format!("airplane_mode_on is {:?}, expected {want}", got.trim()),
            });
        }
        Ok(())
    }

    /// Turns NFC on or off (`svc nfc`).
    pub fn nfc(&mut self, on: bool) -> Result<(), DriverError> {
        let cmd = ShellCommand::new("svc")
            .arg("nfc")
            .arg(if on { "enable" } else { "disable" });
        self.run_ok(&cmd).map(|_| ())
    }

    /// Reboots (a dropped connection while rebooting is expected).
    pub fn reboot(&mut self) -> Result<(), DriverError> {
        self.run_expecting_disconnect(&ShellCommand::new("reboot"))
    }

    /// Powers the phone off (`reboot -p`).
    pub fn power_off(&mut self) -> Result<(), DriverError> {
        self.run_expecting_disconnect(&ShellCommand::new("reboot").arg("-p"))
    }

    /// Runs the profile's factory-reset command lines, each re-built word by word.
    pub fn factory_reset(&mut self, commands: &[String]) -> Result<(), DriverError> {
        for line in commands {
            let segments = shlex::split_commands(line).map_err(|e| DriverError::Command {
                command: line.clone(),
                detail: format!("cannot parse factory-reset command: {e}"),
            })?;
            for seg in segments {
                if let Some(cmd) = ShellCommand::from_argv(&seg.argv) {
                    self.run_expecting_disconnect(&cmd)?;
                }
            }
        }
        Ok(())
    }

    /// Dumps the current screen (`uiautomator dump /dev/tty`).
    pub fn screen(&mut self) -> Result<UiTree, DriverError> {
        let out = self.run(&ShellCommand::new("uiautomator").arg("dump").arg("/dev/tty"))?;
        let text = out.stdout_text();
        self.dumps.push(text.clone());
        Ok(UiTree::parse_dump_output(&text)?)
    }

    /// A screenshot of the current screen as PNG bytes (`screencap -p`, raw stdout). Anything other than
    /// a PNG (an error text, a truncated or raw-format image) is a [`DriverError::Command`] naming what
    /// came back.
    pub fn screencap(&mut self) -> Result<Vec<u8>, DriverError> {
        let cmd = ShellCommand::new("screencap").arg("-p");
        let out = self.run(&cmd)?;
        if !out.success() {
            return Err(command_error(&cmd, &out));
        }
        if out.stdout.starts_with(&PNG_SIGNATURE) {
            return Ok(out.stdout);
        }
        Err(DriverError::Command {
            command: cmd.redacted(),
            detail: format!("not a PNG: {}", describe_bytes(&out.stdout)),
        })
    }

    /// The log buffer (`logcat -d`).
    pub fn logcat(&mut self) -> Result<String, DriverError> {
        self.run_ok(&ShellCommand::new("logcat").arg("-d"))
    }

    /// Clears the log buffer (`logcat -c`).
    pub fn clear_logcat(&mut self) -> Result<(), DriverError> {
        self.run_ok(&ShellCommand::new("logcat").arg("-c"))
            .map(|_| ())
    }

    /// Every raw UI dump taken since [`PhoneDriver::clear_history`].
    pub fn ui_dumps(&self) -> &[String] {
        &self.dumps
    }

    /// Forgets recorded dumps and commands.
    pub fn clear_history(&mut self) {
        self.dumps.clear();
        self.commands.clear();
    }

    /// Every command line sent since [`PhoneDriver::clear_history`], secrets replaced by `<redacted>`.
    pub fn commands(&self) -> &[String] {
        &self.commands
    }

    fn run_expecting_disconnect(&mut self, cmd: &ShellCommand) -> Result<(), DriverError> {
        // A dropped connection is expected only from a unit that answered just before: one already
        // gone (powered off, unplugged) did not reboot, reset or power off — that is an error.
        self.run(&ShellCommand::new("true"))?;
        match self.run(cmd) {
            Ok(out) if out.success() => Ok(()),
            Ok(out) => Err(command_error(cmd, &out)),
            Err(DriverError::Transport(TransportError::Disconnected { .. })) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn command_error(cmd: &ShellCommand, out: &ShellOutput) -> DriverError {
    let mut detail = out.stderr_text().trim().to_string();
    if detail.is_empty() {
        detail = out.stdout_text().trim().to_string();
    }
    if let Some(code) = out.exit_code {
        detail = format!("exit {code}: {detail}");
    }
    DriverError::Command {
        command: cmd.redacted(),
        detail: cmd.scrub(&detail),
    }
}

/// The 8 bytes every PNG file starts with.
pub const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// A short description of unexpected output: its length and its first bytes, as text when printable.
fn describe_bytes(data: &[u8]) -> String {
    if data.is_empty() {
        return "empty output".into();
    }
    let text = &data[..data.len().min(80)];
    let printable = text
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    let (head, shown) = if printable {
        (
            text,
            format!("{:?}", String::from_utf8_lossy(text).trim_end()),
        )
    } else {
        let head = &data[..data.len().min(16)];
        (head, hex::encode(head))
    };
    format!(
        "{} bytes starting with {shown}{}",
        data.len(),
        if data.len() > head.len() { "…" } else { "" }
    )
}

/// `pm` prints `Success` on its own line when it worked.
fn expect_success_line(cmd: &ShellCommand, out: &ShellOutput) -> Result<(), DriverError> {
    if out.success() && out.stdout_text().lines().any(|l| l.trim() == "Success") {
        Ok(())
    } else {
        Err(command_error(cmd, out))
    }
}

/// Parses `getprop` output (`[key]: [value]` per line); other lines are skipped.
pub fn parse_getprop(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix('[') else {
            continue;
        };
        let Some((key, rest)) = rest.split_once("]: [") else {
            continue;
        };
        let Some(value) = rest.strip_suffix(']') else {
            continue;
        };
        map.insert(key.to_string(), value.to_string());
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getprop_lines_parse_and_junk_is_skipped() {
        let m = parse_getprop(
            "[ro.product.model]: [KM-51A]\n[ro.serialno]: [SIM0001]\ngarbage\n[broken: [x]\n[empty]: []\n",
        );
        assert_eq!(
            m.get("ro.product.model").map(String::as_str),
            Some("KM-51A")
        );
        assert_eq!(m.get("ro.serialno").map(String::as_str), Some("SIM0001"));
        assert_eq!(m.get("empty").map(String::as_str), Some(""));
        assert_eq!(m.len(), 3);
    }
}

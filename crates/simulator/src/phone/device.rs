//! The virtual phone's device state: power, radios, NFC, files, logcat, properties, the installed app.

use super::PhoneEnv;
use super::app::{AppData, Session};
use crate::device_time::DeviceClock;
use crate::profile::DeviceProfile;
use crate::transport::ShellOutput;
use mynacert_wire::timing::Action;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The log buffer, with a deterministic clock.
#[derive(Debug, Clone, Default)]
pub(crate) struct Logcat {
    lines: Vec<String>,
    clock_ms: u64,
}

impl Logcat {
    /// Appends a line in `threadtime` format.
    pub fn log(&mut self, level: char, tag: &str, msg: &str) {
        self.clock_ms += 7;
        let t = self.clock_ms;
        let (h, m, s, ms) = (
            10 + t / 3_600_000 % 14,
            t / 60_000 % 60,
            t / 1000 % 60,
            t % 1000,
        );
        let pid = if tag == super::labels::TAG {
            4242
        } else {
            1000
        };
        self.lines.push(format!(
            "11-22 {h:02}:{m:02}:{s:02}.{ms:03}  {pid:>5}  {pid:>5} {level} {tag}: {msg}"
        ));
    }
    /// Every line, newline-terminated.
    pub fn dump(&self) -> String {
        self.lines.iter().map(|l| format!("{l}\n")).collect()
    }
    /// Empties the buffer.
    pub fn clear(&mut self) {
        self.lines.clear();
    }
}

/// One virtual Android phone.
pub struct VirtualPhone {
    pub(super) profile: Arc<DeviceProfile>,
    pub(super) serial: String,
    pub(super) carrier: String,
    pub(super) powered: bool,
    pub(super) airplane: bool,
    pub(super) wifi: bool,
    pub(super) data: bool,
    pub(super) nfc: bool,
    pub(super) files: BTreeMap<String, Vec<u8>>,
    pub(super) logcat: Logcat,
    /// `Some` while the app is installed.
    pub(super) app: Option<AppData>,
    /// `Some` while the app is in the foreground.
    pub(super) session: Option<Session>,
    /// What its actions cost in device time.
    pub(super) clock: DeviceClock,
}

impl std::fmt::Debug for VirtualPhone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "VirtualPhone({} {})",
            self.serial, self.profile.model_code
        )
    }
}

/// Lower-case ASCII letters and digits only (safe in props and the ADB banner).
fn slug(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl VirtualPhone {
    /// A powered, online phone with NFC on and no app installed.
    pub fn new(profile: Arc<DeviceProfile>, serial: &str, carrier: &str) -> Self {
        VirtualPhone {
            profile,
            serial: serial.to_string(),
            carrier: carrier.to_string(),
            powered: true,
            airplane: false,
            wifi: true,
            data: true,
            nfc: true,
            files: BTreeMap::new(),
            logcat: Logcat::default(),
            app: None,
            session: None,
            clock: DeviceClock::default(),
        }
    }

    /// ADB serial (`ro.serialno`).
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The model profile.
    pub fn profile(&self) -> &DeviceProfile {
        &self.profile
    }

    /// Runs one shell command line; never panics. Powered off: exit 255, `error: device offline`.
    pub fn shell(&mut self, command: &str, env: &mut dyn PhoneEnv) -> ShellOutput {
        if !self.powered {
            return offline();
        }
        self.run_line(command, env)
    }

    /// Writes a file (sync SEND).
    pub fn push(&mut self, path: &str, data: &[u8]) -> Result<(), String> {
        if !self.powered {
            return Err("error: device offline".into());
        }
        if !path.starts_with('/') {
            return Err(format!("remote path must be absolute: {path}"));
        }
        self.files.insert(path.to_string(), data.to_vec());
        Ok(())
    }

    /// Reads a file (sync RECV).
    pub fn pull(&self, path: &str) -> Result<Vec<u8>, String> {
        if !self.powered {
            return Err("error: device offline".into());
        }
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| format!("remote object '{path}' does not exist"))
    }

    /// Whether the phone is on.
    pub fn powered(&self) -> bool {
        self.powered
    }

    /// Charges its actions to `clock` (the lab's, under this model's own timing).
    pub fn set_clock(&mut self, clock: &DeviceClock) {
        self.clock = clock.for_profile(&self.profile);
    }

    /// Turns the phone on (boot clears the log buffer; the app is not running).
    pub fn power_on(&mut self) {
        if !self.powered {
            // A cold boot.
            self.clock.charge(Action::Reboot, 1.0);
            self.clock.charge(Action::BootCompletedWait, 1.0);
            self.powered = true;
            self.session = None;
            self.logcat.clear();
        }
    }

    /// Online = powered, not in airplane mode, and Wi-Fi or mobile data on.
    pub fn online(&self) -> bool {
        self.powered && !self.airplane && (self.wifi || self.data)
    }

    /// `ro.product.name`, `ro.product.model`, `ro.product.device` for an ADB banner.
    pub fn banner_props(&self) -> Vec<(String, String)> {
        let p = self.props();
        ["ro.product.name", "ro.product.model", "ro.product.device"]
            .iter()
            .map(|k| {
                let v = p.get(*k).cloned().unwrap_or_default();
                let clean: String = v.chars().filter(|c| !":;=".contains(*c)).collect();
                (k.to_string(), clean)
            })
            .collect()
    }

    /// Every system property.
    pub(super) fn props(&self) -> BTreeMap<String, String> {
        let p = &self.profile;
        let device = slug(&p.model_code);
        let name = format!("{}_{}", slug(&p.maker), device);
        let digest = Sha256::digest(format!("{}|{}|{}", p.id, p.model_code, p.android).as_bytes());
        let build = hex::encode(&digest[..4]).to_ascii_uppercase();
        let fingerprint = format!(
            "{}/{name}/{device}:{}/{}{}.{build}/{}:user/release-keys",
            slug(&p.maker),
            p.android,
            mynacert_wire::lab::SIM_BUILD_PREFIX,
            p.sdk,
            u32::from_be_bytes([0, digest[4], digest[5], digest[6]]),
        );
        let mut m = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_string(), v);
        };
        put("ro.product.manufacturer", p.maker.clone());
        put("ro.product.brand", slug(&p.maker));
        put("ro.product.model", p.model_code.clone());
        put("ro.product.marketname", p.model_name.clone());
        put("ro.product.name", name);
        put("ro.product.device", device);
        put("ro.build.fingerprint", fingerprint);
        put("ro.build.version.release", p.android.clone());
        put("ro.build.version.sdk", p.sdk.to_string());
        put("ro.serialno", self.serial.clone());
        put("ro.boot.serialno", self.serial.clone());
        put("ro.carrier", self.carrier.clone());
        // Commands only reach a powered phone, and a powered virtual phone has finished booting.
        put("sys.boot_completed", "1".into());
        m
    }
}

/// What a powered-off phone answers.
pub(super) fn offline() -> ShellOutput {
    ShellOutput {
        stdout: Vec::new(),
        stderr: b"error: device offline".to_vec(),
        exit_code: Some(255),
    }
}

//! `mynacert lab serve`: the virtual lab on real wires.

use super::commands::CliError;
use crate::adb::auth::{AuthPolicy, parse_public_key};
use crate::adb::fleet::ServedFleet;
use crate::adb::server::AdbdConfig;
use crate::lab::virtual_lab::VirtualLab;
use crate::lab::{LabFile, load_identities, load_profiles};
use std::path::{Path, PathBuf};

// phones (ADB)

/// Who may connect to the served adbds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// No AUTH (`ro.adb.secure=0`).
    Off,
    /// AUTH with `--authorized-key` files only; other hosts stay `unauthorized`.
    On,
    /// AUTH, and any offered public key is accepted (a user tapping "Always allow").
    AcceptNew,
}

/// Options of `mynacert lab serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Lab inventory file.
    #[arg(long, default_value = "devices/lab.yaml")]
    pub lab: PathBuf,
    /// First loopback port for the phones' adbds (one port per unit; keep clear of 5555-5585).
    #[arg(long, default_value_t = 15100)]
    pub adb_port_base: u16,
    /// ADB authentication.
    #[arg(long, value_enum, default_value_t = AuthMode::AcceptNew)]
    pub auth: AuthMode,
    /// `adbkey.pub` files whose keys are authorized; repeatable.
    #[arg(long = "authorized-key", value_name = "FILE")]
    pub authorized_keys: Vec<PathBuf>,
    /// Write `SERIAL 127.0.0.1:PORT` lines here once serving.
    #[arg(long, value_name = "FILE")]
    pub ports_file: Option<PathBuf>,
    /// Stop after this many seconds (default: serve until killed).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,
}

fn joined(errors: &[crate::scenario::LoadError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Builds the virtual lab of a lab file (relative paths under `root`).
pub fn build_lab(root: &Path, lab: &Path) -> Result<VirtualLab, CliError> {
    let lab_path = if lab.is_absolute() {
        lab.to_path_buf()
    } else {
        root.join(lab)
    };
    let lab_file = LabFile::load(&lab_path).map_err(|e| CliError::Invalid(e.to_string()))?;
    let profiles = load_profiles(&root.join("devices").join("models"))
        .map_err(|e| CliError::Invalid(joined(&e)))?;
    let identities = load_identities(&root.join("fixtures"), &lab_file.identities)
        .map_err(|e| CliError::Invalid(joined(&e)))?;
    VirtualLab::build(&lab_file, &profiles, identities, &root.join("fixtures"))
        .map_err(|e| CliError::Infra(format!("virtual lab: {e}")))
}

fn adbd_config(args: &ServeArgs) -> Result<AdbdConfig, CliError> {
    let mut authorized = Vec::new();
    for path in &args.authorized_keys {
        let text = std::fs::read(path)
            .map_err(|e| CliError::Invalid(format!("{}: {e}", path.display())))?;
        authorized.push(
            parse_public_key(&text)
                .map_err(|e| CliError::Invalid(format!("{}: {e}", path.display())))?,
        );
    }
    let policy = match args.auth {
        AuthMode::Off => AuthPolicy::Off,
        AuthMode::On => AuthPolicy::Keys {
            authorized,
            accept_new: false,
        },
        AuthMode::AcceptNew => AuthPolicy::Keys {
            authorized,
            accept_new: true,
        },
    };
    Ok(AdbdConfig {
        policy,
        ..AdbdConfig::default()
    })
}

/// Serves the phones; returns the fleet (kept alive by the caller).
pub fn serve_phones(lab: &VirtualLab, args: &ServeArgs) -> Result<ServedFleet, CliError> {
    let config = adbd_config(args)?;
    let fleet = ServedFleet::serve(lab, args.adb_port_base, &config)
        .map_err(|e| CliError::Infra(format!("serving phones: {e}")))?;
    let mut lines = String::new();
    for (serial, addr) in fleet.addresses() {
        lines.push_str(&format!("{serial} {addr}\n"));
    }
    print!("{lines}");
    if let Some(path) = &args.ports_file {
        std::fs::write(path, &lines)
            .map_err(|e| CliError::Infra(format!("{}: {e}", path.display())))?;
    }
    Ok(fleet)
}

// end of phones (ADB)

/// `mynacert lab serve`.
pub fn serve(root: &Path, args: &ServeArgs) -> Result<i32, CliError> {
    let lab = build_lab(root, &args.lab)?;
    let fleet = serve_phones(&lab, args)?;
    eprintln!(
        "serving {} virtual phone(s) as adbd; `adb connect 127.0.0.1:PORT` each",
        fleet.phones.len()
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    match args.duration {
        Some(s) => std::thread::sleep(std::time::Duration::from_secs(s)),
        None => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
    }
    drop(fleet);
    Ok(0)
}

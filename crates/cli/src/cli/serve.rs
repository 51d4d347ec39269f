//! `mynacert lab serve`: serves the embedded virtual lab on the real stacks a lab uses, so real tools
//! (pcscd, OpenSC, `adb`) see its cards and phones. Cards and phone SEs go on vpcd slots (pcscd's
//! virtual reader); phones over ADB are served by their own section.

use super::commands::CliError;
use mynacert::adb::auth::{AuthPolicy, parse_public_key};
use mynacert::lab::ApduTarget;
use mynacert::lab::{Lab, LabFile};
use mynacert_sim::adbd::fleet::ServedFleet;
use mynacert_sim::adbd::server::AdbdConfig;
use mynacert_sim::virtual_lab::VirtualLab;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `mynacert lab …`.
#[derive(Debug, clap::Subcommand)]
pub enum LabCommand {
    /// Serve the virtual lab's cards (and phones) to real tools until stopped.
    Serve(Box<ServeArgs>),
    /// Check a bench lab file's wiring: controller and authority, every unit, every reader.
    Check(super::labcheck::CheckArgs),
}

/// Arguments of `mynacert lab serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Lab inventory file.
    #[arg(long, default_value = "devices/lab.yaml")]
    pub lab: PathBuf,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long, value_name = "SECS")]
    pub seconds: Option<u64>,

    // ---- cards and phone SEs on vpcd (PC/SC) ----
    /// A card on a vpcd slot: `IDENTITY` or `IDENTITY@SLOT` (slot 0 → port 35963, 1 → 35964); repeatable.
    #[arg(long = "card", value_name = "ID[@SLOT]")]
    pub cards: Vec<String>,
    /// A phone in card emulation on a vpcd slot: `SERIAL` or `SERIAL@SLOT`; repeatable.
    #[arg(long = "se", value_name = "SERIAL[@SLOT]")]
    pub ses: Vec<String>,
    /// Host where vpcd (pcscd) listens.
    #[arg(long, default_value = "127.0.0.1")]
    pub vpcd_host: String,
    /// Before serving, provision every `--se` phone with this identity's certificates (the app's
    /// provision flow, in process), so `mynacert reader check` finds both certificates in the SE.
    #[arg(long, value_name = "IDENTITY")]
    pub provision: Option<String>,
    // ---- phones (ADB): each virtual phone as an adbd on its own loopback port ----
    /// Do not serve the phones over ADB.
    #[arg(long)]
    pub no_phones: bool,
    /// First loopback port for the phones' adbds (one port per unit; keep clear of 5555-5585).
    #[arg(long, default_value_t = 15100)]
    pub adb_port_base: u16,
    /// ADB authentication.
    #[arg(long, value_enum, default_value_t = AuthMode::AcceptNew)]
    pub auth: AuthMode,
    /// `adbkey.pub` files whose keys are authorized; repeatable.
    #[arg(long = "authorized-key", value_name = "FILE")]
    pub authorized_keys: Vec<PathBuf>,
    /// Write `SERIAL 127.0.0.1:PORT` lines here once the phones are served.
    #[arg(long, value_name = "FILE")]
    pub ports_file: Option<PathBuf>,
    // ---- bench controller ----
    /// Serve the bench controller (card placement, power, services, authority) on 127.0.0.1:PORT
    /// (0 = any free port).
    #[arg(long, value_name = "PORT")]
    pub control: Option<u16>,
    /// Serve the controller over TLS with this key: STEM.key (`mynacert keygen --out STEM`); the bench file
    /// pins STEM.pub.
    #[arg(long, value_name = "STEM", requires = "control")]
    pub control_key: Option<PathBuf>,
    /// With `--control-key`: the lab allowed to use the controller (STEM.pub is trusted; the bench file
    /// names STEM.key as the lab's key).
    #[arg(long, value_name = "STEM", requires = "control_key")]
    pub client_key: Option<PathBuf>,
    /// Write a bench lab file (`kind: bench`) for what is served here (needs the phones served).
    #[arg(long, value_name = "PATH")]
    pub bench_file: Option<PathBuf>,
    /// Chaos on the served controller (connections cut before or after a request) and on the lab's
    /// authority it reaches, seeded; the served phones and cards stay calm (`run --chaos` for those).
    #[arg(long, value_name = "SEED", requires = "control")]
    pub chaos: Option<u64>,
}

/// Loads the virtual lab of a lab file.
pub fn load_virtual_lab(root: &Path, lab: &Path) -> Result<VirtualLab, CliError> {
    Ok(load_virtual_lab_file(root, lab)?.0)
}

/// [`load_virtual_lab`], with the lab file it was built from.
pub fn load_virtual_lab_file(root: &Path, lab: &Path) -> Result<(VirtualLab, LabFile), CliError> {
    let l = super::commands::load_lab(root, lab, &[])?;
    if l.file.kind != mynacert::lab::LabKind::Virtual {
        return Err(CliError::Invalid(format!(
            "{}: lab `{}` is not a virtual lab",
            l.path.display(),
            l.file.lab
        )));
    }
    let built = VirtualLab::build(
        &l.file.virtual_spec(),
        &l.profiles,
        l.identities,
        &root.join("fixtures"),
    )?;
    Ok((built, l.file))
}

/// Parses `NAME` or `NAME@SLOT`; slots without `@` are numbered from `next`.
fn slot_of(spec: &str, next: &mut u16) -> Result<(String, u16), CliError> {
    match spec.rsplit_once('@') {
        Some((name, slot)) => {
            let n = slot.parse::<u16>().map_err(|_| {
                CliError::Invalid(format!("`{spec}`: the slot after `@` must be a number"))
            })?;
            Ok((name.to_string(), n))
        }
        None => {
            let n = *next;
            *next += 1;
            Ok((spec.to_string(), n))
        }
    }
}

fn card_slots(
    lab: &VirtualLab,
    args: &ServeArgs,
) -> Result<Vec<mynacert_sim::vpcd::CardSlot>, CliError> {
    let mut next = 0u16;
    let mut out = Vec::new();
    let mut add = |target: ApduTarget, slot: u16| -> Result<(), CliError> {
        let port = mynacert_sim::vpcd::VPCD_PORT + slot;
        let addr: SocketAddr = (args.vpcd_host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| {
                CliError::Invalid(format!("vpcd host `{}` does not resolve", args.vpcd_host))
            })?;
        out.push(mynacert_sim::vpcd::CardSlot { target, vpcd: addr });
        Ok(())
    };
    for spec in &args.cards {
        let (id, slot) = slot_of(spec, &mut next)?;
        if !lab.identities().iter().any(|i| i.id == id) {
            return Err(CliError::Invalid(format!(
                "the lab holds no card of `{id}`"
            )));
        }
        add(ApduTarget::Card(id), slot)?;
    }
    for spec in &args.ses {
        let (serial, slot) = slot_of(spec, &mut next)?;
        if !lab.units().iter().any(|u| u.serial == serial) {
            return Err(CliError::Invalid(format!("the lab has no unit `{serial}`")));
        }
        add(ApduTarget::SecureElement(serial), slot)?;
    }
    Ok(out)
}

/// Provisions the phones of the SE slots with `identity`'s certificates.
fn provision_ses(
    root: &Path,
    lab: &mut VirtualLab,
    slots: &[mynacert_sim::vpcd::CardSlot],
    identity: &str,
) -> Result<(), CliError> {
    let flows = mynacert::lab::load_flows(root)?;
    let serials: Vec<&str> = slots
        .iter()
        .filter_map(|s| match &s.target {
            ApduTarget::SecureElement(serial) => Some(serial.as_str()),
            ApduTarget::Card(_) => None,
        })
        .collect();
    if serials.is_empty() {
        return Err(CliError::Invalid(
            "--provision needs at least one --se phone".into(),
        ));
    }
    if !lab.identities().iter().any(|i| i.id == identity) {
        return Err(CliError::Invalid(format!(
            "--provision: the lab holds no identity `{identity}`"
        )));
    }
    for serial in serials {
        let done = mynacert::lab::provision::provision_unit(lab, &flows, serial, identity)
            .map_err(|e| CliError::Infra(format!("provisioning: {e}")))?;
        println!("{done}");
    }
    Ok(())
}

/// `mynacert lab serve`.
pub fn serve(root: &Path, args: &ServeArgs) -> Result<i32, CliError> {
    let (mut lab, lab_file) = load_virtual_lab_file(root, &args.lab)?;
    if let Some(seed) = args.chaos {
        lab.set_chaos(seed, mynacert::chaos::ChaosRates::default());
    }
    // ---- cards and phone SEs on vpcd ----
    let slots = card_slots(&lab, args)?;
    if let Some(identity) = &args.provision {
        provision_ses(root, &mut lab, &slots, identity)?;
    }
    let cards = mynacert_sim::vpcd::serve_cards(&lab, &slots);
    for s in &slots {
        println!("serving {:?} on vpcd {}", s.target, s.vpcd);
    }
    // ---- phones (ADB) ----
    let phones = if args.no_phones {
        None
    } else {
        let fleet = serve_phones(&lab, args)?;
        eprintln!(
            "serving {} virtual phone(s) as adbd; `adb connect 127.0.0.1:PORT` each",
            fleet.phones.len()
        );
        Some(fleet)
    };
    if slots.is_empty() && phones.is_none() {
        return Err(CliError::Invalid(
            "nothing to serve: give --card or --se, or drop --no-phones".into(),
        ));
    }
    // ---- bench controller and bench file ----
    let _controller =
        super::serve_control::serve_control(args, lab, &lab_file, &slots, phones.as_ref())?;
    {
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
    let started = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        if args
            .seconds
            .is_some_and(|s| started.elapsed() >= Duration::from_secs(s))
        {
            break;
        }
    }
    cards.stop();
    drop(phones);
    Ok(0)
}

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

//! `mynacert lab serve --control PORT --bench-file PATH`: the bench controller over the served virtual lab,
//! and a `kind: bench` lab file describing what is served (units by their served adbd address).

use super::commands::CliError;
use super::serve::ServeArgs;
use mynacert::lab::ApduTarget;
use mynacert::lab::{Lab, LabFile};
use mynacert_sim::adbd::fleet::ServedFleet;
use mynacert_sim::control::bench_file::{BenchFile, BenchReader, BenchReaderRole, BenchUnit};
use mynacert_sim::control::{ControllerServer, serve_controller_tls};
use mynacert_sim::virtual_lab::VirtualLab;
use mynacert_sim::vpcd::{CardSlot, VPCD_PORT};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Serves the controller (with `--control`) and writes the bench file (with `--bench-file`). The lab
/// moves behind a lock here: the served cards and phones hold their own handles on its world.
pub fn serve_control(
    args: &ServeArgs,
    lab: VirtualLab,
    file: &LabFile,
    slots: &[CardSlot],
    phones: Option<&ServedFleet>,
) -> Result<Option<ControllerServer>, CliError> {
    // Served address → virtual serial.
    let aliases: BTreeMap<String, String> = phones
        .map(|f| {
            f.addresses()
                .into_iter()
                .map(|(serial, addr)| (addr.to_string(), serial))
                .collect()
        })
        .unwrap_or_default();
    let bench = match &args.bench_file {
        Some(path) => {
            if phones.is_none() {
                return Err(CliError::Invalid(
                    "--bench-file needs the phones served (drop --no-phones)".into(),
                ));
            }
            Some((path, describe(&lab, file, slots, &aliases)?))
        }
        None => None,
    };
    let tls = tls_keys(args)?;
    let controller = match args.control {
        Some(port) => {
            let bind = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let config = tls.as_ref().map(|t| t.config.clone());
            let server = serve_controller_tls(bind, Arc::new(Mutex::new(lab)), aliases, config)
                .map_err(|e| CliError::Infra(format!("serving the controller on {bind}: {e}")))?;
            println!("controller on {}", server.addr());
            let _ = std::io::stdout().flush();
            Some(server)
        }
        None => None,
    };
    if let Some((path, mut file)) = bench {
        file.controller = controller.as_ref().map(ControllerServer::addr);
        file.controller_tls = tls.map(|t| t.bench_paths);
        std::fs::write(path, file.render())
            .map_err(|e| CliError::Infra(format!("{}: {e}", path.display())))?;
        println!("bench lab file {}", path.display());
        let _ = std::io::stdout().flush();
    }
    Ok(controller)
}

/// The controller's TLS set-up from `--control-key` and `--client-key`.
struct Tls {
    config: Arc<rustls::ServerConfig>,
    /// (the lab's key, the controller's public key) for the bench file.
    bench_paths: (String, String),
}

fn tls_keys(args: &ServeArgs) -> Result<Option<Tls>, CliError> {
    let Some(stem) = &args.control_key else {
        return Ok(None);
    };
    let Some(client) = &args.client_key else {
        return Err(CliError::Invalid(
            "--control-key needs --client-key: a controller that trusts no key would serve nobody"
                .into(),
        ));
    };
    let abs = |p: PathBuf| p.canonicalize().unwrap_or(p);
    let file = |s: &PathBuf, ext: &str| abs(s.with_extension(ext));
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| CliError::Invalid(format!("{}: {e}", p.display())))
    };
    let tls = |e: mynacert_wire::tls::TlsError| CliError::Invalid(format!("controller TLS: {e}"));
    let me = mynacert_wire::tls::TlsIdentity::from_pem(
        &read(&file(stem, "key"))?,
        "mynacert-controller",
    )
    .map_err(tls)?;
    let clients =
        mynacert_wire::tls::public_keys_from_pem(&read(&file(client, "pub"))?).map_err(tls)?;
    Ok(Some(Tls {
        config: mynacert_wire::tls::server_config(me, clients).map_err(tls)?,
        bench_paths: (
            file(client, "key").display().to_string(),
            file(stem, "pub").display().to_string(),
        ),
    }))
}

/// The bench file for the served lab (controller filled in by the caller).
fn describe(
    lab: &VirtualLab,
    file: &LabFile,
    slots: &[CardSlot],
    aliases: &BTreeMap<String, String>,
) -> Result<BenchFile, CliError> {
    let by_serial: BTreeMap<&str, &str> = aliases
        .iter()
        .map(|(addr, serial)| (serial.as_str(), addr.as_str()))
        .collect();
    let bench_name = |serial: &str| -> Result<String, CliError> {
        by_serial
            .get(serial)
            .map(|a| a.to_string())
            .ok_or_else(|| CliError::Infra(format!("unit `{serial}` is not served over ADB")))
    };
    let mut units = Vec::new();
    for u in lab.units() {
        units.push(BenchUnit {
            serial: bench_name(&u.serial)?,
            profile: u.profile.id.clone(),
            carrier: u.carrier.clone(),
            reference: u.reference,
        });
    }
    let mut readers = Vec::new();
    for s in slots {
        let slot = s.vpcd.port().saturating_sub(VPCD_PORT);
        let role = match &s.target {
            ApduTarget::Card(id) => BenchReaderRole::Card(id.clone()),
            ApduTarget::SecureElement(serial) => BenchReaderRole::Se(bench_name(serial)?),
        };
        readers.push(BenchReader {
            reader: mynacert_sim::control::bench_file::vpcd_reader_name(slot),
            role,
        });
    }
    Ok(BenchFile {
        lab: format!("{}-bench", lab.id()),
        reference_model: file.reference_model.clone(),
        identities: lab.identities().iter().map(|i| i.id.clone()).collect(),
        app_apk: "fixtures/app/mynaportal-sim.apk".into(),
        controller: None,
        controller_tls: None,
        units,
        readers,
    })
}

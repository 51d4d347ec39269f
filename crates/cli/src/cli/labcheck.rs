//! `mynacert lab check --lab BENCH.yaml`: the bench's wiring before a run — the controller answers and its
//! authority publishes a CRL signed by its CA, every unit is attached and is the model its profile says,
//! every reader holds the card or SE the lab file puts on it. One line per part; exit 0 when all are
//! ready, 3 otherwise.

use super::commands::CliError;
use super::commands::{LoadedLab, load_lab};
use mynacert::adb::transport::AdbEnv;
use mynacert::jpki::JpkiClient;
use mynacert::lab::ApduTarget;
use mynacert::lab::bench::BenchLab;
use mynacert::lab::{Lab, LabError, LabKind};
use mynacert::types::CertKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Arguments of `mynacert lab check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The bench lab file.
    #[arg(long)]
    pub lab: PathBuf,
}

struct Lines {
    problems: usize,
}

impl Lines {
    fn line(&mut self, ok: bool, what: &str, detail: &str) {
        if !ok {
            self.problems += 1;
        }
        println!("{:<5} {what:<32} {detail}", if ok { "ok" } else { "FAIL" });
    }
}

/// The authority through the controller: a CRL for each kind, verified against the CA certificate.
fn check_authority(lab: &mut BenchLab) -> Result<String, LabError> {
    let mut a = lab.authority()?;
    let mut parts = Vec::new();
    for kind in CertKind::ALL {
        let ca = a.ca_certificate(kind)?;
        let crl = a.crl(kind)?;
        let info = mynacert::authority::parse_crl(&crl, &ca)
            .map_err(|e| LabError::Service(format!("{kind} CRL: {e}")))?;
        parts.push(format!("{kind} CRL signed, {} revoked", info.revoked.len()));
    }
    Ok(parts.join("; "))
}

/// `mynacert lab check`.
pub fn check(root: &Path, args: &CheckArgs) -> Result<i32, CliError> {
    let loaded = load_lab(root, &args.lab, &[])?;
    if loaded.file.kind != LabKind::Bench {
        return Err(CliError::Invalid(format!(
            "{}: `lab check` checks a bench (`kind: bench`); the virtual lab has no wiring to check",
            loaded.path.display()
        )));
    }
    loaded.check()?;
    let LoadedLab {
        path,
        file,
        profiles,
        identities,
        ..
    } = loaded;
    let env = AdbEnv::from_process().map_err(CliError::Invalid)?;
    let mut lab = BenchLab::build(&file, &profiles, identities, root, &env)
        .map_err(|e| CliError::Invalid(format!("{}: {e}", path.display())))?;
    let mut out = Lines { problems: 0 };
    println!("bench `{}` ({})", file.lab, path.display());
    match lab.check_controller() {
        Ok(Some(id)) => {
            out.line(true, "controller", &format!("lab `{id}`"));
            match check_authority(&mut lab) {
                Ok(d) => out.line(true, "authority", &d),
                Err(e) => out.line(false, "authority", &e.to_string()),
            }
        }
        Ok(None) => out.line(
            true,
            "controller",
            "none: physical actions are asked at the terminal; no authority",
        ),
        Err(e) => out.line(false, "controller", &e.to_string()),
    }
    if let Err(e) = lab.connect_units(Duration::from_secs(30)) {
        out.line(false, "adb connect", &e.to_string());
    }
    for unit in lab.units().to_vec() {
        let what = format!("unit {}", unit.serial);
        let props = lab
            .phone(&unit.serial)
            .map_err(|e| e.to_string())
            .and_then(|mut t| {
                mynacert::phone::DeviceProps::read(t.as_mut()).map_err(|e| e.to_string())
            });
        match props {
            Ok(p) if p.model == unit.profile.model_code => out.line(
                true,
                &what,
                &format!(
                    "{} (profile {}), Android {}, {}",
                    p.model, unit.profile.id, p.release, p.fingerprint
                ),
            ),
            Ok(p) => out.line(
                false,
                &what,
                &format!(
                    "is a {}, but the lab file says profile {} ({})",
                    p.model, unit.profile.id, unit.profile.model_code
                ),
            ),
            Err(e) => out.line(false, &what, &e),
        }
    }
    for r in &file.readers {
        let what = format!("reader {}", r.reader);
        let target = match r.role() {
            Ok(t) => t,
            Err(e) => {
                out.line(false, &what, &e);
                continue;
            }
        };
        let (transport, holds) = match &target {
            ApduTarget::SecureElement(s) => (lab.secure_element(s), format!("SE of {s}")),
            ApduTarget::Card(c) => (lab.card(c), format!("card of {c}")),
        };
        let label = transport.map_err(|e| e.to_string()).and_then(|t| {
            let mut c = JpkiClient::new(t);
            c.select_jpki_ap().map_err(|e| e.to_string())?;
            c.token_label().map_err(|e| e.to_string())
        });
        match label {
            Ok(l) => out.line(
                true,
                &what,
                &format!("{holds}: JPKI AP, token `{}`", l.trim()),
            ),
            Err(e) => out.line(false, &what, &format!("{holds}: {e}")),
        }
    }
    if out.problems == 0 {
        println!("bench ready");
        Ok(0)
    } else {
        println!("{} problem(s): not ready", out.problems);
        Ok(3)
    }
}

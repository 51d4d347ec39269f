//! Where a run's results come from: whether its phones were virtual, and what a build fingerprint says.
//!
//! A run is *virtual* when any of these holds (each is reported as a reason):
//! - its journal header records the lab kind `virtual` (journals record it since the kind was added);
//! - its phones were driven "in process", which only the embedded simulator does (older journals);
//! - a unit's build fingerprint, at the start of the run or when a scenario bound it, is the simulator's
//!   (`SIM<sdk>.<hex>` build id, [`mynacert_wire::lab::is_simulated_fingerprint`]), so a bench lab driving
//!   virtual phones served over ADB (`mynacert lab serve`) is caught too;
//! - a unit's build fingerprint is an Android Emulator image's ([`is_emulator_fingerprint`]).

use crate::journal::Journal;
use crate::lab::LabKind;

/// The parts of `ro.build.fingerprint` (`brand/product/device:release/id/incremental:type/tags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint<'a> {
    pub brand: &'a str,
    pub product: &'a str,
    pub device: &'a str,
    /// Android version (`ro.build.version.release`).
    pub release: &'a str,
    /// Build id (`ro.build.id`), what Settings shows as the build number on most phones.
    pub build_id: &'a str,
    pub incremental: &'a str,
}

impl<'a> Fingerprint<'a> {
    /// Splits a fingerprint; `None` when it does not have the Android shape.
    pub fn parse(s: &'a str) -> Option<Fingerprint<'a>> {
        let (names, rest) = s.split_once(':')?;
        let mut n = names.split('/');
        let (brand, product, device) = (n.next()?, n.next()?, n.next()?);
        let mut r = rest.split('/');
        let (release, build_id, inc_type) = (r.next()?, r.next()?, r.next()?);
        let (incremental, _) = inc_type.split_once(':')?;
        if n.next().is_some() || release.is_empty() || build_id.is_empty() {
            return None;
        }
        Some(Fingerprint {
            brand,
            product,
            device,
            release,
            build_id,
            incremental,
        })
    }
}

/// Whether a fingerprint is an Android Emulator (AVD) image's: product `sdk_…` (`sdk_gphone64_x86_64`)
/// or device `generic…` / `emu64…` / `emulator…`.
pub fn is_emulator_fingerprint(s: &str) -> bool {
    Fingerprint::parse(s).is_some_and(|f| {
        f.product.starts_with("sdk_")
            || ["generic", "emu64", "emulator"]
                .iter()
                .any(|p| f.device.starts_with(p))
    })
}

/// Why a run counts as virtual; empty for a run on real phones.
pub fn virtual_reasons(j: &Journal) -> Vec<String> {
    let h = &j.header;
    let mut why = Vec::new();
    if h.lab_kind == Some(LabKind::Virtual) {
        why.push(format!("lab `{}` is a virtual lab", h.lab));
    }
    if h.phones.as_deref() == Some("in process") {
        why.push("its phones were the in-process simulator".into());
    }
    let recorded = h
        .units
        .iter()
        .filter_map(|u| u.fingerprint.as_deref().map(|f| (u.serial.as_str(), f)));
    let bound = j
        .scenarios
        .iter()
        .flat_map(|s| s.fingerprints.iter().map(|(u, f)| (u.as_str(), f.as_str())));
    // (unit, fingerprint) per kind of virtual phone, each unit once.
    let mut found: [(&str, Vec<(&str, &str)>); 2] = [
        ("the simulator's", vec![]),
        ("an Android Emulator's", vec![]),
    ];
    for (unit, fp) in recorded.chain(bound) {
        let kind = if mynacert_wire::lab::is_simulated_fingerprint(fp) {
            0
        } else if is_emulator_fingerprint(fp) {
            1
        } else {
            continue;
        };
        if !found[kind].1.iter().any(|(u, _)| *u == unit) {
            found[kind].1.push((unit, fp));
        }
    }
    for (what, units) in found {
        match units.as_slice() {
            [] => {}
            [(unit, fp)] => why.push(format!(
                "unit {unit} reports {what} build fingerprint `{fp}`"
            )),
            [(_, fp), ..] => {
                let names: Vec<&str> = units.iter().map(|(u, _)| *u).take(3).collect();
                let more = match units.len() - names.len() {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                why.push(format!(
                    "units {}{more} report {what} build fingerprints (`{fp}`, …)",
                    names.join(", ")
                ));
            }
        }
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::fixture::{header, journal, model, rules};
    use crate::profile::Listing;

    fn run(kind: Option<LabKind>, phones: Option<&str>, fingerprint: &str) -> Journal {
        let mut h = header(
            "r",
            "lab",
            rules("1", &[], &[]),
            vec![model("m1", "M-1", &["docomo"], Listing::Supported)],
            &[("U1", "m1", "docomo")],
        );
        h.lab_kind = kind;
        h.phones = phones.map(str::to_string);
        h.units[0].fingerprint = Some(fingerprint.into());
        journal(h, vec![], true)
    }

    const REAL: &str = "sony/SO-51C/SO-51C:14/64.2.C.1.12/064002C001001200:user/release-keys";
    const SIM: &str = "kumo/kumo_km51a/km51a:14/SIM34.0A1B2C3D/1234:user/release-keys";
    const AVD: &str =
        "google/sdk_gphone64_x86_64/emu64xa:14/UE1A.230829.036/10788049:userdebug/dev-keys";

    #[test]
    fn a_bench_run_on_real_phones_is_not_virtual() {
        let bench = Some("ADB through the adb server at 127.0.0.1:5037");
        assert!(virtual_reasons(&run(Some(LabKind::Bench), bench, REAL)).is_empty());
        assert!(virtual_reasons(&run(None, None, REAL)).is_empty());
    }

    #[test]
    fn lab_kind_in_process_phones_and_simulated_or_emulator_units_each_make_a_run_virtual() {
        let adb = Some("ADB through the adb server at 127.0.0.1:5037");
        let why = virtual_reasons(&run(Some(LabKind::Virtual), adb, REAL));
        assert_eq!(why, vec!["lab `lab` is a virtual lab"]);
        let why = virtual_reasons(&run(None, Some("in process"), REAL));
        assert_eq!(why, vec!["its phones were the in-process simulator"]);
        // A bench lab reaching virtual phones over ADB (`lab serve`).
        let why = virtual_reasons(&run(Some(LabKind::Bench), adb, SIM));
        assert_eq!(why.len(), 1);
        assert!(why[0].contains("U1 reports the simulator's"), "{why:?}");
        let why = virtual_reasons(&run(Some(LabKind::Bench), adb, AVD));
        assert!(why[0].contains("Android Emulator"), "{why:?}");
        // Many units: named briefly, once.
        let mut j = run(Some(LabKind::Bench), adb, SIM);
        for i in 2..=6 {
            let mut u = j.header.units[0].clone();
            u.serial = format!("U{i}");
            j.header.units.push(u);
        }
        let why = virtual_reasons(&j);
        assert_eq!(why.len(), 1, "{why:?}");
        assert!(
            why[0].starts_with(
                "units U1, U2, U3 and 3 more report the simulator's build fingerprints"
            ),
            "{why:?}"
        );
    }

    #[test]
    fn fingerprints_split_into_release_and_build_id() {
        let f = Fingerprint::parse(REAL).unwrap();
        assert_eq!((f.release, f.build_id), ("14", "64.2.C.1.12"));
        assert_eq!(f.device, "SO-51C");
        for bad in ["", "a/b/c", "a/b/c:14", "a/b:14/X/1:user/k", "a/b/c:14/X/1"] {
            assert_eq!(Fingerprint::parse(bad), None, "{bad}");
        }
    }
}

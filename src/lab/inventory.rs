//! Lab inventory files (`devices/lab.yaml`), model profiles (`devices/models/*.yaml`) and identities
//! (`fixtures/identities/*.yaml`).

use crate::identity::Identity;
use crate::profile::DeviceProfile;
use crate::scenario::LoadError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use mynacert_wire::lab::{LabKind, UnitEntry};

/// `devices/lab.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabFile {
    pub lab: String,
    pub kind: LabKind,
    /// Profile id of the known-good reference model.
    pub reference_model: String,
    /// Virtual lab: how many reference units to create.
    #[serde(default = "two")]
    pub reference_units: usize,
    /// Identity fixture ids whose cards the lab holds.
    pub identities: Vec<String>,
    /// Units (a virtual lab generates them when absent).
    #[serde(default)]
    pub units: Vec<UnitEntry>,
    /// PC/SC readers and what lies on each (a phone's SE or an identity's card); SEs and cards with a
    /// reader are read through it (see `pcsc::pcsc_connector`), the others in process.
    #[serde(default)]
    pub readers: Vec<crate::pcsc::ReaderEntry>,
    /// Bench: the Mynaportal APK to install (relative to the project directory, or absolute).
    #[serde(default)]
    pub app_apk: Option<PathBuf>,
    /// Bench: `HOST:PORT` of the bench controller (card placement, power, test services, the authority's
    /// test environment).
    #[serde(default)]
    pub controller: Option<String>,
    /// Bench: how phones are reached: `tcp:HOST:PORT` of an adb server (default: `ADB_SERVER_SOCKET`, else
    /// `ANDROID_ADB_SERVER_ADDRESS`/`PORT`, else 127.0.0.1:5037), or `direct` (unit serials are the
    /// phones' `HOST:PORT`, reached over TCP without a server).
    #[serde(default)]
    pub adb: Option<String>,
    /// Model profiles kept outside the project's `devices/models/`: directories of `*.yaml` or single
    /// files, relative to this lab file (see [`LabFile::profile_paths`]).
    #[serde(default)]
    pub profiles: Vec<PathBuf>,
    /// What the harness may do to the lab's test cards (never lock one by default).
    #[serde(default)]
    pub card_safety: CardSafety,
    /// Bench: TLS to the controller (needed unless it is on loopback).
    #[serde(default)]
    pub controller_tls: Option<ControllerTls>,
}

/// `controller_tls:` of a bench lab file: this lab's key and the controller's public key, both made by
/// `mynacert keygen` (paths relative to the project directory, or absolute). Both ends pin each other's
/// key; there is no CA.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerTls {
    /// This lab's private key (`.key`).
    pub key: PathBuf,
    /// The controller's public key (`.pub`).
    pub server: PathBuf,
}

/// `card_safety:` of a lab file. A VERIFY on a test card that could leave it with fewer than `floor`
/// tries is refused (an infrastructure error naming the identity and the tries left), except on the
/// cards of `allow_lock`: ones the issuer's test service (or the virtual lab) can reset. A locked My
/// Number Card signing password is unblocked only in person at a municipal office.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardSafety {
    /// Tries a card always keeps (default 1: never the last one).
    #[serde(default = "one")]
    pub floor: u8,
    /// Identities whose cards may be spent to 0 tries (wrong-PIN scenarios on resettable cards).
    #[serde(default)]
    pub allow_lock: Vec<String>,
}

fn one() -> u8 {
    1
}

impl Default for CardSafety {
    fn default() -> Self {
        CardSafety {
            floor: 1,
            allow_lock: Vec::new(),
        }
    }
}

impl CardSafety {
    /// Why a VERIFY with `tries` left may not be sent to `identity`'s card, if it may not: it could
    /// spend one try (a wrong PIN always does; a "right" one does if the fixture is wrong).
    pub fn refuses(&self, identity: &str, what: &str, tries: Option<u8>) -> Option<String> {
        if self.allow_lock.iter().any(|i| i == identity) {
            return None;
        }
        let hint = "list the identity under the lab file's `card_safety: allow_lock` only if the issuer's test service can reset its card";
        match tries {
            None => Some(format!(
                "the card of `{identity}` is blocked ({what}); not tried: a blocked test card needs the issuer to reset it ({hint})"
            )),
            Some(n) if n.saturating_sub(1) < self.floor => Some(format!(
                "the card of `{identity}` has {n} {what} tr{} left; a VERIFY could leave {}, below the lab's floor of {}: \
                 refused so the test card is not locked ({hint})",
                if n == 1 { "y" } else { "ies" },
                n.saturating_sub(1),
                self.floor
            )),
            Some(_) => None,
        }
    }
}

/// Positions of a lab file's `profiles:` entries.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProfilesSpans {
    profiles: Vec<serde_saphyr::Spanned<String>>,
}

fn two() -> usize {
    2
}

impl LabFile {
    /// What the simulator builds a virtual lab from.
    pub fn virtual_spec(&self) -> mynacert_wire::lab::VirtualSpec {
        mynacert_wire::lab::VirtualSpec {
            id: self.lab.clone(),
            units: self.units.clone(),
            reference_model: self.reference_model.clone(),
            reference_units: self.reference_units,
            ..Default::default()
        }
    }

    /// Loads a lab file (the first problem of its shape; [`LabFile::read`] has every one).
    pub fn load(path: &Path) -> Result<LabFile, LoadError> {
        load_yaml_file(path)
    }

    /// Reads a lab file with its source (for positions); every problem of its shape.
    pub fn read(path: &Path) -> Result<(LabFile, String), Vec<LoadError>> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| vec![LoadError::file(path, format!("cannot read: {e}"))])?;
        let file = crate::scenario::parse::parse_all(path, &source, &crate::scenario::help::LAB)?;
        Ok((file, source))
    }

    /// The `profiles:` entries resolved against the lab file's directory; each one that does not exist
    /// is an error at its `file:line:column`.
    pub fn profile_paths(&self, path: &Path, source: &str) -> Result<Vec<PathBuf>, Vec<LoadError>> {
        let base = path.parent().unwrap_or(Path::new("."));
        let spans =
            crate::scenario::parse::parse_lenient::<ProfilesSpans>(source).unwrap_or_default();
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for (i, p) in self.profiles.iter().enumerate() {
            let resolved = if p.is_absolute() {
                p.clone()
            } else {
                base.join(p)
            };
            if resolved.exists() {
                out.push(resolved);
            } else {
                let pos = spans
                    .profiles
                    .get(i)
                    .and_then(crate::scenario::parse::pos_of)
                    .unwrap_or(crate::scenario::Pos::START);
                errors.push(LoadError::new(
                    path,
                    Some(source),
                    pos,
                    format!(
                        "profiles: `{}` does not exist (resolved to {})",
                        p.display(),
                        resolved.display()
                    ),
                    Some(
                        "`profiles` lists directories of model profiles (*.yaml) or single profile files, relative to this lab file".into(),
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// What is wrong beyond the YAML's shape: unknown model profiles, readers naming no unit or
    /// identity of this lab, a bench without units, addresses that do not parse. Empty when fine.
    pub fn problems(&self, profiles: &[Arc<DeviceProfile>]) -> Vec<String> {
        use crate::scenario::suggest::did_you_mean;
        let mut out = Vec::new();
        let ids = || profiles.iter().map(|p| p.id.as_str());
        let hint = |name: &str, options: Vec<&str>| {
            did_you_mean(name, options)
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        };
        if !ids().any(|p| p == self.reference_model) {
            out.push(format!(
                "reference_model `{}` is no model profile{}",
                self.reference_model,
                hint(&self.reference_model, ids().collect())
            ));
        }
        for id in &self.card_safety.allow_lock {
            if !self.identities.contains(id) {
                out.push(format!(
                    "card_safety: allow_lock names `{id}`, which is not one of the lab's identities{}",
                    hint(id, self.identities.iter().map(String::as_str).collect())
                ));
            }
        }
        for u in &self.units {
            if !ids().any(|p| p == u.profile) {
                out.push(format!(
                    "unit `{}`: no model profile `{}`{}",
                    u.serial,
                    u.profile,
                    hint(&u.profile, ids().collect())
                ));
            }
        }
        for r in &self.readers {
            match r.role() {
                Err(e) => out.push(e),
                Ok(crate::lab::ApduTarget::SecureElement(s)) => {
                    // A virtual lab generates its units: their serials are checked when it is built.
                    if self.kind == LabKind::Bench && !self.units.iter().any(|u| u.serial == s) {
                        let serials: Vec<&str> =
                            self.units.iter().map(|u| u.serial.as_str()).collect();
                        out.push(format!(
                            "reader `{}`: `se: {s}` is not a unit of this lab{}",
                            r.reader,
                            hint(&s, serials)
                        ));
                    }
                }
                Ok(crate::lab::ApduTarget::Card(c)) => {
                    if !self.identities.contains(&c) {
                        out.push(format!(
                            "reader `{}`: `card: {c}` is not one of this lab's identities{}",
                            r.reader,
                            hint(&c, self.identities.iter().map(String::as_str).collect())
                        ));
                    }
                }
            }
        }
        if self.kind == LabKind::Bench {
            if self.units.is_empty() {
                out.push("a bench lists its units: `units: [{ serial: ADB-SERIAL, profile: MODEL, carrier: CARRIER }]`".into());
            }
            if let Some(c) = &self.controller
                && c.rsplit_once(':')
                    .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())
            {
                out.push(format!("controller `{c}`: want HOST:PORT"));
            }
            if let Some(a) = &self.adb
                && a != "direct"
                && !a.starts_with("tcp:")
            {
                out.push(format!(
                    "adb `{a}`: want `tcp:HOST:PORT` (an adb server) or `direct`"
                ));
            }
        } else {
            for (key, set) in [
                ("app_apk", self.app_apk.is_some()),
                ("controller", self.controller.is_some()),
                ("adb", self.adb.is_some()),
            ] {
                if set {
                    out.push(format!(
                        "`{key}:` is for `kind: bench`; a virtual lab has its own"
                    ));
                }
            }
        }
        out
    }
}

/// Loads the named identities from `fixtures/identities/`.
pub fn load_identities(fixtures: &Path, ids: &[String]) -> Result<Vec<Identity>, Vec<LoadError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for id in ids {
        let path = fixtures.join("identities").join(format!("{id}.yaml"));
        match load_yaml_file::<Identity>(&path) {
            Ok(i) => out.push(i),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Reads and parses one YAML file into `T` (unknown keys refused; errors name file:line:column).
pub fn load_yaml_file<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, LoadError> {
    let source = std::fs::read_to_string(path)
        .map_err(|e| LoadError::file(path, format!("cannot read: {e}")))?;
    crate::scenario::parse::parse(path, &source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_keeps_its_floor_unless_the_lab_allows_it_to_lock() {
        let strict = CardSafety::default();
        assert_eq!(strict.refuses("taro", "sign pin", Some(2)), None);
        let why = strict.refuses("taro", "sign pin", Some(1)).unwrap();
        assert!(why.contains("`taro` has 1 sign pin try left"), "{why}");
        assert!(
            strict
                .refuses("taro", "sign pin", None)
                .unwrap()
                .contains("blocked")
        );
        let floor3 = CardSafety {
            floor: 3,
            allow_lock: vec![],
        };
        assert!(floor3.refuses("taro", "sign pin", Some(3)).is_some());
        assert_eq!(floor3.refuses("taro", "sign pin", Some(4)), None);
        let resettable = CardSafety {
            floor: 1,
            allow_lock: vec!["taro".into()],
        };
        assert_eq!(resettable.refuses("taro", "sign pin", Some(1)), None);
        assert_eq!(resettable.refuses("taro", "sign pin", None), None);
        assert!(resettable.refuses("hanako", "sign pin", Some(1)).is_some());
    }

    fn profiles() -> Vec<Arc<DeviceProfile>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        super::super::load_profiles(&root.join("devices/models")).unwrap_or_default()
    }

    fn bench(extra: &str) -> LabFile {
        let text = format!(
            "lab: b\nkind: bench\nreference_model: kumo-km51a\nidentities: [taro]\n{extra}"
        );
        match crate::scenario::parse::parse::<LabFile>(Path::new("bench.yaml"), &text) {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_good_bench_has_no_problems() {
        let lab = bench(
            "controller: 127.0.0.1:15400\nadb: tcp:127.0.0.1:5037\n\
             units:\n  - { serial: R5CT1, profile: kumo-km51a, carrier: docomo }\n\
             readers:\n  - { reader: \"ACS*\", se: R5CT1 }\n  - { reader: \"Sony*\", card: taro }\n",
        );
        assert_eq!(lab.problems(&profiles()), Vec::<String>::new());
    }

    #[test]
    fn bench_problems_are_named_with_suggestions() {
        let lab = bench(
            "controller: nowhere\nadb: 127.0.0.1:5037\n\
             units:\n  - { serial: R5CT1, profile: kumo-km51, carrier: docomo }\n\
             readers:\n  - { reader: \"ACS*\", se: R5CT2 }\n  - { reader: \"Sony*\", card: tara }\n",
        );
        let p = lab.problems(&profiles()).join("\n");
        assert!(
            p.contains("no model profile `kumo-km51` (did you mean `kumo-km51a`?)"),
            "{p}"
        );
        assert!(p.contains("`se: R5CT2` is not a unit of this lab"), "{p}");
        assert!(
            p.contains("`card: tara` is not one of this lab's identities"),
            "{p}"
        );
        assert!(p.contains("controller `nowhere`: want HOST:PORT"), "{p}");
        assert!(
            p.contains("adb `127.0.0.1:5037`: want `tcp:HOST:PORT`"),
            "{p}"
        );
        assert!(
            bench("")
                .problems(&profiles())
                .join("\n")
                .contains("a bench lists its units")
        );
    }
}

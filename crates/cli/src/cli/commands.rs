//! The subcommands.

use super::RunArgs;
use mynacert::carrier::Carriers;
use mynacert::lab::profiles::load_profiles_from;
use mynacert::lab::{LabFile, LabSpec, OpenLab, check_units, load_identities, open_lab};
use mynacert::profile::DeviceProfile;
use mynacert::report::verdict::{ModelVerdict, Verdict};
use mynacert::runner::{Job, Selection, plan_jobs};
use mynacert::scenario::{
    LoadError, LoadErrors, SuiteSet, ValidationContext, load_paths, render_list,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// Why a command could not do its job, by whose fault (the one place that maps faults to exit codes
/// and hints).
#[derive(Debug, Error)]
pub enum CliError {
    /// Bad input files or arguments (exit 2).
    #[error("{0}")]
    Invalid(String),
    /// Bad input whose problems were already printed one by one (exit 2, no hint).
    #[error("{0}")]
    Reported(String),
    /// The lab, a device or the machine failed (exit 3).
    #[error("{0}")]
    Infra(String),
    /// mynacert itself failed: a bug (exit 3, with a hint to report it).
    #[error("{0}")]
    Harness(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Invalid(_) | CliError::Reported(_) => 2,
            CliError::Infra(_) | CliError::Harness(_) => 3,
        }
    }
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            CliError::Invalid(_) => {
                Some("`mynacert validate` checks every file and points at each problem")
            }
            CliError::Harness(_) => {
                Some("this is a bug in mynacert: please report it with the output")
            }
            CliError::Reported(_) | CliError::Infra(_) => None,
        }
    }
}

impl From<mynacert::lab::LabError> for CliError {
    fn from(e: mynacert::lab::LabError) -> Self {
        use mynacert::lab::Fault;
        let text = e.to_string();
        match e.fault() {
            Fault::Input => CliError::Invalid(text),
            Fault::Lab | Fault::Device => CliError::Infra(text),
            Fault::Harness => CliError::Harness(text),
        }
    }
}

/// The directory with suites/, devices/, fixtures/.
pub fn project_root(given: Option<&Path>) -> PathBuf {
    if let Some(g) = given {
        return g.to_path_buf();
    }
    if Path::new("suites").is_dir() && Path::new("devices").is_dir() {
        return PathBuf::from(".");
    }
    // The source tree this binary was built from (this crate lives in `crates/cli`).
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    tree.canonicalize().unwrap_or(tree)
}

/// A lab file loaded with what building its lab needs.
pub struct LoadedLab {
    /// The file's path (relative paths resolved against the project directory).
    pub path: PathBuf,
    pub file: LabFile,
    /// The file's text, for positions.
    pub source: String,
    /// Every model profile under `devices/models/`.
    pub profiles: Vec<Arc<DeviceProfile>>,
    /// The identities the file names, from `fixtures/identities/`.
    pub identities: Vec<mynacert::identity::Identity>,
    /// The known carriers (`devices/carriers.yaml`).
    pub carriers: Carriers,
}

impl LoadedLab {
    /// Refuses a file with problems beyond its YAML shape ([`LabFile::problems`], unknown carriers,
    /// serials listed twice), each named at its `file:line:column`.
    pub fn check(&self) -> Result<(), CliError> {
        let problems = check_units(
            &self.path,
            &self.source,
            &self.file,
            &self.profiles,
            &self.carriers,
        );
        if problems.is_empty() {
            Ok(())
        } else {
            Err(invalid_all(&problems))
        }
    }
}

/// Loads the lab file `lab` (relative to `root` unless absolute), the model profiles — the project's
/// `devices/models/`, the lab file's `profiles:`, then `devices` (`--devices`, files or directories
/// anywhere) — and its identities.
pub fn load_lab(root: &Path, lab: &Path, devices: &[PathBuf]) -> Result<LoadedLab, CliError> {
    let path = if lab.is_absolute() {
        lab.to_path_buf()
    } else {
        root.join(lab)
    };
    let (file, source) = LabFile::read(&path).map_err(|e| invalid_all(&e))?;
    let carriers = Carriers::load(root).map_err(|e| invalid_all(&e))?;
    let mut places = vec![root.join("devices").join("models")];
    places.extend(
        file.profile_paths(&path, &source)
            .map_err(|e| invalid_all(&e))?,
    );
    for d in devices {
        if !d.exists() {
            return Err(CliError::Invalid(format!(
                "--devices {}: no such file or directory",
                d.display()
            )));
        }
        places.push(d.clone());
    }
    let profiles = load_profiles_from(&places, &carriers).map_err(|e| invalid_all(&e))?;
    let identities =
        load_identities(&root.join("fixtures"), &file.identities).map_err(|e| invalid_all(&e))?;
    Ok(LoadedLab {
        path,
        file,
        source,
        profiles,
        identities,
        carriers,
    })
}

pub(super) fn invalid_all(errors: &[mynacert::scenario::LoadError]) -> CliError {
    CliError::Invalid(
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

fn errors_to_string(errors: &LoadErrors) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What suites are checked against: the identities of `fixtures/identities/`.
pub(super) fn validation_context(root: &Path) -> Result<ValidationContext, LoadError> {
    ValidationContext::from_identities_dir(&root.join("fixtures").join("identities"))
}

fn load_suites(root: &Path, paths: &[PathBuf]) -> Result<SuiteSet, CliError> {
    let ctx = validation_context(root).map_err(|e| CliError::Invalid(e.to_string()))?;
    let paths = if paths.is_empty() {
        vec![root.join("suites")]
    } else {
        paths.to_vec()
    };
    load_paths(&paths, &ctx).map_err(|e| CliError::Invalid(errors_to_string(&e)))
}

/// The project's suites (with the certification profile) and the suite files or directories of `--suite`
/// (anywhere); a path inside the project's `suites/` is not loaded twice. Returns the set and the files
/// that came from `--suite`.
fn load_run_suites(root: &Path, extra: &[PathBuf]) -> Result<(SuiteSet, Vec<PathBuf>), CliError> {
    let project = root.join("suites");
    let inside = |p: &Path| {
        let c = |q: &Path| q.canonicalize().unwrap_or_else(|_| q.to_path_buf());
        c(p).starts_with(c(&project))
    };
    let mut paths = vec![project.clone()];
    for p in extra {
        if !p.exists() {
            return Err(CliError::Invalid(format!(
                "--suite {}: no such file or directory",
                p.display()
            )));
        }
        if !inside(p) {
            paths.push(p.clone());
        }
    }
    let set = load_suites(root, &paths)?;
    let canon = |q: &Path| q.canonicalize().unwrap_or_else(|_| q.to_path_buf());
    let wanted: Vec<PathBuf> = extra.iter().map(|p| canon(p)).collect();
    let from_extra = set
        .suites
        .iter()
        .map(|l| canon(&l.path))
        .filter(|f| wanted.iter().any(|w| f.starts_with(w)))
        .collect();
    Ok((set, from_extra))
}

/// `mynacert list`.
pub fn list(root: &Path, paths: &[PathBuf]) -> Result<i32, CliError> {
    let set = load_suites(root, paths)?;
    print!("{}", render_list(&set));
    Ok(0)
}

/// Everything a run needs, loaded and validated.
pub struct Prepared {
    pub set: SuiteSet,
    pub profiles: Vec<Arc<DeviceProfile>>,
    /// The lab, its app flows and how it is reached (what it serves lives as long as it).
    pub lab: OpenLab,
    pub jobs: Vec<Job>,
    /// The lab file (its readers, for the schedule).
    pub file: mynacert::lab::LabFile,
}

/// Suites, profiles, the lab file and the jobs of a selection, loaded and checked (shared by `run` and
/// `plan`).
pub struct Selected {
    pub set: SuiteSet,
    pub loaded: LoadedLab,
    pub jobs: Vec<Job>,
}

/// Loads what `args` selects and plans its jobs.
pub fn select(root: &Path, args: &super::SelectArgs) -> Result<Selected, CliError> {
    let (set, given) = load_run_suites(root, &args.suites)?;
    let loaded = load_lab(root, &args.lab, &args.devices)?;
    loaded.check()?;
    for m in &args.models {
        if !loaded.profiles.iter().any(|p| &p.id == m) {
            let ids: Vec<&str> = loaded.profiles.iter().map(|p| p.id.as_str()).collect();
            return Err(CliError::Invalid(format!(
                "unknown model `{m}`{}",
                mynacert::scenario::suggest::did_you_mean(m, ids.iter().copied())
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default()
            )));
        }
    }
    let selection = Selection {
        models: args.models.clone(),
        scenarios: args.scenarios.clone(),
        tags: args.tags.clone(),
        all: args.all,
        suite_files: given,
    };
    let jobs = plan_jobs(&set, &loaded.profiles, &selection).map_err(CliError::Invalid)?;
    Ok(Selected { set, loaded, jobs })
}

/// How a command reaches its lab's phones (`run` and `worker` share these options).
pub trait LabOptions {
    fn phones(&self) -> super::phones::PhonePath;
    fn adb_port_base(&self) -> u16;
    fn unit_return_timeout(&self) -> u64;
    fn time_scale(&self) -> f64;
    /// `--chaos SEED` (virtual lab).
    fn chaos(&self) -> Option<u64> {
        None
    }
}

impl LabOptions for RunArgs {
    fn phones(&self) -> super::phones::PhonePath {
        self.phones
    }
    fn adb_port_base(&self) -> u16 {
        self.adb_port_base
    }
    fn unit_return_timeout(&self) -> u64 {
        self.unit_return_timeout
    }
    fn time_scale(&self) -> f64 {
        self.time_scale
    }
    fn chaos(&self) -> Option<u64> {
        self.chaos
    }
}

/// The spec the lab factory opens a selection's lab from.
pub fn lab_spec(
    root: &Path,
    loaded: &LoadedLab,
    args: &impl LabOptions,
) -> Result<LabSpec, CliError> {
    // A virtual lab charges device time; a bench measures it.
    let timing = match loaded.file.kind {
        mynacert::lab::LabKind::Virtual => Some(
            mynacert::schedule::load_timing(root).map_err(|e| CliError::Invalid(e.to_string()))?,
        ),
        mynacert::lab::LabKind::Bench => None,
    };
    Ok(LabSpec {
        root: root.to_path_buf(),
        path: loaded.path.clone(),
        file: loaded.file.clone(),
        profiles: loaded.profiles.clone(),
        identities: loaded.identities.clone(),
        phones: args.phones().into(),
        adb_port_base: args.adb_port_base(),
        boot_timeout: std::time::Duration::from_secs(args.unit_return_timeout().max(30)),
        timing,
        time_scale: args.time_scale(),
        chaos: args.chaos(),
    })
}

/// Loads suites, profiles, the lab (through the harness's lab factory, with the simulator for a virtual
/// lab file), and plans jobs.
pub fn prepare(
    root: &Path,
    selection: &super::SelectArgs,
    args: &RunArgs,
) -> Result<Prepared, CliError> {
    let Selected { set, loaded, jobs } = select(root, selection)?;
    let spec = lab_spec(root, &loaded, args)?;
    let lab = open_lab(&spec, Some(mynacert_sim::factory)).map_err(CliError::from)?;
    Ok(Prepared {
        set,
        profiles: loaded.profiles,
        lab,
        jobs,
        file: loaded.file,
    })
}

/// The last line of a run: what the exit code means, and how many certification verdicts are the ones
/// their profiles predict (partial runs are not certifications and are not compared).
pub(super) fn exit_summary(code: i32, v: &[ModelVerdict]) -> String {
    let what = match code {
        0 => "every scenario that ran passed",
        1 => "conformance failures found",
        _ => "incomplete: infrastructure errors",
    };
    let certified: Vec<&ModelVerdict> =
        v.iter().filter(|m| m.verdict != Verdict::Partial).collect();
    let partial = v.len() - certified.len();
    let mut s = format!(
        "{what}; {} of {} model verdicts as their profiles predict",
        certified.iter().filter(|m| m.as_expected).count(),
        certified.len()
    );
    if partial > 0 {
        s.push_str(&format!(
            "; {partial} model(s) partial (the deciding scenarios did not all run: no certification verdict)"
        ));
    }
    s
}

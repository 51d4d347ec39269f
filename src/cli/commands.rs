//! The subcommands.

use super::RunArgs;
use crate::carrier::Carriers;
use crate::lab::bench::BenchLab;
use crate::lab::profiles::load_profiles_from;
use crate::lab::virtual_lab::VirtualLab;
use crate::lab::{Lab, LabFile, LabKind, check_units, load_identities};
use crate::profile::DeviceProfile;
use crate::report::verdict::{ModelVerdict, Verdict, exit_code};
use crate::report::{ConsoleReporter, new_run_id, render_table};
use crate::runner::{Job, RunOptions, Runner};
use crate::scenario::{
    LoadError, LoadErrors, SuiteSet, ValidationContext, load_paths, render_list,
};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// Why a command could not do its job.
#[derive(Debug, Error)]
pub enum CliError {
    /// Bad input files or arguments (exit 2).
    #[error("{0}")]
    Invalid(String),
    /// Bad input whose problems were already printed one by one (exit 2, no hint).
    #[error("{0}")]
    Reported(String),
    /// The lab or the machine failed (exit 3).
    #[error("{0}")]
    Infra(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Invalid(_) | CliError::Reported(_) => 2,
            CliError::Infra(_) => 3,
        }
    }
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            CliError::Invalid(_) => {
                Some("`mynacert validate` checks every file and points at each problem")
            }
            CliError::Reported(_) | CliError::Infra(_) => None,
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
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
    pub identities: Vec<crate::identity::Identity>,
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

pub(super) fn invalid_all(errors: &[crate::scenario::LoadError]) -> CliError {
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
    pub lab: Box<dyn Lab>,
    pub jobs: Vec<Job>,
    /// What the lab is reached through, one line each (printed when the run starts).
    pub paths: Vec<String>,
    /// Served adbds, cards on vpcd, adb server connections: kept for the run, dropped after it.
    pub keep: Vec<Box<dyn std::any::Any>>,
}

/// Loads suites, profiles, the lab, and plans jobs (public for tests and benches).
pub fn prepare(root: &Path, args: &RunArgs) -> Result<Prepared, CliError> {
    let (set, given) = load_run_suites(root, &args.suites)?;
    let LoadedLab {
        path: lab_path,
        file: lab_file,
        profiles,
        identities,
        ..
    } = {
        let loaded = load_lab(root, &args.lab, &args.devices)?;
        loaded.check()?;
        loaded
    };
    for m in &args.models {
        if !profiles.iter().any(|p| &p.id == m) {
            let ids: Vec<&str> = profiles.iter().map(|p| p.id.as_str()).collect();
            return Err(CliError::Invalid(format!(
                "unknown model `{m}`{}",
                crate::scenario::suggest::did_you_mean(m, ids.iter().copied())
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default()
            )));
        }
    }
    let in_file = |e: CliError| match e {
        CliError::Invalid(m) => CliError::Invalid(format!("{}: {m}", lab_path.display())),
        other => other,
    };
    let boot_timeout = std::time::Duration::from_secs(args.unit_return_timeout.max(30));
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    let mut paths = Vec::new();
    let lab: Box<dyn Lab> = match lab_file.kind {
        LabKind::Virtual => {
            let mut lab =
                VirtualLab::build(&lab_file, &profiles, identities, &root.join("fixtures"))
                    .map_err(|e| CliError::Infra(format!("virtual lab: {e}")))?;
            // Cards and SEs with a reader in the lab file are served on it and read through pcscd.
            if let Some(cards) =
                super::cards::serve_readers(&mut lab, &lab_file.readers).map_err(in_file)?
            {
                paths.push(format!(
                    "cards and SEs: {} on vpcd, read through pcscd; the others in process",
                    lab_file.readers.len()
                ));
                keep.push(Box::new(cards));
            }
            let link =
                super::phones::link(&mut lab, args.phones, args.adb_port_base, boot_timeout)?;
            paths.push(link.description.clone());
            keep.push(Box::new(link));
            Box::new(lab)
        }
        LabKind::Bench => {
            if args.phones != super::phones::PhonePath::InProcess {
                return Err(CliError::Invalid(
                    "--phones is for the virtual lab; a bench reaches its phones as its lab file says (`adb:`)"
                        .into(),
                ));
            }
            let env = crate::adb::transport::AdbEnv::from_process().map_err(CliError::Invalid)?;
            let mut lab = BenchLab::build(&lab_file, &profiles, identities, root, &env)
                .map_err(|e| in_file(CliError::Invalid(e.to_string())))?;
            lab.set_boot_timeout(boot_timeout);
            lab.connect_units(std::time::Duration::from_secs(30))
                .map_err(|e| CliError::Infra(format!("bench phones: {e}")))?;
            match lab
                .check_controller()
                .map_err(|e| CliError::Infra(format!("bench controller: {e}")))?
            {
                Some(id) => paths.push(format!(
                    "controller: lab `{id}` at {:?}",
                    lab_file.controller
                )),
                None => paths.push(
                    "controller: none (physical actions asked at the terminal; no authority)"
                        .into(),
                ),
            }
            paths.push(format!("phones: {}", lab.phone_path()));
            Box::new(lab)
        }
    };
    let jobs = plan_jobs(&set, &given, &profiles, args)?;
    Ok(Prepared {
        set,
        profiles,
        lab,
        jobs,
        paths,
        keep,
    })
}

/// The jobs of a run: `--scenario` ids, else every scenario of the `--suite` files (`given`), else
/// `--all`, else the certification set that decides each model; narrowed by `--model` and `--tag`.
fn plan_jobs(
    set: &SuiteSet,
    given: &[PathBuf],
    profiles: &[Arc<DeviceProfile>],
    args: &RunArgs,
) -> Result<Vec<Job>, CliError> {
    let profile = set.profile.as_ref().map(|(_, p)| p);
    let from_given = |l: &crate::scenario::LoadedSuite| {
        let c = l.path.canonicalize().unwrap_or_else(|_| l.path.clone());
        given.contains(&c)
    };
    let mut jobs = Vec::new();
    for model in profiles {
        if !args.models.is_empty() && !args.models.contains(&model.id) {
            continue;
        }
        for (suite, sc) in set.all() {
            let full = format!("{}/{}", suite.suite.suite, sc.id);
            let selected = if !args.scenarios.is_empty() {
                args.scenarios
                    .iter()
                    .any(|s| s == &full || s == &suite.suite.suite)
            } else if !args.suites.is_empty() && !args.all {
                from_given(suite)
            } else if args.all || profile.is_none() {
                true
            } else {
                profile.is_some_and(|p| p.deciding_for(model).contains(&full))
            };
            let tagged = args.tags.is_empty() || args.tags.iter().any(|t| sc.tags.contains(t));
            if selected && tagged {
                jobs.push(Job {
                    full_id: full,
                    scenario: Arc::new(sc.clone()),
                    model: model.clone(),
                });
            }
        }
    }
    if jobs.is_empty() {
        return Err(CliError::Invalid(
            "no scenario matches the selection".into(),
        ));
    }
    Ok(jobs)
}

/// `mynacert run`: journal every finished step and scenario into `<out>/<run-id>/journal.jsonl`, then
/// build every report from that journal.
pub fn run(root: &Path, args: &RunArgs) -> Result<i32, CliError> {
    let mut prepared = prepare(root, args)?;
    let out = if args.out.is_absolute() {
        args.out.clone()
    } else {
        root.join(&args.out)
    };
    let run_dir = out.join(new_run_id());
    let run_id = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut journal = crate::journal::start_run(
        &run_dir,
        &run_id,
        prepared.lab.as_mut(),
        &prepared.set,
        &prepared.profiles,
    )
    .map_err(|e| CliError::Infra(format!("cannot start {}: {e}", run_dir.display())))?;
    eprintln!("run directory: {}", run_dir.display());
    for p in &prepared.paths {
        eprintln!("{p}");
    }
    let progress = !args.no_progress && std::io::stderr().is_terminal();
    let mut reporter = ConsoleReporter::new(progress, args.verbose);
    {
        let mut runner = Runner::new(
            prepared.lab.as_mut(),
            RunOptions {
                retries: args.retries,
                unit_return_timeout: std::time::Duration::from_secs(args.unit_return_timeout),
            },
        );
        let mut fanout = crate::journal::Fanout(vec![&mut reporter, &mut journal]);
        runner.run(&prepared.jobs, &mut fanout);
    }
    drop(reporter);
    prepared.keep.clear();
    if let Some(e) = journal.error() {
        return Err(CliError::Infra(format!("journal incomplete: {e}")));
    }
    journal
        .finish()
        .map_err(|e| CliError::Infra(format!("cannot finish the journal: {e}")))?;
    let j = crate::journal::read_journal(&run_dir).map_err(|e| CliError::Infra(e.to_string()))?;
    let (report, files) = crate::report::write_reports(&run_dir, &j).map_err(|e| {
        CliError::Infra(format!(
            "cannot write reports in {}: {e}",
            run_dir.display()
        ))
    })?;
    let v = &report.verdicts;
    println!("\n{}", render_table(v));
    println!("results: {}", files.results.display());
    let code = exit_code(&report.scenarios, v);
    println!("exit {code}: {}", exit_summary(code, v));
    Ok(code)
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

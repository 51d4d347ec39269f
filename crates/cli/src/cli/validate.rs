//! `mynacert validate`: every file checked against the project (its identities, suites, model profiles and
//! carriers), every problem printed at its `file:line:column`, literal secrets warned about; exit 2 if any
//! problem.

use super::commands::{CliError, validation_context};
use mynacert::carrier::{CARRIERS_FILE, Carriers};
use mynacert::lab::profiles::{load_profiles_from, read_models};
use mynacert::lab::{LabFile, ModelFile, check_models, check_units};
use mynacert::profile::DeviceProfile;
use mynacert::scenario::{LoadError, ValidationContext, help, load_paths, parse, secrets};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What kind of file a YAML document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Suite,
    Lab,
    Identity,
    Device,
    Carriers,
    /// Action durations (`devices/timing.yaml`).
    Timing,
}

/// The kind of a file, from its first top-level key (a file that says nothing is taken for a suite).
fn kind_of(path: &Path) -> FileKind {
    let Ok(text) = std::fs::read_to_string(path) else {
        return FileKind::Suite;
    };
    let key = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#') && !l.starts_with(' '))
        .and_then(|l| l.split(':').next())
        .map(|k| k.trim().to_string())
        .unwrap_or_default();
    match key.as_str() {
        "lab" => FileKind::Lab,
        "carriers" => FileKind::Carriers,
        "person_id" => FileKind::Identity,
        "id" if text.contains("\nperson_id:") => FileKind::Identity,
        "id" => FileKind::Device,
        k if mynacert_wire::timing::Action::ALL
            .iter()
            .any(|a| a.name() == k) =>
        {
            FileKind::Timing
        }
        _ => FileKind::Suite,
    }
}

fn yaml_under(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        if let Ok(rd) = std::fs::read_dir(p) {
            let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            v.sort();
            for q in v {
                yaml_under(&q, out);
            }
        }
    } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
        out.push(p.to_path_buf());
    }
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// Problems and warnings of one `validate`.
#[derive(Default)]
struct Findings {
    problems: Vec<LoadError>,
    warnings: Vec<LoadError>,
}

/// `mynacert validate [PATHS]` (default: `suites/` and `devices/`).
pub fn validate(root: &Path, paths: &[PathBuf]) -> Result<i32, CliError> {
    let paths: Vec<PathBuf> = if paths.is_empty() {
        vec![root.join("suites"), root.join("devices")]
    } else {
        paths.to_vec()
    };
    let mut files = Vec::new();
    for p in &paths {
        if !p.exists() {
            return Err(CliError::Invalid(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
        yaml_under(p, &mut files);
    }
    let mut seen = Vec::new();
    files.retain(|f| {
        let c = canonical(f);
        let new = !seen.contains(&c);
        seen.push(c);
        new
    });
    let by_kind = |k: FileKind| -> Vec<PathBuf> {
        files.iter().filter(|f| kind_of(f) == k).cloned().collect()
    };
    let mut out = Findings::default();
    check_suites(root, &by_kind(FileKind::Suite), &mut out);
    for f in by_kind(FileKind::Identity) {
        if let Err(e) = read_identity(&f) {
            out.problems.extend(e);
        }
    }
    for f in by_kind(FileKind::Timing) {
        if let Err(e) = mynacert::schedule::load_timing_file(&f) {
            out.problems.push(e);
        }
    }
    let devices = by_kind(FileKind::Device);
    let labs = by_kind(FileKind::Lab);
    let carrier_files = by_kind(FileKind::Carriers);
    if !devices.is_empty() || !labs.is_empty() || !carrier_files.is_empty() {
        let carriers = match Carriers::load(root) {
            Ok(c) => Some(c),
            Err(e) => {
                out.problems.extend(e);
                None
            }
        };
        let project_carriers = canonical(&root.join(CARRIERS_FILE));
        for f in carrier_files
            .iter()
            .filter(|f| canonical(f) != project_carriers)
        {
            if let Err(e) = Carriers::load_file(f) {
                out.problems.extend(e);
            }
        }
        let profiles = check_devices(root, &devices, carriers.as_ref(), &mut out);
        if let Some(c) = &carriers {
            for f in &labs {
                match LabFile::read(f) {
                    Ok((file, source)) => {
                        // Profiles the lab file keeps elsewhere (`profiles:`) count for its units.
                        let mut profiles = profiles.clone();
                        match file.profile_paths(f, &source) {
                            Ok(extra) if !extra.is_empty() => {
                                let mut places = vec![root.join("devices").join("models")];
                                places.extend(extra);
                                match load_profiles_from(&places, c) {
                                    Ok(p) => profiles = p,
                                    Err(e) => out.problems.extend(e),
                                }
                            }
                            Ok(_) => {}
                            Err(e) => out.problems.extend(e),
                        }
                        out.problems
                            .extend(check_units(f, &source, &file, &profiles, c));
                    }
                    Err(e) => out.problems.extend(e),
                }
            }
        }
    }
    for w in &out.warnings {
        eprintln!("{w}");
    }
    let warned = match out.warnings.len() {
        0 => String::new(),
        n => format!(", {n} warning(s)"),
    };
    let checked = files.len();
    if out.problems.is_empty() {
        println!("{checked} file(s) valid{warned}");
        Ok(0)
    } else {
        for p in &out.problems {
            eprintln!("{p}");
        }
        Err(CliError::Reported(format!(
            "{checked} file(s) checked, {} problem(s){warned}",
            out.problems.len()
        )))
    }
}

/// Suites and the certification profile: against the identities of `fixtures/identities/` and the ids of
/// the project's `suites/`; literal secrets are warnings.
fn check_suites(root: &Path, suites: &[PathBuf], out: &mut Findings) {
    if suites.is_empty() {
        return;
    }
    let mut ctx = match validation_context(root) {
        Ok(ctx) => ctx,
        Err(e) => {
            // Reported as a problem of its own; the suites are still checked for everything else.
            out.problems.push(e);
            ValidationContext::without_fixtures()
        }
    };
    ctx.project_suites = mynacert::scenario::suite_ids_under(&root.join("suites"));
    if let Err(e) = load_paths(suites, &ctx) {
        out.problems.extend(e.0);
    }
    for f in suites {
        if let Ok(source) = std::fs::read_to_string(f) {
            out.warnings.extend(secrets::warnings(f, &source));
        }
    }
}

fn read_identity(path: &Path) -> Result<mynacert::identity::Identity, Vec<LoadError>> {
    let source = std::fs::read_to_string(path)
        .map_err(|e| vec![LoadError::file(path, format!("cannot read: {e}"))])?;
    parse::parse_all(path, &source, &help::IDENTITY)
}

/// Model profiles given, checked with the project's (`devices/models/`) as context: problems are reported
/// for the given files only. Returns every profile that parsed, for checking lab files.
fn check_devices(
    root: &Path,
    given: &[PathBuf],
    carriers: Option<&Carriers>,
    out: &mut Findings,
) -> Vec<Arc<DeviceProfile>> {
    let given_paths: Vec<PathBuf> = given.iter().map(|p| canonical(p)).collect();
    let (project, _) = read_models(&root.join("devices").join("models"));
    let mut all: Vec<ModelFile> = project
        .into_iter()
        .filter(|m| !given_paths.contains(&canonical(&m.path)))
        .collect();
    for f in given {
        match ModelFile::read(f) {
            Ok(m) => all.push(m),
            Err(e) => out.problems.extend(e),
        }
    }
    if let Some(c) = carriers {
        out.problems.extend(
            check_models(&all, c)
                .into_iter()
                .filter(|e| given_paths.contains(&canonical(&e.path))),
        );
    }
    all.into_iter().map(|m| Arc::new(m.profile)).collect()
}

//! Loading suite files and the certification profile from disk, then validating the whole set.

use super::error::{LoadError, LoadErrors, Pos};
use super::help;
use super::model::{CertificationProfile, Scenario, Suite};
use super::parse::{self, MAX_FILE_BYTES, ProfileSpans, SuiteSpans, TopKeys, pos_of};
use super::suggest::did_you_mean;
use super::validate::{TakenSuite, ValidationContext, validate_suite};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// How deep `load_paths` descends into directories.
const MAX_DIR_DEPTH: usize = 8;

/// One suite file, parsed.
#[derive(Debug, Clone)]
pub struct LoadedSuite {
    /// The file it came from.
    pub path: PathBuf,
    /// SHA-256 (hex) of the file's bytes, recorded in results.
    pub digest: String,
    /// The suite.
    pub suite: Suite,
}

/// Every loaded suite and the certification profile, validated together.
#[derive(Debug, Clone, Default)]
pub struct SuiteSet {
    /// Suites in load order.
    pub suites: Vec<LoadedSuite>,
    /// The certification profile and its file, if one was among the paths.
    pub profile: Option<(PathBuf, CertificationProfile)>,
}

impl SuiteSet {
    /// The scenario with full id `suite/scenario`.
    pub fn scenario(&self, full_id: &str) -> Option<(&LoadedSuite, &Scenario)> {
        let (suite_id, scenario_id) = full_id.split_once('/')?;
        let loaded = self.suite(suite_id)?;
        let sc = loaded
            .suite
            .scenarios
            .iter()
            .find(|s| s.id == scenario_id)?;
        Some((loaded, sc))
    }

    /// The suite with this id.
    pub fn suite(&self, id: &str) -> Option<&LoadedSuite> {
        self.suites.iter().find(|l| l.suite.suite == id)
    }

    /// Every scenario with its suite, in load order.
    pub fn all(&self) -> impl Iterator<Item = (&LoadedSuite, &Scenario)> {
        self.suites
            .iter()
            .flat_map(|l| l.suite.scenarios.iter().map(move |s| (l, s)))
    }

    /// Every full id `suite/scenario`, in load order.
    pub fn full_ids(&self) -> Vec<String> {
        self.all()
            .map(|(l, s)| full_id(&l.suite.suite, &s.id))
            .collect()
    }
}

/// `suite/scenario`.
pub fn full_id(suite: &str, scenario: &str) -> String {
    format!("{suite}/{scenario}")
}

/// Reads a file (size-capped, UTF-8) and its SHA-256.
fn read_source(path: &Path) -> Result<(String, String), LoadError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| LoadError::file(path, format!("cannot read file: {e}")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(LoadError::file(
            path,
            format!(
                "file is {} bytes, more than the {MAX_FILE_BYTES} allowed",
                meta.len()
            ),
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| LoadError::file(path, format!("cannot read file: {e}")))?;
    let digest = hex::encode(Sha256::digest(&bytes));
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix =
            std::str::from_utf8(e.as_bytes().get(..valid).unwrap_or_default()).unwrap_or_default();
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        LoadError::new(
            path,
            None,
            Pos { line, column },
            format!("not UTF-8 (invalid byte at offset {valid})"),
            None,
        )
    })?;
    Ok((text, digest))
}

/// A suite with its source text (kept for positions) and its problems.
struct SuiteFile {
    loaded: LoadedSuite,
    source: String,
    spans: SuiteSpans,
}

fn parse_suite(path: &Path, source: String, digest: String) -> Result<SuiteFile, Vec<LoadError>> {
    let suite: Suite = parse::parse_all(path, &source, &help::SUITE)?;
    let spans = parse::parse_lenient::<SuiteSpans>(&source).unwrap_or_default();
    Ok(SuiteFile {
        loaded: LoadedSuite {
            path: path.to_path_buf(),
            digest,
            suite,
        },
        source,
        spans,
    })
}

/// Loads one suite file and checks it on its own (no fixture or cross-file checks); the first problem
/// is returned. Use [`load_paths`] to get every problem of a whole set.
pub fn load_suite(path: &Path) -> Result<LoadedSuite, LoadError> {
    let (source, digest) = read_source(path)?;
    load_suite_text(path, source, digest)
}

/// [`load_suite`] on text already read (`path` names it in errors; `digest` is recorded).
pub fn load_suite_text(
    path: &Path,
    source: String,
    digest: String,
) -> Result<LoadedSuite, LoadError> {
    let file = parse_suite(path, source, digest).map_err(|e| first_of(path, e))?;
    let errors = validate_suite(
        path,
        &file.source,
        &file.loaded.suite,
        &file.spans,
        &ValidationContext::without_fixtures(),
    );
    match errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(file.loaded),
    }
}

/// Loads the certification profile (its ids are checked only by [`load_paths`]).
pub fn load_profile(path: &Path) -> Result<CertificationProfile, LoadError> {
    let (source, _) = read_source(path)?;
    parse::parse_all(path, &source, &help::SUITE).map_err(|e| first_of(path, e))
}

fn first_of(path: &Path, errors: Vec<LoadError>) -> LoadError {
    errors
        .into_iter()
        .next()
        .unwrap_or_else(|| LoadError::file(path, "invalid file"))
}

/// The suite ids declared by the suite files under `dir` (read leniently: a file that does not parse
/// declares nothing here; validating it says why).
pub fn suite_ids_under(dir: &Path) -> Vec<TakenSuite> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for path in expand(&[dir.to_path_buf()], &mut errors) {
        let Ok(source) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Some(spans) = parse::parse_lenient::<SuiteSpans>(&source) else {
            continue;
        };
        if let Some(id) = &spans.suite {
            out.push(TakenSuite {
                id: id.value.clone(),
                pos: pos_of(id).unwrap_or(Pos::START),
                path,
            });
        }
    }
    out
}

/// Expands files and directories (recursively, `*.yaml`/`*.yml`, sorted) into files.
fn expand(paths: &[PathBuf], errors: &mut Vec<LoadError>) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                errors.push(LoadError::file(dir, format!("cannot read directory: {e}")));
                return;
            }
        };
        let mut found: Vec<(PathBuf, bool)> = entries
            .filter_map(Result::ok)
            .map(|e| (e.path(), e.file_type().is_ok_and(|t| t.is_dir())))
            .collect();
        found.sort();
        for (p, is_dir) in found {
            if is_dir {
                if depth < MAX_DIR_DEPTH {
                    walk(&p, depth + 1, out, errors);
                }
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") && p.is_file() {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = out.len();
            walk(p, 0, &mut out, errors);
            if out.len() == before {
                errors.push(LoadError::file(p, "no *.yaml file in this directory"));
            }
        } else if p.exists() {
            out.push(p.clone());
        } else {
            errors.push(LoadError::file(p, "no such file or directory"));
        }
    }
    let mut seen = HashSet::new();
    out.retain(|p| seen.insert(p.clone()));
    out
}

/// Loads every `*.yaml` under the given files/dirs (a file whose top key is `profile:` is the
/// certification profile), then validates everything. Collects ALL errors, not just the first.
pub fn load_paths(paths: &[PathBuf], ctx: &ValidationContext) -> Result<SuiteSet, LoadErrors> {
    let mut errors = Vec::new();
    let files = expand(paths, &mut errors);
    let mut suites: Vec<SuiteFile> = Vec::new();
    let mut profile: Option<(PathBuf, CertificationProfile, String)> = None;
    let mut failed_suites = 0usize;
    for path in files {
        let (source, digest) = match read_source(&path) {
            Ok(x) => x,
            Err(e) => {
                errors.push(e);
                failed_suites += 1;
                continue;
            }
        };
        let is_profile =
            parse::parse_lenient::<TopKeys>(&source).is_some_and(|k| k.0.contains_key("profile"));
        if is_profile {
            match parse::parse_all::<CertificationProfile>(&path, &source, &help::SUITE) {
                Ok(p) => {
                    if let Some((first, _, _)) = &profile {
                        errors.push(LoadError::new(
                            &path,
                            Some(&source),
                            Pos::START,
                            format!(
                                "second certification profile (the first is {})",
                                first.display()
                            ),
                            None,
                        ));
                    } else {
                        profile = Some((path, p, source));
                    }
                }
                Err(e) => errors.extend(e),
            }
            continue;
        }
        match parse_suite(&path, source, digest) {
            Ok(file) => {
                errors.extend(validate_suite(
                    &path,
                    &file.source,
                    &file.loaded.suite,
                    &file.spans,
                    ctx,
                ));
                suites.push(file);
            }
            Err(e) => {
                errors.extend(e);
                failed_suites += 1;
            }
        }
    }
    check_suite_ids(&suites, &ctx.project_suites, &mut errors);
    let set = SuiteSet {
        suites: suites.into_iter().map(|f| f.loaded).collect(),
        profile: None,
    };
    let profile = profile.map(|(path, p, source)| {
        check_profile(&set, &path, &source, &p, failed_suites > 0, &mut errors);
        (path, p)
    });
    if errors.is_empty() {
        Ok(SuiteSet { profile, ..set })
    } else {
        Err(LoadErrors(errors))
    }
}

fn check_suite_ids(suites: &[SuiteFile], taken: &[TakenSuite], errors: &mut Vec<LoadError>) {
    // The project's files that are loaded here are checked among the loaded ones, not against themselves.
    let loaded: Vec<PathBuf> = suites
        .iter()
        .filter_map(|f| f.loaded.path.canonicalize().ok())
        .collect();
    let taken: Vec<&TakenSuite> = taken
        .iter()
        .filter(|t| t.path.canonicalize().map_or(true, |p| !loaded.contains(&p)))
        .collect();
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    for f in suites {
        let id = f.loaded.suite.suite.as_str();
        let pos = f
            .spans
            .suite
            .as_ref()
            .and_then(pos_of)
            .unwrap_or(Pos::START);
        if let Some(first) = seen.get(id) {
            errors.push(LoadError::new(
                &f.loaded.path,
                Some(&f.source),
                pos,
                format!("duplicate suite id `{id}` (also in {})", first.display()),
                None,
            ));
        } else if let Some(t) = taken.iter().find(|t| t.id == id) {
            errors.push(LoadError::new(
                &f.loaded.path,
                Some(&f.source),
                pos,
                format!(
                    "suite id `{id}` is already taken by {}:{}:{}",
                    t.path.display(),
                    t.pos.line,
                    t.pos.column
                ),
                Some("suite ids are unique across the project: choose another `suite:` id".into()),
            ));
        } else {
            seen.insert(id, &f.loaded.path);
        }
    }
}

fn check_profile(
    set: &SuiteSet,
    path: &Path,
    source: &str,
    profile: &CertificationProfile,
    some_suites_failed: bool,
    errors: &mut Vec<LoadError>,
) {
    let spans = parse::parse_lenient::<ProfileSpans>(source).unwrap_or_default();
    let ids = set.full_ids();
    let mut listed: HashMap<&str, &str> = HashMap::new();
    for (list, entries, spanned) in [
        ("mandatory", &profile.mandatory, &spans.mandatory),
        ("unsupported", &profile.unsupported, &spans.unsupported),
    ] {
        for (k, id) in entries.iter().enumerate() {
            let pos = spanned.get(k).and_then(pos_of).unwrap_or(Pos::START);
            let mut err = |message: String, hint: Option<String>| {
                errors.push(LoadError::new(path, Some(source), pos, message, hint));
            };
            if let Some(first) = listed.get(id.as_str()) {
                err(format!("`{id}` is listed twice (also in `{first}`)"), None);
                continue;
            }
            listed.insert(id, list);
            if set.scenario(id).is_some() {
                continue;
            }
            let suite_known = id
                .split_once('/')
                .is_some_and(|(s, _)| set.suite(s).is_some());
            if some_suites_failed && !suite_known {
                // Its suite may be one that failed to parse: that error is already reported.
                continue;
            }
            let hint = did_you_mean(id, ids.iter().map(String::as_str));
            err(format!("unknown scenario `{id}` in `{list}`"), hint);
        }
    }
}

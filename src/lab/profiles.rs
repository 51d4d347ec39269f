//! Model profiles (`devices/models/*.yaml`) as files: each checked on its own (file name, carriers) and
//! against the others, so that no profile can stand in for another model's units: ids are unique, and a
//! model code with a carrier belongs to one profile.

use crate::carrier::Carriers;
use crate::profile::DeviceProfile;
use crate::scenario::parse::{self, pos_of};
use crate::scenario::{LoadError, Pos, help};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One model profile with its source, for positions.
#[derive(Debug, Clone)]
pub struct ModelFile {
    pub path: PathBuf,
    pub source: String,
    pub profile: DeviceProfile,
    spans: ModelSpans,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct ModelSpans {
    id: Option<Spanned<String>>,
    model_code: Option<Spanned<String>>,
    carriers: Vec<Spanned<String>>,
}

impl ModelFile {
    /// Reads and parses one profile (every problem of its shape).
    pub fn read(path: &Path) -> Result<ModelFile, Vec<LoadError>> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| vec![LoadError::file(path, format!("cannot read: {e}"))])?;
        let profile: DeviceProfile = parse::parse_all(path, &source, &help::DEVICE)?;
        let spans = parse::parse_lenient::<ModelSpans>(&source).unwrap_or_default();
        Ok(ModelFile {
            path: path.to_path_buf(),
            source,
            profile,
            spans,
        })
    }

    fn error(&self, pos: Option<Pos>, message: String, hint: Option<String>) -> LoadError {
        LoadError::new(
            &self.path,
            Some(&self.source),
            pos.unwrap_or(Pos::START),
            message,
            hint,
        )
    }

    fn id_pos(&self) -> Option<Pos> {
        self.spans.id.as_ref().and_then(pos_of)
    }

    fn code_pos(&self) -> Option<Pos> {
        self.spans.model_code.as_ref().and_then(pos_of)
    }

    /// `path:line:column` of a position in this file.
    fn at(&self, pos: Option<Pos>) -> String {
        let p = pos.unwrap_or(Pos::START);
        format!("{}:{}:{}", self.path.display(), p.line, p.column)
    }
}

/// Checks profiles on their own and against each other; every problem is reported at the later file (in
/// the order given) and names the position in the earlier one.
pub fn check_models(files: &[ModelFile], carriers: &Carriers) -> Vec<LoadError> {
    let mut errors = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let p = &f.profile;
        let stem = f.path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if p.id != stem {
            errors.push(f.error(
                f.id_pos(),
                format!("profile id `{}` differs from the file name `{stem}`", p.id),
                None,
            ));
        }
        if let Some(Err(message)) = p.chaos.as_ref().map(|c| c.check()) {
            errors.push(f.error(f.id_pos(), message, None));
        }
        if p.carriers.is_empty() {
            errors.push(f.error(
                f.code_pos(),
                "`carriers` is empty: a model is sold through at least one carrier".into(),
                help::DEVICE.describe("carriers").map(str::to_string),
            ));
        }
        for (k, c) in p.carriers.iter().enumerate() {
            let pos = f.spans.carriers.get(k).and_then(pos_of);
            if let Err((message, hint)) = carriers.check(c) {
                errors.push(f.error(pos, message, hint));
            }
            if p.carriers.iter().take(k).any(|o| o == c) {
                errors.push(f.error(pos, format!("carrier `{c}` is listed twice"), None));
            }
        }
        for earlier in files.iter().take(i) {
            let q = &earlier.profile;
            if q.id == p.id {
                errors.push(f.error(
                    f.id_pos(),
                    format!(
                        "duplicate profile id `{}` (also {})",
                        p.id,
                        earlier.at(earlier.id_pos())
                    ),
                    None,
                ));
            }
            let same_code = q
                .model_code
                .trim()
                .eq_ignore_ascii_case(p.model_code.trim());
            let shared: Vec<&str> = p
                .carriers
                .iter()
                .filter(|c| q.carriers.contains(c))
                .map(String::as_str)
                .collect();
            if same_code && !shared.is_empty() {
                errors.push(f.error(
                    f.code_pos(),
                    format!(
                        "model code `{}` on {} is already profile `{}` ({}): one profile per model code and carrier",
                        p.model_code,
                        shared.join(", "),
                        q.id,
                        earlier.at(earlier.code_pos())
                    ),
                    Some(
                        "a carrier variant with its own model code gets its own profile; the same model on \
                         another carrier is one more entry of `carriers`"
                            .into(),
                    ),
                ));
            }
        }
    }
    errors
}

/// The `*.yaml` files of a directory, sorted.
pub fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| LoadError::file(dir, format!("cannot read directory: {e}")))?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads every profile under `dir`; problems of single files are collected, not fatal.
pub fn read_models(dir: &Path) -> (Vec<ModelFile>, Vec<LoadError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    match yaml_files(dir) {
        Ok(paths) => {
            for path in paths {
                match ModelFile::read(&path) {
                    Ok(f) => files.push(f),
                    Err(e) => errors.extend(e),
                }
            }
        }
        Err(e) => errors.push(e),
    }
    (files, errors)
}

/// Loads every model profile under `dir` (`devices/models`), sorted by id, checked against the carriers
/// of `devices/carriers.yaml` (next to `dir`) and against each other. A directory without any profile is
/// an error.
pub fn load_profiles(dir: &Path) -> Result<Vec<Arc<DeviceProfile>>, Vec<LoadError>> {
    let (files, mut errors) = read_models(dir);
    if files.is_empty() && errors.is_empty() {
        errors.push(LoadError::file(dir, "no model profile (*.yaml) here"));
    }
    match Carriers::for_models_dir(dir) {
        Ok(carriers) => errors.extend(check_models(&files, &carriers)),
        Err(e) => errors.extend(e),
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out: Vec<Arc<DeviceProfile>> = files.into_iter().map(|f| Arc::new(f.profile)).collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// Loads the model profiles of several places — directories of `*.yaml` (the project's `devices/models`
/// first) or single files — checked against `carriers` and against each other across all of them (an id or
/// a model code on a carrier given twice is refused, naming both files). The same file named twice is read
/// once. No profile at all is an error.
pub fn load_profiles_from(
    paths: &[PathBuf],
    carriers: &Carriers,
) -> Result<Vec<Arc<DeviceProfile>>, Vec<LoadError>> {
    let mut files: Vec<ModelFile> = Vec::new();
    let mut errors = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for p in paths {
        let (found, errs) = if p.is_dir() {
            read_models(p)
        } else {
            match ModelFile::read(p) {
                Ok(f) => (vec![f], vec![]),
                Err(e) => (vec![], e),
            }
        };
        errors.extend(errs);
        for f in found {
            let c = f.path.canonicalize().unwrap_or_else(|_| f.path.clone());
            if !seen.contains(&c) {
                seen.push(c);
                files.push(f);
            }
        }
    }
    if files.is_empty() && errors.is_empty() {
        let places: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        errors.push(LoadError::file(
            paths
                .first()
                .map(PathBuf::as_path)
                .unwrap_or(Path::new(".")),
            format!("no model profile (*.yaml) in {}", places.join(", ")),
        ));
    }
    errors.extend(check_models(&files, carriers));
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out: Vec<Arc<DeviceProfile>> = files.into_iter().map(|f| Arc::new(f.profile)).collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// The shipped models plus one more file, in a temporary `devices/` with the shipped carriers.
    fn with_extra(name: &str, text: &str) -> (tempfile::TempDir, Vec<LoadError>) {
        let dir = tempfile::tempdir().unwrap();
        let models = dir.path().join("devices/models");
        std::fs::create_dir_all(&models).unwrap();
        std::fs::copy(
            root().join("devices/carriers.yaml"),
            dir.path().join("devices/carriers.yaml"),
        )
        .unwrap();
        for f in yaml_files(&root().join("devices/models")).unwrap() {
            std::fs::copy(&f, models.join(f.file_name().unwrap())).unwrap();
        }
        std::fs::write(models.join(name), text).unwrap();
        let errors = load_profiles(&models).err().unwrap_or_default();
        (dir, errors)
    }

    fn kumo() -> String {
        std::fs::read_to_string(root().join("devices/models/kumo-km51a.yaml")).unwrap()
    }

    #[test]
    fn the_shipped_profiles_load() {
        assert_eq!(
            load_profiles(&root().join("devices/models")).unwrap().len(),
            6
        );
    }

    #[test]
    fn a_copy_with_the_same_model_code_and_carriers_is_refused_naming_both() {
        let text = kumo().replace("id: kumo-km51a", "id: kumo-km51b");
        let (_d, errors) = with_extra("kumo-km51b.yaml", &text);
        let all = format!("{errors:?}");
        assert_eq!(errors.len(), 1, "{all}");
        assert!(
            all.contains("kumo-km51b.yaml:5:13: model code `KM-51A` on docomo, au is already profile `kumo-km51a` (")
                && all.contains("devices/models/kumo-km51a.yaml:5:13)"),
            "{all}"
        );
    }

    #[test]
    fn a_second_profile_with_the_same_id_is_refused_naming_both() {
        let text = kumo().replace("model_code: KM-51A", "model_code: KM-99Z");
        let (_d, errors) = with_extra("zz-kumo.yaml", &text);
        let all = format!("{errors:?}");
        assert!(
            all.contains("zz-kumo.yaml:2:5: duplicate profile id `kumo-km51a` (also ")
                && all.contains("devices/models/kumo-km51a.yaml:2:5)"),
            "{all}"
        );
    }

    #[test]
    fn unknown_carriers_are_refused_with_the_nearest_known_one() {
        let text = kumo()
            .replace("id: kumo-km51a", "id: kumo-x")
            .replace("model_code: KM-51A", "model_code: KM-X")
            .replace("carriers: [docomo, au]", "carriers: [docmo, \"Softbank \"]");
        let (_d, errors) = with_extra("kumo-x.yaml", &text);
        let all = format!("{errors:?}");
        assert!(
            all.contains("kumo-x.yaml:6:12: unknown carrier `docmo`"),
            "{all}"
        );
        assert!(all.contains("hint: did you mean `docomo`?"), "{all}");
        assert!(
            all.contains("kumo-x.yaml:6:19: unknown carrier `Softbank `"),
            "{all}"
        );
        assert!(all.contains("hint: did you mean `softbank`?"), "{all}");
    }

    #[test]
    fn without_a_carriers_file_no_profile_loads() {
        let dir = tempfile::tempdir().unwrap();
        let models = dir.path().join("devices/models");
        std::fs::create_dir_all(&models).unwrap();
        std::fs::write(models.join("kumo-km51a.yaml"), kumo()).unwrap();
        let e = load_profiles(&models).unwrap_err();
        assert!(
            format!("{e:?}").contains("cannot read the carriers file"),
            "{e:?}"
        );
    }
}

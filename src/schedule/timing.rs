//! The lab's action durations (`devices/timing.yaml`): every action named, none negative.

use crate::lab::load_yaml_file;
use crate::scenario::LoadError;
use mynacert_wire::timing::Timing;
use std::path::Path;

/// The defaults file of a project.
pub const TIMING_FILE: &str = "devices/timing.yaml";

/// Loads and checks `devices/timing.yaml` under `root`: an action it does not name, or a negative
/// duration, is an error (a plan never guesses).
pub fn load_timing(root: &Path) -> Result<Timing, LoadError> {
    load_timing_file(&root.join(TIMING_FILE))
}

/// Loads and checks one timing file (`mynacert validate` checks any file of action durations this way).
pub fn load_timing_file(path: &Path) -> Result<Timing, LoadError> {
    let t: Timing = load_yaml_file(path)?;
    let missing = t.missing();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|a| a.name()).collect();
        return Err(LoadError::file(
            path,
            format!(
                "names no duration for {}: every action needs one (seconds)",
                names.join(", ")
            ),
        ));
    }
    if let Some((a, s)) = t.invalid().first() {
        return Err(LoadError::file(
            path,
            format!("`{}: {s}` is not a duration in seconds", a.name()),
        ));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_defaults_name_every_action() {
        let t = load_timing(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert!(t.missing().is_empty());
    }

    #[test]
    fn a_missing_action_or_a_negative_duration_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("devices")).unwrap();
        std::fs::write(dir.path().join(TIMING_FILE), "reboot: 60\n").unwrap();
        let e = load_timing(dir.path()).unwrap_err().to_string();
        assert!(e.contains("factory_reset"), "{e}");
        let mut all = String::new();
        for a in mynacert_wire::timing::Action::ALL {
            all.push_str(&format!("{}: 1\n", a.name()));
        }
        std::fs::write(
            dir.path().join(TIMING_FILE),
            all.replace("reboot: 1", "reboot: -5"),
        )
        .unwrap();
        let e = load_timing(dir.path()).unwrap_err().to_string();
        assert!(e.contains("reboot: -5"), "{e}");
        std::fs::write(dir.path().join(TIMING_FILE), format!("{all}rebot: 3\n")).unwrap();
        let e = load_timing(dir.path()).unwrap_err().to_string();
        assert!(e.contains("rebot"), "{e}");
    }
}

//! The one helper module of mynacert's system tests (both binaries include it): the project directory,
//! the shipped suites and fleet, labs opened through the harness's lab factory (with the simulator), and
//! the service gates. `adb` and `pcsc` hold what only the tests of those paths need.
#![allow(dead_code)]

pub mod adb;
pub mod pcsc;
pub mod pg;

use mynacert::lab::profiles::load_profiles;
use mynacert::lab::{LabFile, LabSpec, OpenLab, PhonePath, load_flows, load_identities, open_lab};
use mynacert::phone::FlowBook;
use mynacert::profile::DeviceProfile;
use mynacert::scenario::{SuiteSet, ValidationContext, load_paths};
use mynacert_sim::VirtualLab;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The project directory (these tests live in `crates/cli`).
pub fn root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        p.canonicalize().unwrap_or(p)
    })
    .clone()
}

/// The `mynacert` binary, run against the project directory.
pub fn mynacert() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_mynacert"));
    c.arg("--root").arg(root());
    c
}

/// `mynacert lab serve --control 0 --adb-port-base 0 --seconds SECONDS --bench-file BENCH` plus
/// `extra`, started; returns the child and its stdout lines up to the one announcing the bench file.
pub fn lab_serve(
    bench: &Path,
    seconds: u64,
    extra: &[&std::ffi::OsStr],
) -> (std::process::Child, Vec<String>) {
    use std::io::BufRead;
    let mut child = mynacert()
        .args(["lab", "serve", "--control", "0", "--adb-port-base", "0"])
        .arg("--seconds")
        .arg(seconds.to_string())
        .args(extra)
        .arg("--bench-file")
        .arg(bench)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn mynacert lab serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("stdout line");
        if line.starts_with("bench lab file ") {
            break;
        }
        lines.push(line);
    }
    (child, lines)
}

/// `MYNACERT_REQUIRE_SERVICES=1` makes a missing service a failure instead of a loud skip.
pub fn require_services() -> bool {
    std::env::var("MYNACERT_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// The shipped suites (with the certification profile).
pub fn suites() -> SuiteSet {
    let root = root();
    let ctx = ValidationContext::from_identities_dir(&root.join("fixtures/identities"))
        .expect("fixtures/identities");
    load_paths(&[root.join("suites")], &ctx).expect("suites")
}

/// The shipped model profiles.
pub fn profiles() -> Vec<Arc<DeviceProfile>> {
    load_profiles(&root().join("devices/models")).expect("profiles")
}

/// The app's flows.
pub fn flows() -> Arc<FlowBook> {
    load_flows(&root()).expect("fixtures/flows")
}

/// The shipped lab file (`devices/lab.yaml`).
pub fn lab_file() -> LabFile {
    LabFile::load(&root().join("devices/lab.yaml")).expect("devices/lab.yaml")
}

/// The spec of the shipped virtual lab with `profiles`, its phones reached by `phones`.
pub fn spec(profiles: Vec<Arc<DeviceProfile>>, phones: PhonePath) -> LabSpec {
    let root = root();
    let file = lab_file();
    let identities = load_identities(&root.join("fixtures"), &file.identities).expect("identities");
    LabSpec {
        root: root.clone(),
        path: root.join("devices/lab.yaml"),
        file,
        profiles,
        identities,
        phones,
        adb_port_base: 0,
        boot_timeout: Duration::from_secs(20),
        timing: None,
        time_scale: 0.0,
        chaos: None,
    }
}

/// The shipped virtual lab opened through the harness's lab factory (the simulator's virtual lab).
pub fn open(spec: &LabSpec) -> OpenLab {
    match open_lab(spec, Some(mynacert_sim::factory)) {
        Ok(l) => l,
        Err(e) => panic!("opening the virtual lab: {e}"),
    }
}

/// The shipped virtual lab as the simulator's own type, for tests that serve or unplug its parts
/// themselves (the factory keeps those inside the lab it returns).
pub fn virtual_lab_with(profiles: &[Arc<DeviceProfile>]) -> VirtualLab {
    let s = spec(profiles.to_vec(), PhonePath::InProcess);
    VirtualLab::build(
        &s.file.virtual_spec(),
        profiles,
        s.identities,
        &root().join("fixtures"),
    )
    .expect("virtual lab")
}

/// [`virtual_lab_with`] the shipped profiles.
pub fn virtual_lab() -> VirtualLab {
    virtual_lab_with(&profiles())
}

/// The run directories under a reports directory, sorted (the store's file beside them is not one).
pub fn run_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.retain(|p| p.is_dir());
    dirs.sort();
    dirs
}

/// The one run directory under a reports directory.
pub fn the_run_dir(out: &Path) -> PathBuf {
    let dirs = run_dirs(out);
    assert_eq!(
        dirs.len(),
        1,
        "want one run directory in {}: {dirs:?}",
        out.display()
    );
    dirs[0].clone()
}

/// Runner options as `mynacert run` gives them on the shipped lab file (its `card_safety:`).
pub fn run_options() -> mynacert::runner::RunOptions {
    mynacert::runner::RunOptions {
        card_safety: lab_file().card_safety,
        ..Default::default()
    }
}

//! The workspace's boundaries, checked on the real dependency tree (`cargo tree`, from Cargo.lock): the
//! harness never depends on the simulator, not even optionally; the simulator never on the harness; the
//! wire crate on neither. Of the product, only the CLI links both (the fuzz targets, a test tool, do too).

use std::process::Command;

/// The workspace crates in the normal (non-dev) dependency tree of `package`, with every feature on
/// (an optional dependency counts).
fn ours_under(package: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--all-features",
            "--prefix",
            "none",
        ])
        .args(["-p", package])
        .current_dir(crate::common::root())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with("mynacert"))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_harness_never_depends_on_the_simulator() {
    assert_eq!(ours_under("mynacert"), ["mynacert", "mynacert-wire"]);
}

#[test]
fn the_simulator_and_the_wire_crate_never_depend_on_the_harness() {
    assert_eq!(
        ours_under("mynacert-sim"),
        ["mynacert-sim", "mynacert-wire"]
    );
    assert_eq!(ours_under("mynacert-wire"), ["mynacert-wire"]);
}

#[test]
fn only_the_cli_links_harness_and_simulator() {
    assert_eq!(
        ours_under("mynacert-cli"),
        ["mynacert", "mynacert-cli", "mynacert-sim", "mynacert-wire"]
    );
}

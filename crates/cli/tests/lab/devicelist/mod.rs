//! The supported-device list: only verified, trusted bundles of real phones count; results merge across
//! labs and runs; the newest run per model, carrier and build decides; entries match the verdicts; diff
//! against the previous list; the published JSON is signed; the pages are bilingual.

mod pages;
mod supersession;
mod virtual_lab;

use mynacert::bundle::{self, TrustList};
use mynacert::devicelist::{self, BuildOptions, Status};
use mynacert::journal::Journal;
use mynacert::journal::fixture::{attempt, header, journal, model, result, rules, write_run_dir};
use mynacert::profile::Listing;
use mynacert::report::verdict::Verdict;
use mynacert::runner::result::{AttemptStatus, Evidence, ScenarioResult};
use mynacert::types::Rule;
use std::path::{Path, PathBuf};

const MANDATORY: &[&str] = &["s/a", "s/b"];

fn pass(scenario: &str, model: &str, unit: &str, carrier: &str) -> ScenarioResult {
    result(
        scenario,
        model,
        unit,
        carrier,
        &[Rule::R1],
        vec![attempt(1, AttemptStatus::Passed, &[], Evidence::default())],
    )
}

fn fail(scenario: &str, model: &str, unit: &str, carrier: &str) -> ScenarioResult {
    result(
        scenario,
        model,
        unit,
        carrier,
        &[Rule::R2],
        vec![attempt(
            1,
            AttemptStatus::Failed,
            &[Rule::R2],
            Evidence::default(),
        )],
    )
}

struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        for lab in ["lab-a", "lab-b", "rogue"] {
            bundle::generate(&dir.path().join(lab), false).unwrap();
        }
        Keys { dir }
    }
    fn key(&self, lab: &str) -> p256::ecdsa::SigningKey {
        bundle::load_signing_key(&self.dir.path().join(format!("{lab}.key"))).unwrap()
    }
    fn public(&self, lab: &str) -> PathBuf {
        self.dir.path().join(format!("{lab}.pub"))
    }
    fn trust(&self, labs: &[&str]) -> TrustList {
        TrustList::load(&labs.iter().map(|l| self.public(l)).collect::<Vec<_>>()).unwrap()
    }
}

/// Writes a run and its bundle signed by `signer`.
fn make_bundle(
    out: &Path,
    keys: &Keys,
    signer: &str,
    lab: &str,
    run: &str,
    version: &str,
    results: Vec<ScenarioResult>,
) -> PathBuf {
    make_bundle_with(out, keys, signer, lab, run, version, results, |_| {})
}

/// [`make_bundle`], with the journal edited before it is written (times, fingerprints, lab kind).
#[allow(clippy::too_many_arguments)]
fn make_bundle_with(
    out: &Path,
    keys: &Keys,
    signer: &str,
    lab: &str,
    run: &str,
    version: &str,
    results: Vec<ScenarioResult>,
    edit: impl FnOnce(&mut Journal),
) -> PathBuf {
    let models = vec![
        model("m1", "M-1", &["docomo", "au"], Listing::Supported),
        model("m2", "M-2", &["docomo"], Listing::Supported),
        model("m3", "M-3", &["softbank", "rakuten"], Listing::Unsupported),
    ];
    let units = [
        ("A1", "m1", "docomo"),
        ("A2", "m1", "au"),
        ("A3", "m2", "docomo"),
        ("A4", "m3", "softbank"),
        ("A5", "m3", "rakuten"),
    ];
    let mut j = journal(
        header(run, lab, rules(version, MANDATORY, &[]), models, &units),
        results,
        true,
    );
    edit(&mut j);
    let dir = out.join(run);
    write_run_dir(&dir, &j).unwrap();
    let file = out.join(format!("{run}.tar"));
    bundle::sign(&dir, &keys.key(signer), &file).unwrap();
    file
}

/// Sets a run's recorded start and finish times.
fn times(j: &mut Journal, started: &str, finished: &str) {
    j.header.started = started.into();
    j.footer.as_mut().unwrap().finished = finished.into();
}

/// Sets the build fingerprint recorded for a unit.
fn fingerprint(j: &mut Journal, unit: &str, fp: &str) {
    let u = j
        .header
        .units
        .iter_mut()
        .find(|u| u.serial == unit)
        .unwrap();
    u.fingerprint = Some(fp.into());
}

/// Builds a list from real-phone bundles only.
fn build(
    bundles: &[PathBuf],
    trust: &TrustList,
) -> (devicelist::DeviceList, Vec<devicelist::Refusal>) {
    devicelist::build(bundles, trust, &BuildOptions::default())
}

/// The id of a bundle, as the list names it.
fn bundle_id(file: &Path, trust: &TrustList) -> String {
    bundle::verify(file, trust).unwrap().id
}

/// Offset of the first byte of `run/journal.jsonl` inside a bundle.
fn journal_offset(archive: &[u8]) -> usize {
    let mut a = tar::Archive::new(archive);
    for e in a.entries().unwrap() {
        let e = e.unwrap();
        if e.path().unwrap().to_string_lossy() == "run/journal.jsonl" {
            return e.raw_file_position() as usize + 10;
        }
    }
    panic!("no journal in the bundle")
}

fn entry<'a>(l: &'a devicelist::DeviceList, code: &str, carrier: &str) -> &'a devicelist::Entry {
    l.entries
        .iter()
        .find(|e| e.model_code == code && e.carrier == carrier)
        .unwrap_or_else(|| panic!("no entry {code}/{carrier}: {:#?}", l.entries))
}

#[test]
fn labs_merge_per_carrier_and_untrusted_or_tampered_bundles_contribute_nothing() {
    let keys = Keys::new();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    // Lab A covers docomo, lab B covers au: together M-1 is supported on both carriers.
    let a = make_bundle(
        out,
        &keys,
        "lab-a",
        "lab-a",
        "run-a",
        "2026.1",
        vec![
            pass("s/a", "m1", "A1", "docomo"),
            pass("s/b", "m1", "A1", "docomo"),
            pass("s/a", "m2", "A3", "docomo"),
            fail("s/b", "m2", "A3", "docomo"),
        ],
    );
    let b = make_bundle(
        out,
        &keys,
        "lab-b",
        "lab-b",
        "run-b",
        "2026.1",
        vec![pass("s/a", "m1", "A2", "au"), pass("s/b", "m1", "A2", "au")],
    );
    // A rogue bundle claims M-2 passes; it is signed by a key nobody trusts.
    let rogue = make_bundle(
        out,
        &keys,
        "rogue",
        "lab-a",
        "run-rogue",
        "2026.1",
        vec![
            pass("s/a", "m2", "A3", "docomo"),
            pass("s/b", "m2", "A3", "docomo"),
        ],
    );
    // A tampered copy of lab B's bundle.
    let tampered = out.join("tampered.tar");
    let mut bytes = std::fs::read(&b).unwrap();
    let at = journal_offset(&bytes);
    bytes[at] ^= 0x01;
    std::fs::write(&tampered, &bytes).unwrap();

    let trust = keys.trust(&["lab-a", "lab-b"]);
    let (list, refused) = build(&[a.clone(), b.clone()], &trust);
    assert!(refused.is_empty());
    let docomo = entry(&list, "M-1", "docomo");
    assert_eq!(docomo.status, Status::Supported);
    assert_eq!(docomo.labs, vec!["lab-a"]);
    assert_eq!(docomo.units, vec!["lab-a/A1"]);
    assert_eq!(entry(&list, "M-1", "au").status, Status::Supported);
    let m2 = entry(&list, "M-2", "docomo");
    assert_eq!(
        (m2.status, m2.verdict),
        (Status::Planned, Verdict::ConformanceFailures)
    );
    assert_eq!(m2.rules_broken, vec![Rule::R2]);
    assert_eq!(m2.suite_version, "2026.1");

    let (with_rogue, refused) = build(&[a.clone(), b.clone(), rogue, tampered.clone()], &trust);
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(
        refused
            .iter()
            .any(|r| r.reason.contains("not on the trust list"))
    );
    assert!(
        refused
            .iter()
            .any(|r| r.file == tampered && r.reason.contains("TAMPERED"))
    );
    assert_eq!(
        with_rogue.entries, list.entries,
        "refused bundles contribute nothing"
    );

    // Without lab B the au variant is not verified: planned, and the diff says so.
    let (only_a, _) = build(&[a], &trust);
    let au = entry(&only_a, "M-1", "au");
    assert_eq!((au.status, au.verdict), (Status::Planned, Verdict::NotRun));
    let d = devicelist::diff(&only_a, &list);
    assert_eq!(d.changed.len(), 1);
    assert_eq!(
        (d.changed[0].from, d.changed[0].to),
        (Status::Planned, Status::Supported)
    );
    // Each page names the change in its own language.
    let ja = devicelist::render_html(&list, Some(&d), "ja").unwrap();
    assert!(ja.contains("状況変更: M-1 (au) 対応予定 → 対応"), "{ja}");
    let en = devicelist::render_html(&list, Some(&d), "en").unwrap();
    assert!(
        en.contains("status changed: M-1 (au) planned → supported"),
        "{en}"
    );
}

#[test]
fn the_latest_suite_version_wins() {
    let keys = Keys::new();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let old = make_bundle(
        out,
        &keys,
        "lab-a",
        "lab-a",
        "run-old",
        "2026.9",
        vec![
            pass("s/a", "m2", "A3", "docomo"),
            pass("s/b", "m2", "A3", "docomo"),
        ],
    );
    let new = make_bundle(
        out,
        &keys,
        "lab-a",
        "lab-a",
        "run-new",
        "2026.10",
        vec![
            pass("s/a", "m2", "A3", "docomo"),
            fail("s/b", "m2", "A3", "docomo"),
        ],
    );
    let (list, _) = build(&[new.clone(), old.clone()], &keys.trust(&["lab-a"]));
    let e = entry(&list, "M-2", "docomo");
    assert_eq!(
        e.suite_version, "2026.10",
        "numeric version order, not text order"
    );
    assert_eq!(e.verdict, Verdict::ConformanceFailures);
    assert_eq!(e.evidence_bundles.len(), 1);
}

#[test]
fn cli_builds_signed_bilingual_list_matching_the_run_verdicts() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_mynacert");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .args(args)
            .current_dir(tmp.path())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let runs = tmp.path().join("runs");
    let (code, _, err) = run(&["run", "--no-progress", "--out", &runs.to_string_lossy()]);
    assert_eq!(code, Some(1), "{err}");
    let run_dir = std::fs::read_dir(tmp.path().join("runs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .unwrap();
    let rd = run_dir.to_string_lossy().into_owned();
    assert_eq!(run(&["keygen", "--out", "keys/lab"]).0, Some(0));
    assert_eq!(run(&["keygen", "--out", "keys/other"]).0, Some(0));
    let (code, _, err) = run(&[
        "bundle",
        "sign",
        &rd,
        "--key",
        "keys/lab.key",
        "--out",
        "b.tar",
    ]);
    assert_eq!(code, Some(0), "{err}");
    // The virtual lab's bundle is refused, by name, and contributes nothing …
    let build = |extra: &[&str]| {
        let mut args = vec![
            "device-list",
            "build",
            "b.tar",
            "--trust",
            "keys/lab.pub",
            "--key",
            "keys/lab.key",
            "--out",
            "list",
        ];
        args.extend(extra);
        run(&args)
    };
    let (code, _, err) = build(&[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("REFUSED BUNDLE b.tar") && err.contains("is a virtual lab"),
        "{err}"
    );
    let journal = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    assert!(
        journal
            .lines()
            .next()
            .unwrap()
            .contains(r#""lab_kind":"virtual""#),
        "the run records its lab kind"
    );
    let refused: devicelist::DeviceList =
        serde_json::from_slice(&std::fs::read(tmp.path().join("list/device-list.json")).unwrap())
            .unwrap();
    assert!(refused.entries.is_empty() && !refused.allow_virtual);
    // … unless allowed, and then every page says so.
    let (code, _, err) = build(&["--allow-virtual"]);
    assert_eq!(code, Some(0), "{err}");
    for page in ["ja.csv", "en.csv", "ja.html", "en.html"] {
        let text =
            std::fs::read_to_string(tmp.path().join(format!("list/device-list.{page}"))).unwrap();
        assert!(text.contains("--allow-virtual"), "{page}: {text}");
    }
    // Entries match the run's verdicts.
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("results.json")).unwrap()).unwrap();
    let list: devicelist::DeviceList =
        serde_json::from_slice(&std::fs::read(tmp.path().join("list/device-list.json")).unwrap())
            .unwrap();
    for v in results["verdicts"].as_array().unwrap() {
        let code = v["model_code"].as_str().unwrap();
        let verdict = v["verdict"].as_str().unwrap();
        for e in list.entries.iter().filter(|e| e.model_code == code) {
            let expected = match verdict {
                "supported" => Status::Supported,
                "not-supported" => Status::Unsupported,
                _ if e.verdict == Verdict::ConformanceFailures && code == "YK-55" => {
                    Status::Unsupported
                }
                _ => Status::Planned,
            };
            assert_eq!(e.status, expected, "{code} {}: {verdict}", e.carrier);
        }
    }
    assert!(list.allow_virtual && list.entries.iter().all(|e| e.virtual_lab));
    assert_eq!(entry(&list, "KM-51A", "docomo").status, Status::Supported);
    assert_eq!(entry(&list, "TK-10", "rakuten").status, Status::Unsupported);
    let ja = std::fs::read_to_string(tmp.path().join("list/device-list.ja.csv")).unwrap();
    assert!(
        ja.starts_with("メーカー,機種名,型番") && ja.contains("対応予定") && ja.contains("非対応")
    );
    let en = std::fs::read_to_string(tmp.path().join("list/device-list.en.html")).unwrap();
    assert!(en.contains("KM-51A") && en.contains("supported"));
    let ja_html = std::fs::read_to_string(tmp.path().join("list/device-list.ja.html")).unwrap();
    assert!(ja_html.contains("対応機種一覧"));
    // The published JSON is signed; a trusted consumer accepts it, an altered copy is refused.
    let (code, _, _) = run(&[
        "device-list",
        "verify",
        "list/device-list.json",
        "--trust",
        "keys/lab.pub",
    ]);
    assert_eq!(code, Some(0));
    let (code, _, err) = run(&[
        "device-list",
        "verify",
        "list/device-list.json",
        "--trust",
        "keys/other.pub",
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("not on the trust list"));
    let p = tmp.path().join("list/device-list.json");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("\"planned\"", "\"supported\"");
    std::fs::write(&p, text).unwrap();
    let (code, _, err) = run(&[
        "device-list",
        "verify",
        "list/device-list.json",
        "--trust",
        "keys/lab.pub",
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("differs from the one signed"), "{err}");
    // An untrusted bundle is refused, loudly, by device-list build.
    let (code, _, err) = run(&[
        "device-list",
        "build",
        "b.tar",
        "--trust",
        "keys/other.pub",
        "--out",
        "list2",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("REFUSED BUNDLE") && err.contains("not on the trust list"),
        "{err}"
    );
    let empty: devicelist::DeviceList =
        serde_json::from_slice(&std::fs::read(tmp.path().join("list2/device-list.json")).unwrap())
            .unwrap();
    assert!(empty.entries.is_empty());
}

//! Reports from journals: JUnit valid against the Jenkins schema whatever a device printed, the HTML report
//! rendered in headless Chromium, and `mynacert report` after a run killed with SIGKILL.
//!
//! Needs `xmllint` (Debian `libxml2-utils`) and `chromium` (`scripts/setup.sh` installs both). Without them
//! these tests SKIP LOUDLY, unless `MYNACERT_REQUIRE_SERVICES=1` (set by `scripts/test`), when they fail.

use mynacert::journal::fixture::{attempt, header, journal, model, result, rules};
use mynacert::journal::{Journal, read_journal};
use mynacert::profile::Listing;
use mynacert::report::{RunReport, html, junit, write_reports};
use mynacert::runner::result::{AttemptStatus, Evidence};
use mynacert::types::Rule;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mynacert"))
}

fn root() -> PathBuf {
    crate::common::root()
}

/// True when `tool` runs; otherwise skips loudly, or panics when services are required.
fn have(tool: &str, package: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let msg = format!("`{tool}` not found: install Debian `{package}` (scripts/setup.sh)");
        if std::env::var("MYNACERT_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("{msg}");
        }
        eprintln!("\n!!!!! SKIPPED: {msg} !!!!!\n");
    }
    ok
}

fn xmllint(xml: &Path) -> Result<(), String> {
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(root().join("fixtures/schemas/junit-10.xsd"))
        .arg(xml)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Runs headless Chromium on a file and returns the DOM after scripts ran.
fn chromium_dom(html: &Path, query: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{query}", html.display()))
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A journal whose device output is hostile to XML, with every status JUnit must show.
fn hostile() -> Journal {
    let nasty = "logcat: ]]> <![CDATA[ & </system-out> \u{0}NUL \u{1b}[31mANSI \u{7}bell \u{b}vt \u{fffe} ok";
    let ev = Evidence {
        apdu: vec![
            "00 20 00 80 04 ** ** ** ** (redacted)".into(),
            "-> 90 00".into(),
        ],
        commands: vec!["input text ]]>".into()],
        screen: Some("<node text=\"失効完了 ]]>\"/>".into()),
        authority: vec!["sign: valid ]]>".into()],
        logcat: Some(nasty.into()),
        screenshot_png: None,
    };
    let h = header(
        "run-hostile",
        "lab-x",
        rules(
            "1",
            &["s/ok", "s/flaky", "s/fail", "s/error", "s/skip"],
            &[],
        ),
        vec![model("m1", "M-1", &["docomo"], Listing::Supported)],
        &[("U1", "m1", "docomo")],
    );
    let r = |id: &str, attempts| result(id, "m1", "U1", "docomo", &[Rule::R2], attempts);
    journal(
        h,
        vec![
            r(
                "s/ok",
                vec![attempt(1, AttemptStatus::Passed, &[], ev.clone())],
            ),
            r(
                "s/flaky",
                vec![
                    attempt(1, AttemptStatus::Failed, &[Rule::R2], ev.clone()),
                    attempt(2, AttemptStatus::Passed, &[], ev.clone()),
                ],
            ),
            r(
                "s/fail",
                vec![
                    attempt(1, AttemptStatus::Failed, &[Rule::R2], ev.clone()),
                    attempt(2, AttemptStatus::Failed, &[Rule::R2], ev.clone()),
                ],
            ),
            r(
                "s/error",
                vec![attempt(1, AttemptStatus::Error, &[], ev.clone())],
            ),
            r("s/skip", vec![]),
        ],
        true,
    )
}

#[test]
fn junit_is_valid_and_shows_flaky_failure_error_and_skip_whatever_the_device_printed() {
    let j = hostile();
    let report = RunReport::from_journal(&j);
    let xml = junit::render(&j, &report).unwrap();
    // Well-formed (parsed by a strict XML parser), and the device text survives escaped.
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert!(!xml.contains('\u{0}') && !xml.contains('\u{1b}'));
    let case = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {name}"))
    };
    let child = |name: &str, tag: &str| case(name).children().find(|n| n.has_tag_name(tag));
    assert!(child("s/ok", "failure").is_none() && child("s/ok", "flakyFailure").is_none());
    let flaky = child("s/flaky", "flakyFailure").expect("flaky shows its failed attempt");
    assert_eq!(flaky.attribute("type"), Some("R2"));
    assert!(child("s/flaky", "failure").is_none());
    let fail = child("s/fail", "failure").expect("failure");
    assert_eq!(
        fail.attribute("type"),
        Some("R2"),
        "failure type is the rule broken"
    );
    assert!(
        child("s/fail", "rerunFailure").is_some(),
        "earlier attempt kept"
    );
    let err = child("s/error", "error").expect("infrastructure is an <error>");
    assert_eq!(err.attribute("type"), Some("infrastructure"));
    let skip = child("s/skip", "skipped").expect("skipped");
    assert!(
        skip.attribute("message")
            .unwrap_or("")
            .contains("capabilities")
    );
    let out = child("s/fail", "system-out").unwrap().text().unwrap_or("");
    assert!(out.contains("]]>") && out.contains("logcat:") && out.contains("step  2. failed"));
    // What XML cannot carry is shown, not silently dropped.
    assert!(
        out.contains("\\u{0}NUL") && out.contains("\\u{fffe} ok"),
        "{out}"
    );
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("name"), Some("m1 on U1"));
    if have("xmllint", "libxml2-utils") {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("junit.xml");
        std::fs::write(&f, &xml).unwrap();
        xmllint(&f).unwrap_or_else(|e| panic!("junit.xml is not valid against junit-10.xsd: {e}"));
    }
}

#[test]
fn html_report_escapes_device_text_and_renders_in_headless_chromium() {
    let mut j = hostile();
    j.header.phones = Some("ADB through the adb server at 127.0.0.1:5037 <b>".into());
    let report = RunReport::from_journal(&j);
    let page = html::render(&j, &report).unwrap();
    assert!(
        page.contains("phones: ADB through the adb server at 127.0.0.1:5037 &lt;b&gt;"),
        "the run's phone path is shown, escaped"
    );
    assert!(
        !page.contains("<![CDATA[ & </system-out>"),
        "device text is escaped"
    );
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no network"
    );
    if !have("chromium", "chromium") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("report.html");
    std::fs::write(&f, &page).unwrap();
    let dom = chromium_dom(&f, "");
    for visible in [
        "Verdicts per model",
        "Rules × model",
        "conformance failures",
        "s/fail",
        "APDU trace (secrets redacted)",
        "logcat excerpt",
        "失効完了",
        "attempt 2: failed",
    ] {
        assert!(dom.contains(visible), "rendered page lacks `{visible}`");
    }
    assert!(
        dom.contains("data-filtered=\"yes\""),
        "the filter script ran"
    );
    assert!(dom.contains("<span id=\"shown\">5</span>"));
    // The status filter from the query string leaves only the failed scenario shown.
    let dom = chromium_dom(&f, "?status=failed");
    assert!(
        dom.contains("<span id=\"shown\">1</span>"),
        "filter by status"
    );
}

/// `mynacert run ARGS --out OUT` on the virtual lab, expecting exit `code`; the run directory.
fn run_virtual_lab(out: &Path, args: &[&str], code: i32) -> PathBuf {
    let o = bin()
        .args(["run", "--no-progress"])
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    crate::common::the_run_dir(out)
}

#[test]
fn full_virtual_lab_run_gives_valid_junit_and_a_rendered_html_report() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = run_virtual_lab(dir.path(), &[], 1);
    for f in ["journal.jsonl", "results.json", "junit.xml", "report.html"] {
        assert!(run_dir.join(f).is_file(), "{f} missing");
    }
    let j = read_journal(&run_dir).unwrap();
    assert!(!j.interrupted());
    assert!(j.header.units.iter().all(|u| u.fingerprint.is_some()));
    assert!(j.header.suites.iter().any(|s| s.id == "certification"));
    // The suite files as run are in the run directory, with the digests recorded.
    for s in &j.header.suites {
        let bytes = std::fs::read(run_dir.join(&s.file)).unwrap();
        assert_eq!(s.digest.len(), 64);
        assert!(!bytes.is_empty());
    }
    if have("xmllint", "libxml2-utils") {
        xmllint(&run_dir.join("junit.xml")).unwrap_or_else(|e| panic!("{e}"));
    }
    if have("chromium", "chromium") {
        let dom = chromium_dom(&run_dir.join("report.html"), "");
        for visible in ["KM-51A", "Kumo Sora 5", "supported", "not supported", "R9"] {
            assert!(dom.contains(visible), "rendered report lacks {visible}");
        }
    }
    // The reports are a pure function of the journal: rebuilding gives the same bytes.
    let before = std::fs::read(run_dir.join("junit.xml")).unwrap();
    let html_before = std::fs::read(run_dir.join("report.html")).unwrap();
    write_reports(&run_dir, &j).unwrap();
    assert_eq!(before, std::fs::read(run_dir.join("junit.xml")).unwrap());
    assert_eq!(
        html_before,
        std::fs::read(run_dir.join("report.html")).unwrap()
    );
}

#[test]
fn a_run_killed_with_sigkill_reports_every_finished_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let journal = loop {
        assert!(Instant::now() < deadline, "no journal appeared");
        let found = crate::common::run_dirs(dir.path())
            .first()
            .map(|d| d.join("journal.jsonl"));
        if let Some(j) = found
            && let Ok(text) = std::fs::read_to_string(&j)
            && text.matches("\"kind\":\"scenario\"").count() >= 5
        {
            break j;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        !text.contains("\"kind\":\"finished\""),
        "the run ended before it could be killed: the test proves nothing"
    );
    let run_dir = journal.parent().unwrap();
    let out = bin().arg("report").arg(run_dir).output().unwrap();
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("results.json")).unwrap()).unwrap();
    // The run's exit code: 1 when the finished scenarios already hold conformance failures, else 3
    // (an interrupted run is incomplete), never 0.
    let failures = results["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["verdict"] == "conformance-failures");
    assert_eq!(
        out.status.code(),
        Some(if failures { 1 } else { 3 }),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    // Every scenario line that was complete on disk is in the rebuilt results.
    let finished: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "scenario")
        .map(|v| format!("{}@{}", v["result"]["scenario"], v["result"]["unit"]))
        .collect();
    assert!(finished.len() >= 5);
    assert_eq!(results["interrupted"], true);
    let mut reported: Vec<String> = results["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{}@{}", s["scenario"], s["unit"]))
        .collect();
    // The journal holds them as they finished, the report in plan order.
    let mut finished = finished;
    finished.sort();
    reported.sort();
    assert_eq!(reported, finished);
    assert!(run_dir.join("junit.xml").is_file() && run_dir.join("report.html").is_file());
}

#[test]
fn setup_and_cleanup_steps_are_journal_lines_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = run_virtual_lab(dir.path(), &["--model", "kumo-km51a"], 0);
    let j = read_journal(&run_dir).unwrap();
    let scenario = "provisioning/issue-both";
    let unit = j
        .steps
        .iter()
        .find(|s| s.scenario == scenario)
        .and_then(|s| s.unit.clone());
    assert!(unit.is_some());
    let phases: Vec<mynacert::runner::result::Phase> = j
        .steps
        .iter()
        .filter(|s| s.scenario == scenario && s.attempt == 1 && s.unit == unit)
        .map(|s| s.phase)
        .collect();
    use mynacert::runner::result::Phase::{Cleanup, Setup, Step};
    // Setup lines first, then the scenario's steps, then clean-up, each part as it ended.
    let first = |p| phases.iter().position(|x| *x == p).unwrap_or(usize::MAX);
    let last = |p| phases.iter().rposition(|x| *x == p).unwrap_or(0);
    assert!(
        phases.contains(&Setup) && phases.contains(&Step) && phases.contains(&Cleanup),
        "{phases:?}"
    );
    assert!(
        last(Setup) < first(Step) && last(Step) < first(Cleanup),
        "{phases:?}"
    );
    // The scenario line holds the same setup steps.
    let sc = j
        .scenarios
        .iter()
        .find(|s| s.result.scenario == scenario && s.result.unit == unit)
        .unwrap();
    let setup_lines = phases.iter().filter(|p| **p == Setup).count();
    assert_eq!(sc.result.attempts[0].setup.len(), setup_lines);
}

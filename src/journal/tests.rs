use super::fixture::{attempt, header, model, result, rules};
use super::*;
use crate::profile::Listing;
use crate::runner::result::{AttemptStatus, Evidence};
use crate::runner::{Reporter, RunEvent};
use crate::types::Rule;

fn sample_header() -> RunHeader {
    header(
        "run-test",
        "lab-a",
        rules("1", &["s/a"], &[]),
        vec![model("m1", "M-1", &["docomo"], Listing::Supported)],
        &[("U1", "m1", "docomo")],
    )
}

#[test]
fn every_finished_step_and_scenario_is_a_line_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let mut w = JournalWriter::create(&path, &sample_header()).unwrap();
    let r = result(
        "s/a",
        "m1",
        "U1",
        "docomo",
        &[Rule::R2],
        vec![
            attempt(1, AttemptStatus::Failed, &[Rule::R2], Evidence::default()),
            attempt(2, AttemptStatus::Passed, &[], Evidence::default()),
        ],
    );
    w.event(&RunEvent::ScenarioStarted {
        index: 1,
        total: 1,
        scenario: "s/a",
        model: "m1",
        unit: Some("U1"),
    });
    for a in &r.attempts {
        for s in &a.steps {
            w.event(&RunEvent::StepFinished {
                index: 1,
                scenario: "s/a",
                attempt: a.number,
                phase: crate::runner::result::Phase::Step,
                step: s,
            });
        }
    }
    // Before the scenario finishes, the steps are already on disk.
    let partial = read_journal(dir.path()).unwrap();
    assert_eq!(partial.steps.len(), 4);
    assert_eq!(
        partial.steps.iter().map(|s| s.attempt).collect::<Vec<_>>(),
        vec![1, 1, 2, 2]
    );
    assert!(partial.scenarios.is_empty() && partial.interrupted());
    w.event(&RunEvent::ScenarioFinished {
        index: 1,
        total: 1,
        result: &r,
    });
    w.finish().unwrap();
    let j = read_journal(&path).unwrap();
    assert_eq!(j.scenarios.len(), 1);
    assert_eq!(j.scenarios[0].result.attempts.len(), 2);
    assert_eq!(
        j.scenarios[0].fingerprints.get("U1").map(String::as_str),
        Some("test/m1/U1:14/TEST/1:user/release-keys")
    );
    assert!(!j.interrupted() && !j.torn_tail);
    assert_eq!(j.header.run_id, "run-test");
}

#[test]
fn a_torn_last_line_is_ignored_but_a_bad_middle_line_is_an_error() {
    let j = fixture::journal(
        sample_header(),
        vec![result("s/a", "m1", "U1", "docomo", &[], vec![])],
        false,
    );
    let mut bytes = fixture::to_jsonl(&j);
    let whole = bytes.len();
    bytes.extend_from_slice(b"{\"kind\":\"scenario\",\"run_id\":\"run-te");
    let p = std::path::Path::new("j.jsonl");
    let back = Journal::parse(&bytes, p).unwrap();
    assert!(back.torn_tail);
    assert_eq!(back.scenarios.len(), 1);
    // The same garbage followed by a newline is not a torn write: refuse, naming the line.
    let mut bad = bytes[..whole].to_vec();
    bad.extend_from_slice(b"garbage\n");
    bad.extend_from_slice(&fixture::to_jsonl(&j)[whole - 10..]);
    match Journal::parse(&bad, p) {
        Err(JournalError::Malformed { line, .. }) => assert_eq!(line, 3),
        other => panic!("expected a malformed line, got {other:?}"),
    }
    assert!(Journal::parse(b"", p).is_err());
}

#[test]
fn the_journal_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, b"x").unwrap();
    assert!(JournalWriter::create(&path, &sample_header()).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"x");
}

//! Store tests on a real SQLite file (the PostgreSQL ones run in the system tests, against a real server).

use super::*;
use crate::journal::fixture::{attempt, header, journal, model, result, rules};
use crate::journal::{Journal, StepEntry};
use crate::profile::Listing;
use crate::runner::result::{AttemptStatus, Evidence, Phase, StepStatus};
use crate::types::Rule;

fn sample(run_id: &str, started: &str, status: AttemptStatus) -> Journal {
    let mut h = header(
        run_id,
        "lab-a",
        rules("1", &["s/a"], &[]),
        vec![model("m1", "M-1", &["docomo"], Listing::Supported)],
        &[("U1", "m1", "docomo")],
    );
    h.started = started.into();
    let r = result(
        "s/a",
        "m1",
        "U1",
        "docomo",
        &[Rule::R2],
        vec![attempt(1, status, &[], Evidence::default())],
    );
    let mut j = journal(h, vec![r], true);
    j.steps.push(StepEntry {
        run_id: run_id.into(),
        at: started.into(),
        scenario: "s/a".into(),
        model: "m1".into(),
        unit: Some("U1".into()),
        attempt: 1,
        index: Some(1),
        phase: Phase::Step,
        step: crate::journal::fixture::step(1, "provision on=phone", StepStatus::Passed, "ok"),
    });
    j
}

fn sqlite(dir: &tempfile::TempDir) -> Location {
    Location::Sqlite(dir.path().join("store.sqlite"))
}

#[test]
fn a_password_never_shows_in_a_location() {
    assert_eq!(
        redact_url("postgres://lab:s3cret@db.example:5432/mynacert"),
        "postgres://lab:***@db.example:5432/mynacert"
    );
    assert_eq!(
        redact_url("postgres://db/mynacert?user=lab&password=s3cret&sslmode=disable"),
        "postgres://db/mynacert?user=lab&password=***&sslmode=disable"
    );
    assert_eq!(redact_url("postgres://lab@db/x"), "postgres://lab@db/x");
    let loc = Location::parse("postgresql://u:pw@h/d", Path::new("/"));
    assert!(!loc.display().contains("pw"));
}

#[test]
fn a_plain_path_or_sqlite_prefix_is_an_sqlite_file_under_the_base() {
    let base = Path::new("/srv/lab");
    assert_eq!(
        Location::parse("reports/x.sqlite", base),
        Location::Sqlite(base.join("reports/x.sqlite"))
    );
    assert_eq!(
        Location::parse("sqlite:/tmp/y.db", base),
        Location::Sqlite("/tmp/y.db".into())
    );
}

#[test]
fn an_imported_run_reads_back_as_its_journal_and_a_reimport_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let j = sample("run-1", "2026-11-30T10:00:00Z", AttemptStatus::Passed);
    let mut store = Store::open(&sqlite(&dir)).unwrap();
    let first = store.import(&j, None, "bench-1").unwrap();
    assert_eq!(
        (first.executions, first.steps, first.replaced),
        (1, 1, false)
    );
    let back = store.journal("run-1").unwrap();
    let json =
        |j: &Journal| serde_json::to_string(&crate::report::RunReport::from_journal(j)).unwrap();
    assert_eq!(
        json(&back),
        json(&j),
        "the report from the store is the journal's"
    );
    assert_eq!(back.steps.len(), 1);
    // Imported again (the journal is the source of truth): replaced, not doubled.
    assert!(store.import(&j, None, "bench-1").unwrap().replaced);
    drop(store);
    let mut again = Store::open(&sqlite(&dir)).unwrap();
    let runs = again.runs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].executions, runs[0].hosts.clone()),
        (1, vec!["bench-1".to_string()])
    );
    assert!(matches!(
        again.journal("run-9"),
        Err(StoreError::NoRun { .. })
    ));
}

#[test]
fn an_older_schema_is_migrated_and_a_newer_one_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let loc = sqlite(&dir);
    let mut old = Store::open_at(&loc, 1).unwrap();
    assert_eq!(old.schema_version().unwrap(), 1);
    old.import(
        &sample("run-1", "2026-11-30T10:00:00Z", AttemptStatus::Passed),
        None,
        "h",
    )
    .unwrap();
    drop(old);
    let mut now = Store::open(&loc).unwrap();
    assert_eq!(now.schema_version().unwrap(), schema::LATEST);
    assert_eq!(now.runs().unwrap().len(), 1, "the migration kept the run");
    now.db
        .execute("UPDATE mynacert_schema SET version = 99", &[])
        .unwrap();
    drop(now);
    let err = Store::open(&loc).err().unwrap();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.is_input());
    assert!(err.to_string().contains("use a newer mynacert"), "{err}");
}

#[test]
fn a_damaged_row_is_named_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&sqlite(&dir)).unwrap();
    store
        .import(
            &sample("run-1", "2026-11-30T10:00:00Z", AttemptStatus::Passed),
            None,
            "h",
        )
        .unwrap();
    store
        .db
        .execute(
            "UPDATE executions SET entry = '{\"index\": 1' WHERE run_id = 'run-1'",
            &[],
        )
        .unwrap();
    let err = store.journal("run-1").unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            StoreError::BadRow {
                table: "executions",
                ..
            }
        ),
        "{text}"
    );
    assert!(text.contains("run-1/1") && text.contains("entry"), "{text}");
}

#[test]
fn history_over_three_imported_runs_names_the_regression_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&sqlite(&dir)).unwrap();
    for (id, at, st) in [
        ("run-1", "2026-11-28T10:00:00Z", AttemptStatus::Passed),
        ("run-2", "2026-11-29T10:00:00Z", AttemptStatus::Failed),
        ("run-3", "2026-11-30T10:00:00Z", AttemptStatus::Passed),
    ] {
        store.import(&sample(id, at, st), None, "h").unwrap();
    }
    let h = store.history(&history::Filter::default()).unwrap();
    assert_eq!(h.len(), 1);
    let kinds: Vec<(history::ChangeKind, &str)> = h[0]
        .changes
        .iter()
        .map(|c| (c.kind.clone(), c.run_id.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (history::ChangeKind::Regression, "run-2"),
            (history::ChangeKind::Fix, "run-3")
        ]
    );
}

//! History across runs, per model × scenario: regressions (passed in the previous run of the same suite
//! version, fails now), fixes, flaky across runs, duration trends. The rules are pure functions of the
//! rows ([`history_of`]); the store only reads the rows.

use super::{Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

/// One execution as history sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub run_id: String,
    pub started: String,
    pub suite_version: Option<String>,
    /// `passed`, `flaky`, `failed`, `error`, `skipped` (the worst over the model's carrier variants).
    pub status: String,
    pub duration_ms: f64,
}

/// What changed between two runs of one suite version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Passed in the previous run, fails in this one.
    Regression,
    /// Failed in the previous run, passes in this one.
    Fix,
}

/// A regression or a fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub run_id: String,
    pub previous_run_id: String,
}

/// The history of one scenario on one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub model: String,
    pub scenario: String,
    /// Oldest first.
    pub outcomes: Vec<Outcome>,
    pub changes: Vec<Change>,
    /// A retry passed after a failure in some run, or the outcome flipped between passing and failing
    /// three times or more.
    pub flaky_across_runs: bool,
    /// Mean duration of the last run against the mean of the runs before it (`None` with one run).
    pub duration_change: Option<f64>,
}

/// The rows [`history_of`] reads: one per execution.
#[derive(Debug, Clone)]
pub struct Row {
    pub run_id: String,
    pub started: String,
    pub suite_version: Option<String>,
    pub model: String,
    pub scenario: String,
    pub status: String,
    pub duration_ms: f64,
}

/// What to show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub model: Option<String>,
    pub scenario: Option<String>,
    /// The last N runs of each series (0: all).
    pub last: usize,
}

fn rank(status: &str) -> u8 {
    match status {
        "failed" => 4,
        "error" => 3,
        "flaky" => 2,
        "passed" => 1,
        _ => 0,
    }
}

fn passes(status: &str) -> bool {
    matches!(status, "passed" | "flaky")
}

/// The series of the rows, by model then scenario.
pub fn history_of(rows: &[Row], last: usize) -> Vec<Series> {
    // (model, scenario) → run → outcome; the worst status of a run's carrier variants stands for it.
    let mut by: BTreeMap<(String, String), BTreeMap<(String, String), Outcome>> = BTreeMap::new();
    for r in rows {
        let runs = by.entry((r.model.clone(), r.scenario.clone())).or_default();
        let o = runs
            .entry((r.started.clone(), r.run_id.clone()))
            .or_insert_with(|| Outcome {
                run_id: r.run_id.clone(),
                started: r.started.clone(),
                suite_version: r.suite_version.clone(),
                status: r.status.clone(),
                duration_ms: 0.0,
            });
        if rank(&r.status) > rank(&o.status) {
            o.status = r.status.clone();
        }
        o.duration_ms = o.duration_ms.max(r.duration_ms);
    }
    by.into_iter()
        .map(|((model, scenario), runs)| {
            let mut outcomes: Vec<Outcome> = runs
                .into_values()
                .filter(|o| o.status != "skipped")
                .collect();
            if last > 0 && outcomes.len() > last {
                outcomes.drain(..outcomes.len() - last);
            }
            series(model, scenario, outcomes)
        })
        .filter(|s| !s.outcomes.is_empty())
        .collect()
}

fn series(model: String, scenario: String, outcomes: Vec<Outcome>) -> Series {
    let mut changes = Vec::new();
    let mut flips = 0;
    for pair in outcomes.windows(2) {
        let (prev, now) = (&pair[0], &pair[1]);
        let (p, n) = (passes(&prev.status), passes(&now.status));
        let decided = |s: &str| passes(s) || s == "failed";
        if decided(&prev.status) && decided(&now.status) && p != n {
            flips += 1;
        }
        // A change is only one within a suite version: a new suite is a new baseline.
        if prev.suite_version != now.suite_version {
            continue;
        }
        let kind = match (p, now.status.as_str(), prev.status.as_str()) {
            (true, "failed", _) => Some(ChangeKind::Regression),
            (false, _, "failed") if n => Some(ChangeKind::Fix),
            _ => None,
        };
        if let Some(kind) = kind {
            changes.push(Change {
                kind,
                run_id: now.run_id.clone(),
                previous_run_id: prev.run_id.clone(),
            });
        }
    }
    let flaky_across_runs = outcomes.iter().any(|o| o.status == "flaky") || flips >= 3;
    let duration_change = match outcomes.split_last() {
        Some((last, before)) if !before.is_empty() => {
            let mean = before.iter().map(|o| o.duration_ms).sum::<f64>() / before.len() as f64;
            (mean > 0.0).then(|| last.duration_ms / mean)
        }
        _ => None,
    };
    Series {
        model,
        scenario,
        outcomes,
        changes,
        flaky_across_runs,
        duration_change,
    }
}

impl Store {
    /// The history rows, oldest run first.
    pub fn history_rows(&mut self, f: &Filter) -> Result<Vec<Row>, StoreError> {
        let rows = self
            .db
            .query(
                "SELECT e.run_id, r.started, r.suite_version, e.model, e.scenario, e.status, e.duration_ms
                 FROM executions e JOIN runs r ON r.run_id = e.run_id
                 WHERE ($1 = '' OR e.model = $1) AND ($2 = '' OR e.scenario = $2)
                 ORDER BY r.started, e.run_id, e.idx",
                &[
                    f.model.clone().unwrap_or_default().into(),
                    f.scenario.clone().unwrap_or_default().into(),
                ],
            )
            .map_err(|e| self.query_error("reading history", e))?;
        rows.iter()
            .map(|r| {
                let bad = |e| self.bad_row("executions", r.text(0).unwrap_or_default(), e);
                Ok(Row {
                    run_id: r.text(0).map_err(bad)?,
                    started: r.text(1).map_err(bad)?,
                    suite_version: r.opt_text(2).map_err(bad)?,
                    model: r.text(3).map_err(bad)?,
                    scenario: r.text(4).map_err(bad)?,
                    status: r.text(5).map_err(bad)?,
                    duration_ms: r.real(6).map_err(bad)?,
                })
            })
            .collect()
    }

    /// The history the filter asks for.
    pub fn history(&mut self, f: &Filter) -> Result<Vec<Series>, StoreError> {
        Ok(history_of(&self.history_rows(f)?, f.last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(run: &str, status: &str, ms: f64) -> Row {
        Row {
            run_id: run.into(),
            started: format!("2026-11-30T0{}:00:00Z", &run[1..]),
            suite_version: Some("1.0".into()),
            model: "m".into(),
            scenario: "s/a".into(),
            status: status.into(),
            duration_ms: ms,
        }
    }

    #[test]
    fn pass_fail_pass_names_the_regression_and_the_fix() {
        let rows = [
            row("r1", "passed", 10.0),
            row("r2", "failed", 10.0),
            row("r3", "passed", 20.0),
        ];
        let h = history_of(&rows, 0);
        assert_eq!(h.len(), 1);
        assert_eq!(
            h[0].changes,
            vec![
                Change {
                    kind: ChangeKind::Regression,
                    run_id: "r2".into(),
                    previous_run_id: "r1".into()
                },
                Change {
                    kind: ChangeKind::Fix,
                    run_id: "r3".into(),
                    previous_run_id: "r2".into()
                },
            ]
        );
        assert!(
            !h[0].flaky_across_runs,
            "two flips are a regression and its fix"
        );
        assert_eq!(h[0].duration_change, Some(2.0));
    }

    #[test]
    fn a_new_suite_version_is_a_new_baseline_and_errors_are_no_regression() {
        let mut rows = vec![row("r1", "passed", 1.0), row("r2", "error", 1.0)];
        let mut r3 = row("r3", "failed", 1.0);
        r3.suite_version = Some("2.0".into());
        rows.push(r3);
        let h = history_of(&rows, 0);
        assert!(h[0].changes.is_empty(), "{:?}", h[0].changes);
    }

    #[test]
    fn the_worst_carrier_variant_stands_for_the_run_and_flips_make_it_flaky() {
        let rows = [
            row("r1", "passed", 1.0),
            row("r1", "failed", 1.0),
            row("r2", "passed", 1.0),
            row("r3", "failed", 1.0),
            row("r4", "passed", 1.0),
        ];
        let h = history_of(&rows, 0);
        let statuses: Vec<&str> = h[0].outcomes.iter().map(|o| o.status.as_str()).collect();
        assert_eq!(statuses, ["failed", "passed", "failed", "passed"]);
        assert!(h[0].flaky_across_runs);
        assert_eq!(history_of(&rows, 2)[0].outcomes.len(), 2);
    }
}

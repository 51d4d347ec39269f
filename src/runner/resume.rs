//! Continuing a run: `--resume` keeps every execution the journal holds a final result for and runs the
//! rest; `--rerun-failed` keeps the passed, flaky and skipped ones and gives the failed and errored ones
//! new attempts after the ones they had (every attempt is kept; a pass after a failure is flaky).

use super::result::{Attempt, ScenarioResult, ScenarioStatus};
use std::collections::{BTreeMap, BTreeSet};

/// Names one execution across the runs of a run directory: its scenario, model and subject unit (skips
/// that bind no unit: none).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExecKey {
    pub scenario: String,
    pub model: String,
    pub unit: Option<String>,
}

impl ExecKey {
    pub fn new(scenario: &str, model: &str, unit: Option<&str>) -> Self {
        ExecKey {
            scenario: scenario.to_string(),
            model: model.to_string(),
            unit: unit.map(str::to_string),
        }
    }

    pub fn of(r: &ScenarioResult) -> Self {
        ExecKey::new(&r.scenario, &r.model, r.unit.as_deref())
    }
}

/// What a continued run keeps and what it runs again.
#[derive(Debug, Clone, Default)]
pub struct Resume {
    /// Executions whose result stands: not run again.
    keep: BTreeSet<ExecKey>,
    /// Executions run again, with the attempts they already had.
    again: BTreeMap<ExecKey, Vec<Attempt>>,
}

impl Resume {
    /// `--resume`: every execution with a final result stands.
    pub fn keep_finished(finished: &[ScenarioResult]) -> Self {
        Resume {
            keep: finished.iter().map(ExecKey::of).collect(),
            again: BTreeMap::new(),
        }
    }

    /// `--rerun-failed`: failed and errored executions run again after their attempts; the rest stands.
    pub fn rerun_failed(finished: &[ScenarioResult]) -> Self {
        let mut out = Resume::default();
        for r in finished {
            match r.status {
                ScenarioStatus::Failed | ScenarioStatus::Error => {
                    out.again.insert(ExecKey::of(r), r.attempts.clone());
                }
                _ => {
                    out.keep.insert(ExecKey::of(r));
                }
            }
        }
        out
    }

    /// True when the execution's result stands (it is not run).
    pub fn keeps(&self, key: &ExecKey) -> bool {
        self.keep.contains(key)
    }

    /// The attempts an execution had before (none for one that never finished).
    pub fn prior(&self, key: &ExecKey) -> &[Attempt] {
        self.again.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// How many executions stand and how many run again.
    pub fn counts(&self) -> (usize, usize) {
        (self.keep.len(), self.again.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::result::AttemptStatus;

    fn result(
        scenario: &str,
        status: ScenarioStatus,
        attempts: &[AttemptStatus],
    ) -> ScenarioResult {
        ScenarioResult {
            scenario: scenario.into(),
            title: String::new(),
            model: "m".into(),
            unit: Some("U1".into()),
            carrier: None,
            bindings: Default::default(),
            rules: vec![],
            tags: vec![],
            attempts: attempts
                .iter()
                .enumerate()
                .map(|(i, s)| Attempt {
                    number: i as u32 + 1,
                    device: None,
                    status: *s,
                    started: String::new(),
                    duration_ms: 0.0,
                    setup: vec![],
                    steps: vec![],
                    cleanup: vec![],
                    rules_broken: vec![],
                    reason: None,
                })
                .collect(),
            skip_reason: None,
            skip_kind: None,
            status,
        }
    }

    #[test]
    fn resume_keeps_every_final_result_and_rerun_keeps_all_but_failures_and_errors() {
        let done = vec![
            result("s/pass", ScenarioStatus::Passed, &[AttemptStatus::Passed]),
            result("s/fail", ScenarioStatus::Failed, &[AttemptStatus::Failed]),
            result("s/err", ScenarioStatus::Error, &[AttemptStatus::Error]),
        ];
        let key = |s: &str| ExecKey::new(s, "m", Some("U1"));
        let r = Resume::keep_finished(&done);
        assert!(
            ["s/pass", "s/fail", "s/err"]
                .iter()
                .all(|s| r.keeps(&key(s)))
        );
        assert!(!r.keeps(&key("s/never-ran")));
        let r = Resume::rerun_failed(&done);
        assert!(r.keeps(&key("s/pass")));
        assert!(!r.keeps(&key("s/fail")) && !r.keeps(&key("s/err")));
        assert_eq!(r.prior(&key("s/fail")).len(), 1);
        assert_eq!(r.counts(), (1, 2));
    }
}

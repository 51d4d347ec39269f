//! What a bench measured: `plan --medians RUN_DIR` prices executions with a run's own step durations.
//! Each step kind that is mostly one action gives that action's duration per model — the median of its
//! passed steps, less what the step's other actions cost by default (a reboot step is the reboot and the
//! wait for `boot_completed`). Actions no step measured keep their defaults.

use crate::journal::Journal;
use crate::runner::result::StepStatus;
use mynacert_wire::timing::{Action, Timing};
use std::collections::BTreeMap;

/// A step kind: its name's prefix, the action it measures, and the other actions it holds (count each).
type Measure = (&'static str, Action, &'static [(Action, f64)]);

const MEASURES: &[Measure] = &[
    (
        "reboot ",
        Action::Reboot,
        &[(Action::BootCompletedWait, 1.0)],
    ),
    (
        "factory-reset ",
        Action::FactoryReset,
        &[(Action::BootCompletedWait, 1.0)],
    ),
    ("install-app ", Action::AppInstall, &[]),
    ("uninstall-app ", Action::AppUninstall, &[]),
    ("register ", Action::Registration, &[(Action::UiStep, 1.0)]),
    (
        "revoke ",
        Action::RevocationRoundTrip,
        &[(Action::UiStep, 4.0), (Action::PinEntry, 1.0)],
    ),
    (
        "provision ",
        Action::IssuancePushWait,
        &[
            (Action::UiStep, 6.0),
            (Action::PinEntry, 5.0),
            (Action::CardPlacement, 1.0),
            (Action::NfcCardRead, 1.0),
            (Action::Registration, 1.0),
        ],
    ),
    ("read-se ", Action::SeRead, &[]),
    ("expect-authority ", Action::AuthorityQuery, &[]),
    ("suspend ", Action::ServiceCall, &[]),
    ("lift-suspension ", Action::ServiceCall, &[]),
];

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Per model (profile id): the actions the run measured, as a timing to lay over the lab's.
pub fn measured_timing(run: &Journal, defaults: &Timing) -> BTreeMap<String, Timing> {
    let mut samples: BTreeMap<(String, Action), Vec<f64>> = BTreeMap::new();
    for s in &run.steps {
        if s.step.status != StepStatus::Passed {
            continue;
        }
        let name = format!("{} ", s.step.name);
        let Some((_, action, others)) = MEASURES.iter().find(|(p, ..)| name.starts_with(p)) else {
            continue;
        };
        let rest: f64 = others
            .iter()
            .map(|(a, n)| defaults.get(*a).unwrap_or(0.0) * n)
            .sum();
        let seconds = (s.step.duration_ms / 1000.0 - rest).max(0.0);
        samples
            .entry((s.model.clone(), *action))
            .or_default()
            .push(seconds);
    }
    let mut out: BTreeMap<String, Timing> = BTreeMap::new();
    for ((model, action), v) in samples {
        if let Some(m) = median(v) {
            out.entry(model).or_default().0.insert(action, m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::journal::StepEntry;
    use crate::journal::fixture::{header, journal, rules, step};
    use crate::runner::result::Phase;

    fn entry(model: &str, name: &str, seconds: f64, status: StepStatus) -> StepEntry {
        let mut s = step(1, name, status, "");
        s.duration_ms = seconds * 1000.0;
        StepEntry {
            run_id: "r".into(),
            at: String::new(),
            scenario: "s/a".into(),
            model: model.into(),
            unit: None,
            attempt: 1,
            index: None,
            phase: Phase::Step,
            step: s,
        }
    }

    #[test]
    fn medians_per_model_less_the_other_actions_of_the_step() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
        let mut run = journal(
            header("r", "bench", rules("v", &[], &[]), vec![], &[]),
            vec![],
            true,
        );
        run.steps = vec![
            entry("m1", "reboot on=phone", 90.0, StepStatus::Passed),
            entry("m1", "reboot on=phone", 100.0, StepStatus::Passed),
            entry("m1", "reboot on=phone", 500.0, StepStatus::Passed),
            entry("m1", "reboot on=phone", 9000.0, StepStatus::Error),
            entry("m2", "install-app on=phone", 40.0, StepStatus::Passed),
            entry("m2", "expect-app on=phone", 40.0, StepStatus::Passed),
        ];
        let mut defaults = Timing::default();
        defaults.0.insert(Action::BootCompletedWait, 20.0);
        let m = measured_timing(&run, &defaults);
        // Median 100 s less the default 20 s boot wait; the errored step does not count.
        assert_eq!(m["m1"].get(Action::Reboot), Some(80.0));
        assert_eq!(m["m2"].get(Action::AppInstall), Some(40.0));
        assert_eq!(m["m2"].0.len(), 1, "expect-app measures no single action");
    }
}

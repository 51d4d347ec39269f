//! One attempt of an execution: its set-up, its steps and its clean-up on the lab, each under its
//! timeout, with the device time the virtual lab charged it.

use super::context::{Context, StepFail};
use super::result::{Attempt, AttemptStatus, Evidence, Phase, StepRecord, StepStatus};
use super::{Binding, Job, Runner, StepSink, describe, evidence, exec, now, result, setup};
use std::time::Instant;

impl Runner<'_> {
    pub(super) fn attempt(
        &self,
        job: &Job,
        b: &Binding,
        number: u32,
        sink: &mut StepSink<'_>,
    ) -> Attempt {
        let started = now();
        let t0 = Instant::now();
        // The virtual clock of this attempt: what the lab charges this thread from here on.
        let _ = mynacert_wire::clock::take();
        let mut setup = Vec::new();
        let mut steps = Vec::new();
        let mut cleanup = Vec::new();
        let mut rules_broken = Vec::new();
        let mut reason = None;
        let mut status = AttemptStatus::Passed;
        let ctx = Context::new(
            &self.lab,
            self.flows.clone(),
            b.phones.clone(),
            b.identities.clone(),
            job.scenario.rules.clone(),
        );
        let mut ctx = match ctx {
            Ok(c) => c.with_card_safety(self.options.card_safety.clone()),
            Err(e) => {
                return Attempt {
                    number,
                    device: device_spent(),
                    status: AttemptStatus::Error,
                    started,
                    duration_ms: ms(t0),
                    setup,
                    steps,
                    cleanup,
                    rules_broken,
                    reason: Some(format!("lab: {e}")),
                };
            }
        };
        // Timeouts: the scenario's own, else the certification profile's.
        let limits = job.scenario.timeout.or(self.options.timeouts);
        let step_limit = limits.step.map(|s| s.duration());
        let scenario_end = limits.scenario.map(|s| t0 + s.duration());
        let step_end = || sooner(step_limit.map(|l| Instant::now() + l), scenario_end);
        let prepared = under(scenario_end, || {
            setup::prepare(&mut ctx, &job.scenario, &mut setup)
        });
        emit(sink, number, Phase::Setup, &setup);
        if !prepared {
            status = AttemptStatus::Error;
            reason = setup.last().map(|s| format!("setup: {}", s.message));
        } else {
            for (i, step) in job.scenario.steps.iter().enumerate() {
                let name = describe(&step.value);
                if status != AttemptStatus::Passed {
                    steps.push(not_run(i + 1, name));
                    continue;
                }
                let t = Instant::now();
                let (mut r, mut evidence) = match (scenario_end, limits.scenario) {
                    (Some(end), Some(limit)) if t >= end => (
                        Err(StepFail::Infra(format!(
                            "scenario timeout: its {} s were up before this step",
                            limit.0
                        ))),
                        Evidence::default(),
                    ),
                    _ => under(step_end(), || exec::run_step(&mut ctx, &step.value)),
                };
                // Evidence of a failure gets time of its own (the step's may be spent).
                under(step_limit.map(|l| Instant::now() + l), || {
                    evidence::capture_on_failure(&mut ctx, &step.value, &mut r, &mut evidence)
                });
                let rec = to_record(i + 1, name, t, r, evidence);
                match rec.status {
                    StepStatus::Failed => {
                        status = AttemptStatus::Failed;
                        rules_broken.extend(rec.rules.iter().copied());
                        reason = Some(format!(
                            "step {} `{}`: {}",
                            rec.index, rec.name, rec.message
                        ));
                    }
                    StepStatus::Error => {
                        status = AttemptStatus::Error;
                        reason = Some(format!(
                            "step {} `{}`: {}",
                            rec.index, rec.name, rec.message
                        ));
                    }
                    _ => {}
                }
                sink(number, Phase::Step, &rec);
                steps.push(rec);
            }
            // Automatic R9 check: no typed secret in logcat or UI dumps, whatever the scenario says.
            if status != AttemptStatus::Error
                && let Some(r) = setup::secret_check(&mut ctx, &mut cleanup)
            {
                if status == AttemptStatus::Passed {
                    reason = cleanup
                        .iter()
                        .rev()
                        .find(|s| s.status == StepStatus::Failed)
                        .map(|s| s.message.clone());
                }
                status = AttemptStatus::Failed;
                rules_broken.extend(r);
            }
        }
        // Clean-up runs whatever happened, with a step's time of its own.
        under(step_limit.map(|l| Instant::now() + l), || {
            setup::cleanup(&mut ctx, &mut cleanup)
        });
        emit(sink, number, Phase::Cleanup, &cleanup);
        rules_broken.sort();
        rules_broken.dedup();
        Attempt {
            number,
            device: device_spent(),
            status,
            started,
            duration_ms: ms(t0),
            setup,
            steps,
            cleanup,
            rules_broken,
            reason,
        }
    }
}

/// Reports finished setup or clean-up steps.
fn emit(sink: &mut StepSink<'_>, attempt: u32, phase: Phase, steps: &[StepRecord]) {
    for step in steps {
        sink(attempt, phase, step);
    }
}

fn to_record(
    index: usize,
    name: String,
    t: Instant,
    r: Result<String, StepFail>,
    evidence: Evidence,
) -> StepRecord {
    let (status, message, rules) = match r {
        Ok(m) => (StepStatus::Passed, m, vec![]),
        Err(StepFail::Conformance { message, rules }) => (StepStatus::Failed, message, rules),
        Err(StepFail::Infra(m)) => (StepStatus::Error, m, vec![]),
    };
    StepRecord {
        index,
        name,
        status,
        duration_ms: ms(t),
        message,
        rules,
        evidence,
    }
}

fn not_run(index: usize, name: String) -> StepRecord {
    StepRecord {
        index,
        name,
        status: StepStatus::NotRun,
        duration_ms: 0.0,
        message: String::new(),
        rules: vec![],
        evidence: Evidence::default(),
    }
}

/// The device time the virtual lab charged this thread since the attempt began (none on a bench).
fn device_spent() -> Option<result::DeviceSpent> {
    let s = mynacert_wire::clock::take();
    (s.device > 0.0).then_some(result::DeviceSpent {
        seconds: s.device,
        operator_seconds: s.operator,
    })
}

/// Runs `f` with this thread's deadline at `at` (transports wait no longer), if there is one.
pub(super) fn under<R>(at: Option<Instant>, f: impl FnOnce() -> R) -> R {
    match at {
        Some(at) => mynacert_wire::deadline::within(at, f),
        None => f(),
    }
}

fn sooner(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

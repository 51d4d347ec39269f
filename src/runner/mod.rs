//! The runner: plans scenarios per model, binds roles, runs every attempt through the `Lab` seam, and
//! emits one event stream that reporters consume. It knows no output format.

mod attempt;
mod checks;
mod context;
mod dispatch;
mod evidence;
mod exec;
mod parallel;
mod partition;
mod plan;
mod quarantine;
pub mod result;
mod resume;
mod select;
mod setup;
mod shared;

pub use checks::wrong_pin;
pub use context::{Context, StepFail, StepOutcome};
pub use dispatch::Dispatch;
pub use exec::{describe, run_step};
pub use parallel::Parallel;
pub use partition::{Partition, assign as partition_of};
pub use plan::{Binding, Pools, SkipReason, bind, pools};
pub use resume::{ExecKey, Resume};
pub use select::{Selection, plan_jobs};
pub use shared::LabCell;

use crate::lab::Lab;
use crate::phone::FlowBook;
use crate::profile::DeviceProfile;
use crate::scenario::model::Scenario;

use result::{Attempt, AttemptStatus, Phase, ScenarioResult, ScenarioStatus, StepRecord};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// What reporters see, in order.
#[derive(Debug)]
pub enum RunEvent<'a> {
    Started {
        total: usize,
    },
    ScenarioStarted {
        index: usize,
        total: usize,
        scenario: &'a str,
        model: &'a str,
        unit: Option<&'a str>,
    },
    /// A setup, scenario or clean-up step finished (setup and clean-up steps once their part ends).
    StepFinished {
        /// The execution's number (as in `ScenarioStarted`): executions of a parallel run interleave.
        index: usize,
        scenario: &'a str,
        /// 1-based attempt of the scenario.
        attempt: u32,
        phase: Phase,
        step: &'a StepRecord,
    },
    ScenarioFinished {
        index: usize,
        total: usize,
        result: &'a ScenarioResult,
    },
}

/// Consumes run events.
pub trait Reporter {
    fn event(&mut self, event: &RunEvent<'_>);
}

/// A reporter that does nothing.
pub struct NoReporter;
impl Reporter for NoReporter {
    fn event(&mut self, _: &RunEvent<'_>) {}
}

/// Runner settings.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Extra attempts for a scenario that failed or errored (each one recorded).
    pub retries: u32,
    /// How long to wait for a unit that dropped off mid-scenario before quarantining it.
    pub unit_return_timeout: std::time::Duration,
    /// Run executions concurrently on the schedule device time gives (`None`: one after the other, in
    /// plan order).
    pub parallel: Option<parallel::Parallel>,
    /// A continued run: which executions stand, which run again after their earlier attempts.
    pub resume: Option<Resume>,
    /// Step and scenario timeouts where a scenario names none (the certification profile's).
    pub timeouts: crate::scenario::model::Timeouts,
    /// Only this part of the run (CI partitions).
    pub partition: Option<Partition>,
    /// Only these executions (0-based positions in the plan): what a queue worker claimed.
    pub only: Option<std::collections::BTreeSet<usize>>,
    /// What VERIFYs the lab's test cards may take (the lab file's `card_safety:`).
    pub card_safety: crate::lab::CardSafety,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            retries: 0,
            unit_return_timeout: std::time::Duration::from_secs(60),
            parallel: None,
            resume: None,
            partition: None,
            only: None,
            timeouts: Default::default(),
            card_safety: Default::default(),
        }
    }
}

/// One scenario scheduled on one model.
#[derive(Clone)]
pub struct Job {
    /// `suite/scenario`.
    pub full_id: String,
    pub scenario: Arc<Scenario>,
    pub model: Arc<DeviceProfile>,
}

/// Everything the runner produced.
#[derive(Debug, Clone, Serialize)]
pub struct RunOutput {
    pub scenarios: Vec<ScenarioResult>,
    /// On the virtual clock (a virtual lab in process): what the run took in device time.
    pub device_time: Option<DeviceTime>,
}

/// A run's device time on the virtual clock, in seconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DeviceTime {
    /// The run's own schedule replayed with the device time each execution was charged.
    pub makespan: f64,
    /// Every execution one after the other.
    pub sequential: f64,
    /// No schedule of these executions on this lab could be shorter ([`crate::schedule::replay_bound`]).
    pub lower_bound: f64,
}

/// Device time an execution was charged over its attempts (`None` on a bench).
fn charged(r: &ScenarioResult) -> Option<(f64, f64)> {
    let spent: Vec<&result::DeviceSpent> = r
        .attempts
        .iter()
        .filter_map(|a| a.device.as_ref())
        .collect();
    (!spent.is_empty()).then(|| {
        (
            spent.iter().map(|d| d.seconds).sum(),
            spent.iter().map(|d| d.operator_seconds).sum(),
        )
    })
}

/// Runs jobs on a lab.
pub struct Runner<'l> {
    lab: LabCell<'l>,
    flows: Arc<FlowBook>,
    options: RunOptions,
    quarantine: Mutex<quarantine::Quarantine>,
}

/// Where an execution's finished steps go: the reporter, or the channel of a parallel run.
type StepSink<'s> = dyn FnMut(u32, Phase, &StepRecord) + 's;

impl<'l> Runner<'l> {
    /// A runner over `lab` that drives the app with `flows` (the app's screens and steps, as data).
    pub fn new(lab: &'l mut dyn Lab, flows: Arc<FlowBook>, options: RunOptions) -> Self {
        Runner {
            lab: LabCell::new(lab),
            flows,
            options,
            quarantine: Mutex::new(quarantine::Quarantine::default()),
        }
    }

    /// Runs every job, binding roles per model; returns every result (skips included).
    pub fn run(&mut self, jobs: &[Job], reporter: &mut dyn Reporter) -> RunOutput {
        if let Some(p) = self.options.parallel.clone() {
            return self.run_parallel(jobs, &p, reporter);
        }
        let units = self.lab.with(|l| l.units().to_vec());
        let identities = self.lab.with(|l| l.identities().to_vec());
        let planned = executions(jobs, &units, &identities);
        let outside = self.outside(&planned);
        let total = planned.len();
        reporter.event(&RunEvent::Started { total });
        let mut scenarios = Vec::with_capacity(total);
        for (i, (job, binding)) in planned.into_iter().enumerate() {
            let unit = binding
                .as_ref()
                .ok()
                .and_then(|b| b.subject.as_ref().map(|u| u.serial.clone()));
            if outside[i] {
                continue;
            }
            reporter.event(&RunEvent::ScenarioStarted {
                index: i + 1,
                total,
                scenario: &job.full_id,
                model: &job.model.id,
                unit: unit.as_deref(),
            });
            let blocked = binding.as_ref().ok().and_then(|b| self.quarantined(b));
            let result = match (binding, blocked) {
                (Ok(b), Some(reason)) => skipped_on(&job, &b, reason),
                (Ok(b), None) => {
                    let mut sink = |attempt: u32, phase: Phase, step: &StepRecord| {
                        reporter.event(&RunEvent::StepFinished {
                            index: i + 1,
                            scenario: &job.full_id,
                            attempt,
                            phase,
                            step,
                        })
                    };
                    self.execute(&job, b, &mut sink)
                }
                (Err(reason), _) => skipped(&job, reason),
            };
            reporter.event(&RunEvent::ScenarioFinished {
                index: i + 1,
                total,
                result: &result,
            });
            scenarios.push(result);
        }
        // One after the other: the makespan is the sum.
        let sequential: Vec<f64> = scenarios
            .iter()
            .filter_map(|r| charged(r).map(|c| c.0))
            .collect();
        let device_time = (!sequential.is_empty()).then(|| {
            let total = sequential.iter().sum();
            DeviceTime {
                makespan: total,
                sequential: total,
                lower_bound: total,
            }
        });
        RunOutput {
            scenarios,
            device_time,
        }
    }

    /// Why `serial` cannot run now, if it is quarantined.
    fn quarantined_unit(&self, serial: &str) -> Option<SkipReason> {
        let s = serial.to_string();
        self.quarantine
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .blocks(std::iter::once(&s))
    }

    /// Why `b` cannot run now: one of its units is quarantined.
    fn quarantined(&self, b: &Binding) -> Option<SkipReason> {
        self.quarantine
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .blocks(b.phones.values().map(|u| &u.serial))
    }

    /// For each execution: true when this run leaves it out — a continued run keeps its result, or it
    /// belongs to another partition.
    fn outside(&self, planned: &[(Job, Result<Binding, SkipReason>)]) -> Vec<bool> {
        let owners: Vec<(Option<&str>, &str)> = planned
            .iter()
            .map(|(job, b)| (subject_of(b), job.model.id.as_str()))
            .collect();
        let parts = self
            .options
            .partition
            .map(|p| (p.k, partition::assign(&owners, p.n)));
        planned
            .iter()
            .enumerate()
            .map(|(i, (job, b))| {
                let kept = self.options.resume.as_ref().is_some_and(|r| {
                    r.keeps(&ExecKey::new(&job.full_id, &job.model.id, subject_of(b)))
                });
                let other_part = parts.as_ref().is_some_and(|(k, of)| of[i] != *k);
                let unclaimed = self.options.only.as_ref().is_some_and(|o| !o.contains(&i));
                kept || other_part || unclaimed
            })
            .collect()
    }

    fn execute(&self, job: &Job, b: Binding, sink: &mut StepSink<'_>) -> ScenarioResult {
        let unit = b.subject.as_ref().map(|u| u.serial.as_str());
        let key = ExecKey::new(&job.full_id, &job.model.id, unit);
        // A rerun continues the execution's attempts.
        let mut attempts: Vec<Attempt> = self
            .options
            .resume
            .as_ref()
            .map(|r| r.prior(&key).to_vec())
            .unwrap_or_default();
        let first = attempts.len() as u32 + 1;
        for n in first..=(first + self.options.retries) {
            let mut a = self.attempt(job, &b, n, sink);
            let done = a.status == AttemptStatus::Passed;
            let lost = self.check_units(job, &b, &mut a);
            attempts.push(a);
            if done || lost {
                break;
            }
        }
        let status = ScenarioResult::derive_status(&attempts, false);
        let mut bindings: BTreeMap<String, String> = b
            .phones
            .iter()
            .map(|(r, u)| (r.clone(), u.serial.clone()))
            .collect();
        bindings.extend(b.identities.iter().map(|(r, i)| (r.clone(), i.id.clone())));
        ScenarioResult {
            scenario: job.full_id.clone(),
            title: job.scenario.title.clone(),
            model: job.model.id.clone(),
            unit: b.subject.as_ref().map(|u| u.serial.clone()),
            carrier: b.subject.as_ref().map(|u| u.carrier.clone()),
            bindings,
            rules: job.scenario.rules.clone(),
            tags: job.scenario.tags.clone(),
            attempts,
            skip_reason: None,
            skip_kind: None,
            status,
        }
    }

    /// After an attempt that lost a unit: wait for it, else quarantine it. True when a unit is lost.
    fn check_units(&self, job: &Job, b: &Binding, a: &mut Attempt) -> bool {
        if a.status != AttemptStatus::Error {
            return false;
        }
        let serials: Vec<String> = b.phones.values().map(|u| u.serial.clone()).collect();
        let mut lost = false;
        for serial in quarantine::dropped_units(a, &serials) {
            let timeout = self.options.unit_return_timeout;
            let back = attempt::under(Some(Instant::now() + timeout), || {
                quarantine::wait_for_unit(&self.lab, &serial, timeout)
            });
            let note = if back {
                format!("unit {serial} disconnected mid-scenario and came back")
            } else {
                lost = true;
                self.quarantine
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .add(
                        &serial,
                        format!(
                            "disconnected during {} and not back within {} s",
                            job.full_id,
                            timeout.as_secs_f64()
                        ),
                    );
                format!(
                    "unit {serial} disconnected mid-scenario; quarantined (not back within {} s)",
                    timeout.as_secs_f64()
                )
            };
            a.reason = Some(match a.reason.take() {
                Some(r) => format!("{note}: {r}"),
                None => note,
            });
        }
        lost
    }
}

/// A run's executions in plan order: each job bound once per subject unit (carrier variants), or why
/// it cannot run.
pub fn executions(
    jobs: &[Job],
    units: &[crate::lab::UnitInfo],
    identities: &[crate::identity::Identity],
) -> Vec<(Job, Result<Binding, SkipReason>)> {
    let mut planned = Vec::new();
    for job in jobs {
        match bind(&job.scenario, &job.model, units, identities) {
            Ok(bs) => planned.extend(bs.into_iter().map(|b| (job.clone(), Ok(b)))),
            Err(reason) => planned.push((job.clone(), Err(reason))),
        }
    }
    planned
}

/// The subject unit of a binding, if it has one.
fn subject_of(b: &Result<Binding, SkipReason>) -> Option<&str> {
    b.as_ref()
        .ok()
        .and_then(|b| b.subject.as_ref().map(|u| u.serial.as_str()))
}

/// A skip of a bound execution (its unit is quarantined): the units it would have run on are named.
fn skipped_on(job: &Job, b: &Binding, reason: SkipReason) -> ScenarioResult {
    let mut r = skipped(job, reason);
    r.unit = b.subject.as_ref().map(|u| u.serial.clone());
    r.carrier = b.subject.as_ref().map(|u| u.carrier.clone());
    r.bindings = b
        .phones
        .iter()
        .map(|(role, u)| (role.clone(), u.serial.clone()))
        .collect();
    r
}

/// The result of an execution that cannot run (what a one-host run records for it).
pub fn skipped(job: &Job, reason: SkipReason) -> ScenarioResult {
    ScenarioResult {
        scenario: job.full_id.clone(),
        title: job.scenario.title.clone(),
        model: job.model.id.clone(),
        unit: None,
        carrier: None,
        bindings: BTreeMap::new(),
        rules: job.scenario.rules.clone(),
        tags: job.scenario.tags.clone(),
        attempts: vec![],
        skip_reason: Some(reason.to_string()),
        skip_kind: Some(reason.kind()),
        status: ScenarioStatus::Skipped,
    }
}

/// Wall-clock time as RFC 3339 in UTC, to the millisecond (`2026-11-30T08:20:02.841Z`): what a person
/// reads in a report, and what orders journal lines.
pub fn now() -> String {
    rfc3339_ms(time::OffsetDateTime::now_utc())
}

/// `t` in UTC as RFC 3339 with milliseconds.
pub fn rfc3339_ms(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn times_are_written_to_the_millisecond() {
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(1_795_941_602_841_362_402)
            .expect("a valid time");
        assert_eq!(super::rfc3339_ms(t), "2026-11-29T08:40:02.841Z");
        let now = super::now();
        assert_eq!(now.len(), "2026-11-30T08:40:02.841Z".len(), "{now}");
    }
}

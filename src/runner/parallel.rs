//! A parallel run: the executions are scheduled on device time (the same scheduler as `mynacert plan`),
//! then run concurrently, each unit on a thread of its own with its own transports. Every resource
//! serves its executions in the schedule's order with the schedule's bindings ([`Dispatch`]); the
//! threads send their steps and results to the caller's thread, which alone talks to the reporters, so
//! `RunEvent`s stay one ordered stream (executions of different units interleave in it).

use super::dispatch::Dispatch;
use super::result::{Attempt, AttemptStatus, Phase, ScenarioResult, ScenarioStatus, StepRecord};
use super::{Binding, Job, RunEvent, RunOutput, Runner, SkipReason, pools, skipped, skipped_on};
use crate::lab::UnitInfo;
use crate::schedule::plan::demand_of;
use crate::schedule::{Capacity, schedule};
use mynacert_wire::timing::Timing;
use std::collections::BTreeMap;
use std::sync::mpsc;

/// How a parallel run schedules.
#[derive(Debug, Clone)]
pub struct Parallel {
    /// Action durations of the lab (a model's `timing:` overrides them for its units).
    pub timing: Timing,
    /// Operators (or robots) that place cards, and readers: the schedule's capacities.
    pub operators: usize,
    pub readers: usize,
}

/// What a unit's thread reports.
enum Msg {
    Step {
        index: usize,
        attempt: u32,
        phase: Phase,
        step: Box<StepRecord>,
    },
    Done {
        index: usize,
        result: Box<ScenarioResult>,
    },
}

/// One execution handed to a unit's thread.
struct Work {
    index: usize,
    job: Job,
    binding: Binding,
}

/// The resources an execution holds, as the dispatcher names them.
fn holds(b: &Binding) -> Vec<String> {
    let mut out: Vec<String> = b
        .phones
        .values()
        .map(|u| format!("unit:{}", u.serial))
        .collect();
    out.extend(b.identities.values().map(|i| format!("identity:{}", i.id)));
    out.sort();
    out.dedup();
    out
}

/// The thread an execution runs on: its subject unit's (a unit's executions stay on one thread).
fn home(b: &Binding) -> String {
    b.subject
        .as_ref()
        .map(|u| u.serial.clone())
        .unwrap_or_else(|| "(no unit)".to_string())
}

impl Runner<'_> {
    pub(super) fn run_parallel(
        &mut self,
        jobs: &[Job],
        p: &Parallel,
        reporter: &mut dyn super::Reporter,
    ) -> RunOutput {
        let units = self.lab.with(|l| l.units().to_vec());
        let identities = self.lab.with(|l| l.identities().to_vec());
        // 1. Bind and price every execution.
        let mut planned = super::executions(jobs, &units, &identities);
        let mut demands = Vec::new();
        let mut roles = Vec::new();
        let mut bound = Vec::new();
        // A continued run leaves out what stands, a partition what is another's.
        let kept = self.outside(&planned);
        for (i, (job, b)) in planned.iter().enumerate() {
            if kept[i] {
                continue;
            }
            if let Ok(b) = b {
                let pools = pools(&job.scenario, &units, &identities);
                demands.push(demand_of(job, b, &pools, &p.timing, None));
                roles.push(pools);
                bound.push(i);
            }
        }
        // 2. Schedule them on the lab's resources; take the schedule's reference units and identities.
        let cap = Capacity {
            references: units
                .iter()
                .filter(|u| u.reference)
                .map(|u| u.serial.clone())
                .collect(),
            identities: identities.iter().map(|i| i.id.clone()).collect(),
            operators: p.operators,
            readers: p.readers,
        };
        let sched = schedule(&demands, &cap);
        let mut starts: Vec<(f64, usize)> = Vec::new();
        for ((slot, pools), &i) in sched.slots.iter().zip(&roles).zip(&bound) {
            let shared = match slot {
                Ok(slot) => match &planned[i].1 {
                    Ok(b) => b
                        .clone()
                        .with_shared(
                            pools,
                            &slot.references,
                            &slot.identities,
                            &units,
                            &identities,
                        )
                        .map(|b| (slot.start, b)),
                    Err(r) => Err(r.to_string()),
                },
                Err(why) => Err(why.clone()),
            };
            match shared {
                Ok((start, b)) => {
                    planned[i].1 = Ok(b);
                    starts.push((start, i));
                }
                Err(why) => planned[i].1 = Err(SkipReason::Unschedulable(why)),
            }
        }
        starts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let order: Vec<usize> = starts.iter().map(|s| s.1).collect();
        let total = planned.len();
        reporter.event(&RunEvent::Started { total });
        let mut results: Vec<Option<ScenarioResult>> = vec![None; total];
        // Executions that cannot run are reported first, in plan order.
        for (i, (job, b)) in planned.iter().enumerate() {
            if kept[i] {
                continue;
            }
            if let Err(reason) = b {
                let r = skipped(job, reason.clone());
                finished(reporter, i, total, job, None, &r);
                results[i] = Some(r);
            }
        }
        let holds_of: Vec<Vec<String>> = planned
            .iter()
            .map(|(_, b)| b.as_ref().map(holds).unwrap_or_default())
            .collect();
        let mut dispatch = Dispatch::new(holds_of, &order);
        let this = &*self;
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<Msg>();
            let mut threads: BTreeMap<String, mpsc::Sender<Work>> = BTreeMap::new();
            loop {
                for i in dispatch.ready() {
                    let (job, b) = (&planned[i].0, &planned[i].1);
                    let Ok(b) = b else {
                        dispatch.finish(i);
                        continue;
                    };
                    // A quarantined unit hands its executions to another unit of its model and carrier.
                    if let Some(reason) = this.quarantined(b) {
                        match this.hand_over(b, &units) {
                            Some(other) => {
                                dispatch.move_to(i, holds(&other));
                                planned[i].1 = Ok(other);
                            }
                            None => {
                                let r = skipped_on(job, b, reason);
                                finished(reporter, i, total, job, unit_of(b), &r);
                                results[i] = Some(r);
                                dispatch.finish(i);
                            }
                        }
                        continue;
                    }
                    reporter.event(&RunEvent::ScenarioStarted {
                        index: i + 1,
                        total,
                        scenario: &job.full_id,
                        model: &job.model.id,
                        unit: unit_of(b),
                    });
                    let key = home(b);
                    let sender = threads.entry(key).or_insert_with(|| {
                        let (work_tx, work_rx) = mpsc::channel::<Work>();
                        let tx = tx.clone();
                        scope.spawn(move || this.unit_thread(work_rx, tx));
                        work_tx
                    });
                    let work = Work {
                        index: i,
                        job: job.clone(),
                        binding: b.clone(),
                    };
                    if let Err(mpsc::SendError(w)) = sender.send(work) {
                        // The unit's thread is gone (it cannot be: it lives until its channel closes).
                        let r = crashed(&w.job, &w.binding, "the unit's thread ended early");
                        finished(reporter, i, total, job, unit_of(b), &r);
                        results[i] = Some(r);
                        dispatch.finish(i);
                    }
                }
                if dispatch.done() {
                    break;
                }
                let Ok(msg) = rx.recv() else { break };
                match msg {
                    Msg::Step {
                        index,
                        attempt,
                        phase,
                        step,
                    } => reporter.event(&RunEvent::StepFinished {
                        index: index + 1,
                        scenario: &planned[index].0.full_id,
                        attempt,
                        phase,
                        step: &step,
                    }),
                    Msg::Done { index, result } => {
                        reporter.event(&RunEvent::ScenarioFinished {
                            index: index + 1,
                            total,
                            result: &result,
                        });
                        results[index] = Some(*result);
                        dispatch.finish(index);
                    }
                }
            }
            // Closing the channels ends the units' threads.
            threads.clear();
        });
        // The night on the virtual clock: this run's order, each execution's charged device time.
        let mut ran = Vec::new();
        let mut ran_order = Vec::new();
        for &i in &order {
            if let (Some(r), Ok(b)) = (&results[i], &planned[i].1)
                && let Some((seconds, operator_seconds)) = super::charged(r)
            {
                ran_order.push(ran.len());
                ran.push(crate::schedule::Ran {
                    holds: holds(b),
                    seconds,
                    operator_seconds,
                });
            }
        }
        let device_time = (!ran.is_empty()).then(|| super::DeviceTime {
            makespan: crate::schedule::replay(&ran, &ran_order, p.operators),
            sequential: ran.iter().map(|r| r.seconds).sum(),
            lower_bound: crate::schedule::replay_bound(&ran, &cap),
        });
        RunOutput {
            scenarios: results
                .into_iter()
                .zip(&planned)
                .zip(&kept)
                .filter(|(_, k)| !**k)
                .map(|((r, (job, b)), _)| {
                    r.unwrap_or_else(|| match b {
                        Ok(b) => crashed(job, b, "the execution never finished"),
                        Err(reason) => skipped(job, reason.clone()),
                    })
                })
                .collect(),
            device_time,
        }
    }

    /// A unit's thread: runs what it is handed, one after the other, and reports back.
    fn unit_thread(&self, work: mpsc::Receiver<Work>, tx: mpsc::Sender<Msg>) {
        for Work {
            index,
            job,
            binding,
        } in work
        {
            let step_tx = tx.clone();
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut sink = |attempt: u32, phase: Phase, step: &StepRecord| {
                    let _ = step_tx.send(Msg::Step {
                        index,
                        attempt,
                        phase,
                        step: Box::new(step.clone()),
                    });
                };
                self.execute(&job, binding.clone(), &mut sink)
            }));
            let result = run.unwrap_or_else(|_| crashed(&job, &binding, "the execution panicked"));
            if tx
                .send(Msg::Done {
                    index,
                    result: Box::new(result),
                })
                .is_err()
            {
                return;
            }
        }
    }

    /// `b` moved off its quarantined units onto others of the same model and carrier, if the lab has
    /// them (the first by serial that is neither quarantined nor already in `b`).
    fn hand_over(&self, b: &Binding, units: &[UnitInfo]) -> Option<Binding> {
        let mut out = b.clone();
        for (role, u) in &b.phones {
            if self.quarantined_unit(&u.serial).is_none() {
                continue;
            }
            if u.reference {
                return None;
            }
            let taken: Vec<&str> = out.phones.values().map(|x| x.serial.as_str()).collect();
            let other = units.iter().find(|x| {
                !x.reference
                    && x.profile.id == u.profile.id
                    && x.carrier == u.carrier
                    && !taken.contains(&x.serial.as_str())
                    && self.quarantined_unit(&x.serial).is_none()
            })?;
            if out.subject.as_ref().is_some_and(|s| s.serial == u.serial) {
                out.subject = Some(other.clone());
            }
            out.phones.insert(role.clone(), other.clone());
        }
        Some(out)
    }
}

fn unit_of(b: &Binding) -> Option<&str> {
    b.subject.as_ref().map(|u| u.serial.as_str())
}

/// Reports an execution that ends without running (a skip, or a harness failure).
fn finished(
    reporter: &mut dyn super::Reporter,
    i: usize,
    total: usize,
    job: &Job,
    unit: Option<&str>,
    r: &ScenarioResult,
) {
    reporter.event(&RunEvent::ScenarioStarted {
        index: i + 1,
        total,
        scenario: &job.full_id,
        model: &job.model.id,
        unit,
    });
    reporter.event(&RunEvent::ScenarioFinished {
        index: i + 1,
        total,
        result: r,
    });
}

/// An execution the harness itself lost (a panic): an infrastructure error, the harness at fault.
fn crashed(job: &Job, b: &Binding, what: &str) -> ScenarioResult {
    let mut r = skipped_on(job, b, SkipReason::Unschedulable(String::new()));
    r.skip_reason = None;
    r.skip_kind = None;
    r.attempts = vec![Attempt {
        number: 1,
        device: None,
        status: AttemptStatus::Error,
        started: super::now(),
        duration_ms: 0.0,
        setup: vec![],
        steps: vec![],
        cleanup: vec![],
        rules_broken: vec![],
        reason: Some(format!(
            "harness: {what} (a defect of mynacert; please report it)"
        )),
    }];
    r.status = ScenarioStatus::Error;
    r
}

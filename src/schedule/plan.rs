//! `mynacert plan`: a run's executions bound to units, priced in device time and scheduled on the lab's
//! resources — nothing touched. Estimates per model, the scheduled makespan, the sequential total and the
//! lower bound no schedule can beat.

use super::cost::segments;
use super::sim::{Capacity, Demand, LowerBound, schedule};
use crate::identity::Identity;
use crate::lab::UnitInfo;
use crate::runner::{Binding, Job, Pools, pools};
use mynacert_wire::timing::Timing;
use serde::Serialize;
use std::collections::BTreeMap;

/// One execution of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedExecution {
    /// `suite/scenario`.
    pub scenario: String,
    /// Profile id.
    pub model: String,
    /// The subject unit.
    pub unit: Option<String>,
    /// Subject roles → units (reference roles take a unit of the pool when they start).
    pub units: BTreeMap<String, String>,
    /// How many reference units and identities it holds while it runs.
    pub references: usize,
    pub identities: usize,
    /// Every role → the unit or identity that plays it in the schedule.
    pub bindings: BTreeMap<String, String>,
    /// Device time with no waiting, seconds.
    pub seconds: f64,
    /// When it starts and ends in the schedule (seconds from the start of the run).
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// Why it can never run on this lab, if so.
    pub conflict: Option<String>,
}

/// A job that binds to no unit, with why.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedSkip {
    pub scenario: String,
    pub model: String,
    pub reason: String,
}

/// Device time per model.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelEstimate {
    pub executions: usize,
    /// The sum of its executions' device time.
    pub seconds: f64,
    /// When its last execution ends in the schedule.
    pub done_at: f64,
}

/// The whole plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub executions: Vec<PlannedExecution>,
    pub skips: Vec<PlannedSkip>,
    pub models: BTreeMap<String, ModelEstimate>,
    /// Resources the schedule shares.
    pub units: usize,
    pub reference_units: usize,
    pub identities: usize,
    pub operators: usize,
    pub readers: usize,
    /// When the last execution ends.
    pub makespan: f64,
    /// One execution after the other.
    pub sequential: f64,
    pub lower_bound: f64,
    /// Each term of the lower bound.
    pub lower_bound_terms: Vec<(String, f64)>,
}

/// The lab as the planner sees it.
#[derive(Debug, Clone)]
pub struct PlanLab<'a> {
    pub units: &'a [UnitInfo],
    pub identities: &'a [Identity],
    pub operators: usize,
    pub readers: usize,
    /// Per model: what a bench measured (`plan --medians RUN_DIR`), laid over the defaults and the
    /// model's own `timing:`.
    pub measured: Option<&'a BTreeMap<String, Timing>>,
    /// Only this part of the run (`--partition K/N`).
    pub partition: Option<crate::runner::Partition>,
}

/// Plans `jobs` on `lab`: `defaults` are the lab's action durations (every action named); a model's
/// profile `timing:` overrides them for its units.
pub fn plan(jobs: &[Job], lab: &PlanLab<'_>, defaults: &Timing) -> Plan {
    let mut executions = Vec::new();
    let mut skips = Vec::new();
    let mut demands = Vec::new();
    let mut roles = Vec::new();
    // A partition plans its own part: the split a run makes (by unit, else by model).
    let planned = crate::runner::executions(jobs, lab.units, lab.identities);
    let owners: Vec<(Option<&str>, &str)> = planned
        .iter()
        .map(|(job, b)| {
            let unit = b
                .as_ref()
                .ok()
                .and_then(|b| b.subject.as_ref())
                .map(|u| u.serial.as_str());
            (unit, job.model.id.as_str())
        })
        .collect();
    let mine: Vec<bool> = match lab.partition {
        Some(p) => crate::runner::partition_of(&owners, p.n)
            .into_iter()
            .map(|k| k == p.k)
            .collect(),
        None => vec![true; planned.len()],
    };
    for ((job, bound), _) in planned.iter().zip(&mine).filter(|(_, m)| **m) {
        match bound.clone().map(|b| vec![b]) {
            Err(reason) => skips.push(PlannedSkip {
                scenario: job.full_id.clone(),
                model: job.model.id.clone(),
                reason: reason.to_string(),
            }),
            Ok(bindings) => {
                for b in bindings {
                    let pools = pools(&job.scenario, lab.units, lab.identities);
                    let demand = demand_of(job, &b, &pools, defaults, lab.measured);
                    executions.push(PlannedExecution {
                        scenario: job.full_id.clone(),
                        model: job.model.id.clone(),
                        unit: b.subject.as_ref().map(|u| u.serial.clone()),
                        units: b
                            .phones
                            .iter()
                            .filter(|(_, u)| !u.reference)
                            .map(|(r, u)| (r.clone(), u.serial.clone()))
                            .collect(),
                        references: demand.references.len(),
                        identities: demand.identities.len(),
                        bindings: BTreeMap::new(),
                        seconds: demand.seconds(),
                        start: None,
                        end: None,
                        conflict: None,
                    });
                    demands.push(demand);
                    roles.push(pools);
                }
            }
        }
    }
    let cap = Capacity {
        references: lab
            .units
            .iter()
            .filter(|u| u.reference)
            .map(|u| u.serial.clone())
            .collect(),
        identities: lab.identities.iter().map(|i| i.id.clone()).collect(),
        operators: lab.operators,
        readers: lab.readers,
    };
    let s = schedule(&demands, &cap);
    let LowerBound { seconds, terms } = super::sim::lower_bound(&demands, &cap);
    let mut models: BTreeMap<String, ModelEstimate> = BTreeMap::new();
    for ((e, slot), pools) in executions.iter_mut().zip(&s.slots).zip(&roles) {
        let m = models.entry(e.model.clone()).or_default();
        m.executions += 1;
        m.seconds += e.seconds;
        match slot {
            Ok(slot) => {
                e.start = Some(slot.start);
                let shared = pools
                    .references
                    .iter()
                    .zip(&slot.references)
                    .chain(pools.identities.iter().zip(&slot.identities));
                e.bindings = e.units.clone();
                e.bindings
                    .extend(shared.map(|((role, _), who)| (role.clone(), who.clone())));
                e.end = Some(slot.end);
                m.done_at = m.done_at.max(slot.end);
            }
            Err(why) => e.conflict = Some(why.clone()),
        }
    }
    Plan {
        sequential: executions.iter().map(|e| e.seconds).sum(),
        executions,
        skips,
        models,
        units: lab.units.iter().filter(|u| !u.reference).count(),
        reference_units: cap.references.len(),
        identities: cap.identities.len(),
        operators: lab.operators,
        readers: lab.readers,
        makespan: s.makespan,
        lower_bound: seconds,
        lower_bound_terms: terms,
    }
}

/// The demand of one binding: its subject units, its reference and identity counts, its segments
/// priced by each role's unit (the lab defaults under the model's `timing:`).
pub fn demand_of(
    job: &Job,
    b: &Binding,
    pools: &Pools,
    defaults: &Timing,
    measured: Option<&BTreeMap<String, Timing>>,
) -> Demand {
    let timing_of = |role: &str| -> Timing {
        match b.phones.get(role) {
            Some(u) => {
                let t = defaults.overlay(&u.profile.timing);
                match measured.and_then(|m| m.get(&u.profile.id)) {
                    Some(m) => t.overlay(m),
                    None => t,
                }
            }
            None => defaults.clone(),
        }
    };
    Demand {
        units: b
            .phones
            .values()
            .filter(|u| !u.reference)
            .map(|u| u.serial.clone())
            .collect(),
        references: pools.references.iter().map(|p| p.1.clone()).collect(),
        identities: pools.identities.iter().map(|p| p.1.clone()).collect(),
        segments: segments(&job.scenario, b, defaults, &timing_of),
    }
}

/// `h m s` for people.
pub fn human(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s:02} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
}

/// The plan as text.
pub fn render(p: &Plan) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} execution(s) on {} unit(s), {} reference unit(s), {} identit(ies), {} operator(s), {} reader(s); {} skipped",
        p.executions.len(),
        p.units,
        p.reference_units,
        p.identities,
        p.operators,
        p.readers,
        p.skips.len()
    );
    let _ = writeln!(
        out,
        "\n{:<8} {:<44} {:<28} {:>10} {:>10} {:>10}",
        "start", "scenario", "unit", "device", "end", "model"
    );
    let mut order: Vec<&PlannedExecution> = p.executions.iter().collect();
    order.sort_by(|a, b| {
        a.start
            .unwrap_or(f64::MAX)
            .total_cmp(&b.start.unwrap_or(f64::MAX))
    });
    for e in order {
        let _ = writeln!(
            out,
            "{:<8} {:<44} {:<28} {:>10} {:>10} {:>10}{}",
            e.start.map(human).unwrap_or_else(|| "-".into()),
            e.scenario,
            e.unit.as_deref().unwrap_or("-"),
            human(e.seconds),
            e.end.map(human).unwrap_or_else(|| "-".into()),
            e.model,
            e.conflict
                .as_deref()
                .map(|c| format!("  CONFLICT: {c}"))
                .unwrap_or_default()
        );
    }
    if !p.skips.is_empty() {
        let _ = writeln!(out, "\nskipped:");
        for s in &p.skips {
            let _ = writeln!(out, "  {} on {}: {}", s.scenario, s.model, s.reason);
        }
    }
    let _ = writeln!(
        out,
        "\nper model (device time; when its last execution ends):"
    );
    for (m, e) in &p.models {
        let _ = writeln!(
            out,
            "  {m:<24} {:>3} execution(s) {:>12} done at {}",
            e.executions,
            human(e.seconds),
            human(e.done_at)
        );
    }
    let _ = writeln!(
        out,
        "\nscheduled makespan {} · sequential {} ({:.1}×) · lower bound {} (makespan {:.3}× of it)",
        human(p.makespan),
        human(p.sequential),
        if p.makespan > 0.0 {
            p.sequential / p.makespan
        } else {
            0.0
        },
        human(p.lower_bound),
        if p.lower_bound > 0.0 {
            p.makespan / p.lower_bound
        } else {
            0.0
        }
    );
    for (name, s) in &p.lower_bound_terms {
        let _ = writeln!(out, "  bound: {name:<40} {}", human(*s));
    }
    out
}

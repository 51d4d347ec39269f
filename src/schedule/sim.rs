//! The scheduler, sans IO: executions on device time over shared resources, simulated on a virtual clock.
//!
//! Each execution holds its subject units, some reference units of the pool and its identities from start
//! to end (R2: an identity serves one scenario at a time); inside it, segments that need the operator (or
//! robot) or a reader wait for one of those, whose capacity is limited. Executions start in priority
//! order — longest first, then plan order — whenever everything they hold is free (a list scheduler that
//! lets a later execution start while an earlier one waits for its resources). Everything is decided by
//! the input: the same plan gives the same schedule.

use super::engine::Engine;
use std::collections::{BTreeMap, BTreeSet};

/// One stretch of an execution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub seconds: f64,
    /// Needs the card-placing operator or robot.
    pub operator: bool,
    /// Needs a reader (an SE or card session).
    pub reader: bool,
}

/// What one execution needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    /// Subject units it holds (exclusive).
    pub units: Vec<String>,
    /// Reference units of the pool it holds: for each reference role, the pool's units that can play it.
    pub references: Vec<Vec<String>>,
    /// Identities it holds (distinct people with a card): for each identity role, the identities that can
    /// play it (one, when the scenario names it).
    pub identities: Vec<Vec<String>>,
    pub segments: Vec<Segment>,
}

impl Demand {
    /// Seconds from start to end with no waiting.
    pub fn seconds(&self) -> f64 {
        self.segments.iter().map(|s| s.seconds).sum()
    }
    fn seconds_needing(&self, pick: impl Fn(&Segment) -> bool) -> f64 {
        self.segments
            .iter()
            .filter(|s| pick(s))
            .map(|s| s.seconds)
            .sum()
    }
}

/// The lab's shared resources.
#[derive(Debug, Clone, PartialEq)]
pub struct Capacity {
    /// Reference units of the pool, by serial.
    pub references: Vec<String>,
    /// Test identities, by id.
    pub identities: Vec<String>,
    /// Operators or robots that place cards.
    pub operators: usize,
    /// Readers for SE and card sessions.
    pub readers: usize,
}

/// When and with what one execution ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub start: f64,
    pub end: f64,
    /// Reference units it was given.
    pub references: Vec<String>,
    /// Identities it was given.
    pub identities: Vec<String>,
}

/// A schedule: one slot per execution (in input order), or why one can never run.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub slots: Vec<Result<Slot, String>>,
    /// The end of the last execution.
    pub makespan: f64,
}

/// The lower bound of any schedule, and which resource sets it.
#[derive(Debug, Clone, PartialEq)]
pub struct LowerBound {
    pub seconds: f64,
    /// Each term, named.
    pub terms: Vec<(String, f64)>,
}

/// The largest of: identity-time ÷ identities, reference-unit-time ÷ reference units, each subject
/// unit's work, operator time ÷ operators, reader time ÷ readers, the longest execution.
pub fn lower_bound(demands: &[Demand], cap: &Capacity) -> LowerBound {
    let per = |total: f64, n: usize| if n == 0 { 0.0 } else { total / n as f64 };
    let identity_time: f64 = demands
        .iter()
        .map(|d| d.seconds() * d.identities.len() as f64)
        .sum();
    let reference_time: f64 = demands
        .iter()
        .map(|d| d.seconds() * d.references.len() as f64)
        .sum();
    // A unit, or an identity or reference unit that is the only one a role can take, works alone.
    let mut unit_work: BTreeMap<&str, f64> = BTreeMap::new();
    for d in demands {
        let only = d
            .identities
            .iter()
            .chain(&d.references)
            .filter(|c| c.len() == 1)
            .map(|c| c[0].as_str());
        for u in d.units.iter().map(String::as_str).chain(only) {
            *unit_work.entry(u).or_default() += d.seconds();
        }
    }
    let operator: f64 = demands
        .iter()
        .map(|d| d.seconds_needing(|s| s.operator))
        .sum();
    let reader: f64 = demands
        .iter()
        .map(|d| d.seconds_needing(|s| s.reader))
        .sum();
    let terms = vec![
        (
            "identity time ÷ identities".to_string(),
            per(identity_time, cap.identities.len()),
        ),
        (
            "reference-unit time ÷ reference units".to_string(),
            per(reference_time, cap.references.len()),
        ),
        (
            "work of the busiest unit or named identity".to_string(),
            unit_work.values().copied().fold(0.0, f64::max),
        ),
        (
            "operator time ÷ operators".to_string(),
            per(operator, cap.operators),
        ),
        (
            "reader time ÷ readers".to_string(),
            per(reader, cap.readers),
        ),
        (
            "longest execution".to_string(),
            demands.iter().map(Demand::seconds).fold(0.0, f64::max),
        ),
    ];
    LowerBound {
        seconds: terms.iter().map(|t| t.1).fold(0.0, f64::max),
        terms,
    }
}

/// Each execution's priority: its load on every resource (identity, reference-unit, unit, operator and
/// reader time, each per unit of capacity), weighted by the square of how close that resource's total
/// comes to the lower bound. On a lab that one resource limits this is "longest on that resource first";
/// an execution that needs a scarce pool (the reference units, say) starts early instead of queueing for
/// it at the end while the other resources idle.
fn priorities(demands: &[Demand], cap: &Capacity) -> Vec<f64> {
    let bound = lower_bound(demands, cap);
    let weight = |term: usize| -> f64 {
        let share = if bound.seconds > 0.0 {
            bound.terms[term].1 / bound.seconds
        } else {
            0.0
        };
        share * share
    };
    let per = |x: f64, n: usize| if n == 0 { 0.0 } else { x / n as f64 };
    demands
        .iter()
        .map(|d| {
            weight(0) * per(d.seconds() * d.identities.len() as f64, cap.identities.len())
                + weight(1) * per(d.seconds() * d.references.len() as f64, cap.references.len())
                + weight(2) * d.seconds() * d.units.len() as f64
                + weight(3) * per(d.seconds_needing(|s| s.operator), cap.operators)
                + weight(4) * per(d.seconds_needing(|s| s.reader), cap.readers)
                // The longest execution's term: plain length breaks ties.
                + weight(5) * d.seconds() * 1e-3
        })
        .collect()
}

/// For each role (its candidates), the first free candidate not taken by an earlier role, in the order
/// of `free`; `None` if a role finds none.
fn take<'a>(free: &[&'a str], roles: &[Vec<String>]) -> Option<Vec<&'a str>> {
    let mut out: Vec<&'a str> = Vec::with_capacity(roles.len());
    for candidates in roles {
        let pick = free
            .iter()
            .find(|f| !out.contains(f) && candidates.iter().any(|c| c == *f))?;
        out.push(pick);
    }
    Some(out)
}

/// Simulates the schedule of `demands` on `cap`.
pub fn schedule(demands: &[Demand], cap: &Capacity) -> Schedule {
    let mut slots: Vec<Option<Result<Slot, String>>> = vec![None; demands.len()];
    // Executions that can never run are refused up front.
    for (i, d) in demands.iter().enumerate() {
        let why = if let Some(c) = d
            .references
            .iter()
            .find(|c| !c.iter().any(|u| cap.references.contains(u)))
        {
            Some(if c.is_empty() {
                "needs a reference unit, the lab has none that can play its role".to_string()
            } else {
                format!(
                    "needs reference unit {}, the lab has none of them",
                    c.join(" or ")
                )
            })
        } else if d.references.len() > cap.references.len() {
            Some(format!(
                "needs {} reference units, the lab has {}",
                d.references.len(),
                cap.references.len()
            ))
        } else if let Some(c) = d
            .identities
            .iter()
            .find(|c| !c.iter().any(|i| cap.identities.contains(i)))
        {
            Some(if c.is_empty() {
                "needs an identity, the lab holds none".to_string()
            } else {
                format!(
                    "needs identity {}, the lab holds none of them",
                    c.join(" or ")
                )
            })
        } else if d.identities.len() > cap.identities.len() {
            Some(format!(
                "needs {} identities, the lab holds {}",
                d.identities.len(),
                cap.identities.len()
            ))
        } else if d.segments.iter().any(|s| s.operator) && cap.operators == 0 {
            Some("needs an operator to place cards, the lab has none".to_string())
        } else if d.segments.iter().any(|s| s.reader) && cap.readers == 0 {
            Some("needs a reader, the lab has none".to_string())
        } else {
            None
        };
        if let Some(why) = why {
            slots[i] = Some(Err(why));
        }
    }
    // Longest first — measured on the lab's loaded resources — then plan order.
    let mut waiting: Vec<usize> = (0..demands.len()).filter(|i| slots[*i].is_none()).collect();
    let priority = priorities(demands, cap);
    waiting.sort_by(|a, b| priority[*b].total_cmp(&priority[*a]).then(a.cmp(b)));
    let mut busy_units: BTreeSet<&str> = BTreeSet::new();
    let mut free_refs: Vec<&str> = cap.references.iter().map(String::as_str).collect();
    let mut free_ids: Vec<&str> = cap.identities.iter().map(String::as_str).collect();
    let mut held: BTreeMap<usize, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
    let mut engine = Engine::new(demands, cap.operators, cap.readers);
    let mut makespan = 0.0f64;
    // Only a finished execution frees units, reference units or identities.
    let mut freed = true;
    loop {
        // 1. Start what can start, in priority order.
        let mut still = Vec::new();
        for i in std::mem::take(&mut waiting) {
            if !freed {
                still.push(i);
                continue;
            }
            let d = &demands[i];
            let units_free = d.units.iter().all(|u| !busy_units.contains(u.as_str()));
            let refs = if units_free {
                take(&free_refs, &d.references)
            } else {
                None
            };
            let ids = if refs.is_some() {
                take(&free_ids, &d.identities)
            } else {
                None
            };
            if let (Some(refs), Some(ids)) = (refs, ids) {
                for u in &d.units {
                    busy_units.insert(u.as_str());
                }
                free_refs.retain(|r| !refs.contains(r));
                free_ids.retain(|r| !ids.contains(r));
                held.insert(i, (refs, ids));
                engine.start(i);
            } else {
                still.push(i);
            }
        }
        waiting = still;
        // 2. Segments get the operator or a reader; the clock goes to the next segment end.
        let Some(finished) = engine.step() else {
            break;
        };
        freed = !finished.is_empty();
        for (i, started) in finished {
            for u in &demands[i].units {
                busy_units.remove(u.as_str());
            }
            let (refs, ids) = held.remove(&i).unwrap_or_default();
            slots[i] = Some(Ok(Slot {
                start: started,
                end: engine.now,
                references: refs.iter().map(|s| s.to_string()).collect(),
                identities: ids.iter().map(|s| s.to_string()).collect(),
            }));
            // Returned to the front, so the next execution takes the same ones (deterministic).
            free_refs.splice(0..0, refs);
            free_ids.splice(0..0, ids);
            makespan = makespan.max(engine.now);
        }
        if engine.idle() && waiting.is_empty() {
            break;
        }
    }
    Schedule {
        slots: slots
            .into_iter()
            .map(|s| s.unwrap_or_else(|| Err("never started".to_string())))
            .collect(),
        makespan,
    }
}

#[cfg(test)]
#[path = "sim_tests.rs"]
mod tests;

//! A run's own schedule on the virtual clock: the executions it ran, each with the device time the
//! virtual lab charged it, in the order the run followed (every resource serving its executions in the
//! schedule's order, as the run's dispatcher does) and sharing the operators and readers. Its makespan is
//! what the night would have taken on a bench whose devices take what `devices/timing.yaml` says.

use super::engine::Engine;
use super::sim::{Demand, Segment};
use crate::runner::Dispatch;

/// One execution as it ran: what it held (units, identities) and its charged device time.
#[derive(Debug, Clone)]
pub struct Ran {
    pub holds: Vec<String>,
    pub seconds: f64,
    /// The part that needed the operator (a card held to a phone).
    pub operator_seconds: f64,
}

/// The makespan of `ran` started in `order` (indices into `ran`) on `operators` and `readers`.
pub fn replay(ran: &[Ran], order: &[usize], operators: usize) -> f64 {
    // The operator's part sits in the middle of an execution (card reads come after the set-up).
    let demands: Vec<Demand> = ran
        .iter()
        .map(|r| {
            let rest = (r.seconds - r.operator_seconds).max(0.0) / 2.0;
            let seg = |seconds: f64, operator: bool| Segment {
                seconds,
                operator,
                reader: false,
            };
            Demand {
                units: vec![],
                references: vec![],
                identities: vec![],
                segments: [
                    seg(rest, false),
                    seg(r.operator_seconds, true),
                    seg(rest, false),
                ]
                .into_iter()
                .filter(|s| s.seconds > 0.0)
                .collect(),
            }
        })
        .collect();
    let mut dispatch = Dispatch::new(ran.iter().map(|r| r.holds.clone()).collect(), order);
    let mut engine = Engine::new(&demands, operators.max(1), 1);
    let mut makespan: f64 = 0.0;
    loop {
        for i in dispatch.ready() {
            engine.start(i);
        }
        let Some(finished) = engine.step() else { break };
        for (i, _) in finished {
            dispatch.finish(i);
            makespan = makespan.max(engine.now);
        }
        if engine.idle() && dispatch.done() {
            break;
        }
    }
    makespan
}

/// The lower bound of any schedule of `ran` on a lab of `cap`: the largest of identity time ÷
/// identities, reference-unit time ÷ reference units, the busiest unit's work, operator time ÷
/// operators and the longest execution.
pub fn replay_bound(ran: &[Ran], cap: &super::Capacity) -> f64 {
    let per = |x: f64, n: usize| if n == 0 { 0.0 } else { x / n as f64 };
    let is_ref = |h: &str| {
        h.strip_prefix("unit:")
            .is_some_and(|s| cap.references.iter().any(|r| r == s))
    };
    let mut identity = 0.0;
    let mut reference = 0.0;
    let mut operator = 0.0;
    let mut longest: f64 = 0.0;
    let mut unit: std::collections::BTreeMap<&str, f64> = Default::default();
    for r in ran {
        for h in &r.holds {
            if h.starts_with("identity:") {
                identity += r.seconds;
            } else if is_ref(h) {
                reference += r.seconds;
            } else {
                *unit.entry(h.as_str()).or_default() += r.seconds;
            }
        }
        operator += r.operator_seconds;
        longest = longest.max(r.seconds);
    }
    [
        per(identity, cap.identities.len()),
        per(reference, cap.references.len()),
        unit.values().copied().fold(0.0, f64::max),
        per(operator, cap.operators.max(1)),
        longest,
    ]
    .into_iter()
    .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(holds: &[&str], seconds: f64, operator_seconds: f64) -> Ran {
        Ran {
            holds: holds.iter().map(|s| s.to_string()).collect(),
            seconds,
            operator_seconds,
        }
    }

    #[test]
    fn a_run_replays_in_its_own_order_with_the_operator_shared() {
        // A and B share nothing: together. C waits for B's unit. B's card read waits for A's when
        // there is one operator, so B and then C end 10 s later.
        let r = vec![
            ran(&["unit:A"], 100.0, 10.0),
            ran(&["unit:B"], 100.0, 10.0),
            ran(&["unit:B"], 50.0, 0.0),
        ];
        assert_eq!(replay(&r, &[0, 1, 2], 1), 160.0);
        assert_eq!(replay(&r, &[0, 1, 2], 2), 150.0);
        // One after the other on a single identity.
        let r = vec![ran(&["id:x"], 10.0, 0.0), ran(&["id:x"], 10.0, 0.0)];
        assert_eq!(replay(&r, &[1, 0], 1), 20.0);
    }
}

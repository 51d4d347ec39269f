//! Which executions may start, sans IO: a schedule's executions, in its start order, queue on every
//! resource they hold (their units, reference units and identities); an execution starts when it is at
//! the front of all its queues. However long each one really takes, every resource serves its
//! executions in the schedule's order with the schedule's bindings — deterministic for a given plan —
//! and no two executions ever hold one resource at once. The order is a total one, so no execution
//! waits for one queued behind it: no deadlock.

use std::collections::{BTreeMap, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
}

/// The queues of a run.
#[derive(Debug, Default)]
pub struct Dispatch {
    holds: Vec<Vec<String>>,
    state: Vec<State>,
    /// Position of each execution in the start order (moved executions go to the end).
    rank: Vec<usize>,
    queues: BTreeMap<String, VecDeque<usize>>,
    next_rank: usize,
}

impl Dispatch {
    /// `holds[i]`: the resources execution `i` holds; `order`: the executions to run, in start order
    /// (executions not in it are not run).
    pub fn new(holds: Vec<Vec<String>>, order: &[usize]) -> Self {
        let n = holds.len();
        let mut d = Dispatch {
            holds,
            state: vec![State::Done; n],
            rank: vec![usize::MAX; n],
            queues: BTreeMap::new(),
            next_rank: 0,
        };
        for &i in order {
            if i < n && d.state[i] == State::Done && d.rank[i] == usize::MAX {
                d.enqueue(i);
            }
        }
        d
    }

    fn enqueue(&mut self, i: usize) {
        self.state[i] = State::Waiting;
        self.rank[i] = self.next_rank;
        self.next_rank += 1;
        for r in &self.holds[i] {
            self.queues.entry(r.clone()).or_default().push_back(i);
        }
    }

    fn unqueue(&mut self, i: usize) {
        for r in &self.holds[i] {
            if let Some(q) = self.queues.get_mut(r) {
                q.retain(|x| *x != i);
            }
        }
    }

    /// Executions that may start now, in start order; they count as running from here.
    pub fn ready(&mut self) -> Vec<usize> {
        let mut out: Vec<usize> = (0..self.state.len())
            .filter(|&i| {
                self.state[i] == State::Waiting
                    && self.holds[i]
                        .iter()
                        .all(|r| self.queues.get(r).and_then(|q| q.front()) == Some(&i))
            })
            .collect();
        out.sort_by_key(|&i| self.rank[i]);
        for &i in &out {
            self.state[i] = State::Running;
        }
        out
    }

    /// Execution `i` ended (or was skipped): what it held goes to the next in line.
    pub fn finish(&mut self, i: usize) {
        if i < self.state.len() && self.state[i] != State::Done {
            self.unqueue(i);
            self.state[i] = State::Done;
        }
    }

    /// Execution `i`, not started, is to hold `holds` instead (another unit took it over): it queues
    /// again, behind everything already queued.
    pub fn move_to(&mut self, i: usize, holds: Vec<String>) {
        if i < self.state.len() && self.state[i] != State::Done {
            self.unqueue(i);
            self.holds[i] = holds;
            self.enqueue(i);
        }
    }

    /// Nothing waits and nothing runs.
    pub fn done(&self) -> bool {
        self.state.iter().all(|s| *s == State::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn executions_sharing_nothing_start_together_and_a_shared_identity_keeps_the_plan_order() {
        // 0 and 1 on different units with the same identity; 2 on a third unit with another identity.
        let holds = vec![
            h(&["A", "id:taro"]),
            h(&["B", "id:taro"]),
            h(&["C", "id:hanako"]),
        ];
        let mut d = Dispatch::new(holds, &[1, 0, 2]);
        assert_eq!(
            d.ready(),
            vec![1, 2],
            "1 comes first in the plan: it gets taro"
        );
        assert_eq!(
            d.ready(),
            Vec::<usize>::new(),
            "started ones are not handed out twice"
        );
        d.finish(2);
        assert!(d.ready().is_empty(), "0 waits for taro, not for C");
        d.finish(1);
        assert_eq!(d.ready(), vec![0]);
        d.finish(0);
        assert!(d.done());
    }

    #[test]
    fn a_moved_execution_queues_behind_its_new_units_work() {
        let holds = vec![h(&["A"]), h(&["A"]), h(&["B"]), h(&["B"])];
        let mut d = Dispatch::new(holds, &[0, 2, 1, 3]);
        assert_eq!(d.ready(), vec![0, 2]);
        // A is quarantined: 1 moves to B, behind 3.
        d.move_to(1, h(&["B"]));
        d.finish(0);
        assert!(d.ready().is_empty());
        d.finish(2);
        assert_eq!(d.ready(), vec![3]);
        d.finish(3);
        assert_eq!(d.ready(), vec![1]);
        d.finish(1);
        assert!(d.done());
    }

    #[test]
    fn executions_left_out_of_the_order_never_start() {
        let mut d = Dispatch::new(vec![h(&["A"]), h(&["A"])], &[1]);
        assert_eq!(d.ready(), vec![1]);
        d.finish(1);
        assert!(d.done());
    }
}

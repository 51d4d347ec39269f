//! The clock of a schedule: executions under way, segment by segment, sharing the operators (or robots)
//! and the readers. Who starts when is the caller's ([`super::sim::schedule`] plans by priority,
//! [`super::replay`] follows a run's order); this advances time to the next segment end.

use super::sim::Demand;

/// An execution under way.
struct Running {
    index: usize,
    segment: usize,
    /// When its current segment ends, or `None` while it waits for the operator or a reader.
    until: Option<f64>,
    started: f64,
}

pub(super) struct Engine<'d> {
    demands: &'d [Demand],
    running: Vec<Running>,
    operators: usize,
    readers: usize,
    /// Seconds since the start.
    pub now: f64,
}

impl<'d> Engine<'d> {
    pub fn new(demands: &'d [Demand], operators: usize, readers: usize) -> Self {
        Engine {
            demands,
            running: Vec::new(),
            operators,
            readers,
            now: 0.0,
        }
    }

    /// Execution `i` starts now.
    pub fn start(&mut self, i: usize) {
        self.running.push(Running {
            index: i,
            segment: 0,
            until: None,
            started: self.now,
        });
    }

    pub fn idle(&self) -> bool {
        self.running.is_empty()
    }

    /// Gives waiting segments the operator or a reader — executions that hold more of the shared pools
    /// (identities, reference units) first, so they give them back sooner, then the one with the most
    /// work left — and advances the clock to the next segment end. The executions that ended then, with
    /// when they started; `None` when nothing can go on.
    pub fn step(&mut self) -> Option<Vec<(usize, f64)>> {
        let demands = self.demands;
        let held_pools =
            |r: &Running| demands[r.index].references.len() + demands[r.index].identities.len();
        let left = |r: &Running| -> f64 {
            let segs = &demands[r.index].segments;
            segs[r.segment.min(segs.len())..]
                .iter()
                .map(|s| s.seconds)
                .sum()
        };
        let mut order: Vec<usize> = (0..self.running.len())
            .filter(|k| self.running[*k].until.is_none())
            .collect();
        order.sort_by(|a, b| {
            let (ra, rb) = (&self.running[*a], &self.running[*b]);
            held_pools(rb)
                .cmp(&held_pools(ra))
                .then(left(rb).total_cmp(&left(ra)))
                .then(a.cmp(b))
        });
        for k in order {
            let r = &mut self.running[k];
            let Some(s) = demands[r.index].segments.get(r.segment).copied() else {
                r.until = Some(self.now);
                continue;
            };
            if (s.operator && self.operators == 0) || (s.reader && self.readers == 0) {
                continue;
            }
            if s.operator {
                self.operators -= 1;
            }
            if s.reader {
                self.readers -= 1;
            }
            r.until = Some(self.now + s.seconds);
        }
        let next = self
            .running
            .iter()
            .filter_map(|r| r.until)
            .min_by(|a, b| a.total_cmp(b))?;
        self.now = next;
        let mut finished = Vec::new();
        for (k, r) in self.running.iter_mut().enumerate() {
            if r.until != Some(next) {
                continue;
            }
            if let Some(s) = demands[r.index].segments.get(r.segment) {
                if s.operator {
                    self.operators += 1;
                }
                if s.reader {
                    self.readers += 1;
                }
            }
            r.segment += 1;
            r.until = None;
            if r.segment >= demands[r.index].segments.len() {
                finished.push(k);
            }
        }
        Some(
            finished
                .into_iter()
                .rev()
                .map(|k| {
                    let r = self.running.remove(k);
                    (r.index, r.started)
                })
                .collect(),
        )
    }
}

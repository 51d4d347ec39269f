//! CI partitions: `--partition K/N` runs the K-th of N parts of a run. The split is by unit — every
//! execution of a unit goes to the same part, so a host runs the units attached to it — balanced by how
//! many executions each unit has (the unit with the most work first, each to the lightest part so far);
//! an execution bound to no unit goes by its model. Every execution is in exactly one part, and the
//! split depends only on the plan: N processes agree without talking to each other.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Part `k` of `n` (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub k: usize,
    pub n: usize,
}

impl std::str::FromStr for Partition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a partition: write K/N with 1 ≤ K ≤ N, e.g. 1/2");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Partition { k, n })
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// The part (1-based) of each execution, given each one's subject unit (or, without one, its model).
pub fn assign(owners: &[(Option<&str>, &str)], n: usize) -> Vec<usize> {
    let n = n.max(1);
    let key = |(unit, model): &(Option<&str>, &str)| match unit {
        Some(u) => format!("unit:{u}"),
        None => format!("model:{model}"),
    };
    let mut work: BTreeMap<String, usize> = BTreeMap::new();
    for o in owners {
        *work.entry(key(o)).or_default() += 1;
    }
    // Longest first onto the lightest part; ties by name and by part number: deterministic.
    let mut keys: Vec<(&String, &usize)> = work.iter().collect();
    keys.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut load = vec![0usize; n];
    let mut part: BTreeMap<&String, usize> = BTreeMap::new();
    for (k, w) in keys {
        let lightest = (0..n).min_by_key(|p| (load[*p], *p)).unwrap_or(0);
        load[lightest] += w;
        part.insert(k, lightest + 1);
    }
    owners
        .iter()
        .map(|o| part.get(&key(o)).copied().unwrap_or(1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_stays_in_one_part_every_execution_is_in_one_and_the_parts_are_balanced() {
        let owners: Vec<(Option<&str>, &str)> = vec![
            (Some("A"), "m1"),
            (Some("A"), "m1"),
            (Some("B"), "m1"),
            (Some("C"), "m2"),
            (Some("A"), "m1"),
            (None, "m2"),
            (Some("C"), "m2"),
        ];
        let parts = assign(&owners, 2);
        assert_eq!(parts, assign(&owners, 2), "the same every time");
        for (i, o) in owners.iter().enumerate() {
            for (j, p) in owners.iter().enumerate() {
                if o.0.is_some() && o.0 == p.0 {
                    assert_eq!(parts[i], parts[j], "{:?} split", o.0);
                }
            }
        }
        let count = |k: usize| parts.iter().filter(|p| **p == k).count();
        assert_eq!(count(1) + count(2), owners.len());
        assert!(count(1).abs_diff(count(2)) <= 1, "{parts:?}");
        assert_eq!(assign(&owners, 1), vec![1; owners.len()]);
    }

    #[test]
    fn partitions_parse_and_bad_ones_say_how_to_write_them() {
        assert_eq!("2/3".parse::<Partition>(), Ok(Partition { k: 2, n: 3 }));
        for bad in ["0/2", "3/2", "1", "a/b", "1/0"] {
            let e = bad.parse::<Partition>().unwrap_err();
            assert!(e.contains("K/N"), "{e}");
        }
    }
}

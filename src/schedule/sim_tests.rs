//! The scheduler's rules, one per test.
use super::*;

fn seg(seconds: f64) -> Segment {
    Segment {
        seconds,
        operator: false,
        reader: false,
    }
}

fn demand(unit: &str, identities: usize, segments: Vec<Segment>) -> Demand {
    Demand {
        units: vec![unit.into()],
        references: vec![],
        // Any identity of the pool can play each role.
        identities: vec![(0..10).map(|i| format!("id{i}")).collect(); identities],
        segments,
    }
}

fn cap(ids: usize, operators: usize) -> Capacity {
    Capacity {
        references: vec!["R1".into()],
        identities: (0..ids).map(|i| format!("id{i}")).collect(),
        operators,
        readers: 1,
    }
}

#[test]
fn executions_on_different_units_run_together_and_one_unit_runs_one_at_a_time() {
    let d = vec![
        demand("A", 1, vec![seg(10.0)]),
        demand("B", 1, vec![seg(10.0)]),
        demand("A", 1, vec![seg(5.0)]),
    ];
    let s = schedule(&d, &cap(2, 1));
    assert_eq!(s.makespan, 15.0);
    let slot = |i: usize| s.slots[i].clone().unwrap();
    assert_eq!((slot(0).start, slot(1).start), (0.0, 0.0));
    assert_eq!(slot(2).start, 10.0, "A was busy");
}

#[test]
fn an_identity_serves_one_execution_at_a_time() {
    let d = vec![
        demand("A", 1, vec![seg(10.0)]),
        demand("B", 1, vec![seg(10.0)]),
    ];
    let s = schedule(&d, &cap(1, 1));
    assert_eq!(s.makespan, 20.0);
    let lb = lower_bound(&d, &cap(1, 1));
    assert_eq!(lb.seconds, 20.0, "{:?}", lb.terms);
}

#[test]
fn one_operator_places_one_card_at_a_time_while_other_work_goes_on() {
    let card = Segment {
        seconds: 10.0,
        operator: true,
        reader: false,
    };
    let d = vec![
        demand("A", 1, vec![card, seg(20.0)]),
        demand("B", 1, vec![card, seg(20.0)]),
    ];
    let s = schedule(&d, &cap(2, 1));
    // B waits for the operator (10 s), then both finish their own work.
    assert_eq!(s.makespan, 40.0);
    let b = s.slots[1].clone().unwrap();
    assert_eq!((b.start, b.end), (0.0, 40.0));
}

#[test]
fn longest_first_and_the_same_schedule_every_time() {
    let d: Vec<Demand> = (0..20)
        .map(|i| {
            demand(
                &format!("U{}", i % 4),
                1,
                vec![seg(1.0 + (i * 7 % 5) as f64)],
            )
        })
        .collect();
    let a = schedule(&d, &cap(3, 1));
    let b = schedule(&d, &cap(3, 1));
    assert_eq!(a, b);
    let lb = lower_bound(&d, &cap(3, 1));
    assert!(a.makespan >= lb.seconds);
}

#[test]
fn an_execution_the_lab_cannot_serve_is_named_not_dropped() {
    let mut d = demand("A", 1, vec![seg(1.0)]);
    d.references = vec![vec!["R1".into()]; 3];
    let s = schedule(&[d, demand("B", 1, vec![seg(1.0)])], &cap(1, 1));
    assert!(
        s.slots[0]
            .as_ref()
            .unwrap_err()
            .contains("3 reference units")
    );
    assert!(s.slots[1].is_ok());
}

#[test]
fn a_named_identity_serves_its_executions_one_after_the_other_while_others_take_the_pool() {
    let mut a = demand("A", 1, vec![seg(10.0)]);
    let mut b = demand("B", 1, vec![seg(10.0)]);
    a.identities = vec![vec!["id1".into()]];
    b.identities = vec![vec!["id1".into()]];
    let c = demand("C", 1, vec![seg(10.0)]);
    let s = schedule(&[a.clone(), b.clone(), c.clone()], &cap(2, 1));
    assert_eq!(s.makespan, 20.0, "id1 is named twice");
    let slot = |i: usize| s.slots[i].clone().unwrap();
    assert_eq!(slot(0).identities, vec!["id1".to_string()]);
    assert_eq!(slot(1).identities, vec!["id1".to_string()]);
    assert_eq!(
        slot(2).identities,
        vec!["id0".to_string()],
        "C takes the other one"
    );
    assert_eq!(slot(2).start, 0.0);
    let lb = lower_bound(&[a, b, c], &cap(2, 1));
    assert_eq!(lb.seconds, 20.0, "{:?}", lb.terms);
}

#[test]
fn two_identity_roles_take_two_different_people() {
    let d = demand("A", 2, vec![seg(10.0)]);
    let s = schedule(std::slice::from_ref(&d), &cap(2, 1));
    let slot = s.slots[0].clone().unwrap();
    assert_eq!(slot.identities, vec!["id0".to_string(), "id1".to_string()]);
    let s = schedule(&[d], &cap(1, 1));
    assert!(s.slots[0].as_ref().unwrap_err().contains("2 identities"));
}

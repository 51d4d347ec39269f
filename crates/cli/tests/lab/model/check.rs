//! The checks: the model and the conformant virtual lab agree on bounded runs (more in an `--ignored`
//! test), and every quirk of the catalogue makes them disagree (the model check's mutation score).

use super::lab::{ModelLab, people, profiles};
use super::reference::Model;
use super::{Action, actions};
use mynacert::profile::Quirk;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
};
use std::cell::Cell;

/// Runs `seq` on a fresh lab with `quirk` and the model side by side; the first disagreement or broken
/// invariant is the error.
fn agree(quirk: Option<Quirk>, seq: &[Action]) -> Result<(), String> {
    let mut model = Model::new(people());
    let mut lab = ModelLab::open(profiles(quirk));
    lab.run(seq, |n, a, seen| {
        let predicted = model.apply(a);
        let want = model.observed(predicted);
        want.one_phone_per_person()
            .map_err(|e| format!("the model itself broke the invariant: {e}"))?;
        let diff = want.diff(seen);
        let broken = seen.one_phone_per_person().err();
        if diff.is_empty() && broken.is_none() {
            return Ok(());
        }
        Err(format!(
            "after step {} `{a:?}` of {:?}:\n  {}",
            n + 1,
            &seq[..=n],
            diff.into_iter()
                .chain(broken.map(|b| format!("invariant: {b}")))
                .collect::<Vec<_>>()
                .join("\n  ")
        ))
    })
}

fn runner(cases: u32, deterministic: bool, persist: bool) -> TestRunner {
    let config = Config {
        cases,
        max_shrink_iters: 100,
        // Failing sequences of the calm check are kept beside this file and replayed first.
        source_file: Some(file!()),
        failure_persistence: persist
            .then(|| Box::new(FileFailurePersistence::WithSource("regressions")) as _),
        ..Config::default()
    };
    if deterministic {
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    } else {
        TestRunner::new(config)
    }
}

/// Cases and sequence length from the environment (`MYNACERT_MODEL_CASES`, `MYNACERT_MODEL_STEPS`).
fn sized(cases: u32, steps: usize) -> (u32, usize) {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse().ok());
    (
        env("MYNACERT_MODEL_CASES").unwrap_or(cases),
        env("MYNACERT_MODEL_STEPS").map_or(steps, |s: u32| s as usize),
    )
}

fn calm(cases: u32, steps: usize, deterministic: bool) {
    let (cases, steps) = sized(cases, steps);
    let mut r = runner(cases, deterministic, true);
    let result = r.run(&actions(steps), |seq| {
        agree(None, &seq).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("the virtual lab and the model of R1–R9 disagree: {e}");
    }
    println!("model check: {cases} runs of up to {steps} actions agree with the model");
}

#[test]
fn the_conformant_virtual_lab_agrees_with_the_model_of_the_rules() {
    calm(12, 14, true);
}

#[test]
#[ignore = "long: many cases (MYNACERT_MODEL_CASES, default 400)"]
fn the_conformant_virtual_lab_agrees_with_the_model_many_cases() {
    calm(400, 30, false);
}

/// What the model check found, kept as plain sequences (proptest's regression file keeps RNG seeds,
/// which replay other sequences once the strategy changes).
#[test]
fn what_the_model_check_found_stays_fixed() {
    use super::Action::*;
    let found: [&[Action]; 4] = [
        // A pending sign re-issue must not survive the person's move to another phone (R2) …
        &[
            Provision { on: 0, who: 0 },
            Suspend { who: 0 },
            Lift { who: 0 },
            Provision { on: 1, who: 0 },
            Register { on: 0 },
        ],
        // … nor a revocation of that phone from another one (R5).
        &[
            Provision { on: 0, who: 0 },
            Suspend { who: 0 },
            Lift { who: 0 },
            RevokeOther {
                on: 1,
                who: 0,
                with_card: true,
            },
            Register { on: 0 },
        ],
        // A factory reset of a phone that is off is a lab error, not done.
        &[Power { on: 0, up: false }, FactoryReset { on: 0 }],
        // The try that uses the last one says "wrong password"; locked comes after.
        &[
            Provision { on: 0, who: 1 },
            OpenMyPage { on: 0, who: 0 },
            OpenMyPage { on: 0, who: 0 },
            OpenMyPage { on: 0, who: 0 },
            OpenMyPage { on: 0, who: 0 },
        ],
    ];
    for seq in found {
        if let Err(e) = agree(None, seq) {
            panic!("{e}");
        }
    }
}

/// Every quirk switched on alone: the check must find a disagreement. Prints the score and, per quirk,
/// the shortest sequence proptest shrank the disagreement to.
#[test]
fn every_quirk_makes_the_model_check_disagree() {
    let (cases, steps) = sized(400, 24);
    let mut table = String::from(
        "| quirk | rule | found in run | shrunk to → first disagreement |\n|---|---|---|---|\n",
    );
    let mut missed = Vec::new();
    for q in Quirk::ALL {
        let mut r = runner(cases, true, false);
        let tried = Cell::new(0u32);
        let found = Cell::new(None);
        let result = r.run(&actions(steps), |seq| {
            tried.set(tried.get() + 1);
            let r = agree(Some(q), &seq);
            if r.is_err() && found.get().is_none() {
                found.set(Some(tried.get()));
            }
            r.map_err(TestCaseError::fail)
        });
        match result {
            Err(TestError::Fail(why, seq)) => {
                let first = why.to_string();
                let line = first.lines().nth(1).unwrap_or("").trim().to_string();
                let steps: Vec<String> = seq.iter().map(|a| format!("{a:?}")).collect();
                table.push_str(&format!(
                    "| {} | {} | {} | {} → {} |\n",
                    q.name(),
                    q.rule(),
                    found.get().unwrap_or(0),
                    steps.join(", "),
                    line
                ));
            }
            Err(TestError::Abort(why)) => missed.push(format!("{}: aborted: {why}", q.name())),
            Ok(()) => missed.push(format!("{}: no disagreement in {cases} runs", q.name())),
        }
    }
    let caught = Quirk::ALL.len() - missed.len();
    println!(
        "model check mutation score: {caught}/{}\n{table}",
        Quirk::ALL.len()
    );
    assert!(
        missed.is_empty(),
        "quirks the model check missed: {missed:?}"
    );
}

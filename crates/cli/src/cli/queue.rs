//! `mynacert run --store postgres://… --queue`: the coordinator. It plans the run as a one-host run of
//! the lab file's units would (same executions, same numbers), writes the executions with their
//! capability tokens into the store's queue, and waits for the workers (or returns with `--detach`).
//! When every execution is done it writes the run's reports from the store.

use super::RunArgs;
use super::commands::{CliError, exit_summary, lab_spec, select};
use super::store::{history_for, open, store_error};
use mynacert::journal::{RunMeta, ScenarioEntry, read_journal, start_run};
use mynacert::lab::survey::LabSurvey;
use mynacert::report::{new_run_id, render_table, verdict::exit_code};
use mynacert::runner::{executions, pools, skipped};
use mynacert::store::queue::Queued;
use mynacert::store::tokens::{needs_reader, requirements};
use std::path::Path;
use std::time::{Duration, Instant};

/// `run --queue`.
pub fn run_queued(root: &Path, args: &RunArgs) -> Result<i32, CliError> {
    if args.resume.is_some() || args.rerun_failed.is_some() || args.select.partition.is_some() {
        return Err(CliError::Invalid(
            "`--queue` plans a whole new run: it does not take --resume, --rerun-failed or --partition (workers share the work)".into(),
        ));
    }
    let selection = super::run::recordable(root, &args.select);
    let selected = select(root, &selection)?;
    let spec = lab_spec(root, &selected.loaded, args)?;
    let units = mynacert::lab::lab_units(&spec, Some(mynacert_sim::factory))?;
    let identities = &selected.loaded.identities;
    let timing =
        mynacert::schedule::load_timing(root).map_err(|e| CliError::Invalid(e.to_string()))?;
    let mut store = open(&args.store.store.location(&args.out))?;

    let out = if args.out.is_absolute() {
        args.out.clone()
    } else {
        root.join(&args.out)
    };
    let run_id = new_run_id();
    let run_dir = out.join(&run_id);
    let survey = LabSurvey {
        id: selected.loaded.file.lab.clone(),
        kind: selected.loaded.file.kind,
        phones: "queued: each worker's own units".into(),
        units: units
            .iter()
            .map(|u| mynacert::journal::UnitRecord {
                serial: u.serial.clone(),
                model: u.profile.id.clone(),
                carrier: u.carrier.clone(),
                reference: u.reference,
                fingerprint: None,
                fingerprint_error: Some("recorded by the worker that runs it".into()),
            })
            .collect(),
    };
    let meta = RunMeta {
        selection: serde_json::to_value(&selection).ok(),
        partition: None,
    };
    let writer = start_run(
        &run_dir,
        &run_id,
        &survey,
        &selected.set,
        &selected.loaded.profiles,
        meta,
    )
    .map_err(|e| CliError::Infra(format!("cannot start {}: {e}", run_dir.display())))?;
    drop(writer);
    let header = read_journal(&run_dir)
        .map_err(|e| CliError::Infra(e.to_string()))?
        .header;

    let planned = executions(&selected.jobs, &units, identities);
    let mut queued = Vec::new();
    let mut finals = Vec::new();
    for (i, (job, b)) in planned.iter().enumerate() {
        match b {
            Ok(b) => {
                let p = pools(&job.scenario, &units, identities);
                let demand = mynacert::schedule::plan::demand_of(job, b, &p, &timing, None);
                queued.push(Queued {
                    index: i + 1,
                    scenario: job.full_id.clone(),
                    model: job.model.id.clone(),
                    carrier: b.subject.as_ref().map(|u| u.carrier.clone()),
                    requires: requirements(&job.scenario, b, needs_reader(&demand)),
                });
            }
            Err(reason) => finals.push(ScenarioEntry {
                run_id: run_id.clone(),
                at: mynacert::runner::now(),
                index: i + 1,
                suite_digest: digest_of(&header, &job.full_id),
                fingerprints: Default::default(),
                result: skipped(job, reason.clone()),
                lost: Vec::new(),
            }),
        }
    }
    let plan = serde_json::json!({ "selection": selection });
    store
        .enqueue(&header, &plan, &queued, &finals)
        .map_err(store_error)?;
    eprintln!(
        "run {run_id}: {} execution(s) queued in {} ({} cannot run on these units and are recorded as skipped)",
        queued.len(),
        store.location(),
        finals.len()
    );
    eprintln!("run directory: {}", run_dir.display());
    if args.store.detach {
        println!("{run_id}");
        eprintln!(
            "queued; report it once the workers are done: mynacert report --store … --run {run_id}"
        );
        return Ok(0);
    }
    wait_and_report(&mut store, &run_id, &run_dir)
}

/// Waits for the workers to finish the run, then writes its reports into `run_dir`.
fn wait_and_report(
    store: &mut mynacert::store::Store,
    run_id: &str,
    run_dir: &Path,
) -> Result<i32, CliError> {
    let mut last = None;
    let mut since = Instant::now();
    loop {
        let p = store.progress(run_id).map_err(store_error)?;
        if Some(p) != last {
            eprintln!(
                "{run_id}: {} of {} done, {} running, {} waiting for a worker",
                p.done, p.total, p.claimed, p.ready
            );
            last = Some(p);
            since = Instant::now();
        } else if since.elapsed() > Duration::from_secs(120) {
            eprintln!(
                "{run_id}: no progress for 2 min: is a worker running whose lab can serve what waits? (`mynacert worker --store … --lab …`)"
            );
            since = Instant::now();
        }
        if p.finished() {
            break;
        }
        store
            .wait_for_news(Duration::from_secs(2))
            .map_err(store_error)?;
    }
    let j = store.finish_queued(run_id).map_err(store_error)?;
    let history = history_for(store, &j);
    let (report, files) =
        mynacert::report::write_reports_with(run_dir, &j, &history).map_err(|e| {
            CliError::Infra(format!(
                "cannot write reports in {}: {e}",
                run_dir.display()
            ))
        })?;
    let v = &report.verdicts;
    println!("\n{}", render_table(v));
    for l in &report.host_losses {
        println!(
            "host lost: #{} {} on {}: worker {} on {} (lease taken over at {}; run again elsewhere)",
            l.index, l.scenario, l.model, l.worker, l.host, l.lost_at
        );
    }
    println!("results: {}", files.results.display());
    let code = exit_code(&report.scenarios, v);
    println!("exit {code}: {}", exit_summary(code, v));
    Ok(code)
}

/// The SHA-256 of the suite a `suite/scenario` comes from, as the run header records it.
pub fn digest_of(header: &mynacert::journal::RunHeader, full_id: &str) -> Option<String> {
    let suite = full_id.split('/').next().unwrap_or_default();
    header
        .suites
        .iter()
        .find(|s| s.id == suite)
        .map(|s| s.digest.clone())
}

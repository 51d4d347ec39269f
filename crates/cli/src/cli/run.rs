//! `mynacert run`: a new run, a killed run continued (`--resume RUN_DIR`), or a run's failed and errored
//! executions run again (`--rerun-failed RUN_DIR`). Every finished step and execution is journalled into
//! the run directory as it happens; every report is built from that journal.

use super::commands::{CliError, Prepared, exit_summary, prepare};
use super::{RunArgs, SelectArgs};
use mynacert::journal::{Journal, JournalWriter, read_journal, suite_digests};
use mynacert::report::verdict::exit_code;
use mynacert::report::{ConsoleReporter, new_run_id, render_table};
use mynacert::runner::{Parallel, Resume, RunOptions, Runner};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// A run being continued.
struct Continued {
    dir: PathBuf,
    journal: Journal,
    rerun: bool,
}

/// `mynacert run`.
pub fn run(root: &Path, args: &RunArgs) -> Result<i32, CliError> {
    if args.store.queue {
        return super::queue::run_queued(root, args);
    }
    let continued = match (&args.resume, &args.rerun_failed) {
        (Some(dir), _) => Some(open_continued(dir, false)?),
        (None, Some(dir)) => Some(open_continued(dir, true)?),
        (None, None) => None,
    };
    let selection = match &continued {
        Some(c) => recorded_selection(c)?,
        None => recordable(root, &args.select),
    };
    let Prepared {
        set,
        profiles,
        lab: mut opened,
        jobs,
        file,
    } = prepare(root, &selection, args)?;
    let survey = mynacert::lab::survey::survey(opened.lab.as_mut());
    let (run_dir, mut journal, resume) = match continued {
        Some(c) => {
            check_same_run(&c, &set, &survey)?;
            let finished: Vec<_> = c
                .journal
                .scenarios
                .iter()
                .map(|s| s.result.clone())
                .collect();
            let resume = if c.rerun {
                Resume::rerun_failed(&finished)
            } else {
                Resume::keep_finished(&finished)
            };
            let (kept, again) = resume.counts();
            eprintln!(
                "continuing run {}: {kept} execution(s) stand{}",
                c.journal.header.run_id,
                if c.rerun {
                    format!(", {again} failed or errored run again")
                } else {
                    String::new()
                }
            );
            let path = c.dir.join(mynacert::journal::FILE_NAME);
            let journal = JournalWriter::reopen(&path, &c.journal.header)
                .map_err(|e| CliError::Infra(format!("cannot continue {}: {e}", path.display())))?;
            (c.dir, journal, Some(resume))
        }
        None => {
            let out = if args.out.is_absolute() {
                args.out.clone()
            } else {
                root.join(&args.out)
            };
            let run_dir = out.join(new_run_id());
            let run_id = run_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let meta = mynacert::journal::RunMeta {
                selection: serde_json::to_value(&selection).ok(),
                partition: selection.partition,
            };
            let journal =
                mynacert::journal::start_run(&run_dir, &run_id, &survey, &set, &profiles, meta)
                    .map_err(|e| {
                        CliError::Infra(format!("cannot start {}: {e}", run_dir.display()))
                    })?;
            (run_dir, journal, None)
        }
    };
    eprintln!("run directory: {}", run_dir.display());
    for p in &opened.paths {
        eprintln!("{p}");
    }
    let parallel = if args.sequential {
        None
    } else {
        Some(Parallel {
            timing: mynacert::schedule::load_timing(root)
                .map_err(|e| CliError::Invalid(e.to_string()))?,
            operators: args.resources.operators,
            readers: args.resources.readers(&file),
        })
    };
    let progress = !args.no_progress && std::io::stderr().is_terminal();
    let device_time;
    let mut reporter = ConsoleReporter::new(progress, args.verbose);
    {
        let mut runner = Runner::new(
            opened.lab.as_mut(),
            opened.flows.clone(),
            RunOptions {
                retries: args.retries,
                unit_return_timeout: std::time::Duration::from_secs(args.unit_return_timeout),
                parallel,
                resume,
                partition: selection.partition,
                only: None,
                card_safety: file.card_safety.clone(),
                timeouts: set
                    .profile
                    .as_ref()
                    .map(|(_, p)| p.timeouts)
                    .unwrap_or_default(),
            },
        );
        let mut fanout = mynacert::journal::Fanout(vec![&mut reporter, &mut journal]);
        device_time = runner.run(&jobs, &mut fanout).device_time;
    }
    drop(reporter);
    // The test cards as the run leaves them (no try spent): a card running low shows before it locks.
    let cards = mynacert::lab::cards::card_tries(opened.lab.as_mut());
    // The lab's served phones and cards go with it (an adb server forgets the phones first).
    drop(opened);
    if let Some(e) = journal.error() {
        return Err(CliError::Infra(format!("journal incomplete: {e}")));
    }
    journal
        .finish()
        .map_err(|e| CliError::Infra(format!("cannot finish the journal: {e}")))?;
    let j = read_journal(&run_dir).map_err(|e| CliError::Infra(e.to_string()))?;
    // Into the store (the journal stays the source of truth: a failure here loses nothing).
    let (stored, history) = if args.store.no_store {
        (Ok(None), Vec::new())
    } else {
        record(
            &args.store.store.location(&run_dir_parent(&run_dir)),
            &j,
            &run_dir,
        )
    };
    let (report, files) =
        mynacert::report::write_reports_with(&run_dir, &j, &history).map_err(|e| {
            CliError::Infra(format!(
                "cannot write reports in {}: {e}",
                run_dir.display()
            ))
        })?;
    let v = &report.verdicts;
    println!("\n{}", render_table(v));
    if let Some(d) = device_time {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        println!(
            "device time on the virtual clock: {} as scheduled ({:.3}× the lower bound, {}), {} one after the other ({:.1}×)",
            mynacert::schedule::human(d.makespan),
            ratio(d.makespan, d.lower_bound),
            mynacert::schedule::human(d.lower_bound),
            mynacert::schedule::human(d.sequential),
            ratio(d.sequential, d.makespan)
        );
    }
    println!("results: {}", files.results.display());
    println!("test cards after the run (tries left, none spent to read them):");
    for c in &cards {
        println!("  {c}");
    }
    let code = exit_code(&report.scenarios, v);
    match stored {
        Ok(Some(at)) => println!("store: {at}"),
        Ok(None) => {}
        Err(e) => {
            eprintln!(
                "error: the run is complete in {} but not in the store: {e}\n  hint: `mynacert store import {}` once the store is back",
                run_dir.display(),
                run_dir.display()
            );
            println!("exit 3: {}", exit_summary(code, v));
            return Ok(3.max(code));
        }
    }
    println!("exit {code}: {}", exit_summary(code, v));
    Ok(code)
}

/// The reports directory a run directory lies in (where the default store is).
fn run_dir_parent(run_dir: &Path) -> PathBuf {
    run_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("reports"))
}

/// Imports the run into the store; the history of its models for the HTML report.
fn record(
    location: &mynacert::store::Location,
    j: &Journal,
    run_dir: &Path,
) -> (
    Result<Option<String>, CliError>,
    Vec<mynacert::store::history::Series>,
) {
    let mut store = match super::store::open(location) {
        Ok(s) => s,
        Err(e) => return (Err(e), Vec::new()),
    };
    if let Err(e) = store.import(j, Some(run_dir), &super::store::host_name()) {
        return (Err(super::store::store_error(e)), Vec::new());
    }
    let history = super::store::history_for(&mut store, j);
    (Ok(Some(store.location())), history)
}

/// The selection as the journal records it: paths made absolute (the lab file's against the project,
/// `--suite` and `--devices` against the working directory), so the run can be continued from anywhere.
pub(super) fn recordable(root: &Path, s: &SelectArgs) -> SelectArgs {
    let abs = |p: &PathBuf| p.canonicalize().unwrap_or_else(|_| p.clone());
    let mut out = s.clone();
    if !out.lab.is_absolute() {
        out.lab = root.join(&out.lab);
    }
    out.lab = abs(&out.lab);
    out.suites = s.suites.iter().map(abs).collect();
    out.devices = s.devices.iter().map(abs).collect();
    out
}

fn open_continued(dir: &Path, rerun: bool) -> Result<Continued, CliError> {
    let journal = read_journal(dir).map_err(|e| CliError::Invalid(e.to_string()))?;
    if !rerun && journal.footer.is_some() {
        return Err(CliError::Invalid(format!(
            "{}: run {} finished; there is nothing to resume (`--rerun-failed {}` runs its failures again)",
            dir.display(),
            journal.header.run_id,
            dir.display()
        )));
    }
    Ok(Continued {
        dir: dir.to_path_buf(),
        journal,
        rerun,
    })
}

fn recorded_selection(c: &Continued) -> Result<SelectArgs, CliError> {
    let value = c.journal.header.selection.clone().ok_or_else(|| {
        CliError::Invalid(format!(
            "{}: the journal does not record what run {} selected (written by an older mynacert); start a new run",
            c.dir.display(),
            c.journal.header.run_id
        ))
    })?;
    serde_json::from_value(value).map_err(|e| {
        CliError::Invalid(format!(
            "{}: the journal's selection is unreadable: {e}",
            c.dir.display()
        ))
    })
}

/// A continued run must run what it started with: the same suites, byte for byte, on the same units.
fn check_same_run(
    c: &Continued,
    set: &mynacert::scenario::SuiteSet,
    survey: &mynacert::lab::survey::LabSurvey,
) -> Result<(), CliError> {
    let h = &c.journal.header;
    let now = suite_digests(set);
    for s in &h.suites {
        match now.iter().find(|(id, _)| *id == s.id) {
            None => {
                return Err(CliError::Invalid(format!(
                    "suite `{}` of run {} is gone: a continued run runs the suites it started with; start a new run",
                    s.id, h.run_id
                )));
            }
            Some((_, d)) if *d != s.digest => {
                return Err(CliError::Invalid(format!(
                    "suite `{}` changed since run {} started (SHA-256 {} in the journal, {} now): a continued \
                     run runs the suites it started with; start a new run",
                    s.id,
                    h.run_id,
                    short(&s.digest),
                    short(d)
                )));
            }
            Some(_) => {}
        }
    }
    if let Some((id, _)) = now
        .iter()
        .find(|(id, _)| !h.suites.iter().any(|s| s.id == *id))
    {
        return Err(CliError::Invalid(format!(
            "suite `{id}` was not part of run {}: start a new run",
            h.run_id
        )));
    }
    let serials = |v: &[mynacert::journal::UnitRecord]| -> Vec<String> {
        let mut s: Vec<String> = v.iter().map(|u| u.serial.clone()).collect();
        s.sort();
        s
    };
    if serials(&h.units) != serials(&survey.units) {
        return Err(CliError::Invalid(format!(
            "the lab's units are not those of run {} ({} then, {} now): continue it on the same lab",
            h.run_id,
            h.units.len(),
            survey.units.len()
        )));
    }
    Ok(())
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

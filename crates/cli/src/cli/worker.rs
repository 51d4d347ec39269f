//! `mynacert worker`: a lab host's share of queued runs. It opens its own lab, offers the capability
//! tokens of its units, readers and identities, claims what it can serve (as many executions as it has
//! subject units, each under a lease its heartbeat renews), runs them with the scheduler, and writes
//! every step and result back while the lease is still its own.

use super::commands::{CliError, LabOptions, lab_spec, load_lab, select};
use super::phones::PhonePath;
use super::store::{host_name, open, store_error};
use mynacert::journal::{ScenarioEntry, StepEntry, suite_digests};
use mynacert::runner::{Parallel, RunEvent, RunOptions, Runner, executions};
use mynacert::store::queue::Claim;
use mynacert::store::{Location, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The PostgreSQL store holding the queue (`postgres://USER@HOST:PORT/DB`).
    #[arg(long, value_name = "URL")]
    pub store: String,
    /// This host's lab file (its units, readers and identities).
    #[arg(long, default_value = "devices/lab.yaml")]
    pub lab: PathBuf,
    /// Model profiles outside `devices/models/`; repeatable.
    #[arg(long = "devices", value_name = "PATH")]
    pub devices: Vec<PathBuf>,
    /// This worker's name in the store (default: HOST-PID).
    #[arg(long)]
    pub name: Option<String>,
    /// Seconds a claim lasts without a heartbeat (the heartbeat renews it every third of that).
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub lease: f64,
    /// Stop when no execution this lab could serve is left in the queue (default: wait for more).
    #[arg(long)]
    pub exit_when_idle: bool,
    /// Extra attempts for a failing scenario.
    #[arg(long, default_value_t = 0)]
    pub retries: u32,
    /// Seconds to wait for a unit that dropped off mid-scenario before quarantining it.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub unit_return_timeout: u64,
    /// How the driver reaches virtual phones (as `run --phones`).
    #[arg(long, value_enum, default_value_t = PhonePath::InProcess)]
    pub phones: PhonePath,
    /// Virtual lab: real seconds slept per second of device time (as `run --time-scale`).
    #[arg(long, default_value_t = 0.0, value_name = "FACTOR")]
    pub time_scale: f64,
    /// Virtual lab: chaos, seeded (as `run --chaos`).
    #[arg(long, value_name = "SEED")]
    pub chaos: Option<u64>,
    /// First loopback port for served adbds with `--phones adb-*` (0 = any free ports).
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    pub adb_port_base: u16,
}

impl LabOptions for WorkerArgs {
    fn phones(&self) -> PhonePath {
        self.phones
    }
    fn adb_port_base(&self) -> u16 {
        self.adb_port_base
    }
    fn unit_return_timeout(&self) -> u64 {
        self.unit_return_timeout
    }
    fn time_scale(&self) -> f64 {
        self.time_scale
    }
    fn chaos(&self) -> Option<u64> {
        self.chaos
    }
}

/// `mynacert worker`.
pub fn worker(root: &Path, args: &WorkerArgs) -> Result<i32, CliError> {
    if args.lease.is_nan() || args.lease < 3.0 {
        return Err(CliError::Invalid(format!(
            "--lease {}: give at least 3 seconds (the heartbeat renews leases every third of it)",
            args.lease
        )));
    }
    let location = Location::parse(&args.store, Path::new("."));
    if !matches!(location, Location::Postgres(_)) {
        return Err(CliError::Invalid(format!(
            "--store {}: workers share a PostgreSQL store (`postgres://…`)",
            location.display()
        )));
    }
    // The database first: a worker with none fails in seconds, before it touches any phone.
    let mut store = open(&location)?;
    let host = host_name();
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("{host}-{}", std::process::id()));
    let loaded = load_lab(root, &args.lab, &args.devices)?;
    let spec = lab_spec(root, &loaded, args)?;
    let mut opened = mynacert::lab::open_lab(&spec, Some(mynacert_sim::factory))?;
    let survey = mynacert::lab::survey::survey(opened.lab.as_mut());
    let units = opened.lab.units().to_vec();
    let reader =
        loaded.file.kind == mynacert::lab::LabKind::Virtual || !loaded.file.readers.is_empty();
    let caps = mynacert::store::tokens::capabilities(&units, &loaded.identities, reader);
    store
        .register_worker(&name, &host, &caps)
        .map_err(store_error)?;
    eprintln!(
        "worker {name} on {host}: lab {} ({} unit(s), {} identities), store {}",
        loaded.file.lab,
        units.len(),
        loaded.identities.len(),
        store.location()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let beat = heartbeat(location.clone(), name.clone(), args.lease, stop.clone());
    let fingerprints: BTreeMap<String, String> = survey
        .units
        .iter()
        .filter_map(|u| Some((u.serial.clone(), u.fingerprint.clone()?)))
        .collect();
    let slots = units.iter().filter(|u| !u.reference).count().max(1);
    let mut runs: BTreeMap<String, RunPlan> = BTreeMap::new();
    let (mut ran, mut dropped) = (0, 0);
    let result = loop {
        let claims = match store.claim(&name, &host, &caps, slots, args.lease) {
            Ok(c) => c,
            Err(e) => break Err(store_error(e)),
        };
        if claims.is_empty() {
            match store.servable(&caps) {
                Ok(0) if args.exit_when_idle => break Ok(()),
                Ok(_) => {}
                Err(e) => break Err(store_error(e)),
            }
            if let Err(e) =
                store.wait_for_news(Duration::from_secs_f64((args.lease / 3.0).min(2.0)))
            {
                break Err(store_error(e));
            }
            continue;
        }
        let run_id = claims[0].run_id.clone();
        let mine: Vec<Claim> = claims
            .iter()
            .filter(|c| c.run_id == run_id)
            .cloned()
            .collect();
        for c in claims.iter().filter(|c| c.run_id != run_id) {
            let _ = store.release(&name, &c.run_id, c.index);
        }
        if !runs.contains_key(&run_id) {
            match RunPlan::load(root, args, &mut store, &run_id) {
                Ok(p) => {
                    runs.insert(run_id.clone(), p);
                }
                Err(e) => {
                    for c in &mine {
                        let _ = store.release(&name, &c.run_id, c.index);
                    }
                    break Err(e);
                }
            }
        }
        let Some(plan) = runs.get(&run_id) else {
            continue;
        };
        let (r, d) = run_claims(
            &mut store,
            &name,
            &loaded.file.card_safety,
            plan,
            &mine,
            opened.lab.as_mut(),
            &opened.flows,
            &fingerprints,
            args,
        );
        ran += r;
        dropped += d;
    };
    stop.store(true, Ordering::Relaxed);
    let _ = beat.join();
    eprintln!(
        "worker {name}: {ran} execution(s) written back{}",
        if dropped > 0 {
            format!(", {dropped} dropped (their lease had been taken over)")
        } else {
            String::new()
        }
    );
    result.map(|()| 0)
}

/// A queued run as this worker runs it: its jobs on this lab, checked against the run's suites.
struct RunPlan {
    header: mynacert::journal::RunHeader,
    set: mynacert::scenario::SuiteSet,
    jobs: Vec<mynacert::runner::Job>,
    timing: mynacert_wire::timing::Timing,
}

impl RunPlan {
    fn load(
        root: &Path,
        args: &WorkerArgs,
        store: &mut Store,
        run_id: &str,
    ) -> Result<RunPlan, CliError> {
        let (header, plan) = store.queued_run(run_id).map_err(store_error)?;
        let mut selection: super::SelectArgs = serde_json::from_value(plan["selection"].clone())
            .map_err(|e| {
                CliError::Invalid(format!(
                    "run {run_id}: the queued selection is unreadable: {e}"
                ))
            })?;
        // This host's lab and profiles; the run's suites, models, scenarios and tags.
        selection.lab = args.lab.clone();
        selection.devices = args.devices.clone();
        let selected = select(root, &selection)?;
        let now = suite_digests(&selected.set);
        for s in &header.suites {
            if !now.iter().any(|(id, d)| *id == s.id && *d == s.digest) {
                return Err(CliError::Invalid(format!(
                    "run {run_id}: suite `{}` here is not the run's (SHA-256 {} in the store): run the worker from the same suites",
                    s.id,
                    s.digest.get(..12).unwrap_or(&s.digest)
                )));
            }
        }
        let timing =
            mynacert::schedule::load_timing(root).map_err(|e| CliError::Invalid(e.to_string()))?;
        Ok(RunPlan {
            header,
            set: selected.set,
            jobs: selected.jobs,
            timing,
        })
    }
}

/// Runs the claimed executions of one run on this lab; (written back, dropped).
#[allow(clippy::too_many_arguments)]
fn run_claims(
    store: &mut Store,
    name: &str,
    card_safety: &mynacert::lab::CardSafety,
    plan: &RunPlan,
    claims: &[Claim],
    lab: &mut dyn mynacert::lab::Lab,
    flows: &Arc<mynacert::phone::FlowBook>,
    fingerprints: &BTreeMap<String, String>,
    args: &WorkerArgs,
) -> (usize, usize) {
    // Match each claim to an execution of this lab: same scenario, model and carrier.
    let planned = executions(&plan.jobs, lab.units(), lab.identities());
    let mut taken = BTreeSet::new();
    let mut global: BTreeMap<usize, usize> = BTreeMap::new();
    for c in claims {
        let found = planned.iter().enumerate().find(|(i, (job, b))| {
            !taken.contains(i)
                && job.full_id == c.scenario
                && job.model.id == c.model
                && b.as_ref()
                    .is_ok_and(|b| b.subject.as_ref().map(|u| u.carrier.clone()) == c.carrier)
        });
        match found {
            Some((i, _)) => {
                taken.insert(i);
                global.insert(i + 1, c.index);
            }
            None => {
                eprintln!(
                    "worker {name}: cannot bind {} on {} here; giving it back",
                    c.scenario, c.model
                );
                let _ = store.release(name, &c.run_id, c.index);
            }
        }
    }
    if taken.is_empty() {
        return (0, 0);
    }
    let timeouts = plan
        .set
        .profile
        .as_ref()
        .map(|(_, p)| p.timeouts)
        .unwrap_or_default();
    let parallel = Some(Parallel {
        timing: plan.timing.clone(),
        operators: 1,
        readers: 1,
    });
    let mut runner = Runner::new(
        lab,
        flows.clone(),
        RunOptions {
            retries: args.retries,
            unit_return_timeout: Duration::from_secs(args.unit_return_timeout),
            parallel,
            only: Some(taken),
            timeouts,
            card_safety: card_safety.clone(),
            ..RunOptions::default()
        },
    );
    let mut back = WriteBack {
        store,
        name,
        header: &plan.header,
        global,
        fingerprints,
        current: BTreeMap::new(),
        written: 0,
        dropped: 0,
    };
    runner.run(&plan.jobs, &mut back);
    (back.written, back.dropped)
}

/// A reporter that writes steps and results back to the store.
struct WriteBack<'a> {
    store: &'a mut Store,
    name: &'a str,
    header: &'a mynacert::journal::RunHeader,
    /// Local execution number → the run's.
    global: BTreeMap<usize, usize>,
    fingerprints: &'a BTreeMap<String, String>,
    /// Local execution number → (model, unit) of the running executions.
    current: BTreeMap<usize, (String, Option<String>)>,
    written: usize,
    dropped: usize,
}

impl mynacert::runner::Reporter for WriteBack<'_> {
    fn event(&mut self, event: &RunEvent<'_>) {
        match event {
            RunEvent::Started { .. } => {}
            RunEvent::ScenarioStarted {
                index, model, unit, ..
            } => {
                self.current
                    .insert(*index, (model.to_string(), unit.map(str::to_string)));
            }
            RunEvent::StepFinished {
                index,
                scenario,
                attempt,
                phase,
                step,
            } => {
                let Some(&global) = self.global.get(index) else {
                    return;
                };
                let (model, unit) = self.current.get(index).cloned().unwrap_or_default();
                let entry = StepEntry {
                    run_id: self.header.run_id.clone(),
                    at: mynacert::runner::now(),
                    scenario: scenario.to_string(),
                    model,
                    unit,
                    attempt: *attempt,
                    index: Some(global),
                    phase: *phase,
                    step: (*step).clone(),
                };
                if let Err(e) = self.store.step(self.name, &entry) {
                    eprintln!("worker {}: {e}", self.name);
                }
            }
            RunEvent::ScenarioFinished { index, result, .. } => {
                self.current.remove(index);
                let Some(&global) = self.global.get(index) else {
                    return;
                };
                let entry = ScenarioEntry::finished(
                    &self.header.run_id,
                    global,
                    result,
                    super::queue::digest_of(self.header, &result.scenario),
                    self.fingerprints,
                );
                match self.store.complete(self.name, &entry) {
                    Ok(true) => {
                        self.written += 1;
                        eprintln!(
                            "worker {}: #{global} {} on {}: {}",
                            self.name,
                            result.scenario,
                            result.unit.as_deref().unwrap_or("-"),
                            result.status.label()
                        );
                    }
                    Ok(false) => {
                        self.dropped += 1;
                        eprintln!(
                            "worker {}: #{global} {}: lease taken over by another worker; result dropped",
                            self.name, result.scenario
                        );
                    }
                    Err(e) => eprintln!("worker {}: #{global}: {e}", self.name),
                }
            }
        }
    }
}

/// Renews this worker's leases every third of `lease` on a connection of its own, until `stop`.
fn heartbeat(
    location: Location,
    name: String,
    lease: f64,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut store = None;
        let period = Duration::from_secs_f64(lease / 3.0);
        while !stop.load(Ordering::Relaxed) {
            if store.is_none() {
                store = Store::open(&location).ok();
            }
            if let Some(s) = store.as_mut()
                && let Err(e) = s.heartbeat(&name, lease)
            {
                eprintln!("worker {name}: heartbeat failed: {e}");
                store = None;
            }
            // Sleep in small steps so that a stop is quick.
            let until = std::time::Instant::now() + period;
            while std::time::Instant::now() < until && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    })
}

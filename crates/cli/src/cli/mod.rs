//! The command line: argument parsing and the high-level wiring of lab, suites, runner and reports.
//! Exit codes: 0 no conformance failure, 1 conformance failures, 2 invalid input, 3 infrastructure error.

mod commands;
pub mod devices;
mod labcheck;
pub mod phones;
mod plan;
mod queue;
pub mod reader;
pub mod results;
mod run;
pub mod serve;
mod serve_control;
mod store;
mod validate;
mod worker;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Conformance harness and device-certification suite for smartphone JPKI (スマホ用電子証明書).
#[derive(Debug, Parser)]
#[command(name = "mynacert", version, about, long_about = None)]
pub struct Cli {
    /// Project directory holding suites/, devices/ and fixtures/ (default: current directory, else the
    /// directory the binary was built from).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios on a lab (default: the certification profile on the embedded virtual lab).
    Run(RunArgs),
    /// Plan a run without touching anything: bindings, skips, device time per model, the schedule's
    /// makespan against the sequential total and the lower bound.
    Plan(plan::PlanArgs),
    /// Check suite, profile, device and lab files without running anything.
    Validate {
        /// Files or directories (default: suites/ and devices/).
        paths: Vec<PathBuf>,
    },
    /// List suites, scenarios, tags and rules.
    List {
        /// Suite files or directories (default: suites/).
        paths: Vec<PathBuf>,
    },
    /// Rebuild results.json, junit.xml and report.html of a run from its journal.
    Report(results::ReportArgs),
    /// Join the run directories of a partitioned run (`run --partition K/N`) into one, with one report.
    Merge(results::MergeArgs),
    /// Make a lab signing key pair (P-256 ECDSA).
    Keygen(results::KeygenArgs),
    /// Signed result bundles.
    #[command(subcommand)]
    Bundle(results::BundleCommand),
    /// The supported-device list (対応機種一覧).
    #[command(subcommand)]
    DeviceList(results::DeviceListCommand),
    /// PC/SC readers: list them, or run the bench smoke check on the card or phone lying on each.
    #[command(subcommand)]
    Reader(reader::ReaderCommand),
    /// The virtual lab on real stacks (`lab serve`: cards on vpcd for pcscd).
    #[command(subcommand)]
    Lab(serve::LabCommand),
    /// List units attached over ADB with model, Android version, fingerprint and matching profile.
    Devices(devices::DevicesArgs),
    /// The results store: import run directories, list runs.
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Per model × scenario across the store's runs: regressions, fixes, flaky across runs, durations.
    History(store::HistoryArgs),
    /// A lab host's worker: claims queued executions its units, readers and identities can serve, runs
    /// them, writes the results back (`run --queue` plans them into a PostgreSQL store).
    Worker(worker::WorkerArgs),
}

/// What to run, and where: the lab, the models, the scenarios (shared by `run` and `plan`).
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct SelectArgs {
    /// Lab inventory file.
    #[arg(long, default_value = "devices/lab.yaml")]
    pub lab: PathBuf,
    /// Only these models (profile ids, e.g. kumo-km51a); repeatable.
    #[arg(long = "model", value_name = "ID")]
    pub models: Vec<String>,
    /// Only these scenarios (`suite/scenario` or a suite id); repeatable.
    #[arg(long = "scenario", value_name = "ID")]
    pub scenarios: Vec<String>,
    /// Only scenarios with this tag; repeatable.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Run every scenario of every suite, not just the certification profile's.
    #[arg(long)]
    pub all: bool,
    /// A suite file or a directory of them, anywhere, loaded with the project's suites; repeatable. Without
    /// `--scenario`, `--tag` or `--all`, the run is every scenario of these files.
    #[arg(long = "suite", value_name = "PATH")]
    pub suites: Vec<PathBuf>,
    /// Model profiles outside `devices/models/`: a profile file or a directory of them; repeatable.
    #[arg(long = "devices", value_name = "PATH")]
    pub devices: Vec<PathBuf>,
    /// Only part K of N of the run, split by unit (CI matrices: each host runs its part, then `mynacert
    /// merge` joins the run directories).
    #[arg(long, value_name = "K/N")]
    pub partition: Option<mynacert::runner::Partition>,
}

/// The lab's shared capacities the scheduler plans with.
#[derive(Debug, Clone, clap::Args)]
pub struct ResourceArgs {
    /// Operators (or card robots) that place cards: one card at a time each.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub operators: usize,
    /// Readers for SE and card sessions (default: the lab file's readers, at least one).
    #[arg(long, value_name = "N")]
    pub readers: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub resources: ResourceArgs,
    /// One execution at a time, in plan order (default: concurrently across units, on the schedule
    /// `mynacert plan` shows).
    #[arg(long)]
    pub sequential: bool,
    /// Continue the run in RUN_DIR that was killed: executions with a final result in its journal stand,
    /// the rest run, with the run's own selection (its suites must be unchanged); one report at the end.
    #[arg(long, value_name = "RUN_DIR", conflicts_with = "rerun_failed")]
    pub resume: Option<PathBuf>,
    /// Run the failed and errored executions of RUN_DIR again, as new attempts of the same run (every
    /// attempt kept; a pass after a failure is flaky).
    #[arg(long, value_name = "RUN_DIR")]
    pub rerun_failed: Option<PathBuf>,
    /// Extra attempts for a failing scenario; every attempt is recorded and a pass after a failure is flaky.
    #[arg(long, default_value_t = 0)]
    pub retries: u32,
    /// Seconds to wait for a unit that dropped off mid-scenario before quarantining it.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub unit_return_timeout: u64,
    /// Where run directories go.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Print every step.
    #[arg(short, long)]
    pub verbose: bool,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// How the driver reaches the virtual phones: in process, or over real ADB (each phone served as an
    /// adbd on 127.0.0.1) straight over TCP or through the adb server (ADB_SERVER_SOCKET, else
    /// ANDROID_ADB_SERVER_ADDRESS/PORT, else 127.0.0.1:5037).
    #[arg(long, value_enum, default_value_t = phones::PhonePath::InProcess)]
    pub phones: phones::PhonePath,
    /// Virtual lab: real seconds a phone sleeps per second of device time (`devices/timing.yaml`), e.g.
    /// 0.001 with `--phones adb-direct` so the real paths meet real waiting (default 0: the virtual
    /// clock only counts, nothing sleeps).
    #[arg(long, default_value_t = 0.0, value_name = "FACTOR")]
    pub time_scale: f64,
    /// Virtual lab: chaos, seeded — units drop off, cards are lifted mid-APDU, readers unplugged,
    /// phones slow, answers cut or padded, selections lost, the adb server and the authority's
    /// connection cut. Every such fault must end as an infrastructure error; use `--retries`.
    #[arg(long, value_name = "SEED")]
    pub chaos: Option<u64>,
    /// First loopback port for the served adbds with `--phones adb-*` (0 = any free ports).
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    pub adb_port_base: u16,
    #[command(flatten)]
    pub store: StoreRunArgs,
}

/// Where a run is recorded besides its directory, and whether workers run it.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreRunArgs {
    #[command(flatten)]
    pub store: store::StoreArg,
    /// Record the run in no store (its run directory only).
    #[arg(long, conflicts_with = "queue")]
    pub no_store: bool,
    /// Plan the run into the PostgreSQL store's work queue; lab hosts' `mynacert worker`s run it and
    /// this command waits for them, then reports.
    #[arg(long)]
    pub queue: bool,
    /// With `--queue`: return once the run is queued (report it later: `report --store … --run ID`).
    #[arg(long, requires = "queue")]
    pub detach: bool,
}

/// Parses arguments, runs, returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MYNACERT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let root = commands::project_root(cli.root.as_deref());
    let r = match cli.command {
        Command::Run(args) => run::run(&root, &args),
        Command::Plan(args) => plan::plan(&root, &args),
        Command::Validate { paths } => validate::validate(&root, &paths),
        Command::List { paths } => commands::list(&root, &paths),
        Command::Report(a) => results::report(&a),
        Command::Merge(a) => results::merge(&a),
        Command::Keygen(a) => results::keygen(&a),
        Command::Bundle(c) => results::bundle_cmd(&c),
        Command::DeviceList(c) => results::device_list(&c),
        Command::Reader(cmd) => reader::reader(&root, &cmd),
        Command::Lab(serve::LabCommand::Serve(args)) => serve::serve(&root, &args),
        Command::Lab(serve::LabCommand::Check(args)) => labcheck::check(&root, &args),
        Command::Devices(args) => devices::devices(&root, &args),
        Command::Store(c) => store::store_cmd(&c),
        Command::History(a) => store::history(&a),
        Command::Worker(a) => worker::worker(&root, &a),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(h) = e.hint() {
                eprintln!("  hint: {h}");
            }
            e.exit_code()
        }
    }
}

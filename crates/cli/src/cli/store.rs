//! The results store on the command line: `--store`, `mynacert store import|runs`, `mynacert history`,
//! and a run's reports rebuilt from a store.

use super::commands::CliError;
use mynacert::store::history::{ChangeKind, Filter, Series};
use mynacert::store::{Location, Store, StoreError, default_location};
use std::path::{Path, PathBuf};

/// `--store LOCATION`: `postgres://…` (shared by many hosts) or an SQLite file (`sqlite:PATH` or a path).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct StoreArg {
    /// The results store: `postgres://USER@HOST:PORT/DB` (many hosts), or an SQLite file (default:
    /// `reports/mynacert.sqlite`).
    #[arg(long, value_name = "LOCATION")]
    pub store: Option<String>,
}

impl StoreArg {
    /// Where the store is: the option, else the reports directory's SQLite file.
    pub fn location(&self, reports: &Path) -> Location {
        match &self.store {
            Some(s) => Location::parse(
                s,
                &std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            ),
            None => default_location(reports),
        }
    }
}

/// A store error as the CLI reports it: what the user asked wrong is exit 2, the rest exit 3.
pub fn store_error(e: StoreError) -> CliError {
    if e.is_input() {
        CliError::Invalid(e.to_string())
    } else {
        CliError::Infra(e.to_string())
    }
}

/// Opens a store, migrating its schema.
pub fn open(location: &Location) -> Result<Store, CliError> {
    Store::open(location).map_err(store_error)
}

/// This machine's name, as recorded with the executions it ran.
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// `mynacert store …`.
#[derive(Debug, clap::Subcommand)]
pub enum StoreCommand {
    /// Import run directories (their journals) into the store; a run already there is replaced by its
    /// journal, the source of truth.
    Import(ImportArgs),
    /// List the runs in the store, newest first.
    Runs(RunsArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Run directories holding `journal.jsonl`.
    #[arg(required = true)]
    pub run_dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub store: StoreArg,
    /// The host the runs ran on (default: this machine).
    #[arg(long)]
    pub host: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    #[command(flatten)]
    pub store: StoreArg,
}

/// `mynacert store …`.
pub fn store_cmd(cmd: &StoreCommand) -> Result<i32, CliError> {
    match cmd {
        StoreCommand::Import(a) => {
            let reports = a
                .run_dirs
                .first()
                .and_then(|d| d.parent())
                .unwrap_or(Path::new("reports"))
                .to_path_buf();
            let mut store = open(&a.store.location(&reports))?;
            let host = a.host.clone().unwrap_or_else(host_name);
            for d in &a.run_dirs {
                let j = mynacert::journal::read_journal(d)
                    .map_err(|e| CliError::Invalid(e.to_string()))?;
                let i = store.import(&j, Some(d), &host).map_err(store_error)?;
                println!(
                    "{} run {}: {} execution(s), {} step(s), {} verdict(s) into {}",
                    if i.replaced { "replaced" } else { "imported" },
                    i.run_id,
                    i.executions,
                    i.steps,
                    i.verdicts,
                    store.location()
                );
            }
            Ok(0)
        }
        StoreCommand::Runs(a) => {
            let mut store = open(&a.store.location(Path::new("reports")))?;
            let runs = store.runs().map_err(store_error)?;
            if runs.is_empty() {
                println!("no runs in {}", store.location());
            }
            for r in runs {
                println!(
                    "{}  {}  {:<12} {:>4} execution(s)  hosts [{}]  {}",
                    r.run_id,
                    r.started,
                    r.suite_version.as_deref().unwrap_or("-"),
                    r.executions,
                    r.hosts.join(", "),
                    if r.finished.is_some() {
                        "finished"
                    } else {
                        "unfinished"
                    }
                );
            }
            Ok(0)
        }
    }
}

/// `mynacert history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// Only this model (profile id).
    #[arg(long)]
    pub model: Option<String>,
    /// Only this scenario (`suite/scenario`).
    #[arg(long)]
    pub scenario: Option<String>,
    /// The last N runs of each scenario (0: all).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub last: usize,
    /// `text` for people, `json` for machines.
    #[arg(long, value_enum, default_value_t = super::plan::Format::Text)]
    pub format: super::plan::Format,
}

/// `mynacert history`.
pub fn history(args: &HistoryArgs) -> Result<i32, CliError> {
    let mut store = open(&args.store.location(Path::new("reports")))?;
    let series = store
        .history(&Filter {
            model: args.model.clone(),
            scenario: args.scenario.clone(),
            last: args.last,
        })
        .map_err(store_error)?;
    match args.format {
        super::plan::Format::Json => {
            let json = serde_json::to_string_pretty(&series)
                .map_err(|e| CliError::Harness(format!("history as JSON: {e}")))?;
            println!("{json}");
        }
        super::plan::Format::Text => print!("{}", render_history(&series, &store.location())),
    }
    Ok(0)
}

/// The history as text: one line per model × scenario, then what changed.
pub fn render_history(series: &[Series], location: &str) -> String {
    let mut out = format!("history from {location}\n");
    if series.is_empty() {
        out.push_str("no executions match\n");
        return out;
    }
    let regressions = series
        .iter()
        .flat_map(|s| &s.changes)
        .filter(|c| c.kind == ChangeKind::Regression)
        .count();
    for s in series {
        let outcomes: Vec<&str> = s.outcomes.iter().map(|o| o.status.as_str()).collect();
        out.push_str(&format!(
            "{}  {}  [{}]  {}\n",
            s.model,
            s.scenario,
            outcomes.join(" "),
            mynacert::report::history_svg::summary(s)
        ));
    }
    out.push_str(&format!(
        "{} series, {regressions} regression(s), {} fix(es), {} flaky across runs\n",
        series.len(),
        series
            .iter()
            .flat_map(|s| &s.changes)
            .filter(|c| c.kind == ChangeKind::Fix)
            .count(),
        series.iter().filter(|s| s.flaky_across_runs).count()
    ));
    out
}

/// The history section of a run's HTML report: the models of the run, their last ten runs; only the
/// scenarios with an earlier run to compare with (a first run's report has no history section).
pub fn history_for(store: &mut Store, j: &mynacert::journal::Journal) -> Vec<Series> {
    let models: std::collections::BTreeSet<&str> = j
        .scenarios
        .iter()
        .map(|s| s.result.model.as_str())
        .collect();
    let mut out = Vec::new();
    for m in models {
        match store.history(&Filter {
            model: Some(m.to_string()),
            scenario: None,
            last: 10,
        }) {
            Ok(s) => out.extend(s.into_iter().filter(|s| s.outcomes.len() > 1)),
            Err(e) => {
                eprintln!("warning: no history section: {e}");
                return Vec::new();
            }
        }
    }
    out
}

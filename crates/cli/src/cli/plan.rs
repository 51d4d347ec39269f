//! `mynacert plan`: the run a selection would make, planned on device time without touching anything.

use super::commands::{CliError, select};
use super::{ResourceArgs, SelectArgs};
use mynacert::lab::{LabSpec, PhonePath, lab_units};
use mynacert::schedule::{PlanLab, load_timing, plan as make_plan, render};
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub resources: ResourceArgs,
    /// Price actions with what a bench run measured (medians per model) instead of the defaults.
    #[arg(long, value_name = "RUN_DIR")]
    pub medians: Option<std::path::PathBuf>,
    /// `text` for people, `json` for machines.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `mynacert plan`.
pub fn plan(root: &Path, args: &PlanArgs) -> Result<i32, CliError> {
    let selected = select(root, &args.select)?;
    let loaded = &selected.loaded;
    let timing = load_timing(root).map_err(|e| CliError::Invalid(e.to_string()))?;
    let spec = LabSpec {
        root: root.to_path_buf(),
        path: loaded.path.clone(),
        file: loaded.file.clone(),
        profiles: loaded.profiles.clone(),
        identities: loaded.identities.clone(),
        phones: PhonePath::InProcess,
        adb_port_base: 0,
        boot_timeout: std::time::Duration::from_secs(60),
        timing: None,
        time_scale: 0.0,
        chaos: None,
    };
    let units = lab_units(&spec, Some(mynacert_sim::factory))?;
    let readers = args.resources.readers(&loaded.file);
    let measured = match &args.medians {
        None => None,
        Some(dir) => {
            let run = mynacert::journal::read_journal(dir)
                .map_err(|e| CliError::Invalid(e.to_string()))?;
            if run.header.lab_kind == Some(mynacert::lab::LabKind::Virtual) {
                return Err(CliError::Invalid(format!(
                    "{}: a run of the virtual lab measured no device time; give a bench run",
                    dir.display()
                )));
            }
            Some(mynacert::schedule::medians::measured_timing(&run, &timing))
        }
    };
    let lab = PlanLab {
        measured: measured.as_ref(),
        partition: args.select.partition,
        units: &units,
        identities: &loaded.identities,
        operators: args.resources.operators,
        readers,
    };
    let p = make_plan(&selected.jobs, &lab, &timing);
    match args.format {
        Format::Text => print!("{}", render(&p)),
        Format::Json => {
            let json = serde_json::to_string_pretty(&p)
                .map_err(|e| CliError::Harness(format!("plan as JSON: {e}")))?;
            println!("{json}");
        }
    }
    Ok(0)
}

impl ResourceArgs {
    /// Readers to plan with: `--readers`, else the lab file's, at least one.
    pub fn readers(&self, file: &mynacert::lab::LabFile) -> usize {
        self.readers.unwrap_or_else(|| file.readers.len().max(1))
    }
}

//! Which scenarios a run executes on which models: the user's selection over the loaded suites, or the
//! certification set that decides each model ([`crate::profile::DeviceProfile::deciding`]).

use super::Job;
use crate::profile::DeviceProfile;
use crate::scenario::SuiteSet;
use std::path::PathBuf;
use std::sync::Arc;

/// What the user asked to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these models (profile ids); empty: every model.
    pub models: Vec<String>,
    /// Only these scenarios (`suite/scenario` or a suite id).
    pub scenarios: Vec<String>,
    /// Only scenarios with one of these tags.
    pub tags: Vec<String>,
    /// Every scenario of every suite, not just the certification set.
    pub all: bool,
    /// Suite files given on their own (`--suite`, canonical paths): without `scenarios` or `all`, the
    /// run is every scenario of these files.
    pub suite_files: Vec<PathBuf>,
}

/// The jobs of a run: `--scenario` ids, else every scenario of the `--suite` files (`given`), else
/// `--all`, else the certification set that decides each model; narrowed by `--model` and `--tag`.
pub fn plan_jobs(
    set: &SuiteSet,
    profiles: &[Arc<DeviceProfile>],
    args: &Selection,
) -> Result<Vec<Job>, String> {
    let given = &args.suite_files;
    let profile = set.profile.as_ref().map(|(_, p)| p);
    let from_given = |l: &crate::scenario::LoadedSuite| {
        let c = l.path.canonicalize().unwrap_or_else(|_| l.path.clone());
        given.contains(&c)
    };
    let mut jobs = Vec::new();
    for model in profiles {
        if !args.models.is_empty() && !args.models.contains(&model.id) {
            continue;
        }
        for (suite, sc) in set.all() {
            let full = format!("{}/{}", suite.suite.suite, sc.id);
            let selected = if !args.scenarios.is_empty() {
                args.scenarios
                    .iter()
                    .any(|s| s == &full || s == &suite.suite.suite)
            } else if !given.is_empty() && !args.all {
                from_given(suite)
            } else if args.all || profile.is_none() {
                true
            } else {
                profile.is_some_and(|p| p.deciding_for(model).contains(&full))
            };
            let tagged = args.tags.is_empty() || args.tags.iter().any(|t| sc.tags.contains(t));
            if selected && tagged {
                jobs.push(Job {
                    full_id: full,
                    scenario: Arc::new(sc.clone()),
                    model: model.clone(),
                });
            }
        }
    }
    if jobs.is_empty() {
        return Err("no scenario matches the selection".into());
    }
    Ok(jobs)
}

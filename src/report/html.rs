//! The self-contained HTML report: one file, inline CSS and script, no network. Summary per model with
//! verdict and the R1–R10 × model table, every scenario with a timeline of its steps per attempt, the
//! failing step's evidence (APDU trace with secrets redacted, the screen, authority status, logcat), and
//! filters by status, tag and model. Rendered with minijinja (auto-escaping, the template is `*.html`).

use super::RunReport;
use super::verdict::{Finding, ModelVerdict, Verdict};
use crate::journal::Journal;
use crate::runner::result::{Attempt, Evidence, ScenarioResult, ScenarioStatus, StepStatus};
use crate::types::Rule;
use serde::Serialize;
use std::collections::BTreeSet;

const TEMPLATE: &str = include_str!("templates/report.html");

/// State of one rule for one model, from the scenarios that check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleCell {
    /// Checked and broken.
    Broken,
    /// Checked, but an infrastructure error left a scenario without a verdict.
    Error,
    /// Checked, every scenario passed (some after a retry).
    Flaky,
    /// Checked, every scenario passed.
    Passed,
    /// No scenario of this run checks it on this model.
    NotCovered,
}

/// The R1–R10 row of a model.
pub fn rule_row(model: &str, results: &[ScenarioResult]) -> Vec<(Rule, RuleCell)> {
    Rule::ALL
        .iter()
        .map(|rule| {
            let mine: Vec<&ScenarioResult> = results
                .iter()
                .filter(|r| r.model == model && r.status != ScenarioStatus::Skipped)
                .filter(|r| r.rules.contains(rule) || r.rules_broken().contains(rule))
                .collect();
            let cell = if mine.iter().any(|r| r.rules_broken().contains(rule)) {
                RuleCell::Broken
            } else if mine.is_empty() {
                RuleCell::NotCovered
            } else if mine.iter().any(|r| r.status == ScenarioStatus::Error) {
                RuleCell::Error
            } else if mine.iter().any(|r| r.status == ScenarioStatus::Flaky) {
                RuleCell::Flaky
            } else {
                RuleCell::Passed
            };
            (*rule, cell)
        })
        .collect()
}

#[derive(Serialize)]
struct Cell {
    rule: String,
    state: RuleCell,
    label: &'static str,
}

#[derive(Serialize)]
struct ModelView<'a> {
    v: &'a ModelVerdict,
    verdict_label: &'static str,
    verdict_class: &'static str,
    cells: Vec<Cell>,
    findings: Vec<FindingGroup>,
}

/// Splits the runner's "step N `name`: what" into where and what.
fn split_step(message: &str) -> (Option<&str>, &str) {
    if message.starts_with("step ")
        && let Some(i) = message.find("`: ")
    {
        return (Some(&message[..=i]), &message[i + 3..]);
    }
    (None, message)
}

/// Identical findings of one model (same kind, same message), once, with a count and a link to each
/// scenario they come from.
#[derive(Debug, Serialize)]
struct FindingGroup {
    kind: String,
    message: String,
    count: usize,
    links: Vec<FindingLink>,
}

#[derive(Debug, Serialize)]
struct FindingLink {
    /// `sc-N`: the id of the scenario's entry on the page, when it has one.
    anchor: Option<String>,
    label: String,
}

fn group_findings(
    model: &str,
    findings: &[Finding],
    scenarios: &[ScenarioResult],
) -> Vec<FindingGroup> {
    let mut groups: Vec<FindingGroup> = Vec::new();
    for f in findings {
        let kind = serde_json::to_value(f.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        // "step 5 `expect-… on=phone`: typed secrets leaked…": the same finding at different steps.
        let (at, message) = split_step(&f.message);
        let link = FindingLink {
            anchor: scenarios
                .iter()
                .position(|r| {
                    r.model == model
                        && Some(&r.scenario) == f.scenario.as_ref()
                        && (f.unit.is_none() || r.unit == f.unit)
                })
                .map(|i| format!("sc-{i}")),
            label: match (&f.scenario, &f.unit) {
                (Some(s), Some(u)) => format!("{s} on {u}"),
                (Some(s), None) => s.clone(),
                (None, _) => "-".into(),
            } + &at.map(|a| format!(" ({a})")).unwrap_or_default(),
        };
        match groups
            .iter_mut()
            .find(|g| g.kind == kind && g.message == message)
        {
            Some(g) => {
                g.count += 1;
                g.links.push(link);
            }
            None => groups.push(FindingGroup {
                kind,
                message: message.to_string(),
                count: 1,
                links: vec![link],
            }),
        }
    }
    groups
}

#[derive(Serialize)]
struct StepView {
    phase: &'static str,
    index: usize,
    name: String,
    status: String,
    duration_ms: String,
    message: String,
    width: f64,
}

#[derive(Serialize)]
struct AttemptView<'a> {
    number: u32,
    status: String,
    duration_ms: String,
    reason: Option<&'a str>,
    steps: Vec<StepView>,
    failing_step: Option<String>,
    evidence: Option<&'a Evidence>,
    /// The failing step's screenshot, only when it is pure base64 (then it is safe unescaped in a
    /// `data:` URI; auto-escaping would turn `/` into `&#x2f;`).
    screenshot_base64: Option<&'a str>,
}

#[derive(Serialize)]
struct ScenarioView<'a> {
    r: &'a ScenarioResult,
    status: &'static str,
    label: &'static str,
    duration_ms: String,
    reason: Option<&'a str>,
    rules: Vec<String>,
    rules_broken: Vec<String>,
    attempts: Vec<AttemptView<'a>>,
    fingerprint: Option<&'a str>,
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Supported => "ok",
        // A correct refusal is a verdict, not a pass: neutral, never green.
        Verdict::NotSupported => "neutral",
        Verdict::ConformanceFailures => "fail",
        Verdict::Incomplete => "error",
        Verdict::NotRun | Verdict::Partial => "skip",
    }
}

fn status_key(s: ScenarioStatus) -> &'static str {
    match s {
        ScenarioStatus::Passed => "passed",
        ScenarioStatus::Flaky => "flaky",
        ScenarioStatus::Failed => "failed",
        ScenarioStatus::Error => "error",
        ScenarioStatus::Skipped => "skipped",
    }
}

fn cell_label(c: RuleCell) -> &'static str {
    match c {
        RuleCell::Broken => "FAIL",
        RuleCell::Error => "error",
        RuleCell::Flaky => "flaky",
        RuleCell::Passed => "pass",
        RuleCell::NotCovered => "–",
    }
}

fn attempt_view(a: &Attempt) -> AttemptView<'_> {
    let total: f64 = a
        .setup
        .iter()
        .chain(&a.steps)
        .chain(&a.cleanup)
        .map(|s| s.duration_ms)
        .sum::<f64>()
        .max(0.001);
    let mut steps = Vec::new();
    for (phase, list) in [
        ("setup", &a.setup),
        ("step", &a.steps),
        ("cleanup", &a.cleanup),
    ] {
        for s in list {
            steps.push(StepView {
                phase,
                index: s.index,
                name: s.name.clone(),
                status: format!("{:?}", s.status).to_lowercase(),
                duration_ms: format!("{:.1}", s.duration_ms),
                message: s.message.clone(),
                width: (s.duration_ms / total * 100.0).clamp(0.0, 100.0),
            });
        }
    }
    let failing = a
        .setup
        .iter()
        .chain(&a.steps)
        .chain(&a.cleanup)
        .find(|s| matches!(s.status, StepStatus::Failed | StepStatus::Error));
    AttemptView {
        number: a.number,
        status: format!("{:?}", a.status).to_lowercase(),
        duration_ms: format!("{:.0}", a.duration_ms),
        reason: a.reason.as_deref(),
        steps,
        failing_step: failing.map(|s| s.name.clone()),
        evidence: failing.map(|s| &s.evidence).filter(|e| !e.is_empty()),
        screenshot_base64: failing
            .and_then(|s| s.evidence.screenshot_png.as_deref())
            .filter(|b| is_base64(b)),
    }
}

/// True for a non-empty string of the standard base64 alphabet (with `=` padding) only.
fn is_base64(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// Renders the HTML report (pure function of the journal and the report built from it).
pub fn render(j: &Journal, report: &RunReport) -> Result<String, minijinja::Error> {
    render_with(j, report, &[])
}

/// Renders the HTML report with a history section for the models of the run (from a store).
pub fn render_with(
    j: &Journal,
    report: &RunReport,
    history: &[crate::store::history::Series],
) -> Result<String, minijinja::Error> {
    let models: Vec<ModelView> = report
        .verdicts
        .iter()
        .map(|v| ModelView {
            v,
            verdict_label: v.verdict.label(),
            verdict_class: verdict_class(v.verdict),
            cells: rule_row(&v.model, &report.scenarios)
                .into_iter()
                .map(|(rule, state)| Cell {
                    rule: rule.to_string(),
                    state,
                    label: cell_label(state),
                })
                .collect(),
            findings: group_findings(&v.model, &v.findings, &report.scenarios),
        })
        .collect();
    let scenarios: Vec<ScenarioView> = report
        .scenarios
        .iter()
        .map(|r| ScenarioView {
            r,
            status: status_key(r.status),
            label: r.status.label(),
            duration_ms: format!(
                "{:.0}",
                r.attempts.iter().map(|a| a.duration_ms).sum::<f64>()
            ),
            reason: r.reason(),
            rules: r.rules.iter().map(|x| x.to_string()).collect(),
            rules_broken: r.rules_broken().iter().map(|x| x.to_string()).collect(),
            attempts: r.attempts.iter().map(attempt_view).collect(),
            fingerprint: r.unit.as_deref().and_then(|u| {
                j.header
                    .units
                    .iter()
                    .find(|x| x.serial == u)
                    .and_then(|x| x.fingerprint.as_deref())
            }),
        })
        .collect();
    let tags: BTreeSet<&str> = report
        .scenarios
        .iter()
        .flat_map(|r| r.tags.iter().map(String::as_str))
        .collect();
    let model_ids: BTreeSet<&str> = report.scenarios.iter().map(|r| r.model.as_str()).collect();
    let rules: Vec<(String, &str)> = Rule::ALL
        .iter()
        .map(|r| (r.to_string(), r.title()))
        .collect();
    let page = Page {
        report,
        models,
        scenarios,
        tags,
        model_ids,
        rules,
        torn_tail: j.torn_tail,
        history: super::history_svg::views(history),
    };
    let mut env = minijinja::Environment::new();
    env.add_template("report.html", TEMPLATE)?;
    let tmpl = env.get_template("report.html")?;
    tmpl.render(minijinja::value::Serde(&page))
}

#[derive(Serialize)]
struct Page<'a> {
    report: &'a RunReport,
    models: Vec<ModelView<'a>>,
    scenarios: Vec<ScenarioView<'a>>,
    tags: BTreeSet<&'a str>,
    model_ids: BTreeSet<&'a str>,
    rules: Vec<(String, &'static str)>,
    torn_tail: bool,
    history: Vec<super::history_svg::HistoryView>,
}

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;

//! The console: on a terminal, an overall bar and one line per unit at work (a parallel run has several),
//! above them a line per finished execution; the per-model table on stdout.

use super::verdict::{ModelVerdict, Verdict};
use crate::runner::result::Phase;
use crate::runner::result::{ScenarioStatus, StepStatus};
use crate::runner::{Reporter, RunEvent};
use std::io::Write;

/// Prints progress and failures as the run goes.
pub struct ConsoleReporter {
    verbose: bool,
    bar: Option<indicatif::ProgressBar>,
    /// The bars of the overall progress and of every execution under way.
    multi: Option<indicatif::MultiProgress>,
    /// Execution number → its line (the unit at work and what it does).
    active: std::collections::BTreeMap<usize, indicatif::ProgressBar>,
}

impl ConsoleReporter {
    /// `progress`: draw a progress bar (when stderr is a terminal); `verbose`: print every step.
    pub fn new(progress: bool, verbose: bool) -> Self {
        let multi = progress.then(indicatif::MultiProgress::new);
        let bar = multi.as_ref().map(|m| {
            let b = m.add(indicatif::ProgressBar::new(0));
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} [{pos:>3}/{len:3}] {bar:30} {elapsed_precise} {msg}",
            ) {
                b.set_style(style);
            }
            b
        });
        ConsoleReporter {
            verbose,
            bar,
            multi,
            active: Default::default(),
        }
    }

    /// A line for an execution under way on `unit`.
    fn unit_line(&mut self, index: usize, unit: &str, what: String) {
        let Some(m) = &self.multi else { return };
        let b = m.add(indicatif::ProgressBar::new_spinner());
        if let Ok(style) = indicatif::ProgressStyle::with_template("  {spinner} {prefix:<32} {msg}")
        {
            b.set_style(style);
        }
        b.set_prefix(unit.to_string());
        b.set_message(what);
        b.enable_steady_tick(std::time::Duration::from_millis(200));
        self.active.insert(index, b);
    }

    fn line(&self, s: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(s);
            }
            None => {
                let _ = writeln!(std::io::stderr(), "{s}");
            }
        }
    }
}

impl Reporter for ConsoleReporter {
    fn event(&mut self, event: &RunEvent<'_>) {
        match event {
            RunEvent::Started { total } => {
                if let Some(b) = &self.bar {
                    b.set_length(*total as u64);
                }
                self.line(&format!("running {total} scenario executions"));
            }
            RunEvent::ScenarioStarted {
                index,
                scenario,
                model,
                unit,
                ..
            } => {
                if let Some(b) = &self.bar {
                    b.set_message(format!("{} at work", self.active.len() + 1));
                }
                self.unit_line(*index, unit.unwrap_or("-"), format!("{model}: {scenario}"));
            }
            RunEvent::StepFinished {
                index, step, phase, ..
            } => {
                if let Some(b) = self.active.get(index) {
                    b.set_message(format!("{}. {}", step.index, step.name));
                }
                if self.verbose
                    || step.status == StepStatus::Failed
                    || step.status == StepStatus::Error
                {
                    let part = match phase {
                        Phase::Setup => "setup ",
                        Phase::Step => "",
                        Phase::Cleanup => "clean-up ",
                    };
                    self.line(&format!(
                        "      {part}{:>2}. {:<6} {} — {}",
                        step.index,
                        format!("{:?}", step.status).to_lowercase(),
                        step.name,
                        step.message
                    ));
                }
            }
            RunEvent::ScenarioFinished {
                index,
                total,
                result,
            } => {
                if let Some(b) = self.active.remove(index) {
                    b.finish_and_clear();
                    if let Some(m) = &self.multi {
                        m.remove(&b);
                    }
                }
                if let Some(b) = &self.bar {
                    b.inc(1);
                    b.set_message(format!("{} at work", self.active.len()));
                }
                let ms: f64 = result.attempts.iter().map(|a| a.duration_ms).sum();
                let mut s = format!(
                    "[{index:>3}/{total}] {:<5} {:<44} {:<12} {}",
                    result.status.label(),
                    result.scenario,
                    result.model,
                    result.unit.as_deref().unwrap_or("-"),
                );
                if result.status != ScenarioStatus::Skipped {
                    s.push_str(&format!(" ({ms:.0} ms)"));
                }
                match result.status {
                    ScenarioStatus::Failed | ScenarioStatus::Error | ScenarioStatus::Flaky => {
                        s.push_str(&format!("\n        {}", result.reason().unwrap_or("")));
                        if !result.rules_broken().is_empty() {
                            s.push_str(&format!(" [breaks {:?}]", result.rules_broken()));
                        }
                    }
                    ScenarioStatus::Skipped => {
                        s.push_str(&format!(" — {}", result.reason().unwrap_or("")));
                    }
                    _ => {}
                }
                // Every execution keeps its number, skips included: `[n/N]` never jumps.
                self.line(&s);
            }
        }
    }
}

impl Drop for ConsoleReporter {
    fn drop(&mut self) {
        for b in self.active.values() {
            b.finish_and_clear();
        }
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The per-model verdict table, with the rules each failure broke and whether the profile predicted it.
pub fn render_table(verdicts: &[ModelVerdict]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<8} {:<22} {:<16} {:<21} {:<14} {:>4} {:>4} {:>4} {:>4}  {}\n",
        "model",
        "name",
        "carriers",
        "verdict",
        "rules broken",
        "pass",
        "fail",
        "err",
        "skip",
        "expected from profile"
    ));
    out.push_str(&"-".repeat(130));
    out.push('\n');
    for v in verdicts {
        let rules = if v.rules_broken.is_empty() {
            "-".to_string()
        } else {
            v.rules_broken
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let expected = match v.expected.verdict {
            _ if v.verdict == Verdict::Partial => {
                "- (not all deciding scenarios ran: counts only)".to_string()
            }
            Verdict::ConformanceFailures => format!(
                "{} ({})",
                if v.as_expected {
                    "yes: defective on purpose"
                } else {
                    "NO: expected failures"
                },
                v.expected.quirks.join(", ")
            ),
            e => format!(
                "{}{}",
                if v.as_expected {
                    "yes: "
                } else {
                    "NO: expected "
                },
                e.label()
            ),
        };
        out.push_str(&format!(
            "{:<8} {:<22} {:<16} {:<21} {:<14} {:>4} {:>4} {:>4} {:>4}  {}\n",
            v.model_code,
            truncate(&v.model_name, 22),
            truncate(&v.carriers.join(","), 16),
            v.verdict.label(),
            rules,
            v.passed + v.flaky,
            v.failed,
            v.errors,
            v.skipped,
            expected
        ));
    }
    let failing: Vec<&ModelVerdict> = verdicts.iter().filter(|v| !v.findings.is_empty()).collect();
    if !failing.is_empty() {
        out.push_str("\nfindings:\n");
        for v in failing {
            for n in &v.findings {
                out.push_str(&format!("  {} {}: {n}\n", v.model_code, v.model_name));
            }
        }
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

//! The HTML report's history section: per model × scenario of the run, one small inline SVG (no network,
//! no script) — a square per run coloured by its outcome, and the durations as a line under them.

use crate::store::history::{ChangeKind, Series};
use serde::Serialize;

/// One line of the section.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryView {
    pub model: String,
    pub scenario: String,
    /// Inline SVG markup (built here from escaped text only).
    pub svg: String,
    /// Regressions, fixes, flakiness, duration change, in words.
    pub summary: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn colour(status: &str) -> &'static str {
    match status {
        "passed" => "#2e7d32",
        "flaky" => "#f9a825",
        "failed" => "#c62828",
        "error" => "#6a1b9a",
        _ => "#9e9e9e",
    }
}

/// The SVG of one series.
pub fn svg(s: &Series) -> String {
    let n = s.outcomes.len();
    let width = n * 12 + 2;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"28\" role=\"img\" aria-label=\"{} runs\">",
        n
    );
    for (i, o) in s.outcomes.iter().enumerate() {
        out.push_str(&format!(
            "<rect x=\"{}\" y=\"1\" width=\"10\" height=\"10\" fill=\"{}\"><title>{} {}: {} ({:.0} ms)</title></rect>",
            1 + i * 12,
            colour(&o.status),
            escape(&o.run_id),
            escape(&o.started),
            escape(&o.status),
            o.duration_ms
        ));
    }
    let max = s
        .outcomes
        .iter()
        .map(|o| o.duration_ms)
        .fold(0.0_f64, f64::max);
    if n > 1 && max > 0.0 {
        let points: Vec<String> = s
            .outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| format!("{},{:.1}", 6 + i * 12, 26.0 - 12.0 * o.duration_ms / max))
            .collect();
        out.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"#455a64\" stroke-width=\"1\" points=\"{}\"/>",
            points.join(" ")
        ));
    }
    out.push_str("</svg>");
    out
}

/// What changed, in words.
pub fn summary(s: &Series) -> String {
    let mut parts: Vec<String> = s
        .changes
        .iter()
        .map(|c| match c.kind {
            ChangeKind::Regression => format!(
                "regression in {} (passed in {})",
                c.run_id, c.previous_run_id
            ),
            ChangeKind::Fix => format!("fixed in {} (failed in {})", c.run_id, c.previous_run_id),
        })
        .collect();
    if s.flaky_across_runs {
        parts.push("flaky across runs".into());
    }
    if let Some(r) = s.duration_change {
        parts.push(format!(
            "duration {:+.0}% against the runs before",
            (r - 1.0) * 100.0
        ));
    }
    if parts.is_empty() {
        "steady".into()
    } else {
        parts.join("; ")
    }
}

/// The section's lines.
pub fn views(series: &[Series]) -> Vec<HistoryView> {
    series
        .iter()
        .map(|s| HistoryView {
            model: s.model.clone(),
            scenario: s.scenario.clone(),
            svg: svg(s),
            summary: summary(s),
        })
        .collect()
}

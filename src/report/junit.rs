//! JUnit XML for CI (Jenkins, GitLab, GitHub), written with quick-junit.
//!
//! One `<testsuite>` per model and subject unit, one `<testcase>` per scenario. The failure `type` is the
//! rules broken (`R2 R4`), infrastructure problems are `<error type="infrastructure">`, skips carry their
//! reason, and every earlier attempt is kept: a scenario that failed then passed is a success with
//! `<flakyFailure>`/`<flakyError>` elements (never a plain pass), a scenario that kept failing carries
//! `<rerunFailure>`/`<rerunError>`. Per-step detail and the failing step's evidence go to `<system-out>`.
//! Whatever a device printed, the output is well-formed: quick-junit drops the control characters XML 1.0
//! cannot carry and escapes markup (`]]>` included).

use super::RunReport;
use crate::journal::Journal;
use crate::runner::result::{
    Attempt, AttemptStatus, ScenarioResult, ScenarioStatus, StepRecord, StepStatus,
};
use quick_junit::{
    FlakyOrRerun, NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// Renders the JUnit XML of a run (pure function of the journal and the report built from it).
pub fn render(j: &Journal, report: &RunReport) -> Result<String, quick_junit::SerializeError> {
    let mut xml = Report::new(format!("mynacert {}", report.run_id));
    // Group by (model, unit) in run order.
    let mut order: Vec<(String, String)> = Vec::new();
    let mut groups: BTreeMap<(String, String), Vec<&ScenarioResult>> = BTreeMap::new();
    for r in &report.scenarios {
        let key = (
            r.model.clone(),
            r.unit.clone().unwrap_or_else(|| "-".into()),
        );
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(r);
    }
    let mut total = Duration::ZERO;
    for key in order {
        let results = groups.get(&key).map(Vec::as_slice).unwrap_or_default();
        let (model, unit) = key;
        let mut suite = TestSuite::new(xml_safe(&format!("{model} on {unit}")));
        let profile = j.header.models.iter().find(|m| m.id == model);
        let unit_rec = j.header.units.iter().find(|u| u.serial == unit);
        let mut props = vec![
            ("model", model.clone()),
            ("unit", unit.clone()),
            ("lab", report.lab.clone()),
            ("run_id", report.run_id.clone()),
            ("harness_version", report.harness_version.clone()),
        ];
        if let Some(p) = &report.phones {
            props.push(("phones", p.clone()));
        }
        if let Some(p) = profile {
            props.push(("maker", p.maker.clone()));
            props.push(("model_name", p.model_name.clone()));
            props.push(("model_code", p.model_code.clone()));
        }
        if let Some(u) = unit_rec {
            props.push(("carrier", u.carrier.clone()));
            if let Some(f) = &u.fingerprint {
                props.push(("fingerprint", f.clone()));
            }
        }
        if let Some(v) = &report.suite_version {
            props.push(("suite_version", v.clone()));
        }
        if report.interrupted {
            props.push(("interrupted", "true".into()));
        }
        suite.add_properties(
            props
                .into_iter()
                .map(|(k, v)| Property::new(k, xml_safe(&v))),
        );
        let mut time = Duration::ZERO;
        for r in results {
            let case = test_case(r);
            time += case.time.unwrap_or_default();
            suite.add_test_case(case);
        }
        suite.set_time(time);
        total += time;
        xml.add_test_suite(suite);
    }
    xml.set_time(total);
    Ok(drop_root_skipped(&xml.to_string()?))
}

/// quick-junit writes a `skipped` count on `<testsuites>`, which the Jenkins schema (junit-10.xsd) does not
/// allow there; the per-suite counts stay. Only the root start tag is touched.
fn drop_root_skipped(xml: &str) -> String {
    let Some(start) = xml.find("<testsuites") else {
        return xml.to_string();
    };
    let Some(len) = xml[start..].find('>') else {
        return xml.to_string();
    };
    let tag = &xml[start..start + len];
    let Some(attr) = tag.find(" skipped=\"") else {
        return xml.to_string();
    };
    let value_start = attr + " skipped=\"".len();
    let Some(value_len) = tag[value_start..].find('"') else {
        return xml.to_string();
    };
    let cut_from = start + attr;
    let cut_to = start + value_start + value_len + 1;
    format!("{}{}", &xml[..cut_from], &xml[cut_to..])
}

/// Makes text safe for XML 1.0 while keeping it honest: every character XML cannot carry (C0 controls
/// other than tab/newline/CR, ESC, U+FFFE, U+FFFF) is written as a visible `\u{..}` escape instead of being
/// dropped, so the log shows that the device printed it. Markup (`]]>`, `<`, `&`) is escaped by the
/// serializer.
pub fn xml_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let ok = matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c >= '\u{10000}';
        if ok && c != '\u{7f}' {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

fn duration(ms: f64) -> Duration {
    Duration::from_secs_f64((ms.max(0.0)) / 1000.0)
}

fn rules_type(a: &Attempt) -> String {
    if a.rules_broken.is_empty() {
        "conformance".into()
    } else {
        a.rules_broken
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn non_success(a: &Attempt) -> (NonSuccessKind, String) {
    match a.status {
        AttemptStatus::Error => (NonSuccessKind::Error, "infrastructure".into()),
        _ => (NonSuccessKind::Failure, rules_type(a)),
    }
}

fn rerun(a: &Attempt) -> TestRerun {
    let (kind, ty) = non_success(a);
    let mut r = TestRerun::new(kind);
    r.set_type(ty);
    r.set_message(xml_safe(&format!(
        "attempt {}: {}",
        a.number,
        a.reason.as_deref().unwrap_or("failed")
    )));
    r.set_system_out(xml_safe(&attempt_detail(a)));
    r
}

fn test_case(r: &ScenarioResult) -> TestCase {
    let ms: f64 = r.attempts.iter().map(|a| a.duration_ms).sum();
    let earlier = r.attempts.split_last().map(|(_, e)| e).unwrap_or_default();
    let status = match r.status {
        ScenarioStatus::Passed => TestCaseStatus::success(),
        ScenarioStatus::Flaky => TestCaseStatus::Success {
            flaky_runs: earlier.iter().map(rerun).collect(),
        },
        ScenarioStatus::Failed | ScenarioStatus::Error => {
            // The deciding attempt: the last failing one (a later lab error does not hide a failure).
            let decisive = r
                .attempts
                .iter()
                .rev()
                .find(|a| r.status != ScenarioStatus::Failed || a.status == AttemptStatus::Failed)
                .or(r.attempts.last());
            let kind = if r.status == ScenarioStatus::Error {
                NonSuccessKind::Error
            } else {
                NonSuccessKind::Failure
            };
            let mut s = TestCaseStatus::non_success(kind);
            if let Some(a) = decisive {
                let ty = if r.status == ScenarioStatus::Failed {
                    let rules = r.rules_broken();
                    if rules.is_empty() {
                        rules_type(a)
                    } else {
                        rules
                            .iter()
                            .map(|x| x.to_string())
                            .collect::<Vec<_>>()
                            .join(" ")
                    }
                } else {
                    "infrastructure".into()
                };
                s.set_type(ty);
                s.set_message(xml_safe(a.reason.as_deref().unwrap_or("failed")));
                if let Some(step) = failing_step(a) {
                    s.set_description(xml_safe(&evidence_text(step)));
                }
            }
            let others: Vec<TestRerun> = r
                .attempts
                .iter()
                .filter(|a| decisive.is_none_or(|d| d.number != a.number))
                .filter(|a| a.status != AttemptStatus::Passed)
                .map(rerun)
                .collect();
            s.add_reruns(others);
            s.set_rerun_kind(FlakyOrRerun::Rerun);
            s
        }
        ScenarioStatus::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(xml_safe(r.reason().unwrap_or("skipped")));
            s
        }
    };
    let mut case = TestCase::new(xml_safe(&r.scenario), status);
    case.set_classname(xml_safe(&format!("mynacert.{}", r.model)));
    case.set_time(duration(ms));
    case.set_system_out(xml_safe(&scenario_detail(r)));
    case
}

fn failing_step(a: &Attempt) -> Option<&StepRecord> {
    a.setup
        .iter()
        .chain(&a.steps)
        .chain(&a.cleanup)
        .find(|s| matches!(s.status, StepStatus::Failed | StepStatus::Error))
}

/// Human-readable detail of a scenario: title, bindings, rules, then every attempt step by step.
pub fn scenario_detail(r: &ScenarioResult) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", r.scenario, r.title);
    let _ = writeln!(out, "status: {}", r.status.label());
    let _ = writeln!(
        out,
        "model: {}  unit: {}  carrier: {}",
        r.model,
        r.unit.as_deref().unwrap_or("-"),
        r.carrier.as_deref().unwrap_or("-")
    );
    if !r.bindings.is_empty() {
        let roles: Vec<String> = r.bindings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, "roles: {}", roles.join(" "));
    }
    if !r.rules.is_empty() {
        let rules: Vec<String> = r.rules.iter().map(|x| x.to_string()).collect();
        let _ = writeln!(out, "rules: {}", rules.join(" "));
    }
    if let Some(reason) = &r.skip_reason {
        let _ = writeln!(out, "skipped: {reason}");
    }
    for a in &r.attempts {
        out.push_str(&attempt_detail(a));
    }
    out
}

fn attempt_detail(a: &Attempt) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "attempt {}: {:?} ({:.0} ms){}",
        a.number,
        a.status,
        a.duration_ms,
        a.reason
            .as_deref()
            .map(|r| format!(" — {r}"))
            .unwrap_or_default()
    );
    for (phase, steps) in [
        ("setup", &a.setup),
        ("step", &a.steps),
        ("cleanup", &a.cleanup),
    ] {
        for s in steps {
            let _ = writeln!(
                out,
                "  {phase} {:>2}. {:<7} {} ({:.0} ms){}",
                s.index,
                format!("{:?}", s.status).to_lowercase(),
                s.name,
                s.duration_ms,
                if s.message.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", s.message)
                }
            );
        }
    }
    if let Some(s) = failing_step(a) {
        out.push_str(&evidence_text(s));
    }
    out
}

/// The evidence of a step as text (secrets were redacted before it was recorded).
pub fn evidence_text(s: &StepRecord) -> String {
    let e = &s.evidence;
    let mut out = String::new();
    let _ = writeln!(out, "  evidence of `{}`:", s.name);
    if !e.commands.is_empty() {
        let _ = writeln!(out, "    shell commands:");
        for c in &e.commands {
            let _ = writeln!(out, "      $ {c}");
        }
    }
    if !e.apdu.is_empty() {
        let _ = writeln!(out, "    APDU trace:");
        for c in &e.apdu {
            let _ = writeln!(out, "      {c}");
        }
    }
    if let Some(screen) = &e.screen {
        let _ = writeln!(
            out,
            "    screen:\n      {}",
            screen.replace('\n', "\n      ")
        );
    }
    if !e.authority.is_empty() {
        let _ = writeln!(out, "    authority:");
        for c in &e.authority {
            let _ = writeln!(out, "      {c}");
        }
    }
    if let Some(log) = &e.logcat {
        let _ = writeln!(out, "    logcat:\n      {}", log.replace('\n', "\n      "));
    }
    out
}

//! Evidence captured when a step fails: for each phone role of the step, the last lines of logcat
//! (scrubbed of every secret typed or held in this attempt) and a screenshot (`screencap -p`, base64).
//! A capture that fails is noted in the step's message; it never changes the step's outcome.

use super::context::{Context, StepFail};
use super::result::Evidence;
use crate::scenario::RoleKind;
use crate::scenario::model::Step;
use crate::secret::SecretSet;
use base64::Engine;

/// Lines of logcat kept per phone.
pub const LOGCAT_TAIL: usize = 40;

/// After a failed or errored step: captures logcat and a screenshot of each phone role of the step into
/// `ev` (fields already set are kept; the screenshot is the first phone role's). Units the failure names
/// as gone are not asked (no waiting on a dead connection).
pub fn capture_on_failure(
    ctx: &mut Context<'_, '_>,
    step: &Step,
    r: &mut Result<String, StepFail>,
    ev: &mut Evidence,
) {
    let message = match r {
        Ok(_) => return,
        Err(StepFail::Conformance { message, .. }) | Err(StepFail::Infra(message)) => message,
    };
    let mut secrets = SecretSet::new();
    for list in ctx.typed.values() {
        for (_, s) in list {
            secrets.add(s);
        }
    }
    for id in ctx.identities.values() {
        id.add_secrets(&mut secrets);
    }
    let mut roles: Vec<&str> = Vec::new();
    for rr in step.roles() {
        if rr.kind == RoleKind::Phone && !roles.contains(&rr.role) {
            roles.push(rr.role);
        }
    }
    let several = roles.len() > 1;
    let mut logs = Vec::new();
    let mut notes = Vec::new();
    for role in roles {
        let Ok(serial) = ctx.serial(role) else {
            continue;
        };
        if message.contains(&format!("{serial}: disconnected"))
            || message.contains(&format!("{serial}: no answer"))
        {
            notes.push(format!("no logcat/screenshot of `{role}`: unit gone"));
            continue;
        }
        let d = match ctx.driver(role) {
            Ok(d) => d,
            Err(e) => {
                notes.push(format!(
                    "no logcat/screenshot of `{role}`: {}",
                    fail_text(&e)
                ));
                continue;
            }
        };
        match d.logcat() {
            Ok(text) => {
                let lines: Vec<&str> = text.lines().collect();
                let tail = lines[lines.len().saturating_sub(LOGCAT_TAIL)..].join("\n");
                logs.push(if several {
                    format!("--- {role} ({serial}) ---\n{tail}")
                } else {
                    tail
                });
            }
            Err(e) => notes.push(format!("logcat of `{role}` not captured: {e}")),
        }
        if ev.screenshot_png.is_none() {
            match d.screencap() {
                Ok(png) => {
                    ev.screenshot_png = Some(base64::engine::general_purpose::STANDARD.encode(png))
                }
                Err(e) => notes.push(format!("screenshot of `{role}` not captured: {e}")),
            }
        }
    }
    if ev.logcat.is_none() && !logs.is_empty() {
        ev.logcat = Some(secrets.scrub(&logs.join("\n")));
    }
    if !notes.is_empty() {
        message.push_str(&format!(
            " [evidence: {}]",
            secrets.scrub(&notes.join("; "))
        ));
    }
}

fn fail_text(e: &StepFail) -> String {
    match e {
        StepFail::Conformance { message, .. } | StepFail::Infra(message) => message.clone(),
    }
}

//! Bringing bound units to a scenario's preconditions before it runs, and cleaning up after — with the
//! same driver steps a real lab uses, so scenarios never depend on each other's leftovers.

use super::checks::secret_scan;
use super::context::{Context, StepFail};
use super::result::{Evidence, StepRecord, StepStatus};
use crate::jpki::PinState;
use crate::scenario::model::{AppState, NetworkMode, Precondition, Scenario};
use crate::types::{CertKind, PinKind, Rule};
use std::time::Instant;

/// Records a setup or clean-up action.
fn record(
    list: &mut Vec<StepRecord>,
    name: String,
    started: Instant,
    r: Result<String, StepFail>,
    evidence: Evidence,
) -> bool {
    let (status, message, rules) = match r {
        Ok(m) => (StepStatus::Passed, m, vec![]),
        Err(StepFail::Infra(m)) => (StepStatus::Error, m, vec![]),
        Err(StepFail::Conformance { message, rules }) => (StepStatus::Failed, message, rules),
    };
    let ok = status == StepStatus::Passed;
    list.push(StepRecord {
        index: list.len() + 1,
        name,
        status,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        message,
        rules,
        evidence,
    });
    ok
}

/// Brings every bound phone and identity to the scenario's preconditions. Returns false on an error.
pub fn prepare(ctx: &mut Context<'_, '_>, scenario: &Scenario, out: &mut Vec<StepRecord>) -> bool {
    let identities: Vec<(String, crate::identity::Identity)> = ctx
        .identities
        .iter()
        .map(|(r, i)| (r.clone(), i.clone()))
        .collect();
    for (_, id) in &identities {
        let t = Instant::now();
        let r = reset_identity(ctx, id);
        if !record(
            out,
            format!("reset identity {}", id.id),
            t,
            r,
            Evidence::default(),
        ) {
            return false;
        }
    }
    let roles: Vec<String> = ctx.phones.keys().cloned().collect();
    for role in roles {
        let pre = scenario
            .preconditions
            .get(&role)
            .cloned()
            .unwrap_or_default();
        let t = Instant::now();
        let mut ev = Evidence::default();
        let r = prepare_phone(ctx, &role, &pre, &mut ev);
        let serial = ctx
            .phones
            .get(&role)
            .map(|u| u.serial.clone())
            .unwrap_or_default();
        if !record(out, format!("prepare {role} ({serial})"), t, r, ev) {
            return false;
        }
    }
    true
}

/// Authority: nothing valid for the person, no suspension; card: PIN counters reset, card in the drawer.
fn reset_identity(
    ctx: &mut Context<'_, '_>,
    id: &crate::identity::Identity,
) -> Result<String, StepFail> {
    ctx.lab.remove_card(&id.id)?;
    let revoked = ctx.authority.revoke_all(&id.person_id)?;
    ctx.authority.lift(&id.person_id)?;
    let mut card = crate::jpki::JpkiClient::new(ctx.lab.card(&id.id)?);
    let infra = |e: crate::jpki::JpkiError| StepFail::Infra(format!("card of {}: {e}", id.id));
    card.select_jpki_ap().map_err(infra)?;
    let mut unblocked = false;
    for (pin, value) in [
        (PinKind::Auth, &id.card.auth_pin),
        (PinKind::Sign, &id.card.sign_password),
    ] {
        // A good VERIFY resets the counter; a blocked PIN needs the issuer's unblock service.
        if card.verify(pin, value).map_err(infra)? == PinState::Blocked {
            ctx.lab.service_reset_card(&id.id)?;
            unblocked = true;
            card = crate::jpki::JpkiClient::new(ctx.lab.card(&id.id)?);
            card.select_jpki_ap().map_err(infra)?;
            let again = card.verify(pin, value).map_err(infra)?;
            if again != PinState::Verified {
                return Err(StepFail::Infra(format!(
                    "card of {}: {pin:?} PIN is {again} even after the unblock service",
                    id.id
                )));
            }
        }
    }
    let person = id.person_id.clone();
    let baseline = ctx.authority.ledger_len(&person)?;
    ctx.baseline.insert(person, baseline);
    Ok(format!(
        "{revoked} certificate(s) revoked at the authority, suspension lifted, card PINs reset{}",
        if unblocked {
            " (after the issuer's unblock service)"
        } else {
            ""
        }
    ))
}

fn prepare_phone(
    ctx: &mut Context<'_, '_>,
    role: &str,
    pre: &Precondition,
    ev: &mut Evidence,
) -> Result<String, StepFail> {
    let serial = ctx.serial(role)?;
    ctx.lab.power_on(&serial)?;
    let apk = ctx.lab.app_apk()?;
    let d = ctx.driver(role)?;
    d.set_network(NetworkMode::Online)?;
    d.nfc(true)?;
    // A clean app: remove whatever install is there (its data with it), then install if wanted.
    if d.app_installed()? {
        d.uninstall_app()?;
    }
    ev.commands.extend(d.commands().iter().cloned());
    // No certificates in the SE: the test SE's service clean-up (all previous ones are revoked already).
    let mut se = ctx.se(role)?;
    let infra = |e: crate::jpki::JpkiError| StepFail::Infra(format!("SE of {serial}: {e}"));
    se.select_jpki_ap().map_err(infra)?;
    let mut held = Vec::new();
    for k in CertKind::ALL {
        if se.holds(k).map_err(infra)? {
            held.push(k);
        }
    }
    if !held.is_empty() {
        ctx.lab.service_wipe_se(&serial)?;
        let mut se = ctx.se(role)?;
        se.select_jpki_ap().map_err(infra)?;
        for k in CertKind::ALL {
            if se.holds(k).map_err(infra)? {
                return Err(StepFail::Infra(format!(
                    "{serial}: the SE still holds the {k} certificate after the service clean-up"
                )));
            }
        }
    }
    let d = ctx.driver(role)?;
    if pre.app == AppState::Installed {
        d.install_app(&apk)?;
    }
    if pre.network != NetworkMode::Online {
        d.set_network(pre.network)?;
    }
    d.clear_logcat()?;
    d.clear_history();
    Ok(format!(
        "online, NFC on, SE empty{}, app {}",
        if held.is_empty() {
            ""
        } else {
            " (after service clean-up)"
        },
        if pre.app == AppState::Installed {
            "freshly installed"
        } else {
            "not installed"
        }
    ))
}

/// After the steps: scan for leaked secrets (R9, always), then clean up. Returns the scan's failure.
pub fn secret_check(ctx: &mut Context<'_, '_>, out: &mut Vec<StepRecord>) -> Option<Vec<Rule>> {
    let roles: Vec<String> = ctx.typed.keys().cloned().collect();
    let mut broken = None;
    for role in roles {
        let t = Instant::now();
        let mut ev = Evidence::default();
        let r = secret_scan(ctx, &role, Some(Rule::R9), &mut ev);
        let failed = matches!(r, Err(StepFail::Conformance { .. }));
        record(out, format!("secret scan on={role} (automatic)"), t, r, ev);
        if failed {
            broken = Some(vec![Rule::R9]);
        }
    }
    broken
}

/// Revokes whatever the scenario issued to its identities, lifts suspensions, powers units on, and takes
/// cards away. Errors are recorded, never fatal.
pub fn cleanup(ctx: &mut Context<'_, '_>, out: &mut Vec<StepRecord>) {
    let ids: Vec<crate::identity::Identity> = ctx.identities.values().cloned().collect();
    for id in ids {
        let t = Instant::now();
        let r = (|| -> Result<String, StepFail> {
            ctx.lab.remove_card(&id.id)?;
            let n = ctx.authority.revoke_all(&id.person_id)?;
            ctx.authority.lift(&id.person_id)?;
            Ok(format!("{n} certificate(s) revoked, suspension lifted"))
        })();
        record(
            out,
            format!("clean up identity {}", id.id),
            t,
            r,
            Evidence::default(),
        );
    }
    let serials: Vec<(String, String)> = ctx
        .phones
        .iter()
        .map(|(r, u)| (r.clone(), u.serial.clone()))
        .collect();
    for (role, serial) in serials {
        let t = Instant::now();
        let r = (|| -> Result<String, StepFail> {
            ctx.lab.power_on(&serial)?;
            ctx.driver(&role)?.set_network(NetworkMode::Online)?;
            Ok("powered on and online".into())
        })();
        record(
            out,
            format!("clean up {role} ({serial})"),
            t,
            r,
            Evidence::default(),
        );
    }
}

//! Executes one scenario step through the drivers. App-behaviour problems become conformance failures;
//! anything the lab could not do becomes an infrastructure error.

use super::checks::{expect_authority, expect_se, read_se, secret_scan, trace, verify_pin};
use super::context::{Context, StepFail, StepOutcome};
use super::result::Evidence;
use crate::phone::{FlowOutcome, FlowValue, FlowVars};
use crate::scenario::model::{Feature, PowerState, Step};
use crate::secret::Secret;
use crate::types::{CertKind, Rule};

/// A short, secret-free name for a step, e.g. `provision on=new identity=holder`.
pub fn describe(step: &Step) -> String {
    let s = |v: &str| v.to_string();
    match step {
        Step::InstallApp(p) => format!("install-app on={}", p.on),
        Step::UninstallApp(p) => format!("uninstall-app on={}", p.on),
        Step::ReinstallApp(p) => format!("reinstall-app on={}", p.on),
        Step::Provision(p) => format!("provision on={} identity={}", p.on, p.identity),
        Step::Register(p) => format!("register on={} identity={}", p.on, p.identity),
        Step::OpenMyPage(p) => format!("open-my-page on={} identity={}", p.on, p.identity),
        Step::Revoke(p) => format!("revoke on={} certs={}", p.on, kinds(&p.certs)),
        Step::RevokeOther(p) => format!(
            "revoke-other on={} target={}{}",
            p.on,
            p.target,
            if p.with_card { "" } else { " without card" }
        ),
        Step::FactoryReset(p) => format!("factory-reset on={}", p.on),
        Step::SetNetwork(p) => format!("set-network on={} mode={:?}", p.on, p.mode).to_lowercase(),
        Step::Power(p) => format!("power on={} state={:?}", p.on, p.state).to_lowercase(),
        Step::Reboot(p) => format!("reboot on={}", p.on),
        Step::Suspend(p) => format!("suspend identity={}", p.identity),
        Step::LiftSuspension(p) => format!("lift-suspension identity={}", p.identity),
        Step::PlaceCard(p) => format!("place-card identity={} on={}", p.identity, p.on),
        Step::RemoveCard(p) => format!("remove-card identity={}", p.identity),
        Step::ReadSe(p) => format!("read-se on={}", p.on),
        Step::VerifyPin(p) => format!(
            "verify-pin {} {:?} {:?}",
            p.on.as_deref()
                .map(|o| format!("on={o}"))
                .unwrap_or_else(|| s("card")),
            p.pin,
            p.value
        )
        .to_lowercase(),
        Step::ExpectAuthority(p) => format!(
            "expect-authority on={} certs={} status={}",
            p.on,
            kinds(&p.certs),
            p.status
        ),
        Step::ExpectSe(p) => format!("expect-se on={} holds=[{}]", p.on, kinds(&p.holds)),
        Step::ExpectApp(p) => format!("expect-app on={}", p.on),
        Step::ExpectScreen(p) => format!("expect-screen on={}", p.on),
        Step::ExpectNoSecretLeak(p) => format!("expect-no-secret-leak on={}", p.on),
    }
}

pub(super) fn kinds(k: &[CertKind]) -> String {
    k.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",")
}

/// Runs one step.
pub fn run_step(ctx: &mut Context<'_, '_>, step: &Step) -> StepOutcome {
    let mut ev = Evidence::default();
    let r = dispatch(ctx, step, &mut ev);
    (r, ev)
}

fn dispatch(ctx: &mut Context<'_, '_>, step: &Step, ev: &mut Evidence) -> Result<String, StepFail> {
    match step {
        Step::InstallApp(p) => {
            let apk = ctx.lab.app_apk()?;
            with_commands(ctx, &p.on, ev, |d| d.install_app(&apk))?;
            Ok("app installed".into())
        }
        Step::UninstallApp(p) => {
            with_commands(ctx, &p.on, ev, |d| d.uninstall_app())?;
            Ok("app uninstalled".into())
        }
        Step::ReinstallApp(p) => {
            let apk = ctx.lab.app_apk()?;
            with_commands(ctx, &p.on, ev, |d| {
                d.uninstall_app()?;
                d.install_app(&apk)
            })?;
            Ok("app reinstalled".into())
        }
        Step::Provision(p) => {
            let id = ctx.identity(&p.identity)?;
            let serial = ctx.serial(&p.on)?;
            let mut vars = secret_vars(
                ctx,
                &p.on,
                &id,
                &[
                    "card_sign_password",
                    "phone_auth_pin",
                    "phone_sign_password",
                ],
            );
            vars.insert(
                "biometrics".into(),
                FlowValue::Plain(if p.biometrics { "yes" } else { "no" }.into()),
            );
            ctx.lab.place_card(&id.id, &serial)?;
            let outcome = flow(ctx, &p.on, "provision", &vars, ev);
            ctx.lab.remove_card(&id.id)?;
            judge(
                ctx,
                outcome?,
                p.expect_error.as_deref(),
                p.rule,
                "provisioning",
            )
        }
        Step::Register(p) => pin_flow(ctx, p, "register", "registration", ev),
        Step::OpenMyPage(p) => pin_flow(ctx, p, "open_my_page", "opening My Page", ev),
        Step::Revoke(p) => {
            let id = ctx.identity(&p.identity)?;
            let mut vars = secret_vars(ctx, &p.on, &id, &[]);
            let password = match &p.password {
                Some(t) => resolve_secret(ctx, t)?,
                None => id.phone.sign_password.clone(),
            };
            ctx.typed(&p.on, "phone_sign_password", &password);
            vars.insert("phone_sign_password".into(), FlowValue::Secret(password));
            vars.insert("certs".into(), FlowValue::Plain(kinds(&p.certs)));
            let outcome = flow(ctx, &p.on, "revoke", &vars, ev)?;
            judge(
                ctx,
                outcome,
                p.expect_error.as_deref(),
                p.rule,
                "revocation",
            )
        }
        Step::RevokeOther(p) => {
            let id = ctx.identity(&p.identity)?;
            let serial = ctx.serial(&p.on)?;
            ctx.serial(&p.target)?;
            let vars = secret_vars(ctx, &p.on, &id, &["card_sign_password"]);
            if p.with_card {
                ctx.lab.place_card(&id.id, &serial)?;
            }
            let outcome = flow(ctx, &p.on, "revoke_other", &vars, ev);
            if p.with_card {
                ctx.lab.remove_card(&id.id)?;
            }
            judge(
                ctx,
                outcome?,
                p.expect_error.as_deref(),
                p.rule,
                "revoking the other phone",
            )
        }
        Step::FactoryReset(p) => {
            let commands = ctx.unit(&p.on)?.profile.factory_reset.clone();
            with_commands(ctx, &p.on, ev, |d| d.factory_reset(&commands))?;
            Ok("factory reset done".into())
        }
        Step::SetNetwork(p) => {
            with_commands(ctx, &p.on, ev, |d| d.set_network(p.mode))?;
            Ok(format!("network {:?}", p.mode).to_lowercase())
        }
        Step::Power(p) => match p.state {
            PowerState::Off => {
                with_commands(ctx, &p.on, ev, |d| d.power_off())?;
                Ok("powered off".into())
            }
            PowerState::On => {
                let serial = ctx.serial(&p.on)?;
                ctx.lab.power_on(&serial)?;
                Ok("powered on".into())
            }
        },
        Step::Reboot(p) => {
            with_commands(ctx, &p.on, ev, |d| d.reboot())?;
            Ok("rebooted".into())
        }
        Step::Suspend(p) => {
            let person = ctx.identity(&p.identity)?.person_id;
            ctx.authority.suspend(&person)?;
            Ok("suspended by the hotline operator".into())
        }
        Step::LiftSuspension(p) => {
            let person = ctx.identity(&p.identity)?.person_id;
            ctx.authority.lift(&person)?;
            Ok("suspension lifted".into())
        }
        Step::PlaceCard(p) => {
            let id = ctx.identity(&p.identity)?.id;
            let serial = ctx.serial(&p.on)?;
            ctx.lab.place_card(&id, &serial)?;
            Ok(format!("card of {id} held to {serial}"))
        }
        Step::RemoveCard(p) => {
            let id = ctx.identity(&p.identity)?.id;
            ctx.lab.remove_card(&id)?;
            Ok(format!("card of {id} removed"))
        }
        Step::ReadSe(p) => {
            let mut se = ctx.se(&p.on)?;
            let r = read_se(&mut se);
            ev.apdu = trace(&se);
            r
        }
        Step::VerifyPin(p) => verify_pin(ctx, p, ev),
        Step::ExpectAuthority(p) => expect_authority(ctx, p, ev),
        Step::ExpectSe(p) => expect_se(ctx, p, ev),
        Step::ExpectApp(p) => {
            let mut wrong = Vec::new();
            let mut seen = Vec::new();
            for (feature, want) in p
                .offers
                .iter()
                .map(|f| (*f, true))
                .chain(p.does_not_offer.iter().map(|f| (*f, false)))
            {
                let got = with_commands(ctx, &p.on, ev, |d| d.offers(feature))?;
                seen.push(format!(
                    "{}={}",
                    feature_name(feature),
                    if got { "offered" } else { "absent" }
                ));
                if got != want {
                    wrong.push(format!(
                        "the app {} {}",
                        if got { "offers" } else { "does not offer" },
                        feature_name(feature)
                    ));
                }
            }
            ev.screen = Some(ctx.driver(&p.on)?.screen()?.excerpt());
            if wrong.is_empty() {
                Ok(seen.join(", "))
            } else {
                Err(ctx.fail(p.rule, wrong.join("; ")))
            }
        }
        Step::ExpectScreen(p) => {
            let tree = ctx.driver(&p.on)?.screen()?;
            let texts = tree.texts();
            ev.screen = Some(tree.excerpt());
            let missing: Vec<&String> = p
                .shows
                .iter()
                .filter(|t| !texts.iter().any(|x| x.contains(t.as_str())))
                .collect();
            let present: Vec<&String> = p
                .hides
                .iter()
                .filter(|t| texts.iter().any(|x| x.contains(t.as_str())))
                .collect();
            if missing.is_empty() && present.is_empty() {
                Ok("screen as expected".into())
            } else {
                Err(ctx.fail(
                    p.rule,
                    format!("screen lacks {missing:?}, shows {present:?}"),
                ))
            }
        }
        Step::ExpectNoSecretLeak(p) => secret_scan(ctx, &p.on, p.rule, ev),
    }
}

fn feature_name(f: Feature) -> &'static str {
    match f {
        Feature::Provisioning => "provisioning",
        Feature::RevokeOther => "revoke-other",
        Feature::Biometrics => "biometrics",
        Feature::SuspensionHelp => "suspension-help",
    }
}

/// A flow that needs only the phone's auth PIN (register, open My Page).
fn pin_flow(
    ctx: &mut Context<'_, '_>,
    p: &crate::scenario::model::PhoneIdentity,
    flow_name: &str,
    what: &str,
    ev: &mut Evidence,
) -> Result<String, StepFail> {
    let id = ctx.identity(&p.identity)?;
    let vars = secret_vars(ctx, &p.on, &id, &["phone_auth_pin"]);
    let outcome = flow(ctx, &p.on, flow_name, &vars, ev)?;
    judge(ctx, outcome, p.expect_error.as_deref(), p.rule, what)
}

/// Runs a driver call and records the command lines it sent.
fn with_commands<R>(
    ctx: &mut Context<'_, '_>,
    role: &str,
    ev: &mut Evidence,
    f: impl FnOnce(&mut crate::phone::PhoneDriver) -> Result<R, crate::phone::DriverError>,
) -> Result<R, StepFail> {
    let d = ctx.driver(role)?;
    let before = d.commands().len();
    let r = f(d);
    ev.commands
        .extend(d.commands().iter().skip(before).cloned());
    Ok(r?)
}

fn flow(
    ctx: &mut Context<'_, '_>,
    role: &str,
    name: &str,
    vars: &FlowVars,
    ev: &mut Evidence,
) -> Result<FlowOutcome, StepFail> {
    let outcome = with_commands(ctx, role, ev, |d| d.run_flow(name, vars))?;
    ev.screen = Some(outcome.screen.clone());
    Ok(outcome)
}

/// Flow variables holding an identity's secrets; each one is remembered as typed on `role`.
fn secret_vars(
    ctx: &mut Context<'_, '_>,
    role: &str,
    id: &crate::identity::Identity,
    names: &[&str],
) -> FlowVars {
    let mut vars = FlowVars::new();
    for name in names {
        let secret = match *name {
            "card_sign_password" => &id.card.sign_password,
            "card_auth_pin" => &id.card.auth_pin,
            "phone_auth_pin" => &id.phone.auth_pin,
            "phone_sign_password" => &id.phone.sign_password,
            _ => continue,
        };
        ctx.typed(role, name, secret);
        vars.insert((*name).to_string(), FlowValue::Secret(secret.clone()));
    }
    vars
}

fn resolve_secret(ctx: &Context<'_, '_>, template: &str) -> Result<Secret, StepFail> {
    let lookup = |role: &str| ctx.identities.get(role).cloned();
    match crate::scenario::vars::resolve(template, &lookup) {
        Ok(crate::scenario::vars::Value::Secret(s)) => Ok(s),
        Ok(crate::scenario::vars::Value::Plain(p)) => Ok(Secret::new(p)),
        Err(e) => Err(StepFail::Infra(format!("variable: {e}"))),
    }
}

/// Compares a flow's outcome with what the scenario expects.
fn judge(
    ctx: &Context<'_, '_>,
    outcome: FlowOutcome,
    expect_error: Option<&str>,
    rule: Option<Rule>,
    what: &str,
) -> Result<String, StepFail> {
    let shown = outcome
        .message
        .as_deref()
        .map(|m| format!(": \"{m}\""))
        .unwrap_or_default();
    match (expect_error, outcome.completed, outcome.error.as_deref()) {
        (None, true, _) => Ok(format!("{what} completed")),
        (None, false, err) => Err(ctx.fail(
            rule,
            format!(
                "{what} did not complete: app error `{}`{shown}",
                err.unwrap_or("unknown")
            ),
        )),
        (Some(want), false, Some(got)) if got == want => {
            Ok(format!("{what} refused as expected (`{want}`){shown}"))
        }
        (Some(want), true, _) => Err(ctx.fail(
            rule,
            format!("{what} should have failed with `{want}`, but the app reported success"),
        )),
        (Some(want), false, got) => Err(ctx.fail(
            rule,
            format!(
                "{what} should have failed with `{want}`, but failed with `{}`{shown}",
                got.unwrap_or("unknown")
            ),
        )),
    }
}

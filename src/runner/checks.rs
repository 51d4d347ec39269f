//! Checks against cards, secure elements, the authority and the phone's outputs.

use super::context::{Context, StepFail};
use super::result::Evidence;
use crate::jpki::{JpkiClient, PinState};
use crate::scenario::model::{ExpectAuthority, ExpectSe, PinChoice, VerifyPin};
use crate::secret::Secret;
use crate::transport::CardTransport;
use crate::types::{CertKind, PinKind, Rule};

use super::exec::kinds;

/// The APDU trace as evidence, led by the path the APDUs took (`via reader `…``, or in process).
pub(super) fn trace(client: &JpkiClient<Box<dyn CardTransport>>) -> Vec<String> {
    std::iter::once(format!("via {}", client.transport().name()))
        .chain(
            client
                .trace()
                .iter()
                .map(|t| format!("> {}  < {} ({} bytes)", t.command, t.sw, t.response_len)),
        )
        .collect()
}

pub(super) fn read_se(se: &mut JpkiClient<Box<dyn CardTransport>>) -> Result<String, StepFail> {
    let infra = |e: crate::jpki::JpkiError| StepFail::Infra(format!("SE: {e}"));
    se.select_jpki_ap().map_err(infra)?;
    let label = se.token_label().map_err(infra)?;
    let mut held = Vec::new();
    for k in CertKind::ALL {
        if se.holds(k).map_err(infra)? {
            held.push(k.as_str());
        }
    }
    Ok(format!("token `{label}`, holds [{}]", held.join(",")))
}

pub(super) fn expect_se(
    ctx: &mut Context<'_, '_>,
    p: &ExpectSe,
    ev: &mut Evidence,
) -> Result<String, StepFail> {
    let mut se = ctx.se(&p.on)?;
    let r = (|| {
        let infra = |e: crate::jpki::JpkiError| StepFail::Infra(format!("SE: {e}"));
        se.select_jpki_ap().map_err(infra)?;
        let mut held = Vec::new();
        for k in CertKind::ALL {
            if se.holds(k).map_err(infra)? {
                held.push(k);
            }
        }
        let mut want = p.holds.clone();
        want.sort();
        held.sort();
        if held != want {
            return Err(ctx.fail(
                p.rule,
                format!("SE holds [{}], expected [{}]", kinds(&held), kinds(&want)),
            ));
        }
        if let Some(expected) = p.auth_readable_without_pin
            && held.contains(&CertKind::Auth)
        {
            // Refused for want of the PIN (`69 82`) is "does not read"; any other failure is the
            // lab's, not an answer about R9.
            let readable = match se.read_certificate(CertKind::Auth) {
                Ok(_) => true,
                Err(crate::jpki::JpkiError::EfStatus { sw, .. })
                    if sw == crate::apdu::Sw::SECURITY_STATUS_NOT_SATISFIED =>
                {
                    false
                }
                Err(e) => return Err(infra(e)),
            };
            if readable != expected {
                return Err(ctx.fail(
                    p.rule,
                    format!(
                        "the SE's auth certificate {} without the auth PIN",
                        if readable { "reads" } else { "does not read" }
                    ),
                ));
            }
        }
        Ok(format!("SE holds [{}]", kinds(&held)))
    })();
    ev.apdu = trace(&se);
    r
}

pub(super) fn expect_authority(
    ctx: &mut Context<'_, '_>,
    p: &ExpectAuthority,
    ev: &mut Evidence,
) -> Result<String, StepFail> {
    let person = ctx.identity(&p.identity)?.person_id;
    let serial = ctx.serial(&p.on)?;
    let mut wrong = Vec::new();
    for kind in &p.certs {
        let since = ctx.baseline.get(&person).copied().unwrap_or(0);
        let report = ctx.authority.status_since(&person, &serial, *kind, since)?;
        ev.authority.push(report.evidence.clone());
        if report.status != p.status {
            wrong.push(format!(
                "{kind} is {} (expected {})",
                report.status, p.status
            ));
        }
    }
    if wrong.is_empty() {
        Ok(format!("{} {} at the authority", kinds(&p.certs), p.status))
    } else {
        Err(ctx.fail(p.rule, format!("on {serial}: {}", wrong.join("; "))))
    }
}

/// A PIN of the right format that is not the right one.
pub fn wrong_pin(right: &str) -> Secret {
    let s: String = right
        .chars()
        .map(|c| match c {
            '0'..='8' => ((c as u8) + 1) as char,
            '9' => '0',
            'A'..='Y' | 'a'..='y' => ((c as u8) + 1) as char,
            'Z' => 'A',
            'z' => 'a',
            other => other,
        })
        .collect();
    Secret::new(s)
}

pub(super) fn verify_pin(
    ctx: &mut Context<'_, '_>,
    p: &VerifyPin,
    ev: &mut Evidence,
) -> Result<String, StepFail> {
    let id = ctx.identity(&p.identity)?;
    let card_safety = ctx.card_safety.clone();
    let right = match (&p.on, p.pin) {
        (Some(_), PinKind::Auth) => id.phone.auth_pin.clone(),
        (Some(_), PinKind::Sign) => id.phone.sign_password.clone(),
        (None, PinKind::Auth) => id.card.auth_pin.clone(),
        (None, PinKind::Sign) => id.card.sign_password.clone(),
    };
    let mut client = match &p.on {
        Some(role) => ctx.se(role)?,
        None => ctx.card(&p.identity)?,
    };
    let target =
        p.on.as_deref()
            .map(|r| format!("SE of {r}"))
            .unwrap_or_else(|| "card".into());
    let r = (|| {
        client
            .select_jpki_ap()
            .map_err(|e| StepFail::Infra(format!("{target}: {e}")))?;
        // A test card: read the tries left first (no try spent) and refuse a VERIFY that could lock it.
        if p.on.is_none() && p.value != PinChoice::Query {
            let left = client
                .retries_left(p.pin)
                .map_err(|e| StepFail::Infra(format!("{target}: {e}")))?;
            let tries = match left {
                PinState::Remaining(n) => Some(n),
                PinState::Blocked => None,
                // Already verified in this session: nothing can be spent.
                PinState::Verified => Some(u8::MAX),
            };
            let what = format!("{:?} PIN", p.pin).to_lowercase();
            if let Some(why) = card_safety.refuses(&id.id, &what, tries) {
                return Err(StepFail::Infra(why));
            }
        }
        let state = match p.value {
            PinChoice::Query => client.retries_left(p.pin),
            PinChoice::Right => client.verify(p.pin, &right),
            PinChoice::Wrong => client.verify(p.pin, &wrong_pin(right.expose())),
        }
        .map_err(|e| StepFail::Infra(format!("{target}: {e}")))?;
        let got = match state {
            PinState::Verified => "verified".to_string(),
            PinState::Remaining(n) => format!("{n} tries left"),
            PinState::Blocked => "blocked".to_string(),
        };
        let ok = if p.expect_blocked {
            state == PinState::Blocked
        } else if let Some(n) = p.expect_retries {
            state == PinState::Remaining(n)
        } else {
            match p.value {
                PinChoice::Right => state == PinState::Verified,
                PinChoice::Wrong => matches!(state, PinState::Remaining(_) | PinState::Blocked),
                PinChoice::Query => true,
            }
        };
        let want = if p.expect_blocked {
            "blocked".to_string()
        } else if let Some(n) = p.expect_retries {
            format!("{n} tries left")
        } else {
            "the usual answer".to_string()
        };
        if ok {
            Ok(format!("{target} {:?} PIN: {got}", p.pin).to_lowercase())
        } else {
            Err(ctx.fail(
                p.rule,
                format!("{target} {:?} PIN: {got}, expected {want}", p.pin),
            ))
        }
    })();
    ev.apdu = trace(&client);
    r
}

/// Scans logcat and every UI dump of a phone role for every secret typed in this attempt.
pub fn secret_scan(
    ctx: &mut Context<'_, '_>,
    role: &str,
    rule: Option<Rule>,
    ev: &mut Evidence,
) -> Result<String, StepFail> {
    let typed = ctx.typed.get(role).cloned().unwrap_or_default();
    let d = ctx.driver(role)?;
    let logcat = d.logcat()?;
    let dumps = d.ui_dumps().join("\n");
    let mut leaks = Vec::new();
    for (name, secret) in &typed {
        // A PIN counts as a number of its own, not inside a timestamp or a process id.
        use crate::secret::SecretSet;
        if SecretSet::occurs_in(secret, logcat.as_bytes()) {
            leaks.push(format!("{name} in logcat"));
        }
        if SecretSet::occurs_in(secret, dumps.as_bytes()) {
            leaks.push(format!("{name} in a UI dump"));
        }
    }
    if leaks.is_empty() {
        Ok(format!(
            "none of the {} secrets typed on this phone appear in logcat or {} UI dumps",
            typed.len(),
            d.ui_dumps().len()
        ))
    } else {
        // Evidence shows where, scrubbed: never the secret itself.
        let mut set = crate::secret::SecretSet::new();
        for (_, s) in &typed {
            set.add(s);
        }
        let excerpt: Vec<String> = logcat
            .lines()
            .filter(|l| set.count_in(l.as_bytes()) > 0)
            .take(5)
            .map(|l| set.scrub(l))
            .collect();
        ev.logcat = Some(excerpt.join("\n"));
        Err(ctx.fail(
            Some(rule.unwrap_or(Rule::R9)),
            format!("typed secrets leaked: {}", leaks.join(", ")),
        ))
    }
}

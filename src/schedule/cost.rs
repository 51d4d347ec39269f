//! What an execution costs in device time: its set-up, its steps and its clean-up as segments of
//! actions ([`Action`]), priced by the timing of the unit each step runs on.

use super::sim::Segment;
use crate::runner::Binding;
use crate::scenario::model::{PowerState, Scenario, Step};
use mynacert_wire::timing::{Action, Timing};

/// Seconds of `action` on a unit whose timing is `t` (an action the timing does not name costs 0).
fn secs(t: &Timing, action: Action) -> f64 {
    t.get(action).unwrap_or(0.0)
}

/// A segment of `n` times `action`.
fn seg(t: &Timing, action: Action, n: f64) -> Segment {
    Segment {
        seconds: secs(t, action) * n,
        operator: action == Action::CardPlacement,
        reader: action == Action::SeRead,
    }
}

/// The card read of the app, with the card held to the phone by the operator all along.
fn card_read(t: &Timing) -> Segment {
    Segment {
        seconds: secs(t, Action::CardPlacement) + secs(t, Action::NfcCardRead),
        operator: true,
        reader: false,
    }
}

/// Device time of one execution: `timing(role)` is the timing of the unit playing a phone role (the
/// lab defaults under the model's own), `defaults` the lab's for steps without a phone.
pub fn segments(
    scenario: &Scenario,
    binding: &Binding,
    defaults: &Timing,
    timing: &dyn Fn(&str) -> Timing,
) -> Vec<Segment> {
    let mut out = Vec::new();
    let d = defaults;
    // Set-up: each identity's card reset and authority clean slate; each phone brought online with a
    // fresh app and an empty SE.
    for _ in &binding.identities {
        out.push(seg(d, Action::ServiceCall, 2.0));
        out.push(seg(d, Action::SeRead, 1.0));
    }
    for role in binding.phones.keys() {
        let t = timing(role);
        out.push(seg(&t, Action::UiStep, 2.0));
        out.push(seg(&t, Action::AppUninstall, 1.0));
        out.push(seg(&t, Action::SeRead, 1.0));
        out.push(seg(&t, Action::AppInstall, 1.0));
    }
    for step in &scenario.steps {
        out.extend(step_segments(&step.value, d, timing));
    }
    // The secret scan of every phone, then the clean-up: authority, power, network.
    for role in binding.phones.keys() {
        out.push(seg(&timing(role), Action::UiStep, 2.0));
    }
    for _ in &binding.identities {
        out.push(seg(d, Action::ServiceCall, 2.0));
    }
    out.retain(|s| s.seconds > 0.0);
    out
}

fn step_segments(step: &Step, d: &Timing, timing: &dyn Fn(&str) -> Timing) -> Vec<Segment> {
    let on = |role: &str| timing(role);
    match step {
        Step::InstallApp(p) => vec![seg(&on(&p.on), Action::AppInstall, 1.0)],
        Step::UninstallApp(p) => vec![seg(&on(&p.on), Action::AppUninstall, 1.0)],
        Step::ReinstallApp(p) => {
            let t = on(&p.on);
            vec![
                seg(&t, Action::AppUninstall, 1.0),
                seg(&t, Action::AppInstall, 1.0),
            ]
        }
        Step::Provision(p) => {
            let t = on(&p.on);
            vec![
                seg(&t, Action::UiStep, 4.0),
                // The card's signing password, then the phone's auth PIN and signing password, twice each.
                seg(&t, Action::PinEntry, 1.0),
                card_read(&t),
                seg(&t, Action::PinEntry, 4.0),
                seg(&t, Action::IssuancePushWait, 1.0),
                seg(&t, Action::UiStep, 2.0),
                seg(&t, Action::Registration, 1.0),
            ]
        }
        Step::Register(p) => {
            let t = on(&p.on);
            vec![
                seg(&t, Action::UiStep, 1.0),
                seg(&t, Action::Registration, 1.0),
            ]
        }
        Step::OpenMyPage(p) => {
            let t = on(&p.on);
            vec![seg(&t, Action::UiStep, 2.0), seg(&t, Action::PinEntry, 1.0)]
        }
        Step::Revoke(p) => {
            let t = on(&p.on);
            vec![
                seg(&t, Action::UiStep, 4.0),
                seg(&t, Action::PinEntry, 1.0),
                seg(&t, Action::RevocationRoundTrip, 1.0),
            ]
        }
        Step::RevokeOther(p) => {
            let t = on(&p.on);
            let mut v = vec![seg(&t, Action::UiStep, 4.0)];
            if p.with_card {
                v.push(card_read(&t));
            }
            v.push(seg(&t, Action::PinEntry, 1.0));
            v.push(seg(&t, Action::RevocationRoundTrip, 1.0));
            v
        }
        Step::FactoryReset(p) => {
            let t = on(&p.on);
            vec![
                seg(&t, Action::FactoryReset, 1.0),
                seg(&t, Action::BootCompletedWait, 1.0),
            ]
        }
        Step::Reboot(p) => {
            let t = on(&p.on);
            vec![
                seg(&t, Action::Reboot, 1.0),
                seg(&t, Action::BootCompletedWait, 1.0),
            ]
        }
        Step::Power(p) => {
            let t = on(&p.on);
            match p.state {
                PowerState::Off => vec![seg(&t, Action::UiStep, 1.0)],
                // Powering on is a cold boot.
                PowerState::On => vec![
                    seg(&t, Action::Reboot, 1.0),
                    seg(&t, Action::BootCompletedWait, 1.0),
                ],
            }
        }
        Step::SetNetwork(p) => vec![seg(&on(&p.on), Action::UiStep, 1.0)],
        Step::Suspend(_) | Step::LiftSuspension(_) => vec![seg(d, Action::ServiceCall, 1.0)],
        Step::PlaceCard(_) | Step::RemoveCard(_) => vec![seg(d, Action::CardPlacement, 1.0)],
        Step::ReadSe(_) | Step::ExpectSe(_) => vec![seg(d, Action::SeRead, 1.0)],
        Step::VerifyPin(_) => vec![seg(d, Action::SeRead, 1.0)],
        Step::ExpectAuthority(_) => vec![seg(d, Action::AuthorityQuery, 1.0)],
        Step::ExpectApp(p) => vec![seg(&on(&p.on), Action::UiStep, 2.0)],
        Step::ExpectScreen(p) => vec![seg(&on(&p.on), Action::UiStep, 1.0)],
        Step::ExpectNoSecretLeak(p) => vec![seg(&on(&p.on), Action::UiStep, 2.0)],
    }
}

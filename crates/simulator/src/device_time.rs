//! What a virtual action costs in device time: each action a virtual phone, card or service performs is
//! charged what the lab's timing (`devices/timing.yaml` under the model's `timing:`) says it takes on a
//! bench — to the calling thread's meter (`mynacert_wire::clock`: in process, the virtual clock of the
//! execution, nothing sleeps) and, with a time scale (a served lab: `--time-scale 0.001`), as a real
//! sleep of model time × scale, so the real ADB paths meet real waiting. The sleep is taken
//! ([`settle`]) once the lab's state is unlocked: phones wait side by side, as on a bench.

use mynacert_wire::profile::DeviceProfile;
use mynacert_wire::timing::{Action, Timing};
use std::cell::Cell;
use std::time::Duration;

thread_local! {
    /// Real seconds this thread owes to the time scale, slept once it holds no lock of the lab.
    static OWED: Cell<f64> = const { Cell::new(0.0) };
}

/// Sleeps what this thread owes to the time scale. Called where the lab's state is not locked, so one
/// phone's device time never holds up another phone.
pub fn settle() {
    let owed = OWED.with(|o| o.replace(0.0));
    if owed > 0.0 {
        std::thread::sleep(Duration::from_secs_f64(owed));
    }
}

/// A lab's (or one unit's) device time.
#[derive(Debug, Clone, Default)]
pub struct DeviceClock {
    /// `None`: actions cost nothing (the lab was opened without a timing).
    timing: Option<Timing>,
    /// Real seconds slept per model second (0: none).
    scale: f64,
}

impl DeviceClock {
    pub fn new(timing: Option<Timing>, scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            0.0
        };
        DeviceClock { timing, scale }
    }

    /// The clock of a unit of `profile`: the lab's timing under the model's own.
    pub fn for_profile(&self, profile: &DeviceProfile) -> DeviceClock {
        DeviceClock {
            timing: self.timing.as_ref().map(|t| t.overlay(&profile.timing)),
            scale: self.scale,
        }
    }

    /// Charges `n` times `action`.
    pub fn charge(&self, action: Action, n: f64) {
        let Some(t) = &self.timing else { return };
        let seconds = t.get(action).unwrap_or(0.0) * n;
        if !(seconds.is_finite() && seconds > 0.0) {
            return;
        }
        mynacert_wire::clock::charge(action, seconds);
        if self.scale > 0.0 {
            OWED.with(|o| o.set(o.get() + seconds * self.scale));
        }
    }
}

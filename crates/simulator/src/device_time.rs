//! What a virtual action costs in device time: each action a virtual phone, card or service performs is
//! charged what the lab's timing (`devices/timing.yaml` under the model's `timing:`) says it takes on a
//! bench — to the calling thread's meter (`mynacert_wire::clock`: in process, the virtual clock of the
//! execution, nothing sleeps) and, with a time scale (a served lab: `--time-scale 0.001`), as a real
//! sleep of model time × scale, so the real ADB and PC/SC paths meet real waiting.

use mynacert_wire::profile::DeviceProfile;
use mynacert_wire::timing::{Action, Timing};
use std::time::Duration;

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
            std::thread::sleep(Duration::from_secs_f64(seconds * self.scale));
        }
    }
}

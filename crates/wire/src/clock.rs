//! Device time spent by the current thread: the virtual lab charges each action a phone, card or
//! service performs (what `devices/timing.yaml` says it takes on a bench) to the thread that asked for
//! it. In process nothing sleeps — this meter is the virtual clock of an execution, which runs on one
//! thread; the runner reads it after each attempt. On a real bench (or a served virtual lab) nothing is
//! charged here and the journal's measured durations are the device time.

use crate::timing::Action;
use std::cell::Cell;

/// Device time charged, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spent {
    /// Everything.
    pub device: f64,
    /// The part that needed the card-placing operator (or robot).
    pub operator: f64,
}

thread_local! {
    static SPENT: Cell<Spent> = const { Cell::new(Spent { device: 0.0, operator: 0.0 }) };
}

/// Charges `seconds` of `action` to this thread.
pub fn charge(action: Action, seconds: f64) {
    if !(seconds.is_finite() && seconds > 0.0) {
        return;
    }
    SPENT.with(|s| {
        let mut v = s.get();
        v.device += seconds;
        if action == Action::CardPlacement {
            v.operator += seconds;
        }
        s.set(v);
    });
}

/// What this thread was charged since the last `take`; the meter starts again at zero.
pub fn take() -> Spent {
    SPENT.with(|s| s.replace(Spent::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_add_up_per_thread_and_take_resets() {
        let _ = take();
        charge(Action::Reboot, 60.0);
        charge(Action::CardPlacement, 10.0);
        charge(Action::UiStep, -1.0);
        charge(Action::UiStep, f64::NAN);
        let other = std::thread::spawn(take).join().unwrap_or_default();
        assert_eq!(other, Spent::default());
        assert_eq!(
            take(),
            Spent {
                device: 70.0,
                operator: 10.0
            }
        );
        assert_eq!(take(), Spent::default());
    }
}

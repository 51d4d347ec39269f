//! Chaos in the virtual lab: how often each kind of lab fault happens. `mynacert run --chaos SEED` turns
//! it on for every unit with [`ChaosRates::default`]; a model profile's `chaos:` gives its own units other
//! rates (and makes them misbehave even without `--chaos`, seed 0). Every fault is one a real bench
//! shows — a unit dropping off USB, a card lifted mid-APDU, a reader unplugged, a slow phone, a reader
//! handing back a cut or a whole 256-byte buffer, a card that lost its selection (`6A 82`/`69 86`), an
//! adb server restarting, the bench controller's connection cut — and the harness must report each as an
//! infrastructure error, never as a pass or a conformance failure.

use serde::{Deserialize, Serialize};

/// Probability of each fault per call (0 to 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChaosRates {
    /// A shell command runs, then the unit drops off before answering.
    pub drop_off: f64,
    /// The adb server restarts: the command is lost before it reaches the unit.
    pub adb_restart: f64,
    /// A command is slow: `slow_seconds` more device time.
    pub slow: f64,
    pub slow_seconds: f64,
    /// The card (or phone) is lifted off the reader during an APDU.
    pub card_removed: f64,
    /// The reader is unplugged: this session is gone.
    pub reader_unplugged: f64,
    /// A READ BINARY answer comes back cut short.
    pub truncated: f64,
    /// A READ BINARY answer comes back as a whole 256-byte buffer.
    pub oversized: f64,
    /// The card lost its selection: one `6A 82` (SELECT) or `69 86` (other commands), then it settles.
    pub lost_selection: f64,
    /// The connection to the authority / bench controller is cut.
    pub controller_cut: f64,
}

impl Default for ChaosRates {
    fn default() -> Self {
        // A scenario sends a few hundred shell commands and a few dozen APDUs: these rates make
        // roughly one attempt in five meet a fault that ends it (glitches the client recovers from
        // are more frequent).
        ChaosRates {
            drop_off: 0.0004,
            adb_restart: 0.0002,
            slow: 0.02,
            slow_seconds: 4.0,
            card_removed: 0.002,
            reader_unplugged: 0.001,
            truncated: 0.02,
            oversized: 0.005,
            lost_selection: 0.02,
            controller_cut: 0.001,
        }
    }
}

impl ChaosRates {
    /// Every rate is a probability and the slow time is finite and not negative.
    pub fn check(&self) -> Result<(), String> {
        let rates = [
            ("drop_off", self.drop_off),
            ("adb_restart", self.adb_restart),
            ("slow", self.slow),
            ("card_removed", self.card_removed),
            ("reader_unplugged", self.reader_unplugged),
            ("truncated", self.truncated),
            ("oversized", self.oversized),
            ("lost_selection", self.lost_selection),
            ("controller_cut", self.controller_cut),
        ];
        for (name, r) in rates {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!("chaos.{name}: {r} is not a probability (0 to 1)"));
            }
        }
        if !(self.slow_seconds.is_finite() && self.slow_seconds >= 0.0) {
            return Err(format!(
                "chaos.slow_seconds: {} is not a duration in seconds",
                self.slow_seconds
            ));
        }
        Ok(())
    }
}

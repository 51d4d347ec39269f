//! Chaos: the virtual lab's transports misbehave the way a real bench does (see
//! [`mynacert_wire::chaos`]). Each transport the lab hands out draws its faults from its own stream,
//! derived from the seed, what it reaches and how many transports came before: a sequential run with
//! one seed meets the same faults every time.
//!
//! A glitch is isolated: after a cut, padded or `6A 82`/`69 86` answer the next few exchanges of that
//! session are clean, as a card settles after a tear. A card lifted or a reader unplugged ends the
//! session. A unit that drops off has run the command; an adb server that restarts has lost it.

use mynacert_wire::chaos::ChaosRates;
use mynacert_wire::profile::DeviceProfile;
use mynacert_wire::timing::Action;
use mynacert_wire::transport::{
    AuthorityTransport, CardTransport, ShellOutput, ShellTransport, TransportError,
};
use mynacert_wire::types::{CertKind, IssuedRecord};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Exchanges after a glitch that are left alone.
const SETTLE: u8 = 4;

/// The lab's chaos: its seed and how many transports it has wrapped.
#[derive(Debug)]
pub struct Chaos {
    seed: u64,
    handed: AtomicU64,
}

impl Chaos {
    pub fn new(seed: u64) -> Self {
        Chaos {
            seed,
            handed: AtomicU64::new(0),
        }
    }

    fn rng(&self, name: &str) -> StdRng {
        let n = self.handed.fetch_add(1, Ordering::Relaxed);
        // FNV-1a over the name, mixed with the seed and the transport's number.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ self.seed;
        for b in name.bytes().chain(n.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        StdRng::seed_from_u64(h)
    }

    /// A phone's shell under chaos.
    pub fn shell(
        &self,
        rates: ChaosRates,
        inner: Box<dyn ShellTransport>,
    ) -> Box<dyn ShellTransport> {
        let rng = self.rng(inner.serial());
        Box::new(ChaosShell { inner, rates, rng })
    }

    /// An APDU session under chaos.
    pub fn card(&self, rates: ChaosRates, inner: Box<dyn CardTransport>) -> Box<dyn CardTransport> {
        let rng = self.rng(inner.name());
        Box::new(ChaosCard {
            inner,
            rates,
            rng,
            calm: 0,
            gone: None,
        })
    }

    /// The authority (the bench controller's place in a virtual lab) under chaos.
    pub fn authority(
        &self,
        rates: ChaosRates,
        inner: Box<dyn AuthorityTransport>,
    ) -> Box<dyn AuthorityTransport> {
        let rng = self.rng("authority");
        Box::new(ChaosAuthority { inner, rates, rng })
    }
}

/// Where a lab's chaos applies: everywhere (`--chaos SEED`, default rates), or on the units of models
/// whose profile sets `chaos:` (their rates, also under `--chaos`).
#[derive(Debug)]
pub struct LabChaos {
    chaos: Chaos,
    everywhere: bool,
    /// The lab-wide rates (default unless set).
    rates: ChaosRates,
    /// The served controller's own stream of cuts.
    controller: std::sync::Mutex<Option<StdRng>>,
}

impl LabChaos {
    /// `None` when neither the run nor any model asks for chaos.
    pub fn new(seed: Option<u64>, profiles: &[Arc<DeviceProfile>]) -> Option<LabChaos> {
        let mut c = LabChaos::everywhere(seed.unwrap_or(0), ChaosRates::default());
        c.everywhere = seed.is_some();
        (c.everywhere || profiles.iter().any(|p| p.chaos.is_some())).then_some(c)
    }

    /// Chaos everywhere with `rates` (a tool or test that wants other lab-wide rates).
    pub fn everywhere(seed: u64, rates: ChaosRates) -> LabChaos {
        LabChaos {
            chaos: Chaos::new(seed),
            everywhere: true,
            rates,
            controller: std::sync::Mutex::new(None),
        }
    }

    /// The chaos and its rates for a transport: its model's own (`own`), else the lab-wide ones.
    fn pick(this: Option<&Self>, own: Option<ChaosRates>) -> Option<(&Chaos, ChaosRates)> {
        let c = this?;
        let rates = own.or(c.everywhere.then_some(c.rates))?;
        Some((&c.chaos, rates))
    }

    /// Whether the served bench controller cuts this connection now (lab-wide chaos only).
    pub fn cut_controller(this: Option<&Self>) -> bool {
        let Some(c) = this else { return false };
        let Some((chaos, rates)) = LabChaos::pick(Some(c), None) else {
            return false;
        };
        let mut rng = c
            .controller
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        hit(
            rng.get_or_insert_with(|| chaos.rng("controller")),
            rates.controller_cut,
        )
    }

    /// A unit's shell (`own`: its model's `chaos:`), under chaos if any.
    pub fn shell(
        this: Option<&Self>,
        own: Option<ChaosRates>,
        t: Box<dyn ShellTransport>,
    ) -> Box<dyn ShellTransport> {
        match LabChaos::pick(this, own) {
            Some((chaos, rates)) => chaos.shell(rates, t),
            None => t,
        }
    }

    /// An APDU session with a unit's SE (`own`: its model's `chaos:`) or a card (`None`), under chaos
    /// if any.
    pub fn card(
        this: Option<&Self>,
        own: Option<ChaosRates>,
        t: Box<dyn CardTransport>,
    ) -> Box<dyn CardTransport> {
        match LabChaos::pick(this, own) {
            Some((chaos, rates)) => chaos.card(rates, t),
            None => t,
        }
    }

    /// The authority, under chaos if the whole lab is.
    pub fn authority(
        this: Option<&Self>,
        t: Box<dyn AuthorityTransport>,
    ) -> Box<dyn AuthorityTransport> {
        match LabChaos::pick(this, None) {
            Some((chaos, rates)) => chaos.authority(rates, t),
            None => t,
        }
    }
}

fn hit(rng: &mut StdRng, p: f64) -> bool {
    p > 0.0 && rng.gen_bool(p.min(1.0))
}

struct ChaosShell {
    inner: Box<dyn ShellTransport>,
    rates: ChaosRates,
    rng: StdRng,
}

impl ChaosShell {
    /// Before the command: an adb server restart loses it; a slow phone costs device time.
    fn before(&mut self) -> Result<(), TransportError> {
        if hit(&mut self.rng, self.rates.adb_restart) {
            return Err(TransportError::Io {
                unit: self.inner.serial().to_string(),
                detail: "adb server restarted (chaos): the command was not delivered".into(),
            });
        }
        if hit(&mut self.rng, self.rates.slow) {
            mynacert_wire::clock::charge(Action::UiStep, self.rates.slow_seconds);
        }
        Ok(())
    }

    /// After the command ran: the unit may drop off before its answer arrives.
    fn after<R>(&mut self, r: Result<R, TransportError>) -> Result<R, TransportError> {
        let r = r?;
        if hit(&mut self.rng, self.rates.drop_off) {
            return Err(TransportError::Disconnected {
                unit: self.inner.serial().to_string(),
                detail: "dropped off mid-command (chaos)".into(),
            });
        }
        Ok(r)
    }
}

impl ShellTransport for ChaosShell {
    fn serial(&self) -> &str {
        self.inner.serial()
    }
    fn shell(&mut self, command: &str) -> Result<ShellOutput, TransportError> {
        self.before()?;
        let r = self.inner.shell(command);
        self.after(r)
    }
    fn push(&mut self, data: &[u8], remote_path: &str, mode: u32) -> Result<(), TransportError> {
        self.before()?;
        let r = self.inner.push(data, remote_path, mode);
        self.after(r)
    }
    fn pull(&mut self, remote_path: &str) -> Result<Vec<u8>, TransportError> {
        self.before()?;
        let r = self.inner.pull(remote_path);
        self.after(r)
    }
}

struct ChaosCard {
    inner: Box<dyn CardTransport>,
    rates: ChaosRates,
    rng: StdRng,
    /// Exchanges left before the next glitch may come.
    calm: u8,
    /// Why this session is over.
    gone: Option<&'static str>,
}

impl ChaosCard {
    fn gone(&mut self, why: &'static str) -> TransportError {
        self.gone = Some(why);
        TransportError::Disconnected {
            unit: self.inner.name().to_string(),
            detail: why.into(),
        }
    }
}

impl CardTransport for ChaosCard {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if let Some(why) = self.gone {
            return Err(TransportError::Disconnected {
                unit: self.inner.name().to_string(),
                detail: why.into(),
            });
        }
        if self.calm > 0 {
            self.calm -= 1;
            return self.inner.transmit(command);
        }
        let r = self.rates;
        if hit(&mut self.rng, r.reader_unplugged) {
            return Err(self.gone("reader unplugged (chaos)"));
        }
        if hit(&mut self.rng, r.card_removed) {
            // Lifted mid-APDU: the card may or may not have run it.
            if self.rng.gen_bool(0.5) {
                let _ = self.inner.transmit(command);
            }
            return Err(self.gone("card removed mid-APDU (chaos)"));
        }
        let ins = command.get(1).copied();
        let select_ap = ins == Some(0xA4) && command.get(2) == Some(&0x04);
        if !select_ap && hit(&mut self.rng, r.lost_selection) {
            self.calm = SETTLE;
            return Ok(if ins == Some(0xA4) {
                vec![0x6A, 0x82]
            } else {
                vec![0x69, 0x86]
            });
        }
        let mut answer = self.inner.transmit(command)?;
        if ins == Some(0xB0) && answer.len() > 2 {
            let sw = answer.split_off(answer.len() - 2);
            if hit(&mut self.rng, r.truncated) {
                let keep = self.rng.gen_range(0..answer.len());
                answer.truncate(keep);
                self.calm = SETTLE;
            } else if answer.len() < 256 && hit(&mut self.rng, r.oversized) {
                answer.resize(256, 0);
                self.calm = SETTLE;
            }
            answer.extend_from_slice(&sw);
        }
        Ok(answer)
    }
}

struct ChaosAuthority {
    inner: Box<dyn AuthorityTransport>,
    rates: ChaosRates,
    rng: StdRng,
}

impl ChaosAuthority {
    fn cut(&mut self) -> Result<(), TransportError> {
        if hit(&mut self.rng, self.rates.controller_cut) {
            return Err(TransportError::Disconnected {
                unit: "authority".into(),
                detail: "controller connection cut (chaos)".into(),
            });
        }
        Ok(())
    }
}

impl AuthorityTransport for ChaosAuthority {
    fn ca_certificate(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError> {
        self.cut()?;
        self.inner.ca_certificate(kind)
    }
    fn crl(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError> {
        self.cut()?;
        self.inner.crl(kind)
    }
    fn issued(&mut self, person: &str) -> Result<Vec<IssuedRecord>, TransportError> {
        self.cut()?;
        self.inner.issued(person)
    }
    fn suspended(&mut self, person: &str) -> Result<bool, TransportError> {
        self.cut()?;
        self.inner.suspended(person)
    }
    fn set_suspended(&mut self, person: &str, suspended: bool) -> Result<(), TransportError> {
        self.cut()?;
        self.inner.set_suspended(person, suspended)
    }
    fn revoke_all(&mut self, person: &str) -> Result<usize, TransportError> {
        self.cut()?;
        self.inner.revoke_all(person)
    }
}

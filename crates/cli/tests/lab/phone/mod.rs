//! The driver against the virtual phone, in process (fake environment, no waiting): shared rig here,
//! tests in `flows` (app flows), `quirks` (each app quirk is observable), `device` (device-level commands).

mod device;
mod flows;
mod quirks;
mod screencap;

use mynacert::phone::*;
use mynacert::profile::{DeviceProfile, Listing, Quirk};
use mynacert::scenario::model::{Feature, NetworkMode};
use mynacert::secret::{Secret, SecretSet};
use mynacert::transport::TransportError;
use mynacert::types::{CertKind, CertStatus};
use mynacert_sim::phone::VirtualPhone;
use mynacert_sim::phone::fake_env::{
    CARD_PW, FakeEnv, Lab, PERSON, PHONE_PIN, PHONE_PW, SimTransport, apk, profile,
};
use rstest::rstest;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const A: &str = "SIM0001";
const B: &str = "SIM0002";

struct Rig {
    lab: Arc<Mutex<Lab>>,
}

impl Rig {
    fn new() -> Self {
        Rig {
            lab: Arc::new(Mutex::new(Lab {
                phones: BTreeMap::new(),
                env: FakeEnv::new(),
            })),
        }
    }
    /// Adds a phone with the app installed (through the driver) and returns its driver.
    fn phone(&self, serial: &str, p: Arc<DeviceProfile>) -> PhoneDriver {
        self.lab
            .lock()
            .unwrap()
            .phones
            .insert(serial.into(), VirtualPhone::new(p, serial, "docomo"));
        let mut d = self.driver(serial);
        d.install_app(&apk()).unwrap();
        d
    }
    fn driver(&self, serial: &str) -> PhoneDriver {
        let t = SimTransport {
            lab: Arc::clone(&self.lab),
            serial: serial.into(),
        };
        PhoneDriver::new(Box::new(t), flow_book())
    }
    fn with<R>(&self, f: impl FnOnce(&mut Lab) -> R) -> R {
        f(&mut self.lab.lock().unwrap())
    }
    fn card_on(&self, serial: Option<&str>) {
        self.with(|l| l.env.card_on = serial.map(str::to_string));
    }
    fn holds(&self, serial: &str) -> Vec<CertKind> {
        self.with(|l| l.env.holds(serial))
    }
    fn statuses(&self, serial: &str) -> Vec<CertStatus> {
        self.with(|l| l.env.statuses(serial).into_values().collect())
    }
    /// Card on the phone, provision, card off again.
    fn provision(&self, d: &mut PhoneDriver, serial: &str) -> FlowOutcome {
        self.card_on(Some(serial));
        let out = d.run_flow("provision", &prov_vars("no")).unwrap();
        self.card_on(None);
        out
    }
}

fn secret(s: &str) -> FlowValue {
    FlowValue::Secret(Secret::new(s))
}

fn plain(s: &str) -> FlowValue {
    FlowValue::Plain(s.into())
}

fn prov_vars(biometrics: &str) -> FlowVars {
    let mut v = FlowVars::new();
    v.insert("card_sign_password".into(), secret(CARD_PW));
    v.insert("phone_auth_pin".into(), secret(PHONE_PIN));
    v.insert("phone_sign_password".into(), secret(PHONE_PW));
    v.insert("biometrics".into(), plain(biometrics));
    v
}

fn revoke_vars(certs: &str) -> FlowVars {
    let mut v = FlowVars::new();
    v.insert("phone_sign_password".into(), secret(PHONE_PW));
    v.insert("certs".into(), plain(certs));
    v
}

fn pin_vars() -> FlowVars {
    let mut v = FlowVars::new();
    v.insert("phone_auth_pin".into(), secret(PHONE_PIN));
    v
}

fn card_vars() -> FlowVars {
    let mut v = FlowVars::new();
    v.insert("card_sign_password".into(), secret(CARD_PW));
    v
}

fn supported(quirks: &[Quirk]) -> Arc<DeviceProfile> {
    profile(Listing::Supported, true, quirks)
}

fn error_of(o: &FlowOutcome) -> &str {
    o.error.as_deref().unwrap_or("")
}

fn secrets() -> SecretSet {
    let mut s = SecretSet::new();
    for v in [CARD_PW, PHONE_PIN, PHONE_PW] {
        s.add(&Secret::new(v));
    }
    s
}

/// The fixture flow book with no waiting between polls.
fn flow_book() -> Arc<FlowBook> {
    let mut book = (*crate::common::flows()).clone();
    book.settings.wait_interval_ms = 0;
    book.settings.wait_polls = 3;
    Arc::new(book)
}

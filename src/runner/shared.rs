//! The lab shared by the threads of a parallel run: each unit's thread takes its own transports from it
//! (the lock is held only while the lab hands one out or performs a physical action), then talks to its
//! unit without it.

use crate::lab::{Lab, LabError};
use crate::transport::{AuthorityTransport, CardTransport, ShellTransport};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A lab behind a lock, with the `Lab` calls the runner makes.
pub struct LabCell<'l>(Mutex<&'l mut dyn Lab>);

impl<'l> LabCell<'l> {
    pub fn new(lab: &'l mut dyn Lab) -> Self {
        LabCell(Mutex::new(lab))
    }

    /// The lab, locked. A thread that panicked while holding it leaves the lab usable: every call is a
    /// whole request to the lab, there is no half-made state of ours to protect.
    fn lock(&self) -> MutexGuard<'_, &'l mut dyn Lab> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Anything else, with the lab locked.
    pub fn with<R>(&self, f: impl FnOnce(&mut dyn Lab) -> R) -> R {
        f(&mut **self.lock())
    }

    pub fn phone(&self, serial: &str) -> Result<Box<dyn ShellTransport>, LabError> {
        self.lock().phone(serial)
    }
    pub fn secure_element(&self, serial: &str) -> Result<Box<dyn CardTransport>, LabError> {
        self.lock().secure_element(serial)
    }
    pub fn card(&self, identity: &str) -> Result<Box<dyn CardTransport>, LabError> {
        self.lock().card(identity)
    }
    pub fn authority(&self) -> Result<Box<dyn AuthorityTransport>, LabError> {
        self.lock().authority()
    }
    pub fn place_card(&self, identity: &str, serial: &str) -> Result<(), LabError> {
        self.lock().place_card(identity, serial)
    }
    pub fn remove_card(&self, identity: &str) -> Result<(), LabError> {
        self.lock().remove_card(identity)
    }
    pub fn power_on(&self, serial: &str) -> Result<(), LabError> {
        self.lock().power_on(serial)
    }
    pub fn app_apk(&self) -> Result<Vec<u8>, LabError> {
        self.lock().app_apk()
    }
    pub fn service_reset_card(&self, identity: &str) -> Result<(), LabError> {
        self.lock().service_reset_card(identity)
    }
    pub fn service_wipe_se(&self, serial: &str) -> Result<(), LabError> {
        self.lock().service_wipe_se(serial)
    }
}

//! `AuthorityTransport` over a shared in-process [`VirtualAuthority`].

use super::{CrlFetch, VirtualAuthority};
use crate::transport::{AuthorityTransport, TransportError};
use crate::types::{CertKind, IssuedRecord};
use std::sync::{Arc, Mutex, MutexGuard};

/// Unit name used in transport errors.
const UNIT: &str = "virtual authority";

/// In-process `AuthorityTransport` over a shared authority (the lab holds `Arc<Mutex<VirtualAuthority>>`).
#[derive(Debug, Clone)]
pub struct InProcessAuthority {
    shared: Arc<Mutex<VirtualAuthority>>,
}

impl InProcessAuthority {
    /// A transport onto the lab's shared authority.
    pub fn new(shared: Arc<Mutex<VirtualAuthority>>) -> Self {
        InProcessAuthority { shared }
    }

    fn lock(&self) -> Result<MutexGuard<'_, VirtualAuthority>, TransportError> {
        self.shared.lock().map_err(|_| TransportError::Io {
            unit: UNIT.to_string(),
            detail: "authority state is poisoned (a thread panicked while holding it)".to_string(),
        })
    }
}

impl AuthorityTransport for InProcessAuthority {
    fn ca_certificate(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError> {
        Ok(self.lock()?.ca_der(kind))
    }

    fn crl(&mut self, kind: CertKind) -> Result<Vec<u8>, TransportError> {
        // Signed with the authority unlocked: other phones go on meanwhile.
        let fetch = self.lock()?.crl_fetch(kind);
        match fetch {
            CrlFetch::Ready(der) => Ok(der),
            CrlFetch::Unsigned(crl) => {
                let crl = crl.sign().map_err(|e| TransportError::Io {
                    unit: UNIT.to_string(),
                    detail: e.to_string(),
                })?;
                self.lock()?.keep_crl(&crl);
                Ok(crl.into_der())
            }
        }
    }

    fn issued(&mut self, person: &str) -> Result<Vec<IssuedRecord>, TransportError> {
        Ok(self.lock()?.issued(person))
    }

    fn suspended(&mut self, person: &str) -> Result<bool, TransportError> {
        Ok(self.lock()?.is_suspended(person))
    }

    fn set_suspended(&mut self, person: &str, suspended: bool) -> Result<(), TransportError> {
        self.lock()?.set_suspended(person, suspended);
        Ok(())
    }

    fn revoke_all(&mut self, person: &str) -> Result<usize, TransportError> {
        Ok(self.lock()?.revoke_all(person))
    }
}

//! An in-process [`CardTransport`] in front of a [`JpkiApplet`].

use super::JpkiApplet;
use crate::transport::{CardTransport, TransportError};
use std::sync::{Arc, Mutex};

/// A card in a virtual reader: APDUs go straight to a shared [`JpkiApplet`].
#[derive(Debug, Clone)]
pub struct AppletTransport {
    name: String,
    applet: Arc<Mutex<JpkiApplet>>,
    present: bool,
}

impl AppletTransport {
    /// A transport owning a new shared handle to `applet`.
    pub fn new(name: impl Into<String>, applet: JpkiApplet) -> Self {
        Self::shared(name, Arc::new(Mutex::new(applet)))
    }

    /// A transport over an applet shared with its owner (for example a virtual phone's SE).
    pub fn shared(name: impl Into<String>, applet: Arc<Mutex<JpkiApplet>>) -> Self {
        AppletTransport {
            name: name.into(),
            applet,
            present: true,
        }
    }

    /// The shared applet.
    pub fn handle(&self) -> Arc<Mutex<JpkiApplet>> {
        Arc::clone(&self.applet)
    }

    /// Runs `f` on the applet (admin path: personalisation, flags, inspection).
    pub fn with_applet<R>(
        &self,
        f: impl FnOnce(&mut JpkiApplet) -> R,
    ) -> Result<R, TransportError> {
        let mut guard = self.applet.lock().map_err(|_| TransportError::Io {
            unit: self.name.clone(),
            detail: "virtual applet lock poisoned".to_string(),
        })?;
        Ok(f(&mut guard))
    }

    /// Whether the card is in the reader.
    pub fn is_present(&self) -> bool {
        self.present
    }

    /// Removes (`false`) or inserts (`true`) the card; either way the applet loses power (its
    /// selection and verified PINs are cleared). While removed, `transmit` fails with `Disconnected`.
    pub fn set_present(&mut self, present: bool) -> Result<(), TransportError> {
        if self.present != present {
            self.with_applet(|a| a.power_cycle())?;
        }
        self.present = present;
        Ok(())
    }
}

impl CardTransport for AppletTransport {
    fn name(&self) -> &str {
        &self.name
    }

    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if !self.present {
            return Err(TransportError::Disconnected {
                unit: self.name.clone(),
                detail: "no card in the virtual reader".to_string(),
            });
        }
        self.with_applet(|a| a.process(command))
    }
}

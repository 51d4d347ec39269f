//! The card side of a vpcd slot, sans IO: turns vpcd requests into answers by relaying APDUs to an APDU
//! session of a virtual card or SE. Power-on and reset open a fresh session (selection and verified
//! PINs cleared, as on a real card); power-off drops it.

use super::codec::Request;
use crate::transport::{CardTransport, TransportError};

/// Opens a fresh APDU session to the card behind a slot (a power-cycled virtual applet).
pub type SessionOpener = Box<dyn FnMut() -> Result<Box<dyn CardTransport>, String> + Send>;

/// The relaying card failed; the slot should be closed (the card "leaves the reader").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardSideError {
    /// No session could be opened.
    #[error("cannot power the virtual card: {0}")]
    Open(String),
    /// The session under the slot failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// State machine of one card in a vpcd slot.
pub struct VpcdCard {
    atr: Vec<u8>,
    open: SessionOpener,
    session: Option<Box<dyn CardTransport>>,
    apdus: u64,
}

impl VpcdCard {
    /// A card with this ATR whose sessions come from `open`.
    pub fn new(atr: Vec<u8>, open: SessionOpener) -> Self {
        VpcdCard {
            atr,
            open,
            session: None,
            apdus: 0,
        }
    }

    /// Whether the card is powered (a session is open).
    pub fn powered(&self) -> bool {
        self.session.is_some()
    }

    /// How many APDUs were relayed so far.
    pub fn apdus(&self) -> u64 {
        self.apdus
    }

    fn power_up(&mut self) -> Result<(), CardSideError> {
        self.session = None;
        self.session = Some((self.open)().map_err(CardSideError::Open)?);
        Ok(())
    }

    /// Handles one request; `Some(payload)` is the answer to send back.
    pub fn handle(&mut self, request: Request) -> Result<Option<Vec<u8>>, CardSideError> {
        match request {
            Request::PowerOff => {
                self.session = None;
                Ok(None)
            }
            Request::PowerOn | Request::Reset => {
                self.power_up()?;
                Ok(None)
            }
            Request::GetAtr => Ok(Some(self.atr.clone())),
            Request::Apdu(apdu) => {
                if self.session.is_none() {
                    self.power_up()?;
                }
                self.apdus += 1;
                match self.session.as_mut() {
                    Some(s) => Ok(Some(s.transmit(&apdu)?)),
                    None => Err(CardSideError::Open("no session".into())),
                }
            }
        }
    }
}

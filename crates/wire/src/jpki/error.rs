//! Errors of the JPKI client driver.

use super::PinState;
use crate::apdu::{ApduError, Sw};
use crate::transport::TransportError;
use crate::types::PinKind;
use thiserror::Error;

/// A JPKI operation failed. Messages never contain PIN values.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JpkiError {
    /// The transport failed (infrastructure, not conformance).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The card answered an unexpected status word.
    #[error("{operation} answered {sw}")]
    Status {
        /// The operation, e.g. `SELECT JPKI AP`.
        operation: &'static str,
        /// What the card answered.
        sw: Sw,
    },
    /// The card answered an unexpected status word to an operation on an EF.
    #[error("EF {fid}: {operation} answered {sw}")]
    EfStatus {
        /// The EF id in hex, e.g. `000A`.
        fid: String,
        /// The operation.
        operation: &'static str,
        /// What the card answered.
        sw: Sw,
    },
    /// The card's answer does not make sense.
    #[error("malformed answer: {what}")]
    Malformed {
        /// What was wrong.
        what: String,
    },
    /// A PIN needed first was not accepted (wrong, or blocked).
    #[error("{pin:?} PIN not verified: {state}")]
    PinNotVerified {
        /// Which PIN.
        pin: PinKind,
        /// What VERIFY reported.
        state: PinState,
    },
    /// The caller asked for something that cannot be sent.
    #[error("invalid request: {what}")]
    InvalidInput {
        /// What was wrong.
        what: String,
    },
    /// A command could not be encoded.
    #[error("cannot encode command: {0}")]
    Encode(#[from] ApduError),
}

impl JpkiError {
    /// The status word the card answered, for `Status` and `EfStatus`.
    pub fn sw(&self) -> Option<Sw> {
        match self {
            JpkiError::Status { sw, .. } | JpkiError::EfStatus { sw, .. } => Some(*sw),
            _ => None,
        }
    }
}

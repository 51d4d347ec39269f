//! Sans-IO ISO 7816-4 APDU codec: command and response APDUs, status words, and trace redaction.
//!
//! Everything here works on byte slices and never panics on malformed input: decoding returns an
//! [`ApduError`] that names what was wrong.

mod command;
mod redact;
mod response;
mod sw;

pub use command::Command;
pub use redact::redact;
pub use response::Response;
pub use sw::Sw;

use thiserror::Error;

/// An APDU could not be decoded or encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApduError {
    /// Fewer bytes than the smallest valid APDU (4 for a command, 2 for a response).
    #[error("APDU too short: {got} bytes, need at least {min}")]
    TooShort {
        /// Bytes received.
        got: usize,
        /// Minimum length.
        min: usize,
    },
    /// The length fields announce more bytes than present.
    #[error("APDU truncated: length fields need {need} bytes, got {got}")]
    Truncated {
        /// Bytes the length fields call for.
        need: usize,
        /// Bytes received.
        got: usize,
    },
    /// The body after Lc is neither exactly the data field nor the data field plus Le.
    #[error("APDU length mismatch: Lc says {lc} data bytes, body after Lc has {actual}")]
    LengthMismatch {
        /// The Lc value.
        lc: usize,
        /// Bytes after the Lc field.
        actual: usize,
    },
    /// Bytes after a complete APDU (extended Le followed by more bytes).
    #[error("APDU has {extra} trailing bytes after a complete {expected}-byte command")]
    TrailingBytes {
        /// Length of the complete command.
        expected: usize,
        /// Extra bytes.
        extra: usize,
    },
    /// The data field cannot be encoded (more than 65535 bytes).
    #[error("APDU data field of {len} bytes exceeds 65535")]
    DataTooLong {
        /// The data length.
        len: usize,
    },
}

#[cfg(test)]
mod tests;

//! Response APDU: data followed by SW1 SW2.

use super::{ApduError, Sw};

/// A response APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data (possibly empty).
    pub data: Vec<u8>,
    /// The status word.
    pub sw: Sw,
}

impl Response {
    /// A response with data and a status word.
    pub fn new(data: Vec<u8>, sw: Sw) -> Self {
        Response { data, sw }
    }
    /// A data-less response carrying only a status word.
    pub fn status(sw: Sw) -> Self {
        Response {
            data: Vec::new(),
            sw,
        }
    }
    /// Splits raw response bytes (at least 2) into data and status word.
    pub fn decode(bytes: &[u8]) -> Result<Response, ApduError> {
        match bytes {
            [data @ .., sw1, sw2] => Ok(Response {
                data: data.to_vec(),
                sw: Sw::from_bytes(*sw1, *sw2),
            }),
            _ => Err(ApduError::TooShort {
                got: bytes.len(),
                min: 2,
            }),
        }
    }
    /// Data followed by SW1 SW2.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }
}

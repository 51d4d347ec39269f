//! The vpcd wire protocol, sans IO: frames are a 2-byte big-endian length then the payload. A 1-byte
//! payload is a control request (00 power off, 01 power on, 02 reset, 04 get ATR); a longer one is a
//! command APDU. The card side answers an ATR request with the ATR and an APDU with response + SW; power
//! and reset requests get no answer.

use thiserror::Error;

/// vpcd's first slot port (`DEVICENAME /dev/null:0x8C7B`); the second slot is the next port.
pub const VPCD_PORT: u16 = 35963;

/// How many slots (readers) vpcd's default configuration has.
pub const VPCD_SLOTS: u16 = 2;

/// The reader name pcscd gives vpcd's slot (`Virtual PCD 00 00` for slot 0).
pub fn reader_name(slot: u16) -> String {
    format!("Virtual PCD 00 {slot:02}")
}

/// Largest payload a 2-byte length can carry.
pub const MAX_PAYLOAD: usize = u16::MAX as usize;

/// One request from vpcd (the reader side) to the card side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `00`: the reader powers the card off.
    PowerOff,
    /// `01`: the reader powers the card on.
    PowerOn,
    /// `02`: the reader resets the card.
    Reset,
    /// `04`: the reader asks for the ATR.
    GetAtr,
    /// A command APDU (two or more bytes).
    Apdu(Vec<u8>),
}

/// vpcd sent something this codec does not understand.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// A 1-byte control payload other than 00, 01, 02, 04.
    #[error("unknown vpcd control byte {0:#04x}")]
    UnknownControl(u8),
    /// A frame of length 0.
    #[error("empty vpcd frame")]
    Empty,
    /// A payload too long for the 2-byte length prefix.
    #[error("payload of {0} bytes does not fit a vpcd frame")]
    TooLong(usize),
}

impl Request {
    /// Decodes one frame payload.
    pub fn decode(payload: &[u8]) -> Result<Request, CodecError> {
        match payload {
            [] => Err(CodecError::Empty),
            [0x00] => Ok(Request::PowerOff),
            [0x01] => Ok(Request::PowerOn),
            [0x02] => Ok(Request::Reset),
            [0x04] => Ok(Request::GetAtr),
            [b] => Err(CodecError::UnknownControl(*b)),
            apdu => Ok(Request::Apdu(apdu.to_vec())),
        }
    }

    /// The payload of this request (what vpcd sends), for tests and fakes of the reader side.
    pub fn payload(&self) -> Vec<u8> {
        match self {
            Request::PowerOff => vec![0x00],
            Request::PowerOn => vec![0x01],
            Request::Reset => vec![0x02],
            Request::GetAtr => vec![0x04],
            Request::Apdu(a) => a.clone(),
        }
    }
}

/// Frames a payload: 2-byte big-endian length, then the bytes (one buffer, written in one write).
pub fn encode_frame(payload: &[u8]) -> Result<Vec<u8>, CodecError> {
    let len = u16::try_from(payload.len()).map_err(|_| CodecError::TooLong(payload.len()))?;
    let mut out = Vec::with_capacity(payload.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// Accumulates bytes from the socket and yields complete frame payloads.
#[derive(Debug, Default, Clone)]
pub struct FrameDecoder {
    buf: Vec<u8>,
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        FrameDecoder::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete payload, if one has fully arrived.
    pub fn next_payload(&mut self) -> Option<Vec<u8>> {
        if self.buf.len() < 2 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([self.buf[0], self.buf[1]]));
        if self.buf.len() < 2 + len {
            return None;
        }
        let payload = self.buf[2..2 + len].to_vec();
        self.buf.drain(..2 + len);
        Some(payload)
    }

    /// Bytes received but not yet part of a complete frame.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

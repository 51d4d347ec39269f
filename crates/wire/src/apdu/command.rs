//! Command APDU: CLA INS P1 P2 [Lc data] [Le], short and extended length cases 1–4.

use super::ApduError;

/// A command APDU.
///
/// `le` is Ne, the number of response bytes expected: `Some(1..=256)` encodes in short form (256 as
/// `00`); `Some(257..)` needs extended form; `Some(0)` means "up to 65536" and encodes as extended `00 00`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data field (empty for cases 1 and 2).
    pub data: Vec<u8>,
    /// Expected response length (cases 2 and 4), see the type docs.
    pub le: Option<u16>,
}

impl Command {
    /// A header-only command (case 1).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }
    /// Sets the data field.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }
    /// Sets Le (Ne).
    pub fn with_le(mut self, le: u16) -> Self {
        self.le = Some(le);
        self
    }

    /// True when this command needs extended length fields.
    pub fn is_extended(&self) -> bool {
        self.data.len() > 255 || matches!(self.le, Some(0) | Some(257..))
    }

    /// Encodes the command, refusing a data field longer than 65535 bytes.
    pub fn try_encode(&self) -> Result<Vec<u8>, ApduError> {
        let len = self.data.len();
        let lc = u16::try_from(len).map_err(|_| ApduError::DataTooLong { len })?;
        let mut out = Vec::with_capacity(len + 9);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if self.is_extended() {
            out.push(0);
            if len > 0 {
                out.extend_from_slice(&lc.to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                out.extend_from_slice(&le.to_be_bytes());
            }
        } else {
            if len > 0 {
                out.push(len as u8); // len ≤ 255 here
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                out.push(if le == 256 { 0 } else { le as u8 }); // 1..=256 here
            }
        }
        Ok(out)
    }

    /// Encodes the command. A data field longer than 65535 bytes is cut to 65535: use
    /// [`Command::try_encode`] when the length is not known to fit.
    pub fn encode(&self) -> Vec<u8> {
        match self.try_encode() {
            Ok(bytes) => bytes,
            Err(_) => {
                let mut cut = self.clone();
                cut.data.truncate(usize::from(u16::MAX));
                cut.try_encode().unwrap_or_default()
            }
        }
    }

    /// Decodes a command APDU (cases 1–4, short or extended), rejecting truncation and trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Command, ApduError> {
        let (header, body) = match bytes {
            [cla, ins, p1, p2, body @ ..] => ([*cla, *ins, *p1, *p2], body),
            _ => {
                return Err(ApduError::TooShort {
                    got: bytes.len(),
                    min: 4,
                });
            }
        };
        let [cla, ins, p1, p2] = header;
        let mut cmd = Command::new(cla, ins, p1, p2);
        match body {
            // Case 1.
            [] => {}
            // Case 2S.
            [le] => cmd.le = Some(short_le(*le)),
            // Extended: 00 then 2-byte Lc or Le.
            [0, rest @ ..] => decode_extended(&mut cmd, rest, bytes.len())?,
            // Cases 3S / 4S.
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                if rest.len() < lc {
                    return Err(ApduError::Truncated {
                        need: 5 + lc,
                        got: bytes.len(),
                    });
                }
                let (data, tail) = rest.split_at(lc);
                cmd.data = data.to_vec();
                match tail {
                    [] => {}
                    [le] => cmd.le = Some(short_le(*le)),
                    _ => {
                        return Err(ApduError::LengthMismatch {
                            lc,
                            actual: rest.len(),
                        });
                    }
                }
            }
        }
        Ok(cmd)
    }
}

fn short_le(b: u8) -> u16 {
    if b == 0 { 256 } else { u16::from(b) }
}

/// `rest` is what follows the `00` marker byte at offset 4.
fn decode_extended(cmd: &mut Command, rest: &[u8], total: usize) -> Result<(), ApduError> {
    let (hi, lo, after) = match rest {
        [hi, lo, after @ ..] => (*hi, *lo, after),
        _ => {
            return Err(ApduError::Truncated {
                need: 7,
                got: total,
            });
        }
    };
    let n = usize::from(u16::from_be_bytes([hi, lo]));
    if after.is_empty() {
        // Case 2E: Le 0000 means 65536, kept as Some(0).
        cmd.le = Some(n as u16);
        return Ok(());
    }
    if n == 0 {
        // Case 2E followed by more bytes.
        return Err(ApduError::TrailingBytes {
            expected: 7,
            extra: after.len(),
        });
    }
    if after.len() < n {
        return Err(ApduError::Truncated {
            need: 7 + n,
            got: total,
        });
    }
    let (data, tail) = after.split_at(n);
    cmd.data = data.to_vec();
    match tail {
        [] => {}
        [hi, lo] => cmd.le = Some(u16::from_be_bytes([*hi, *lo])),
        [_] => {
            return Err(ApduError::Truncated {
                need: 9 + n,
                got: total,
            });
        }
        _ => {
            return Err(ApduError::LengthMismatch {
                lc: n,
                actual: after.len(),
            });
        }
    }
    Ok(())
}

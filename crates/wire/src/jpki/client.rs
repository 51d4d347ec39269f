//! The JPKI client driver: builds the APDUs of DOMAIN.md, interprets the answers, keeps a redacted trace.

use super::der::der_total_len;
use super::{JPKI_AP_AID, JpkiError, TOKEN_INFO_LEN, ca_ef, cert_ef, ef, key_ef, pin_ef};
use crate::apdu::{Command, Response, Sw, redact};
use crate::secret::Secret;
use crate::transport::CardTransport;
use crate::types::{CertKind, PinKind};
use std::fmt;

/// Largest DER object READ BINARY can reach (15-bit offsets plus one last chunk).
const MAX_DER_LEN: usize = 0x7FFF + 256;
/// Largest READ BINARY chunk.
const CHUNK: usize = 256;
/// Bytes of the label at the start of CK_TOKEN_INFO.
const LABEL_LEN: usize = 32;

/// What VERIFY says about a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PinState {
    /// 9000: the PIN is verified.
    Verified,
    /// 63Cx: not verified, x tries left (0 after the last wrong try).
    Remaining(u8),
    /// 6984: blocked.
    Blocked,
}

impl fmt::Display for PinState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinState::Verified => f.write_str("verified"),
            PinState::Remaining(1) => f.write_str("1 try left"),
            PinState::Remaining(n) => write!(f, "{n} tries left"),
            PinState::Blocked => f.write_str("blocked"),
        }
    }
}

/// One exchange in the client's trace: the redacted command, the SW and the response data length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEntry {
    /// The command as redacted hex (no PIN bytes).
    pub command: String,
    /// The status word answered.
    pub sw: Sw,
    /// Bytes of response data (before the SW).
    pub response_len: usize,
}

impl fmt::Display for TraceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "> {}  < {} byte(s) {}",
            self.command, self.response_len, self.sw
        )
    }
}

/// JPKI driver over one card or secure element.
pub struct JpkiClient<T: CardTransport> {
    transport: T,
    trace: Vec<TraceEntry>,
    /// The EF last selected successfully (for error messages, and to restore a lost selection).
    current_ef: Option<[u8; 2]>,
    /// The application last selected successfully.
    current_ap: Option<Vec<u8>>,
}

fn fid_hex(fid: [u8; 2]) -> String {
    hex::encode_upper(fid)
}

impl<T: CardTransport> JpkiClient<T> {
    /// A client over a transport.
    pub fn new(transport: T) -> Self {
        JpkiClient {
            transport,
            trace: Vec::new(),
            current_ef: None,
            current_ap: None,
        }
    }
    /// Gives the transport back.
    pub fn into_inner(self) -> T {
        self.transport
    }
    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }
    /// The transport, mutably.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }
    /// Every exchange since the start or the last [`JpkiClient::take_trace`].
    pub fn trace(&self) -> &[TraceEntry] {
        &self.trace
    }
    /// Returns and clears the trace.
    pub fn take_trace(&mut self) -> Vec<TraceEntry> {
        std::mem::take(&mut self.trace)
    }

    /// Sends one command and decodes the answer; records it in the trace. Inside a selected
    /// application, `6A 82` or `69 86` is asked once more after selecting the application (and the EF)
    /// again: a card or reader that lost its selection (a tear, a warm reset) answers so once, and what
    /// a missing file or a refused command really says comes back the same the second time.
    pub fn transmit(&mut self, command: &Command) -> Result<Response, JpkiError> {
        let r = self.exchange(command)?;
        let glitch = matches!(r.sw, Sw::FILE_NOT_FOUND | Sw::COMMAND_NOT_ALLOWED);
        let select_ap = command.ins == 0xA4 && command.p1 == 0x04;
        if !glitch || select_ap {
            return Ok(r);
        }
        let Some(aid) = self.current_ap.clone() else {
            return Ok(r);
        };
        let select = |data: Vec<u8>, p1| Command::new(0x00, 0xA4, p1, 0x0C).with_data(data);
        if self.exchange(&select(aid, 0x04))?.sw != Sw::OK {
            self.current_ap = None;
            self.current_ef = None;
            return Ok(r);
        }
        let select_ef = command.ins == 0xA4 && command.p1 == 0x02;
        if let Some(fid) = self.current_ef.filter(|_| !select_ef)
            && self.exchange(&select(fid.to_vec(), 0x02))?.sw != Sw::OK
        {
            self.current_ef = None;
            return Ok(r);
        }
        self.exchange(command)
    }

    fn exchange(&mut self, command: &Command) -> Result<Response, JpkiError> {
        let bytes = command.try_encode()?;
        let raw = self.transport.transmit(&bytes)?;
        let response = Response::decode(&raw).map_err(|_| JpkiError::Malformed {
            what: format!(
                "{}: answer of {} byte(s) to {} has no status word",
                self.transport.name(),
                raw.len(),
                redact(&bytes)
            ),
        })?;
        self.trace.push(TraceEntry {
            command: redact(&bytes),
            sw: response.sw,
            response_len: response.data.len(),
        });
        Ok(response)
    }

    /// `00 A4 04 0C 0A <JPKI AID>`.
    pub fn select_jpki_ap(&mut self) -> Result<(), JpkiError> {
        match self.select_application_raw(&JPKI_AP_AID)? {
            Sw::OK => Ok(()),
            sw => Err(JpkiError::Status {
                operation: "SELECT JPKI AP",
                sw,
            }),
        }
    }

    /// `00 A4 04 0C Lc <AID>` for any application (card-face, helper, residence registry…).
    pub fn select_application(&mut self, aid: &[u8]) -> Result<(), JpkiError> {
        match self.select_application_raw(aid)? {
            Sw::OK => Ok(()),
            sw => Err(JpkiError::Status {
                operation: "SELECT AP",
                sw,
            }),
        }
    }

    fn select_application_raw(&mut self, aid: &[u8]) -> Result<Sw, JpkiError> {
        let cmd = Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(aid.to_vec());
        let sw = self.transmit(&cmd)?.sw;
        self.current_ef = None;
        self.current_ap = (sw == Sw::OK).then(|| aid.to_vec());
        Ok(sw)
    }

    fn select_ef_raw(&mut self, fid: [u8; 2]) -> Result<Sw, JpkiError> {
        let cmd = Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_vec());
        let sw = self.transmit(&cmd)?.sw;
        if sw == Sw::OK {
            self.current_ef = Some(fid);
        }
        Ok(sw)
    }

    /// `00 A4 02 0C 02 <fid>`.
    pub fn select_ef(&mut self, fid: [u8; 2]) -> Result<(), JpkiError> {
        match self.select_ef_raw(fid)? {
            Sw::OK => Ok(()),
            sw => Err(JpkiError::EfStatus {
                fid: fid_hex(fid),
                operation: "SELECT EF",
                sw,
            }),
        }
    }

    /// Whether an EF exists: 9000 → true, 6A82 → false, anything else is an error.
    pub fn ef_present(&mut self, fid: [u8; 2]) -> Result<bool, JpkiError> {
        match self.select_ef_raw(fid)? {
            Sw::OK => Ok(true),
            Sw::FILE_NOT_FOUND => Ok(false),
            sw => Err(JpkiError::EfStatus {
                fid: fid_hex(fid),
                operation: "SELECT EF",
                sw,
            }),
        }
    }

    fn ef_label(&self) -> String {
        match self.current_ef {
            Some(fid) => format!("EF {}", fid_hex(fid)),
            None => "current EF".to_string(),
        }
    }

    /// One READ BINARY; `6Cxx` (wrong Le, xx exact) is retried once with Le = xx.
    fn read_chunk(&mut self, offset: u16, le: u16) -> Result<Response, JpkiError> {
        let [hi, lo] = offset.to_be_bytes();
        let mut r = self.transmit(&Command::new(0x00, 0xB0, hi, lo).with_le(le))?;
        let mut asked = le;
        if r.sw.sw1() == 0x6C {
            asked = match r.sw.sw2() {
                0 => 256,
                n => u16::from(n),
            };
            r = self.transmit(&Command::new(0x00, 0xB0, hi, lo).with_le(asked))?;
        }
        // More than Le is not an answer to this command (a reader handing back a whole buffer).
        if r.data.len() > usize::from(asked) {
            return Err(JpkiError::Malformed {
                what: format!(
                    "{}: READ BINARY at {offset} asked {asked} byte(s) and got {}",
                    self.ef_label(),
                    r.data.len()
                ),
            });
        }
        Ok(r)
    }

    fn ef_status(&self, operation: &'static str, sw: Sw) -> JpkiError {
        match self.current_ef {
            Some(fid) => JpkiError::EfStatus {
                fid: fid_hex(fid),
                operation,
                sw,
            },
            None => JpkiError::Status { operation, sw },
        }
    }

    /// `00 B0 <offset> <le>` on the current EF (offset < 0x8000; Le 1..=256, 256 sent as `00`).
    pub fn read_binary(&mut self, offset: u16, le: u16) -> Result<Vec<u8>, JpkiError> {
        if offset > 0x7FFF || le == 0 || usize::from(le) > CHUNK {
            return Err(JpkiError::InvalidInput {
                what: format!("READ BINARY offset {offset} / Le {le} out of range"),
            });
        }
        let r = self.read_chunk(offset, le)?;
        match r.sw {
            Sw::OK | Sw::END_OF_FILE => Ok(r.data),
            sw => Err(self.ef_status("READ BINARY", sw)),
        }
    }

    /// Reads the DER object in the current EF: the length comes from the DER header of the first
    /// bytes, then chunks of at most 256 bytes; padding after the object is dropped.
    pub fn read_binary_der(&mut self) -> Result<Vec<u8>, JpkiError> {
        let label = self.ef_label();
        let first = self.read_chunk(0, CHUNK as u16)?;
        if !matches!(first.sw, Sw::OK | Sw::END_OF_FILE) {
            return Err(self.ef_status("READ BINARY", first.sw));
        }
        let total = der_total_len(&first.data).map_err(|e| JpkiError::Malformed {
            what: format!("{label}: {e}"),
        })?;
        if total > MAX_DER_LEN {
            return Err(JpkiError::Malformed {
                what: format!(
                    "{label}: DER length header says {total} bytes, more than READ BINARY can address"
                ),
            });
        }
        let mut out = first.data;
        while out.len() < total {
            let offset = out.len();
            let want = (total - offset).min(CHUNK);
            // offset < total ≤ MAX_DER_LEN and every chunk is ≤ 256, so the offset is below 0x8000
            // unless the card returned more than asked; refuse that.
            let off16 = u16::try_from(offset)
                .ok()
                .filter(|o| *o <= 0x7FFF)
                .ok_or_else(|| JpkiError::Malformed {
                    what: format!("{label}: READ BINARY offset {offset} beyond 0x7FFF"),
                })?;
            let r = self.read_chunk(off16, want as u16)?;
            match r.sw {
                Sw::OK | Sw::END_OF_FILE if r.data.is_empty() => {
                    return Err(JpkiError::Malformed {
                        what: format!(
                            "{label}: DER length header says {total} bytes but READ BINARY returned no data at {offset}"
                        ),
                    });
                }
                Sw::OK | Sw::END_OF_FILE => out.extend_from_slice(&r.data),
                Sw::WRONG_P1P2 => {
                    return Err(JpkiError::Malformed {
                        what: format!(
                            "{label}: DER length header says {total} bytes but READ BINARY hit 6B00 at {offset}"
                        ),
                    });
                }
                sw => return Err(self.ef_status("READ BINARY", sw)),
            }
        }
        out.truncate(total);
        Ok(out)
    }

    /// The token label from EF 0006 (CK_TOKEN_INFO), trailing spaces and NULs trimmed.
    pub fn token_label(&mut self) -> Result<String, JpkiError> {
        self.select_ef(ef::TOKEN_INFO)?;
        let data = self.read_binary(0, LABEL_LEN as u16)?;
        let label = data.get(..LABEL_LEN).ok_or_else(|| JpkiError::Malformed {
            what: format!(
                "EF 0006: token info gave {} bytes, the label needs {LABEL_LEN} (CK_TOKEN_INFO is {TOKEN_INFO_LEN})",
                data.len()
            ),
        })?;
        let text = std::str::from_utf8(label).map_err(|_| JpkiError::Malformed {
            what: format!(
                "EF 0006: token label is not UTF-8: {}",
                hex::encode_upper(label)
            ),
        })?;
        Ok(text.trim_end_matches([' ', '\0']).to_string())
    }

    /// Reads a certificate (auth `000A`, sign `0001`; the sign one needs the sign PIN first).
    pub fn read_certificate(&mut self, kind: CertKind) -> Result<Vec<u8>, JpkiError> {
        self.select_ef(cert_ef(kind))?;
        self.read_binary_der()
    }

    /// Reads a CA certificate (auth `000B`, sign `0002`).
    pub fn read_ca_certificate(&mut self, kind: CertKind) -> Result<Vec<u8>, JpkiError> {
        self.select_ef(ca_ef(kind))?;
        self.read_binary_der()
    }

    /// Whether the certificate EF of `kind` exists (SELECT only: no PIN spent).
    pub fn holds(&mut self, kind: CertKind) -> Result<bool, JpkiError> {
        self.ef_present(cert_ef(kind))
    }

    fn pin_state(&self, operation: &'static str, sw: Sw) -> Result<PinState, JpkiError> {
        match sw {
            Sw::OK => Ok(PinState::Verified),
            Sw::AUTH_METHOD_BLOCKED => Ok(PinState::Blocked),
            sw => match sw.retries() {
                Some(n) => Ok(PinState::Remaining(n)),
                None => Err(self.ef_status(operation, sw)),
            },
        }
    }

    /// Header-only VERIFY `00 20 00 80` on the PIN EF: the tries left, none spent.
    pub fn retries_left(&mut self, pin: PinKind) -> Result<PinState, JpkiError> {
        self.select_ef(pin_ef(pin))?;
        let r = self.transmit(&Command::new(0x00, 0x20, 0x00, 0x80))?;
        self.pin_state("VERIFY (status)", r.sw)
    }

    /// VERIFY `00 20 00 80 Lc <PIN>` on the PIN EF; the sign password is upper-cased first.
    pub fn verify(&mut self, pin: PinKind, value: &Secret) -> Result<PinState, JpkiError> {
        let data = pin_bytes(pin, value)?;
        self.select_ef(pin_ef(pin))?;
        let r = self.transmit(&Command::new(0x00, 0x20, 0x00, 0x80).with_data(data))?;
        self.pin_state("VERIFY", r.sw)
    }

    /// VERIFY with `old`, then CHANGE REFERENCE DATA `00 24 01 80 Lc <new>`.
    pub fn change_pin(
        &mut self,
        pin: PinKind,
        old: &Secret,
        new: &Secret,
    ) -> Result<(), JpkiError> {
        let new_data = pin_bytes(pin, new)?;
        match self.verify(pin, old)? {
            PinState::Verified => {}
            state => return Err(JpkiError::PinNotVerified { pin, state }),
        }
        let r = self.transmit(&Command::new(0x00, 0x24, 0x01, 0x80).with_data(new_data))?;
        match r.sw {
            Sw::OK => Ok(()),
            sw => Err(self.ef_status("CHANGE REFERENCE DATA", sw)),
        }
    }

    /// Selects the key EF of `kind` and sends `80 2A 00 80 Lc <DigestInfo> 00`; the matching PIN must
    /// be verified first. Returns the signature bytes.
    pub fn sign(&mut self, kind: CertKind, digest_info: &[u8]) -> Result<Vec<u8>, JpkiError> {
        if digest_info.is_empty() {
            return Err(JpkiError::InvalidInput {
                what: "empty DigestInfo".to_string(),
            });
        }
        self.select_ef(key_ef(kind))?;
        let cmd = Command::new(0x80, 0x2A, 0x00, 0x80)
            .with_data(digest_info.to_vec())
            .with_le(256);
        let r = self.transmit(&cmd)?;
        match r.sw {
            Sw::OK if r.data.is_empty() => Err(JpkiError::Malformed {
                what: format!(
                    "EF {}: COMPUTE DIGITAL SIGNATURE answered 9000 with no signature",
                    fid_hex(key_ef(kind))
                ),
            }),
            Sw::OK => Ok(r.data),
            sw => Err(self.ef_status("COMPUTE DIGITAL SIGNATURE", sw)),
        }
    }
}

/// The bytes VERIFY/CHANGE send for a PIN (sign passwords upper-cased). Errors never show the value.
fn pin_bytes(pin: PinKind, value: &Secret) -> Result<Vec<u8>, JpkiError> {
    let text = match pin {
        PinKind::Auth => value.expose().to_string(),
        PinKind::Sign => value.expose().to_ascii_uppercase(),
    };
    if text.is_empty() || text.len() > 255 {
        return Err(JpkiError::InvalidInput {
            what: format!("{pin:?} PIN of {} bytes cannot be sent (1–255)", text.len()),
        });
    }
    Ok(text.into_bytes())
}

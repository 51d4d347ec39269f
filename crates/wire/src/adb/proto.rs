//! The ADB message layer, sans-IO: the 24-byte little-endian header, payload checksums, and a streaming
//! decoder that turns bytes from a socket into [`Message`]s.

use thiserror::Error;

/// An ADB command word (open newtype: unknown values survive decoding and are reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cmd(pub u32);

impl Cmd {
    /// Connect: version, max payload, banner.
    pub const CNXN: Cmd = Cmd(0x4e58_4e43);
    /// Authentication: type, 0, token / signature / public key.
    pub const AUTH: Cmd = Cmd(0x4854_5541);
    /// Open a stream: local id, 0, service name.
    pub const OPEN: Cmd = Cmd(0x4e45_504f);
    /// Ready / acknowledge: local id, remote id.
    pub const OKAY: Cmd = Cmd(0x5941_4b4f);
    /// Data on a stream: local id, remote id, bytes.
    pub const WRTE: Cmd = Cmd(0x4554_5257);
    /// Close a stream: local id (0 for a refused open), remote id.
    pub const CLSE: Cmd = Cmd(0x4553_4c43);
    /// Start TLS (not supported by the virtual adbd).
    pub const STLS: Cmd = Cmd(0x534c_5453);

    /// The four ASCII letters, or the hex value for an unknown command.
    pub fn name(self) -> String {
        let b = self.0.to_le_bytes();
        if b.iter().all(|c| c.is_ascii_uppercase()) {
            String::from_utf8_lossy(&b).into_owned()
        } else {
            format!("{:#010x}", self.0)
        }
    }
}

/// Protocol version that lets the peer skip payload checksums.
pub const VERSION_SKIP_CHECKSUM: u32 = 0x0100_0001;
/// The protocol version this implementation speaks.
pub const VERSION: u32 = 0x0100_0001;
/// Largest payload we announce and accept.
pub const MAX_PAYLOAD: u32 = 1024 * 1024;
/// AUTH type: a 20-byte token to sign.
pub const AUTH_TOKEN: u32 = 1;
/// AUTH type: a signature of the token.
pub const AUTH_SIGNATURE: u32 = 2;
/// AUTH type: an RSA public key (Android format, base64, NUL-terminated).
pub const AUTH_RSAPUBLICKEY: u32 = 3;
/// Size of the header.
pub const HEADER_LEN: usize = 24;

/// One ADB message.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    pub cmd: Cmd,
    pub arg0: u32,
    pub arg1: u32,
    pub payload: Vec<u8>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}({:#x}, {:#x}, {} bytes)",
            self.cmd.name(),
            self.arg0,
            self.arg1,
            self.payload.len()
        )
    }
}

/// The byte sum ADB uses as a payload check.
pub fn checksum(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |a, &b| a.wrapping_add(u32::from(b)))
}

impl Message {
    /// A message.
    pub fn new(cmd: Cmd, arg0: u32, arg1: u32, payload: impl Into<Vec<u8>>) -> Self {
        Message {
            cmd,
            arg0,
            arg1,
            payload: payload.into(),
        }
    }

    /// Header and payload in one buffer (to be written with one `write`).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len());
        self.encode_into(&mut out);
        out
    }

    /// Appends header and payload to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let len = u32::try_from(self.payload.len()).unwrap_or(u32::MAX);
        for w in [
            self.cmd.0,
            self.arg0,
            self.arg1,
            len,
            checksum(&self.payload),
            self.cmd.0 ^ 0xffff_ffff,
        ] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&self.payload);
    }

    /// The payload as text up to the first NUL (service names, banners).
    pub fn payload_str(&self) -> String {
        let end = self
            .payload
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.payload.len());
        String::from_utf8_lossy(&self.payload[..end]).into_owned()
    }
}

/// The peer broke the message framing.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// magic != command ^ 0xffffffff.
    #[error("bad magic {magic:#010x} for command {cmd}")]
    BadMagic { cmd: String, magic: u32 },
    /// Payload longer than the limit.
    #[error("payload of {len} bytes exceeds the limit of {max}")]
    TooLong { len: u32, max: u32 },
    /// Checksum mismatch.
    #[error("payload checksum {got:#x} does not match header {want:#x} ({cmd})")]
    Checksum { cmd: String, want: u32, got: u32 },
}

/// Streaming decoder: feed bytes as they arrive, take whole messages out.
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    max_payload: u32,
    /// When true, a zero data_check is accepted without checking (peer version ≥ skip-checksum).
    pub skip_zero_checksum: bool,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(MAX_PAYLOAD)
    }
}

impl Decoder {
    /// A decoder accepting payloads up to `max_payload`.
    pub fn new(max_payload: u32) -> Self {
        Decoder {
            buf: Vec::new(),
            max_payload,
            skip_zero_checksum: true,
        }
    }

    /// Appends received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered and not yet decoded.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next whole message, `Ok(None)` when more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Message>, FrameError> {
        if self.buf.len() < HEADER_LEN {
            return Ok(None);
        }
        let word = |i: usize| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&self.buf[i * 4..i * 4 + 4]);
            u32::from_le_bytes(w)
        };
        let (cmd, arg0, arg1, len, check, magic) =
            (word(0), word(1), word(2), word(3), word(4), word(5));
        if magic != cmd ^ 0xffff_ffff {
            return Err(FrameError::BadMagic {
                cmd: Cmd(cmd).name(),
                magic,
            });
        }
        if len > self.max_payload {
            return Err(FrameError::TooLong {
                len,
                max: self.max_payload,
            });
        }
        let total = HEADER_LEN + len as usize;
        if self.buf.len() < total {
            return Ok(None);
        }
        let payload = self.buf[HEADER_LEN..total].to_vec();
        self.buf.drain(..total);
        let got = checksum(&payload);
        if got != check && !(check == 0 && self.skip_zero_checksum) {
            return Err(FrameError::Checksum {
                cmd: Cmd(cmd).name(),
                want: check,
                got,
            });
        }
        Ok(Some(Message {
            cmd: Cmd(cmd),
            arg0,
            arg1,
            payload,
        }))
    }
}

//! Status words as an open newtype: unknown values survive and print as hex.

use std::fmt;

/// A status word SW1 SW2. Open: any value is representable; known ones have names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sw(pub u16);

impl Sw {
    /// 9000: normal processing.
    pub const OK: Sw = Sw(0x9000);
    /// 6282: end of file reached before Le bytes (warning; data returned).
    pub const END_OF_FILE: Sw = Sw(0x6282);
    /// 6700: wrong length (Lc or Le).
    pub const WRONG_LENGTH: Sw = Sw(0x6700);
    /// 6981: command incompatible with file structure.
    pub const INCOMPATIBLE_FILE: Sw = Sw(0x6981);
    /// 6982: security status not satisfied (PIN not verified).
    pub const SECURITY_STATUS_NOT_SATISFIED: Sw = Sw(0x6982);
    /// 6984: authentication method blocked (PIN locked).
    pub const AUTH_METHOD_BLOCKED: Sw = Sw(0x6984);
    /// 6985: conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: Sw = Sw(0x6985);
    /// 6986: command not allowed (no current EF).
    pub const COMMAND_NOT_ALLOWED: Sw = Sw(0x6986);
    /// 6A80: incorrect parameters in the data field.
    pub const WRONG_DATA: Sw = Sw(0x6A80);
    /// 6A82: file or application not found.
    pub const FILE_NOT_FOUND: Sw = Sw(0x6A82);
    /// 6A86: incorrect P1-P2.
    pub const INCORRECT_P1P2: Sw = Sw(0x6A86);
    /// 6B00: wrong P1-P2 (READ BINARY offset past the end of the EF).
    pub const WRONG_P1P2: Sw = Sw(0x6B00);
    /// 6D00: instruction not supported.
    pub const INS_NOT_SUPPORTED: Sw = Sw(0x6D00);
    /// 6E00: class not supported.
    pub const CLA_NOT_SUPPORTED: Sw = Sw(0x6E00);
    /// 6F00: no precise diagnosis.
    pub const UNKNOWN_ERROR: Sw = Sw(0x6F00);

    /// Builds a status word from SW1 and SW2.
    pub fn from_bytes(sw1: u8, sw2: u8) -> Sw {
        Sw(u16::from_be_bytes([sw1, sw2]))
    }
    /// `63Cx` with `x` tries left (x ≤ 15).
    pub fn retries_left(x: u8) -> Sw {
        Sw(0x63C0 | u16::from(x & 0x0F))
    }
    /// SW1.
    pub fn sw1(self) -> u8 {
        self.0.to_be_bytes()[0]
    }
    /// SW2.
    pub fn sw2(self) -> u8 {
        self.0.to_be_bytes()[1]
    }
    /// The two bytes, SW1 first.
    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
    /// True for 9000.
    pub fn is_ok(self) -> bool {
        self == Sw::OK
    }
    /// Tries left for `63Cx`, else `None`.
    pub fn retries(self) -> Option<u8> {
        if self.0 & 0xFFF0 == 0x63C0 {
            Some(self.sw2() & 0x0F)
        } else {
            None
        }
    }
    /// A short English meaning, when known.
    pub fn meaning(self) -> Option<&'static str> {
        Some(match self {
            Sw::OK => "ok",
            Sw::END_OF_FILE => "end of file before Le bytes",
            Sw::WRONG_LENGTH => "wrong length",
            Sw::INCOMPATIBLE_FILE => "command incompatible with file structure",
            Sw::SECURITY_STATUS_NOT_SATISFIED => "security status not satisfied",
            Sw::AUTH_METHOD_BLOCKED => "authentication method blocked",
            Sw::CONDITIONS_NOT_SATISFIED => "conditions of use not satisfied",
            Sw::COMMAND_NOT_ALLOWED => "command not allowed",
            Sw::WRONG_DATA => "incorrect data field",
            Sw::FILE_NOT_FOUND => "file not found",
            Sw::INCORRECT_P1P2 => "incorrect P1-P2",
            Sw::WRONG_P1P2 => "wrong P1-P2 (offset past end)",
            Sw::INS_NOT_SUPPORTED => "instruction not supported",
            Sw::CLA_NOT_SUPPORTED => "class not supported",
            Sw::UNKNOWN_ERROR => "no precise diagnosis",
            _ => return None,
        })
    }
}

impl fmt::Display for Sw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)?;
        if let Some(n) = self.retries() {
            let tries = if n == 1 { "try" } else { "tries" };
            write!(f, " (wrong PIN, {n} {tries} left)")
        } else if let Some(m) = self.meaning() {
            write!(f, " ({m})")
        } else {
            Ok(())
        }
    }
}

impl From<Sw> for u16 {
    fn from(sw: Sw) -> u16 {
        sw.0
    }
}

//! Small domain values shared by every layer.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The two smartphone (and card) certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertKind {
    /// 署名用電子証明書: signing certificate, behind the 6–16 character signing password.
    Sign,
    /// 利用者証明用電子証明書: user-authentication certificate, behind the 4-digit PIN.
    Auth,
}

impl CertKind {
    /// Both kinds, sign first.
    pub const ALL: [CertKind; 2] = [CertKind::Sign, CertKind::Auth];
    /// Lower-case name as used in YAML and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            CertKind::Sign => "sign",
            CertKind::Auth => "auth",
        }
    }
}

impl fmt::Display for CertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certificate's status at the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertStatus {
    Valid,
    Revoked,
    Suspended,
    /// No certificate of that kind was ever issued to that person on that device.
    Absent,
}

impl fmt::Display for CertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertStatus::Valid => "valid",
            CertStatus::Revoked => "revoked",
            CertStatus::Suspended => "suspended",
            CertStatus::Absent => "absent",
        })
    }
}

/// One smartphone certificate in the authority's test-environment ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRecord {
    pub kind: CertKind,
    /// The device it was issued into (the phone's `ro.serialno`).
    pub device: String,
    /// The certificate, DER.
    pub der: Vec<u8>,
}

/// The rules of DOMAIN.md that suites check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rule {
    R1,
    R2,
    R3,
    R4,
    R5,
    R6,
    R7,
    R8,
    R9,
    R10,
}

impl Rule {
    /// Every rule in order.
    pub const ALL: [Rule; 10] = [
        Rule::R1,
        Rule::R2,
        Rule::R3,
        Rule::R4,
        Rule::R5,
        Rule::R6,
        Rule::R7,
        Rule::R8,
        Rule::R9,
        Rule::R10,
    ];
    /// Short title of the rule.
    pub fn title(self) -> &'static str {
        match self {
            Rule::R1 => "provisioning",
            Rule::R2 => "one phone at a time",
            Rule::R3 => "factory-reset persistence",
            Rule::R4 => "revoke from the phone itself",
            Rule::R5 => "revoke the old phone from another phone",
            Rule::R6 => "uninstall while online",
            Rule::R7 => "suspension",
            Rule::R8 => "unsupported model",
            Rule::R9 => "secrets",
            Rule::R10 => "listing",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// Key type of the phone's secure element (not public: a profile setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    Rsa2048,
    P256,
}

/// Which PIN of the JPKI applet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PinKind {
    /// Auth PIN (4 digits, 3 tries), EF 0018.
    Auth,
    /// Signing password (6–16 of A–Z0–9, 5 tries), EF 001B.
    Sign,
}

/// Network state of a phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkMode {
    /// Airplane mode off, Wi-Fi and mobile data on.
    Online,
    /// Wi-Fi and mobile data off (airplane mode off).
    Offline,
    /// Airplane mode on.
    Airplane,
}

/// App features, mapped to labels in the flow data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Feature {
    /// スマホ用電子証明書を申請する
    Provisioning,
    /// Revocation of another phone's certificates.
    RevokeOther,
    /// 生体認証などを利用登録する
    Biometrics,
    /// Pointer to the suspension hotline.
    SuspensionHelp,
}

//! Phone model profiles (`devices/models/*.yaml`): what a model is, what it can do, how to factory-reset it,
//! how the seeds' open points behave on it, and — for the virtual lab only — which defects (quirks) it has.

use crate::types::{KeyType, Rule};
use serde::{Deserialize, Serialize};

/// Whether a model is expected on the supported-device list (対応機種一覧).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Listing {
    /// 対応: the model should pass certification.
    Supported,
    /// 対応予定: announced, not yet verified; certified like a supported one.
    Planned,
    /// 非対応: the app must refuse smartphone certificates on it (R8).
    Unsupported,
}

/// A defect the virtual lab can give a model on purpose, to prove that the suites catch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quirk {
    /// Issuing to this phone leaves the previous phone's certificates valid.
    /// YAML: `reissue_keeps_old_valid`.
    ReissueKeepsOldValid,
    /// A factory reset wipes the SE without revoking (valid orphan at the authority).
    /// YAML: `reset_wipes_se`.
    ResetWipesSe,
    /// Reinstall + online + My Page does not delete the stale certificates after a reset.
    /// YAML: `cleanup_on_reinstall_missing`.
    CleanupOnReinstallMissing,
    /// Revocation on the phone revokes at the authority but leaves the certificates in the SE.
    /// YAML: `revoke_leaves_se_data`.
    RevokeLeavesSeData,
    /// Offline revocation shows the completion screen although nothing happened.
    /// YAML: `offline_revoke_reports_success`.
    OfflineRevokeReportsSuccess,
    /// Revoking another phone's certificates works without reading the physical card.
    /// YAML: `revoke_other_without_card`.
    RevokeOtherWithoutCard,
    /// Uninstalling the app while online does not revoke.
    /// YAML: `uninstall_online_no_revoke`.
    UninstallOnlineNoRevoke,
    /// The app shows certificates as usable while the person is suspended.
    /// YAML: `app_ignores_suspension`.
    AppIgnoresSuspension,
    /// On an unsupported model the app still offers provisioning.
    /// YAML: `unsupported_offers_provisioning`.
    UnsupportedOffersProvisioning,
    /// The SE does not count down wrong PIN entries.
    /// YAML: `pin_retry_not_enforced`.
    PinRetryNotEnforced,
    /// The app writes a typed password to logcat.
    /// YAML: `secret_in_logcat`.
    SecretInLogcat,
    /// The SE hands out the auth certificate without the auth PIN.
    /// YAML: `auth_cert_readable_without_pin`.
    AuthCertReadableWithoutPin,
}

impl Quirk {
    /// Every quirk of the catalogue.
    pub const ALL: [Quirk; 12] = [
        Quirk::ReissueKeepsOldValid,
        Quirk::ResetWipesSe,
        Quirk::CleanupOnReinstallMissing,
        Quirk::RevokeLeavesSeData,
        Quirk::OfflineRevokeReportsSuccess,
        Quirk::RevokeOtherWithoutCard,
        Quirk::UninstallOnlineNoRevoke,
        Quirk::AppIgnoresSuspension,
        Quirk::UnsupportedOffersProvisioning,
        Quirk::PinRetryNotEnforced,
        Quirk::SecretInLogcat,
        Quirk::AuthCertReadableWithoutPin,
    ];

    /// The rule a suite must report broken when this quirk is present.
    pub fn rule(self) -> Rule {
        match self {
            Quirk::ReissueKeepsOldValid => Rule::R2,
            Quirk::ResetWipesSe | Quirk::CleanupOnReinstallMissing => Rule::R3,
            Quirk::RevokeLeavesSeData | Quirk::OfflineRevokeReportsSuccess => Rule::R4,
            Quirk::RevokeOtherWithoutCard => Rule::R5,
            Quirk::UninstallOnlineNoRevoke => Rule::R6,
            Quirk::AppIgnoresSuspension => Rule::R7,
            Quirk::UnsupportedOffersProvisioning => Rule::R8,
            Quirk::PinRetryNotEnforced
            | Quirk::SecretInLogcat
            | Quirk::AuthCertReadableWithoutPin => Rule::R9,
        }
    }

    /// Whether the quirk shows on a model the app supports (`true`) or on an unsupported one.
    pub fn applies_to_supported(self) -> bool {
        !matches!(self, Quirk::UnsupportedOffersProvisioning)
    }

    /// The YAML name.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// The seeds' open points, as settings per model (DOMAIN.md "Open points").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenPoints {
    /// A factory reset keeps the SE applet data (R3 says it must).
    pub reset_keeps_se: bool,
    /// Revocation on the phone also deletes from the SE (R4 says both).
    pub revoke_deletes: bool,
}

impl Default for OpenPoints {
    fn default() -> Self {
        OpenPoints {
            reset_keeps_se: true,
            revoke_deletes: true,
        }
    }
}

/// One phone model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    /// Profile id (the file stem), e.g. `kumo-km51a`.
    pub id: String,
    pub maker: String,
    pub model_name: String,
    /// Model code as on the box, e.g. `KM-51A`; also `ro.product.model`.
    pub model_code: String,
    /// Carrier variants it is sold through.
    pub carriers: Vec<String>,
    /// Android release, e.g. `14`.
    pub android: String,
    /// API level, e.g. 34.
    pub sdk: u32,
    pub nfc_type_b: bool,
    pub gp_se: bool,
    pub biometrics: bool,
    /// Key type of the SE's JPKI keys.
    #[serde(default = "default_key")]
    pub se_key: KeyType,
    /// Listing the maker and carriers expect.
    pub expected_listing: Listing,
    /// Shell commands that factory-reset this model, in order.
    #[serde(default = "default_reset")]
    pub factory_reset: Vec<String>,
    #[serde(default)]
    pub open_points: OpenPoints,
    /// Defects, for the virtual lab only (a real lab leaves this empty).
    #[serde(default)]
    pub quirks: Vec<Quirk>,
    /// Free text shown in reports.
    #[serde(default)]
    pub notes: String,
    /// How long this model's actions take where they differ from the lab's defaults
    /// (`devices/timing.yaml`), in seconds: e.g. `timing: { factory_reset: 420 }`.
    #[serde(default, skip_serializing_if = "crate::timing::Timing::is_empty")]
    pub timing: crate::timing::Timing,
    /// Lab faults of this model's units in the virtual lab (see [`crate::chaos`]); a real lab leaves
    /// this out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaos: Option<crate::chaos::ChaosRates>,
}

fn default_key() -> KeyType {
    KeyType::Rsa2048
}

fn default_reset() -> Vec<String> {
    vec![
        "am broadcast -a android.intent.action.FACTORY_RESET -p android --receiver-foreground"
            .into(),
    ]
}

impl DeviceProfile {
    /// Whether the app should offer smartphone certificates on this model.
    pub fn app_supported(&self) -> bool {
        self.expected_listing != Listing::Unsupported && self.nfc_type_b && self.gp_se
    }
    /// Which list of the certification profile decides this model's verdict: the `mandatory` scenarios
    /// for a model the app should support (supported or planned, with NFC Type B and a GP-SE), the
    /// `unsupported` ones (a correct refusal, R8) otherwise. The one place this rule is written: the
    /// run's plan, the verdicts, the device list and the mutation test all ask here.
    pub fn deciding<'a>(&self, mandatory: &'a [String], unsupported: &'a [String]) -> &'a [String] {
        if self.app_supported() {
            mandatory
        } else {
            unsupported
        }
    }
    /// True when the profile carries a quirk.
    pub fn has(&self, quirk: Quirk) -> bool {
        self.quirks.contains(&quirk)
    }
    /// Capabilities a scenario role can require.
    pub fn capabilities(&self) -> Vec<&'static str> {
        let mut caps = Vec::new();
        caps.push(if self.app_supported() {
            "supported"
        } else {
            "unsupported"
        });
        if self.nfc_type_b {
            caps.push("nfc_type_b");
        }
        if self.gp_se {
            caps.push("gp_se");
        }
        caps.push(if self.biometrics {
            "biometrics"
        } else {
            "no_biometrics"
        });
        caps.push(match self.se_key {
            KeyType::Rsa2048 => "se_rsa2048",
            KeyType::P256 => "se_p256",
        });
        caps
    }
}

/// Every capability name a role may require (for validation and suggestions).
pub const CAPABILITIES: &[&str] = &[
    "supported",
    "unsupported",
    "nfc_type_b",
    "gp_se",
    "biometrics",
    "no_biometrics",
    "se_rsa2048",
    "se_p256",
];

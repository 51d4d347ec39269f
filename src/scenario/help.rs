//! What each kind of file needs, in words: the description of every required key (shown when it is
//! missing), what an empty file lacks, and the wording of unknown keys and names.

use super::suggest;

/// Help for one kind of file.
#[derive(Debug)]
pub struct FileHelp {
    /// What the file is, e.g. "a suite".
    pub what: &'static str,
    /// The keys a file of this kind needs at least, in words.
    pub minimal: &'static str,
    /// A minimal example, as a hint.
    pub example: &'static str,
    /// Key → what it is.
    pub keys: &'static [(&'static str, &'static str)],
}

impl FileHelp {
    /// What `key` is, if this kind of file has such a key.
    pub fn describe(&self, key: &str) -> Option<&'static str> {
        self.keys.iter().find(|(k, _)| *k == key).map(|(_, d)| *d)
    }

    /// The message for an empty (or comment-only) file.
    pub fn empty_message(&self) -> String {
        format!("empty file: {} needs at least {}", self.what, self.minimal)
    }
}

/// Suite files (and the certification profile, which lives among them).
pub const SUITE: FileHelp = FileHelp {
    what: "a suite",
    minimal: "`suite:` (its id), `title:` and `scenarios:` (a list; each scenario has `id`, `title`, \
              `rules`, `roles` and `steps`)",
    example: "e.g. `suite: revocation`, `title: Revocation (R4)`, then `scenarios:` with `- id: revoke-online`",
    keys: &[
        (
            "suite",
            "`suite` is the suite's id, e.g. `suite: revocation` (scenarios are named `suite/id`)",
        ),
        (
            "title",
            "`title` is a one-line title for people, e.g. `title: Online revocation`",
        ),
        (
            "scenarios",
            "`scenarios` is the list of scenarios, each starting `- id: …`",
        ),
        (
            "id",
            "`id` is the scenario's id, unique in its suite, e.g. `id: revoke-online`",
        ),
        (
            "rules",
            "`rules` lists the rules the scenario checks, e.g. `rules: [R4]`",
        ),
        (
            "roles",
            "`roles` names the phones and identities the scenario uses, e.g. \
             `roles: { phone: { phone: {} }, holder: { identity: {} } }`",
        ),
        (
            "steps",
            "`steps` is the list of steps, e.g. `- provision: { on: phone, identity: holder }`",
        ),
        (
            "on",
            "`on` is the phone role the step acts on, e.g. `on: phone`",
        ),
        (
            "identity",
            "`identity` is the identity role (the test person) of the step, e.g. `identity: holder`",
        ),
        (
            "target",
            "`target` is the other phone role, whose certificates `on` revokes, e.g. `target: old`",
        ),
        (
            "certs",
            "`certs` lists certificates: `sign`, `auth`, e.g. `certs: [sign, auth]`",
        ),
        (
            "status",
            "`status` is the status expected at the authority: `valid`, `revoked`, `suspended` or `absent`",
        ),
        (
            "holds",
            "`holds` is exactly what the SE holds: a list of `sign`, `auth` (`[]` for nothing)",
        ),
        (
            "mode",
            "`mode` is the network state: `online`, `offline` or `airplane`",
        ),
        ("state", "`state` is the power state: `on` or `off`"),
        (
            "pin",
            "`pin` is which PIN: `auth` (4 digits) or `sign` (the signing password)",
        ),
        (
            "value",
            "`value` is what to present: `right`, `wrong` or `query` (retries left, none spent)",
        ),
        ("profile", "`profile` is the certification profile's name"),
        (
            "version",
            "`version` is the suite version recorded in results, e.g. `version: \"1.0\"`",
        ),
        (
            "mandatory",
            "`mandatory` lists the `suite/scenario` ids that decide a supported or planned model",
        ),
        (
            "unsupported",
            "`unsupported` lists the `suite/scenario` ids that decide an unsupported model",
        ),
    ],
};

/// Lab files (`devices/lab.yaml`, bench files).
pub const LAB: FileHelp = FileHelp {
    what: "a lab file",
    minimal: "`lab:`, `kind:`, `reference_model:` and `identities:`",
    example: "e.g. `lab: my-lab`, `kind: bench`, `reference_model: kumo-km51a`, `identities: [taro]`",
    keys: &[
        (
            "lab",
            "`lab` is the lab's id, recorded in results, e.g. `lab: carrier-bench-01`",
        ),
        (
            "kind",
            "`kind` is `virtual` (the embedded virtual lab) or `bench` (real units)",
        ),
        (
            "reference_model",
            "`reference_model` is the model profile of the lab's known-good reference units",
        ),
        (
            "identities",
            "`identities` lists the test identities whose cards the lab holds, e.g. `[taro]`",
        ),
        (
            "serial",
            "`serial` is the unit's ADB serial (or `HOST:PORT`)",
        ),
        (
            "profile",
            "`profile` is the unit's model profile id (a file of devices/models/)",
        ),
        (
            "carrier",
            "`carrier` is the carrier variant of the unit, an id of devices/carriers.yaml",
        ),
        (
            "reader",
            "`reader` is a pattern matching exactly one PC/SC reader name",
        ),
        (
            "profiles",
            "`profiles` lists directories of model profiles or profile files outside devices/models/, relative to the lab file",
        ),
        (
            "controller_tls",
            "`controller_tls` names this lab's key and the controller's public key, e.g. `{ key: keys/lab.key, server: keys/controller.pub }`",
        ),
        (
            "server",
            "`server` is the controller's public key file (`mynacert keygen` makes it)",
        ),
        (
            "card_safety",
            "`card_safety` keeps test cards from locking, e.g. `card_safety: { floor: 1, allow_lock: [taro] }`",
        ),
        (
            "floor",
            "`floor` is how many tries a test card always keeps (default 1)",
        ),
        (
            "allow_lock",
            "`allow_lock` lists identities whose cards the issuer's test service can reset",
        ),
    ],
};

/// Model profiles (`devices/models/*.yaml`).
pub const DEVICE: FileHelp = FileHelp {
    what: "a model profile",
    minimal: "`id`, `maker`, `model_name`, `model_code`, `carriers`, `android`, `sdk`, `nfc_type_b`, \
              `gp_se`, `biometrics` and `expected_listing`",
    example: "see devices/models/kumo-km51a.yaml",
    keys: &[
        (
            "id",
            "`id` is the profile id, the same as the file name, e.g. `id: kumo-km51a`",
        ),
        ("maker", "`maker` is the maker's name"),
        (
            "model_name",
            "`model_name` is the marketing name, e.g. `Kumo Sora 5`",
        ),
        (
            "model_code",
            "`model_code` is the model code as on the box and in `ro.product.model`, e.g. `KM-51A`",
        ),
        (
            "carriers",
            "`carriers` lists the carrier variants (ids of devices/carriers.yaml), e.g. `[docomo, au]`",
        ),
        (
            "android",
            "`android` is the Android release, e.g. `android: \"14\"`",
        ),
        ("sdk", "`sdk` is the API level, e.g. `sdk: 34`"),
        (
            "nfc_type_b",
            "`nfc_type_b` says whether the model reads NFC Type B: `true` or `false`",
        ),
        (
            "gp_se",
            "`gp_se` says whether the model has a GlobalPlatform secure element: `true` or `false`",
        ),
        (
            "biometrics",
            "`biometrics` says whether the model has a biometric sensor: `true` or `false`",
        ),
        (
            "expected_listing",
            "`expected_listing` is `supported`, `planned` or `unsupported`",
        ),
    ],
};

/// Test identities (`fixtures/identities/*.yaml`).
pub const IDENTITY: FileHelp = FileHelp {
    what: "an identity",
    minimal: "`id`, `person_id`, `name`, `address`, `birth_date`, `sex`, `card` and `phone`",
    example: "see fixtures/identities/taro.yaml",
    keys: &[
        ("id", "`id` is the fixture id, the same as the file name"),
        (
            "person_id",
            "`person_id` is the opaque person id at the authority, e.g. `TEST0000000001`",
        ),
        ("name", "`name` is the holder's (fictitious) name"),
        ("address", "`address` is the holder's (fictitious) address"),
        ("birth_date", "`birth_date` is `YYYYMMDD`"),
        ("sex", "`sex` is 1 (male), 2 (female) or 9 (not applicable)"),
        ("card", "`card` holds the card's PINs and stored keys"),
        (
            "phone",
            "`phone` holds the PIN and password the harness sets on phones",
        ),
        ("auth_pin", "`auth_pin` is a 4-digit PIN"),
        ("sign_password", "`sign_password` is 6–16 of A–Z0–9"),
        (
            "auth_key",
            "`auth_key` is the stored test key of the auth certificate (relative to fixtures/)",
        ),
        (
            "sign_key",
            "`sign_key` is the stored test key of the sign certificate (relative to fixtures/)",
        ),
    ],
};

/// The carriers file (`devices/carriers.yaml`).
pub const CARRIERS: FileHelp = FileHelp {
    what: "the carriers file",
    minimal: "`carriers:`, a list of `{ id, name }`",
    example: "e.g. `carriers: [{ id: docomo, name: { ja: NTTドコモ, en: NTT docomo } }]`",
    keys: &[
        ("carriers", "`carriers` is the list of known carriers"),
        (
            "id",
            "`id` is the carrier id used in model profiles and lab files, e.g. `docomo`",
        ),
        ("name", "`name` is the display name, `{ ja: …, en: … }`"),
        ("ja", "`ja` is the Japanese display name"),
        ("en", "`en` is the English display name"),
    ],
};

/// What a list of valid names is a list of, for messages ("unknown step", "unknown rule", …).
pub fn noun_for(expected: &[&str]) -> &'static str {
    let has = |s: &str| expected.contains(&s);
    if has("provision") && has("expect-se") {
        "step"
    } else if has("phone") && has("identity") && expected.len() == 2 {
        "role kind"
    } else if has("R1") && has("R10") {
        "rule"
    } else if expected == ["sign", "auth"] {
        "certificate kind"
    } else if expected == ["auth", "sign"] {
        "PIN kind"
    } else if has("provisioning") && has("suspension-help") {
        "feature"
    } else if has("airplane") {
        "network mode"
    } else if has("subject") && has("reference") {
        "model"
    } else if has("right") && has("query") {
        "PIN value"
    } else if has("valid") && has("revoked") {
        "certificate status"
    } else if has("not-installed") {
        "app state"
    } else if has("off") && has("on") && expected.len() == 2 {
        "power state"
    } else {
        "value"
    }
}

/// "unknown key `x`" with the nearest valid key, or the valid keys.
pub fn unknown_key(field: &str, expected: &[&str]) -> (String, Option<String>) {
    let hint = suggest::did_you_mean(field, expected.iter().copied())
        .or_else(|| Some(format!("valid keys here: {}", expected.join(", "))));
    (format!("unknown key `{field}`"), hint)
}

/// "unknown step `x`" (or rule, status, …) with the nearest valid name, or the valid names.
pub fn unknown_variant(variant: &str, expected: &[&str]) -> (String, Option<String>) {
    let noun = noun_for(expected);
    let hint = suggest::did_you_mean(variant, expected.iter().copied())
        .or_else(|| Some(format!("expected one of: {}", expected.join(", "))));
    (format!("unknown {noun} `{variant}`"), hint)
}

//! The reader smoke check users run first on a new bench: on one card or phone SE, read the token
//! info and both certificates, verify them against the CA certificates on the token, query the retry
//! counters without spending a try, and sign a fresh challenge with the auth key (RSA PKCS#1 v1.5 or
//! ECDSA P-256, whichever the certificate holds), verifying the signature against the certificate.
//! Works over any [`CardTransport`], so the same check runs on PC/SC and in process.

use crate::authority::verify_certificate;
use crate::jpki::{JpkiClient, JpkiError, PinState, TOKEN_LABEL_CARD, TOKEN_LABEL_SE};
use crate::jpki::{sha256_digest_info, sha256_from_digest_info};
use crate::secret::Secret;
use crate::transport::CardTransport;
use crate::types::{CertKind, PinKind};
use std::fmt;

/// The PINs of one token. Without the sign password the sign certificate is not read; without the auth
/// PIN nothing is signed (and on a phone nothing is read).
#[derive(Debug, Clone, Default)]
pub struct TokenPins {
    /// Auth PIN.
    pub auth_pin: Option<Secret>,
    /// Sign password.
    pub sign_password: Option<Secret>,
}

/// PINs the check may use (from the test identity's fixture), chosen by the token label it reads.
#[derive(Debug, Clone, Default)]
pub struct CheckSecrets {
    /// For a My Number Card (`JPKIAPICCTOKEN2`).
    pub card: TokenPins,
    /// For a phone's SE (`JPKIAPGPSETOKEN`).
    pub phone: TokenPins,
}

impl CheckSecrets {
    /// The card's and the phone's PINs of a test identity.
    pub fn of(identity: &crate::identity::Identity) -> CheckSecrets {
        CheckSecrets {
            card: TokenPins {
                auth_pin: Some(identity.card.auth_pin.clone()),
                sign_password: Some(identity.card.sign_password.clone()),
            },
            phone: TokenPins {
                auth_pin: Some(identity.phone.auth_pin.clone()),
                sign_password: Some(identity.phone.sign_password.clone()),
            },
        }
    }
}

/// How one check item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Checked and fine.
    Pass,
    /// Checked and wrong.
    Fail,
    /// Not checked (the reason is in the detail).
    Skip,
}

/// One line of the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckItem {
    /// What was checked.
    pub what: &'static str,
    /// How it ended.
    pub outcome: Outcome,
    /// What was seen (never a PIN).
    pub detail: String,
}

/// The result of checking one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The transport's name (the reader).
    pub reader: String,
    /// Every item, in order.
    pub items: Vec<CheckItem>,
    /// The APDU trace, redacted (no PIN bytes).
    pub trace: Vec<String>,
}

impl CheckReport {
    /// True when no item failed.
    pub fn passed(&self) -> bool {
        self.items.iter().all(|i| i.outcome != Outcome::Fail)
    }
    /// The item named `what`.
    pub fn item(&self, what: &str) -> Option<&CheckItem> {
        self.items.iter().find(|i| i.what == what)
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.reader)?;
        for i in &self.items {
            let mark = match i.outcome {
                Outcome::Pass => "ok  ",
                Outcome::Fail => "FAIL",
                Outcome::Skip => "skip",
            };
            writeln!(f, "  {mark} {:<22} {}", i.what, i.detail)?;
        }
        Ok(())
    }
}

struct Run<T: CardTransport> {
    client: JpkiClient<T>,
    items: Vec<CheckItem>,
}

impl<T: CardTransport> Run<T> {
    fn push(&mut self, what: &'static str, outcome: Outcome, detail: impl Into<String>) {
        self.items.push(CheckItem {
            what,
            outcome,
            detail: detail.into(),
        });
    }
    fn record<V>(
        &mut self,
        what: &'static str,
        r: Result<V, String>,
        ok: impl FnOnce(&V) -> String,
    ) -> Option<V> {
        match r {
            Ok(v) => {
                let d = ok(&v);
                self.push(what, Outcome::Pass, d);
                Some(v)
            }
            Err(e) => {
                self.push(what, Outcome::Fail, e);
                None
            }
        }
    }
    fn verify_pin(&mut self, what: &'static str, pin: PinKind, value: &Secret) -> bool {
        // Never the last try: a wrong value here would lock a test token.
        match self.client.retries_left(pin) {
            Ok(PinState::Remaining(n)) if n <= 1 => {
                self.push(
                    what,
                    Outcome::Fail,
                    format!("not tried: {n} try left, a wrong value would lock the token (reset its counters first)"),
                );
                return false;
            }
            Ok(PinState::Blocked) => {
                self.push(what, Outcome::Fail, "not tried: blocked");
                return false;
            }
            _ => {}
        }
        let r = self.client.verify(pin, value).map_err(|e| e.to_string());
        match r {
            Ok(PinState::Verified) => {
                self.push(what, Outcome::Pass, "verified");
                true
            }
            Ok(state) => {
                self.push(what, Outcome::Fail, format!("not verified: {state}"));
                false
            }
            Err(e) => {
                self.push(what, Outcome::Fail, e);
                false
            }
        }
    }
    fn cert_pair(&mut self, what: &'static str, kind: CertKind) -> Option<Vec<u8>> {
        let cert = self.client.read_certificate(kind);
        let ca = self.client.read_ca_certificate(kind);
        let r = match (cert, ca) {
            (Ok(c), Ok(ca)) => verify_certificate(&c, &ca)
                .map(|info| (c, info))
                .map_err(|e| e.to_string()),
            (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
        };
        self.record(what, r, |(c, info)| {
            format!(
                "{} bytes, CN={}, signed by the CA on the token",
                c.len(),
                info.subject_cn
            )
        })
        .map(|(c, _)| c)
    }
}

/// Runs the check on one token. Transport failures end the check with a failed item naming the reader.
pub fn check_token<T: CardTransport>(transport: T, secrets: &CheckSecrets) -> CheckReport {
    let reader = transport.name().to_string();
    let mut run = Run {
        client: JpkiClient::new(transport),
        items: Vec::new(),
    };
    body(&mut run, secrets);
    let trace = run.client.trace().iter().map(|t| t.to_string()).collect();
    CheckReport {
        reader,
        items: run.items,
        trace,
    }
}

fn body<T: CardTransport>(run: &mut Run<T>, all: &CheckSecrets) {
    let sel = run.client.select_jpki_ap().map_err(|e| e.to_string());
    if run
        .record("select JPKI AP", sel, |_| "selected".into())
        .is_none()
    {
        return;
    }
    let label = run.client.token_label().map_err(|e| e.to_string());
    let Some(label) = run.record("token info", label, |l| format!("label {l}")) else {
        return;
    };
    let phone = match label.as_str() {
        TOKEN_LABEL_SE => true,
        TOKEN_LABEL_CARD => false,
        other => {
            run.push(
                "token kind",
                Outcome::Fail,
                format!("unknown label {other}"),
            );
            return;
        }
    };
    let secrets = if phone { &all.phone } else { &all.card };
    for (what, pin) in [
        ("auth PIN retries", PinKind::Auth),
        ("sign PIN retries", PinKind::Sign),
    ] {
        let r = retries_unspent(&mut run.client, pin);
        run.record(what, r, |n| format!("{n} left, unchanged by the query"));
    }
    let mut auth_verified = false;
    if phone {
        // R9, as the suites check it: the SE must not give the auth certificate before the auth PIN.
        // A READ BINARY spends no try.
        match run.client.read_certificate(CertKind::Auth) {
            Ok(c) => run.push(
                "auth cert before PIN",
                Outcome::Fail,
                format!("R9: {} bytes readable without the auth PIN", c.len()),
            ),
            Err(crate::jpki::JpkiError::EfStatus { sw, .. })
                if sw == crate::apdu::Sw::SECURITY_STATUS_NOT_SATISFIED =>
            {
                run.push(
                    "auth cert before PIN",
                    Outcome::Pass,
                    "refused until the auth PIN is verified (R9)",
                )
            }
            Err(e) => run.push(
                "auth cert before PIN",
                Outcome::Fail,
                format!("cannot tell: {e}"),
            ),
        }
        match &secrets.auth_pin {
            Some(p) => auth_verified = run.verify_pin("auth PIN", PinKind::Auth, p),
            None => run.push("auth PIN", Outcome::Skip, "no auth PIN given"),
        }
    }
    let auth_cert = if !phone || auth_verified {
        run.cert_pair("auth certificate", CertKind::Auth)
    } else {
        run.push(
            "auth certificate",
            Outcome::Skip,
            "the phone's needs the auth PIN",
        );
        None
    };
    match &secrets.sign_password {
        Some(p) => {
            if run.verify_pin("sign password", PinKind::Sign, p) {
                run.cert_pair("sign certificate", CertKind::Sign);
            }
        }
        None => run.push("sign certificate", Outcome::Skip, "no sign password given"),
    }
    let Some(cert) = auth_cert else {
        run.push("auth signature", Outcome::Skip, "no auth certificate");
        return;
    };
    if !phone {
        match &secrets.auth_pin {
            Some(p) => auth_verified = run.verify_pin("auth PIN", PinKind::Auth, p),
            None => run.push("auth PIN", Outcome::Skip, "no auth PIN given"),
        }
    }
    if !auth_verified {
        run.push("auth signature", Outcome::Skip, "auth PIN not verified");
        return;
    }
    let challenge: [u8; 32] = rand::random();
    let di = sha256_digest_info(&challenge);
    let r = run
        .client
        .sign(CertKind::Auth, &di)
        .map_err(|e| e.to_string())
        .and_then(|sig| verify_signature(&cert, &di, &sig).map(|alg| (sig.len(), alg)));
    run.record("auth signature", r, |(n, alg)| {
        format!("{alg} signature of {n} bytes over a fresh challenge verifies")
    });
}

/// Queries the retries twice and checks that the query did not spend a try.
fn retries_unspent<T: CardTransport>(c: &mut JpkiClient<T>, pin: PinKind) -> Result<u8, String> {
    let q = |c: &mut JpkiClient<T>| -> Result<u8, String> {
        match c.retries_left(pin) {
            Ok(PinState::Remaining(n)) => Ok(n),
            Ok(PinState::Blocked) => Err("blocked".into()),
            Ok(PinState::Verified) => Err("already verified".into()),
            Err(JpkiError::Status { sw, .. } | JpkiError::EfStatus { sw, .. }) => {
                Err(format!("answered {sw}"))
            }
            Err(e) => Err(e.to_string()),
        }
    };
    let first = q(c)?;
    let second = q(c)?;
    if first != second {
        return Err(format!("the query spent a try: {first} then {second}"));
    }
    if first == 0 {
        return Err("no try left".into());
    }
    Ok(first)
}

/// Verifies a signature over a sha256 DigestInfo with the certificate's key: RSA PKCS#1 v1.5 or ECDSA
/// P-256 (DER). Returns the algorithm's name.
pub fn verify_signature(
    cert_der: &[u8],
    digest_info: &[u8],
    sig: &[u8],
) -> Result<&'static str, String> {
    use p256::pkcs8::DecodePublicKey as _;
    let (_, cert) =
        x509_parser::parse_x509_certificate(cert_der).map_err(|e| format!("certificate: {e}"))?;
    let spki = cert.public_key().raw;
    let hash = sha256_from_digest_info(digest_info).ok_or("not a sha256 DigestInfo")?;
    if let Ok(key) = rsa::RsaPublicKey::from_public_key_der(spki) {
        key.verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &hash, sig)
            .map_err(|e| format!("RSA PKCS#1 v1.5 signature does not verify: {e}"))?;
        return Ok("RSA PKCS#1 v1.5");
    }
    if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(spki) {
        use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
        let s = p256::ecdsa::Signature::from_der(sig)
            .map_err(|e| format!("ECDSA signature is not DER: {e}"))?;
        key.verify_prehash(&hash, &s)
            .map_err(|e| format!("ECDSA P-256 signature does not verify: {e}"))?;
        return Ok("ECDSA P-256");
    }
    Err("the certificate's key is neither RSA nor P-256".into())
}

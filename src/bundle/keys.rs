//! Lab keys (P-256 ECDSA): generation, PEM files, key ids, trust lists, and detached signatures whose
//! file says which of its own bytes were altered.

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A key file could not be used.
#[derive(Debug, Error)]
pub enum KeyError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {detail}", path.display())]
    Invalid { path: PathBuf, detail: String },
    #[error("{}: already exists (pass --force to replace it)", path.display())]
    Exists { path: PathBuf },
}

/// Short id of a public key: the first 16 hex digits of the SHA-256 of its SubjectPublicKeyInfo DER.
pub fn key_id(key: &VerifyingKey) -> String {
    match key.to_public_key_der() {
        Ok(der) => hex::encode(&Sha256::digest(der.as_bytes())[..8]),
        Err(_) => hex::encode(&Sha256::digest(key.to_encoded_point(false).as_bytes())[..8]),
    }
}

/// Makes a lab key pair: `<stem>.key` (PKCS#8 PEM, mode 0600) and `<stem>.pub` (SPKI PEM). Returns the
/// two paths and the key id.
pub fn generate(stem: &Path, force: bool) -> Result<(PathBuf, PathBuf, String), KeyError> {
    let private = stem.with_extension("key");
    let public = stem.with_extension("pub");
    for p in [&private, &public] {
        if p.exists() && !force {
            return Err(KeyError::Exists { path: p.clone() });
        }
    }
    let key = SigningKey::random(&mut rand::rngs::OsRng);
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Invalid {
            path: private.clone(),
            detail: format!("cannot encode the key: {e}"),
        })?;
    let pub_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError::Invalid {
            path: public.clone(),
            detail: format!("cannot encode the public key: {e}"),
        })?;
    if let Some(dir) = private.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| KeyError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    write_private(&private, pem.as_bytes())?;
    std::fs::write(&public, pub_pem.as_bytes()).map_err(|source| KeyError::Io {
        path: public.clone(),
        source,
    })?;
    Ok((private, public, key_id(key.verifying_key())))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(bytes).map_err(io)
}

/// Loads a lab's private key (PKCS#8 PEM).
pub fn load_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    SigningKey::from_pkcs8_pem(&text).map_err(|e| KeyError::Invalid {
        path: path.to_path_buf(),
        detail: format!("not a P-256 PKCS#8 PEM private key ({e})"),
    })
}

/// The lab public keys whose signatures are accepted.
#[derive(Debug, Clone, Default)]
pub struct TrustList {
    keys: Vec<(String, VerifyingKey, PathBuf)>,
}

impl TrustList {
    /// Reads every `-----BEGIN PUBLIC KEY-----` block of the given files (directories: every `*.pub`).
    pub fn load(paths: &[PathBuf]) -> Result<TrustList, KeyError> {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                let rd = std::fs::read_dir(p).map_err(|source| KeyError::Io {
                    path: p.clone(),
                    source,
                })?;
                let mut v: Vec<PathBuf> = rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| f.extension().is_some_and(|x| x == "pub"))
                    .collect();
                v.sort();
                files.extend(v);
            } else {
                files.push(p.clone());
            }
        }
        let mut list = TrustList::default();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|source| KeyError::Io {
                path: f.clone(),
                source,
            })?;
            let begin = "-----BEGIN PUBLIC KEY-----";
            let end = "-----END PUBLIC KEY-----";
            let mut rest = text.as_str();
            let mut found = 0;
            while let Some(b) = rest.find(begin) {
                let Some(e) = rest[b..].find(end) else {
                    break;
                };
                let block = &rest[b..b + e + end.len()];
                let key =
                    VerifyingKey::from_public_key_pem(block).map_err(|e| KeyError::Invalid {
                        path: f.clone(),
                        detail: format!("public key {} is not a P-256 SPKI key ({e})", found + 1),
                    })?;
                list.add(key, f.clone());
                found += 1;
                rest = &rest[b + e + end.len()..];
            }
            if found == 0 {
                return Err(KeyError::Invalid {
                    path: f,
                    detail: "no `-----BEGIN PUBLIC KEY-----` block".into(),
                });
            }
        }
        Ok(list)
    }

    /// Adds a key.
    pub fn add(&mut self, key: VerifyingKey, source: PathBuf) {
        let id = key_id(&key);
        if !self.keys.iter().any(|(k, ..)| *k == id) {
            self.keys.push((id, key, source));
        }
    }

    /// The trusted key with this id.
    pub fn get(&self, id: &str) -> Option<&VerifyingKey> {
        self.keys.iter().find(|(k, ..)| k == id).map(|(_, v, _)| v)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A detached signature file (`*.sig`): the signature over a document, the document's digest and a
/// checksum of the file's own fields, so a verifier can tell an altered document from an altered
/// signature file. Only the ECDSA signature gives trust; the digests only say what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detached {
    pub key_id: String,
    /// SHA-256 (hex) of the signed document.
    pub sha256: String,
    /// ECDSA P-256 / SHA-256 signature, DER, hex.
    pub signature: String,
    /// SHA-256 (hex) of `key_id \n sha256 \n signature`.
    pub check: String,
}

fn check_of(key_id: &str, sha: &str, sig: &str) -> String {
    hex::encode(Sha256::digest(format!("{key_id}\n{sha}\n{sig}").as_bytes()))
}

/// What is wrong with a signed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureProblem {
    /// The signature file is unreadable or its fields were altered.
    SignatureFileAltered(String),
    /// The document differs from the one signed.
    DocumentAltered,
    /// The signing key is not on the trust list.
    Untrusted { key_id: String },
    /// The signature does not verify with the named trusted key (forged or made for other bytes).
    BadSignature { key_id: String },
}

impl Detached {
    /// Signs a document.
    pub fn sign(key: &SigningKey, document: &[u8]) -> Detached {
        let key_id = key_id(key.verifying_key());
        let sha256 = hex::encode(Sha256::digest(document));
        let sig: Signature = key.sign(document);
        let signature = hex::encode(sig.to_der().as_bytes());
        let check = check_of(&key_id, &sha256, &signature);
        Detached {
            key_id,
            sha256,
            signature,
            check,
        }
    }

    /// Serialized form (pretty JSON with a newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Checks a signature file's bytes against a document and a trust list; returns the signer's key id.
    pub fn verify(
        sig_bytes: &[u8],
        document: &[u8],
        trust: &TrustList,
    ) -> Result<String, SignatureProblem> {
        let d: Detached = serde_json::from_slice(sig_bytes)
            .map_err(|e| SignatureProblem::SignatureFileAltered(format!("unreadable: {e}")))?;
        if check_of(&d.key_id, &d.sha256, &d.signature) != d.check {
            return Err(SignatureProblem::SignatureFileAltered(
                "its fields do not match its checksum".into(),
            ));
        }
        if hex::encode(Sha256::digest(document)) != d.sha256 {
            return Err(SignatureProblem::DocumentAltered);
        }
        let Some(key) = trust.get(&d.key_id) else {
            return Err(SignatureProblem::Untrusted { key_id: d.key_id });
        };
        let sig = hex::decode(&d.signature)
            .ok()
            .and_then(|b| Signature::from_der(&b).ok())
            .ok_or_else(|| SignatureProblem::BadSignature {
                key_id: d.key_id.clone(),
            })?;
        key.verify(document, &sig)
            .map_err(|_| SignatureProblem::BadSignature {
                key_id: d.key_id.clone(),
            })?;
        Ok(d.key_id)
    }
}

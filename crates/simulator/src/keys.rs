//! Stored RSA-2048 test keys (`fixtures/keys/*.pem`, PKCS#8 PEM).
//!
//! RSA key generation is slow in debug builds, so the virtual cards and SEs load stored TEST keys.
//! Run `cargo test --lib jpki::keys -- --ignored regenerate_fixture_keys` to write missing ones.

use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Key file names under `fixtures/keys/` (cards first, then the SE pool).
pub const FIXTURE_KEY_NAMES: [&str; 20] = [
    "card-taro-auth.pem",
    "card-taro-sign.pem",
    "card-hanako-auth.pem",
    "card-hanako-sign.pem",
    "card-jiro-auth.pem",
    "card-jiro-sign.pem",
    "card-sakura-auth.pem",
    "card-sakura-sign.pem",
    "se-pool-00.pem",
    "se-pool-01.pem",
    "se-pool-02.pem",
    "se-pool-03.pem",
    "se-pool-04.pem",
    "se-pool-05.pem",
    "se-pool-06.pem",
    "se-pool-07.pem",
    "se-pool-08.pem",
    "se-pool-09.pem",
    "se-pool-10.pem",
    "se-pool-11.pem",
];

/// Number of RSA keys in the virtual SEs' pool (`se-pool-00.pem` …).
pub const SE_POOL_SIZE: usize = 12;

/// Loading a stored key failed.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("{path}: cannot read key file: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a PKCS#8 PEM RSA private key.
    #[error("{path}: not a PKCS#8 PEM RSA private key: {detail}")]
    Parse {
        /// The key file.
        path: PathBuf,
        /// What the decoder said.
        detail: String,
    },
}

/// The project's `fixtures/keys` directory (this crate lives in `crates/simulator`).
pub fn fixture_keys_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join("keys")
}

/// The path of SE pool key number `index` (wraps around the pool).
pub fn se_pool_key_path(index: usize) -> PathBuf {
    fixture_keys_dir().join(format!("se-pool-{:02}.pem", index % SE_POOL_SIZE))
}

/// Reads a PKCS#8 PEM RSA private key.
pub fn load_rsa_key(path: &Path) -> Result<RsaPrivateKey, KeyError> {
    let pem = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| KeyError::Parse {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// Generates a fresh RSA-2048 (e = 65537) key as PKCS#8 PEM (slow in debug builds).
pub fn generate_rsa_pem() -> String {
    let mut rng = rand::thread_rng();
    // Generation and encoding of a freshly made 2048-bit key cannot fail short of a broken RNG.
    let key = RsaPrivateKey::new(&mut rng, 2048).expect("RSA-2048 key generation");
    key.to_pkcs8_pem(LineEnding::LF)
        .expect("PKCS#8 encoding of a fresh key")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::traits::PublicKeyParts;

    #[test]
    #[ignore = "writes missing fixture keys; run on demand"]
    fn regenerate_fixture_keys() {
        let dir = fixture_keys_dir();
        std::fs::create_dir_all(&dir).unwrap();
        for name in FIXTURE_KEY_NAMES {
            let path = dir.join(name);
            if !path.exists() {
                std::fs::write(&path, generate_rsa_pem()).unwrap();
            }
        }
    }

    #[test]
    fn every_fixture_key_loads_as_rsa_2048_e65537() {
        for name in FIXTURE_KEY_NAMES {
            let key = load_rsa_key(&fixture_keys_dir().join(name)).unwrap();
            assert_eq!(key.size(), 256, "{name}");
            assert_eq!(key.e(), &rsa::BigUint::from(65537u32), "{name}");
        }
    }

    #[test]
    fn fixture_keys_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for name in FIXTURE_KEY_NAMES {
            let key = load_rsa_key(&fixture_keys_dir().join(name)).unwrap();
            assert!(
                seen.insert(key.n().to_bytes_be()),
                "{name} duplicates a key"
            );
        }
    }

    #[test]
    fn pool_path_wraps() {
        assert_eq!(
            se_pool_key_path(13),
            fixture_keys_dir().join("se-pool-01.pem")
        );
    }

    #[test]
    fn missing_file_is_an_io_error_naming_the_path() {
        let err = load_rsa_key(Path::new("/nonexistent/key.pem")).unwrap_err();
        assert!(matches!(err, KeyError::Io { .. }));
        assert!(err.to_string().contains("/nonexistent/key.pem"));
    }

    #[test]
    fn garbage_is_a_parse_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.pem");
        std::fs::write(
            &path,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        assert!(matches!(load_rsa_key(&path), Err(KeyError::Parse { .. })));
    }
}

//! Signed result bundles: sign, verify, and tamper with every file; untrusted and unsigned bundles.

use mynacert::bundle::{self, BundleError, MANIFEST, SIGNATURE, TrustList};
use mynacert::journal::fixture::{attempt, header, journal, model, result, rules, write_run_dir};
use mynacert::profile::Listing;
use mynacert::runner::result::{AttemptStatus, Evidence};
use std::io::Read;
use std::path::{Path, PathBuf};

struct Setup {
    _dir: tempfile::TempDir,
    bundle: PathBuf,
    trust: TrustList,
    other: TrustList,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run-1");
    let j = journal(
        header(
            "run-1",
            "lab-a",
            rules("1", &["s/a"], &[]),
            vec![model("m1", "M-1", &["docomo"], Listing::Supported)],
            &[("U1", "m1", "docomo")],
        ),
        vec![result(
            "s/a",
            "m1",
            "U1",
            "docomo",
            &[],
            vec![attempt(1, AttemptStatus::Passed, &[], Evidence::default())],
        )],
        true,
    );
    write_run_dir(&run, &j).unwrap();
    let (key, public, _) = bundle::generate(&dir.path().join("keys/lab-a"), false).unwrap();
    let (_, other_pub, _) = bundle::generate(&dir.path().join("keys/lab-b"), false).unwrap();
    let signing = bundle::load_signing_key(&key).unwrap();
    let out = dir.path().join("run-1.bundle.tar");
    bundle::sign(&run, &signing, &out).unwrap();
    Setup {
        bundle: out,
        trust: TrustList::load(&[public]).unwrap(),
        other: TrustList::load(&[other_pub]).unwrap(),
        _dir: dir,
    }
}

/// (name, offset of its data in the archive, size) of every entry.
fn entries(archive: &[u8]) -> Vec<(String, u64, u64)> {
    let mut a = tar::Archive::new(archive);
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let (pos, size) = (e.raw_file_position(), e.size());
            let mut sink = Vec::new();
            e.read_to_end(&mut sink).unwrap();
            (name, pos, size)
        })
        .collect()
}

fn verify_bytes(bytes: &[u8], trust: &TrustList) -> Result<bundle::Verified, BundleError> {
    bundle::verify_bytes(Path::new("b.tar"), bytes, trust)
}

#[test]
fn a_signed_bundle_verifies_and_carries_journal_reports_evidence_and_suites() {
    let s = setup();
    let v = bundle::verify(&s.bundle, &s.trust).unwrap();
    for f in [
        "journal.jsonl",
        "results.json",
        "junit.xml",
        "report.html",
        "evidence/screen.xml",
        "suites/provisioning.yaml",
    ] {
        assert!(v.run_file(f).is_some(), "{f} not in the bundle");
    }
    assert_eq!(v.manifest.run_id, "run-1");
    assert_eq!(v.manifest.lab, "lab-a");
    assert_eq!(v.id.len(), 16);
}

#[test]
fn flipping_one_byte_of_any_file_fails_naming_that_file() {
    let s = setup();
    let original = std::fs::read(&s.bundle).unwrap();
    let list = entries(&original);
    assert!(list.len() >= 8, "{list:?}");
    for (name, pos, size) in &list {
        assert!(*size > 0);
        // First, middle and last byte of the file.
        for at in [0, size / 2, size - 1] {
            let mut bytes = original.clone();
            bytes[(pos + at) as usize] ^= 0x01;
            match verify_bytes(&bytes, &s.trust) {
                Err(e) => {
                    let named = e.tampered_files();
                    assert_eq!(named, vec![name.as_str()], "flip in {name}@{at}: {e}");
                    assert!(e.to_string().contains(name.as_str()));
                }
                Ok(_) => panic!("a flipped byte in {name} at {at} went unnoticed"),
            }
        }
    }
}

#[test]
fn a_flipped_header_byte_is_reported_as_damage_next_to_the_entry() {
    let s = setup();
    let mut bytes = std::fs::read(&s.bundle).unwrap();
    let list = entries(&bytes);
    let (name, pos, _) = &list[3];
    // The name field of that entry's 512-byte header.
    bytes[(*pos - 512 + 2) as usize] ^= 0x20;
    let e = verify_bytes(&bytes, &s.trust).unwrap_err();
    assert!(
        matches!(
            &e,
            BundleError::Damaged { .. } | BundleError::Tampered { .. }
        ),
        "{e}"
    );
    let prev = &list[2].0;
    assert!(
        e.to_string().contains(prev.as_str()) || e.to_string().contains(name.as_str()),
        "{e}"
    );
}

#[test]
fn untrusted_unsigned_and_padded_bundles_are_refused() {
    let s = setup();
    let bytes = std::fs::read(&s.bundle).unwrap();
    match verify_bytes(&bytes, &s.other) {
        Err(BundleError::Untrusted { lab, .. }) => assert_eq!(lab, "lab-a"),
        other => panic!("expected untrusted, got {other:?}"),
    }
    // Rebuild the archive without the signature, and with an extra file.
    let rebuild = |skip: &str, extra: Option<(&str, &[u8])>| {
        let mut src = tar::Archive::new(bytes.as_slice());
        let mut b = tar::Builder::new(Vec::new());
        for e in src.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            if name == skip {
                continue;
            }
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, &name, data.as_slice()).unwrap();
        }
        if let Some((name, data)) = extra {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, data).unwrap();
        }
        b.into_inner().unwrap()
    };
    assert!(matches!(
        verify_bytes(&rebuild(SIGNATURE, None), &s.trust),
        Err(BundleError::Unsigned { .. })
    ));
    let e = verify_bytes(&rebuild(MANIFEST, None), &s.trust).unwrap_err();
    assert_eq!(e.tampered_files(), vec![MANIFEST]);
    let e = verify_bytes(&rebuild("", Some(("run/extra.txt", b"x"))), &s.trust).unwrap_err();
    assert_eq!(e.tampered_files(), vec!["run/extra.txt"]);
    let e = verify_bytes(&rebuild("run/junit.xml", None), &s.trust).unwrap_err();
    assert_eq!(e.tampered_files(), vec!["run/junit.xml"]);
}

#[test]
fn cli_keygen_sign_verify() {
    let s = setup();
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_mynacert");
    let stem = dir.path().join("lab");
    let out = std::process::Command::new(bin)
        .arg("keygen")
        .arg("--out")
        .arg(&stem)
        .output()
        .unwrap();
    assert!(out.status.success());
    let key = std::fs::read_to_string(stem.with_extension("key")).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(stem.with_extension("key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "private key readable by others");
    }
    // Refuses to overwrite.
    let again = std::process::Command::new(bin)
        .arg("keygen")
        .arg("--out")
        .arg(&stem)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let verify = std::process::Command::new(bin)
        .args(["bundle", "verify"])
        .arg(&s.bundle)
        .arg("--trust")
        .arg(stem.with_extension("pub"))
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&verify.stderr).contains("not on the trust list"));
}

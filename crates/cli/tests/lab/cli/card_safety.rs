//! Lab safety: a test card is never locked unless the lab file allows it for that identity.

use super::bin;

const LAB: &str = "lab: careful-lab
kind: virtual
reference_model: kumo-km51a
identities: [taro, hanako]
";

fn run(lab: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.yaml");
    std::fs::write(&path, lab).unwrap();
    let o = bin()
        .args([
            "run",
            "--no-progress",
            "--no-store",
            "--model",
            "kumo-km51a",
        ])
        .args([
            "--scenario",
            "pin-and-secrets/card-sign-password-locks",
            "--lab",
        ])
        .arg(&path)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    (o.status.code(), text)
}

#[test]
fn a_wrong_password_that_would_lock_a_card_is_refused_naming_the_identity_and_the_tries_left() {
    let (code, text) = run(LAB);
    assert_eq!(code, Some(3), "{text}");
    assert!(
        text.contains(
            "has 1 sign pin try left; a VERIFY could leave 0, below the lab's floor of 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("the card of `taro`") || text.contains("the card of `hanako`"),
        "{text}"
    );
    // The run ends with every card still usable, and says so.
    assert!(
        text.contains("test cards after the run (tries left, none spent to read them):"),
        "{text}"
    );
    assert!(!text.contains("blocked"), "a card was locked:\n{text}");
    assert!(text.contains("signing password 1 try left"), "{text}");
}

#[test]
fn a_card_the_lab_file_allows_to_lock_runs_the_scenario_to_blocked() {
    let (code, text) = run(&format!(
        "{LAB}card_safety: {{ allow_lock: [taro, hanako] }}\n"
    ));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("signing password blocked"), "{text}");
}

#[test]
fn a_higher_floor_stops_wrong_passwords_earlier() {
    let (code, text) = run(&format!("{LAB}card_safety: {{ floor: 3 }}\n"));
    assert_eq!(code, Some(3), "{text}");
    assert!(
        text.contains(
            "has 3 sign pin tries left; a VERIFY could leave 2, below the lab's floor of 3"
        ),
        "{text}"
    );
    assert!(text.contains("signing password 3 tries left"), "{text}");
}

#[test]
fn allow_lock_naming_no_identity_of_the_lab_is_refused_with_a_suggestion() {
    let (code, text) = run(&format!("{LAB}card_safety: {{ allow_lock: [hanak] }}\n"));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("allow_lock names `hanak`"), "{text}");
    assert!(text.contains("hanako"), "{text}");
}

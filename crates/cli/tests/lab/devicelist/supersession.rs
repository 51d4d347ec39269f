//! The newest run per (model, carrier, build fingerprint) decides; older runs for it are superseded.

use super::*;

const BUILD_1: &str = "m1-maker/m1/m1:14/AP1A.240305.019/111:user/release-keys";
const BUILD_2: &str = "m1-maker/m1/m1:15/AP3A.241105.007/222:user/release-keys";

/// An older run where M-1 on docomo fails and a newer one where it passes, both on `build`s.
fn old_and_new(out: &Path, keys: &Keys, old_build: &str, new_build: &str) -> (PathBuf, PathBuf) {
    let old = make_bundle_with(
        out,
        keys,
        "lab-a",
        "lab-a",
        "run-old",
        "1",
        vec![
            pass("s/a", "m1", "A1", "docomo"),
            fail("s/b", "m1", "A1", "docomo"),
        ],
        |j| {
            times(j, "2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z");
            fingerprint(j, "A1", old_build);
        },
    );
    // The carrier re-tests a month later on another unit (its lab, its serial).
    let new = make_bundle_with(
        out,
        keys,
        "lab-b",
        "lab-b",
        "run-new",
        "1",
        vec![
            pass("s/a", "m1", "A1", "docomo"),
            pass("s/b", "m1", "A1", "docomo"),
        ],
        |j| {
            // Recorded with an offset: compared as instants (10:00+09:00 is 01:00Z, still newer).
            times(j, "2026-12-21T10:00:00+09:00", "2026-12-21T10:30:00+09:00");
            fingerprint(j, "A1", new_build);
        },
    );
    (old, new)
}

#[test]
fn a_newer_run_for_the_same_model_carrier_and_build_decides_and_the_diff_names_what_it_superseded()
{
    let keys = Keys::new();
    let tmp = tempfile::tempdir().unwrap();
    let trust = keys.trust(&["lab-a", "lab-b"]);
    let (old, new) = old_and_new(tmp.path(), &keys, BUILD_1, BUILD_1);
    let (old_id, new_id) = (bundle_id(&old, &trust), bundle_id(&new, &trust));

    let (before, _) = build(std::slice::from_ref(&old), &trust);
    assert_eq!(entry(&before, "M-1", "docomo").status, Status::Planned);

    let (list, refused) = build(&[old.clone(), new.clone()], &trust);
    assert!(refused.is_empty(), "{refused:?}");
    let rows: Vec<_> = list
        .entries
        .iter()
        .filter(|e| e.model_code == "M-1" && e.carrier == "docomo")
        .collect();
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let e = rows[0];
    assert_eq!(
        (e.status, e.verdict),
        (Status::Supported, Verdict::Supported)
    );
    assert!(e.rules_broken.is_empty());
    assert_eq!(e.evidence_bundles, vec![new_id.clone()]);
    assert_eq!(
        e.units,
        vec!["lab-b/A1"],
        "the old run's unit no longer counts"
    );
    assert_eq!(e.superseded.len(), 1);
    assert_eq!(
        (e.superseded[0].bundle.as_str(), e.superseded[0].by.as_str()),
        (old_id.as_str(), new_id.as_str())
    );
    assert_eq!(e.superseded[0].run_id, "run-old");
    // The order the bundles are given in does not matter.
    let (reversed, _) = build(&[new.clone(), old.clone()], &trust);
    assert_eq!(reversed.entries, list.entries);

    // The diff shows the status change and which bundle superseded which.
    let d = devicelist::diff(&before, &list);
    assert_eq!(d.changed.len(), 1, "{d:#?}");
    assert_eq!(
        (d.changed[0].from, d.changed[0].to),
        (Status::Planned, Status::Supported)
    );
    assert_eq!(d.superseded.len(), 1, "{d:#?}");
    let s = &d.superseded[0];
    assert_eq!(
        (s.model_code.as_str(), s.carrier.as_str()),
        ("M-1", "docomo")
    );
    assert_eq!(
        (s.bundle.as_str(), s.by.as_str()),
        (old_id.as_str(), new_id.as_str())
    );
    assert_eq!(s.build_fingerprint.as_deref(), Some(BUILD_1));
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains(&old_id) && json.contains(&new_id), "{json}");
    // The pages say it with dates (Japan time), not bundle ids.
    let ja = devicelist::render_html(&list, Some(&d), "ja").unwrap();
    assert!(
        ja.contains("再検証で更新: M-1 (NTTドコモ, ビルド AP1A.240305.019) 2026-11-20 の結果を 2026-12-21 の結果で置き換え"),
        "{ja}"
    );
    assert!(!ja.contains(&old_id) && !ja.contains(&new_id));
    // Nothing new superseded since a list that already had both.
    assert!(devicelist::diff(&list, &reversed).is_empty());
}

#[test]
fn runs_on_different_builds_do_not_supersede_each_other() {
    let keys = Keys::new();
    let tmp = tempfile::tempdir().unwrap();
    let trust = keys.trust(&["lab-a", "lab-b"]);
    let (old, new) = old_and_new(tmp.path(), &keys, BUILD_1, BUILD_2);
    let (list, _) = build(&[old.clone(), new.clone()], &trust);
    let rows: Vec<_> = list
        .entries
        .iter()
        .filter(|e| e.model_code == "M-1" && e.carrier == "docomo")
        .collect();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let by_build = |b: &str| {
        *rows
            .iter()
            .find(|e| e.build_fingerprint.as_deref() == Some(b))
            .unwrap()
    };
    let first = by_build(BUILD_1);
    assert_eq!(
        (first.status, first.verdict, first.rules_broken.clone()),
        (
            Status::Planned,
            Verdict::ConformanceFailures,
            vec![Rule::R2]
        )
    );
    assert_eq!(first.evidence_bundles, vec![bundle_id(&old, &trust)]);
    assert_eq!(
        (first.android.as_str(), first.build_id.as_str()),
        ("14", "AP1A.240305.019")
    );
    let second = by_build(BUILD_2);
    assert_eq!(second.status, Status::Supported);
    assert_eq!(
        (second.android.as_str(), second.build_id.as_str()),
        ("15", "AP3A.241105.007")
    );
    assert!(first.superseded.is_empty() && second.superseded.is_empty());
}

#[test]
fn a_tie_in_recorded_time_goes_to_the_later_finish_then_the_larger_bundle_id() {
    let keys = Keys::new();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let trust = keys.trust(&["lab-a"]);
    let run = |name: &str, finished: &str, ok: bool| {
        let second = if ok {
            pass("s/b", "m2", "A3", "docomo")
        } else {
            fail("s/b", "m2", "A3", "docomo")
        };
        make_bundle_with(
            out,
            &keys,
            "lab-a",
            "lab-a",
            name,
            "1",
            vec![pass("s/a", "m2", "A3", "docomo"), second],
            |j| times(j, "2026-11-20T10:00:00Z", finished),
        )
    };
    // Same start: the one that finished later decides, whatever the order given.
    let early = run("run-early", "2026-11-20T10:10:00Z", true);
    let late = run("run-late", "2026-11-20T10:20:00Z", false);
    for order in [[&early, &late], [&late, &early]] {
        let (list, _) = build(&order.map(|p| p.clone()), &trust);
        let e = entry(&list, "M-2", "docomo");
        assert_eq!(e.verdict, Verdict::ConformanceFailures);
        assert_eq!(e.evidence_bundles, vec![bundle_id(&late, &trust)]);
    }
    // Same start and finish: the larger bundle id decides.
    let x = run("run-x", "2026-11-20T10:10:00Z", true);
    let y = run("run-y", "2026-11-20T10:10:00Z", false);
    let (ix, iy) = (bundle_id(&x, &trust), bundle_id(&y, &trust));
    let winner = if ix > iy { &ix } else { &iy };
    for order in [[&x, &y], [&y, &x]] {
        let (list, _) = build(&order.map(|p| p.clone()), &trust);
        assert_eq!(
            &entry(&list, "M-2", "docomo").evidence_bundles,
            &vec![winner.clone()]
        );
    }
}

#[test]
fn a_bundle_whose_recorded_time_is_unreadable_is_refused_not_guessed() {
    let keys = Keys::new();
    let tmp = tempfile::tempdir().unwrap();
    let trust = keys.trust(&["lab-a"]);
    let file = make_bundle_with(
        tmp.path(),
        &keys,
        "lab-a",
        "lab-a",
        "run-t",
        "1",
        vec![pass("s/a", "m2", "A3", "docomo")],
        |j| times(j, "20 Nov 2026", "2026-11-20T10:05:00Z"),
    );
    let (list, refused) = build(std::slice::from_ref(&file), &trust);
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0]
            .reason
            .contains("recorded start time `20 Nov 2026` is not RFC 3339"),
        "{}",
        refused[0].reason
    );
    assert!(list.entries.is_empty());
}

#[test]
fn a_newer_partial_run_neither_decides_nor_supersedes_a_complete_one() {
    let keys = Keys::new();
    let tmp = tempfile::tempdir().unwrap();
    let trust = keys.trust(&["lab-a", "lab-b"]);
    let complete = make_bundle_with(
        tmp.path(),
        &keys,
        "lab-a",
        "lab-a",
        "run-complete",
        "1",
        vec![
            pass("s/a", "m1", "A1", "docomo"),
            pass("s/b", "m1", "A1", "docomo"),
        ],
        |j| {
            times(j, "2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z");
            fingerprint(j, "A1", BUILD_1);
        },
    );
    // A month later, one scenario re-run on the same build (`--scenario s/b`): it fails.
    let partial = make_bundle_with(
        tmp.path(),
        &keys,
        "lab-b",
        "lab-b",
        "run-partial",
        "1",
        vec![fail("s/b", "m1", "A1", "docomo")],
        |j| {
            times(j, "2026-12-20T10:00:00Z", "2026-12-20T10:05:00Z");
            fingerprint(j, "A1", BUILD_1);
        },
    );
    let (list, refused) = build(&[complete.clone(), partial.clone()], &trust);
    assert!(refused.is_empty(), "{refused:?}");
    let e = entry(&list, "M-1", "docomo");
    assert_eq!(
        (e.status, e.verdict),
        (Status::Supported, Verdict::Supported),
        "{e:#?}"
    );
    assert_eq!(e.evidence_bundles, vec![bundle_id(&complete, &trust)]);
    assert!(e.superseded.is_empty(), "{e:#?}");
    // Alone, the partial run gives no verdict: planned, shown as partial.
    let (alone, _) = build(std::slice::from_ref(&partial), &trust);
    let e = entry(&alone, "M-1", "docomo");
    assert_eq!((e.status, e.verdict), (Status::Planned, Verdict::Partial));
}

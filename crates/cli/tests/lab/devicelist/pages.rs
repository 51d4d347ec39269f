//! The public pages: Japanese throughout in `ja`; both carry the Android version, the build tested and
//! the date verified; lab names and bundle ids stay in the signed JSON.

use super::virtual_lab::visible_text;
use super::*;

/// M-1 supported on docomo and au, M-2 failing (planned), M-3 (an unsupported model) not listed.
fn sample() -> (tempfile::TempDir, devicelist::DeviceList, String) {
    let keys = Keys::new();
    let tmp = tempfile::tempdir().unwrap();
    let file = make_bundle_with(
        tmp.path(),
        &keys,
        "lab-a",
        "lab-a",
        "run-a",
        "1",
        vec![
            pass("s/a", "m1", "A1", "docomo"),
            pass("s/b", "m1", "A1", "docomo"),
            pass("s/a", "m1", "A2", "au"),
            pass("s/b", "m1", "A2", "au"),
            pass("s/a", "m2", "A3", "docomo"),
            fail("s/b", "m2", "A3", "docomo"),
            pass("s/a", "m3", "A4", "softbank"),
        ],
        |j| {
            // Finished at 16:30 UTC: already the next day in Japan.
            times(j, "2026-11-20T16:00:00Z", "2026-11-20T16:30:00Z");
            for u in ["A1", "A2"] {
                fingerprint(
                    j,
                    u,
                    "m1-maker/m1/m1:15/AP3A.241105.007/222:user/release-keys",
                );
            }
            fingerprint(
                j,
                "A3",
                "m2-maker/m2/m2:14/UP1A.231005.007/9:user/release-keys",
            );
        },
    );
    let trust = keys.trust(&["lab-a"]);
    let id = bundle_id(&file, &trust);
    let (list, refused) = build(&[file], &trust);
    assert!(refused.is_empty(), "{refused:?}");
    (tmp, list, id)
}

const ENGLISH: &[&str] = &[
    "supported",
    "planned",
    "not run",
    "conformance",
    "incomplete",
    "docomo",
    "softbank",
    "rakuten",
    "maker,",
    "carrier",
    "status",
];

#[test]
fn the_japanese_list_is_japanese_throughout() {
    let (_tmp, list, _) = sample();
    let csv = devicelist::render_csv(&list, "ja");
    let html = visible_text(&devicelist::render_html(&list, None, "ja").unwrap());
    for (what, page) in [("csv", &csv), ("html", &html)] {
        for word in [
            "判定",
            "通信事業者",
            "検証日",
            "ビルド番号",
            "対応",
            "対応予定",
            "非対応",
        ] {
            assert!(page.contains(word), "{what} lacks {word}: {page}");
        }
        for carrier in ["NTTドコモ", "au", "ソフトバンク", "楽天モバイル"] {
            assert!(page.contains(carrier), "{what} lacks {carrier}: {page}");
        }
        let lower = page.to_lowercase();
        for word in ENGLISH {
            assert!(!lower.contains(word), "{what} says `{word}`: {page}");
        }
    }
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "メーカー,機種名,型番,通信事業者,判定,Androidバージョン,ビルド番号,検証日,備考"
    );
    let m2 = lines.iter().find(|l| l.contains("M-2")).unwrap();
    assert!(m2.contains(",NTTドコモ,対応予定,"), "{m2}");
    assert!(m2.ends_with(",不適合あり (R2)"), "{m2}");
    // English pages keep their words, with carrier display names.
    let en = devicelist::render_csv(&list, "en");
    assert!(en.starts_with("maker,model name,model code,carrier,status,Android version,build number,verified on,notes\r\n"));
    assert!(
        en.contains(",NTT docomo,supported,") && en.contains(",SoftBank,not supported,"),
        "{en}"
    );
    assert!(en.contains(",Rakuten Mobile,not supported,"), "{en}");
}

#[test]
fn both_lists_carry_android_version_build_and_date_but_no_labs_or_bundle_ids() {
    let (_tmp, list, id) = sample();
    let e = entry(&list, "M-1", "docomo");
    assert_eq!(
        (
            e.android.as_str(),
            e.build_id.as_str(),
            e.verified_on.as_str()
        ),
        ("15", "AP3A.241105.007", "2026-11-21")
    );
    for lang in ["ja", "en"] {
        let csv = devicelist::render_csv(&list, lang);
        let html = devicelist::render_html(&list, None, lang).unwrap();
        for page in [&csv, &html] {
            for cell in [
                "15",
                "AP3A.241105.007",
                "2026-11-21",
                "14",
                "UP1A.231005.007",
            ] {
                assert!(page.contains(cell), "{lang} lacks {cell}: {page}");
            }
            assert!(
                !page.contains("lab-a") && !page.contains(&id),
                "{lang}: {page}"
            );
        }
        let row = csv
            .split("\r\n")
            .find(|l| l.contains("M-1") && l.contains(",au,"))
            .unwrap();
        assert!(row.contains(",15,AP3A.241105.007,2026-11-21,"), "{row}");
    }
    // The signed JSON keeps the lab, the units and the bundle.
    let json = String::from_utf8(devicelist::to_json(&list)).unwrap();
    assert!(
        json.contains("\"lab-a/A1\"") && json.contains(&id),
        "{json}"
    );
    assert!(json.contains(
        "\"build_fingerprint\": \"m1-maker/m1/m1:15/AP3A.241105.007/222:user/release-keys\""
    ));
}

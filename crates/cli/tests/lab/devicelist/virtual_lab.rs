//! Virtual runs are refused unless `--allow-virtual`, and a list built with it says so on every page.

use super::*;
use mynacert::lab::LabKind;

/// A simulated phone's fingerprint (as `src/sim/phone` reports it).
const SIM_FP: &str = "m1-maker/m1_m1/m1:14/SIM34.0A1B2C3D/1234:user/release-keys";

fn passing_m1() -> Vec<ScenarioResult> {
    vec![
        pass("s/a", "m1", "A1", "docomo"),
        pass("s/b", "m1", "A1", "docomo"),
    ]
}

#[test]
fn a_virtual_run_is_refused_with_the_bundle_named() {
    let keys = Keys::new();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let trust = keys.trust(&["lab-a"]);
    let real = make_bundle(out, &keys, "lab-a", "lab-a", "run-real", "1", passing_m1());
    // Three ways a run shows it was virtual: the lab kind, in-process phones, a simulated unit.
    let kind = make_bundle_with(
        out,
        &keys,
        "lab-a",
        "lab-a",
        "run-kind",
        "1",
        passing_m1(),
        |j| j.header.lab_kind = Some(LabKind::Virtual),
    );
    let in_process = make_bundle_with(
        out,
        &keys,
        "lab-a",
        "lab-a",
        "run-proc",
        "1",
        passing_m1(),
        |j| j.header.phones = Some("in process".into()),
    );
    let served = make_bundle_with(
        out,
        &keys,
        "lab-a",
        "lab-a",
        "run-sim",
        "1",
        passing_m1(),
        |j| {
            j.header.lab_kind = Some(LabKind::Bench);
            j.header.phones = Some("ADB through the adb server at 127.0.0.1:5037".into());
            fingerprint(j, "A1", SIM_FP);
        },
    );
    for (file, why) in [
        (&kind, "lab `lab-a` is a virtual lab"),
        (&in_process, "in-process simulator"),
        (&served, "unit A1 reports the simulator's build fingerprint"),
    ] {
        let (list, refused) = build(std::slice::from_ref(file), &trust);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(&refused[0].file, file);
        let reason = &refused[0].reason;
        assert!(
            reason.contains(&bundle_id(file, &trust)) && reason.contains(why),
            "{reason}"
        );
        assert!(list.entries.is_empty() && list.sources.is_empty());
    }
    // A bench run on real phones is accepted.
    let (list, refused) = build(&[real], &trust);
    assert!(refused.is_empty(), "{refused:?}");
    assert!(!list.allow_virtual && list.notice.is_none());
    assert_eq!(entry(&list, "M-1", "docomo").status, Status::Supported);
    assert!(!devicelist::render_csv(&list, "en").contains("--allow-virtual"));
}

/// Visible text of an HTML page (no tags, no style sheet).
pub fn visible_text(html: &str) -> String {
    let html = match (html.find("<style>"), html.find("</style>")) {
        (Some(a), Some(b)) => format!("{}{}", &html[..a], &html[b..]),
        _ => html.to_string(),
    };
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn allowed_virtual_results_are_marked_on_every_page_and_under_the_signature() {
    let keys = Keys::new();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let trust = keys.trust(&["lab-a"]);
    let file = make_bundle_with(
        out,
        &keys,
        "lab-a",
        "lab-a",
        "run-v",
        "1",
        passing_m1(),
        |j| j.header.lab_kind = Some(LabKind::Virtual),
    );
    let opts = BuildOptions {
        allow_virtual: true,
    };
    let (list, refused) = devicelist::build(std::slice::from_ref(&file), &trust, &opts);
    assert!(refused.is_empty(), "{refused:?}");
    assert!(list.allow_virtual);
    assert!(list.notice.as_deref().unwrap().contains("virtual labs"));
    assert!(entry(&list, "M-1", "docomo").virtual_lab);
    assert_eq!(
        list.sources[0].virtual_reasons,
        vec!["lab `lab-a` is a virtual lab"]
    );
    // CSV: one more column whose header is the notice; every line has as many fields as the header.
    for (lang, notice, cell) in [
        ("en", "results from virtual labs", "virtual lab"),
        ("ja", "仮想ラボ（模擬端末）の結果を含み", "仮想ラボ"),
    ] {
        let csv = devicelist::render_csv(&list, lang);
        let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        let last_header = lines[0].rsplit(',').next().unwrap();
        assert!(last_header.contains(notice), "{lang}: {csv}");
        assert!(lines.len() > 1);
        for l in &lines[1..] {
            assert_eq!(l.matches(',').count(), lines[0].matches(',').count(), "{l}");
        }
        let tested = lines
            .iter()
            .find(|l| l.contains(",M-1,") && !l.contains(",au,"))
            .unwrap();
        assert!(tested.ends_with(&format!(",{cell}")), "{tested}");
        let untested = lines.iter().find(|l| l.contains(",M-1,au,")).unwrap();
        assert!(untested.ends_with(",—"), "{untested}");
        // HTML: a visible banner.
        let html = devicelist::render_html(&list, None, lang).unwrap();
        assert!(
            html.contains(r#"<p id="virtual-notice" role="alert">"#),
            "{html}"
        );
        assert!(visible_text(&html).contains(notice), "{lang}: {html}");
    }
    // JSON: covered by the signature; dropping the mark is detected.
    let json = devicelist::to_json(&list);
    let text = String::from_utf8(json.clone()).unwrap();
    assert!(text.contains("\"allow_virtual\": true"), "{text}");
    let sig = bundle::Detached::sign(&keys.key("lab-a"), &json).to_bytes();
    let back = devicelist::verify_signed(&json, &sig, &trust).unwrap();
    assert!(back.allow_virtual && back.notice.is_some());
    let unmarked = text
        .replace("\"allow_virtual\": true", "\"allow_virtual\": false")
        .into_bytes();
    let err = devicelist::verify_signed(&unmarked, &sig, &trust).unwrap_err();
    assert!(err.contains("differs from the one signed"), "{err}");
}

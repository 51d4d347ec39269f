//! The HTML report's findings and verdict colours.

use super::*;
use crate::journal::fixture::{attempt, header, journal, model, result, rules};
use crate::profile::Listing;
use crate::runner::result::AttemptStatus;

fn page(models: Vec<DeviceProfile>, results: Vec<ScenarioResult>) -> String {
    let units: Vec<(&str, &str, &str)> = vec![("U1", "m1", "docomo"), ("U2", "m2", "docomo")];
    let h = header(
        "run-html",
        "lab-x",
        rules("1", &["s/a", "s/b", "s/c"], &["u/refuse"]),
        models,
        &units,
    );
    let j = journal(h, results, true);
    let report = RunReport::from_journal(&j);
    render(&j, &report).unwrap()
}

use crate::profile::DeviceProfile;

#[test]
fn identical_findings_are_grouped_with_a_count_and_a_link_to_each_scenario() {
    let failed = |id: &str| {
        result(
            id,
            "m1",
            "U1",
            "docomo",
            &[Rule::R2],
            vec![attempt(
                1,
                AttemptStatus::Failed,
                &[Rule::R2],
                Evidence::default(),
            )],
        )
    };
    let html = page(
        vec![model("m1", "M-1", &["docomo"], Listing::Supported)],
        vec![failed("s/a"), failed("s/b"), failed("s/c")],
    );
    // The fixture's failing step says "old phone still valid" in every scenario.
    assert_eq!(
        html.matches("old phone still valid <b class=\"count\">×3</b>")
            .count(),
        1,
        "one grouped line"
    );
    for i in 0..3 {
        assert!(html.contains(&format!("href=\"#sc-{i}\"")), "link {i}");
        assert!(html.contains(&format!("id=\"sc-{i}\"")), "anchor {i}");
    }
}

#[test]
fn a_correct_refusal_is_not_coloured_as_a_pass() {
    let refused = result(
        "u/refuse",
        "m2",
        "U2",
        "docomo",
        &[Rule::R8],
        vec![attempt(1, AttemptStatus::Passed, &[], Evidence::default())],
    );
    let html = page(
        vec![model("m2", "M-2", &["docomo"], Listing::Unsupported)],
        vec![refused],
    );
    assert!(
        html.contains("<td class=\"neutral verdict\">not supported</td>"),
        "{}",
        &html[html.find("id=\"verdicts\"").unwrap_or(0)..][..1500.min(html.len())]
    );
}

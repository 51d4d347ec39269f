//! The device list as CSV and HTML, in Japanese (`ja`) and English (`en`): what a phone buyer needs
//! (model, carrier, status, Android version, build and date verified). Labs, units and bundle ids stay in
//! the signed JSON.

use super::labels::{self, carrier_name};
use super::provenance::Fingerprint;
use super::{DeviceList, Diff, Entry};
use serde::Serialize;

fn csv_field(s: &str) -> String {
    // Cells starting like a formula are prefixed so a spreadsheet shows them as text.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The cells of a row, in header order.
fn cells(e: &Entry, lang: &str) -> [String; 9] {
    [
        e.maker.clone(),
        e.model_name.clone(),
        e.model_code.clone(),
        carrier_name(&e.carrier, lang),
        labels::status(e.status, lang).to_string(),
        labels::or_dash(&e.android),
        labels::build(e),
        labels::or_dash(&e.verified_on),
        labels::verdict(e, lang),
    ]
}

/// CSV (RFC 4180, CRLF) in `ja` or `en`. A list built with `--allow-virtual` has one more column, whose
/// header is the notice and whose cells say whether the row rests on a virtual lab or on real phones.
pub fn render_csv(list: &DeviceList, lang: &str) -> String {
    let mut out = String::new();
    let mut head: Vec<String> = labels::headers(lang).map(csv_field).to_vec();
    if list.allow_virtual {
        head.push(csv_field(labels::notice(lang)));
    }
    out.push_str(&head.join(","));
    out.push_str("\r\n");
    for e in &list.entries {
        let mut row: Vec<String> = cells(e, lang).iter().map(|c| csv_field(c)).collect();
        if list.allow_virtual {
            row.push(csv_field(labels::provenance(e, lang)));
        }
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

const TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><title>{{ w.title }}</title>
<style>
body { font-family: system-ui, "Noto Sans CJK JP", sans-serif; margin: 1.5em; }
table { border-collapse: collapse; } th, td { border: 1px solid #c8ced8; padding: .25em .5em; text-align: left; }
th { background: #eef1f6; } .supported { background: #dff3e3; } .planned { background: #fdf0c8; }
.unsupported { background: #eceff3; }
#virtual-notice { border: 3px solid #b00020; background: #fde7ea; color: #6d0012; padding: .75em 1em; font-weight: bold; }
</style></head>
<body>
{% if notice %}<p id="virtual-notice" role="alert">{{ notice }}</p>
{% endif %}<h1>{{ w.title }}</h1>
<p>{{ w.generated }} {{ generated }}</p>
<table id="device-list">
<tr>{% for h in headers %}<th>{{ h }}</th>{% endfor %}</tr>
{% for r in rows %}<tr class="{{ r.class }}">{% for c in r.cells %}<td>{{ c }}</td>{% endfor %}</tr>
{% endfor %}
</table>
{% if diff %}
<h2>{{ w.diff_title }}</h2>
<ul id="diff">
{% for l in diff %}<li>{{ l }}</li>
{% endfor %}
</ul>
{% endif %}
</body></html>
"#;

#[derive(Serialize)]
struct Row {
    class: &'static str,
    cells: Vec<String>,
}

#[derive(Serialize)]
struct Words {
    title: &'static str,
    generated: &'static str,
    diff_title: &'static str,
}

#[derive(Serialize)]
struct Page<'a> {
    lang: &'a str,
    w: Words,
    notice: Option<&'static str>,
    generated: &'a str,
    headers: Vec<&'static str>,
    rows: Vec<Row>,
    /// The diff as lines in the page's language (`None`: no previous list).
    diff: Option<Vec<String>>,
}

/// "M-1 (NTTドコモ)" or "M-1 (NTTドコモ, ビルド X)".
fn what(model: &str, carrier: &str, fingerprint: Option<&str>, lang: &str, build: &str) -> String {
    let carrier = carrier_name(carrier, lang);
    match fingerprint {
        Some(fp) => {
            let id = Fingerprint::parse(fp).map(|f| f.build_id).unwrap_or(fp);
            format!("{model} ({carrier}, {build} {id})")
        }
        None => format!("{model} ({carrier})"),
    }
}

/// The diff as lines: added, removed, status changed, re-verified (dates, not bundle ids).
fn diff_lines(d: &Diff, lang: &str) -> Vec<String> {
    let w = labels::page(lang);
    let mut out = Vec::new();
    let row = |e: &Entry| {
        let m = format!("{} {}", e.model_code, e.model_name);
        what(
            &m,
            &e.carrier,
            e.build_fingerprint.as_deref(),
            lang,
            w.build,
        )
    };
    for e in &d.added {
        out.push(format!("{}: {}", w.added, row(e)));
    }
    for e in &d.removed {
        out.push(format!("{}: {}", w.removed, row(e)));
    }
    for c in &d.changed {
        // The build last, so the change reads "model (carrier) from → to".
        let build = c
            .build_fingerprint
            .as_deref()
            .map(|fp| Fingerprint::parse(fp).map(|f| f.build_id).unwrap_or(fp));
        let mut l = format!(
            "{}: {} ({}) {} → {}",
            w.changed,
            c.model_code,
            carrier_name(&c.carrier, lang),
            labels::status(c.from, lang),
            labels::status(c.to, lang)
        );
        if let Some(b) = build {
            l.push_str(&format!(" ({} {b})", w.build));
        }
        out.push(l);
    }
    for s in &d.superseded {
        let m = what(
            &s.model_code,
            &s.carrier,
            s.build_fingerprint.as_deref(),
            lang,
            w.build,
        );
        out.push(if lang == "ja" {
            format!(
                "{}: {m} {} の結果を {} の結果で置き換え",
                w.superseded, s.verified_on, s.by_verified_on
            )
        } else {
            format!(
                "{}: {m}: the results of {} are replaced by those of {}",
                w.superseded, s.verified_on, s.by_verified_on
            )
        });
    }
    out
}

/// A self-contained HTML page in `ja` or `en`, with the diff against the previous list when given.
pub fn render_html(
    list: &DeviceList,
    diff: Option<&Diff>,
    lang: &str,
) -> Result<String, minijinja::Error> {
    let w = labels::page(lang);
    let rows = list
        .entries
        .iter()
        .map(|e| Row {
            class: match e.status {
                super::Status::Supported => "supported",
                super::Status::Planned => "planned",
                super::Status::Unsupported => "unsupported",
            },
            cells: cells(e, lang).to_vec(),
        })
        .collect();
    let mut env = minijinja::Environment::new();
    env.add_template("device-list.html", TEMPLATE)?;
    let t = env.get_template("device-list.html")?;
    let page = Page {
        lang,
        w: Words {
            title: w.title,
            generated: w.generated,
            diff_title: w.diff_title,
        },
        notice: list.allow_virtual.then(|| labels::notice(lang)),
        generated: &list.generated,
        headers: labels::headers(lang).to_vec(),
        rows,
        diff: diff.map(|d| diff_lines(d, lang)),
    };
    t.render(minijinja::value::Serde(&page))
}

//! The device list as CSV and HTML, in Japanese (`ja`) and English (`en`).

use super::{DeviceList, Diff, Entry};
use serde::Serialize;

/// Column headers per language.
fn headers(lang: &str) -> [&'static str; 10] {
    if lang == "ja" {
        [
            "メーカー",
            "機種名",
            "型番",
            "通信事業者",
            "対応状況",
            "判定",
            "検証日",
            "試験仕様版",
            "証跡バンドル",
            "検証機関",
        ]
    } else {
        [
            "maker",
            "model name",
            "model code",
            "carrier",
            "status",
            "verdict",
            "verified on",
            "suite version",
            "evidence bundles",
            "labs",
        ]
    }
}

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

fn status_of(e: &Entry, lang: &str) -> &'static str {
    if lang == "ja" {
        e.status.ja()
    } else {
        e.status.en()
    }
}

fn verdict_of(e: &Entry) -> String {
    let mut v = e.verdict.label().to_string();
    if !e.rules_broken.is_empty() {
        let rules: Vec<String> = e.rules_broken.iter().map(|r| r.to_string()).collect();
        v.push_str(&format!(" ({})", rules.join(" ")));
    }
    v
}

/// CSV (RFC 4180, CRLF) in `ja` or `en`.
pub fn render_csv(list: &DeviceList, lang: &str) -> String {
    let mut out = String::new();
    out.push_str(&headers(lang).map(csv_field).join(","));
    out.push_str("\r\n");
    for e in &list.entries {
        let row = [
            e.maker.clone(),
            e.model_name.clone(),
            e.model_code.clone(),
            e.carrier.clone(),
            status_of(e, lang).to_string(),
            verdict_of(e),
            e.verified_on.clone(),
            e.suite_version.clone(),
            e.evidence_bundles.join(" "),
            e.labs.join(" "),
        ];
        out.push_str(&row.map(|c| csv_field(&c)).join(","));
        out.push_str("\r\n");
    }
    out
}

const TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: system-ui, "Noto Sans CJK JP", sans-serif; margin: 1.5em; }
table { border-collapse: collapse; } th, td { border: 1px solid #c8ced8; padding: .25em .5em; text-align: left; }
th { background: #eef1f6; } .supported { background: #dff3e3; } .planned { background: #fdf0c8; }
.unsupported { background: #eceff3; } code { font-size: .85em; }
</style></head>
<body>
<h1>{{ title }}</h1>
<p>{{ generated_label }} {{ list.generated }}</p>
<table id="device-list">
<tr>{% for h in headers %}<th>{{ h }}</th>{% endfor %}</tr>
{% for r in rows %}<tr class="{{ r.e.status }}"><td>{{ r.e.maker }}</td><td>{{ r.e.model_name }}</td><td>{{ r.e.model_code }}</td>
<td>{{ r.e.carrier }}</td><td>{{ r.status }}</td><td>{{ r.verdict }}</td><td>{{ r.e.verified_on }}</td><td>{{ r.e.suite_version }}</td>
<td>{% for b in r.e.evidence_bundles %}<code>{{ b }}</code> {% endfor %}</td><td>{{ r.e.labs|join(", ") }}</td></tr>
{% endfor %}
</table>
{% if diff %}
<h2>{{ diff_title }}</h2>
<ul id="diff">
{% for e in diff.added %}<li>{{ added }}: {{ e.model_code }} {{ e.model_name }} ({{ e.carrier }})</li>{% endfor %}
{% for e in diff.removed %}<li>{{ removed }}: {{ e.model_code }} {{ e.model_name }} ({{ e.carrier }})</li>{% endfor %}
{% for c in changes %}<li>{{ changed }}: {{ c.model_code }} ({{ c.carrier }}) {{ c.from }} → {{ c.to }}</li>{% endfor %}
</ul>
{% endif %}
</body></html>
"#;

#[derive(Serialize)]
struct Row<'a> {
    e: &'a Entry,
    status: &'static str,
    verdict: String,
}

/// A self-contained HTML page in `ja` or `en`, with the diff against the previous list when given.
pub fn render_html(
    list: &DeviceList,
    diff: Option<&Diff>,
    lang: &str,
) -> Result<String, minijinja::Error> {
    let ja = lang == "ja";
    let rows: Vec<Row> = list
        .entries
        .iter()
        .map(|e| Row {
            e,
            status: status_of(e, lang),
            verdict: verdict_of(e),
        })
        .collect();
    let mut env = minijinja::Environment::new();
    env.add_template("device-list.html", TEMPLATE)?;
    let t = env.get_template("device-list.html")?;
    #[derive(Serialize)]
    struct Page<'a> {
        lang: &'a str,
        title: &'a str,
        generated_label: &'a str,
        diff_title: &'a str,
        added: &'a str,
        removed: &'a str,
        changed: &'a str,
        headers: [&'a str; 10],
        list: &'a DeviceList,
        rows: Vec<Row<'a>>,
        diff: Option<&'a Diff>,
        /// Status changes with labels in the page's language.
        changes: Vec<ChangeRow<'a>>,
    }
    #[derive(Serialize)]
    struct ChangeRow<'a> {
        model_code: &'a str,
        carrier: &'a str,
        from: &'static str,
        to: &'static str,
    }
    let label = |st: super::Status| if ja { st.ja() } else { st.en() };
    let changes = diff
        .map(|d| {
            d.changed
                .iter()
                .map(|c| ChangeRow {
                    model_code: &c.model_code,
                    carrier: &c.carrier,
                    from: label(c.from),
                    to: label(c.to),
                })
                .collect()
        })
        .unwrap_or_default();
    let page = Page {
        lang,
        title: if ja {
            "スマホ用電子証明書 対応機種一覧"
        } else {
            "Smartphone JPKI certificates: supported devices"
        },
        generated_label: if ja { "作成日時" } else { "generated" },
        diff_title: if ja {
            "前回公開版からの変更"
        } else {
            "Changes since the previous list"
        },
        added: if ja { "追加" } else { "added" },
        removed: if ja { "削除" } else { "removed" },
        changed: if ja { "状況変更" } else { "status changed" },
        headers: headers(lang),
        list,
        rows,
        diff,
        changes,
    };
    t.render(minijinja::value::Serde(&page))
}

//! Words on the public pages, in Japanese (`ja`) and English (`en`).

use super::{Entry, Status};
use crate::report::verdict::Verdict;

/// What every page of a list built with `--allow-virtual` says (English; the JSON carries this one).
pub const NOTICE_EN: &str = "NOT FOR PUBLICATION: built with --allow-virtual. This list includes \
     results from virtual labs (simulated phones) that prove nothing about real phones.";
/// The same in Japanese.
pub const NOTICE_JA: &str = "公開不可：--allow-virtual で作成した一覧です。仮想ラボ（模擬端末）の結果を含み、\
     実機で検証した結果ではありません。";

pub fn notice(lang: &str) -> &'static str {
    if lang == "ja" { NOTICE_JA } else { NOTICE_EN }
}

/// Display name of a carrier id from the project's carriers file (`devices/carriers.yaml`, the one
/// place carrier names are written; built into the binary); unknown ids are shown as they are.
pub fn carrier_name(id: &str, lang: &str) -> String {
    static KNOWN: std::sync::OnceLock<Option<crate::carrier::Carriers>> =
        std::sync::OnceLock::new();
    let known = KNOWN.get_or_init(|| {
        crate::carrier::Carriers::parse(
            std::path::Path::new("devices/carriers.yaml"),
            include_str!("../../devices/carriers.yaml"),
        )
        .ok()
    });
    let lang = if lang == "ja" {
        crate::carrier::Lang::Ja
    } else {
        crate::carrier::Lang::En
    };
    known
        .as_ref()
        .and_then(|c| c.display_name(id, lang))
        .unwrap_or(id)
        .to_string()
}

/// Column headers.
pub fn headers(lang: &str) -> [&'static str; 9] {
    if lang == "ja" {
        [
            "メーカー",
            "機種名",
            "型番",
            "通信事業者",
            "判定",
            "Androidバージョン",
            "ビルド番号",
            "検証日",
            "備考",
        ]
    } else {
        [
            "maker",
            "model name",
            "model code",
            "carrier",
            "status",
            "Android version",
            "build number",
            "verified on",
            "notes",
        ]
    }
}

pub fn status(s: Status, lang: &str) -> &'static str {
    if lang == "ja" { s.ja() } else { s.en() }
}

/// The verdict behind a row, with the rules broken.
pub fn verdict(e: &Entry, lang: &str) -> String {
    let mut v = if lang == "ja" {
        match e.verdict {
            Verdict::Supported => "必須項目すべて合格",
            Verdict::NotSupported => "対応外機種として正しく動作",
            Verdict::ConformanceFailures => "不適合あり",
            Verdict::Incomplete => "検証未完了",
            Verdict::Partial => "一部の項目のみ検証（判定なし）",
            Verdict::NotRun => "未検証",
        }
    } else {
        e.verdict.label()
    }
    .to_string();
    if !e.rules_broken.is_empty() {
        let rules: Vec<String> = e.rules_broken.iter().map(|r| r.to_string()).collect();
        v.push_str(&format!(" ({})", rules.join(" ")));
    }
    v
}

/// The build tested: its build id, else the whole fingerprint, else a dash.
pub fn build(e: &Entry) -> String {
    if !e.build_id.is_empty() {
        e.build_id.clone()
    } else {
        e.build_fingerprint.clone().unwrap_or_else(|| "—".into())
    }
}

/// A cell that may be empty (untested rows).
pub fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "—".into()
    } else {
        s.to_string()
    }
}

/// In a list built with `--allow-virtual`, whether a row rests on virtual or real results (a dash for an
/// untested row, which rests on none).
pub fn provenance(e: &Entry, lang: &str) -> &'static str {
    if e.evidence_bundles.is_empty() {
        return "—";
    }
    match (e.virtual_lab, lang == "ja") {
        (true, true) => "仮想ラボ",
        (true, false) => "virtual lab",
        (false, true) => "実機",
        (false, false) => "real phones",
    }
}

/// Words of the HTML page.
pub struct Page {
    pub title: &'static str,
    pub generated: &'static str,
    pub diff_title: &'static str,
    pub added: &'static str,
    pub removed: &'static str,
    pub changed: &'static str,
    pub superseded: &'static str,
    pub build: &'static str,
}

pub fn page(lang: &str) -> Page {
    if lang == "ja" {
        Page {
            title: "スマホ用電子証明書 対応機種一覧",
            generated: "作成日時",
            diff_title: "前回公開版からの変更",
            added: "追加",
            removed: "削除",
            changed: "状況変更",
            superseded: "再検証で更新",
            build: "ビルド",
        }
    } else {
        Page {
            title: "Smartphone JPKI certificates: supported devices",
            generated: "generated",
            diff_title: "Changes since the previous list",
            added: "added",
            removed: "removed",
            changed: "status changed",
            superseded: "re-verified",
            build: "build",
        }
    }
}

#[cfg(test)]
mod carrier_names {
    #[test]
    fn carrier_names_come_from_the_carriers_file() {
        assert_eq!(super::carrier_name("docomo", "ja"), "NTTドコモ");
        assert_eq!(super::carrier_name("softbank", "en"), "SoftBank");
        assert_eq!(super::carrier_name("ymobile", "ja"), "ワイモバイル");
        assert_eq!(super::carrier_name("mystery", "ja"), "mystery");
    }
}

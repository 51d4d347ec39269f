//! uiautomator dumps: parsing the `<hierarchy>` XML into nodes, selecting nodes, and short excerpts for
//! evidence (password fields masked).

use serde::Deserialize;
use thiserror::Error;

/// A UI dump that could not be understood.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum UiError {
    /// Not well-formed XML.
    #[error("UI dump is not well-formed XML: {0}")]
    Xml(String),
    /// The root element is not `<hierarchy>`.
    #[error("UI dump root is <{0}>, expected <hierarchy>")]
    NotHierarchy(String),
    /// A node's `bounds` is missing or not `[x1,y1][x2,y2]`.
    #[error("UI node #{node} has bad bounds {value:?} (expected [x1,y1][x2,y2])")]
    BadBounds { node: usize, value: String },
    /// A boolean attribute is neither `true` nor `false`.
    #[error("UI node #{node} has bad attribute {name}={value:?}")]
    BadAttribute {
        node: usize,
        name: String,
        value: String,
    },
    /// The shell did not print a hierarchy at all.
    #[error("no <hierarchy> in uiautomator output: {0}")]
    NoDump(String),
}

/// A node's rectangle on screen, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bounds {
    pub x1: i32,
    pub y1: i32,
    pub x2: i32,
    pub y2: i32,
}

impl Bounds {
    /// Parses `[x1,y1][x2,y2]`.
    pub fn parse(s: &str) -> Option<Bounds> {
        let rest = s.trim().strip_prefix('[')?;
        let (a, rest) = rest.split_once("][")?;
        let b = rest.strip_suffix(']')?;
        let (x1, y1) = a.split_once(',')?;
        let (x2, y2) = b.split_once(',')?;
        let n = |t: &str| t.trim().parse::<i32>().ok();
        let out = Bounds {
            x1: n(x1)?,
            y1: n(y1)?,
            x2: n(x2)?,
            y2: n(y2)?,
        };
        (out.x1 <= out.x2 && out.y1 <= out.y2).then_some(out)
    }
    /// The centre point (where a tap lands).
    pub fn center(&self) -> (i32, i32) {
        ((self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2)
    }
    /// Whether a point lies inside.
    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x1 && x < self.x2 && y >= self.y1 && y < self.y2
    }
}

/// One `<node>` of a dump.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UiNode {
    pub text: String,
    pub resource_id: String,
    pub class: String,
    pub package: String,
    pub content_desc: String,
    pub checkable: bool,
    pub checked: bool,
    pub clickable: bool,
    pub enabled: bool,
    pub focused: bool,
    pub password: bool,
    pub bounds: Bounds,
}

/// Which node a flow step means: every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// Exact text.
    #[serde(default)]
    pub text: Option<String>,
    /// Exact resource id (`package:id/name`).
    #[serde(default)]
    pub resource_id: Option<String>,
    /// Substring of the text or content description.
    #[serde(default)]
    pub text_contains: Option<String>,
}

impl Selector {
    /// A selector by exact text.
    pub fn text(t: &str) -> Self {
        Selector {
            text: Some(t.to_string()),
            ..Selector::default()
        }
    }
    /// True when no field is set (such a selector would match anything).
    pub fn is_empty(&self) -> bool {
        self.text.is_none() && self.resource_id.is_none() && self.text_contains.is_none()
    }
    /// Whether a node matches.
    pub fn matches(&self, n: &UiNode) -> bool {
        !self.is_empty()
            && self.text.as_ref().is_none_or(|t| n.text == *t)
            && self
                .resource_id
                .as_ref()
                .is_none_or(|r| n.resource_id == *r)
            && self
                .text_contains
                .as_ref()
                .is_none_or(|t| n.text.contains(t.as_str()) || n.content_desc.contains(t.as_str()))
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(t) = &self.text {
            parts.push(format!("text={t:?}"));
        }
        if let Some(r) = &self.resource_id {
            parts.push(format!("resource_id={r:?}"));
        }
        if let Some(t) = &self.text_contains {
            parts.push(format!("text_contains={t:?}"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// A parsed dump: its nodes in document order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UiTree {
    pub nodes: Vec<UiNode>,
}

impl UiTree {
    /// Parses uiautomator XML.
    pub fn parse(xml: &str) -> Result<UiTree, UiError> {
        let doc = roxmltree::Document::parse(xml).map_err(|e| UiError::Xml(e.to_string()))?;
        let root = doc.root_element();
        if root.tag_name().name() != "hierarchy" {
            return Err(UiError::NotHierarchy(root.tag_name().name().to_string()));
        }
        let mut nodes = Vec::new();
        for (i, el) in root
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "node")
            .enumerate()
        {
            let s = |name: &str| el.attribute(name).unwrap_or_default().to_string();
            let b = |name: &str| -> Result<bool, UiError> {
                match el.attribute(name) {
                    None | Some("false") => Ok(false),
                    Some("true") => Ok(true),
                    Some(v) => Err(UiError::BadAttribute {
                        node: i,
                        name: name.to_string(),
                        value: v.to_string(),
                    }),
                }
            };
            let raw_bounds = el.attribute("bounds").unwrap_or_default();
            let bounds = Bounds::parse(raw_bounds).ok_or_else(|| UiError::BadBounds {
                node: i,
                value: raw_bounds.to_string(),
            })?;
            nodes.push(UiNode {
                text: s("text"),
                resource_id: s("resource-id"),
                class: s("class"),
                package: s("package"),
                content_desc: s("content-desc"),
                checkable: b("checkable")?,
                checked: b("checked")?,
                clickable: b("clickable")?,
                enabled: b("enabled")?,
                focused: b("focused")?,
                password: b("password")?,
                bounds,
            });
        }
        Ok(UiTree { nodes })
    }

    /// Parses the stdout of `uiautomator dump /dev/tty` (XML followed by a status line).
    pub fn parse_dump_output(out: &str) -> Result<UiTree, UiError> {
        let start = out.find("<?xml").or_else(|| out.find("<hierarchy"));
        let end = out.rfind("</hierarchy>").map(|e| e + "</hierarchy>".len());
        match (start, end) {
            (Some(s), Some(e)) if s < e => UiTree::parse(&out[s..e]),
            _ => Err(UiError::NoDump(out.chars().take(120).collect())),
        }
    }

    /// The first node that matches.
    pub fn find(&self, sel: &Selector) -> Option<&UiNode> {
        self.nodes.iter().find(|n| sel.matches(n))
    }

    /// Every non-empty text (password fields excluded), in order.
    pub fn texts(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| !n.password && !n.text.is_empty())
            .map(|n| n.text.clone())
            .collect()
    }

    /// A short readable list of the visible nodes, for evidence; password fields show as `•••`.
    pub fn excerpt(&self) -> String {
        let mut items = Vec::new();
        for n in &self.nodes {
            let label = if n.password {
                "•••".to_string()
            } else if !n.text.is_empty() {
                n.text.clone()
            } else if !n.content_desc.is_empty() {
                format!("({})", n.content_desc)
            } else {
                continue;
            };
            let kind = n.class.rsplit('.').next().unwrap_or_default();
            let mark = if n.checkable {
                if n.checked { "[x] " } else { "[ ] " }
            } else {
                ""
            };
            items.push(format!("{kind}: {mark}{label}"));
        }
        const MAX: usize = 40;
        let more = items.len().saturating_sub(MAX);
        items.truncate(MAX);
        if more > 0 {
            items.push(format!("… {more} more"));
        }
        items.join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const DUMP: &str = r#"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0"><node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="jp.go.digital.mynaportal" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][1080,2400]"><node index="0" text="申請する" resource-id="jp.go.digital.mynaportal:id/apply" class="android.widget.Button" package="jp.go.digital.mynaportal" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[40,200][1040,320]" /><node index="1" text="SECRET99" resource-id="jp.go.digital.mynaportal:id/pw" class="android.widget.EditText" package="jp.go.digital.mynaportal" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="true" scrollable="false" long-clickable="false" password="true" selected="false" bounds="[40,340][1040,460]" /><node index="2" text="" resource-id="" class="android.widget.ImageView" package="x" content-desc="戻る" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][100,100]" /></node></hierarchy>"#;

    #[test]
    fn parses_a_real_shaped_dump() {
        let t = UiTree::parse(DUMP).unwrap();
        assert_eq!(t.nodes.len(), 4);
        let apply = t.find(&Selector::text("申請する")).unwrap();
        assert!(apply.clickable);
        assert_eq!(apply.bounds.center(), (540, 260));
        let pw = t
            .find(&Selector {
                resource_id: Some("jp.go.digital.mynaportal:id/pw".into()),
                ..Selector::default()
            })
            .unwrap();
        assert!(pw.password && pw.focused);
        let back = t
            .find(&Selector {
                text_contains: Some("戻".into()),
                ..Selector::default()
            })
            .unwrap();
        assert_eq!(back.class, "android.widget.ImageView");
        assert_eq!(t.texts(), vec!["申請する".to_string()]);
        let ex = t.excerpt();
        assert!(ex.contains("Button: 申請する"), "{ex}");
        assert!(ex.contains("•••") && !ex.contains("SECRET99"), "{ex}");
        assert!(t.find(&Selector::default()).is_none());
    }

    #[test]
    fn dump_output_with_status_line_parses() {
        let out = format!("{DUMP}UI hierchary dumped to: /dev/tty\n");
        assert_eq!(UiTree::parse_dump_output(&out).unwrap().nodes.len(), 4);
        assert!(matches!(
            UiTree::parse_dump_output("ERROR: could not get idle state."),
            Err(UiError::NoDump(_))
        ));
    }

    #[rstest]
    #[case("[0,0][10,10]", Some(Bounds { x1: 0, y1: 0, x2: 10, y2: 10 }))]
    #[case("[0,0][10]", None)]
    #[case("0,0,10,10", None)]
    #[case("[a,0][10,10]", None)]
    #[case("[10,10][0,0]", None)]
    #[case("", None)]
    fn bounds_parse(#[case] s: &str, #[case] want: Option<Bounds>) {
        assert_eq!(Bounds::parse(s), want);
    }

    #[test]
    fn bad_bounds_names_node_and_value() {
        let xml = DUMP.replace("[40,340][1040,460]", "[40,340][x,460]");
        let err = UiTree::parse(&xml).unwrap_err();
        assert_eq!(
            err,
            UiError::BadBounds {
                node: 2,
                value: "[40,340][x,460]".into()
            }
        );
        assert!(err.to_string().contains("[40,340][x,460]"));
    }

    #[test]
    fn bad_boolean_is_refused() {
        let xml = DUMP.replacen("clickable=\"true\"", "clickable=\"yes\"", 1);
        assert!(matches!(
            UiTree::parse(&xml),
            Err(UiError::BadAttribute { node: 1, ref name, .. }) if name == "clickable"
        ));
    }

    #[rstest]
    #[case("<hierarchy><node bounds=\"[0,0][1,1]\"></hierarchy>")]
    #[case("<hierarchy")]
    #[case("")]
    fn malformed_xml_is_an_error(#[case] xml: &str) {
        let err = UiTree::parse(xml).unwrap_err();
        assert!(matches!(err, UiError::Xml(_)), "{err:?}");
    }

    #[test]
    fn wrong_root_is_named() {
        assert_eq!(
            UiTree::parse("<screen/>"),
            Err(UiError::NotHierarchy("screen".into()))
        );
    }

    #[test]
    fn truncated_dumps_never_parse() {
        for cut in 1..DUMP.len() {
            if DUMP.is_char_boundary(cut) {
                assert!(UiTree::parse(&DUMP[..cut]).is_err(), "prefix {cut} parsed");
            }
        }
    }
}

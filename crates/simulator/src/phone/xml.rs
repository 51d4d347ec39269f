//! uiautomator XML for the virtual phone's screens, in the shape Android writes it.

use super::screens::{Kind, Widget};
use crate::ui::Bounds;

/// Screen size of every virtual phone.
pub(crate) const SCREEN: Bounds = Bounds {
    x1: 0,
    y1: 0,
    x2: 1080,
    y2: 2400,
};

/// Where the i-th widget of a screen sits (a vertical list).
pub(crate) fn layout(i: usize) -> Bounds {
    let i = i32::try_from(i).unwrap_or(i32::MAX / 200).min(15);
    Bounds {
        x1: 40,
        y1: 160 + i * 140,
        x2: 1040,
        y2: 280 + i * 140,
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
}

fn b(v: bool) -> &'static str {
    if v { "true" } else { "false" }
}

/// One `<node …>` with every attribute uiautomator writes.
struct NodeAttrs<'a> {
    index: usize,
    text: &'a str,
    resource_id: String,
    class: &'a str,
    package: &'a str,
    checkable: bool,
    checked: bool,
    clickable: bool,
    focused: bool,
    password: bool,
    bounds: Bounds,
}

fn open_node(out: &mut String, a: &NodeAttrs, self_close: bool) {
    out.push_str(&format!(
        "<node index=\"{}\" text=\"{}\" resource-id=\"{}\" class=\"{}\" package=\"{}\" content-desc=\"\" checkable=\"{}\" checked=\"{}\" clickable=\"{}\" enabled=\"true\" focusable=\"{}\" focused=\"{}\" scrollable=\"false\" long-clickable=\"false\" password=\"{}\" selected=\"false\" bounds=\"[{},{}][{},{}]\"{}>",
        a.index,
        esc(a.text),
        esc(&a.resource_id),
        a.class,
        esc(a.package),
        b(a.checkable),
        b(a.checked),
        b(a.clickable),
        b(a.clickable),
        b(a.focused),
        b(a.password),
        a.bounds.x1,
        a.bounds.y1,
        a.bounds.x2,
        a.bounds.y2,
        if self_close { " /" } else { "" },
    ));
}

/// The hierarchy of an app screen. Password fields show one `•` per character, never the value.
pub(crate) fn app_hierarchy(
    package: &str,
    widgets: &[Widget],
    fields: &[String],
    focus: Option<usize>,
) -> String {
    let mut out = String::from(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">",
    );
    open_node(
        &mut out,
        &NodeAttrs {
            index: 0,
            text: "",
            resource_id: String::new(),
            class: "android.widget.FrameLayout",
            package,
            checkable: false,
            checked: false,
            clickable: false,
            focused: false,
            password: false,
            bounds: SCREEN,
        },
        false,
    );
    for (i, w) in widgets.iter().enumerate() {
        let (class, text, checkable, checked, focused, password) = match &w.kind {
            Kind::Label => (
                "android.widget.TextView",
                w.text.clone(),
                false,
                false,
                false,
                false,
            ),
            Kind::Button => (
                "android.widget.Button",
                w.text.clone(),
                false,
                false,
                false,
                false,
            ),
            Kind::Check { checked } => (
                "android.widget.CheckBox",
                w.text.clone(),
                true,
                *checked,
                false,
                false,
            ),
            Kind::Field { index, password } => {
                let value = fields.get(*index).cloned().unwrap_or_default();
                let shown = if *password {
                    "•".repeat(value.chars().count())
                } else {
                    value
                };
                (
                    "android.widget.EditText",
                    shown,
                    false,
                    false,
                    focus == Some(*index),
                    *password,
                )
            }
        };
        let resource_id = if w.id.is_empty() {
            String::new()
        } else {
            format!("{package}:id/{}", w.id)
        };
        open_node(
            &mut out,
            &NodeAttrs {
                index: i,
                text: &text,
                resource_id,
                class,
                package,
                checkable,
                checked,
                clickable: w.kind != Kind::Label,
                focused,
                password,
                bounds: layout(i),
            },
            true,
        );
    }
    out.push_str("</node></hierarchy>");
    out
}

/// The home screen (app not in the foreground).
pub(crate) fn launcher_hierarchy() -> String {
    let mut out = String::from(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">",
    );
    open_node(
        &mut out,
        &NodeAttrs {
            index: 0,
            text: "ホーム",
            resource_id: "com.android.launcher3:id/workspace".into(),
            class: "android.widget.FrameLayout",
            package: "com.android.launcher3",
            checkable: false,
            checked: false,
            clickable: false,
            focused: false,
            password: false,
            bounds: SCREEN,
        },
        true,
    );
    out.push_str("</hierarchy>");
    out
}

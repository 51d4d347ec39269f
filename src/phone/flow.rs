//! The Mynaportal app's UI flows as data (`fixtures/flows/mynaportal.yaml`): the app's identity, the
//! features and where they show, the error texts by class, and the step lists of each flow.
//!
//! ```yaml
//! app: { package: jp.go.digital.mynaportal, activity: .MainActivity, apk: app/mynaportal-sim.apk }
//! settings: { wait_polls: 20, wait_interval_ms: 500 }
//! features:
//!   provisioning: { reach: [], selector: { text: スマホ用電子証明書を申請する } }
//! errors:
//!   network: [通信エラー]
//! flows:
//!   revoke:
//!     - tap: { text: 失効 }
//!     - when: { var: certs, has: sign, steps: [ { tap: { text: 署名用電子証明書 } } ] }
//!     - enter: { selector: { resource_id: "jp.go.digital.mynaportal:id/pw" }, value: phone_sign_password }
//!     - back
//! ```

use crate::phone::ui::Selector;
use crate::types::Feature;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use thiserror::Error;

/// Flow names the harness relies on.
pub const REQUIRED_FLOWS: &[&str] = &[
    "provision",
    "register",
    "open_my_page",
    "revoke",
    "revoke_other",
];

/// Error classes every flow book must define texts for.
pub const REQUIRED_ERRORS: &[&str] = &[
    "network",
    "card-required",
    "suspended",
    "not-offered",
    "wrong-password",
    "locked",
    "not-registered",
];

/// Class of a flow that stopped on a screen showing no known error text.
pub const UNEXPECTED_SCREEN: &str = "unexpected-screen";

/// Class of a flow that could not start because the app is not installed.
pub const APP_NOT_INSTALLED: &str = "app-not-installed";

/// A flow book that could not be loaded; `Display` is `file:line:col: message`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{file}:{line}:{column}: {message}")]
pub struct FlowError {
    pub file: String,
    /// 1-based; 0 when unknown.
    pub line: u64,
    /// 1-based; 0 when unknown.
    pub column: u64,
    pub message: String,
}

/// The app under test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    /// Android package name.
    pub package: String,
    /// Launcher activity (`.Main` or fully qualified).
    pub activity: String,
    /// APK path, relative to `fixtures/`.
    pub apk: String,
}

impl AppSpec {
    /// `package/activity` for `am start -n`.
    pub fn component(&self) -> String {
        format!("{}/{}", self.package, self.activity)
    }
}

/// Polling of `wait` steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WaitSettings {
    /// UI dumps taken before a wait gives up.
    pub wait_polls: u32,
    /// Pause between dumps (0 in the virtual lab).
    pub wait_interval_ms: u64,
}

impl Default for WaitSettings {
    fn default() -> Self {
        WaitSettings {
            wait_polls: 20,
            wait_interval_ms: 500,
        }
    }
}

/// `enter`: tap a field, then type a variable's value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnterStep {
    pub selector: Selector,
    /// Variable name, e.g. `card_sign_password`.
    pub value: String,
}

/// `when`: run steps only when a variable's comma-separated items include `has`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhenStep {
    pub var: String,
    pub has: String,
    pub steps: Vec<Spanned<FlowStep>>,
}

/// One UI step.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FlowStep {
    /// Wait for the node, then tap its centre.
    Tap(Selector),
    /// Tap the node if the current screen shows it; go on otherwise.
    OptionalTap(Selector),
    /// Wait for the field, tap it, type the variable's value.
    Enter(EnterStep),
    /// Poll the screen until the node shows.
    Wait(Selector),
    /// The current screen must not show the node.
    ExpectAbsent(Selector),
    /// The back key.
    Back,
    /// Conditional steps.
    When(WhenStep),
}

/// Where a feature shows and how to get there from the app's start screen.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// Steps from the start screen to the screen that shows the feature (if offered).
    #[serde(default)]
    pub reach: Vec<Spanned<FlowStep>>,
    /// The node that shows the feature.
    pub selector: Selector,
}

/// The whole flow file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowBook {
    pub app: AppSpec,
    #[serde(default)]
    pub settings: WaitSettings,
    pub features: HashMap<Feature, FeatureSpec>,
    /// Error class → texts (substrings) that identify it on screen.
    pub errors: BTreeMap<String, Vec<String>>,
    /// Flow name → steps.
    pub flows: BTreeMap<String, Vec<Spanned<FlowStep>>>,
}

impl FlowBook {
    /// Loads and validates a flow file.
    pub fn load(path: &Path) -> Result<FlowBook, FlowError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| FlowError {
            file: file.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        })?;
        FlowBook::parse(&text, &file)
    }

    /// Parses and validates flow YAML; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<FlowBook, FlowError> {
        let book: FlowBook = serde_saphyr::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            FlowError {
                file: file.to_string(),
                line,
                column,
                message: first_line(&e.to_string()),
            }
        })?;
        book.validate(file)?;
        Ok(book)
    }

    /// The error class whose texts appear in `texts`, with the text that matched.
    pub fn classify<'a>(&self, texts: &'a [String]) -> Option<(&str, &'a str)> {
        for (class, needles) in &self.errors {
            for t in texts {
                if needles.iter().any(|n| t.contains(n.as_str())) {
                    return Some((class.as_str(), t.as_str()));
                }
            }
        }
        None
    }

    fn validate(&self, file: &str) -> Result<(), FlowError> {
        let err = |line: u64, column: u64, message: String| FlowError {
            file: file.to_string(),
            line,
            column,
            message,
        };
        for name in REQUIRED_FLOWS {
            if !self.flows.contains_key(*name) {
                return Err(err(0, 0, format!("flows: missing required flow `{name}`")));
            }
        }
        for class in REQUIRED_ERRORS {
            if !self.errors.contains_key(*class) {
                return Err(err(
                    0,
                    0,
                    format!("errors: missing required class `{class}`"),
                ));
            }
        }
        for (class, texts) in &self.errors {
            if texts.is_empty() || texts.iter().any(|t| t.is_empty()) {
                return Err(err(0, 0, format!("errors.{class}: needs non-empty texts")));
            }
        }
        for f in [
            Feature::Provisioning,
            Feature::RevokeOther,
            Feature::Biometrics,
            Feature::SuspensionHelp,
        ] {
            let Some(spec) = self.features.get(&f) else {
                return Err(err(0, 0, format!("features: missing {f:?}")));
            };
            if spec.selector.is_empty() {
                return Err(err(0, 0, format!("features: {f:?} has an empty selector")));
            }
            check_steps(&spec.reach, &err)?;
        }
        for steps in self.flows.values() {
            check_steps(steps, &err)?;
        }
        Ok(())
    }
}

fn check_steps(
    steps: &[Spanned<FlowStep>],
    err: &dyn Fn(u64, u64, String) -> FlowError,
) -> Result<(), FlowError> {
    for s in steps {
        let at = (s.referenced.line(), s.referenced.column());
        let bad = |m: &str| Err(err(at.0, at.1, m.to_string()));
        match &s.value {
            FlowStep::Tap(sel)
            | FlowStep::OptionalTap(sel)
            | FlowStep::Wait(sel)
            | FlowStep::ExpectAbsent(sel) => {
                if sel.is_empty() {
                    return bad("selector needs text, resource_id or text_contains");
                }
            }
            FlowStep::Enter(e) => {
                if e.selector.is_empty() {
                    return bad("enter: selector needs text, resource_id or text_contains");
                }
                if e.value.is_empty() {
                    return bad("enter: value must name a variable");
                }
            }
            FlowStep::Back => {}
            FlowStep::When(w) => {
                if w.var.is_empty() || w.has.is_empty() {
                    return bad("when: var and has must be non-empty");
                }
                check_steps(&w.steps, err)?;
            }
        }
    }
    Ok(())
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_path() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/flows/mynaportal.yaml")
    }

    #[test]
    fn fixture_loads_with_every_required_flow() {
        let book = FlowBook::load(&fixture_path()).unwrap();
        for f in REQUIRED_FLOWS {
            assert!(!book.flows[*f].is_empty(), "{f}");
        }
        assert_eq!(book.app.package, "jp.go.digital.mynaportal");
        assert!(book.features.contains_key(&Feature::RevokeOther));
    }

    fn minimal(extra_flow_step: &str) -> String {
        let flows: String = REQUIRED_FLOWS
            .iter()
            .map(|f| format!("  {f}:\n    - back\n"))
            .collect();
        let errors: String = REQUIRED_ERRORS
            .iter()
            .map(|c| format!("  {c}: [x{c}]\n"))
            .collect();
        format!(
            "app: {{ package: p, activity: .A, apk: a.apk }}\nfeatures:\n  provisioning: {{ selector: {{ text: a }} }}\n  revoke-other: {{ selector: {{ text: b }} }}\n  biometrics: {{ selector: {{ text: c }} }}\n  suspension-help: {{ reach: [ {{ tap: {{ text: m }} }} ], selector: {{ text_contains: d }} }}\nerrors:\n{errors}flows:\n{flows}  extra:\n{extra_flow_step}"
        )
    }

    #[test]
    fn minimal_book_parses_all_step_kinds() {
        let steps = "    - tap: { text: a }\n    - optional_tap: { resource_id: r }\n    - enter: { selector: { text: f }, value: v }\n    - wait: { text_contains: w }\n    - expect_absent: { text: z }\n    - back\n    - when: { var: certs, has: sign, steps: [ back ] }\n";
        let book = FlowBook::parse(&minimal(steps), "m.yaml").unwrap();
        assert_eq!(book.flows["extra"].len(), 7);
        assert!(matches!(book.flows["extra"][6].value, FlowStep::When(_)));
        assert_eq!(book.settings, WaitSettings::default());
    }

    #[test]
    fn unknown_key_is_refused_with_location() {
        let text = minimal("    - tap: { text: a, colour: red }\n");
        let e = FlowBook::parse(&text, "m.yaml").unwrap_err();
        assert_eq!(e.file, "m.yaml");
        assert!(e.line > 0, "{e}");
        assert!(e.to_string().starts_with("m.yaml:"), "{e}");
        assert!(e.message.contains("colour"), "{e}");
    }

    #[test]
    fn unknown_step_is_refused() {
        let e = FlowBook::parse(&minimal("    - swipe: { text: a }\n"), "m.yaml").unwrap_err();
        assert!(e.line > 0 && e.message.contains("swipe"), "{e}");
    }

    #[test]
    fn empty_selector_is_refused_at_its_line() {
        let text = minimal("    - back\n    - tap: {}\n");
        let e = FlowBook::parse(&text, "m.yaml").unwrap_err();
        let want_line = text.lines().position(|l| l.contains("tap: {}")).unwrap() as u64 + 1;
        assert_eq!(e.line, want_line, "{e}");
        assert!(e.message.contains("selector"));
    }

    #[test]
    fn missing_required_flow_or_class_is_named() {
        let text = minimal("    - back\n").replace("  revoke_other:\n    - back\n", "");
        let e = FlowBook::parse(&text, "m.yaml").unwrap_err();
        assert!(e.message.contains("revoke_other"), "{e}");
        let text = minimal("    - back\n").replace("  locked: [xlocked]\n", "");
        let e = FlowBook::parse(&text, "m.yaml").unwrap_err();
        assert!(e.message.contains("locked"), "{e}");
    }

    #[test]
    fn unreadable_file_is_named() {
        let e = FlowBook::load(Path::new("/nonexistent/flows.yaml")).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("/nonexistent/flows.yaml", 0));
        assert!(e.message.starts_with("cannot read"), "{e}");
    }

    #[test]
    fn classify_finds_class_and_text() {
        let book = FlowBook::parse(&minimal("    - back\n"), "m.yaml").unwrap();
        let texts = vec!["hello".to_string(), "oops xnetwork here".to_string()];
        assert_eq!(
            book.classify(&texts),
            Some(("network", "oops xnetwork here"))
        );
        assert_eq!(book.classify(&["calm".to_string()]), None);
    }
}

//! First pass: YAML text → model types through serde-saphyr, with budgets for untrusted input and
//! error messages that name the kind of thing that was misspelt and suggest the nearest valid one.
//! Also a second, lenient pass that records where things are ([`SuiteSpans`]) for the validator.

use super::error::{LoadError, Pos};
use super::help::{self, FileHelp};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_saphyr::{Error as YamlError, MessageFormatter, Spanned, UserMessageFormatter};
use std::collections::HashMap;
use std::path::Path;

/// Largest suite or profile file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// serde-saphyr options for suite files: one document, small budgets, no alias bombs.
fn options() -> serde_saphyr::Options {
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = 50_000;
    alias_limits.max_replay_stack_depth = 16;
    alias_limits.max_alias_expansions_per_anchor = 1_000;
    serde_saphyr::options! {
        alias_limits: alias_limits,
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(MAX_FILE_BYTES as usize),
            max_events: 200_000,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_depth: 32,
            max_documents: 1,
            max_nodes: 100_000,
            max_total_scalar_bytes: 1 << 20,
            max_merge_keys: 100,
        },
    }
}

/// Parses `source` as `T`; a failure becomes a [`LoadError`] with a position, a message and a hint.
pub fn parse<T: DeserializeOwned>(path: &Path, source: &str) -> Result<T, LoadError> {
    serde_saphyr::from_str_with_options(source, options()).map_err(|e| convert(path, source, &e))
}

/// Parses leniently (unknown keys ignored); `None` on any error.
pub fn parse_lenient<T: DeserializeOwned>(source: &str) -> Option<T> {
    serde_saphyr::from_str_with_options(source, options()).ok()
}

/// Converts a serde-saphyr error into a [`LoadError`] at its location.
pub fn convert(path: &Path, source: &str, err: &YamlError) -> LoadError {
    convert_with(path, source, err, None)
}

/// [`convert`], with the descriptions of `help` for missing keys.
pub fn convert_with(
    path: &Path,
    source: &str,
    err: &YamlError,
    help: Option<&FileHelp>,
) -> LoadError {
    let pos = err
        .location()
        .and_then(|l| Pos::from_location(&l))
        .unwrap_or(Pos::START);
    let (message, hint) = match err.without_snippet() {
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => help::unknown_variant(variant, expected),
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => help::unknown_key(field, expected),
        YamlError::SerdeMissingField { field, .. } => (
            format!("missing key `{field}`"),
            help.and_then(|h| h.describe(field)).map(str::to_string),
        ),
        YamlError::Budget { breach, .. } => (budget_message(breach), None),
        YamlError::MultipleDocuments { .. } => (ONE_DOCUMENT.to_string(), None),
        _ => (user_message(err), None),
    };
    LoadError::new(path, Some(source), pos, message, hint)
}

/// True for a file with nothing but blank lines and comments.
pub fn is_blank(source: &str) -> bool {
    source.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t == "..."
    })
}

/// Parses `source` as `T`, a file of the kind `help` describes. On failure, every problem of the file
/// (see [`super::recover`]), in position order, each at its `file:line:column`.
pub fn parse_all<T: DeserializeOwned>(
    path: &Path,
    source: &str,
    help: &FileHelp,
) -> Result<T, Vec<LoadError>> {
    if is_blank(source) {
        return Err(vec![LoadError::new(
            path,
            Some(source),
            Pos::START,
            help.empty_message(),
            Some(help.example.to_string()),
        )]);
    }
    let err = match serde_saphyr::from_str_with_options(source, options()) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let all = super::recover::check_all::<T>(path, source, help);
    // The strict parser has the last word: when the tree pass finds nothing (a YAML syntax error, or a
    // rule only the strict parser knows, such as a key written twice in a mapping), its problem is the
    // one reported. Otherwise the tree pass's problems stand for it (its words and positions for the
    // same problem can differ), and whatever else the strict parser knows shows once they are fixed.
    if all.is_empty() {
        return Err(vec![convert_with(path, source, &err, Some(help))]);
    }
    Err(all)
}

const ONE_DOCUMENT: &str = "a suite file holds one YAML document (found a `---` separator)";

fn budget_message(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Documents { .. } => ONE_DOCUMENT.to_string(),
        B::Depth { .. } => "nested too deeply for a suite file".to_string(),
        B::Aliases { .. } | B::Anchors { .. } => "too many anchors or aliases".to_string(),
        other => format!("too large or complex for a suite file ({other:?})"),
    }
}

fn user_message(err: &YamlError) -> String {
    UserMessageFormatter
        .format_message(err.without_snippet())
        .into_owned()
}

// ---- second pass: where things are

/// Positions of the parts of a suite file the validator points at.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SuiteSpans {
    /// The `suite:` value.
    pub suite: Option<Spanned<String>>,
    /// One per scenario, in file order.
    pub scenarios: Vec<ScenarioSpans>,
}

/// Positions inside one scenario.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ScenarioSpans {
    /// The `id:` value.
    pub id: Option<Spanned<String>>,
    /// Role name (with its position) → its spans.
    pub roles: HashMap<Spanned<String>, RoleSpans>,
    /// Precondition keys with their positions.
    pub preconditions: HashMap<Spanned<String>, IgnoredAny>,
    /// Per step: step name → key → position of the value.
    pub steps: Vec<HashMap<String, HashMap<String, Spanned<IgnoredAny>>>>,
}

/// Positions inside a role.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleSpans {
    /// `phone:` body.
    pub phone: Option<PhoneSpans>,
    /// `identity:` body.
    pub identity: Option<IdentitySpans>,
}

/// Positions inside a phone role.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PhoneSpans {
    /// Each capability.
    pub requires: Vec<Spanned<String>>,
}

/// Positions inside an identity role.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IdentitySpans {
    /// The fixture id.
    pub fixture: Option<Spanned<String>>,
}

/// Positions in a certification profile.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileSpans {
    /// `mandatory` entries.
    pub mandatory: Vec<Spanned<String>>,
    /// `unsupported` entries.
    pub unsupported: Vec<Spanned<String>>,
}

/// Only the top-level keys of a file (to tell a profile from a suite).
#[derive(Debug, Default, Deserialize)]
pub struct TopKeys(pub HashMap<String, IgnoredAny>);

/// Position of a spanned value, if known.
pub fn pos_of<T>(s: &Spanned<T>) -> Option<Pos> {
    Pos::from_location(&s.referenced)
}

impl ScenarioSpans {
    /// Position of the value of `key` in step `index`, if recorded.
    pub fn step_key(&self, index: usize, step: &str, key: &str) -> Option<Pos> {
        self.steps.get(index)?.get(step)?.get(key).and_then(pos_of)
    }
    /// Position of the name of role `name`.
    pub fn role_name(&self, name: &str) -> Option<Pos> {
        self.roles.keys().find(|k| k.value == name).and_then(pos_of)
    }
    /// Spans of role `name`.
    pub fn role(&self, name: &str) -> Option<&RoleSpans> {
        self.roles
            .iter()
            .find(|(k, _)| k.value == name)
            .map(|(_, v)| v)
    }
    /// Position of precondition key `name`.
    pub fn precondition(&self, name: &str) -> Option<Pos> {
        self.preconditions
            .keys()
            .find(|k| k.value == name)
            .and_then(pos_of)
    }
}

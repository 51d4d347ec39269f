//! Second pass: checks that serde cannot make (roles, capabilities, error classes, variables, unique ids),
//! each reported at the position of the offending value.

use super::error::{LoadError, Pos};
use super::model::{PinChoice, RoleSpec, Scenario, Step, Suite};
use super::parse::{ScenarioSpans, SuiteSpans, pos_of};
use super::steps::RoleKind;
use super::suggest::did_you_mean;
use super::vars::{Piece, parse_template};
use crate::profile::CAPABILITIES;
use crate::types::PinKind;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Every app error class an `expect-error` may name.
pub const ERROR_CLASSES: [&str; 7] = [
    "network",
    "card-required",
    "suspended",
    "not-offered",
    "wrong-password",
    "locked",
    "not-registered",
];

/// Pairs of capabilities no model has at once.
const EXCLUSIVE: [(&str, &str); 3] = [
    ("supported", "unsupported"),
    ("biometrics", "no_biometrics"),
    ("se_rsa2048", "se_p256"),
];

/// What the validator knows beyond the files.
#[derive(Debug, Clone)]
pub struct ValidationContext {
    /// Known identity fixture ids (`fixtures/identities/*.yaml`). `None` only where a file is checked on
    /// its own ([`super::load_suite`]); an empty list refuses every fixture.
    pub identity_fixtures: Option<Vec<String>>,
    /// Suite ids taken by the project's suite files (`suites/`): a file loaded beside them must not reuse
    /// one. Files that are themselves being loaded are left out when loading.
    pub project_suites: Vec<TakenSuite>,
}

/// A suite id and where it is declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenSuite {
    pub id: String,
    pub path: PathBuf,
    pub pos: Pos,
}

impl ValidationContext {
    /// A context whose fixtures are the `*.yaml` stems in `dir`, the identities directory
    /// (`fixtures/identities`). A directory without any identity is an error: no fixture could be checked.
    pub fn from_identities_dir(dir: &Path) -> Result<ValidationContext, LoadError> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            LoadError::file(dir, format!("cannot read the identities directory: {e}"))
        })?;
        let mut ids = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "yaml")
                && let Some(stem) = p.file_stem().and_then(|s| s.to_str())
            {
                ids.push(stem.to_string());
            }
        }
        if ids.is_empty() {
            return Err(LoadError::file(
                dir,
                "no identity fixture (*.yaml) here: scenarios' `identity: { fixture: … }` could name none",
            ));
        }
        ids.sort();
        Ok(ValidationContext {
            identity_fixtures: Some(ids),
            project_suites: Vec::new(),
        })
    }

    /// A context that checks no fixture, for a file checked on its own.
    pub fn without_fixtures() -> ValidationContext {
        ValidationContext {
            identity_fixtures: None,
            project_suites: Vec::new(),
        }
    }
}

/// Whether an id can be used in `suite/scenario` references.
fn id_problem(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("is empty")
    } else if id.contains('/') {
        Some("contains `/`")
    } else if id.chars().any(char::is_whitespace) {
        Some("contains white space")
    } else {
        None
    }
}

/// Collects errors for one file.
struct Sink<'a> {
    path: &'a Path,
    source: &'a str,
    errors: Vec<LoadError>,
}

impl Sink<'_> {
    fn push(&mut self, pos: Pos, message: String, hint: Option<String>) {
        self.errors.push(LoadError::new(
            self.path,
            Some(self.source),
            pos,
            message,
            hint,
        ));
    }
}

/// Checks one parsed suite on its own.
pub(crate) fn validate_suite(
    path: &Path,
    source: &str,
    suite: &Suite,
    spans: &SuiteSpans,
    ctx: &ValidationContext,
) -> Vec<LoadError> {
    let mut sink = Sink {
        path,
        source,
        errors: Vec::new(),
    };
    let suite_pos = spans.suite.as_ref().and_then(pos_of).unwrap_or(Pos::START);
    if let Some(problem) = id_problem(&suite.suite) {
        sink.push(
            suite_pos,
            format!("suite id `{}` {problem}", suite.suite),
            None,
        );
    }
    let fallback = ScenarioSpans::default();
    let mut seen: HashMap<&str, Pos> = HashMap::new();
    for (i, sc) in suite.scenarios.iter().enumerate() {
        let sp = spans.scenarios.get(i).unwrap_or(&fallback);
        let id_pos = sp.id.as_ref().and_then(pos_of).unwrap_or(suite_pos);
        if let Some(problem) = id_problem(&sc.id) {
            sink.push(id_pos, format!("scenario id `{}` {problem}", sc.id), None);
        }
        if let Some(first) = seen.get(sc.id.as_str()) {
            sink.push(
                id_pos,
                format!(
                    "duplicate scenario id `{}` (first defined at line {})",
                    sc.id, first.line
                ),
                None,
            );
        } else {
            seen.insert(&sc.id, id_pos);
        }
        if sc.steps.is_empty() {
            sink.push(id_pos, format!("scenario `{}` has no steps", sc.id), None);
        }
        check_roles(&mut sink, sc, sp, id_pos, ctx);
        check_preconditions(&mut sink, sc, sp, id_pos);
        for (j, step) in sc.steps.iter().enumerate() {
            let step_pos = Pos::from_location(&step.referenced).unwrap_or(id_pos);
            check_step(&mut sink, sc, sp, j, &step.value, step_pos);
        }
    }
    sink.errors
}

fn check_roles(
    sink: &mut Sink<'_>,
    sc: &Scenario,
    sp: &ScenarioSpans,
    id_pos: Pos,
    ctx: &ValidationContext,
) {
    for (name, spec) in &sc.roles {
        let name_pos = sp.role_name(name).unwrap_or(id_pos);
        let rs = sp.role(name);
        match spec {
            RoleSpec::Phone(phone) => {
                for cap in &phone.requires {
                    if !CAPABILITIES.contains(&cap.as_str()) {
                        let pos = rs
                            .and_then(|r| r.phone.as_ref())
                            .and_then(|p| p.requires.iter().find(|c| &c.value == cap))
                            .and_then(pos_of)
                            .unwrap_or(name_pos);
                        let hint = did_you_mean(cap, CAPABILITIES.iter().copied())
                            .or_else(|| Some(format!("capabilities: {}", CAPABILITIES.join(", "))));
                        sink.push(pos, format!("unknown capability `{cap}`"), hint);
                    }
                }
                for (a, b) in EXCLUSIVE {
                    if phone.requires.iter().any(|c| c == a)
                        && phone.requires.iter().any(|c| c == b)
                    {
                        sink.push(
                            name_pos,
                            format!(
                                "role `{name}` requires both `{a}` and `{b}`: no model has both"
                            ),
                            None,
                        );
                    }
                }
            }
            RoleSpec::Identity(who) => {
                let Some(fixture) = &who.fixture else {
                    continue;
                };
                let Some(known) = &ctx.identity_fixtures else {
                    continue;
                };
                if !known.contains(fixture) {
                    let pos = rs
                        .and_then(|r| r.identity.as_ref())
                        .and_then(|i| i.fixture.as_ref())
                        .and_then(pos_of)
                        .unwrap_or(name_pos);
                    let hint =
                        did_you_mean(fixture, known.iter().map(String::as_str)).or_else(|| {
                            Some(if known.is_empty() {
                                "no identity fixture is known (fixtures/identities/)".to_string()
                            } else {
                                format!("known fixtures: {}", known.join(", "))
                            })
                        });
                    sink.push(pos, format!("unknown identity fixture `{fixture}`"), hint);
                }
            }
        }
    }
}

fn check_preconditions(sink: &mut Sink<'_>, sc: &Scenario, sp: &ScenarioSpans, id_pos: Pos) {
    for name in sc.preconditions.keys() {
        let pos = sp.precondition(name).unwrap_or(id_pos);
        match sc.role_kind(name) {
            Some(RoleKind::Phone) => {}
            Some(RoleKind::Identity) => sink.push(
                pos,
                format!("preconditions apply to phone roles; `{name}` is an identity role"),
                phone_roles_hint(sc),
            ),
            None => sink.push(
                pos,
                format!("precondition for unknown role `{name}`"),
                did_you_mean(name, sc.roles_of(RoleKind::Phone)).or_else(|| phone_roles_hint(sc)),
            ),
        }
    }
}

fn roles_hint(sc: &Scenario, kind: RoleKind) -> Option<String> {
    let roles = sc.roles_of(kind);
    Some(if roles.is_empty() {
        format!("this scenario declares no {} role", kind.as_str())
    } else {
        format!("{} roles here: {}", kind.as_str(), roles.join(", "))
    })
}

fn phone_roles_hint(sc: &Scenario) -> Option<String> {
    roles_hint(sc, RoleKind::Phone)
}

fn check_step(
    sink: &mut Sink<'_>,
    sc: &Scenario,
    sp: &ScenarioSpans,
    j: usize,
    step: &Step,
    step_pos: Pos,
) {
    let name = step.name();
    let at = |key: &str| sp.step_key(j, name, key).unwrap_or(step_pos);
    for r in step.roles() {
        let pos = at(r.field);
        match sc.role_kind(r.role) {
            Some(kind) if kind == r.kind => {}
            Some(kind) => sink.push(
                pos,
                format!(
                    "`{}` of `{name}` needs a {} role, but `{}` is {} {} role",
                    r.field,
                    r.kind.as_str(),
                    r.role,
                    if kind == RoleKind::Identity {
                        "an"
                    } else {
                        "a"
                    },
                    kind.as_str()
                ),
                roles_hint(sc, r.kind),
            ),
            None => sink.push(
                pos,
                format!("unknown role `{}` in `{}` of `{name}`", r.role, r.field),
                did_you_mean(r.role, sc.roles_of(r.kind)).or_else(|| roles_hint(sc, r.kind)),
            ),
        }
    }
    if let Some(class) = step.expect_error()
        && !ERROR_CLASSES.contains(&class)
    {
        let hint = did_you_mean(class, ERROR_CLASSES)
            .or_else(|| Some(format!("error classes: {}", ERROR_CLASSES.join(", "))));
        sink.push(
            at("expect-error"),
            format!("unknown error class `{class}`"),
            hint,
        );
    }
    match step {
        Step::RevokeOther(s) if s.target == s.on => sink.push(
            at("target"),
            format!(
                "`target` must be another phone than `on` (both are `{}`)",
                s.on
            ),
            None,
        ),
        Step::VerifyPin(s) => {
            if s.expect_retries.is_some() && s.expect_blocked {
                sink.push(
                    step_pos,
                    "`expect-retries` and `expect-blocked` cannot both be set".into(),
                    None,
                );
            }
            if s.value == PinChoice::Query && s.expect_retries.is_none() && !s.expect_blocked {
                sink.push(
                    at("value"),
                    "`value: query` checks nothing without `expect-retries` or `expect-blocked`"
                        .into(),
                    None,
                );
            }
            let max = match s.pin {
                PinKind::Auth => 3,
                PinKind::Sign => 5,
            };
            if let Some(n) = s.expect_retries.filter(|n| *n > max) {
                sink.push(
                    at("expect-retries"),
                    format!("`expect-retries: {n}` is more than the {max} tries of that PIN"),
                    None,
                );
            }
        }
        Step::Revoke(s) => {
            if let Some(template) = &s.password {
                check_template(sink, sc, template, at("password"));
            }
        }
        _ => {}
    }
}

fn check_template(sink: &mut Sink<'_>, sc: &Scenario, template: &str, pos: Pos) {
    match parse_template(template) {
        Err(e) => {
            let hint = e.hint();
            sink.push(pos, format!("bad variable: {e}"), hint);
        }
        Ok(pieces) => {
            for piece in pieces {
                let Piece::Ref { role, .. } = piece else {
                    continue;
                };
                match sc.role_kind(role) {
                    Some(RoleKind::Identity) => {}
                    Some(RoleKind::Phone) => sink.push(
                        pos,
                        format!("bad variable: `{role}` is a phone role, not an identity role"),
                        roles_hint(sc, RoleKind::Identity),
                    ),
                    None => sink.push(
                        pos,
                        format!("bad variable: unknown identity role `{role}`"),
                        did_you_mean(role, sc.roles_of(RoleKind::Identity))
                            .or_else(|| roles_hint(sc, RoleKind::Identity)),
                    ),
                }
            }
        }
    }
}

//! Planning: which scenarios run on which model, and which unit or identity plays each role.

use super::result::SkipKind;
use crate::identity::Identity;
use crate::lab::UnitInfo;
use crate::profile::DeviceProfile;
use crate::scenario::model::{ModelChoice, RoleSpec, Scenario};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Roles bound for one execution.
#[derive(Debug, Clone)]
pub struct Binding {
    pub phones: BTreeMap<String, UnitInfo>,
    pub identities: BTreeMap<String, Identity>,
    /// Serial of the subject unit.
    pub subject: Option<UnitInfo>,
}

/// Why an execution cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// An identity role names an identity whose card the lab does not hold.
    IdentityMissing {
        role: String,
        identity: Option<String>,
    },
    /// The model lacks a capability a role requires: the scenario does not apply to it.
    Capability {
        role: String,
        capability: String,
        /// `CODE (name)`.
        model: String,
        has: Vec<String>,
    },
    /// The lab has no unit of the model.
    NoUnit { model_code: String },
    /// Fewer units of the model than the scenario's subject roles.
    TooFewUnits {
        needed: usize,
        have: usize,
        model_code: String,
    },
    /// No free reference unit for a role.
    NoReference { role: String },
    /// A unit of the binding was quarantined earlier in the run.
    Quarantined { serial: String, why: String },
    /// The lab's shared resources can never serve it (the schedule says why).
    Unschedulable(String),
}

impl SkipReason {
    /// What the skip means for a verdict.
    pub fn kind(&self) -> SkipKind {
        match self {
            SkipReason::Capability { .. } => SkipKind::NotApplicable,
            SkipReason::Quarantined { .. } => SkipKind::Quarantined,
            SkipReason::IdentityMissing { .. }
            | SkipReason::NoUnit { .. }
            | SkipReason::TooFewUnits { .. }
            | SkipReason::NoReference { .. }
            | SkipReason::Unschedulable(_) => SkipKind::LabLacks,
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::IdentityMissing { role, identity } => write!(
                f,
                "role `{role}` needs identity `{}`, which the lab does not hold",
                identity.as_deref().unwrap_or("(any)")
            ),
            SkipReason::Capability {
                role,
                capability,
                model,
                has,
            } => write!(
                f,
                "role `{role}` requires `{capability}`; {model} has [{}]",
                has.join(", ")
            ),
            SkipReason::NoUnit { model_code } => write!(f, "the lab has no unit of {model_code}"),
            SkipReason::TooFewUnits {
                needed,
                have,
                model_code,
            } => write!(
                f,
                "{needed} subject phones needed, the lab has {have} unit(s) of {model_code}"
            ),
            SkipReason::NoReference { role } => {
                write!(f, "no free reference unit for role `{role}`")
            }
            SkipReason::Unschedulable(why) => write!(f, "cannot be scheduled: {why}"),
            SkipReason::Quarantined { serial, why } => {
                write!(f, "unit {serial} quarantined: {why}")
            }
        }
    }
}

/// Bindings of a scenario for one model: one per subject unit (carrier variants), or why it cannot run.
pub fn bind(
    scenario: &Scenario,
    model: &Arc<DeviceProfile>,
    units: &[UnitInfo],
    identities: &[Identity],
) -> Result<Vec<Binding>, SkipReason> {
    // Identities first: they do not depend on the unit.
    let mut ids = BTreeMap::new();
    for (role, spec) in &scenario.roles {
        if let RoleSpec::Identity(i) = spec {
            let found = match &i.fixture {
                Some(f) => identities.iter().find(|x| &x.id == f),
                // Named identities keep theirs; each other role takes the first one no role has yet.
                None => identities.iter().find(|x| {
                    !ids.values().any(|taken: &Identity| taken.id == x.id)
                        && !scenario.roles.values().any(|s| {
                            matches!(s, RoleSpec::Identity(n) if n.fixture.as_deref() == Some(x.id.as_str()))
                        })
                }),
            };
            let Some(found) = found else {
                return Err(SkipReason::IdentityMissing {
                    role: role.clone(),
                    identity: i.fixture.clone(),
                });
            };
            ids.insert(role.clone(), found.clone());
        }
    }
    let phone_roles: Vec<(&String, &crate::scenario::model::PhoneRole)> = scenario
        .roles
        .iter()
        .filter_map(|(r, s)| match s {
            RoleSpec::Phone(p) => Some((r, p)),
            RoleSpec::Identity(_) => None,
        })
        .collect();
    // Capabilities of the subject model.
    let caps = model.capabilities();
    for (role, p) in &phone_roles {
        if p.model == ModelChoice::Subject
            && let Some(missing) = p.requires.iter().find(|c| !caps.contains(&c.as_str()))
        {
            return Err(SkipReason::Capability {
                role: (*role).clone(),
                capability: missing.clone(),
                model: format!("{} ({})", model.model_code, model.model_name),
                has: caps.iter().map(|c| c.to_string()).collect(),
            });
        }
    }
    let subject_units: Vec<&UnitInfo> = units
        .iter()
        .filter(|u| u.profile.id == model.id && !u.reference)
        .collect();
    if subject_units.is_empty() {
        return Err(SkipReason::NoUnit {
            model_code: model.model_code.clone(),
        });
    }
    let subject_roles: Vec<&String> = phone_roles
        .iter()
        .filter(|(_, p)| p.model == ModelChoice::Subject)
        .map(|(r, _)| *r)
        .collect();
    let mut out = Vec::new();
    for (i, first) in subject_units.iter().enumerate() {
        let mut phones: BTreeMap<String, UnitInfo> = BTreeMap::new();
        let mut used: Vec<String> = Vec::new();
        // The first subject role takes this unit, further subject roles the other units of the model.
        let mut pool = vec![*first];
        pool.extend(
            subject_units
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, u)| *u),
        );
        for role in &subject_roles {
            let Some(u) = pool.iter().find(|u| !used.contains(&u.serial)) else {
                return Err(SkipReason::TooFewUnits {
                    needed: subject_roles.len(),
                    have: subject_units.len(),
                    model_code: model.model_code.clone(),
                });
            };
            used.push(u.serial.clone());
            phones.insert((*role).clone(), (*u).clone());
        }
        for (role, p) in &phone_roles {
            if p.model != ModelChoice::Reference {
                continue;
            }
            let candidate = units.iter().find(|u| {
                u.reference
                    && !used.contains(&u.serial)
                    && p.requires
                        .iter()
                        .all(|c| u.profile.capabilities().contains(&c.as_str()))
            });
            let Some(u) = candidate else {
                return Err(SkipReason::NoReference {
                    role: (*role).clone(),
                });
            };
            used.push(u.serial.clone());
            phones.insert((*role).clone(), u.clone());
        }
        let subject = subject_roles.first().and_then(|r| phones.get(*r)).cloned();
        out.push(Binding {
            phones,
            identities: ids.clone(),
            subject,
        });
        if subject_roles.is_empty() {
            break;
        }
    }
    Ok(out)
}

/// The pools a scheduler chooses from for one binding: per reference role (in role order), the lab's
/// reference units that can play it; per identity role, the identities that can play it — the one the
/// scenario names, else every identity of the lab (R2 makes each serve one execution at a time).
#[derive(Debug, Clone, Default)]
pub struct Pools {
    pub references: Vec<(String, Vec<String>)>,
    pub identities: Vec<(String, Vec<String>)>,
}

/// The pools of `scenario`'s shared roles on a lab of `units` and `identities`.
pub fn pools(scenario: &Scenario, units: &[UnitInfo], identities: &[Identity]) -> Pools {
    let mut out = Pools::default();
    for (role, spec) in &scenario.roles {
        match spec {
            RoleSpec::Phone(p) if p.model == ModelChoice::Reference => {
                let can: Vec<String> = units
                    .iter()
                    .filter(|u| {
                        u.reference
                            && p.requires
                                .iter()
                                .all(|c| u.profile.capabilities().contains(&c.as_str()))
                    })
                    .map(|u| u.serial.clone())
                    .collect();
                out.references.push((role.clone(), can));
            }
            RoleSpec::Phone(_) => {}
            RoleSpec::Identity(i) => {
                let can: Vec<String> = match &i.fixture {
                    Some(f) => identities
                        .iter()
                        .filter(|x| &x.id == f)
                        .map(|x| x.id.clone())
                        .collect(),
                    None => identities.iter().map(|x| x.id.clone()).collect(),
                };
                out.identities.push((role.clone(), can));
            }
        }
    }
    out
}

impl Binding {
    /// This binding with its reference roles and identity roles played by the units and identities a
    /// schedule gave it (`references`, `identities`: one per role, in the order of [`pools`]).
    pub fn with_shared(
        mut self,
        pools: &Pools,
        references: &[String],
        identities: &[String],
        units: &[UnitInfo],
        known: &[Identity],
    ) -> Result<Binding, String> {
        for ((role, _), serial) in pools.references.iter().zip(references) {
            let u = units.iter().find(|u| &u.serial == serial).ok_or_else(|| {
                format!("the schedule gave `{role}` unit {serial}, not in the lab")
            })?;
            self.phones.insert(role.clone(), u.clone());
        }
        for ((role, _), id) in pools.identities.iter().zip(identities) {
            let i = known.iter().find(|i| &i.id == id).ok_or_else(|| {
                format!("the schedule gave `{role}` identity {id}, not in the lab")
            })?;
            self.identities.insert(role.clone(), i.clone());
        }
        Ok(self)
    }
}

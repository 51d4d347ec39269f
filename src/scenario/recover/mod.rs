//! Every problem of a file in one pass. serde stops at the first unknown key, missing key or wrong type;
//! this pass deserializes the same types from the file's [`Node`] tree instead, and after each problem
//! mends the tree (drops the unknown key or the broken list element, puts a placeholder where a value is
//! missing or wrong) and goes again, until the types accept what is left. The types stay the only schema:
//! their field and variant lists come from serde as it deserializes ([`de`]).

mod de;
mod variants;

use crate::scenario::error::{LoadError, Pos};
use crate::scenario::help::{FileHelp, noun_for, unknown_key, unknown_variant};
use crate::scenario::suggest::nearest;
use crate::scenario::tree::{Entry, Kind, Node, Seg};
use de::{De, Problem, TreeError};
use serde::de::DeserializeOwned;
use std::path::Path;

/// Rounds (one problem each) before giving up on a file.
const MAX_ROUNDS: usize = 300;

/// Every problem found in `source` when read as a `T`, in position order. Empty when the tree cannot be
/// built (a YAML syntax error: the strict parser reports it) or when `T` accepts the file.
pub fn check_all<T: DeserializeOwned>(
    path: &Path,
    source: &str,
    help: &FileHelp,
) -> Vec<LoadError> {
    match Node::parse(source) {
        Some(tree) => check_tree::<T>(path, source, tree, help),
        None => Vec::new(),
    }
}

/// [`check_all`] on a tree already built from `source`.
pub(crate) fn check_tree<T: DeserializeOwned>(
    path: &Path,
    source: &str,
    mut tree: Node,
    help: &FileHelp,
) -> Vec<LoadError> {
    let mut found: Vec<(Pos, String, Option<String>)> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let err = match T::deserialize(De::new(&tree, Vec::new())) {
            Ok(_) => break,
            Err(e) => e,
        };
        let Some(problem) = mend(&mut tree, err, help) else {
            break;
        };
        if let Some(p) = problem.report
            && !found.iter().any(|f| f.0 == p.0 && f.1 == p.1)
        {
            found.push(p);
        }
        if !problem.go_on {
            break;
        }
    }
    found.sort_by_key(|f| f.0);
    found
        .into_iter()
        .map(|(pos, message, hint)| LoadError::new(path, Some(source), pos, message, hint))
        .collect()
}

/// What a round found and whether to go on.
struct Mended {
    report: Option<(Pos, String, Option<String>)>,
    go_on: bool,
}

/// Records the problem of `err` and changes the tree so that the next round gets past it.
fn mend(tree: &mut Node, err: TreeError, help: &FileHelp) -> Option<Mended> {
    let (path, on_key) = err.at?;
    let node_path: Vec<Seg> = if on_key {
        path.get(..path.len().saturating_sub(1))?.to_vec()
    } else {
        path.clone()
    };
    let entry_index = match (on_key, path.last()) {
        (true, Some(Seg::Entry(i))) => Some(*i),
        _ => None,
    };
    let node = match tree.at(&node_path) {
        Some(n) if n.kind != Kind::Placeholder => n,
        // A problem inside a placeholder is a consequence of one already reported: drop the list element
        // around it, silently.
        _ => {
            return Some(Mended {
                report: None,
                go_on: drop_element(tree, &node_path),
            });
        }
    };
    let entry = entry_index.and_then(|i| node.entries().get(i));
    let key_pos = |name: &str| {
        entry
            .or_else(|| node.entries().iter().find(|e| e.key == name))
            .map(|e| e.key_pos)
    };
    let context = tree.key_of(&node_path);
    match err.problem {
        Problem::UnknownField { field, expected } => {
            let (message, hint) = unknown_key(&field, expected);
            let pos = key_pos(&field).unwrap_or(node.pos);
            let report = Some((pos, message, hint));
            let index = entry_index.or_else(|| node.entries().iter().position(|e| e.key == field));
            // A misspelt key is most likely the key it is nearest to: read its value as that key's (so
            // that it is checked, and not reported missing as well), unless that key is there too.
            let meant = nearest(&field, expected.iter().copied())
                .filter(|m| !node.entries().iter().any(|e| e.key == *m));
            let go_on = match (index, meant) {
                (Some(i), Some(m)) => rename_entry(tree, &node_path, i, m),
                (Some(i), None) => remove_entry(tree, &node_path, i),
                (None, _) => discard(tree, &node_path),
            };
            Some(Mended { report, go_on })
        }
        Problem::UnknownVariant { variant, expected } => {
            let (message, hint) = unknown_variant(&variant, expected);
            let pos = key_pos(&variant).unwrap_or(node.pos);
            let report = Some((pos, message, hint));
            // Likewise a misspelt name (a step, a status) is read as the nearest one, body and all.
            let meant = nearest(&variant, expected.iter().copied());
            let go_on = match (meant, tree.at_mut(&node_path).map(|n| &mut n.kind)) {
                (Some(m), Some(Kind::Str(s))) if *s == variant => {
                    *s = m.to_string();
                    true
                }
                (Some(m), Some(Kind::Map(entries))) if entries.len() == 1 => {
                    if let Some(e) = entries.first_mut() {
                        e.key = m.to_string();
                    }
                    true
                }
                _ => discard(tree, &node_path),
            };
            Some(Mended { report, go_on })
        }
        Problem::MissingField(field) => {
            let report = Some((
                node.pos,
                format!("missing key `{field}`"),
                help.describe(field).map(str::to_string),
            ));
            let pos = node.pos;
            let go_on = match tree.at_mut(&node_path) {
                Some(n) if matches!(n.kind, Kind::Map(_) | Kind::Null) => {
                    if n.kind == Kind::Null {
                        n.kind = Kind::Map(Vec::new());
                    }
                    if let Kind::Map(entries) = &mut n.kind {
                        entries.push(Entry {
                            key: field.to_string(),
                            key_pos: pos,
                            value: Node::placeholder(pos),
                        });
                    }
                    true
                }
                _ => discard(tree, &node_path),
            };
            Some(Mended { report, go_on })
        }
        Problem::DuplicateField(field) => {
            let second = node
                .entries()
                .iter()
                .enumerate()
                .filter(|(_, e)| e.key == field)
                .nth(1)
                .map(|(i, e)| (i, e.key_pos));
            let report = Some((
                second.map_or(node.pos, |s| s.1),
                format!("duplicate key `{field}`"),
                None,
            ));
            let go_on = match second {
                Some((i, _)) => remove_entry(tree, &node_path, i),
                None => discard(tree, &node_path),
            };
            Some(Mended { report, go_on })
        }
        Problem::Shape(want) => {
            let (message, hint) = shape_message(&want, node, context, help);
            let report = Some((node.pos, message, hint));
            Some(Mended {
                report,
                go_on: discard(tree, &node_path),
            })
        }
        Problem::Other(message) => {
            let pos = entry.map_or(node.pos, |e| e.key_pos);
            let subject = match context {
                Some((k, _)) => format!("`{k}`: "),
                None => String::new(),
            };
            let report = match (&node.kind, entry_index) {
                // A step name alone (`- expect-se`) where the step needs its keys: serde's words for it
                // come through `Spanned` as "invalid type: unit variant, expected newtype variant".
                (Kind::Str(name), None) if message.starts_with("invalid type: unit variant") => {
                    let (m, h) = shape_message(&Want::VariantBody(name.clone()), node, None, help);
                    Some((node.pos, m, h))
                }
                _ => Some((pos, format!("{subject}{message}"), None)),
            };
            let go_on = match entry_index {
                Some(i) => remove_entry(tree, &node_path, i),
                None => discard(tree, &node_path),
            };
            Some(Mended { report, go_on })
        }
    }
}

/// Removes the list element at `path` (or the nearest one above it); false when there is none.
fn drop_element(tree: &mut Node, path: &[Seg]) -> bool {
    let Some(n) = path.iter().rposition(|s| matches!(s, Seg::Index(_))) else {
        return false;
    };
    discard(tree, path.get(..=n).unwrap_or_default())
}

/// Takes the node at `path` out of play: a list element is removed, anything else becomes a placeholder.
/// False when nothing can be done (the root).
fn discard(tree: &mut Node, path: &[Seg]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let Some(parent) = tree.at_mut(parent) else {
        return false;
    };
    match (last, &mut parent.kind) {
        (Seg::Index(i), Kind::Seq(items)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        (Seg::Entry(i), Kind::Map(entries)) => match entries.get_mut(*i) {
            Some(e) => {
                e.value = Node::placeholder(e.value.pos);
                true
            }
            None => false,
        },
        _ => false,
    }
}

fn rename_entry(tree: &mut Node, map_path: &[Seg], i: usize, key: &str) -> bool {
    match tree.at_mut(map_path).map(|n| &mut n.kind) {
        Some(Kind::Map(entries)) => match entries.get_mut(i) {
            Some(e) => {
                e.key = key.to_string();
                true
            }
            None => false,
        },
        _ => false,
    }
}

fn remove_entry(tree: &mut Node, map_path: &[Seg], i: usize) -> bool {
    match tree.at_mut(map_path).map(|n| &mut n.kind) {
        Some(Kind::Map(entries)) if i < entries.len() => {
            entries.remove(i);
            true
        }
        _ => false,
    }
}

/// What a type wanted where the file had something else.
#[derive(Debug)]
pub(super) enum Want {
    Seq,
    Map(Option<&'static [&'static str]>),
    Scalar,
    Value,
    Bool,
    Int,
    Float,
    Enum(&'static [&'static str]),
    VariantBody(String),
    NoBody(String),
}

fn shape_message(
    want: &Want,
    node: &Node,
    context: Option<(&str, bool)>,
    help: &FileHelp,
) -> (String, Option<String>) {
    let subject = match context {
        None => "the file".to_string(),
        Some((k, false)) => format!("`{k}`"),
        Some((k, true)) => format!("each entry of `{k}`"),
    };
    let found = match &node.kind {
        Kind::Seq(_) => "a list",
        Kind::Map(_) => "a mapping",
        Kind::Null => "nothing",
        _ => "a single value",
    };
    let describe = || {
        context
            .and_then(|(k, _)| help.describe(k))
            .map(str::to_string)
    };
    let quoted = |names: &[&str]| {
        let mut s: Vec<String> = names.iter().take(8).map(|n| format!("`{n}`")).collect();
        if names.len() > 8 {
            s.push("…".into());
        }
        s.join(", ")
    };
    match want {
        Want::Seq => match node.scalar() {
            Some(v) => (format!("{subject} is a list, e.g. `[{v}]`"), describe()),
            None => (
                format!("{subject} is a list (`- item` lines or `[a, b]`), not {found}"),
                describe(),
            ),
        },
        Want::Map(fields) => {
            let keys = fields
                .filter(|f| !f.is_empty())
                .map(|f| format!(" with keys {}", quoted(f)))
                .unwrap_or_default();
            let example = fields
                .and_then(|f| f.first())
                .map(|k| format!("e.g. `{{ {k}: … }}`"));
            (
                format!("{subject} is a mapping{keys}, not {found}"),
                example.or_else(describe),
            )
        }
        Want::Scalar => (
            format!("{subject} is a single value, not {found}"),
            describe(),
        ),
        Want::Value => (format!("{subject} has no value"), describe()),
        Want::Bool => (format!("{subject} is `true` or `false`"), describe()),
        Want::Int => (format!("{subject} is a whole number"), describe()),
        Want::Float => (format!("{subject} is a number"), describe()),
        Want::Enum(variants) => {
            let noun = noun_for(variants);
            match &node.kind {
                Kind::Map(entries) => (
                    format!(
                        "{subject} names one {noun} as its only key (found {})",
                        quoted(&entries.iter().map(|e| e.key.as_str()).collect::<Vec<_>>())
                    ),
                    variants.first().map(|v| format!("e.g. `{v}: {{ … }}`")),
                ),
                _ => (
                    format!("{subject} is one {noun}, not {found}"),
                    Some(format!("one of: {}", variants.join(", "))),
                ),
            }
        }
        Want::VariantBody(v) => (format!("`{v}` needs its keys: `{v}: {{ … }}`"), describe()),
        Want::NoBody(v) => (format!("`{v}` takes no value"), None),
    }
}

//! Secrets written literally into a suite file (`password: ABC123` instead of
//! `password: "${holder.phone_sign_password}"`): `validate` warns about each, and the copy of the suite in
//! a run directory has them replaced by [`REDACTED`].

use super::error::{LoadError, Pos};
use super::tree::Node;
use super::vars::{Piece, parse_template};
use std::path::Path;

/// What stands in for a literal secret in the run directory's copy of a suite: a quoted string, so that
/// the copy stays valid YAML wherever the value stood (block or flow), on the same line.
pub const REDACTED: &str = "\"<redacted>\"";

/// Whether values of `key` carry a secret: a step's `password` (the only step key that does, see
/// `model::Revoke`), and PIN or password keys in general. `pin` in `verify-pin` names a PIN kind
/// (`auth`, `sign`): those two values are not secrets.
fn is_secret_key(key: &str) -> bool {
    key == "password" || key == "pin" || key.ends_with("_password") || key.ends_with("_pin")
}

/// Whether `value` of `key` is (or holds) a literal secret rather than `${role.field}` references.
fn is_literal(key: &str, value: &str) -> bool {
    if key == "pin" && matches!(value, "auth" | "sign") {
        return false;
    }
    match parse_template(value) {
        Ok(pieces) => pieces
            .iter()
            .any(|p| matches!(p, Piece::Text(t) if !t.trim().is_empty())),
        Err(_) => true,
    }
}

/// One literal secret in a file.
#[derive(Clone, PartialEq, Eq)]
pub struct LiteralSecret {
    /// The key it is the value of.
    pub key: String,
    /// Where the value starts.
    pub pos: Pos,
    /// Byte range of the value in the source, when known.
    span: Option<(usize, usize)>,
    /// The value, only for redacting (never shown).
    value: String,
}

impl std::fmt::Debug for LiteralSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LiteralSecret({} at {}:{})",
            self.key, self.pos.line, self.pos.column
        )
    }
}

/// Every literal secret of a YAML text, in file order (none when it does not parse).
pub fn find(source: &str) -> Vec<LiteralSecret> {
    let Some(tree) = Node::parse(source) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    tree.walk(&mut |_, node| {
        for e in node.entries() {
            if !is_secret_key(&e.key) {
                continue;
            }
            if let Some(value) = e.value.scalar()
                && is_literal(&e.key, &value)
            {
                out.push(LiteralSecret {
                    key: e.key.clone(),
                    pos: e.value.pos,
                    span: e.value.span,
                    value,
                });
            }
        }
    });
    out.sort_by_key(|s| s.pos);
    out
}

/// A warning (not an error) for each literal secret of a suite file.
pub fn warnings(path: &Path, source: &str) -> Vec<LoadError> {
    find(source)
        .into_iter()
        .map(|s| {
            LoadError::new(
                path,
                Some(source),
                s.pos,
                format!(
                    "warning: literal secret in `{}`: it is readable by anyone with the suite \
                     (run directories get a redacted copy)",
                    s.key
                ),
                Some(format!(
                    "refer to the identity instead, e.g. `{}: \"${{holder.phone_sign_password}}\"` \
                     (or `${{holder.card_sign_password}}` for a wrong one)",
                    s.key
                )),
            )
        })
        .collect()
}

/// `source` with every literal secret replaced by [`REDACTED`], line numbers unchanged; `None` when it
/// holds none.
pub fn redact(source: &str) -> Option<String> {
    let found = find(source);
    if found.is_empty() {
        return None;
    }
    let mut ranges: Vec<(usize, usize)> = found
        .iter()
        .filter_map(|s| value_range(source, s))
        .collect();
    ranges.sort();
    ranges.dedup();
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    for (start, end) in ranges {
        if start < at {
            continue;
        }
        out.push_str(source.get(at..start)?);
        out.push_str(REDACTED);
        // Keep the lines a multi-line value spanned.
        let lines = source.get(start..end)?.matches('\n').count();
        out.push_str(&"\n".repeat(lines));
        at = end;
    }
    out.push_str(source.get(at..)?);
    // Whatever is left of a secret elsewhere (a comment, a description) goes too.
    let mut set = crate::secret::SecretSet::new();
    for s in found.iter().filter(|s| s.value.chars().count() >= 4) {
        set.add(&crate::secret::Secret::new(s.value.clone()));
    }
    Some(set.scrub(&out))
}

/// The byte range of a secret's value in `source`: its span, or from its position to the end of the
/// scalar as written (closing quote, or the value itself when plain).
fn value_range(source: &str, s: &LiteralSecret) -> Option<(usize, usize)> {
    if let Some((off, len)) = s.span
        && len > 0
        && source.get(off..off + len).is_some()
    {
        return Some((off, off + len));
    }
    let line_start: usize = source
        .split_inclusive('\n')
        .take(s.pos.line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let line = source.get(line_start..)?.lines().next()?;
    let col = line
        .char_indices()
        .nth(s.pos.column.checked_sub(1)?)
        .map(|(i, _)| i)?;
    let start = line_start + col;
    let rest = source.get(start..)?;
    let len = match rest.chars().next()? {
        q @ ('"' | '\'') => {
            let body = rest.get(1..)?;
            let mut end = None;
            let mut escaped = false;
            for (i, c) in body.char_indices() {
                if q == '"' && c == '\\' && !escaped {
                    escaped = true;
                    continue;
                }
                if c == q && !escaped {
                    end = Some(i);
                    break;
                }
                escaped = false;
            }
            end? + 2
        }
        _ if rest.starts_with(s.value.as_str()) => s.value.len(),
        _ => return None,
    };
    Some((start, start + len))
}

/// True when a YAML text holds a literal secret anywhere.
pub fn has_literal_secret(source: &str) -> bool {
    !find(source).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUITE: &str = "suite: s\ntitle: T\nscenarios:\n  - id: a\n    title: A\n    rules: [R4]\n    roles:\n      phone: { phone: {} }\n      holder: { identity: {} }\n    steps:\n      - revoke: { on: phone, identity: holder, certs: [sign], password: ABC123 }\n      - revoke: { on: phone, identity: holder, certs: [sign], password: \"${holder.phone_sign_password}\" }\n      - verify-pin: { on: phone, identity: holder, pin: auth, value: right }\n      - revoke:\n          on: phone\n          identity: holder\n          certs: [auth]\n          password: 'XYZ789' # old one\n";

    #[test]
    fn literal_passwords_are_found_templates_and_pin_kinds_are_not() {
        let found = find(SUITE);
        let at: Vec<(usize, usize)> = found.iter().map(|s| (s.pos.line, s.pos.column)).collect();
        assert_eq!(at, vec![(11, 73), (18, 21)]);
        assert!(!has_literal_secret(
            "password: \"${holder.phone_sign_password}\"\npin: sign\n"
        ));
        assert!(has_literal_secret(
            "password: \"${holder.phone_sign_password}1\"\n"
        ));
        assert!(has_literal_secret("pin: 1234\n"));
        let shown = format!("{found:?}");
        assert!(
            !shown.contains("ABC123") && !shown.contains("XYZ789"),
            "{shown}"
        );
    }

    #[test]
    fn warnings_point_at_each_value_without_showing_it() {
        let w = warnings(Path::new("s.yaml"), SUITE);
        assert_eq!(w.len(), 2);
        let text = format!("{w:?}");
        assert!(
            text.contains("s.yaml:11:73: warning: literal secret in `password`"),
            "{text}"
        );
        assert!(
            !text.contains("ABC123") && !text.contains("XYZ789"),
            "{text}"
        );
    }

    #[test]
    fn the_redacted_copy_keeps_lines_and_stays_a_valid_suite() {
        let red = redact(SUITE).unwrap();
        assert!(!red.contains("ABC123") && !red.contains("XYZ789"), "{red}");
        assert_eq!(red.lines().count(), SUITE.lines().count());
        for (a, b) in SUITE.lines().zip(red.lines()) {
            if !a.contains("ABC123") && !a.contains("XYZ789") {
                assert_eq!(a, b);
            }
        }
        assert!(red.contains("password: \"<redacted>\" }"), "{red}");
        assert!(red.contains("password: \"<redacted>\" # old one"), "{red}");
        let suite: super::super::model::Suite =
            super::super::parse::parse(Path::new("r.yaml"), &red).unwrap();
        assert_eq!(suite.scenarios[0].steps.len(), 4);
        assert!(find(&red).iter().all(|s| s.value == "<redacted>"));
        assert_eq!(
            redact("password: \"${holder.phone_sign_password}\"\n"),
            None
        );
    }
}

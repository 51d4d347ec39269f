//! Variables in scenario strings: `${role.field}` where `role` is an identity role of the scenario.
//!
//! Today only `revoke.password` accepts templates. A template that references a secret field (`*_pin`,
//! `*_password`) resolves to [`Value::Secret`]. Errors name roles and fields, never a value.

use crate::identity::Identity;
use crate::secret::Secret;
use thiserror::Error;

/// Fields of an identity a template may reference.
pub const IDENTITY_FIELDS: [&str; 7] = [
    "id",
    "person_id",
    "name",
    "card_auth_pin",
    "card_sign_password",
    "phone_auth_pin",
    "phone_sign_password",
];

/// Whether an identity field holds a PIN or password.
pub fn is_secret_field(field: &str) -> bool {
    field.ends_with("_pin") || field.ends_with("_password")
}

/// A resolved template. `Debug` never shows a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// No secret went into it.
    Plain(String),
    /// At least one PIN or password went into it.
    Secret(Secret),
}

impl Value {
    /// True for [`Value::Secret`].
    pub fn is_secret(&self) -> bool {
        matches!(self, Value::Secret(_))
    }
    /// The characters, for typing into a device. Never log the result.
    pub fn expose(&self) -> &str {
        match self {
            Value::Plain(s) => s,
            Value::Secret(s) => s.expose(),
        }
    }
    /// Wraps the value as a secret whatever its origin (e.g. a literal password written in a suite).
    pub fn into_secret(self) -> Secret {
        match self {
            Value::Plain(s) => Secret::new(s),
            Value::Secret(s) => s,
        }
    }
}

/// A template that cannot be parsed or resolved.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VarError {
    /// `${` without a closing `}`.
    #[error("unterminated `${{` at byte {at}")]
    Unterminated { at: usize },
    /// `${}`.
    #[error("empty variable `${{}}` at byte {at}")]
    Empty { at: usize },
    /// Not of the form `${role.field}` with identifier characters.
    #[error("malformed variable at byte {at}: expected `${{role.field}}`")]
    Malformed { at: usize },
    /// The role is not an identity role of the scenario.
    #[error("unknown identity role `{role}` in variable")]
    UnknownRole { role: String },
    /// The field is not one of [`IDENTITY_FIELDS`].
    #[error("unknown identity field `{field}` in variable `${{{role}.{field}}}`")]
    UnknownField { role: String, field: String },
}

impl VarError {
    /// A "did you mean" hint for an unknown field.
    pub fn hint(&self) -> Option<String> {
        match self {
            VarError::UnknownField { field, .. } => {
                super::suggest::did_you_mean(field, IDENTITY_FIELDS)
            }
            VarError::Malformed { .. } | VarError::Empty { .. } => {
                Some(format!("fields: {}", IDENTITY_FIELDS.join(", ")))
            }
            _ => None,
        }
    }
}

/// One piece of a parsed template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text.
    Text(&'a str),
    /// `${role.field}`.
    Ref { role: &'a str, field: &'a str },
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Splits a template into text and references; checks syntax and field names (not roles).
pub fn parse_template(template: &str) -> Result<Vec<Piece<'_>>, VarError> {
    let mut pieces = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some((text, after)) = rest.split_once("${") {
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        let at = offset + text.len();
        let (inner, tail) = after.split_once('}').ok_or(VarError::Unterminated { at })?;
        if inner.is_empty() {
            return Err(VarError::Empty { at });
        }
        let (role, field) = inner.split_once('.').ok_or(VarError::Malformed { at })?;
        if !is_ident(role) || !is_ident(field) {
            return Err(VarError::Malformed { at });
        }
        if !IDENTITY_FIELDS.contains(&field) {
            return Err(VarError::UnknownField {
                role: role.to_string(),
                field: field.to_string(),
            });
        }
        pieces.push(Piece::Ref { role, field });
        offset = at + "${".len() + inner.len() + "}".len();
        rest = tail;
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

fn field_value<'a>(who: &'a Identity, field: &str) -> Option<&'a str> {
    Some(match field {
        "id" => &who.id,
        "person_id" => &who.person_id,
        "name" => &who.name,
        "card_auth_pin" => who.card.auth_pin.expose(),
        "card_sign_password" => who.card.sign_password.expose(),
        "phone_auth_pin" => who.phone.auth_pin.expose(),
        "phone_sign_password" => who.phone.sign_password.expose(),
        _ => return None,
    })
}

/// Resolves a template; `lookup` maps an identity role name to the identity bound to it.
pub fn resolve(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<Identity>,
) -> Result<Value, VarError> {
    let mut out = String::new();
    let mut secret = false;
    for piece in parse_template(template)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Ref { role, field } => {
                let who = lookup(role).ok_or_else(|| VarError::UnknownRole {
                    role: role.to_string(),
                })?;
                let v = field_value(&who, field).ok_or_else(|| VarError::UnknownField {
                    role: role.to_string(),
                    field: field.to_string(),
                })?;
                secret |= is_secret_field(field);
                out.push_str(v);
            }
        }
    }
    Ok(if secret {
        Value::Secret(Secret::new(out))
    } else {
        Value::Plain(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn taro() -> Identity {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/identities/taro.yaml"
        ))
        .unwrap();
        serde_saphyr::from_str(&text).unwrap()
    }

    fn lookup(role: &str) -> Option<Identity> {
        (role == "holder").then(taro)
    }

    #[test]
    fn secret_field_resolves_to_secret_and_debug_hides_it() {
        let v = resolve("${holder.phone_sign_password}", &lookup).unwrap();
        assert!(v.is_secret());
        assert_eq!(v.expose(), "PHONESIGN58");
        assert!(!format!("{v:?}").contains("PHONESIGN58"));
    }

    #[test]
    fn plain_fields_and_text_resolve_to_plain() {
        let v = resolve("id=${holder.id}/${holder.person_id}", &lookup).unwrap();
        assert_eq!(v, Value::Plain("id=taro/TEST0000000001".into()));
        assert_eq!(
            resolve("no vars $ here", &lookup).unwrap().expose(),
            "no vars $ here"
        );
    }

    #[test]
    fn mixed_text_and_secret_is_secret() {
        let v = resolve("X${holder.card_auth_pin}", &lookup).unwrap();
        assert!(v.is_secret());
        assert_eq!(v.expose(), "X2580");
    }

    #[rstest]
    #[case("${holder.phone_sign_password", VarError::Unterminated { at: 0 })]
    #[case("ab${", VarError::Unterminated { at: 2 })]
    #[case("${}", VarError::Empty { at: 0 })]
    #[case("${holder}", VarError::Malformed { at: 0 })]
    #[case("${holder.}", VarError::Malformed { at: 0 })]
    #[case("x${a b.id}", VarError::Malformed { at: 1 })]
    #[case("${holder.pin}", VarError::UnknownField { role: "holder".into(), field: "pin".into() })]
    #[case("${other.id}", VarError::UnknownRole { role: "other".into() })]
    fn bad_templates(#[case] t: &str, #[case] want: VarError) {
        assert_eq!(resolve(t, &lookup).unwrap_err(), want);
    }

    #[test]
    fn errors_never_echo_literal_text() {
        // The literal part could be a password someone typed into a suite.
        let err = resolve("SECRETPW${holder.phone_auth_pn}", &lookup).unwrap_err();
        let shown = format!("{err} {err:?} {:?}", err.hint());
        assert!(!shown.contains("SECRETPW"));
        assert_eq!(
            err.hint().as_deref(),
            Some("did you mean `phone_auth_pin`?")
        );
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(t in "\\PC{0,80}") {
            let _ = parse_template(&t);
            let _ = resolve(&t, &lookup);
        }

        #[test]
        fn pieces_round_trip(
            parts in proptest::collection::vec(
                ("[a-zA-Z0-9 _.-]{0,8}", "[a-z][a-z0-9_]{0,6}", 0usize..IDENTITY_FIELDS.len()),
                0..5,
            ),
        ) {
            let mut template = String::new();
            let mut want = Vec::new();
            for (text, role, f) in &parts {
                template.push_str(text);
                template.push_str(&format!("${{{role}.{}}}", IDENTITY_FIELDS[*f]));
                if !text.is_empty() {
                    want.push(Piece::Text(text.as_str()));
                }
                want.push(Piece::Ref { role: role.as_str(), field: IDENTITY_FIELDS[*f] });
            }
            proptest::prop_assert_eq!(parse_template(&template).unwrap(), want);
        }
    }
}

//! Load and validation errors: `file:line:column: message`, the source line with a caret, a hint.

use crate::secret::{Secret, SecretSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a source file (1-based line and column, columns in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
}

impl Pos {
    /// Line 1, column 1: used for errors about a whole file.
    pub const START: Pos = Pos { line: 1, column: 1 };

    /// From a serde-saphyr location; `None` when the location is unknown.
    pub fn from_location(loc: &serde_saphyr::Location) -> Option<Pos> {
        let line = usize::try_from(loc.line()).ok()?;
        let column = usize::try_from(loc.column()).ok()?;
        (line > 0 && column > 0).then_some(Pos { line, column })
    }
}

/// One problem in one file.
#[derive(Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong (no secret in it).
    pub message: String,
    /// A suggestion, e.g. "did you mean `provision`?".
    pub hint: Option<String>,
    /// The source line and a caret under the column, ready to print.
    pub snippet: Option<String>,
}

impl LoadError {
    /// An error at `pos` in `path`; the snippet is cut from `source` when given. Secrets written literally
    /// in the source (`password:` values) are scrubbed from the message, hint and snippet.
    pub fn new(
        path: &Path,
        source: Option<&str>,
        pos: Pos,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> LoadError {
        let mut message = message.into();
        let mut hint = hint;
        let mut snippet = source.and_then(|src| render_snippet(src, pos));
        if let Some(src) = source {
            let secrets = literal_secrets(src);
            if !secrets.is_empty() {
                message = secrets.scrub(&message);
                hint = hint.map(|h| secrets.scrub(&h));
                snippet = snippet.map(|s| secrets.scrub(&s));
            }
        }
        LoadError {
            path: path.to_path_buf(),
            line: pos.line,
            column: pos.column,
            message,
            hint,
            snippet,
        }
    }

    /// An error about a whole file (cannot read it, too large, not UTF-8): reported at 1:1.
    pub fn file(path: &Path, message: impl Into<String>) -> LoadError {
        LoadError::new(path, None, Pos::START, message, None)
    }

    /// The position as a value.
    pub fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )?;
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for LoadError {}

/// Every problem found while loading a set of files, in file order then position order.
#[derive(Clone, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl LoadErrors {
    /// Number of errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Iterates over the errors.
    pub fn iter(&self) -> std::slice::Iter<'_, LoadError> {
        self.0.iter()
    }
}

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{e}")?;
        }
        let n = self.0.len();
        write!(f, "\n\n{n} error{}", if n == 1 { "" } else { "s" })
    }
}

impl fmt::Debug for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for LoadErrors {}

/// The line of `source` at `pos` with a gutter and a caret under the column.
fn render_snippet(source: &str, pos: Pos) -> Option<String> {
    let text = source.lines().nth(pos.line.checked_sub(1)?)?;
    let chars: Vec<char> = text.trim_end_matches('\r').chars().collect();
    let caret = pos.column.saturating_sub(1).min(chars.len());
    // Show at most a window of the line around the column.
    let start = caret.saturating_sub(SNIPPET_WIDTH / 2);
    let end = (start + SNIPPET_WIDTH).min(chars.len());
    let mut shown: String = chars.get(start..end).unwrap_or_default().iter().collect();
    let mut lead: String = chars
        .get(start..caret)
        .unwrap_or_default()
        .iter()
        // Keep tabs so that the caret lines up under them.
        .map(|c| if *c == '\t' { '\t' } else { ' ' })
        .collect();
    if start > 0 {
        shown.insert(0, '…');
        lead.insert(0, ' ');
    }
    if end < chars.len() {
        shown.push('…');
    }
    let number = pos.line.to_string();
    let pad = " ".repeat(number.len());
    Some(format!("{pad} |\n{number} | {shown}\n{pad} | {lead}^"))
}

/// Widest part of a source line shown in a snippet, in characters.
const SNIPPET_WIDTH: usize = 100;

/// Values written literally after a `password:` or PIN key (`pin:`, `auth_pin:`; not `verify-pin:`), other
/// than `${…}` templates and the PIN kinds `auth`/`sign`: they are secrets.
pub(crate) fn literal_secrets(source: &str) -> SecretSet {
    let mut set = SecretSet::new();
    for line in source.lines() {
        for key in ["password:", "pin:"] {
            let mut from = 0;
            while let Some(i) = line.get(from..).and_then(|r| r.find(key)) {
                let at = from + i;
                from = at + key.len();
                let before = line.get(..at).and_then(|b| b.chars().next_back());
                if key == "pin:"
                    && before.is_some_and(|c| c != '_' && (c.is_alphanumeric() || c == '-'))
                {
                    continue;
                }
                let value = line
                    .get(from..)
                    .unwrap_or("")
                    .split([',', '}', '#'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches(|c| c == '"' || c == '\'');
                let kind = key == "pin:"
                    && before.is_none_or(|c| c != '_')
                    && matches!(value, "auth" | "sign");
                if !value.is_empty()
                    && !value.starts_with("${")
                    && !value.starts_with(['{', '['])
                    && !kind
                {
                    set.add(&Secret::new(value));
                }
            }
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_column_then_snippet_then_hint() {
        let src = "a: 1\nsteps:\n  - provison: {}\n";
        let e = LoadError::new(
            Path::new("suites/x.yaml"),
            Some(src),
            Pos { line: 3, column: 5 },
            "unknown step `provison`",
            Some("did you mean `provision`?".into()),
        );
        assert_eq!(
            e.to_string(),
            "suites/x.yaml:3:5: unknown step `provison`\n  |\n3 |   - provison: {}\n  |     ^\n  hint: did you mean `provision`?"
        );
    }

    #[test]
    fn literal_passwords_are_scrubbed_from_errors() {
        let src = "- revoke: { on: p, identity: h, password: \"WRONG123\", bad: 1 }\n";
        let e = LoadError::new(
            Path::new("x.yaml"),
            Some(src),
            Pos { line: 1, column: 3 },
            "value WRONG123 is odd",
            None,
        );
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("WRONG123"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn templates_are_not_treated_as_secrets() {
        assert!(literal_secrets("password: \"${holder.phone_sign_password}\"").is_empty());
        assert_eq!(
            literal_secrets("password: ABC123 # c\npassword: 'XYZ'").len(),
            2
        );
        assert!(literal_secrets("- verify-pin: { on: phone, identity: h, pin: auth }").is_empty());
        assert_eq!(
            literal_secrets("card: { auth_pin: \"4821\", pin: 9999 }").len(),
            2
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let snippet = render_snippet(
            &line,
            Pos {
                line: 1,
                column: 501,
            },
        )
        .unwrap();
        let rows: Vec<&str> = snippet.lines().collect();
        assert!(
            rows[1].starts_with("1 | …a") && rows[1].ends_with("b…"),
            "{snippet}"
        );
        assert!(rows[1].chars().count() < 120);
        let x = rows[1].chars().position(|c| c == 'X').unwrap();
        assert_eq!(rows[2].chars().position(|c| c == '^'), Some(x));
    }

    #[test]
    fn snippet_past_the_end_is_none() {
        assert_eq!(render_snippet("one line", Pos { line: 5, column: 1 }), None);
    }
}

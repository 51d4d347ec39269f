//! Secrets (PINs, passwords) that must never reach a log, a report, a trace, a panic or `Debug` output.
//!
//! [`Secret`] has no `Display` and no `Serialize`; its `Debug` prints `Secret(<redacted>)`.
//! [`SecretSet`] remembers every secret a run typed or loaded, so outputs can be scanned and scrubbed.

use serde::Deserialize;
use std::fmt;

/// A PIN or password. Read it only with [`Secret::expose`], at the last moment, into a device.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret's characters, for typing into a device or card. Never log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Length in characters (safe to report).
    pub fn len(&self) -> usize {
        self.0.chars().count()
    }
    /// True for an empty secret.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Every secret known to a run, for scanning outputs (logcat, UI dumps, reports) and scrubbing text.
#[derive(Default, Clone)]
pub struct SecretSet {
    values: Vec<String>,
}

impl fmt::Debug for SecretSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretSet({} secrets)", self.values.len())
    }
}

impl SecretSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a secret (empty secrets are ignored: they would match everything).
    pub fn add(&mut self, secret: &Secret) {
        let v = secret.expose();
        if !v.is_empty() && !self.values.iter().any(|x| x == v) {
            self.values.push(v.to_string());
            // Longest first, so that scrubbing never leaves the tail of a longer secret.
            self.values.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }
    /// Number of distinct secrets.
    pub fn len(&self) -> usize {
        self.values.len()
    }
    /// True when no secret was added.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// How many distinct secrets occur in `text` (the secrets themselves are not returned).
    pub fn count_in(&self, text: &[u8]) -> usize {
        self.values
            .iter()
            .filter(|s| contains(text, s.as_bytes()))
            .count()
    }
    /// Replaces every occurrence of every secret with `<redacted>`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.values {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "<redacted>");
            }
        }
        out
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("SIGN12345");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert!(!format!("{:?}", Some(&s)).contains("SIGN12345"));
    }

    #[test]
    fn set_counts_and_scrubs() {
        let mut set = SecretSet::new();
        set.add(&Secret::new("1234"));
        set.add(&Secret::new("ABC123456"));
        set.add(&Secret::new(""));
        assert_eq!(set.len(), 2);
        assert_eq!(set.count_in(b"pin=1234 ok"), 1);
        assert_eq!(set.count_in(b"nothing here"), 0);
        assert_eq!(set.scrub("x ABC123456 y 1234"), "x <redacted> y <redacted>");
    }
}

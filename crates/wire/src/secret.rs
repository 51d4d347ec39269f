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
    /// How many distinct secrets occur in `text` (the secrets themselves are not returned). An all-digit
    /// secret (a 4-digit PIN) counts only as a number of its own: `7391` in `pin=7391` is a leak, inside
    /// `21.573918` (a duration) or a serial it is not.
    pub fn count_in(&self, text: &[u8]) -> usize {
        self.values
            .iter()
            .filter(|s| Occurrences::new(text, s.as_bytes()).next().is_some())
            .count()
    }
    /// Whether one secret occurs in `text`, as [`SecretSet::count_in`] finds secrets.
    pub fn occurs_in(secret: &Secret, text: &[u8]) -> bool {
        Occurrences::new(text, secret.expose().as_bytes())
            .next()
            .is_some()
    }
    /// Replaces every occurrence of every secret with `<redacted>` (all-digit ones where they stand as a
    /// number of their own, as [`SecretSet::count_in`] finds them).
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.values {
            let at = occurrences(out.as_bytes(), s.as_bytes());
            // Back to front, so earlier positions stay valid.
            for i in at.into_iter().rev() {
                out.replace_range(i..i + s.len(), "<redacted>");
            }
        }
        out
    }
}

/// Where `needle` occurs in `hay` (not overlapping); an all-digit needle only where no digit touches it.
fn occurrences(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    Occurrences::new(hay, needle).collect()
}

/// The positions [`occurrences`] finds, one at a time (a check stops at the first).
struct Occurrences<'h, 'n> {
    hay: &'h [u8],
    finder: memchr::memmem::Finder<'n>,
    digits: bool,
    at: usize,
}

impl<'h, 'n> Occurrences<'h, 'n> {
    fn new(hay: &'h [u8], needle: &'n [u8]) -> Self {
        Occurrences {
            hay,
            finder: memchr::memmem::Finder::new(needle),
            digits: needle.iter().all(u8::is_ascii_digit),
            // An empty needle occurs nowhere.
            at: if needle.is_empty() { hay.len() + 1 } else { 0 },
        }
    }
}

impl Iterator for Occurrences<'_, '_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        let len = self.finder.needle().len();
        while self.at + len <= self.hay.len() {
            let i = self.at + self.finder.find(&self.hay[self.at..])?;
            let touched = self.digits
                && (i > 0 && self.hay[i - 1].is_ascii_digit()
                    || self.hay.get(i + len).is_some_and(u8::is_ascii_digit));
            if touched {
                self.at = i + 1;
            } else {
                self.at = i + len;
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_counts_as_a_number_of_its_own_not_inside_a_longer_one() {
        let mut set = SecretSet::new();
        set.add(&Secret::new("7391"));
        set.add(&Secret::new("PHONESIGN58"));
        assert_eq!(set.count_in(b"duration_ms: 21.573918, serial 173910"), 0);
        assert_eq!(set.count_in(b"pin=7391;"), 1);
        assert_eq!(set.count_in(b"7391"), 1);
        assert_eq!(set.count_in(b"xPHONESIGN58y and 7391"), 2);
        assert_eq!(
            set.scrub("pin 7391, took 21.573918 ms, pw=PHONESIGN58"),
            "pin <redacted>, took 21.573918 ms, pw=<redacted>"
        );
    }

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

    /// The plain scan the searcher must agree with: every position, left to right.
    fn reference(hay: &[u8], needle: &[u8]) -> Vec<usize> {
        let digits = needle.iter().all(u8::is_ascii_digit);
        let mut out = Vec::new();
        let mut i = 0;
        while !needle.is_empty() && i + needle.len() <= hay.len() {
            let touched = digits
                && (i > 0 && hay[i - 1].is_ascii_digit()
                    || hay.get(i + needle.len()).is_some_and(u8::is_ascii_digit));
            if &hay[i..i + needle.len()] == needle && !touched {
                out.push(i);
                i += needle.len();
            } else {
                i += 1;
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn the_searcher_finds_what_a_plain_scan_finds(
            hay in "[0-9a1 ]{0,40}",
            needle in "[0-9a]{0,4}",
        ) {
            proptest::prop_assert_eq!(
                occurrences(hay.as_bytes(), needle.as_bytes()),
                reference(hay.as_bytes(), needle.as_bytes())
            );
        }
    }
}

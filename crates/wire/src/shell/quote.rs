//! Building device command lines safely: every argument is POSIX single-quoted unless it is made only of
//! characters no shell treats specially, and `input text` values get Android's own escaping first.
//!
//! Every command line the driver sends is built with [`ShellCommand`]; secrets are kept as [`Secret`] so the
//! evidence copy ([`ShellCommand::redacted`]) never shows them.

use crate::secret::{Secret, SecretSet};

/// Characters that never need quoting on a POSIX shell command line.
fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c)
}

/// Quotes one argument for a POSIX shell: as is when every character is safe, else in single quotes
/// (an embedded `'` becomes `'\''`).
pub fn quote(arg: &str) -> String {
    if !arg.is_empty() && arg.chars().all(is_safe) {
        return arg.to_string();
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('\'');
    for c in arg.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Android `input text` escaping (before shell quoting): a space must be sent as `%s`.
pub fn input_text_escape(value: &str) -> String {
    value.replace(' ', "%s")
}

/// The inverse of [`input_text_escape`], as Android's `input` command applies it.
pub fn input_text_unescape(value: &str) -> String {
    value.replace("%s", " ")
}

#[derive(Clone)]
enum Part {
    Plain(String),
    Secret(Secret),
}

/// A command line under construction: program and arguments, each quoted when rendered.
#[derive(Clone)]
pub struct ShellCommand {
    parts: Vec<Part>,
}

impl std::fmt::Debug for ShellCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShellCommand({})", self.redacted())
    }
}

impl ShellCommand {
    /// Starts a command with its program name.
    pub fn new(program: impl AsRef<str>) -> Self {
        ShellCommand {
            parts: vec![Part::Plain(program.as_ref().to_string())],
        }
    }

    /// Builds a command from words already split (e.g. a profile's factory-reset line).
    pub fn from_argv(argv: &[String]) -> Option<Self> {
        let (first, rest) = argv.split_first()?;
        Some(ShellCommand::new(first).args(rest))
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl AsRef<str>) -> Self {
        self.parts.push(Part::Plain(arg.as_ref().to_string()));
        self
    }

    /// Adds several arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    /// Adds a value for `input text` (spaces become `%s`).
    pub fn text(self, value: &str) -> Self {
        self.arg(input_text_escape(value))
    }

    /// Adds a secret value for `input text`; the evidence copy shows `<redacted>` instead.
    pub fn secret_text(mut self, value: &Secret) -> Self {
        self.parts.push(Part::Secret(value.clone()));
        self
    }

    /// Replaces this command's secrets (as typed and as escaped) in `text`, e.g. a device's error output.
    pub fn scrub(&self, text: &str) -> String {
        let mut set = SecretSet::new();
        for p in &self.parts {
            if let Part::Secret(s) = p {
                set.add(s);
                set.add(&Secret::new(input_text_escape(s.expose())));
            }
        }
        set.scrub(text)
    }

    /// The command line to send to the device (contains secrets: never log it).
    pub fn render(&self) -> String {
        self.join(|p| match p {
            Part::Plain(s) => quote(s),
            Part::Secret(s) => quote(&input_text_escape(s.expose())),
        })
    }

    /// The command line for evidence and logs: secrets replaced by `<redacted>`.
    pub fn redacted(&self) -> String {
        self.join(|p| match p {
            Part::Plain(s) => quote(s),
            Part::Secret(_) => "<redacted>".to_string(),
        })
    }

    fn join(&self, f: impl Fn(&Part) -> String) -> String {
        self.parts.iter().map(f).collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::shlex::split;
    use proptest::prelude::*;

    const NASTY: &[&str] = &[
        "'; reboot #",
        "$(reboot)",
        "`reboot`",
        "a\nreboot",
        "it's \"quoted\"",
        "マイナンバーカード 署名用",
        "",
        "back\\slash",
        "&& reboot",
        "x; y | z > w",
        "%s literal",
    ];

    #[test]
    fn every_builder_round_trips_nasty_values() {
        for v in NASTY {
            let plain = ShellCommand::new("am").arg("start").arg(v).render();
            assert_eq!(split(&plain).unwrap(), vec!["am", "start", v], "{plain}");

            let many = ShellCommand::new("pm").args([*v, "x"]).render();
            assert_eq!(split(&many).unwrap(), vec!["pm", v, "x"]);

            let prog = ShellCommand::new(v).render();
            assert_eq!(split(&prog).unwrap(), vec![v.to_string()]);

            let text = ShellCommand::new("input").arg("text").text(v).render();
            let words = split(&text).unwrap();
            assert_eq!(words.len(), 3, "{text}");
            assert_eq!(words[2], input_text_escape(v));
            assert!(!words[2].contains(' '));

            let secret = Secret::new(*v);
            let cmd = ShellCommand::new("input").arg("text").secret_text(&secret);
            let words = split(&cmd.render()).unwrap();
            assert_eq!(words[2], input_text_escape(v));
            assert_eq!(cmd.redacted(), "input text <redacted>");
            if !v.is_empty() {
                let echoed = format!("error: cannot type {v} / {}", input_text_escape(v));
                assert!(!cmd.scrub(&echoed).contains(v), "{v:?}");
            }

            let argv: Vec<String> = vec!["sh".into(), v.to_string()];
            let rebuilt = ShellCommand::from_argv(&argv).unwrap().render();
            assert_eq!(split(&rebuilt).unwrap(), argv);
        }
    }

    #[test]
    fn safe_words_stay_bare() {
        assert_eq!(
            quote("jp.go.digital.mynaportal/.Main"),
            "jp.go.digital.mynaportal/.Main"
        );
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("TOPSECRET1");
        let cmd = ShellCommand::new("input").arg("text").secret_text(&s);
        assert!(!format!("{cmd:?}").contains("TOPSECRET1"));
    }

    proptest! {
        #[test]
        fn quote_round_trips_any_text(v in "\\PC*", w in "[ -~\\n\\t]*") {
            let line = ShellCommand::new("echo").arg(&v).arg(&w).render();
            prop_assert_eq!(split(&line).unwrap(), vec!["echo".to_string(), v, w]);
        }

        #[test]
        fn input_text_escaping_round_trips_without_percent_s(v in "[ -~]*") {
            prop_assume!(!v.contains("%s"));
            prop_assert_eq!(input_text_unescape(&input_text_escape(&v)), v);
        }
    }
}

//! A POSIX shell tokenizer for the subset of `sh` that the harness sends and the virtual phone answers:
//! words with single quotes, double quotes and backslashes, `#` comments, and the command separators `;`,
//! newline and `&&`. Expansions (`$VAR`, `$(…)`, backticks), pipes, `||`, `&` and redirections are refused
//! with an error instead of being half-understood: the harness never sends them, so seeing one means a
//! value escaped its quoting.

use thiserror::Error;

/// Why a command line could not be tokenised.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ShlexError {
    /// A `'` without its closing quote.
    #[error("unterminated single quote starting at byte {0}")]
    UnterminatedSingle(usize),
    /// A `"` without its closing quote.
    #[error("unterminated double quote starting at byte {0}")]
    UnterminatedDouble(usize),
    /// A backslash as the last character.
    #[error("trailing backslash")]
    TrailingBackslash,
    /// `$…` or a backtick outside single quotes.
    #[error("unsupported expansion `{what}` at byte {at}")]
    Expansion { what: String, at: usize },
    /// An operator the subset does not support (`|`, `||`, `&`, `<`, `>`, `(`, `)`).
    #[error("unsupported operator `{op}` at byte {at}")]
    Operator { op: String, at: usize },
    /// A separator with no command before it (`; ;`, `&& x`).
    #[error("empty command before `{sep}` at byte {at}")]
    EmptyCommand { sep: String, at: usize },
    /// [`split`] was given a line with several commands.
    #[error("expected one command, found {0}")]
    SeveralCommands(usize),
}

/// How a command is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    /// First command, or after `;` / newline: runs unconditionally.
    Always,
    /// After `&&`: runs only when the previous command succeeded.
    IfSuccess,
}

/// One simple command of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// How it joins the previous command.
    pub connector: Connector,
    /// Its words after quote removal.
    pub argv: Vec<String>,
}

/// Splits a command line into simple commands.
pub fn split_commands(line: &str) -> Result<Vec<Segment>, ShlexError> {
    let mut lexer = Lexer {
        chars: line.char_indices().peekable(),
        segments: Vec::new(),
        argv: Vec::new(),
        word: None,
        connector: Connector::Always,
    };
    lexer.run()?;
    Ok(lexer.segments)
}

/// Splits a line that must hold exactly one simple command (or none) into its words.
pub fn split(line: &str) -> Result<Vec<String>, ShlexError> {
    let mut segments = split_commands(line)?;
    match segments.len() {
        0 => Ok(Vec::new()),
        1 => Ok(segments.remove(0).argv),
        n => Err(ShlexError::SeveralCommands(n)),
    }
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    segments: Vec<Segment>,
    argv: Vec<String>,
    /// `Some` once a word has started (a quoted empty string starts a word).
    word: Option<String>,
    connector: Connector,
}

impl Lexer<'_> {
    fn run(&mut self) -> Result<(), ShlexError> {
        while let Some((at, c)) = self.chars.next() {
            match c {
                ' ' | '\t' => self.end_word(),
                '\n' | ';' => self.end_command(Connector::Always, &c.to_string(), at)?,
                '#' if self.word.is_none() => {
                    while let Some(&(_, n)) = self.chars.peek() {
                        if n == '\n' {
                            break;
                        }
                        self.chars.next();
                    }
                }
                '\'' => self.single_quoted(at)?,
                '"' => self.double_quoted(at)?,
                '\\' => match self.chars.next() {
                    Some((_, '\n')) => {}
                    Some((_, n)) => self.push(n),
                    None => return Err(ShlexError::TrailingBackslash),
                },
                '$' => self.dollar(at, false)?,
                '`' => {
                    return Err(ShlexError::Expansion {
                        what: "`".into(),
                        at,
                    });
                }
                '&' => {
                    if matches!(self.chars.peek(), Some(&(_, '&'))) {
                        self.chars.next();
                        self.end_command(Connector::IfSuccess, "&&", at)?;
                    } else {
                        return Err(ShlexError::Operator { op: "&".into(), at });
                    }
                }
                '|' | '<' | '>' | '(' | ')' => {
                    return Err(ShlexError::Operator {
                        op: c.to_string(),
                        at,
                    });
                }
                other => self.push(other),
            }
        }
        self.end_word();
        if !self.argv.is_empty() {
            self.segments.push(Segment {
                connector: self.connector,
                argv: std::mem::take(&mut self.argv),
            });
        } else if self.connector == Connector::IfSuccess {
            return Err(ShlexError::EmptyCommand {
                sep: "&&".into(),
                at: 0,
            });
        }
        Ok(())
    }

    fn push(&mut self, c: char) {
        self.word.get_or_insert_with(String::new).push(c);
    }

    fn end_word(&mut self) {
        if let Some(w) = self.word.take() {
            self.argv.push(w);
        }
    }

    fn end_command(&mut self, next: Connector, sep: &str, at: usize) -> Result<(), ShlexError> {
        self.end_word();
        if self.argv.is_empty() {
            // A bare newline between commands is harmless; `;` or `&&` with nothing before is not.
            if sep == "\n" && self.connector == Connector::Always {
                return Ok(());
            }
            return Err(ShlexError::EmptyCommand {
                sep: sep.escape_default().to_string(),
                at,
            });
        }
        self.segments.push(Segment {
            connector: self.connector,
            argv: std::mem::take(&mut self.argv),
        });
        self.connector = next;
        Ok(())
    }

    fn single_quoted(&mut self, start: usize) -> Result<(), ShlexError> {
        let word = self.word.get_or_insert_with(String::new);
        for (_, c) in self.chars.by_ref() {
            if c == '\'' {
                return Ok(());
            }
            word.push(c);
        }
        Err(ShlexError::UnterminatedSingle(start))
    }

    fn double_quoted(&mut self, start: usize) -> Result<(), ShlexError> {
        self.word.get_or_insert_with(String::new);
        while let Some((at, c)) = self.chars.next() {
            match c {
                '"' => return Ok(()),
                '\\' => match self.chars.next() {
                    Some((_, n @ ('$' | '`' | '"' | '\\'))) => self.push(n),
                    Some((_, '\n')) => {}
                    Some((_, n)) => {
                        self.push('\\');
                        self.push(n);
                    }
                    None => return Err(ShlexError::UnterminatedDouble(start)),
                },
                '$' => self.dollar(at, true)?,
                '`' => {
                    return Err(ShlexError::Expansion {
                        what: "`".into(),
                        at,
                    });
                }
                other => self.push(other),
            }
        }
        Err(ShlexError::UnterminatedDouble(start))
    }

    /// A `$`: literal when nothing expandable follows, an error otherwise.
    fn dollar(&mut self, at: usize, _quoted: bool) -> Result<(), ShlexError> {
        match self.chars.peek() {
            Some(&(_, n)) if n == '(' || n == '{' || n == '_' || n.is_ascii_alphanumeric() => {
                Err(ShlexError::Expansion {
                    what: format!("${n}"),
                    at,
                })
            }
            Some(&(_, n)) if "?#@*!$-".contains(n) => Err(ShlexError::Expansion {
                what: format!("${n}"),
                at,
            }),
            _ => {
                self.push('$');
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn argv(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[rstest]
    #[case("getprop", &["getprop"])]
    #[case("  pm   list  packages ", &["pm", "list", "packages"])]
    #[case("echo 'a b' \"c d\" e\\ f", &["echo", "a b", "c d", "e f"])]
    #[case("echo ''", &["echo", ""])]
    #[case("echo 'it'\\''s'", &["echo", "it's"])]
    #[case("echo \"a\\\"b\\\\c\\d\"", &["echo", "a\"b\\c\\d"])]
    #[case("echo a#b # comment", &["echo", "a#b"])]
    #[case("echo '$(reboot)' '`x`' '; reboot #'", &["echo", "$(reboot)", "`x`", "; reboot #"])]
    #[case("echo $ a$", &["echo", "$", "a$"])]
    #[case("echo 'マイナ ポータル'", &["echo", "マイナ ポータル"])]
    #[case("echo 'a\nb'", &["echo", "a\nb"])]
    fn single_command_words(#[case] line: &str, #[case] want: &[&str]) {
        assert_eq!(split(line).unwrap(), argv(want));
    }

    #[test]
    fn separators_make_segments() {
        let segs = split_commands("a 1; b && c\nd").unwrap();
        let got: Vec<_> = segs.iter().map(|s| (s.connector, s.argv.clone())).collect();
        assert_eq!(
            got,
            vec![
                (Connector::Always, argv(&["a", "1"])),
                (Connector::Always, argv(&["b"])),
                (Connector::IfSuccess, argv(&["c"])),
                (Connector::Always, argv(&["d"])),
            ]
        );
        assert_eq!(split("a; b"), Err(ShlexError::SeveralCommands(2)));
    }

    #[rstest]
    #[case("echo 'abc", ShlexError::UnterminatedSingle(5))]
    #[case("echo \"abc", ShlexError::UnterminatedDouble(5))]
    #[case("echo abc\\", ShlexError::TrailingBackslash)]
    #[case("echo $(reboot)", ShlexError::Expansion { what: "$(".into(), at: 5 })]
    #[case("echo \"$HOME\"", ShlexError::Expansion { what: "$H".into(), at: 6 })]
    #[case("echo `reboot`", ShlexError::Expansion { what: "`".into(), at: 5 })]
    #[case("a | b", ShlexError::Operator { op: "|".into(), at: 2 })]
    #[case("a & b", ShlexError::Operator { op: "&".into(), at: 2 })]
    #[case("a > f", ShlexError::Operator { op: ">".into(), at: 2 })]
    #[case("; a", ShlexError::EmptyCommand { sep: ";".into(), at: 0 })]
    fn refusals_name_the_problem(#[case] line: &str, #[case] want: ShlexError) {
        assert_eq!(split_commands(line), Err(want));
    }

    #[test]
    fn empty_line_has_no_commands() {
        assert_eq!(split_commands("").unwrap(), vec![]);
        assert_eq!(split_commands("  # only a comment").unwrap(), vec![]);
    }
}

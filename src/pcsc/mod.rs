//! Real readers over PC/SC (pcsclite's pcscd): reader listing, binding readers to roles by name
//! pattern, waiting for a card, and [`PcscTransport`], a [`crate::transport::CardTransport`] with
//! per-command timeouts and PC/SC transactions around multi-APDU operations.
//!
//! Every PC/SC failure becomes a [`TransportError`] naming the reader: infrastructure, never a verdict.

pub mod check;
mod connector;
mod hotplug;
mod transport;
mod vpcd;

pub use connector::{ReaderEntry, ReaderRole, pcsc_connector};
pub use hotplug::{Wake, judge_wake, wait_for_card};
pub use transport::PcscTransport;
pub use vpcd::{vpcd_reader_name, vpcd_slot};

use crate::transport::TransportError;
use pcsc::{Context, ReaderState, Scope, State};
use serde::Deserialize;
use std::ffi::CString;
use std::time::Duration;

/// How a session shares the card with other PC/SC applications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Share {
    /// Other applications may connect; multi-APDU operations run inside transactions.
    #[default]
    Shared,
    /// No other application may connect while the session lasts.
    Exclusive,
}

/// Per-reader settings (a lab file's `readers:` entries carry them; all in milliseconds there).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PcscSettings {
    /// Share mode of a session.
    pub share: Share,
    /// Longest wait for the answer to one command, in ms.
    pub command_timeout_ms: u64,
    /// Longest wait for COMPUTE DIGITAL SIGNATURE (INS 2A), in ms: RSA on a real card can take 20 s.
    pub sign_timeout_ms: u64,
    /// Longest wait for a card to be present when a session opens, in ms.
    pub card_wait_ms: u64,
    /// Hold one PC/SC transaction for the whole session. Off by default: code that opens a second
    /// session while the first lives would wait for it; multi-APDU operations use
    /// [`PcscTransport::transaction`] instead.
    pub session_transaction: bool,
}

impl Default for PcscSettings {
    fn default() -> Self {
        PcscSettings {
            share: Share::Shared,
            command_timeout_ms: 5_000,
            sign_timeout_ms: 30_000,
            card_wait_ms: 2_000,
            session_transaction: false,
        }
    }
}

impl PcscSettings {
    /// The time limit for one command APDU (`sign_timeout_ms` for INS 2A).
    pub fn timeout_for(&self, command: &[u8]) -> Duration {
        if command.get(1) == Some(&0x2A) {
            Duration::from_millis(self.sign_timeout_ms)
        } else {
            Duration::from_millis(self.command_timeout_ms)
        }
    }
}

/// Turns a PC/SC error into a transport error naming the reader and what was being done.
pub fn transport_error(reader: &str, what: &str, e: pcsc::Error) -> TransportError {
    use pcsc::Error as E;
    let unit = format!("reader `{reader}`");
    match e {
        E::NoService | E::ServiceStopped => TransportError::Io {
            unit,
            detail: format!("{what}: no PC/SC service ({e}): is pcscd running?"),
        },
        E::NoReadersAvailable | E::UnknownReader | E::ReaderUnavailable => {
            TransportError::Disconnected {
                unit,
                detail: format!("{what}: reader unplugged or unknown ({e})"),
            }
        }
        E::NoSmartcard | E::RemovedCard => TransportError::Disconnected {
            unit,
            detail: format!("{what}: no card on the reader / card removed ({e})"),
        },
        E::ResetCard => TransportError::Disconnected {
            unit,
            detail: format!("{what}: the card was reset by another application ({e})"),
        },
        E::SharingViolation => TransportError::Io {
            unit,
            detail: format!("{what}: sharing violation: another application holds the card ({e})"),
        },
        E::Timeout => TransportError::Timeout {
            unit,
            millis: 0,
            what: what.to_string(),
        },
        E::UnpoweredCard | E::UnresponsiveCard | E::UnsupportedCard => TransportError::Io {
            unit,
            detail: format!("{what}: the card does not answer ({e})"),
        },
        other => TransportError::Io {
            unit,
            detail: format!("{what}: {other}"),
        },
    }
}

fn context(reader: &str) -> Result<Context, TransportError> {
    Context::establish(Scope::User).map_err(|e| transport_error(reader, "establish context", e))
}

/// Names of every reader pcscd knows (empty when none is plugged).
pub fn list_readers() -> Result<Vec<String>, TransportError> {
    let ctx = context("*")?;
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names
            .into_iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect()),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(transport_error("*", "list readers", e)),
    }
}

/// Glob match of a reader name: `*` any run of characters, `?` one character, else literal.
pub fn name_matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative glob with backtracking to the last star.
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// The one reader among `readers` whose name matches `pattern`; an error names the pattern and lists
/// the readers when none or several match.
pub fn pick_reader(pattern: &str, readers: &[String]) -> Result<String, TransportError> {
    let hits: Vec<&String> = readers
        .iter()
        .filter(|r| name_matches(pattern, r))
        .collect();
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(TransportError::Disconnected {
            unit: format!("reader `{pattern}`"),
            detail: format!(
                "no reader matches (readers: {})",
                if readers.is_empty() {
                    "none".to_string()
                } else {
                    readers.join(", ")
                }
            ),
        }),
        many => Err(TransportError::Io {
            unit: format!("reader `{pattern}`"),
            detail: format!(
                "{} readers match, make the pattern name one: {}",
                many.len(),
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// The reader whose name matches `pattern`, among the readers pcscd knows now.
pub fn resolve_reader(pattern: &str) -> Result<String, TransportError> {
    pick_reader(pattern, &list_readers()?)
}

/// The ATR of the card in the reader now, or `None` when no card is present.
pub fn card_atr(reader: &str) -> Result<Option<Vec<u8>>, TransportError> {
    let ctx = context(reader)?;
    let name = reader_cstring(reader)?;
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    ctx.get_status_change(Duration::ZERO, &mut states)
        .map_err(|e| transport_error(reader, "get status", e))?;
    let s = &states[0];
    Ok(s.event_state()
        .contains(State::PRESENT)
        .then(|| s.atr().to_vec()))
}

fn reader_cstring(reader: &str) -> Result<CString, TransportError> {
    CString::new(reader).map_err(|_| TransportError::Io {
        unit: format!("reader `{reader}`"),
        detail: "reader name contains a NUL byte".into(),
    })
}

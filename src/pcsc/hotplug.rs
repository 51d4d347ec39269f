//! Waiting for a card with reader hotplug: `get_status_change` watches the reader and pcscd's
//! `\\?PnP?\Notification` pseudo-reader, so a wait also ends — as an infrastructure error naming the
//! reader — when the reader itself is unplugged. What a wake-up means is decided by [`judge_wake`], a
//! pure function; [`wait_for_card`] is the I/O loop around it.

use super::{context, reader_cstring, transport_error};
use crate::transport::TransportError;
use pcsc::{PNP_NOTIFICATION, ReaderState, State};
use std::time::{Duration, Instant};

/// What one wake-up of `get_status_change` means for a wait for a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// The card is in the wanted state (present and answering, or absent).
    Done,
    /// Not yet: wait again.
    Again,
    /// The reader is gone (unplugged, or pcscd no longer knows it); the detail says how it showed.
    ReaderGone(String),
}

/// Decides a wake-up of a wait for a card on `reader`.
///
/// `reader_event` is the reader's event state; `readers_now` is pcscd's reader list, read after the
/// PnP pseudo-reader reported a change (`None` when it did not). A reader that pcscd reports unknown or
/// unavailable, or that is missing from the list after a PnP change, is gone.
pub fn judge_wake(
    reader: &str,
    reader_event: State,
    readers_now: Option<&[String]>,
    present: bool,
) -> Wake {
    if reader_event.intersects(State::UNKNOWN | State::UNAVAILABLE) {
        return Wake::ReaderGone(format!(
            "reader unplugged: pcscd reports `{reader}` {}",
            if reader_event.contains(State::UNKNOWN) {
                "unknown"
            } else {
                "unavailable"
            }
        ));
    }
    if let Some(list) = readers_now
        && !list.iter().any(|r| r == reader)
    {
        return Wake::ReaderGone(format!(
            "reader unplugged: pcscd no longer lists `{reader}` (readers: {})",
            if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            }
        ));
    }
    if reader_event.contains(State::PRESENT) == present && !reader_event.contains(State::MUTE) {
        Wake::Done
    } else {
        Wake::Again
    }
}

/// Waits until a card is present (`present == true`) or absent on `reader`. A timeout, or the reader
/// disappearing meanwhile (seen through PnP notification), is an error naming the reader.
pub fn wait_for_card(reader: &str, present: bool, timeout: Duration) -> Result<(), TransportError> {
    let ctx = context(reader)?;
    let name = reader_cstring(reader)?;
    let mut states = [
        ReaderState::new(name, State::UNAWARE),
        ReaderState::new(PNP_NOTIFICATION(), State::UNAWARE),
    ];
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match ctx.get_status_change(left, &mut states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => {
                return Err(TransportError::Timeout {
                    unit: format!("reader `{reader}`"),
                    millis: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                    what: if present {
                        "a card to be placed".into()
                    } else {
                        "the card to be removed".into()
                    },
                });
            }
            Err(e) => return Err(transport_error(reader, "wait for the card", e)),
        }
        let readers_now = if states[1].event_state().contains(State::CHANGED) {
            match ctx.list_readers_owned() {
                Ok(names) => Some(
                    names
                        .into_iter()
                        .map(|n| n.to_string_lossy().into_owned())
                        .collect::<Vec<_>>(),
                ),
                Err(pcsc::Error::NoReadersAvailable) => Some(Vec::new()),
                Err(e) => return Err(transport_error(reader, "list readers", e)),
            }
        } else {
            None
        };
        match judge_wake(
            reader,
            states[0].event_state(),
            readers_now.as_deref(),
            present,
        ) {
            Wake::Done => return Ok(()),
            Wake::Again => {}
            Wake::ReaderGone(detail) => {
                return Err(TransportError::Disconnected {
                    unit: format!("reader `{reader}`"),
                    detail: format!("wait for the card: {detail}"),
                });
            }
        }
        for s in &mut states {
            s.sync_current_state();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: &str = "ACS ACR1252 1S CL Reader [ACR1252 Dual Reader PICC] 00 00";

    fn list(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_present_card_ends_a_wait_for_one_and_not_a_wait_for_removal() {
        let ev = State::CHANGED | State::PRESENT;
        assert_eq!(judge_wake(R, ev, None, true), Wake::Done);
        assert_eq!(judge_wake(R, ev, None, false), Wake::Again);
        assert_eq!(judge_wake(R, State::EMPTY, None, false), Wake::Done);
        assert_eq!(judge_wake(R, State::EMPTY, None, true), Wake::Again);
    }

    #[test]
    fn a_mute_card_is_not_yet_present() {
        let ev = State::CHANGED | State::PRESENT | State::MUTE;
        assert_eq!(judge_wake(R, ev, None, true), Wake::Again);
    }

    #[test]
    fn a_reader_reported_unknown_or_unavailable_is_gone_and_named() {
        for (ev, word) in [
            (State::CHANGED | State::UNKNOWN, "unknown"),
            (State::CHANGED | State::UNAVAILABLE, "unavailable"),
            // Even with a stale PRESENT bit: the reader's loss wins.
            (State::UNKNOWN | State::PRESENT, "unknown"),
        ] {
            match judge_wake(R, ev, None, true) {
                Wake::ReaderGone(d) => {
                    assert!(d.contains(R), "{d}");
                    assert!(d.contains(word), "{d}");
                }
                other => panic!("{ev:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_pnp_change_that_drops_the_reader_ends_the_wait() {
        let others = list(&["Virtual PCD 00 00", "Virtual PCD 00 01"]);
        match judge_wake(R, State::EMPTY, Some(&others), true) {
            Wake::ReaderGone(d) => {
                assert!(d.contains(R), "{d}");
                assert!(d.contains("no longer lists"), "{d}");
                assert!(d.contains("Virtual PCD 00 01"), "{d}");
            }
            other => panic!("{other:?}"),
        }
        match judge_wake(R, State::EMPTY, Some(&[]), false) {
            Wake::ReaderGone(d) => assert!(d.contains("readers: none"), "{d}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_pnp_change_that_keeps_the_reader_is_judged_on_the_card() {
        let with = list(&["Virtual PCD 00 00", R]);
        assert_eq!(judge_wake(R, State::EMPTY, Some(&with), true), Wake::Again);
        assert_eq!(judge_wake(R, State::PRESENT, Some(&with), true), Wake::Done);
    }
}

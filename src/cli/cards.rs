//! A virtual lab file's `readers:` section: each entry puts a virtual card or phone SE on one of
//! vpcd's readers (`Virtual PCD 00 00` → slot 0, `Virtual PCD 00 01` → slot 1). `mynacert run` serves
//! them there for the run, and the runner reads them through pcscd (the PC/SC path a bench uses);
//! the cards and SEs without a reader are read in process.

use super::commands::CliError;
use crate::lab::virtual_lab::VirtualLab;
use crate::pcsc::{self, ReaderEntry, pcsc_connector};
use crate::sim::vpcd::{CardServer, CardSlot, VPCD_SLOTS, reader_name, serve_cards};
use std::time::Duration;

/// Which vpcd slot a reader pattern names (exactly one), or why it names none.
pub fn vpcd_slot(pattern: &str) -> Result<u16, String> {
    let hits: Vec<u16> = (0..VPCD_SLOTS)
        .filter(|slot| pcsc::name_matches(pattern, &reader_name(*slot)))
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!(
            "reader `{pattern}`: a virtual lab puts its cards and SEs on vpcd's readers only \
             (`{}` or `{}`)",
            reader_name(0),
            reader_name(1)
        )),
        _ => Err(format!(
            "reader `{pattern}` matches both vpcd readers; name one (`{}` or `{}`)",
            reader_name(0),
            reader_name(1)
        )),
    }
}

/// Serves every reader entry's card or SE on its vpcd slot and points the lab's SE and card reads at
/// pcscd. Returns the server (keep it for the run), or `None` when there are no readers.
pub fn serve_readers(
    lab: &mut VirtualLab,
    readers: &[ReaderEntry],
) -> Result<Option<CardServer>, CliError> {
    if readers.is_empty() {
        return Ok(None);
    }
    let mut used: Vec<u16> = Vec::new();
    let mut slots = Vec::new();
    for r in readers {
        let target = r.role().map_err(CliError::Invalid)?;
        let slot = vpcd_slot(&r.reader).map_err(CliError::Invalid)?;
        if used.contains(&slot) {
            return Err(CliError::Invalid(format!(
                "reader `{}`: two entries on the same vpcd reader",
                r.reader
            )));
        }
        used.push(slot);
        slots.push(CardSlot::local(target, slot));
    }
    let connector = pcsc_connector(readers).map_err(|e| CliError::Invalid(e.to_string()))?;
    let server = serve_cards(lab, &slots);
    for slot in used {
        let name = reader_name(slot);
        pcsc::wait_for_card(&name, true, Duration::from_secs(5)).map_err(|e| {
            CliError::Infra(format!(
                "{e}\npcscd must run with vsmartcard-vpcd (`pcscd -f`; Debian package vsmartcard-vpcd)"
            ))
        })?;
    }
    lab.set_apdu_connector(connector);
    Ok(Some(server))
}

#[cfg(test)]
mod tests {
    use super::vpcd_slot;

    #[test]
    fn reader_patterns_name_one_vpcd_slot() {
        assert_eq!(vpcd_slot("Virtual PCD 00 00"), Ok(0));
        assert_eq!(vpcd_slot("Virtual PCD * 01"), Ok(1));
        assert!(vpcd_slot("Virtual PCD*").unwrap_err().contains("both"));
        assert!(
            vpcd_slot("Sony FeliCa*")
                .unwrap_err()
                .contains("vpcd's readers only")
        );
    }
}

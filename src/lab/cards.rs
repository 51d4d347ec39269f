//! The lab's test cards at the end of a run: how many tries each PIN has left, read with header-only
//! VERIFYs (no try spent), so a lab sees a card running low before it locks.

use super::Lab;
use crate::jpki::{JpkiClient, PinState};
use crate::types::PinKind;

/// One identity's card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardTries {
    pub identity: String,
    /// (auth PIN, signing password), or why the card could not be read.
    pub tries: Result<(PinState, PinState), String>,
}

impl std::fmt::Display for CardTries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.tries {
            Ok((auth, sign)) => write!(
                f,
                "{}: auth PIN {auth}, signing password {sign}",
                self.identity
            ),
            Err(e) => write!(f, "{}: not read ({e})", self.identity),
        }
    }
}

/// Reads every identity's card of `lab`.
pub fn card_tries(lab: &mut dyn Lab) -> Vec<CardTries> {
    let ids: Vec<String> = lab.identities().iter().map(|i| i.id.clone()).collect();
    ids.into_iter()
        .map(|identity| {
            let tries = lab
                .card(&identity)
                .map_err(|e| e.to_string())
                .and_then(|t| {
                    let mut c = JpkiClient::new(t);
                    c.select_jpki_ap().map_err(|e| e.to_string())?;
                    let auth = c.retries_left(PinKind::Auth).map_err(|e| e.to_string())?;
                    let sign = c.retries_left(PinKind::Sign).map_err(|e| e.to_string())?;
                    Ok((auth, sign))
                });
            CardTries { identity, tries }
        })
        .collect()
}

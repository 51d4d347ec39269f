//! Lab wiring: a lab file's `readers:` section binds readers (by name pattern) to secure elements and
//! cards; [`pcsc_connector`] turns it into the [`ApduConnector`] the virtual lab (or a real lab) uses, so
//! the runner's SE and card reads go through PC/SC where a reader exists and in process otherwise.

use super::{PcscSettings, PcscTransport, resolve_reader};
use crate::lab::LabError;
use crate::lab::{ApduConnector, ApduTarget};
use crate::transport::CardTransport;
use serde::Deserialize;

/// One reader of a lab file: `{ reader: "ACS ACR1252*", se: R5CT1234ABC }` or `{ reader: …, card: taro }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReaderEntry {
    /// Reader name pattern (`*` and `?` wildcards); must match exactly one reader pcscd lists.
    pub reader: String,
    /// Serial of the phone lying on this reader (its SE in card emulation).
    #[serde(default)]
    pub se: Option<String>,
    /// Identity whose My Number Card lies on this reader.
    #[serde(default)]
    pub card: Option<String>,
    /// Timeouts and sharing.
    #[serde(default)]
    pub settings: PcscSettings,
}

/// What a reader entry serves.
pub type ReaderRole = ApduTarget;

impl ReaderEntry {
    /// The SE or card on this reader; an entry must name exactly one.
    pub fn role(&self) -> Result<ReaderRole, String> {
        match (&self.se, &self.card) {
            (Some(s), None) => Ok(ApduTarget::SecureElement(s.clone())),
            (None, Some(c)) => Ok(ApduTarget::Card(c.clone())),
            _ => Err(format!(
                "reader `{}`: give exactly one of `se:` (a phone serial) or `card:` (an identity)",
                self.reader
            )),
        }
    }
}

/// An [`ApduConnector`] over PC/SC for the given reader entries. Targets without a reader answer
/// `Ok(None)` (in process); a reader that fails is an infrastructure error naming it.
pub fn pcsc_connector(entries: &[ReaderEntry]) -> Result<ApduConnector, LabError> {
    let mut map = Vec::new();
    for e in entries {
        map.push((e.role().map_err(LabError::Config)?, e.clone()));
    }
    Ok(Box::new(move |target: &ApduTarget| {
        let Some((_, entry)) = map.iter().find(|(t, _)| t == target) else {
            return Ok(None);
        };
        let reader = resolve_reader(&entry.reader)?;
        let t = PcscTransport::connect(&reader, entry.settings.clone())?;
        Ok(Some(Box::new(t) as Box<dyn CardTransport>))
    }))
}

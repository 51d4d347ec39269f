//! vpcd's readers (vsmartcard's virtual reader driver): which slot a lab file's reader pattern names.

use super::name_matches;
use mynacert_wire::vpcd::{VPCD_SLOTS, reader_name};

/// The reader name pcscd gives vpcd's slot (`Virtual PCD 00 00` for slot 0).
pub fn vpcd_reader_name(slot: u16) -> String {
    reader_name(slot)
}

/// Which vpcd slot a reader pattern names (exactly one), or why it names none.
pub fn vpcd_slot(pattern: &str) -> Result<u16, String> {
    let hits: Vec<u16> = (0..VPCD_SLOTS)
        .filter(|slot| name_matches(pattern, &reader_name(*slot)))
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

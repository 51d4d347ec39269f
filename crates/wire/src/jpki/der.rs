//! The total length of a DER TLV from its first bytes (how READ BINARY knows where a certificate ends).

use thiserror::Error;

/// Why a DER header could not give a length.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DerHeaderError {
    /// Not enough bytes for the tag and length fields.
    #[error("DER header needs {need} bytes, only {got} present")]
    Truncated {
        /// Header bytes needed.
        need: usize,
        /// Bytes present.
        got: usize,
    },
    /// High tag number form (tag byte xx1F): not used by certificates.
    #[error("DER tag {tag:#04X} uses the high tag number form")]
    HighTagNumber {
        /// The first byte.
        tag: u8,
    },
    /// Indefinite length (0x80) is BER, not DER.
    #[error("DER length byte 0x80 (indefinite length) is not DER")]
    Indefinite,
    /// A long form with more length bytes than supported (more than 4) or reserved 0xFF.
    #[error("DER length form {byte:#04X} ({count} length bytes) is not supported")]
    LengthOfLength {
        /// The first length byte.
        byte: u8,
        /// How many length bytes it announces.
        count: usize,
    },
    /// A long form where a shorter one was required.
    #[error("DER length {len} is not minimally encoded")]
    NonMinimal {
        /// The length value.
        len: usize,
    },
}

/// Total TLV length (header + content) from the first bytes of a DER object.
pub fn der_total_len(bytes: &[u8]) -> Result<usize, DerHeaderError> {
    let (tag, first) = match bytes {
        [tag, first, ..] => (*tag, *first),
        _ => {
            return Err(DerHeaderError::Truncated {
                need: 2,
                got: bytes.len(),
            });
        }
    };
    if tag & 0x1F == 0x1F {
        return Err(DerHeaderError::HighTagNumber { tag });
    }
    if first < 0x80 {
        return Ok(2 + usize::from(first));
    }
    let count = usize::from(first & 0x7F);
    if count == 0 {
        return Err(DerHeaderError::Indefinite);
    }
    if count > 4 {
        return Err(DerHeaderError::LengthOfLength { byte: first, count });
    }
    let len_bytes = bytes.get(2..2 + count).ok_or(DerHeaderError::Truncated {
        need: 2 + count,
        got: bytes.len(),
    })?;
    let len = len_bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    let minimal = len >= 0x80 && len_bytes.first() != Some(&0);
    if !minimal {
        return Err(DerHeaderError::NonMinimal { len });
    }
    Ok(2 + count + len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::short(&[0x30, 0x03, 1, 2, 3], 5)]
    #[case::short_zero(&[0x04, 0x00], 2)]
    #[case::short_max(&[0x30, 0x7F], 129)]
    #[case::long1(&[0x30, 0x81, 0x80], 131)]
    #[case::long2(&[0x30, 0x82, 0x05, 0xFC], 4 + 0x5FC)]
    #[case::long3(&[0x30, 0x83, 0x01, 0x11, 0x70], 5 + 70_000)]
    #[case::long4(&[0x30, 0x84, 0x01, 0x00, 0x00, 0x00], 6 + 0x0100_0000)]
    fn reads_lengths(#[case] bytes: &[u8], #[case] want: usize) {
        assert_eq!(der_total_len(bytes), Ok(want));
    }

    #[rstest]
    #[case::empty(&[], DerHeaderError::Truncated { need: 2, got: 0 })]
    #[case::tag_only(&[0x30], DerHeaderError::Truncated { need: 2, got: 1 })]
    #[case::long2_cut(&[0x30, 0x82, 0x05], DerHeaderError::Truncated { need: 4, got: 3 })]
    #[case::indefinite(&[0x30, 0x80, 0, 0], DerHeaderError::Indefinite)]
    #[case::erased_ef(&[0xFF, 0xFF, 0xFF], DerHeaderError::HighTagNumber { tag: 0xFF })]
    #[case::five_len_bytes(&[0x30, 0x85, 1, 1, 1, 1, 1], DerHeaderError::LengthOfLength { byte: 0x85, count: 5 })]
    #[case::reserved(&[0x30, 0xFF], DerHeaderError::LengthOfLength { byte: 0xFF, count: 127 })]
    #[case::non_minimal_81(&[0x30, 0x81, 0x10], DerHeaderError::NonMinimal { len: 0x10 })]
    #[case::non_minimal_82(&[0x30, 0x82, 0x00, 0x90], DerHeaderError::NonMinimal { len: 0x90 })]
    fn rejects_headers(#[case] bytes: &[u8], #[case] want: DerHeaderError) {
        assert_eq!(der_total_len(bytes), Err(want));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8)) {
            let _ = der_total_len(&bytes);
        }
    }
}

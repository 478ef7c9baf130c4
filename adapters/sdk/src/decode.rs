//! Strict decoding of Japanese text files. Sources write UTF-8 or Shift_JIS (in practice Windows
//! CP932, which encoding_rs's `SHIFT_JIS` is); a byte that does not decode must be an error
//! naming its line, never a silent U+FFFD, so every adapter decodes (or checks) through here.

use encoding_rs::{DecoderResult, Encoding};

/// `bytes` as text in `encoding` (no BOM handling: callers strip what their format allows), or
/// the 1-based line of the first byte that does not decode.
pub fn decode_strict(encoding: &'static Encoding, bytes: &[u8]) -> Result<String, u64> {
    match encoding.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok(text.into_owned()),
        None => Err(check_strict(encoding, bytes).err().unwrap_or(1)),
    }
}

/// Whether `bytes` decode in `encoding`, without holding their text: decoded a few kilobytes
/// at a time into a scratch buffer and dropped; else the 1-based line of the first byte that
/// does not decode. For a reader that decodes a checked file piece by piece.
pub fn check_strict(encoding: &'static Encoding, bytes: &[u8]) -> Result<(), u64> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut scratch = [0u8; 8192];
    let mut read = 0;
    loop {
        let (result, consumed, _) =
            decoder.decode_to_utf8_without_replacement(&bytes[read..], &mut scratch, true);
        read += consumed;
        match result {
            DecoderResult::InputEmpty => return Ok(()),
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(malformed, after) => {
                let at = read.saturating_sub(usize::from(malformed) + usize::from(after));
                let lines = bytes[..at].iter().filter(|b| **b == b'\n').count();
                return Err(lines as u64 + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use encoding_rs::SHIFT_JIS;

    use super::*;

    #[test]
    fn a_bad_byte_is_reported_on_its_line() {
        let good = SHIFT_JIS.encode("難病\n小慢\n").0.into_owned();
        assert_eq!(
            decode_strict(SHIFT_JIS, &good).as_deref(),
            Ok("難病\n小慢\n")
        );
        let mut bad = good.clone();
        bad.extend_from_slice(b"ok\n\x82\n");
        assert_eq!(decode_strict(SHIFT_JIS, &bad), Err(4));
    }

    /// A file far longer than the scratch buffer: checked whole, the bad byte still located.
    #[test]
    fn a_long_file_is_checked_without_its_text() {
        let lines: String = (1..=9_000).map(|i| format!("{i},難病の患者\n")).collect();
        let good = SHIFT_JIS.encode(&lines).0.into_owned();
        assert_eq!(check_strict(SHIFT_JIS, &good), Ok(()));
        let mut bad = good.clone();
        bad.extend_from_slice(b"9001,\x82\n9002\n");
        assert_eq!(check_strict(SHIFT_JIS, &bad), Err(9_001));
        assert_eq!(decode_strict(SHIFT_JIS, &bad), Err(9_001));
        assert_eq!(
            check_strict(encoding_rs::UTF_8, "a\nb\n\u{fffd}".as_bytes()),
            Ok(())
        );
        assert_eq!(check_strict(encoding_rs::UTF_8, b"a\nb\xff\n"), Err(2));
    }
}

//! Strict decoding of Japanese text files. Sources write UTF-8 or Shift_JIS (in practice Windows
//! CP932, which encoding_rs's `SHIFT_JIS` is); a byte that does not decode must be an error
//! naming its line, never a silent U+FFFD, so every adapter decodes through this one function.

use encoding_rs::Encoding;

/// `bytes` as text in `encoding` (no BOM handling: callers strip what their format allows), or
/// the 1-based line of the first byte that does not decode.
pub fn decode_strict(encoding: &'static Encoding, bytes: &[u8]) -> Result<String, u64> {
    if let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(bytes) {
        return Ok(text.into_owned());
    }
    // Byte 0x0A never occurs inside a character of an ASCII-compatible encoding, so the first
    // line that fails on its own is where the text fails.
    Err(bytes
        .split(|b| *b == b'\n')
        .position(|chunk| {
            encoding
                .decode_without_bom_handling_and_without_replacement(chunk)
                .is_none()
        })
        .map_or(1, |i| i as u64 + 1))
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
}

//! Where a key ends. In text a key body stops at the first byte that is not a
//! letter or digit; in binary data (a `.pyc`, a serialized object) the body may run
//! straight into the container's next byte (`…Mc` + `c` for the code object that
//! follows, or `N` for None), and nothing says where the key stops. Such an end is
//! *ambiguous*: the finding says so, `verify` does not call a rejected body
//! inactive, and `revoke` leaves the key to the user.

/// The shortest body a key has (`../shared/qrcodepro-api.md`: 20 or more letters
/// and digits): a length prefix below it is not the key's.
pub const MIN_BODY: usize = 20;

/// How far around a match binary bytes make it a match in binary data.
const NEAR: usize = 16;

/// Whether the body of the key at `start..end` (the whole match, prefix included,
/// `prefix` bytes of it the literal prefix, `min_body` the shortest body a key
/// has) may end earlier than the match does: it sits in binary data, and either
/// runs into a byte that does not end text (a type tag, a length, anything but a
/// NUL, a blank or a quote) or follows a length prefix that claims fewer bytes
/// than were matched.
pub fn ambiguous(data: &[u8], start: usize, end: usize, prefix: usize, min_body: usize) -> bool {
    if start >= end || end > data.len() || !binary_near(data, start, end) {
        return false;
    }
    let ends_text = matches!(
        data.get(end),
        None | Some(0 | 0x1b | b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b'`')
    );
    !ends_text || shorter_length_prefix(data, start, end - start, prefix + min_body)
}

/// A byte that text does not hold (a control other than a blank, or the escape
/// that starts a terminal colour in a log) within [`NEAR`] bytes of the match.
fn binary_near(data: &[u8], start: usize, end: usize) -> bool {
    let before = &data[start.saturating_sub(NEAR)..start];
    let after = &data[end..data.len().min(end + NEAR)];
    before
        .iter()
        .chain(after)
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
}

/// Whether the bytes just before `start` read as a length (one byte, two bytes
/// either order, four bytes either order: how serializers prefix a string) of
/// at least `min` and less than the `matched` length.
fn shorter_length_prefix(data: &[u8], start: usize, matched: usize, min: usize) -> bool {
    let before = &data[..start];
    let mut lengths = Vec::with_capacity(5);
    if let Some(&[b]) = before.last_chunk::<1>() {
        lengths.push(usize::from(b));
    }
    if let Some(&b) = before.last_chunk::<2>() {
        lengths.push(usize::from(u16::from_be_bytes(b)));
        lengths.push(usize::from(u16::from_le_bytes(b)));
    }
    if let Some(&b) = before.last_chunk::<4>() {
        lengths.push(u32::from_be_bytes(b) as usize);
        lengths.push(u32::from_le_bytes(b) as usize);
    }
    lengths.into_iter().any(|n| n >= min && n < matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"qrcp_live_FAKE0nly4Tests9NotARealKey";

    fn at(data: &[u8]) -> bool {
        let start = memchr::memmem::find(data, b"qrcp_").unwrap();
        let end = start
            + data[start + 10..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count()
            + 10;
        ambiguous(data, start, end, 10, 20)
    }

    #[test]
    fn runs_into_a_type_tag_in_binary_data() {
        // Python's marshal: a short string, then None (`N`).
        let mut pyc = b"\x00\xda$".to_vec();
        pyc.extend_from_slice(KEY);
        pyc.extend_from_slice(b"N)\x03r\x04\x00\x00");
        assert!(at(&pyc));
        // A length prefix that claims fewer bytes than matched: `c` is the next tag.
        let mut pyc = b"\x04\xda$".to_vec();
        pyc.extend_from_slice(KEY);
        pyc.extend_from_slice(b"c\x00\x00\x00\x00");
        assert!(at(&pyc));
    }

    #[test]
    fn text_and_terminated_strings_are_not_ambiguous() {
        let mut text = b"const k = \"".to_vec();
        text.extend_from_slice(KEY);
        text.extend_from_slice(b"\";\n");
        assert!(!at(&text));
        // A C string in a binary: NUL-terminated, no length before it.
        let mut elf = b"\x7fELF\x00\x00".to_vec();
        elf.extend_from_slice(KEY);
        elf.extend_from_slice(b"\x00\x00\x01");
        assert!(!at(&elf));
        // A coloured log line: terminal escapes are text.
        let mut log = b"key: \x1b[32m".to_vec();
        log.extend_from_slice(KEY);
        log.extend_from_slice(b"\x1b[0m\n");
        assert!(!at(&log));
        // A length prefix that says exactly the match.
        let mut exact = vec![0u8, 0, KEY.len() as u8];
        exact.extend_from_slice(KEY);
        exact.push(0);
        assert!(!at(&exact));
    }
}

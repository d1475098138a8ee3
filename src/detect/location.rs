//! Byte offsets to 1-based lines and character columns, and the clipped window of a
//! line that a reporter shows around a match.

use memchr::{memchr, memrchr};

/// How many bytes of a line a snippet shows on each side of a match. Minified
/// bundles have lines of megabytes; a reporter never gets more than this.
pub const WINDOW: usize = 60;

/// Resolves offsets to (line, column) moving forward through a blob, so that k
/// sorted offsets cost one pass over the bytes before the last one, however long
/// the lines (a minified bundle is one line of megabytes).
pub struct Locator<'a> {
    data: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
    /// Characters from `line_start` to `pos`.
    col: usize,
}

impl<'a> Locator<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Locator {
            data,
            pos: 0,
            line: 1,
            line_start: 0,
            col: 0,
        }
    }

    /// Line (1-based) and character column (1-based) of `offset`. Going backwards
    /// within the current line recounts that line; further back restarts.
    pub fn locate(&mut self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.data.len());
        if offset < self.line_start {
            *self = Locator::new(self.data);
        }
        if offset < self.pos {
            self.col = char_count(&self.data[self.line_start..offset]);
        } else {
            let span = &self.data[self.pos..offset];
            match memchr::memrchr(b'\n', span) {
                Some(last) => {
                    self.line += memchr::memchr_iter(b'\n', span).count();
                    self.line_start = self.pos + last + 1;
                    self.col = char_count(&self.data[self.line_start..offset]);
                }
                None => self.col += char_count(span),
            }
        }
        self.pos = offset;
        (self.line, self.col + 1)
    }
}

/// Characters in UTF-8 bytes (invalid bytes count one each): the bytes that are
/// not continuation bytes (0x80 to 0xBF, below -64 as `i8`). Summed in `u8` over
/// runs too short to overflow it, which the compiler turns into 16 bytes an
/// instruction; a `usize` count widened every byte to 64 bits and went at about a
/// byte a cycle, and a key at the end of a 6 MB minified line has 6 MB to count.
pub fn char_count(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|run| usize::from(run.iter().fold(0u8, |n, &b| n + u8::from(b as i8 >= -64))))
        .sum()
}

/// The line around `start..end` (which must not cross a line break), clipped to
/// [`WINDOW`] bytes on each side at character boundaries. Returns the window's byte
/// range and whether either side was clipped. Looks at no more than the window:
/// a key on a 100 MB line costs the same as on a short one.
pub fn line_window(data: &[u8], start: usize, end: usize) -> (usize, usize, bool, bool) {
    let lo = start.saturating_sub(WINDOW);
    let mut ws = memrchr(b'\n', &data[lo..start]).map_or(lo, |i| lo + i + 1);
    let hi = (end + WINDOW).min(data.len());
    let mut we = memchr(b'\n', &data[end..hi]).map_or(hi, |i| end + i);
    if we > end && data[we - 1] == b'\r' && data.get(we) == Some(&b'\n') {
        we -= 1;
    }
    while ws > 0 && data[ws - 1] != b'\n' && (data[ws] & 0xC0) == 0x80 {
        ws -= 1;
    }
    while we < data.len() && (data[we] & 0xC0) == 0x80 {
        we += 1;
    }
    let clipped_start = ws > 0 && data[ws - 1] != b'\n';
    let clipped_end = we < data.len()
        && data[we] != b'\n'
        && !(data[we] == b'\r' && data.get(we + 1) == Some(&b'\n'));
    (ws, we, clipped_start, clipped_end)
}

/// Start of the line holding `offset` and its end (exclusive, before `\n`),
/// looking at most `before` bytes back and `after` bytes ahead (the bounds are cut
/// there on longer lines).
pub fn line_bounds_within(
    data: &[u8],
    offset: usize,
    before: usize,
    after: usize,
) -> (usize, usize) {
    let lo = offset.saturating_sub(before);
    let hi = offset.saturating_add(after).min(data.len());
    let ls = memrchr(b'\n', &data[lo..offset]).map_or(lo, |i| lo + i + 1);
    let le = memchr(b'\n', &data[offset..hi]).map_or(hi, |i| offset + i);
    (ls, le)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_of_any_length() {
        let text = "aé€😀".repeat(300) + "x";
        assert_eq!(char_count(text.as_bytes()), text.chars().count());
        assert_eq!(char_count(&[0x80; 600]), 0);
        assert_eq!(char_count(&[b'a'; 1000]), 1000);
        assert_eq!(char_count(&[0xff, 0xc3]), 2);
        assert_eq!(char_count(b""), 0);
    }

    #[test]
    fn locates_lines_and_char_columns() {
        let data = "ab\r\nçé x\nlast".as_bytes();
        let mut loc = Locator::new(data);
        assert_eq!(loc.locate(0), (1, 1));
        assert_eq!(loc.locate(4), (2, 1));
        let x = data.iter().position(|&b| b == b'x').unwrap();
        assert_eq!(loc.locate(x), (2, 4));
        assert_eq!(loc.locate(data.len()), (3, 5));
        assert_eq!(loc.locate(1), (1, 2));
    }

    #[test]
    fn clips_long_lines() {
        let mut line = "a".repeat(1000);
        line.push_str("KEY");
        line.push_str(&"b".repeat(1000));
        let d = line.as_bytes();
        let (ws, we, l, r) = line_window(d, 1000, 1003);
        assert_eq!((ws, we, l, r), (1000 - WINDOW, 1003 + WINDOW, true, true));
        let (ws, we, l, r) = line_window(b"x KEY\r\n", 2, 5);
        assert_eq!((ws, we, l, r), (0, 5, false, false));
    }
}

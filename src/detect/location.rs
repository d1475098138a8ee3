//! Byte offsets to 1-based lines and character columns, and the clipped window of a
//! line that a reporter shows around a match.

use memchr::{memchr, memrchr};

/// How many bytes of a line a snippet shows on each side of a match. Minified
/// bundles have lines of megabytes; a reporter never gets more than this.
pub const WINDOW: usize = 60;

/// Resolves offsets to (line, column) moving forward through a blob, so that k
/// sorted offsets cost one pass over the bytes before the last one.
pub struct Locator<'a> {
    data: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
}

impl<'a> Locator<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Locator {
            data,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// Line (1-based) and character column (1-based) of `offset`. Offsets must not
    /// go backwards by more than the current line; a smaller one restarts the scan.
    pub fn locate(&mut self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.data.len());
        if offset < self.line_start {
            *self = Locator::new(self.data);
        }
        let from = self.pos.max(self.line_start);
        for nl in memchr::memchr_iter(b'\n', &self.data[from..offset]) {
            self.line += 1;
            self.line_start = from + nl + 1;
        }
        self.pos = offset;
        (
            self.line,
            char_count(&self.data[self.line_start..offset]) + 1,
        )
    }
}

/// Characters in UTF-8 bytes (invalid bytes count one each).
pub fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// The line around `start..end` (which must not cross a line break), clipped to
/// [`WINDOW`] bytes on each side at character boundaries. Returns the window's byte
/// range and whether either side was clipped.
pub fn line_window(data: &[u8], start: usize, end: usize) -> (usize, usize, bool, bool) {
    let line_start = memrchr(b'\n', &data[..start]).map_or(0, |i| i + 1);
    let line_end = memchr(b'\n', &data[end..]).map_or(data.len(), |i| end + i);
    let line_end = if line_end > line_start
        && data.get(line_end.wrapping_sub(1)) == Some(&b'\r')
        && line_end > end
    {
        line_end - 1
    } else {
        line_end
    };
    let mut ws = start.saturating_sub(WINDOW).max(line_start);
    while ws > line_start && (data[ws] & 0xC0) == 0x80 {
        ws -= 1;
    }
    let mut we = (end + WINDOW).min(line_end);
    while we < line_end && (data[we] & 0xC0) == 0x80 {
        we += 1;
    }
    (ws, we, ws > line_start, we < line_end)
}

/// Start of the line holding `offset`, and its end (exclusive, before `\n`).
pub fn line_bounds(data: &[u8], offset: usize) -> (usize, usize) {
    let ls = memrchr(b'\n', &data[..offset]).map_or(0, |i| i + 1);
    let le = memchr(b'\n', &data[offset..]).map_or(data.len(), |i| offset + i);
    (ls, le)
}

#[cfg(test)]
mod tests {
    use super::*;

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

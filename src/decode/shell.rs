//! Shell words: a POSIX shell joins adjacent quoted and unquoted pieces into one
//! word, so `KEY=qrcp_'live_'"Ab…"`, `"qrcp_live_"'Ab…'` and `$'qrcp\x5flive_…'`
//! (bash's ANSI-C quoting) all hold one key; so do `K=qrcp_live_$B` and
//! `"qrcp_live_${B}"` where `B` is bound in the same file (a script, a dotenv
//! file that expands its variables). The region is the candidate's line
//! (from at most [`BEFORE`] bytes back) and what follows it up to [`AFTER`], with
//! the quotes removed as the shell removes them.

use super::Layer;
use super::idents::Idents;
use super::joins::{bare_name, bound, var_name_end};
use super::layers::{AFTER, BEFORE, Region, hex_run};
use crate::detect::ascii_run;

/// What follows the word characters of the piece at `at` (at most 256 of
/// them read).
fn after_piece(data: &[u8], at: usize) -> &[u8] {
    let head = &data[at..data.len().min(at + 256)];
    &data[at + ascii_run(head, b"_")..]
}

/// Whether the piece is glued to more of a word by what follows it (`rest`,
/// [`after_piece`]): a quote followed by more of a word or another quote
/// (`qrcp_'live_'`, `'qrcp_live_'"Ab…"`), `$'`/`$"`, a variable, or a `\`. A
/// quote followed by an operator (`"qrcp_live_"+`, `".concat(`) or a space ends
/// a shell word; that line is not decoded for this candidate (a minified file of
/// such pieces decoded its whole line window at every one).
fn glued(rest: &[u8]) -> bool {
    match *rest {
        [b'\\', ..] | [b'$', b'\'' | b'"' | b'{', ..] => true,
        [b'$', c, ..] => c.is_ascii_alphabetic() || c == b'_',
        [b'\'' | b'"', next, ..] => {
            next.is_ascii_alphanumeric()
                || matches!(next, b'_' | b'-' | b'\'' | b'"' | b'$' | b'\\')
        }
        _ => false,
    }
}

/// Whether the piece at `at` is glued to more of a word ([`glued`]): shell
/// words may join it (a cheap look, before any region is made).
pub fn glued_at(data: &[u8], at: usize) -> bool {
    glued(after_piece(data, at.min(data.len())))
}

/// Whether the quoted piece opened at `open` is glued to more of a word on
/// either side (`qr"cp_…"`, `"qr"cp_…`, `'q'"rcp_…"`): a trigger that opens a
/// piece (`"qr"`, `"rcp`) is read as shell words only then (a `"qr"` among a
/// JSON file's strings is no word, and its line is not decoded for it).
pub fn piece_glued(data: &[u8], open: usize) -> bool {
    let word = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'"' | b'\'');
    let left = open
        .checked_sub(1)
        .and_then(|i| data.get(i))
        .is_some_and(word);
    let Some(&q) = data.get(open) else {
        return false;
    };
    let rest = &data[open + 1..];
    let close = memchr::memchr2(q, b'\n', &rest[..rest.len().min(256)]);
    let right = close
        .filter(|&c| rest[c] == q)
        .and_then(|c| rest.get(c + 1))
        .is_some_and(word);
    left || right
}

/// The region around `at` with shell quoting undone.
pub fn words(data: &[u8], at: usize, idents: &mut Idents) -> Option<Region> {
    let at = at.min(data.len());
    let rest = after_piece(data, at);
    if !glued(rest) {
        return None;
    }
    // A JavaScript template literal's first piece glued to a variable
    // (`` `qrcp_live_${e}` ``, as minifiers write it): its `$` is text here
    // (see below), so the words would join nothing, and the line was decoded
    // for nothing (the join is `super::joins`'). A `$'…'` or a quote glued on
    // is still read.
    let variable = matches!(rest, [b'$', c, ..] if *c != b'\'' && *c != b'"');
    if variable && at > 0 && data[at - 1] == b'`' {
        return None;
    }
    let lo = at.saturating_sub(BEFORE);
    let s = memchr::memrchr(b'\n', &data[lo..at]).map_or(lo, |i| lo + i + 1);
    let e = (at + AFTER).min(data.len());
    let mut r = Region::new(Layer::Concatenation, s);
    let mut i = s;
    // Inside `` `…` ``: a JavaScript template literal more often than a
    // command substitution; its `$x` is text.
    let mut tick = false;
    while i < e {
        match data[i] {
            b'`' => {
                tick = !tick;
                r.push(b'`', i);
                i += 1;
            }
            b'\'' => i = single(data, i + 1, e, &mut r),
            b'"' => i = double(data, i + 1, e, &mut r, idents),
            b'$' if data.get(i + 1) == Some(&b'\'') => i = ansi_c(data, i + 2, e, &mut r),
            b'$' if data.get(i + 1) == Some(&b'"') => i = double(data, i + 2, e, &mut r, idents),
            b'$' if !tick && let Some(after) = expand(data, i, e, &mut r, idents) => i = after,
            b'\\' if i + 1 < e => {
                // `\` + line break continues the line; `\c` is `c`.
                if data[i + 1] != b'\n' {
                    r.push(data[i + 1], i + 1);
                }
                i += 2;
            }
            b => {
                r.push(b, i);
                i += 1;
            }
        }
    }
    r.finish(e)
}

/// `'…'` from `i`: every byte as it is, up to the closing quote.
fn single(data: &[u8], mut i: usize, e: usize, r: &mut Region) -> usize {
    while i < e && data[i] != b'\'' {
        r.push(data[i], i);
        i += 1;
    }
    i + 1
}

/// `$NAME` or `${NAME}` at `data[i]`, expanded to the value bound to `NAME` in
/// the same file (appended to `r`); returns the offset after it, `None` (and
/// nothing appended) for anything else or a name bound nowhere here.
fn expand(data: &[u8], i: usize, e: usize, r: &mut Region, idents: &mut Idents) -> Option<usize> {
    if data.get(i + 1) != Some(&b'{') {
        return bare_name(data, i, e, r, idents);
    }
    let end = var_name_end(data, i + 2).filter(|&end| end < e && data[end] == b'}')?;
    bound(data, &data[i + 2..end], i, r, idents)?;
    Some(end + 1)
}

/// `"…"` from `i`: `\` escapes only `$`, `` ` ``, `"`, `\` and a line break;
/// variables are expanded.
fn double(data: &[u8], mut i: usize, e: usize, r: &mut Region, idents: &mut Idents) -> usize {
    while i < e && data[i] != b'"' {
        if data[i] == b'$'
            && let Some(after) = expand(data, i, e, r, idents)
        {
            i = after;
            continue;
        }
        if data[i] == b'\\'
            && i + 1 < e
            && matches!(data[i + 1], b'$' | b'`' | b'"' | b'\\' | b'\n')
        {
            if data[i + 1] != b'\n' {
                r.push(data[i + 1], i + 1);
            }
            i += 2;
            continue;
        }
        r.push(data[i], i);
        i += 1;
    }
    i + 1
}

/// `$'…'` from `i`: C escapes (`\x5f`, `\137`, `\u005f`, `\U0000005f`, `\n`…).
fn ansi_c(data: &[u8], mut i: usize, e: usize, r: &mut Region) -> usize {
    while i < e && data[i] != b'\'' {
        if data[i] != b'\\' || i + 1 >= e {
            r.push(data[i], i);
            i += 1;
            continue;
        }
        let (c, len) = match data[i + 1] {
            b'x' => match hex_run(data, i + 2, 2, e) {
                Some((v, k)) => (v, 2 + k),
                None => (u32::from(b'x'), 2),
            },
            b'u' => match hex_run(data, i + 2, 4, e) {
                Some((v, k)) => (v, 2 + k),
                None => (u32::from(b'u'), 2),
            },
            b'U' => match hex_run(data, i + 2, 8, e) {
                Some((v, k)) => (v, 2 + k),
                None => (u32::from(b'U'), 2),
            },
            b'0'..=b'7' => {
                let n = data[i + 1..e.min(i + 4)]
                    .iter()
                    .take_while(|d| (b'0'..=b'7').contains(*d))
                    .count();
                let v = data[i + 1..i + 1 + n]
                    .iter()
                    .fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
                (v & 0xFF, 1 + n)
            }
            b'n' => (u32::from(b'\n'), 2),
            b't' => (u32::from(b'\t'), 2),
            b'r' => (u32::from(b'\r'), 2),
            b'e' | b'E' => (0x1B, 2),
            b'a' => (0x07, 2),
            b'b' => (0x08, 2),
            b'f' => (0x0C, 2),
            b'v' => (0x0B, 2),
            c => (u32::from(c), 2),
        };
        r.push_char(char::from_u32(c).unwrap_or('\u{FFFD}'), i);
        i += len;
    }
    i + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `s` with shell quoting undone, decoded for the candidate at `from`'s
    /// first occurrence.
    fn undo(s: &str, from: &str) -> String {
        let r = words(s.as_bytes(), s.find(from).unwrap(), &mut Idents::default()).unwrap();
        String::from_utf8_lossy(&r.bytes).into_owned()
    }

    #[test]
    fn quotes_are_removed_as_the_shell_removes_them() {
        assert_eq!(
            undo(r#"K=qrcp_'live_'"Ab\"c""#, "qrcp"),
            r#"K=qrcp_live_Ab"c"#
        );
        assert_eq!(
            undo(r"K=$'qrcp\x5flive\137\u0041\n'", "qrcp"),
            "K=qrcp_live_A\n"
        );
        assert_eq!(undo("K=ab\\\ncd 'x y'", "ab"), "K=abcd x y");
        assert_eq!(undo(r#"a "b\c" $"d""#, "b"), r#"a b\c d"#);
        // Unterminated quotes end at the region's end without panicking.
        assert_eq!(undo("x='ab", "'"), "x=ab");
        assert_eq!(undo("x=$'\\", "$"), "x=\\");
    }

    /// A piece glued to more of a word is decoded; one that an operator or a
    /// space follows is not (the shell would not join it).
    #[test]
    fn only_glued_pieces_are_decoded() {
        for glued in [
            "qrcp_'live_'",
            "'qrcp_live_'\"Ab\"",
            "\"qrcp_live_\"Ab",
            "'qrcp_live_''Ab'",
            "qrcp_live_$'Ab'",
            "qrcp\\x5f",
            "qrcp_live_$B",
            "qrcp_live_${B}",
        ] {
            assert!(
                words(
                    glued.as_bytes(),
                    glued.find('q').unwrap(),
                    &mut Idents::default()
                )
                .is_some(),
                "{glued}"
            );
        }
        for apart in [
            "\"qrcp_live_\"+\"Ab\"",
            "\"qrcp_live_\".concat(",
            "'qrcp_live_' 'Ab'",
            "[\"qrcp_live_\",o()]",
            "qrcp_live_Ab",
            "qrcp_li\n  ve",
            "qrcp_live_$1",
            "qrcp_live_$ B",
        ] {
            assert!(
                words(
                    apart.as_bytes(),
                    apart.find('q').unwrap(),
                    &mut Idents::default()
                )
                .is_none(),
                "{apart}"
            );
        }
    }

    /// `$B` and `${B}`, unquoted or in double quotes, expand to the value bound
    /// to `B` in the same file (quoted or not, `export` or not); single quotes
    /// and names bound nowhere are left as written.
    #[test]
    fn variables_bound_in_the_file_are_expanded() {
        let cases = [
            ("B=abc\nK=qrcp_live_$B\n", "K=qrcp_live_abc\n"),
            (
                "export B=abc # body\nK=qrcp_live_${B}x\n",
                "K=qrcp_live_abcx\n",
            ),
            ("B='abc'\nK=\"qrcp_live_$B\"\n", "K=qrcp_live_abc\n"),
            (
                "B=\"abc\"\nK=\"qrcp_live_${B}\"$B\n",
                "K=qrcp_live_abcabc\n",
            ),
            ("B=abc\nK='qrcp_live_$B'\"$C\"\n", "K=qrcp_live_$B$C\n"),
            (
                "B=abc\nK=qrcp_live_${B:-x}$Bz\n",
                "K=qrcp_live_${B:-x}$Bz\n",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(undo(text, "qrcp"), want, "{text:?}");
        }
        // A name that runs past the region's end is left as written.
        let head = "B=abc\nK=qrcp_'x'";
        let pad = AFTER - (head.len() - head.find("qrcp").unwrap()) - 1;
        let text = format!("{head}{}$B", "y".repeat(pad));
        assert!(undo(&text, "qrcp").ends_with("y$"), "{text:?}");
    }
}

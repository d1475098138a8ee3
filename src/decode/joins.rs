//! Reassembly: string literals joined where the language joins them (`+`,
//! adjacent literals, template literals, `[…].join("")`, `"".join([…])`,
//! `.concat(…)` and other concat calls, `.`, `..`, `||`, `&`, `<<`, across line
//! continuations), arrays of characters (`{'q', 'r', …}`), with operands that are
//! names bound to literals in the same file,
//! and a literal bound to a name joined where the name is used (an array's
//! elements used by index: [`super::indexed`]).

use super::Layer;
use super::calls::decoding_call;
use super::idents::{self, Idents};
use super::layers::{AFTER, BEFORE, MAX_GAP, Region, is_quote, skip_blank};

/// String literals joined from one candidate: far more than a key is cut
/// into, so that a region covers the candidates of most of its pieces (at 64,
/// a file of `"qrcp_live_"+` repeated joined each piece 1.45 times, each
/// join read again; 1024 was no faster: the window's end comes soon after).
const MAX_PIECES: usize = 256;
/// One-character literals joined from one candidate (a key spelled a character
/// a piece, its body as long as a key's may be).
const MAX_CHARS: usize = 256;

/// How a string literal interpolates: `${…}` (template literals; and `#{…}` in
/// double-quoted strings, as Kotlin, Groovy, Dart, PHP, HCL, shell and Ruby
/// do), `{…}` (Python's f-strings, C#'s `$"…"`, with `{{` for a brace), or not
/// at all (single-quoted strings).
#[derive(Clone, Copy, PartialEq)]
enum Interp {
    Dollar,
    Brace,
    Plain,
}

/// How the literal whose quote is at `data[i]` interpolates (see [`Interp`]).
fn interp_of(data: &[u8], i: usize) -> Interp {
    let q = data[i];
    if q == b'`' {
        return Interp::Dollar;
    }
    // A prefix of up to two letters, not the end of a longer name: `f"`,
    // `rf'`, `$"`, `$@"`.
    let mut k = i;
    while k > 0 && i - k < 2 && matches!(data[k - 1], b'f' | b'F' | b'r' | b'R' | b'$' | b'@') {
        k -= 1;
    }
    let prefix = &data[k..i];
    let whole = k == 0 || !idents::is_ident_byte(data[k - 1]);
    if whole && prefix.iter().any(|&c| matches!(c, b'f' | b'F' | b'$')) {
        return Interp::Brace;
    }
    match q {
        b'"' => Interp::Dollar,
        _ => Interp::Plain,
    }
}

/// The contents of the string literal opened at `data[i]`, appended to `r`; returns
/// the offset after its closing quote. Escapes are kept as written (the escape
/// layer decodes them); where it interpolates ([`Interp`]), `${"literal"}` adds
/// that literal and `${name}` the literal bound to `name` in the same file (both
/// set `joined`).
fn literal(
    data: &[u8],
    i: usize,
    r: &mut Region,
    limit: usize,
    joined: &mut bool,
    idents: &mut Idents,
) -> Option<usize> {
    let q = *data.get(i)?;
    literal_from(data, q, interp_of(data, i), i + 1, r, limit, joined, idents)
}

/// The bytes [`literal_from`] reads one at a time, whatever the quote: a line
/// break, an escape, and what may open an interpolated piece.
static LITERAL_MARK: [bool; 256] = {
    let mut t = [false; 256];
    t[b'\n' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'$' as usize] = true;
    t[b'#' as usize] = true;
    t[b'{' as usize] = true;
    t
};

/// [`literal`] from `j`, inside a literal quoted by `q`: its contents up to the
/// closing quote appended to `r`; returns the offset after that quote.
#[allow(clippy::too_many_arguments)]
fn literal_from(
    data: &[u8],
    q: u8,
    interp: Interp,
    mut j: usize,
    r: &mut Region,
    limit: usize,
    joined: &mut bool,
    idents: &mut Idents,
) -> Option<usize> {
    let stop = limit.min(data.len());
    while j < stop {
        // Bytes that are only themselves, copied at once (a file of pieces
        // spent most of its reading here a byte at a time).
        let n = data[j..stop]
            .iter()
            .position(|&b| b == q || LITERAL_MARK[usize::from(b)])
            .unwrap_or(stop - j);
        if n > 0 {
            r.extend(&data[j..j + n], j);
            j += n;
            continue;
        }
        let b = data[j];
        if b == q {
            return Some(j + 1);
        }
        if b == b'\n' && q != b'`' {
            return None;
        }
        let next = data.get(j + 1).copied();
        // Where an interpolated piece starts, and the byte that closes it.
        let open = match interp {
            Interp::Dollar if matches!(b, b'$' | b'#') && next == Some(b'{') => Some((j + 2, b'}')),
            // Swift's `\(…)`.
            Interp::Dollar if b == b'\\' && next == Some(b'(') && q == b'"' => Some((j + 2, b')')),
            // PHP's `{$b}`.
            Interp::Dollar if b == b'{' && next == Some(b'$') && q == b'"' => Some((j + 1, b'}')),
            // `{{` is a brace, not a piece.
            Interp::Brace if b == b'{' && next == Some(b'{') => {
                r.push(b, j);
                j += 2;
                continue;
            }
            Interp::Brace if b == b'{' => Some((j + 1, b'}')),
            _ => None,
        };
        // A bare name in a double-quoted string: `"qrcp_live_$b"` (shell, PHP,
        // Kotlin, Dart, Groovy, Perl; not a template literal's `$`).
        if interp == Interp::Dollar && q == b'"' && b == b'$' {
            let mark = r.bytes.len();
            if let Some(after) = bare_name(data, j, limit, r, idents) {
                *joined = true;
                j = after;
                continue;
            }
            r.truncate(mark);
        }
        if open.is_none() && b == b'\\' && j + 1 < data.len() {
            r.push(b, j);
            r.push(data[j + 1], j + 1);
            j += 2;
            continue;
        }
        if let Some((open, shut)) = open {
            let k = skip_blank(data, open, true);
            let mark = r.bytes.len();
            // A literal inside interpolates nothing more: the reading never
            // goes deeper than one level, whatever the nesting written.
            let after = if let Some(&iq) = data.get(k).filter(|&&c| c == b'"' || c == b'\'') {
                literal_from(data, iq, Interp::Plain, k + 1, r, limit, joined, idents)
            } else if data.get(k) == Some(&b'\\') {
                escaped_literal(data, k, r, limit)
            } else {
                decoding_call(data, k, r, limit).or_else(|| reference(data, k, r, idents))
            };
            if let Some(after) = after {
                let close = skip_blank(data, after, true);
                if data.get(close) == Some(&shut) {
                    *joined = true;
                    j = close + 1;
                    continue;
                }
            }
            r.truncate(mark);
        }
        r.push(b, j);
        j += 1;
    }
    None
}

/// A literal whose quotes are escaped at `data[i]` (`\"…\"`, a template
/// literal inside a string: `eval("`qrcp_live_${\"…\"}`")`), its contents
/// appended to `r` as written; returns the offset after its closing quote.
fn escaped_literal(data: &[u8], i: usize, r: &mut Region, limit: usize) -> Option<usize> {
    let q = *data.get(i + 1).filter(|&&c| c == b'"' || c == b'\'')?;
    let mut j = i + 2;
    while j + 1 < limit.min(data.len()) && data[j] != b'\n' {
        if data[j] == b'\\' {
            if data[j + 1] == q {
                return Some(j + 2);
            }
            r.push(data[j], j);
            r.push(data[j + 1], j + 1);
            j += 2;
        } else {
            r.push(data[j], j);
            j += 1;
        }
    }
    None
}

/// A bare identifier (or a call without arguments, `o()`) at `data[i]` whose
/// string literal is found in the same file: its contents appended to `r`, mapped
/// to the identifier; returns the offset after the reference.
fn reference(data: &[u8], i: usize, r: &mut Region, idents: &mut Idents) -> Option<usize> {
    let end = idents::ident_end(data, i)?;
    // `p[1]`: an element of an array bound to `p` in the same file.
    if let Some((k, after)) = super::indexed::index_at(data, end) {
        let bracket = idents.resolve_array(data, &data[i..end], i)?;
        let (s, e) = super::indexed::element(data, bracket, k)?;
        let next = skip_blank(data, after, true);
        if !data
            .get(next)
            .is_none_or(|c| matches!(c, b'+' | b',' | b']' | b')' | b'}' | b';' | b'\n'))
        {
            return None;
        }
        r.extend(&data[s..e], s);
        return Some(after);
    }
    let mut after = end;
    let call = skip_blank(data, end, false);
    if data.get(call) == Some(&b'(') {
        let close = skip_blank(data, call + 1, false);
        if data.get(close) != Some(&b')') {
            return None;
        }
        after = close + 1;
    }
    // `a.b`, `a[0]`, `a(x)`: not a bare reference.
    let next = skip_blank(data, after, true);
    if !data
        .get(next)
        .is_none_or(|c| matches!(c, b'+' | b',' | b']' | b')' | b'}' | b';' | b'\n'))
    {
        return None;
    }
    bound(data, &data[i..end], i, r, idents)?;
    Some(after)
}

/// The literal bound to `name` (used at `at`) appended to `r`. The bytes come
/// from the literal: a finding starts at its earliest piece.
pub(super) fn bound(
    data: &[u8],
    name: &[u8],
    at: usize,
    r: &mut Region,
    idents: &mut Idents,
) -> Option<()> {
    let (s, e) = idents.resolve(data, name, at)?;
    r.extend(&data[s..e], s);
    Some(())
}

/// `$name` at `data[i]`, as a shell or a double-quoted string expands it, the
/// name ending by `limit`: the literal bound to `$name` (PHP) or to `name`,
/// appended to `r`; returns the offset after the name.
pub(super) fn bare_name(
    data: &[u8],
    i: usize,
    limit: usize,
    r: &mut Region,
    idents: &mut Idents,
) -> Option<usize> {
    let end = var_name_end(data, i + 1).filter(|&end| end <= limit)?;
    bound(data, &data[i..end], i, r, idents)
        .or_else(|| bound(data, &data[i + 1..end], i, r, idents))?;
    Some(end)
}

/// The end of a variable's name at `data[i]`, as a shell or an interpolating
/// string reads one: `[A-Za-z_][A-Za-z0-9_]*` (`"$a$b"` is two names; at most
/// 128 bytes).
pub(super) fn var_name_end(data: &[u8], i: usize) -> Option<usize> {
    let first = *data.get(i)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let n = data[i..]
        .iter()
        .take(128)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
        .count();
    Some(i + n)
}

/// `"qrcp_live_" + "Ab…"` (across line breaks, an operand may be a name bound to a
/// literal in the same file), `` `qrcp_live_${"Ab…"}` `` / `` `qrcp_live_${e}` ``,
/// and `["qrcp_live_", "Ab…", o()].join("")`: the pieces joined, starting with the
/// literal that holds the keyword at `at`.
pub(super) fn concatenation(data: &[u8], at: usize, idents: &mut Idents) -> Option<Region> {
    joined_from(data, at, true, idents)
}

/// [`concatenation`]; a literal joined to nothing where it is written is read
/// where a name bound to it is used only with `elsewhere`.
pub(super) fn joined_from(
    data: &[u8],
    at: usize,
    elsewhere: bool,
    idents: &mut Idents,
) -> Option<Region> {
    let open = quote_on_line(data, at.saturating_sub(BEFORE), at)?;
    // An array literal's first element (`[…].join("")`, `"".join([…])`), or a
    // concat call's first argument (`concat!(…)`, `string.Concat(…)`, SQL's
    // `CONCAT(…)`, `"".concat(…)`).
    let before = last_byte_before(data, open);
    if let Some(r) = before.and_then(|k| char_array(data, k, open, idents)) {
        return Some(r);
    }
    let list = before.map(|k| data[k]) == Some(b'[');
    let call = before.is_some_and(|k| data[k] == b'(' && concat_call(data, k));
    let mut r = Region::new(Layer::Concatenation, open);
    let j = join_pieces(data, open, list.then_some(b']'), call, &mut r, idents);
    if list {
        let close = j.close?;
        let end = match before.and_then(|k| join_before(data, k)) {
            Some(head) if empty_separator(head) => python_join_end(data, close),
            // Joined here by a separator (`'-'.join([…])`): no key.
            Some(_) => join_end(data, close),
            // A list of characters spells its string wherever it is joined
            // (`a=['q',…];a.join('')`, Rust's `['q', …].iter().collect()`),
            // but not joined here by a separator (`[…].join('-')`).
            None => join_end(data, close).or_else(|| {
                let after = &data[skip_blank(data, close + 1, true)..];
                (j.chars && j.pieces >= MIN_CHARS && !after.starts_with(b".join("))
                    .then_some(close + 1)
            }),
        };
        // Not joined here: its elements may be, where they are used.
        return match end {
            Some(end) => r.finish(end),
            None if elsewhere => super::indexed::uses(data, (before?, 0), open, close + 1, idents),
            None => None,
        };
    }
    // `"qrcp_live_%s" % b`, `sprintf(k, "qrcp_live_%s", b)`, `"…{}".format(b)`.
    if !call && let Some(f) = super::format::formatted(data, open, &r, j.last?, idents) {
        return Some(f);
    }
    if j.pieces >= 2 || j.joined {
        return r.finish(j.last?);
    }
    if !elsewhere {
        return None;
    }
    // One literal joined nowhere here: a name bound to it may be joined where
    // it is used, or, a later element of an array, the array's name.
    let last = j.last?;
    bound_uses(data, open, last, idents).or_else(|| {
        let (bracket, k) = super::indexed::array_of(data, open, idents)?;
        super::indexed::uses(data, (bracket, k), open, last, idents)
    })
}

/// The last quote in `data[lo..at]` with no line break after it: memchr's
/// SIMD, from `at` back to the nearest quote (a file of candidates with no
/// quote before them read the whole window a byte at a time at each).
fn quote_on_line(data: &[u8], lo: usize, at: usize) -> Option<usize> {
    let q = lo + memchr::memrchr3(b'"', b'\'', b'`', &data[lo..at])?;
    memchr::memchr(b'\n', &data[q..at]).is_none().then_some(q)
}

/// Characters in an array, fewest read as a string (a key's prefix alone is
/// ten).
const MIN_CHARS: usize = 8;

/// An array of one-character literals opened at `data[k]` whose first element
/// starts at `open`, read as the string it spells: C's and Java's `{'q', 'r',
/// …}` (`char k[] = {…}`, `new String(new char[]{…})`, C#'s `new string(new[]
/// {…})`, Go's `[]byte{…}`), Kotlin's `charArrayOf('q', …)` (and Rust's
/// `['q', …].iter().collect()`, read with the other `[…]` lists). A list of
/// longer literals is no string; the array may end without its closer (C's
/// `…, 0}`).
fn char_array(data: &[u8], k: usize, open: usize, idents: &mut Idents) -> Option<Region> {
    let closer = match data[k] {
        b'{' => b'}',
        b'(' if data[..k].ends_with(b"charArrayOf") => b')',
        _ => return None,
    };
    let mut r = Region::new(Layer::Concatenation, open);
    let j = join_pieces(data, open, Some(closer), false, &mut r, idents);
    if !j.chars || j.pieces < MIN_CHARS {
        return None;
    }
    r.finish(j.close.map_or(j.last?, |c| c + 1))
}

/// What [`join_pieces`] took.
pub(super) struct Joined {
    pub(super) pieces: usize,
    /// End of the last piece taken.
    pub(super) last: Option<usize>,
    /// A template literal joined a piece inside it.
    joined: bool,
    /// A list's closer, if the list closed.
    close: Option<usize>,
    /// Every piece was one character, or one escape (`'\x71'`).
    chars: bool,
}

/// The pieces joined from `i` on (a literal or a name bound to one, then a
/// joiner, and so on), appended to `r`: the elements of an array literal
/// (`list`: its closer), or pieces joined by operators (`call`: inside
/// `.concat(` already).
pub(super) fn join_pieces(
    data: &[u8],
    mut i: usize,
    list: Option<u8>,
    mut call: bool,
    r: &mut Region,
    idents: &mut Idents,
) -> Joined {
    let limit = i + AFTER;
    let mut j = Joined {
        pieces: 0,
        last: None,
        joined: false,
        close: None,
        chars: true,
    };
    while i < data.len() {
        let mark = r.bytes.len();
        let piece = if is_quote(data[i]) {
            literal(data, i, r, limit, &mut j.joined, idents)
        } else {
            decoding_call(data, i, r, limit).or_else(|| reference(data, i, r, idents))
        };
        let Some(after) = piece else {
            r.truncate(mark);
            break;
        };
        j.pieces += 1;
        j.last = Some(after);
        // Many pieces fill the window: room made once, not doubled 6 times.
        if j.pieces == 4 {
            r.reserve(limit.saturating_sub(after));
        }
        let added = &r.bytes[mark..];
        j.chars &= added.len() == 1 || (added.first() == Some(&b'\\') && added.len() <= 6);
        let s = skip_blank(data, after, true);
        if list.is_some() && data.get(s) == list.as_ref() {
            j.close = Some(s);
            break;
        }
        let next = match list {
            Some(_) => (data.get(s) == Some(&b',')).then(|| skip_blank(data, s + 1, true)),
            None => joiner(data, s, &mut call),
        };
        // A trailing comma: `["…", "…",\n]`.
        if let Some(n) = next.filter(|&n| list.is_some() && data.get(n) == list.as_ref()) {
            j.close = Some(n);
            break;
        }
        let most = if j.chars { MAX_CHARS } else { MAX_PIECES };
        match next.filter(|&n| j.pieces < most && n < limit) {
            Some(n) => i = n,
            None => break,
        }
    }
    j
}

/// Uses of one bound name joined, at most.
pub(super) const MAX_USES: usize = idents::MAX_FOUND;

/// `PREFIX = "qrcp_live_"` … `PREFIX + "Ab…"` or `` `${PREFIX}Ab…` ``: a constant
/// that a minifier keeps because it is used more than once (esbuild and terser
/// leave `var t="qrcp_live_";…return t+"Ab…"`). The literal is joined where its
/// name is used (the first few uses within [`idents::USES_WITHIN`] after it, a
/// line apart in the region), and each join is mapped to its use: a key found
/// starts there.
fn bound_uses(data: &[u8], open: usize, after: usize, idents: &mut Idents) -> Option<Region> {
    let name = bound_name(data, open)?;
    let mut r = Region::new(Layer::Concatenation, open);
    for at in idents.uses_after(data, name, after, MAX_USES) {
        if rebound(data, at, name) {
            break;
        }
        let s = skip_blank(data, at + name.len(), false);
        // Interpolated: `` `${t}Ab…` `` (minifiers keep those too), Kotlin's
        // `"${t}Ab…"`, Ruby's `"#{t}Ab…"`, Python's `f"{t}Ab…"`.
        let inside = match data.get(s) {
            Some(b'}') => interpolated_at(data, at),
            _ => None,
        };
        let mut call = false;
        // An operator, not adjacency: `t "…"` joins nothing.
        let next = match inside {
            Some(_) => Some(s + 1),
            None => joiner(data, s, &mut call).filter(|&n| n != s),
        };
        let Some(next) = next else {
            continue;
        };
        let mark = r.bytes.len();
        if mark > 0 {
            r.push(b'\n', at);
        }
        let mut joined = false;
        if literal(data, open, &mut r, open + AFTER, &mut joined, idents).is_none() {
            r.truncate(mark);
            continue;
        }
        r.remap(mark, at);
        let lit_end = r.bytes.len();
        let rest = match inside {
            Some((q, interp)) => literal_from(
                data,
                q,
                interp,
                next,
                &mut r,
                next + AFTER,
                &mut joined,
                idents,
            )
            .is_some_and(|_| r.bytes.len() > lit_end),
            None => join_pieces(data, next, None, call, &mut r, idents).pieces > 0,
        };
        if !rest {
            r.truncate(mark);
        }
    }
    r.finish(after)
}

/// Whether `name` at `at` is bound again (`name = …`, not `==`): the uses
/// from there on are that binding's.
pub(super) fn rebound(data: &[u8], at: usize, name: &[u8]) -> bool {
    let s = skip_blank(data, at + name.len(), false);
    data.get(s) == Some(&b'=') && data.get(s + 1) != Some(&b'=')
}

/// The literal a name at `at` is interpolated in (`${name}`, `#{name}`,
/// `{name}`): its quote and how it interpolates. The quote is the last one
/// before the brace on its line; a `${` with none there is in a template
/// literal opened on an earlier line.
fn interpolated_at(data: &[u8], at: usize) -> Option<(u8, Interp)> {
    let lo = at.saturating_sub(MAX_GAP);
    let brace = lo
        + data[lo..at]
            .iter()
            .rposition(|&b| !matches!(b, b' ' | b'\t'))?;
    if data[brace] != b'{' {
        return None;
    }
    let dollar = brace > 0 && matches!(data[brace - 1], b'$' | b'#');
    // At most [`BEFORE`] back (a search to the data's start read a one-line
    // file's whole text before every use of a bound name).
    let Some(quote) = quote_on_line(data, brace.saturating_sub(BEFORE), brace) else {
        return (dollar && data[brace - 1] == b'$').then_some((b'`', Interp::Dollar));
    };
    match interp_of(data, quote) {
        Interp::Dollar if dollar => Some((data[quote], Interp::Dollar)),
        Interp::Brace if !dollar => Some((data[quote], Interp::Brace)),
        _ => None,
    }
}

/// The name `open`'s literal is bound to ([`idents::bound_span`]).
pub(super) fn bound_name(data: &[u8], open: usize) -> Option<&[u8]> {
    idents::bound_span(data, open).map(|(s, e)| &data[s..e])
}

/// Where the next piece starts when what follows a piece at `s` joins it to the
/// next: `+` (JavaScript, Java, C#, Python), adjacent literals (Python, C),
/// `.concat(…)` (what Babel makes of a template literal), `.` (PHP, Perl), `..`
/// (Lua), `||` (SQL), `&` (Visual Basic, spreadsheet formulas) and `<<` (Ruby,
/// C++ streams) before a literal; a line continuation (`\` at a line's end)
/// before any of them.
pub(super) fn joiner(data: &[u8], mut s: usize, call: &mut bool) -> Option<usize> {
    if *call {
        match *data.get(s)? {
            b',' => return Some(skip_blank(data, s + 1, true)),
            b')' => {
                *call = false;
                s = skip_blank(data, s + 1, true);
            }
            _ => return None,
        }
    }
    // A line continuation (Python, C, shell; Visual Basic's ` _`): the next
    // line goes on.
    s = past_continuations(data, s);
    let rest = data.get(s..)?;
    // Babel's `.concat(`; a string builder's `.append(` (Java, C#, Kotlin).
    if let Some(m) = [&b".concat("[..], b".append("]
        .into_iter()
        .find(|m| rest.starts_with(m))
    {
        *call = true;
        return Some(skip_blank(data, s + m.len(), true));
    }
    // Past an operator: blanks, line breaks, Visual Basic's ` _` and its line.
    let operand = |i: usize| past_continuations(data, skip_blank(data, i, true));
    match *rest.first()? {
        b'"' | b'\'' => return Some(s),
        b'+' => return Some(operand(s + 1)),
        _ => {}
    }
    if rest.starts_with(b"&&") {
        return None;
    }
    let op = [&b".."[..], b".", b"||", b"<<", b"&"]
        .into_iter()
        .find(|op| rest.starts_with(op))?;
    let next = operand(s + op.len());
    data.get(next).is_some_and(|&b| is_quote(b)).then_some(next)
}

/// Where the text goes on past the line continuations at `data[i]`.
fn past_continuations(data: &[u8], mut i: usize) -> usize {
    while let Some(next) = continuation(data, i) {
        i = next;
    }
    i
}

/// A line continuation at `data[i]`: `\` (Python, C, shell) or Visual Basic's
/// `_`, then the line's end; where the next line's text starts.
fn continuation(data: &[u8], i: usize) -> Option<usize> {
    let mut j = match data.get(i)? {
        b'\\' => i + 1,
        // `_` alone at a line's end: a name that ends there (`"a" + _`) has
        // `_` after an identifier byte, not after a blank.
        b'_' if i > 0 && matches!(data[i - 1], b' ' | b'\t') => skip_blank(data, i + 1, false),
        _ => return None,
    };
    if data.get(j) == Some(&b'\r') {
        j += 1;
    }
    (data.get(j) == Some(&b'\n')).then(|| skip_blank(data, j + 1, true))
}

/// After an array's last element at `i`: `].join("")` (or `''`, ` `` `), its end.
fn join_end(data: &[u8], i: usize) -> Option<usize> {
    if data.get(i) != Some(&b']') {
        return None;
    }
    let j = skip_blank(data, i + 1, true);
    let rest = data.get(j..)?;
    let rest = rest.strip_prefix(b".join(")?;
    let k = skip_blank(rest, 0, false);
    let q = *rest.get(k)?;
    if !is_quote(q) || rest.get(k + 1) != Some(&q) {
        return None;
    }
    let close = skip_blank(rest, k + 2, false);
    (rest.get(close) == Some(&b')')).then_some(j + 6 + close + 1)
}

/// The last byte before `i` that is not blank (within [`MAX_GAP`]).
pub(super) fn last_byte_before(data: &[u8], i: usize) -> Option<usize> {
    let lo = i.saturating_sub(MAX_GAP);
    data[lo..i]
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map(|k| lo + k)
}

/// Whether the `(` at `paren` opens a call that joins its arguments: `concat`
/// or `concatenate`, any case, a method or a macro (`concat!`); a string
/// builder, made (`new StringBuilder(…)`) or appended to (`.append(…)`).
fn concat_call(data: &[u8], paren: usize) -> bool {
    let mut end = paren;
    if end > 0 && data[end - 1] == b'!' {
        end -= 1;
    }
    let name = &data[idents::ident_start(data, end, 16)..end];
    name.eq_ignore_ascii_case(b"concat")
        || name.eq_ignore_ascii_case(b"concatenate")
        || matches!(name, b"append" | b"StringBuilder" | b"StringBuffer")
}

/// `….join(` before the `[` at `bracket` (Python: the list is the join's
/// argument): what comes before `.join(`, the separator last.
fn join_before(data: &[u8], bracket: usize) -> Option<&[u8]> {
    let paren = last_byte_before(data, bracket)?;
    data[..paren + 1].strip_suffix(b".join(")
}

/// Whether `head` (before `.join(`) ends with an empty string: `""`, `''`.
fn empty_separator(head: &[u8]) -> bool {
    head.len() >= 2
        && is_quote(head[head.len() - 1])
        && head[head.len() - 2] == head[head.len() - 1]
}

/// After a list's last element at `i`, joined by `"".join(` ([`join_before`]):
/// `])`, its end.
fn python_join_end(data: &[u8], i: usize) -> Option<usize> {
    if data.get(i) != Some(&b']') {
        return None;
    }
    let j = skip_blank(data, i + 1, true);
    (data.get(j) == Some(&b')')).then_some(j + 1)
}

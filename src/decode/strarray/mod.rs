//! javascript-obfuscator's string array (obfuscator.io; webpack-obfuscator runs
//! it on each chunk): every string literal of the program is moved into one
//! array, base64-encoded in its own alphabet or RC4-encrypted (keyed at each
//! use), split into pieces (`splitStrings`), and read back through a decoder
//! call (`_0x4b32(0x1c6)`) behind wrapper functions that shift the index. A
//! loop at the start rotates the array until a checksum of `parseInt`s of its
//! strings matches. None of the key's characters is left in the file.
//!
//! The pieces are resolved as the program would: the array, its decoders and
//! wrappers are read off the tokens, the rotation loop's checksum is evaluated
//! for each rotation until it matches, and each call with constant arguments
//! is replaced by the string it returns. The strings a `+` chain joins are one
//! line of the region (mapped to each call), which the detector reads again.
//! Nothing is executed: the only code read is these shapes, and what they
//! compute (index arithmetic, `parseInt`, base64, RC4) is done here.

use super::Layer;
use super::region::Region;

mod lexer;
mod program;
mod values;

use lexer::{Kind, Lexer, Tok, str_value};
use program::{Def, Encoding, Program};
use values::{JsStr, Val};

/// What every output with a string array holds: the array's function
/// redefining itself (`F=function(){return v;};return F();`), compact or
/// printed. Read before anything else.
const REDEFINED: [&[u8]; 2] = [b"=function(){return ", b"= function () {"];

/// Whether `data` may hold a string array: the array's function (each
/// `=function(){return` checked for the rest of its shape).
pub(super) fn present(data: &[u8]) -> bool {
    use memchr::memmem::Finder;
    static FINDERS: std::sync::LazyLock<[Finder<'static>; 2]> =
        std::sync::LazyLock::new(|| REDEFINED.map(Finder::new));
    FINDERS
        .iter()
        .any(|f| f.find_iter(data).any(|at| redefined(data, at).is_some()))
}

/// Whether an encoded run (`super::runs`) is the string array's decoder's
/// alphabet, as written or `\x`-escaped (`unicodeEscapeSequence`).
pub(super) fn alphabet(run: &[u8]) -> bool {
    run.starts_with(&values::ALPHABET[..64]) || run.starts_with(b"\\x61\\x62\\x63\\x64\\x65")
}

/// Whether a blob called `label` (a path, a URL, an archive member's chain
/// `site.zip!app.js.br!app.js`, a page's `…!script[2]`) may be what
/// javascript-obfuscator wrote: a script or a page by its extension, or a name
/// without one (standard input, a site's `/`). Styles, data and other
/// languages are not searched for its shapes: [`present`] reads every byte.
pub(super) fn script_named(label: &str) -> bool {
    let name = label.as_bytes();
    // The last member, its last path segment, without a URL's query.
    let start = name
        .iter()
        .rposition(|&b| matches!(b, b'!' | b'/' | b'\\'))
        .map_or(0, |k| k + 1);
    let file = &name[start..];
    let file = &file[..memchr::memchr2(b'?', b'#', file).unwrap_or(file.len())];
    if file.last() == Some(&b']') {
        return true;
    }
    let Some(dot) = memchr::memrchr(b'.', file) else {
        return true;
    };
    let ext = &file[dot + 1..];
    ext.len() <= 6
        && SCRIPT_EXTENSIONS
            .iter()
            .any(|e| e.as_bytes().eq_ignore_ascii_case(ext))
}

const SCRIPT_EXTENSIONS: [&str; 22] = [
    "js", "mjs", "cjs", "jsx", "ts", "tsx", "mts", "cts", "html", "htm", "xhtml", "shtml", "php",
    "vue", "svelte", "astro", "ejs", "hbs", "erb", "jsp", "aspx", "cshtml",
];

/// `=function(){return v;};return F();` at `at`.
fn redefined(data: &[u8], at: usize) -> Option<()> {
    let left = std::cell::Cell::new(64);
    let mut lx = Lexer::new(data, at, &left);
    lx.punct(b'=')?;
    lx.word(b"function")?;
    for b in *b"(){" {
        lx.punct(b)?;
    }
    lx.word(b"return")?;
    lx.ident()?;
    for b in *b";};" {
        lx.punct(b)?;
    }
    lx.word(b"return")?;
    lx.ident()?;
    for b in *b"();}" {
        lx.punct(b)?;
    }
    Some(())
}

/// Tokens a call's arguments are read to, at most.
pub(super) const MAX_EXPR: usize = 4096;
/// Bytes a rotation loop's checksum, and a decoder's offset, are read to.
const MAX_CHECKSUM: usize = 16 << 10;
pub(super) const MAX_OFFSET: usize = 256;
/// Wrappers and aliases followed from one call to its decoder, at most.
pub(super) const MAX_HOPS: usize = 16;
/// Bytes of a decoder's body searched for its alphabet.
pub(super) const MAX_BODY: usize = 32 << 10;
/// Properties read from one object literal, at most.
pub(super) const MAX_PROPS: usize = 4096;
/// Calls and properties evaluated inside one another, at most.
pub(super) const MAX_NESTING: usize = 32;
/// Tokens and elements one blob's reading may take per byte, and in all at
/// least: linear in the blob whatever it holds (a rotation loop is evaluated
/// once a rotation, each call once).
const WORK_PER_BYTE: usize = 16;
const WORK_FLOOR: usize = 1 << 20;
/// Pieces one `+` chain joins, and code units it holds, at most.
const MAX_PIECES: usize = 256;
const MAX_CHAIN: usize = 4096;

/// The strings javascript-obfuscator's string array hides in `data`, each `+`
/// chain of them joined on a line of its own (mapped to its calls); or, where
/// no rotation could be found, each base64 element decoded. Handed to `emit` a
/// region of at most [`BATCH`] bytes at a time (a file of a million calls is
/// never held decoded whole). Returns whether the work allowed
/// ([`WORK_PER_BYTE`]) ran out before every call was read.
pub(super) fn resolve(data: &[u8], emit: &mut dyn FnMut(Region)) -> bool {
    if !present(data) {
        return false;
    }
    // Every token lexed (by any pass, look-ahead or evaluation) and every
    // element decoded is charged: a file of shapes that each read far ahead
    // (`function w(a){return f(` repeated) stops at the same bound.
    let work = std::cell::Cell::new(
        data.len()
            .saturating_mul(WORK_PER_BYTE)
            .saturating_add(WORK_FLOOR),
    );
    let mut p = Program::new(data, &work);
    // The definitions and the rotation loops, then the aliases (`const
    // a=_0x4b32`, `b=a,`).
    let mut lx = Lexer::new(data, 0, &work);
    let mut last: Option<Tok> = None;
    let mut rotations = Vec::new();
    while let Some(t) = lx.next() {
        if t.kind == Kind::Ident
            && lx.text(t) == b"while"
            && let Some(r) = rotation(&p, lx)
        {
            rotations.push(r);
        }
        if t.kind == Kind::Ident && lx.text(t) == b"function" {
            let _ = p
                .array_fn(lx)
                .or_else(|| p.decoder(lx))
                .or_else(|| p.wrapper(lx));
        }
        // `name={` (or `name = {`): an object literal's properties.
        if t.kind == Kind::Punct
            && data[t.s] == b'='
            && let Some(name) = last.filter(|l| l.kind == Kind::Ident)
        {
            let mut peek = lx;
            if peek.punct(b'{').is_some() {
                let _ = p.object(&data[name.s..name.e], peek);
            }
        }
        last = Some(t);
    }
    // A second pass for an alias written before the alias it names; none
    // where the first found none.
    for _ in 0..2 {
        let mut lx = Lexer::new(data, 0, &work);
        let mut prev: [Option<Tok>; 2] = [None; 2];
        let mut added = false;
        while let Some(t) = lx.next() {
            if let [Some(name), Some(eq)] = prev
                && t.kind == Kind::Ident
                && name.kind == Kind::Ident
                && eq.kind == Kind::Punct
                && data[eq.s] == b'='
            {
                added |= alias(&mut p, lx, name, t).is_some();
            }
            prev = [prev[1], Some(t)];
        }
        if !added {
            break;
        }
    }
    for (array, (s, e), target) in rotations {
        let Some(&Def::Array(id)) = p.defs.get(array) else {
            continue;
        };
        let Some(target) = p.eval(target.0, target.1, &[]).map(|v| v.num()) else {
            continue;
        };
        let mut found = None;
        for r in 0..p.arrays[id].elems.len() {
            p.arrays[id].rot = Some(r);
            if work.get() == 0 {
                break;
            }
            if p.eval(s, e, &[]).is_some_and(|v| v.num() == target) {
                found = Some(r);
                break;
            }
        }
        p.arrays[id].rot = found;
    }
    let mut out = Out {
        r: Region::new(Layer::StringArray, 0),
        emit,
    };
    chains(&mut p, &mut out);
    unrotated(&mut p, &mut out);
    out.flush();
    work.get() == 0
}

/// Decoded bytes of one region handed on at a time, at most (a line more).
const BATCH: usize = 64 << 10;

/// The lines [`resolve`] gives, in regions of about [`BATCH`] bytes.
struct Out<'e> {
    r: Region,
    emit: &'e mut dyn FnMut(Region),
}

impl Out<'_> {
    /// A line: `pieces`, each mapped to its place, then a line break.
    fn line<'p>(&mut self, pieces: impl Iterator<Item = (&'p [u16], usize)>, end: usize) {
        for (piece, at) in pieces {
            for b in String::from_utf16_lossy(piece).bytes() {
                self.r.push(b, at);
            }
        }
        self.r.push(b'\n', end);
        if self.r.bytes.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let r = std::mem::replace(&mut self.r, Region::new(Layer::StringArray, 0));
        let end = r.phys(r.bytes.len().saturating_sub(1)) + 1;
        if let Some(r) = r.finish(end) {
            (self.emit)(r);
        }
    }
}

/// `name = target` (the tokens `name`, then `target` at `lx`'s position): an
/// alias of a decoder, wrapper or alias, followed by `,`, `;`, `)` or `}`.
/// (`a==b`, `a<=b`, `a+=b`: a `=` after punctuation, not after `name`.)
fn alias<'a>(p: &mut Program<'a>, mut lx: Lexer<'a>, name: Tok, target: Tok) -> Option<()> {
    let data = p.data;
    let (name, target) = (&data[name.s..name.e], &data[target.s..target.e]);
    if name == target || p.defs.contains_key(name) {
        return None;
    }
    if !matches!(
        p.defs.get(target)?,
        Def::Decoder { .. } | Def::Wrapper { .. } | Def::Alias(_)
    ) {
        return None;
    }
    let next = lx.next()?;
    (next.kind == Kind::Punct && matches!(data[next.s], b',' | b';' | b')' | b'}')).then_some(())?;
    p.define(name, Def::Alias(target));
    Some(())
}

/// The rotation loop at `lx` (past `while`): `while(!![]){try{const c=EXPR;
/// if(c===t)break;else a['push'](a['shift']());}catch(e){…}}}(F,TARGET)`:
/// the array function's name, the checksum's span and the target's.
type Rotation<'a> = (&'a [u8], (usize, usize), (usize, usize));

fn rotation<'a>(p: &Program<'a>, mut lx: Lexer<'a>) -> Option<Rotation<'a>> {
    for b in *b"(!![]){" {
        lx.punct(b)?;
    }
    lx.word(b"try")?;
    lx.punct(b'{')?;
    lx.binding()?;
    lx.ident()?;
    lx.punct(b'=')?;
    let s = lx.pos;
    let e = lx.semicolon(MAX_CHECKSUM)?;
    // The rest of the loop's body, then the function's end and its call.
    lx.close(b'{', b'}', MAX_BODY)?;
    lx.close(b'{', b'}', MAX_BODY)?;
    lx.punct(b'}')?;
    lx.punct(b'(')?;
    let array = lx.ident()?;
    let comma = lx.punct(b',')?;
    let args = p.args(&mut lx, comma.e)?;
    let &target = args.first()?;
    Some((array, (s, e), target))
}

/// Every `+` chain of string literals and resolved calls with a call in it,
/// joined: a line of `r` each, each piece mapped to its call or literal.
fn chains(p: &mut Program<'_>, out: &mut Out<'_>) {
    let data = p.data;
    let mut lx = Lexer::new(data, 0, p.work);
    let mut chain: Vec<(JsStr, usize)> = Vec::new();
    let (mut resolved, mut plus, mut len) = (false, false, 0usize);
    let mut flush = |chain: &mut Vec<(JsStr, usize)>, resolved: &mut bool, len: &mut usize| {
        if *resolved {
            let end = chain.last().map_or(0, |c| c.1);
            out.line(chain.iter().map(|(piece, at)| (&piece[..], *at)), end);
        }
        chain.clear();
        *resolved = false;
        *len = 0;
    };
    while let Some(t) = lx.next() {
        let piece = match t.kind {
            Kind::Str => str_value(lx.text(t)).map(|s| (s, false)),
            // A call (the `(` first: most names are not, and are not hashed).
            Kind::Ident if data.get(lx.pos) == Some(&b'(') && p.defs.contains_key(lx.text(t)) => {
                let mut peek = lx;
                match peek.punct(b'(') {
                    Some(open) => {
                        let args = p.args(&mut peek, open.e);
                        lx = peek;
                        let name = &data[t.s..t.e];
                        let vals: Option<Vec<Val>> = args.and_then(|args| {
                            args.into_iter().map(|(s, e)| p.eval(s, e, &[])).collect()
                        });
                        match vals.and_then(|v| p.call(name, v)) {
                            Some(Val::Str(s)) => Some((s, true)),
                            _ => None,
                        }
                    }
                    None => None,
                }
            }
            Kind::Punct if data[t.s] == b'+' && !chain.is_empty() && !plus => {
                plus = true;
                continue;
            }
            _ => None,
        };
        match piece {
            Some((s, call)) => {
                if !plus || chain.len() >= MAX_PIECES || len + s.len() > MAX_CHAIN {
                    flush(&mut chain, &mut resolved, &mut len);
                }
                len += s.len();
                resolved |= call;
                chain.push((s, t.s));
            }
            None => flush(&mut chain, &mut resolved, &mut len),
        }
        plus = false;
    }
    flush(&mut chain, &mut resolved, &mut len);
}

/// The elements of base64 arrays whose rotation was not found, decoded: a line
/// each, mapped to the element (a key not split is read whatever its place).
fn unrotated(p: &mut Program<'_>, out: &mut Out<'_>) {
    let mut ids: Vec<usize> = p
        .defs
        .values()
        .filter_map(|d| match d {
            &Def::Decoder {
                array,
                encoding: Encoding::Base64,
                ..
            } => match p.defs.get(array) {
                Some(&Def::Array(id)) if p.arrays[id].rot.is_none() => Some(id),
                _ => None,
            },
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        for at in 0..p.arrays[id].elems.len() {
            if let Some(s) = p.element(id, at, Encoding::Base64, None) {
                let pos = p.arrays[id].elems[at].0;
                out.line(std::iter::once((&s[..], pos)), pos);
            }
        }
    }
}

#[cfg(test)]
#[path = "../tests/strarray.rs"]
pub(super) mod tests;

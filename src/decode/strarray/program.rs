//! The string array's shapes read off one blob, and what its calls resolve to.

use std::cell::Cell;
use std::collections::HashMap;

use super::lexer::{Kind, Lexer, number, str_value};
use super::values::{ALPHABET, JsStr, Val, base64, parse_int, rc4};
use super::{MAX_BODY, MAX_EXPR, MAX_HOPS, MAX_NESTING, MAX_OFFSET, MAX_PROPS};

/// foldhash rather than std's SipHash (seeded per process all the same):
/// every call of an obfuscated script looks its wrapper's name up, and
/// SipHash was a tenth of a file of such calls.
type Fast = foldhash::fast::RandomState;

/// Where an expression is in the blob: `s..e`.
pub(super) type Span = (usize, usize);

/// How a decoder reads its array's strings.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Encoding {
    Plain,
    Base64,
    Rc4,
}

pub(super) struct Array {
    /// Each element's string literal (`s..e`).
    pub(super) elems: Vec<(usize, usize)>,
    /// Shifts the rotation loop did (`arr[i]` is element `(i + rot) % n`); `None`
    /// where a loop names it and no rotation matched.
    pub(super) rot: Option<usize>,
    /// Each element as its plain and its base64 decoders read it, once read:
    /// indexed, not hashed (RC4's, keyed at each call, are in `cache`).
    decoded: [Vec<Option<Option<JsStr>>>; 2],
}

pub(super) enum Def<'a> {
    Array(usize),
    Decoder {
        array: &'a [u8],
        offset: f64,
        encoding: Encoding,
    },
    /// `function w(a, b, c) { return callee(c - 0x1d2, a); }`: the parameters and
    /// each argument's expression (`s..e`).
    Wrapper {
        params: Vec<&'a [u8]>,
        callee: &'a [u8],
        args: Vec<(usize, usize)>,
    },
    Alias(&'a [u8]),
    /// Defined twice: not used.
    Conflict,
}

/// The string array's shapes read off one blob, and what its calls resolve to.
pub(super) struct Program<'a> {
    pub(super) data: &'a [u8],
    pub(super) defs: HashMap<&'a [u8], Def<'a>, Fast>,
    pub(super) arrays: Vec<Array>,
    /// RC4 elements decoded, by array, element and key (each call passes its
    /// key; plain and base64 elements are kept in their [`Array`]).
    pub(super) cache: HashMap<(usize, usize, JsStr), Option<JsStr>, Fast>,
    /// Object literals' properties (`stringArrayCallsTransform` moves a call's
    /// index into one: `_0x1f(o._0x3d61)` with `o={_0x3d61:0x1,…}`): the
    /// value's expression, `None` where one name has two.
    pub(super) props: HashMap<(&'a [u8], &'a [u8]), Option<Span>, Fast>,
    /// Expression tokens still to be read: work stops at zero.
    pub(super) work: &'a Cell<usize>,
    /// Calls and properties being evaluated inside one another: bounded, so
    /// that a wrapper calling itself ends.
    pub(super) nesting: usize,
}

impl<'a> Program<'a> {
    pub(super) fn new(data: &'a [u8], work: &'a Cell<usize>) -> Program<'a> {
        Program {
            data,
            defs: HashMap::default(),
            arrays: Vec::new(),
            cache: HashMap::default(),
            props: HashMap::default(),
            work,
            nesting: 0,
        }
    }

    pub(super) fn define(&mut self, name: &'a [u8], def: Def<'a>) {
        self.defs
            .entry(name)
            .and_modify(|d| *d = Def::Conflict)
            .or_insert(def);
    }

    /// `name={key:value,…}` at `lx` (past `name`, `=` and `{`): each property
    /// whose value is one expression. Returns where the literal ends.
    pub(super) fn object(&mut self, name: &'a [u8], mut lx: Lexer<'a>) -> Option<usize> {
        for _ in 0..MAX_PROPS {
            let k = lx.next()?;
            let key = match k.kind {
                Kind::Ident => lx.text(k),
                Kind::Str => lx.text(k).get(1..k.e - k.s - 1)?,
                _ => return None,
            };
            lx.punct(b':')?;
            let from = lx.pos;
            let mut depth = 0usize;
            let (to, last) = loop {
                let t = lx.next()?;
                if t.e - from > 256 {
                    return None;
                }
                match (t.kind, self.data[t.s]) {
                    (Kind::Punct, b'(' | b'[' | b'{') => depth += 1,
                    (Kind::Punct, b',' | b'}') if depth == 0 => break (t.s, self.data[t.s]),
                    (Kind::Punct, b')' | b']' | b'}') => depth = depth.checked_sub(1)?,
                    _ => {}
                }
            };
            // The same literal is read twice (in a wrapper, and by the pass).
            self.props
                .entry((name, key))
                .and_modify(|v| {
                    if *v != Some((from, to)) {
                        *v = None
                    }
                })
                .or_insert(Some((from, to)));
            if last == b'}' {
                return Some(to + 1);
            }
        }
        None
    }

    /// `function F(){const v=['…',…];F=function(){return v;};return F();}` at `lx`
    /// (past `function`).
    pub(super) fn array_fn(&mut self, mut lx: Lexer<'a>) -> Option<()> {
        let name = lx.ident()?;
        lx.punct(b'(')?;
        lx.punct(b')')?;
        lx.punct(b'{')?;
        lx.binding()?;
        let var = lx.ident()?;
        lx.punct(b'=')?;
        lx.punct(b'[')?;
        let mut elems = Vec::new();
        loop {
            let t = lx.next()?;
            match t.kind {
                Kind::Str => elems.push((t.s, t.e)),
                Kind::Punct if self.data[t.s] == b']' => break,
                _ => return None,
            }
            let t = lx.next()?;
            match (t.kind, self.data[t.s]) {
                (Kind::Punct, b',') => {}
                (Kind::Punct, b']') => break,
                _ => return None,
            }
        }
        lx.punct(b';')?;
        (lx.ident()? == name).then_some(())?;
        lx.punct(b'=')?;
        lx.word(b"function")?;
        lx.punct(b'(')?;
        lx.punct(b')')?;
        lx.punct(b'{')?;
        lx.word(b"return")?;
        (lx.ident()? == var).then_some(())?;
        self.arrays.push(Array {
            elems,
            rot: Some(0),
            decoded: [Vec::new(), Vec::new()],
        });
        let id = self.arrays.len() - 1;
        self.define(name, Def::Array(id));
        Some(())
    }

    /// `function D(a,b){a=a-0x1bf;const x=F();…}` at `lx` (past `function`): its
    /// encoding is told by its body (the alphabet; RC4 writes `fromCharCode` a
    /// second time).
    pub(super) fn decoder(&mut self, mut lx: Lexer<'a>) -> Option<()> {
        let name = lx.ident()?;
        lx.punct(b'(')?;
        let index = lx.ident()?;
        lx.punct(b',')?;
        lx.ident()?;
        lx.punct(b')')?;
        let open = lx.punct(b'{')?;
        (lx.ident()? == index).then_some(())?;
        lx.punct(b'=')?;
        (lx.ident()? == index).then_some(())?;
        lx.punct(b'-')?;
        let from = lx.pos;
        let semi = lx.semicolon(MAX_OFFSET)?;
        let offset = self.eval(from, semi, &[])?.num();
        lx.binding()?;
        lx.ident()?;
        lx.punct(b'=')?;
        let array = lx.ident()?;
        lx.punct(b'(')?;
        lx.punct(b')')?;
        // The body's strings, escaped or not (`unicodeEscapeSequence` writes
        // each character as `\x..`).
        let (mut alphabet, mut from_char_code) = (false, 0);
        let mut body = Lexer::new(self.data, open.e, self.work);
        let limit = open.e + MAX_BODY;
        let mut depth = 1usize;
        while let Some(t) = body.next().filter(|t| t.e <= limit) {
            let text = body.text(t);
            match t.kind {
                Kind::Punct if text == b"{" => depth += 1,
                Kind::Punct if text == b"}" => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Kind::Ident if text == b"fromCharCode" => from_char_code += 1,
                Kind::Str => match str_value(text) {
                    Some(v) if v.iter().copied().eq(ALPHABET.iter().map(|&b| u16::from(b))) => {
                        alphabet = true
                    }
                    Some(v)
                        if v.iter()
                            .copied()
                            .eq(b"fromCharCode".iter().map(|&b| u16::from(b))) =>
                    {
                        from_char_code += 1
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        let encoding = match (alphabet, from_char_code) {
            (false, _) => Encoding::Plain,
            (true, 2..) => Encoding::Rc4,
            (true, _) => Encoding::Base64,
        };
        self.define(
            name,
            Def::Decoder {
                array,
                offset,
                encoding,
            },
        );
        Some(())
    }

    /// `function W(a,b,c){return callee(c- -0x1d2,a);}` at `lx` (past `function`).
    pub(super) fn wrapper(&mut self, mut lx: Lexer<'a>) -> Option<()> {
        let name = lx.ident()?;
        lx.punct(b'(')?;
        let mut params = Vec::new();
        loop {
            params.push(lx.ident()?);
            let t = lx.next()?;
            match self.data[t.s] {
                b',' if params.len() < 16 => {}
                b')' => break,
                _ => return None,
            }
        }
        lx.punct(b'{')?;
        // `const o={_0x195c:0x17c};` first, where calls were transformed.
        let mut peek = lx;
        if peek.binding().is_some() {
            let name = peek.ident()?;
            peek.punct(b'=')?;
            peek.punct(b'{')?;
            lx = Lexer::new(self.data, self.object(name, peek)?, self.work);
            lx.punct(b';')?;
        }
        lx.word(b"return")?;
        let callee = lx.ident()?;
        let open = lx.punct(b'(')?;
        let args = self.args(&mut lx, open.e)?;
        lx.punct(b';')?;
        lx.punct(b'}')?;
        self.define(
            name,
            Def::Wrapper {
                params,
                callee,
                args,
            },
        );
        Some(())
    }

    /// The arguments of a call opened before `lx` (at `from`), each `s..e`; `lx`
    /// left past its `)`.
    pub(super) fn args(&self, lx: &mut Lexer<'a>, from: usize) -> Option<Vec<(usize, usize)>> {
        let mut out = Vec::new();
        let (mut depth, mut start, mut count) = (0usize, from, 0);
        loop {
            let t = lx.next()?;
            count += 1;
            if count > MAX_EXPR {
                return None;
            }
            if t.kind != Kind::Punct {
                continue;
            }
            match self.data[t.s] {
                b'(' | b'[' => depth += 1,
                b')' if depth == 0 => {
                    if t.s > start || !out.is_empty() {
                        out.push((start, t.s));
                    }
                    return Some(out);
                }
                b')' | b']' => depth = depth.checked_sub(1)?,
                b',' if depth == 0 => {
                    out.push((start, t.s));
                    start = t.e;
                }
                _ => {}
            }
        }
    }

    /// The value of the expression `s..e`: numbers, strings, `+ - * / %`,
    /// parentheses, names of `env`, `parseInt(…)` and calls of the decoders and
    /// their wrappers. Evaluated with explicit stacks (no recursion on the
    /// input's nesting).
    pub(super) fn eval(&mut self, s: usize, e: usize, env: &[(&[u8], Val)]) -> Option<Val> {
        enum Op<'b> {
            Neg,
            Pos,
            Bin(u8),
            Paren,
            Call(&'b [u8], usize),
        }
        let prec = |op: &Op| match op {
            Op::Neg | Op::Pos => 3,
            Op::Bin(b'*' | b'/' | b'%') => 2,
            Op::Bin(_) => 1,
            _ => 0,
        };
        fn apply(op: Op, vals: &mut Vec<Val>) -> Option<()> {
            let b = vals.pop()?;
            let v = match op {
                Op::Neg => Val::Num(-b.num()),
                Op::Pos => Val::Num(b.num()),
                Op::Bin(o) => {
                    let a = vals.pop()?;
                    match (o, a, b) {
                        (b'+', Val::Str(mut x), Val::Str(y)) => {
                            x.extend(y);
                            Val::Str(x)
                        }
                        (b'+', Val::Num(x), Val::Num(y)) => Val::Num(x + y),
                        (b'+', _, _) => return None,
                        (b'-', a, b) => Val::Num(a.num() - b.num()),
                        (b'*', a, b) => Val::Num(a.num() * b.num()),
                        (b'/', a, b) => Val::Num(a.num() / b.num()),
                        (_, a, b) => Val::Num(a.num() % b.num()),
                    }
                }
                _ => return None,
            };
            vals.push(v);
            Some(())
        }
        let mut lx = Lexer::new(self.data, s, self.work);
        let (mut vals, mut ops): (Vec<Val>, Vec<Op>) = (Vec::new(), Vec::new());
        let mut operand = true;
        while let Some(t) = lx.next().filter(|t| t.e <= e) {
            let b = self.data[t.s];
            match t.kind {
                Kind::Num if operand => vals.push(Val::Num(number(lx.text(t)))),
                Kind::Str if operand => vals.push(Val::Str(str_value(lx.text(t))?)),
                Kind::Ident if operand => {
                    let name = lx.text(t);
                    let mut peek = lx;
                    if peek.punct(b'(').is_some() {
                        lx = peek;
                        ops.push(Op::Call(name, vals.len()));
                        continue;
                    }
                    let mut peek = lx;
                    let key = match peek.next() {
                        Some(d) if d.kind == Kind::Punct && self.data[d.s] == b'.' => peek.ident(),
                        Some(d) if d.kind == Kind::Punct && self.data[d.s] == b'[' => {
                            let k = peek.next().filter(|k| k.kind == Kind::Str);
                            peek.punct(b']')
                                .and(k)
                                .and_then(|k| self.data.get(k.s + 1..k.e - 1))
                        }
                        _ => None,
                    };
                    match key {
                        Some(key) => {
                            lx = peek;
                            let (s, e) = (*self.props.get(&(name, key))?)?;
                            self.nesting += 1;
                            let v = (self.nesting < MAX_NESTING)
                                .then(|| self.eval(s, e, &[]))
                                .flatten();
                            self.nesting -= 1;
                            vals.push(v?);
                        }
                        None => vals.push(env.iter().find(|(n, _)| *n == name)?.1.clone()),
                    }
                }
                Kind::Punct if operand && b == b'(' => {
                    ops.push(Op::Paren);
                    continue;
                }
                Kind::Punct if operand && matches!(b, b'-' | b'+') => {
                    ops.push(if b == b'-' { Op::Neg } else { Op::Pos });
                    continue;
                }
                Kind::Punct if operand && b == b')' => {
                    // `f()`: a call without arguments.
                    let Some(Op::Call(name, h)) = ops.pop() else {
                        return None;
                    };
                    let args = vals.split_off(h);
                    vals.push(self.call(name, args)?);
                }
                Kind::Punct if !operand && matches!(b, b'+' | b'-' | b'*' | b'/' | b'%') => {
                    let op = Op::Bin(b);
                    while ops.last().is_some_and(|o| prec(o) >= prec(&op)) {
                        apply(ops.pop()?, &mut vals)?;
                    }
                    ops.push(op);
                    operand = true;
                    continue;
                }
                Kind::Punct if !operand && matches!(b, b')' | b',') => {
                    loop {
                        match ops.pop()? {
                            Op::Paren if b == b')' => break,
                            Op::Call(name, h) if b == b')' => {
                                let args = vals.split_off(h);
                                vals.push(self.call(name, args)?);
                                break;
                            }
                            call @ Op::Call(..) => {
                                ops.push(call);
                                break;
                            }
                            Op::Paren => return None,
                            op => apply(op, &mut vals)?,
                        }
                    }
                    operand = b == b',';
                    continue;
                }
                _ => return None,
            }
            operand = false;
        }
        while let Some(op) = ops.pop() {
            apply(op, &mut vals)?;
        }
        (vals.len() == 1).then(|| vals.pop()).flatten()
    }

    /// What calling `name` with `args` returns: `parseInt`, or the string a
    /// decoder gives, through wrappers and aliases.
    pub(super) fn call(&mut self, name: &'a [u8], args: Vec<Val>) -> Option<Val> {
        if self.nesting >= MAX_NESTING {
            return None;
        }
        self.nesting += 1;
        let v = self.call_in(name, args);
        self.nesting -= 1;
        v
    }

    fn call_in(&mut self, mut name: &'a [u8], mut args: Vec<Val>) -> Option<Val> {
        if name == b"parseInt" {
            return Some(Val::Num(match args.first()? {
                Val::Str(s) => parse_int(s),
                Val::Num(n) => n.trunc(),
            }));
        }
        for _ in 0..MAX_HOPS {
            match self.defs.get(name)? {
                Def::Alias(to) => name = to,
                Def::Wrapper {
                    params,
                    callee,
                    args: exprs,
                } => {
                    let env: Vec<(&[u8], Val)> = params
                        .iter()
                        .zip(
                            args.into_iter()
                                .chain(std::iter::repeat(Val::Num(f64::NAN))),
                        )
                        .map(|(p, v)| (*p, v))
                        .collect();
                    let (callee, exprs) = (*callee, exprs.clone());
                    args = Vec::with_capacity(exprs.len());
                    for (s, e) in exprs {
                        args.push(self.eval(s, e, &env)?);
                    }
                    name = callee;
                }
                &Def::Decoder {
                    array,
                    offset,
                    encoding,
                } => {
                    let key = match (encoding, args.get(1)) {
                        (Encoding::Rc4, Some(Val::Str(k))) => Some(k.clone()),
                        (Encoding::Rc4, _) => return None,
                        _ => None,
                    };
                    let i = args.first()?.num() - offset;
                    let Some(&Def::Array(id)) = self.defs.get(array) else {
                        return None;
                    };
                    let n = self.arrays[id].elems.len();
                    if !(i >= 0.0 && i < n as f64 && i.fract() == 0.0) {
                        return None;
                    }
                    let at = (i as usize + self.arrays[id].rot?) % n;
                    return self.element(id, at, encoding, key).map(Val::Str);
                }
                _ => return None,
            }
        }
        None
    }

    /// Element `at` of array `id` as its decoder reads it (RC4 with `key`).
    pub(super) fn element(
        &mut self,
        id: usize,
        at: usize,
        encoding: Encoding,
        key: Option<JsStr>,
    ) -> Option<JsStr> {
        let k = match (encoding, key) {
            (Encoding::Plain, _) => 0,
            (Encoding::Base64, _) => 1,
            (Encoding::Rc4, key) => {
                let slot = (id, at, key?);
                if let Some(v) = self.cache.get(&slot) {
                    return v.clone();
                }
                let v = self
                    .raw(id, at)
                    .and_then(|raw| rc4(&base64(&raw)?, &slot.2));
                self.cache.insert(slot, v.clone());
                return v;
            }
        };
        if self.arrays[id].decoded[k].is_empty() {
            let n = self.arrays[id].elems.len();
            self.arrays[id].decoded[k].resize(n, None);
        }
        if let Some(v) = &self.arrays[id].decoded[k][at] {
            return v.clone();
        }
        let v = match k {
            0 => self.raw(id, at),
            _ => self.raw(id, at).and_then(|raw| base64(&raw)),
        };
        self.arrays[id].decoded[k][at] = Some(v.clone());
        v
    }

    /// Element `at`'s string literal, its escapes undone; charged to the work.
    fn raw(&self, id: usize, at: usize) -> Option<JsStr> {
        let (s, e) = self.arrays[id].elems[at];
        self.work.set(self.work.get().checked_sub(1 + (e - s) / 8)?);
        str_value(&self.data[s..e])
    }
}

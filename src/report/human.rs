//! The human format: one rustc-style diagnostic per finding (annotate-snippets),
//! then a one-line summary. The only module that knows annotate-snippets.
//!
//! Snippets are redacted (the finding's own secret and anything else key-shaped in
//! the window) and escaped before they are handed to the renderer.

use std::io::Write;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use crate::finding::{Finding, HopKind};
use crate::report::ReportOptions;
use crate::rules::{RuleKind, RuleSet, Severity};
use crate::sanitize::{sanitize, sanitize_keep};
use crate::scan::{Scanned, Stats};
use crate::units::{human_bytes, thousands};

pub fn write(cfg: &ReportOptions, outcome: &Scanned, out: &mut dyn Write) -> std::io::Result<()> {
    let renderer = renderer(cfg.color);
    for f in &outcome.findings {
        let text = render(f, &cfg.rules, cfg.redact, cfg.color, cfg.width, &renderer);
        writeln!(out, "{text}\n")?;
    }
    // `0.21 s` stays on one line.
    let line = summary(outcome, cfg.errors, cfg.incomplete.len()).replace(" s", "\u{1}s");
    writeln!(out, "{}", wrap(&line, cfg.width, "").replace('\u{1}', " "))
}

/// The renderer: lines are fitted to the width here (one clip marker, `…`), so
/// annotate-snippets is never left to trim them its own way.
fn renderer(color: bool) -> Renderer {
    let r = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    r.term_width(usize::MAX / 4)
}

/// Greedy word wrap at `width` characters; continuation lines start with `indent`.
/// A word longer than a line (a long path) is kept whole.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    for (n, para) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
            out.push_str(indent);
        }
        let mut col = if n > 0 { indent.chars().count() } else { 0 };
        let start = col;
        for word in para.split(' ') {
            let w = word.chars().count();
            if col > start && col + 1 + w > width {
                out.push('\n');
                out.push_str(indent);
                col = indent.chars().count();
            } else if col > start {
                out.push(' ');
                col += 1;
            }
            out.push_str(word);
            col += w;
        }
    }
    out
}

/// One finding as a diagnostic (what `write` prints for each), for reports that
/// arrange findings their own way (`audit`).
pub fn render_one(cfg: &ReportOptions, f: &Finding) -> String {
    render(
        f,
        &cfg.rules,
        cfg.redact,
        cfg.color,
        cfg.width,
        &renderer(cfg.color),
    )
}

/// The snippet of a finding as shown to people: the clipped line, redacted and
/// escaped, and the span of the match in it.
pub fn snippet(f: &Finding, rules: &RuleSet, redacted: bool) -> Option<(String, Range<usize>)> {
    let ctx = f.context.as_ref()?;
    let kind = rules.get(&f.rule).map(|r| r.spec.kind);
    let (text, span, _) = display_context(f, ctx, kind, rules, redacted, usize::MAX / 4, 0);
    Some((text, span))
}

fn render(
    f: &Finding,
    rules: &RuleSet,
    redacted: bool,
    color: bool,
    width: usize,
    renderer: &Renderer,
) -> String {
    let rule = rules.get(&f.rule);
    // `  = help: ` and the like: the gutter (line number digits and a space) first.
    let digits = f.line.unwrap_or(1).to_string().len();
    let message = |level: &str, text: &str| {
        let indent = digits + 1 + 2 + level.len() + 2;
        wrap(text, width.saturating_sub(indent).max(20), "")
    };
    let level = match f.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    };
    let path = f
        .provenance
        .path
        .as_deref()
        .map(|p| sanitize(p).into_owned());
    let where_ = match (&path, &f.provenance.commit) {
        (Some(p), _) => p.clone(),
        (None, Some(c)) => format!("message of {}", short(&c.id)),
        (None, None) => "<unknown>".to_string(),
    };
    let level_name = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    let title_indent = level_name.len() + f.rule.len() + 4;
    let title_text = wrap(
        &sanitize(&f.message),
        width.saturating_sub(title_indent).max(20),
        "",
    );
    let title_lines = title_text.lines().count().max(1);
    let title = level.primary_title(title_text).id(f.rule.clone());
    let mut group = Group::with_title(title);
    // annotate-snippets would compute the column from the clipped window; the
    // `-->` line of a snippet is therefore written here (see `insert_origin`).
    let snippet_origin = match (&f.context, f.line, f.column) {
        (Some(_), Some(l), Some(c)) => Some(format!("{where_}:{l}:{c}")),
        (None, Some(l), Some(c)) if f.provenance.path.is_some() => {
            // No snippet (a finding read from a report): still say where.
            group = group.element(Origin::path(format!("{where_}:{l}:{c}")));
            None
        }
        _ => {
            group = group.element(Origin::path(where_.clone()));
            None
        }
    };
    if let (Some(ctx), Some(line)) = (&f.context, f.line) {
        let kind = rule.map(|r| r.spec.kind);
        let label = rule.and_then(|r| r.spec.label.clone()).unwrap_or_default();
        // `12 | ` before the line, `   | ` before the carets.
        let avail = width.saturating_sub(line.to_string().len() + 3).max(20);
        let label_len = label.chars().count();
        let (text, span, label_fits) =
            display_context(f, ctx, kind, rules, redacted, avail, label_len);
        let shown = if label_fits {
            label.clone()
        } else {
            String::new()
        };
        group = group.element(
            Snippet::source(text)
                .line_start(line)
                .annotation(AnnotationKind::Primary.span(span).label(shown)),
        );
        if !label_fits && !label.is_empty() {
            group = group.element(Level::NOTE.message(message("note", &label)));
        }
    }
    let mut footer: Vec<String> = Vec::new();
    let mut first = Vec::new();
    if let Some(fp) = &f.fingerprint
        && f.secret.is_some()
    {
        first.push(format!("fingerprint {}…", &fp[..fp.len().min(8)]));
    }
    if let Some(c) = &f.provenance.commit {
        let day = c.date.get(..10).unwrap_or(&c.date);
        first.push(format!(
            "first seen in {} ({day}, {})",
            short(&c.id),
            sanitize(&c.author)
        ));
    }
    if !first.is_empty() {
        footer.push(first.join(" · "));
    }
    match f.verification {
        Some(crate::finding::Verification::Unknown) if f.ambiguous_end => footer.push(
            "verified: unknown (ambiguous end: the API rejected the whole body, which may \
             hold bytes of the container)"
                .into(),
        ),
        Some(crate::finding::Verification::Active) if f.ambiguous_end => footer.push(
            "verified: active (without its last characters, which belong to the container: \
             revoke it in the QRCodePro dashboard)"
                .into(),
        ),
        Some(v) => footer.push(format!("verified: {v} ({})", verdict_meaning(v.as_str()))),
        None => {}
    }
    for note in &f.notes {
        group = group.element(Level::NOTE.message(message("note", &sanitize(note))));
    }
    if !f.decoding.is_empty() {
        // The snippet shows the encoded text; the note says which key it hides
        // (redacted unless `--no-redact`).
        let mut note = decoded_from(f);
        if let Some(s) = f.shown_secret(redacted) {
            note = format!("{note}: {}", sanitize(&s));
        }
        group = group.element(Level::NOTE.message(message("note", &note)));
    }
    if let Some(note) = containers(f) {
        group = group.element(Level::NOTE.message(message("note", &sanitize(&note))));
    }
    if let Some(o) = &f.origin {
        let at = o.line.map(|l| format!(":{l}")).unwrap_or_default();
        group = group.element(Level::NOTE.message(message(
            "note",
            &format!("original source: {}{at}", sanitize(&o.path)),
        )));
    }
    for line in footer {
        group = group.element(Level::NOTE.no_name().message(message("", &line)));
    }
    if let Some(help) = rule.and_then(|r| r.spec.help.as_deref()) {
        // The path goes into a shell command (`git rm --cached {path}`): quoted.
        let help = help.replace(
            "{path}",
            &crate::shell::quote(path.as_deref().unwrap_or("")),
        );
        group = group.element(Level::HELP.message(message("help", &help)));
    }
    let text = renderer.render(&[group]);
    match snippet_origin {
        Some(origin) => insert_origin(&text, title_lines, &origin, f.line.unwrap_or(1), color),
        None => text,
    }
}

/// Puts ` --> path:line:col` under the title line, aligned with the gutter, the
/// way annotate-snippets draws it for an origin.
fn insert_origin(
    rendered: &str,
    title_lines: usize,
    origin: &str,
    line: usize,
    color: bool,
) -> String {
    let width = line.to_string().len();
    let arrow = if color {
        "\x1b[1m\x1b[94m-->\x1b[0m"
    } else {
        "-->"
    };
    // After the title, which may be wrapped over several lines.
    let mut lines = rendered.splitn(title_lines + 1, '\n');
    let title: Vec<&str> = lines.by_ref().take(title_lines).collect();
    let title = title.join("\n");
    match lines.next() {
        Some(rest) => format!("{title}\n{:width$}{arrow} {origin}\n{rest}", ""),
        None => format!("{title}\n{:width$}{arrow} {origin}", ""),
    }
}

/// `decoded from base64, then percent-encoding`: each decoding step that hid the
/// key, outermost first (empty for a plain match).
pub fn decoded_from(f: &Finding) -> String {
    if f.decoding.is_empty() {
        return String::new();
    }
    let steps: Vec<&str> = f.decoding.iter().map(|e| e.describe()).collect();
    format!("decoded from {}", steps.join(", then "))
}

/// `in site.zip!assets/app.js.br (zip, then brotli)`: the containers a finding's
/// path runs through, and their kinds. Source maps and notebooks have their own
/// note (`original source`); a file's own bytes have none.
pub fn containers(f: &Finding) -> Option<String> {
    let path = f.provenance.path.as_deref()?;
    let in_path: Vec<&crate::finding::Hop> = f
        .hops
        .iter()
        .filter(|h| !matches!(h.kind, HopKind::SourceMap | HopKind::Notebook))
        .collect();
    let last = in_path.last()?;
    let outer = path.strip_suffix(&format!("!{}", last.member))?;
    let kinds: Vec<&str> = in_path.iter().map(|h| h.kind.as_str()).collect();
    Some(format!("in {outer} ({})", kinds.join(", then ")))
}

/// What a verdict means, for people.
fn verdict_meaning(v: &str) -> &'static str {
    match v {
        "active" => "the key works: revoke it",
        "inactive" => "the key is invalid or already revoked",
        _ => "not settled: no answer, or an error of the API; the reason is on standard error",
    }
}

fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

/// The window to show and the span of the match in it: redacted, escaped, and
/// clipped to `avail` characters with `…` (one marker, on either side) so that the
/// line and the carets under it fit. The third value says whether a label of
/// `label` characters fits after the carets too (else it goes in a note).
fn display_context(
    f: &Finding,
    ctx: &crate::finding::Context,
    kind: Option<RuleKind>,
    rules: &RuleSet,
    redacted: bool,
    avail: usize,
    label: usize,
) -> (String, Range<usize>, bool) {
    let (pre, mid, post) = (
        &ctx.text[..ctx.span.start],
        &ctx.text[ctx.span.clone()],
        &ctx.text[ctx.span.end..],
    );
    let mid = match f.shown_secret(redacted) {
        // The key as it is in the file: shortened like the key.
        Some(s) if redacted && f.secret.as_deref() == Some(mid) => s,
        // An encoded key (base64, `%5F`, `"qrcp_" + "live_…"`): the line shows the
        // file's text, so its encoded form is masked instead; it is the key too.
        Some(_) if redacted => mask_encoded(f, mid, rules),
        _ => mid.to_string(),
    };
    let (mut pre, mut post) = (pre.to_string(), post.to_string());
    if redacted {
        pre = redact_keys(&pre, rules, ctx.clipped_start);
        post = redact_keys(&post, rules, false);
        if kind == Some(RuleKind::Variable) {
            post = redact_assigned_value(&post, rules);
        }
    }
    // A tab is one column here, so that the carets stay under the match.
    let clean = |s: &str| sanitize_keep(s, &['\t']).replace('\t', " ");
    let (pre, mut mid, post) = (clean(&pre), clean(&mid), clean(&post));
    let chars = |s: &str| s.chars().count();
    if chars(&mid) + 2 > avail {
        mid = mid
            .chars()
            .take(avail.saturating_sub(3))
            .collect::<String>()
            + "…";
    }
    let mid_len = chars(&mid);
    let label_fits = label == 0 || mid_len + 1 + label < avail;
    let more_after = !post.is_empty() || ctx.clipped_end;
    // Room before the match: the caret line's label, and a marker after it.
    let mut pre_room = avail - mid_len;
    if label_fits && label > 0 {
        pre_room -= 1 + label;
    }
    if more_after {
        pre_room = pre_room.min((avail - mid_len).saturating_sub(1));
    }
    // Keep at least half the line for what follows, when there is that much.
    let post_want = chars(&post) + usize::from(ctx.clipped_end);
    pre_room =
        pre_room.min(((avail - mid_len) / 2).max((avail - mid_len).saturating_sub(post_want)));
    let pre_len = chars(&pre);
    let mut text = String::new();
    if ctx.clipped_start || pre_len > pre_room {
        if pre_room > 0 {
            text.push('…');
            let keep = pre_len.min(pre_room - 1);
            text.extend(pre.chars().skip(pre_len - keep));
        }
    } else {
        text.push_str(&pre);
    }
    let start = text.len();
    text.push_str(&mid);
    let end = text.len();
    let room = avail - chars(&text);
    let post_len = chars(&post);
    if post_len + usize::from(ctx.clipped_end) <= room {
        text.push_str(&post);
        if ctx.clipped_end {
            text.push('…');
        }
    } else if room > 0 {
        text.extend(post.chars().take(room - 1));
        text.push('…');
    }
    (text, start..end, label_fits)
}

/// An encoded key's text in the file, masked: shortened after its prefix where
/// the masking of key-like text knows the encoding (`qrcp%5Flive%5FAb3x…`,
/// `qrcp&#95;live&#95;Ab3x…`), else cut to its first four characters and `…`.
/// Either way no eight characters of the key's body remain, encoded or not.
fn mask_encoded(f: &Finding, mid: &str, rules: &RuleSet) -> String {
    let masked = redact_keys(mid, rules, false);
    let body = f
        .secret
        .as_deref()
        .and_then(|s| s.get(f.secret_prefix_len..))
        .unwrap_or_default()
        .as_bytes();
    let shows_body = body
        .windows(8)
        .any(|w| memchr::memmem::find(masked.as_bytes(), w).is_some());
    // The masking left at most four characters after a prefix, and nothing more
    // of the text than the mask's own cut.
    let alnum_run = masked
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::len)
        .max()
        .unwrap_or(0);
    if masked != mid && !shows_body && alnum_run < 16 {
        return masked;
    }
    // Written backwards, the text starts with the key's last characters: the
    // keyword at its end is shown instead (`…_evil_pcrq`).
    if f.decoding.contains(&crate::finding::Encoding::Reversed) {
        let n = mid.chars().count();
        let tail: String = mid
            .chars()
            .skip(n.saturating_sub(f.secret_prefix_len))
            .collect();
        return format!("…{tail}");
    }
    let head: String = mid.chars().take(4).collect();
    format!("{head}…")
}

/// Shortens every key-like body in `text` (`redact::mask_keys`): what follows a
/// secret rule's keyword or a decoder's trigger literal, and anything after a
/// `qrcp`/`live`/`test` fragment that looks like a key body.
pub fn redact_keys(text: &str, rules: &RuleSet, clipped_start: bool) -> String {
    let masking = Masking::of(rules);
    // Only the literals the text holds, in their order: masking shortens text
    // and adds `…`, which no literal holds, so it reveals none that was not
    // there. One search here, not one per literal per snippet line.
    let mut held = vec![false; masking.literals.len()];
    for m in masking.finder.find_overlapping_iter(text) {
        held[m.pattern().as_usize()] = true;
    }
    let literals: Vec<&str> = masking
        .literals
        .iter()
        .zip(held)
        .filter_map(|(l, held)| held.then_some(l.as_str()))
        .collect();
    crate::redact::mask_keys(text, &literals, clipped_start)
}

/// What [`redact_keys`] looks for, for one rule set: its secret rules' keywords
/// and the decoders' trigger literals, made once per thread and rule set. Made
/// per call, they were most of the time of a report of 10,000 findings (8
/// billion instructions for a 1 MiB file).
struct Masking {
    fingerprint: u64,
    literals: Vec<String>,
    finder: aho_corasick::AhoCorasick,
}

impl Masking {
    fn of(rules: &RuleSet) -> std::rc::Rc<Masking> {
        thread_local! {
            static LAST: std::cell::RefCell<Option<std::rc::Rc<Masking>>> =
                const { std::cell::RefCell::new(None) };
        }
        let fingerprint = crate::decode::trigger_fingerprint(rules);
        LAST.with_borrow_mut(|last| {
            if let Some(m) = last.as_ref().filter(|m| m.fingerprint == fingerprint) {
                return m.clone();
            }
            let triggers = crate::decode::rule_triggers(rules);
            let mut literals: Vec<String> = rules
                .rules
                .iter()
                .filter(|r| r.spec.kind == RuleKind::Secret)
                .flat_map(|r| r.spec.keywords.iter().cloned())
                .collect();
            // Encoded keys (`qrcp%5Flive%5F…`, `qrcp\u005f…`, base64).
            literals.extend(
                triggers
                    .iter()
                    .filter_map(|t| std::str::from_utf8(&t.pattern).ok())
                    .filter(|t| !t.contains('\0'))
                    .map(str::to_string),
            );
            literals.retain(|l| !l.is_empty());
            let finder = aho_corasick::AhoCorasick::new(&literals)
                .expect("a few hundred short literals build an automaton");
            let m = std::rc::Rc::new(Masking {
                fingerprint,
                literals,
                finder,
            });
            *last = Some(m.clone());
            m
        })
    }
}

/// `=secretvalue` after a variable name -> `=secr…` (`${{ secrets.X }}` stays, and
/// so does a key that `redact_keys` already shortened).
fn redact_assigned_value(post: &str, rules: &RuleSet) -> String {
    let skip = post
        .bytes()
        .take_while(|b| matches!(b, b'"' | b'\'' | b' ' | b'\t' | b'=' | b':'))
        .count();
    let value = &post[skip..];
    // A reference is not a secret: another variable (`process.env.X`,
    // `import.meta.env.X`, `$X`, `${X}`, `var.x`, `secrets.X`, `ANOTHER_NAME`).
    let reference = [
        "process.env",
        "import.meta.env",
        "$",
        "var.",
        "secrets.",
        "env.",
    ]
    .iter()
    .any(|p| value.starts_with(p))
        || value
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .is_some_and(|w| {
                w.len() > 1
                    && w.bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())
            });
    if reference {
        return post.to_string();
    }
    let keyword = rules
        .rules
        .iter()
        .filter(|r| r.spec.kind == RuleKind::Secret)
        .flat_map(|r| &r.spec.keywords);
    if keyword.into_iter().any(|k| value.starts_with(k.as_str())) {
        return post.to_string();
    }
    let value_len = post[skip..]
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'.'))
        .count();
    if value_len > 8 {
        let mut s = post.to_string();
        s.replace_range(skip + 4..skip + value_len, "…");
        s
    } else {
        post.to_string()
    }
}

/// The summary line; `incomplete` places not read in full make it say so.
pub fn summary(outcome: &Scanned, error_count: u64, incomplete: usize) -> String {
    let s = &outcome.stats;
    let n = outcome.findings.len();
    let errors = outcome
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = outcome
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let scanned = Stats::get(&s.files) + Stats::get(&s.blobs) + Stats::get(&s.commits);
    let mut out = match n {
        // Every input failed (a missing path, an unreachable site): nothing was
        // scanned, so "no findings" would claim what is not known.
        0 if error_count > 0 && scanned == 0 => {
            return format!(
                "nothing scanned: {} error{} (above)",
                thousands(error_count),
                plural(error_count)
            );
        }
        0 => "no findings".to_string(),
        _ => {
            let mut parts = Vec::new();
            if errors > 0 {
                parts.push(format!("{errors} error{}", plural(errors as u64)));
            }
            if warnings > 0 {
                parts.push(format!("{warnings} warning{}", plural(warnings as u64)));
            }
            let notes = n - errors - warnings;
            if notes > 0 {
                parts.push(format!("{notes} note{}", plural(notes as u64)));
            }
            format!("{n} finding{} ({})", plural(n as u64), parts.join(", "))
        }
    };
    let blobs = Stats::get(&s.blobs);
    let commits = Stats::get(&s.commits);
    let files = Stats::get(&s.files);
    let bytes = human_bytes(Stats::get(&s.bytes));
    if blobs > 0 || commits > 0 {
        out += &format!(
            " in {} object{} ({bytes}) of {} commit{}",
            thousands(blobs),
            plural(blobs),
            thousands(commits),
            plural(commits)
        );
    } else {
        out += &format!(" in {} file{} ({bytes})", thousands(files), plural(files));
    }
    out += &format!(", {:.2} s", outcome.elapsed.as_secs_f64());
    let mut tail = Vec::new();
    let mut count = |n: u64, what: &str| {
        if n > 0 {
            tail.push(format!("{} {what}", thousands(n)));
        }
    };
    let placeholders = Stats::get(&s.placeholders);
    count(
        placeholders,
        if placeholders == 1 {
            "placeholder ignored"
        } else {
            "placeholders ignored"
        },
    );
    count(Stats::get(&s.allowed), "allowed");
    count(Stats::get(&s.baselined), "in the baseline");
    count(Stats::get(&s.skipped), "skipped");
    let errs = error_count;
    count(errs, if errs == 1 { "error" } else { "errors" });
    if !tail.is_empty() {
        out += "; ";
        out += &tail.join(", ");
    }
    if incomplete > 0 {
        out += &format!(
            "; INCOMPLETE: {} place{} not read in full (see the `incomplete:` lines above)",
            thousands(incomplete as u64),
            plural(incomplete as u64)
        );
    }
    out
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masking made for one rule set is not used for another: each call
    /// masks what its own rules' keywords start, in any order of calls.
    #[test]
    fn masking_follows_each_calls_rule_set() {
        let builtin = RuleSet::load(&[] as &[&str]).unwrap();
        let text = "[[rule]]\nid = \"acme\"\nkind = \"secret\"\nname = \"acme\"\n\
                    severity = \"error\"\nkeywords = [\"acme_\"]\npattern = \"acme_[a-z0-9]{20,}\"\n";
        let specs = crate::rules::parse_file(text, "mine.toml").unwrap();
        let mine =
            RuleSet::compile(specs.into_iter().map(|(s, o)| (s, o, true)).collect()).unwrap();
        let body = "xy7".repeat(8);
        let ours = format!("k = qrcp_live_{body};");
        let theirs = format!("k = acme_{body};");
        for _ in 0..2 {
            assert_eq!(redact_keys(&ours, &builtin, false), "k = qrcp_live_xy7x…;");
            assert_eq!(redact_keys(&theirs, &builtin, false), theirs);
            assert_eq!(redact_keys(&theirs, &mine, false), "k = acme_xy7x…;");
        }
    }
}

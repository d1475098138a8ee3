//! The human format: one rustc-style diagnostic per finding (annotate-snippets),
//! then a one-line summary. The only module that knows annotate-snippets.
//!
//! Snippets are redacted (the finding's own secret and anything else key-shaped in
//! the window) and escaped before they are handed to the renderer.

use std::io::Write;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use crate::finding::Finding;
use crate::report::ReportOptions;
use crate::rules::{RuleKind, RuleSet, Severity};
use crate::sanitize::{sanitize, sanitize_keep};
use crate::scan::{Scanned, Stats};
use crate::units::{human_bytes, thousands};

pub fn write(cfg: &ReportOptions, outcome: &Scanned, out: &mut dyn Write) -> std::io::Result<()> {
    let renderer = if cfg.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    for f in &outcome.findings {
        let text = render(f, &cfg.rules, cfg.redact, cfg.color, &renderer);
        writeln!(out, "{text}\n")?;
    }
    writeln!(out, "{}", summary(outcome, cfg.errors))
}

/// One finding as a diagnostic (what `write` prints for each), for reports that
/// arrange findings their own way (`audit`).
pub fn render_one(cfg: &ReportOptions, f: &Finding) -> String {
    let renderer = if cfg.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    render(f, &cfg.rules, cfg.redact, cfg.color, &renderer)
}

/// The snippet of a finding as shown to people: the clipped line, redacted and
/// escaped, and the span of the match in it.
pub fn snippet(f: &Finding, rules: &RuleSet, redacted: bool) -> Option<(String, Range<usize>)> {
    let ctx = f.context.as_ref()?;
    let kind = rules.get(&f.rule).map(|r| r.spec.kind);
    Some(display_context(f, ctx, kind, rules, redacted))
}

fn render(
    f: &Finding,
    rules: &RuleSet,
    redacted: bool,
    color: bool,
    renderer: &Renderer,
) -> String {
    let rule = rules.get(&f.rule);
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
    let title = level
        .primary_title(sanitize(&f.message).into_owned())
        .id(f.rule.clone());
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
        let (text, span) = display_context(f, ctx, kind, rules, redacted);
        let label = rule.and_then(|r| r.spec.label.clone()).unwrap_or_default();
        group = group.element(
            Snippet::source(text)
                .line_start(line)
                .annotation(AnnotationKind::Primary.span(span).label(label)),
        );
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
    if let Some(v) = f.verification {
        footer.push(format!("verified: {v} ({})", verdict_meaning(v.as_str())));
    }
    for note in &f.notes {
        group = group.element(Level::NOTE.message(sanitize(note).into_owned()));
    }
    if let Some(o) = &f.origin {
        let at = o.line.map(|l| format!(":{l}")).unwrap_or_default();
        group = group
            .element(Level::NOTE.message(format!("original source: {}{at}", sanitize(&o.path))));
    }
    for line in footer {
        group = group.element(Level::NOTE.no_name().message(line));
    }
    if let Some(help) = rule.and_then(|r| r.spec.help.as_deref()) {
        let help = help.replace("{path}", path.as_deref().unwrap_or(""));
        group = group.element(Level::HELP.message(help));
    }
    let text = renderer.render(&[group]);
    match snippet_origin {
        Some(origin) => insert_origin(&text, &origin, f.line.unwrap_or(1), color),
        None => text,
    }
}

/// Puts ` --> path:line:col` under the title line, aligned with the gutter, the
/// way annotate-snippets draws it for an origin.
fn insert_origin(rendered: &str, origin: &str, line: usize, color: bool) -> String {
    let width = line.to_string().len();
    let arrow = if color {
        "\x1b[1m\x1b[94m-->\x1b[0m"
    } else {
        "-->"
    };
    match rendered.split_once('\n') {
        Some((title, rest)) => format!("{title}\n{:width$}{arrow} {origin}\n{rest}", ""),
        None => format!("{rendered}\n{:width$}{arrow} {origin}", ""),
    }
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

/// The window to show and the span of the match in it: redacted, escaped, with `…`
/// where the line was clipped.
fn display_context(
    f: &Finding,
    ctx: &crate::finding::Context,
    kind: Option<RuleKind>,
    rules: &RuleSet,
    redacted: bool,
) -> (String, Range<usize>) {
    let (pre, mid, post) = (
        &ctx.text[..ctx.span.start],
        &ctx.text[ctx.span.clone()],
        &ctx.text[ctx.span.end..],
    );
    let mid = match f.shown_secret(redacted) {
        Some(s) if redacted => s,
        _ => mid.to_string(),
    };
    let (mut pre, mut post) = (pre.to_string(), post.to_string());
    if redacted {
        pre = redact_keys(&pre, rules);
        post = redact_keys(&post, rules);
        if kind == Some(RuleKind::Variable) {
            post = redact_assigned_value(&post, rules);
        }
    }
    let keep = ['\t'];
    let mut text = String::new();
    if ctx.clipped_start {
        text.push('…');
    }
    text.push_str(&sanitize_keep(&pre, &keep));
    let start = text.len();
    text.push_str(&sanitize_keep(&mid, &keep));
    let end = text.len();
    text.push_str(&sanitize_keep(&post, &keep));
    if ctx.clipped_end {
        text.push('…');
    }
    (text, start..end)
}

/// Shortens everything that follows a secret rule's keyword to four characters,
/// even when the window clipped it short of a full match.
pub fn redact_keys(text: &str, rules: &RuleSet) -> String {
    let mut out = text.to_string();
    for rule in rules
        .rules
        .iter()
        .filter(|r| r.spec.kind == RuleKind::Secret)
    {
        for kw in &rule.spec.keywords {
            let mut from = 0;
            while let Some(i) = out[from..].find(kw.as_str()) {
                let body_start = from + i + kw.len();
                let body_len = out[body_start..]
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric())
                    .count();
                if body_len > 4 {
                    out.replace_range(body_start + 4..body_start + body_len, "…");
                }
                from = body_start.min(out.len());
            }
        }
    }
    // Encoded keys (`qrcp%5Flive%5F…`, `qrcp\u005f…`, base64): what follows a
    // decoder's trigger literal is shortened the same way.
    for t in crate::decode::triggers(rules) {
        let Ok(trigger) = std::str::from_utf8(&t.pattern) else {
            continue;
        };
        if trigger.contains('\0') {
            continue;
        }
        let mut from = 0;
        while let Some(i) = out[from..].find(trigger) {
            let body_start = from + i + trigger.len();
            let body_len = out[body_start..]
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || b"+/=_-%\\".contains(b))
                .count();
            if body_len > 4 {
                out.replace_range(body_start + 4..body_start + body_len, "…");
            }
            from = body_start.min(out.len());
        }
    }
    out
}

/// `=secretvalue` after a variable name -> `=secr…` (`${{ secrets.X }}` stays, and
/// so does a key that `redact_keys` already shortened).
fn redact_assigned_value(post: &str, rules: &RuleSet) -> String {
    let skip = post
        .bytes()
        .take_while(|b| matches!(b, b'"' | b'\'' | b' ' | b'\t' | b'=' | b':'))
        .count();
    let value = &post[skip..];
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

pub fn summary(outcome: &Scanned, error_count: u64) -> String {
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
    let mut out = match n {
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
    out
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

//! The audit as one self-contained HTML page: inline CSS and JavaScript only, and
//! a Content-Security-Policy that forbids every network request, so that opening
//! the report contacts nothing. It shows the summary, a timeline of when each key
//! was introduced and removed, every location with its redacted snippet, dotenv
//! files, client-exposed variables and the to-do list, with filters by key type,
//! status and path. It never holds a full key unless `--no-redact`.

use std::fmt::Write as _;

use crate::audit::{Audit, Event, KeyGroup, LOCAL_ONLY, UNTRACKED_LOCAL, variable_of};
use crate::finding::{Finding, SourceKind};
use crate::report::ReportOptions;
use crate::report::human::snippet;
use crate::time::{date_of, parse_rfc3339 as epoch};

/// Escapes text for HTML element content and quoted attributes; controls and bidi
/// overrides are shown escaped, never raw.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::sanitize::sanitize(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn day(date: &str) -> &str {
    date.get(..10).unwrap_or(date)
}

fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

fn event(e: &Event) -> String {
    format!(
        "{} · <code>{}</code> · {}{}",
        esc(day(&e.date)),
        esc(short(&e.commit)),
        esc(&e.author),
        e.path
            .as_deref()
            .map(|p| format!(" · <code>{}</code>", esc(p)))
            .unwrap_or_default()
            + if e.reachable {
                ""
            } else {
                " · a commit no ref reaches (amended away)"
            }
    )
}

const STYLE: &str = r#"
:root { --fg:#1d2330; --muted:#5b6474; --line:#d9dee7; --bg:#f6f8fb; --err:#c62828; --warn:#b26a00; --ok:#2e7d32; --accent:#3559c7; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 18px 28px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 10px; }
main { padding: 8px 28px 40px; max-width: 1200px; }
.muted { color: var(--muted); }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f6; font-weight: 600; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #e8ebf2; }
.live { background: #fde2e1; color: var(--err); } .test { background: #fff1d6; color: var(--warn); }
.active { background: #fde2e1; color: var(--err); } .inactive { background: #e3f3e4; color: var(--ok); }
.filters { display: flex; gap: 14px; align-items: center; flex-wrap: wrap; background: #fff; border: 1px solid var(--line); padding: 10px 14px; margin: 16px 0; }
.filters label { font-weight: 600; } select, input { font: inherit; padding: 3px 6px; }
.key { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--err); padding: 12px 16px; margin: 12px 0; }
.key.kind-test { border-left-color: var(--warn); }
.key h3 { margin: 0 0 6px; font-size: 15px; }
.loc { margin: 8px 0; } .loc pre { background: #f3f5f9; padding: 6px 10px; margin: 4px 0 0; overflow-x: auto; white-space: pre; }
mark { background: #ffe08a; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
ol li { margin: 6px 0; }
[hidden] { display: none !important; }
"#;

const SCRIPT: &str = r#"
(function () {
  var type = document.getElementById('f-type');
  var status = document.getElementById('f-status');
  var path = document.getElementById('f-path');
  function apply() {
    var t = type.value, s = status.value, p = path.value.toLowerCase();
    var keys = {};
    document.querySelectorAll('.key[data-key]').forEach(function (el) {
      var show = (t === 'all' || el.dataset.type === t) &&
                 (s === 'all' || el.dataset.status === s) &&
                 (p === '' || el.dataset.paths.toLowerCase().indexOf(p) >= 0);
      keys[el.dataset.key] = show;
    });
    var shown = 0;
    document.querySelectorAll('[data-key]').forEach(function (el) {
      var show = keys[el.dataset.key];
      el.hidden = !show;
      if (show && el.classList.contains('key')) { shown++; }
    });
    document.getElementById('shown').textContent = shown;
  }
  [type, status].forEach(function (el) { el.addEventListener('change', apply); });
  path.addEventListener('input', apply);
  apply();
})();
"#;

pub fn render(cfg: &ReportOptions, a: &Audit) -> String {
    let mut h = String::new();
    let head = a
        .head
        .as_deref()
        .map(|x| format!(" · HEAD <code>{}</code>", esc(short(x))))
        .unwrap_or_default();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {repo}</title><style>{STYLE}</style></head><body>\
         <header><h1>{title}</h1><div class=\"muted\"><code>{repo}</code>{head} · {n} key{s} · qrcp-scan {v}</div></header><main>",
        title = esc(a.title),
        repo = esc(&a.repo),
        n = a.keys.len(),
        s = if a.keys.len() == 1 { "" } else { "s" },
        v = env!("CARGO_PKG_VERSION"),
    );
    // Filters.
    h += "<div class=\"filters\" id=\"filters\"><label for=\"f-type\">Key type</label><select id=\"f-type\"><option value=\"all\">all</option>";
    let mut kinds: Vec<&str> = a.keys.iter().map(|g| g.kind.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    for k in kinds {
        let _ = write!(h, "<option value=\"{0}\">{0}</option>", esc(k));
    }
    h += "</select><label for=\"f-status\">Status</label><select id=\"f-status\"><option value=\"all\">all</option>";
    for st in [
        "in HEAD",
        "in working tree",
        "in local file",
        "staged",
        "history only",
        "unreachable",
        "local only",
    ] {
        let _ = write!(h, "<option value=\"{st}\">{st}</option>");
    }
    h += "</select><label for=\"f-path\">Path</label><input id=\"f-path\" type=\"search\" placeholder=\"e.g. src/ or .env\">";
    let _ = write!(
        h,
        "<span class=\"muted\"><span id=\"shown\">{}</span> of {} keys shown</span></div>",
        a.keys.len(),
        a.keys.len()
    );

    // Summary.
    h += "<h2>Keys</h2>";
    if a.keys.is_empty() {
        h += "<p>No leaked keys.</p>";
    } else {
        h += "<table id=\"summary\"><thead><tr><th>#</th><th>Key</th><th>Type</th><th>Status</th><th>First leaked</th><th>Removed</th><th>Places</th><th>Build output</th><th>Live</th></tr></thead><tbody>";
        for (i, g) in a.keys.iter().enumerate() {
            let _ = write!(
                h,
                "<tr {attrs}><td>{n}</td><td><code>{key}</code></td><td><span class=\"badge {kind}\">{kind}</span></td><td>{status}</td><td>{first}</td><td>{removed}</td><td>{places}</td><td>{build}</td><td>{live}</td></tr>",
                attrs = key_attrs(g),
                n = i + 1,
                key = esc(&g.key),
                kind = esc(&g.kind),
                status = esc(g.status()),
                first = g.first_leak.as_ref().map_or("—".into(), event),
                removed = match (&g.removed, g.in_head) {
                    (_, true) => "still in HEAD".to_string(),
                    (Some(e), _) => event(e),
                    (None, _) => "—".to_string(),
                },
                places = g.locations.len(),
                build = if g.in_build_output { "yes" } else { "no" },
                live = g.verification.map_or(
                    "<span class=\"muted\">not checked</span>".to_string(),
                    |v| format!("<span class=\"badge {v}\">{v}</span>")
                ),
            );
        }
        h += "</tbody></table>";
        h += &timeline(a);
    }

    // Each key.
    for (i, g) in a.keys.iter().enumerate() {
        let _ = write!(
            h,
            "<section class=\"key kind-{kind}\" {attrs}><h3>Key {n}: <code>{key}</code> <span class=\"badge {kind}\">{kind}</span></h3><div class=\"muted\">fingerprint <code>{fp}</code></div>",
            kind = esc(&g.kind),
            attrs = key_attrs(g),
            n = i + 1,
            key = esc(&g.key),
            fp = esc(&g.fingerprint),
        );
        if let Some(e) = &g.first_leak {
            let _ = write!(h, "<div>First leaked: {}</div>", event(e));
        }
        if let Some(e) = &g.removed {
            let _ = write!(h, "<div>Removed: {}</div>", event(e));
        }
        for f in &g.locations {
            h += &location(cfg, f);
        }
        h += "</section>";
    }

    if !a.dotenv.is_empty() {
        h += "<h2>Dotenv files</h2><table id=\"dotenv\"><thead><tr><th>Path</th><th>State</th></tr></thead><tbody>";
        for d in &a.dotenv {
            let state = d.state(event);
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{state}</td></tr>",
                esc(&d.path)
            );
        }
        h += "</tbody></table>";
    }
    if !a.exposed.is_empty() {
        h += "<h2>Client-exposed variables</h2>";
        for f in &a.exposed {
            h += &location(cfg, f);
        }
    }
    h += "<h2>What to do now</h2>";
    if a.todo.is_empty() {
        h += "<p>Nothing to do.</p>";
    } else {
        h += "<ol id=\"todo\">";
        for t in &a.todo {
            let _ = write!(h, "<li>{}</li>", code_spans(&esc(t)));
        }
        h += "</ol>";
    }
    let _ = write!(
        h,
        "<p class=\"muted\">{}</p>",
        esc(&crate::report::human::summary(
            &a.outcome,
            cfg.errors,
            cfg.incomplete.len()
        ))
    );
    let _ = writeln!(h, "</main><script>{SCRIPT}</script></body></html>");
    h
}

/// `data-` attributes the filters read: key, type, status, paths.
fn key_attrs(g: &KeyGroup) -> String {
    let mut paths: Vec<&str> = g
        .locations
        .iter()
        .filter_map(|f| f.provenance.path.as_deref())
        .collect();
    paths.sort();
    paths.dedup();
    format!(
        "data-key=\"{}\" data-type=\"{}\" data-status=\"{}\" data-paths=\"{}\"",
        esc(&g.fingerprint[..16]),
        esc(&g.kind),
        esc(g.status()),
        esc(&paths.join("\n"))
    )
}

/// `text` with `…` spans as `<code>` (the to-do list's commands).
fn code_spans(escaped: &str) -> String {
    let mut out = String::new();
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn location(cfg: &ReportOptions, f: &Finding) -> String {
    let mut where_ = f
        .provenance
        .path
        .clone()
        .unwrap_or_else(|| "message".into());
    if let (Some(l), Some(c)) = (f.line, f.column) {
        where_ += &format!(":{l}:{c}");
    }
    let source = match f.provenance.source {
        SourceKind::Git => "history",
        SourceKind::GitUnreachable => "unreachable object",
        SourceKind::GitStaged | SourceKind::Staged => "staged",
        SourceKind::File if f.notes.iter().any(|n| n == LOCAL_ONLY) => "local only",
        SourceKind::File if f.notes.iter().any(|n| n == UNTRACKED_LOCAL) => "local file",
        SourceKind::File => "working tree",
        _ => "other",
    };
    let mut s = format!(
        "<div class=\"loc\"><code>{}</code> <span class=\"badge\">{source}</span>",
        esc(&where_)
    );
    if cfg.rules.category(&f.rule) == Some(crate::rules::Category::ClientExposed) {
        let _ = write!(s, " <code>{}</code>", esc(&variable_of(f)));
    }
    if let Some(c) = &f.provenance.commit {
        let _ = write!(
            s,
            " · introduced {} in <code>{}</code> by {}",
            esc(day(&c.date)),
            esc(short(&c.id)),
            esc(&c.author)
        );
    }
    if !f.decoding.is_empty() {
        let _ = write!(s, " · {}", esc(&crate::report::human::decoded_from(f)));
    }
    if let Some((text, span)) = snippet(f, &cfg.rules, cfg.redact) {
        let _ = write!(
            s,
            "<pre>{}<mark>{}</mark>{}</pre>",
            esc(&text[..span.start]),
            esc(&text[span.clone()]),
            esc(&text[span.end..])
        );
    }
    s += "</div>";
    s
}

/// One row per key: a bar from its first leak to its removal (or to now when it
/// is still there), and a dot for each commit that introduced it somewhere.
fn timeline(a: &Audit) -> String {
    let dated: Vec<&KeyGroup> = a.keys.iter().filter(|g| g.first_leak.is_some()).collect();
    if dated.is_empty() {
        return String::new();
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let starts = dated
        .iter()
        .filter_map(|g| g.first_leak.as_ref().map(|e| e.epoch));
    let t0 = starts.clone().min().unwrap_or(now);
    // Git dates span all of i64 (a crafted commit in the year 10000): measured
    // in f64, never subtracted as integers.
    // The right edge is now, or the latest date shown when a commit claims a later one.
    let latest = dated
        .iter()
        .flat_map(|g| [&g.first_leak, &g.removed])
        .filter_map(|e| e.as_ref().map(|e| e.epoch))
        .max()
        .unwrap_or(now);
    let t1 = now.max(latest).max(t0.saturating_add(86_400));
    let (left, width, row) = (230.0, 900.0, 26.0);
    let span = (t1 as f64 - t0 as f64).max(1.0);
    let x = |t: i64| left + (t as f64 - t0 as f64) / span * (width - left - 20.0);
    let height = 30.0 + row * dated.len() as f64;
    let mut s = format!(
        "<h2>Timeline</h2><svg id=\"timeline\" role=\"img\" aria-label=\"When each key was introduced and removed\" viewBox=\"0 0 {width} {height}\" width=\"100%\" style=\"background:#fff;border:1px solid var(--line)\">"
    );
    let _ = write!(
        s,
        "<text x=\"{left}\" y=\"16\">{}</text>",
        esc(&date_of(t0))
    );
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"16\" text-anchor=\"end\">{}</text>",
        width - 20.0,
        esc(&date_of(t1))
    );
    for (i, g) in dated.iter().enumerate() {
        let y = 30.0 + row * i as f64;
        let start = g.first_leak.as_ref().map_or(t0, |e| e.epoch);
        let end = if g.in_head {
            t1
        } else {
            g.removed.as_ref().map_or(t1, |e| e.epoch)
        };
        let color = if g.kind == "live" {
            "#c62828"
        } else {
            "#b26a00"
        };
        let _ = write!(
            s,
            "<g {attrs}><text x=\"8\" y=\"{ty}\">{key}</text><rect x=\"{x0:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"12\" rx=\"3\" fill=\"{color}\" opacity=\"{op}\"><title>{key}: {from} → {to}</title></rect>",
            attrs = key_attrs(g),
            ty = y + 10.0,
            key = esc(&g.key),
            x0 = x(start),
            w = (x(end) - x(start)).max(3.0),
            op = if g.removed.is_some() || g.in_head {
                "0.85"
            } else {
                "0.5"
            },
            from = esc(&g
                .first_leak
                .as_ref()
                .map_or(String::new(), |e| day(&e.date).to_string())),
            to = if g.in_head {
                "still in HEAD".to_string()
            } else {
                let amended = g.first_leak.as_ref().is_some_and(|e| !e.reachable);
                g.removed.as_ref().map_or(
                    if amended { "amended away" } else { "unknown" }.into(),
                    |e| esc(day(&e.date)),
                )
            },
        );
        for f in &g.locations {
            let commit = f.provenance.commit.as_ref();
            if let Some(t) = commit
                .or(f.provenance.unreached.as_ref())
                .and_then(|c| epoch(&c.date))
            {
                let _ = write!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{}\" r=\"4\" fill=\"#fff\" stroke=\"{color}\" stroke-width=\"2\"/>",
                    x(t),
                    y + 6.0
                );
            }
        }
        s += "</g>";
    }
    s += "</svg>";
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_and_dates() {
        assert_eq!(
            super::esc("<a href=\"x\">&'\x1b"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;\\x1b"
        );
    }
}

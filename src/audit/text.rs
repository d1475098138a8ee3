//! The audit for people: a summary table, each key's locations as annotated
//! snippets, the dotenv files and client-exposed variables, and a numbered to-do
//! list. Every untrusted string is escaped; keys are redacted unless asked.

use std::io::Write;

use crate::audit::{Audit, Event};
use crate::report::ReportOptions;
use crate::report::human::{render_one, summary};
use crate::sanitize::sanitize;

fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

fn day(date: &str) -> &str {
    date.get(..10).unwrap_or(date)
}

pub fn event(e: &Event) -> String {
    let mut s = format!(
        "{} in {} by {}",
        day(&e.date),
        short(&e.commit),
        sanitize(&e.author)
    );
    if let Some(p) = &e.path {
        s += &format!(" ({})", sanitize(p));
    }
    s
}

fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, cell)| format!("{cell:<w$}", w = widths[i]))
            .collect();
        out += line.join("  ").trim_end();
        out.push('\n');
    }
    out
}

pub fn write(cfg: &ReportOptions, a: &Audit, out: &mut dyn Write) -> std::io::Result<()> {
    let head = a
        .head
        .as_deref()
        .map(|h| format!(" (HEAD {})", short(h)))
        .unwrap_or_default();
    writeln!(out, "qrcp-scan audit of {}{head}\n", sanitize(&a.repo))?;
    if a.keys.is_empty() {
        writeln!(out, "No leaked keys.\n")?;
    } else {
        let mut rows = vec![
            [
                "#",
                "key",
                "type",
                "status",
                "first leaked",
                "places",
                "build output",
                "live",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for (i, g) in a.keys.iter().enumerate() {
            rows.push(vec![
                (i + 1).to_string(),
                sanitize(&g.key).into_owned(),
                g.kind.clone(),
                g.status().to_string(),
                g.first_leak.as_ref().map_or("-".into(), |e| {
                    format!(
                        "{} {} {}",
                        day(&e.date),
                        short(&e.commit),
                        sanitize(&e.author)
                    )
                }),
                g.locations.len().to_string(),
                if g.in_build_output { "yes" } else { "no" }.to_string(),
                g.verification
                    .map_or("not checked", |v| v.as_str())
                    .to_string(),
            ]);
        }
        write!(out, "{}", table(&rows))?;
        writeln!(out)?;
        for (i, g) in a.keys.iter().enumerate() {
            writeln!(
                out,
                "Key {}: {} ({} key, fingerprint {}…)",
                i + 1,
                sanitize(&g.key),
                g.kind,
                &g.fingerprint[..12]
            )?;
            if let Some(e) = &g.first_leak {
                writeln!(out, "  first leaked {}", event(e))?;
            } else if g.local_only {
                writeln!(
                    out,
                    "  local only: in files that are ignored and were never committed"
                )?;
            } else if g.unreachable_only {
                writeln!(
                    out,
                    "  only in objects that no ref reaches (amended away or dangling), still in the object store and on any server it was pushed to"
                )?;
            }
            match (&g.removed, g.in_head) {
                (_, true) => writeln!(out, "  still in HEAD")?,
                (Some(e), false) => writeln!(out, "  removed {}", event(e))?,
                (None, false) => {}
            }
            writeln!(out)?;
            for f in &g.locations {
                writeln!(out, "{}\n", render_one(cfg, f))?;
            }
        }
    }
    if !a.dotenv.is_empty() {
        writeln!(out, "Dotenv files")?;
        for d in &a.dotenv {
            let state = d.state(event);
            writeln!(out, "  {}: {state}", sanitize(&d.path))?;
        }
        writeln!(out)?;
    }
    if !a.exposed.is_empty() {
        writeln!(out, "Client-exposed variables\n")?;
        for f in &a.exposed {
            writeln!(out, "{}\n", render_one(cfg, f))?;
        }
    }
    if a.todo.is_empty() {
        writeln!(out, "Nothing to do.")?;
    } else {
        writeln!(out, "What to do now")?;
        for (i, t) in a.todo.iter().enumerate() {
            writeln!(out, "  {}. {}", i + 1, sanitize(t))?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        summary(&a.outcome, cfg.errors, cfg.incomplete.len())
    )
}

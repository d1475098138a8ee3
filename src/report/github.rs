//! `--format github`: GitHub Actions workflow commands, so that findings show as
//! annotations on the pull request diff. Data and properties are escaped as the
//! runner expects (`%`, CR, LF; and `:` `,` in properties); other control and
//! bidi characters are percent-escaped too, so that nothing raw reaches the log.

use std::io::Write;

use crate::finding::Finding;
use crate::report::ReportOptions;
use crate::rules::Severity;
use crate::sanitize::is_dangerous;

pub fn write(
    cfg: &ReportOptions,
    findings: &[Finding],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for f in findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = Vec::new();
        if let Some(p) = f.provenance.path.as_deref() {
            props.push(format!(
                "file={}",
                escape_property(p.split('!').next().unwrap_or(p))
            ));
        }
        if let Some(l) = f.line {
            props.push(format!("line={l}"));
        }
        if let Some(c) = f.column {
            props.push(format!("col={c}"));
        }
        if let Some(l) = f.end_line {
            props.push(format!("endLine={l}"));
        }
        if let Some(c) = f.end_column {
            props.push(format!("endColumn={c}"));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("{} ({})", f.message, f.rule))
        ));
        let mut msg = f.message.clone();
        if let Some(shown) = f.shown_secret(cfg.redact) {
            msg += &format!(" {shown}");
        }
        if let Some(fp) = &f.fingerprint {
            msg += &format!(" (fingerprint {})", &fp[..fp.len().min(12)]);
        }
        if let Some(v) = f.verification {
            msg += &format!("\nverified: {v}");
        }
        if let Some(c) = &f.provenance.commit {
            msg += &format!(
                "\nfirst introduced in commit {} ({}, {})",
                c.id, c.date, c.author
            );
        }
        if let Some(p) = f.provenance.path.as_deref().filter(|p| p.contains('!')) {
            msg += &format!("\nin {p}");
        }
        for note in &f.notes {
            msg += &format!("\nnote: {note}");
        }
        if let Some(help) = cfg.rules.get(&f.rule).and_then(|r| r.spec.help.as_deref()) {
            msg += &format!(
                "\nhelp: {}",
                help.replace("{path}", f.provenance.path.as_deref().unwrap_or(""))
            );
        }
        writeln!(
            out,
            "::{command} {}::{}",
            props.join(","),
            escape_data(&msg)
        )?;
    }
    Ok(())
}

fn escape(s: &str, property: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c if c.is_control() => out.push_str(&format!("%{:02X}", c as u32)),
            c if is_dangerous(c) => out.push_str(&format!("%u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

pub fn escape_data(s: &str) -> String {
    escape(s, false)
}

pub fn escape_property(s: &str) -> String {
    escape(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(escape_property("x\x1b[31m"), "x%1B[31m");
    }
}

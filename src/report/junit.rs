//! `--format junit`: one test case per finding (a failure), or one passing test
//! case when the scan is clean, so that CI systems that read JUnit show leaks as
//! failed tests.

use std::io::Write;

use crate::finding::Finding;
use crate::report::ReportOptions;
use crate::sanitize::is_dangerous;
use crate::scan::Scanned;

pub fn write(cfg: &ReportOptions, outcome: &Scanned, out: &mut dyn Write) -> std::io::Result<()> {
    let findings = &outcome.findings;
    let n = findings.len().max(1);
    let failures = findings.len();
    let secs = outcome.elapsed.as_secs_f64();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="qrcp-scan" tests="{n}" failures="{failures}" errors="0" time="{secs:.3}">"#
    )?;
    writeln!(
        out,
        r#"  <testsuite name="qrcp-scan" tests="{n}" failures="{failures}" errors="0" skipped="0" time="{secs:.3}">"#
    )?;
    if findings.is_empty() {
        writeln!(
            out,
            r#"    <testcase classname="qrcp-scan" name="no leaked QRCodePro keys" time="{secs:.3}"/>"#
        )?;
    }
    for f in findings {
        let place = location(f);
        let shown = f.shown_secret(cfg.redact);
        let mut message = f.message.clone();
        if let Some(s) = &shown {
            message += &format!(" {s}");
        }
        let mut body = format!("{}[{}]: {}\n  --> {place}\n", f.severity, f.rule, message);
        if let Some(fp) = &f.fingerprint {
            body += &format!("fingerprint {fp}\n");
        }
        if let Some(v) = f.verification {
            body += &format!("verified: {v}\n");
        }
        if let Some(c) = &f.provenance.commit {
            body += &format!(
                "first introduced in commit {} ({}, {} <{}>)\n",
                c.id, c.date, c.author, c.email
            );
        }
        for note in &f.notes {
            body += &format!("note: {note}\n");
        }
        if let Some(help) = cfg.rules.get(&f.rule).and_then(|r| r.spec.help.as_deref()) {
            body += &format!(
                "help: {}\n",
                help.replace("{path}", f.provenance.path.as_deref().unwrap_or(""))
            );
        }
        let file = f
            .provenance
            .path
            .as_deref()
            .map(|p| format!(r#" file="{}""#, xml(p)))
            .unwrap_or_default();
        let line = f
            .line
            .map(|l| format!(r#" line="{l}""#))
            .unwrap_or_default();
        writeln!(
            out,
            r#"    <testcase classname="{}" name="{}"{file}{line}>"#,
            xml(&f.rule),
            xml(&place)
        )?;
        writeln!(
            out,
            r#"      <failure type="{}" message="{}">{}</failure>"#,
            xml(&f.rule),
            xml(&message),
            xml(&body)
        )?;
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

fn location(f: &Finding) -> String {
    let path = match (&f.provenance.path, &f.provenance.commit) {
        (Some(p), _) => p.clone(),
        (None, Some(c)) => format!("commit message of {}", c.id),
        (None, None) => "<unknown>".into(),
    };
    match (f.line, f.column) {
        (Some(l), Some(c)) => format!("{path}:{l}:{c}"),
        _ => path,
    }
}

/// Escapes XML text and attributes. What XML 1.0 cannot hold at all (controls
/// other than tab, LF and CR; U+FFFE and U+FFFF; a lone surrogate cannot reach
/// here: a name's invalid UTF-8 bytes are already U+FFFD) and what must not reach
/// a terminal raw ([`is_dangerous`]: a CI log shows these names) is written as a
/// visible escape, as on the terminal: `\x01`, `\u{fffe}`.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push_str(&format!("&#{};", c as u32)),
            c if (c as u32) < 0x100 && (is_dangerous(c) || !is_xml_char(c)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_dangerous(c) || !is_xml_char(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// XML 1.0's `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_xml() {
        assert_eq!(
            xml("a<b>&\"'\x1b\n"),
            "a&lt;b&gt;&amp;&quot;&apos;\\x1b&#10;"
        );
        assert_eq!(
            xml("\u{fffe}\u{ffff}\x00\u{7f}\u{85}\u{2028}\u{fffd}é"),
            "\\u{fffe}\\u{ffff}\\x00\\x7f\\x85\\u{2028}\u{fffd}é"
        );
    }

    proptest::proptest! {
        /// Whatever the text, what is written is made of XML 1.0 characters, and
        /// markup characters only appear in entity and character references.
        #[test]
        fn any_text_is_xml(s in "\\PC*|[\\x00-\\x{10ffff}]{0,64}") {
            let out = xml(&s);
            proptest::prop_assert!(out.chars().all(|c| is_xml_char(c) && !is_dangerous(c)), "{:?}", out);
            proptest::prop_assert!(!out.contains(['<', '>', '"', '\'']));
            for (i, _) in out.match_indices('&') {
                let rest = &out[i..];
                let reference = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#9;", "&#10;", "&#13;"]
                    .iter()
                    .any(|r| rest.starts_with(r));
                proptest::prop_assert!(reference, "{:?}", out);
            }
        }
    }
}

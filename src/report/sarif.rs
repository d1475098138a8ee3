//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it. Full rule
//! metadata (descriptions, help with what to do, security severity), relative URIs
//! under `%SRCROOT%`, character columns, and the key fingerprint as a partial
//! fingerprint so that one alert follows one key across edits.

use std::io::Write;

use serde_json::{Value, json};

use crate::finding::{Finding, SourceKind};
use crate::report::{PathBase, ReportOptions};
use crate::rules::{Rule, RuleKind, RuleSet, Severity};

const INFORMATION_URI: &str = "https://github.com/qrcp-scan/qrcp-scan";

pub fn write(
    cfg: &ReportOptions,
    findings: &[Finding],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let rules = &cfg.rules;
    let results: Vec<Value> = findings
        .iter()
        .map(|f| result(f, rules, cfg.redact, cfg.base.as_ref()))
        .collect();
    let mut base = json!({"description": {"text": "The scanned folder or repository."}});
    if let Some(b) = &cfg.base {
        base["uri"] = json!(file_uri(&b.root, true));
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "qrcp-scan",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules.rules.iter().map(rule_descriptor).collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": {"%SRCROOT%": base},
            "columnKind": "unicodeCodePoints",
            "invocations": [invocation(cfg)],
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// The run itself: successful only when everything asked for was read; each place
/// not read in full is a tool execution notification.
fn invocation(cfg: &ReportOptions) -> Value {
    let notes: Vec<Value> = cfg
        .incomplete
        .iter()
        .map(|i| {
            json!({
                "level": "error",
                "descriptor": {"id": "incomplete"},
                "message": {"text": format!("not read in full: {}: {}", i.path, i.reason)},
            })
        })
        .collect();
    json!({
        "executionSuccessful": cfg.errors == 0 && cfg.incomplete.is_empty(),
        "toolExecutionNotifications": notes,
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// GitHub's `security-severity`: critical for live keys, high for exposure.
fn security_severity(rule: &Rule) -> &'static str {
    match (rule.spec.kind, rule.spec.severity) {
        (RuleKind::Secret, Severity::Error) => "9.5",
        (RuleKind::Variable, Severity::Error) => "8.0",
        (_, Severity::Error) => "7.5",
        (_, Severity::Warning) => "5.0",
        (_, Severity::Note) => "2.0",
    }
}

fn rule_descriptor(rule: &Rule) -> Value {
    let spec = &rule.spec;
    let what_to_do = match spec.kind {
        RuleKind::Secret => {
            "1. Revoke the key now (`qrcp-scan revoke`, or in your QRCodePro API settings).\n\
             2. Rotate: create a new key and keep it in a server-side secret store, never in source or client code.\n\
             3. Purge it from history (`git filter-repo --replace-text`) if the repository is or was public."
        }
        RuleKind::Variable => {
            "1. Drop the public prefix: call QRCodePro from server-side code only.\n\
             2. Revoke any key that was exposed through the variable: it shipped to every visitor."
        }
        RuleKind::Path => {
            "1. If git tracks the file, `git rm --cached` it and add it to `.gitignore`; if it is only local, keep it out of builds, images and archives.\n\
             2. Rotate every secret it held, and purge it from history if the repository is or was public."
        }
    };
    let help = spec
        .help
        .as_deref()
        .unwrap_or("")
        .replace("{path}", "<path>");
    let full = match &spec.label {
        Some(label) => format!("{}: {label}.", spec.name),
        None => format!("{}.", spec.name),
    };
    json!({
        "id": spec.id,
        "name": camel(&spec.id),
        "shortDescription": {"text": spec.name},
        "fullDescription": {"text": full},
        "help": {
            "text": format!("{help}\n\n{what_to_do}"),
            "markdown": format!("**{}**\n\n{help}\n\n{what_to_do}", spec.name),
        },
        "helpUri": spec.references.first().map_or(INFORMATION_URI, String::as_str),
        "defaultConfiguration": {"level": level(spec.severity)},
        "properties": {
            "tags": ["security", "secrets", "external/cwe/cwe-798"],
            "precision": "high",
            "security-severity": security_severity(rule),
        },
    })
}

/// `qrcp-live-key` -> `QrcpLiveKey`.
fn camel(id: &str) -> String {
    id.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn result(f: &Finding, rules: &RuleSet, redacted: bool, base: Option<&PathBase>) -> Value {
    let index = rules.rules.iter().position(|r| r.spec.id == f.rule);
    let shown = f.shown_secret(redacted);
    let mut text = f.message.clone();
    if let Some(s) = &shown {
        text += &format!(" `{s}`");
    }
    if let Some(c) = &f.provenance.commit {
        text += &format!(
            ", first introduced in commit {} ({}, {})",
            &c.id[..c.id.len().min(12)],
            c.date,
            c.author
        );
    }
    if let Some(v) = f.verification {
        text += &format!(", verified {v}");
    }
    if let Some(o) = &f.origin {
        text += &format!(
            ", original source {}{}",
            o.path,
            o.line.map(|l| format!(":{l}")).unwrap_or_default()
        );
    }
    if !f.decoding.is_empty() {
        text += &format!(", {}", crate::report::human::decoded_from(f));
    }
    if let Some(c) = crate::report::human::containers(f) {
        text += &format!(", {c}");
    }
    text.push('.');
    for note in &f.notes {
        text += &format!("\nnote: {note}");
    }
    let mut region = json!({"startLine": f.line.unwrap_or(1)});
    if let (Some(c), Some(el), Some(ec)) = (f.column, f.end_line, f.end_column) {
        region["startColumn"] = json!(c);
        region["endLine"] = json!(el);
        region["endColumn"] = json!(ec);
    }
    // A commit or tag message has no file: its location is logical, naming the object.
    let location = match f.provenance.path.as_deref() {
        Some(p) => json!({"physicalLocation": {
            "artifactLocation": artifact(f.provenance.source, p.split('!').next().unwrap_or(p), base),
            "region": region,
        }}),
        None => {
            let id = f
                .provenance
                .commit
                .as_ref()
                .map_or("an unknown object", |c| c.id.as_str());
            json!({"logicalLocations": [{"fullyQualifiedName": format!("message of {id}"), "kind": "module"}]})
        }
    };
    let mut result = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [location],
        "properties": {"source": f.provenance.source},
    });
    if let Some(i) = index {
        result["ruleIndex"] = json!(i);
    }
    if let Some(fp) = &f.fingerprint {
        result["partialFingerprints"] = json!({"qrcpKeyFingerprint/v1": fp});
    }
    let props = &mut result["properties"];
    if let Some(path) = f.provenance.path.as_deref().filter(|p| p.contains('!')) {
        props["member"] = json!(path);
    }
    if let Some(c) = &f.provenance.commit {
        props["commit"] = json!(c.id);
        props["author"] = json!(c.author);
        props["date"] = json!(c.date);
    }
    if let Some(v) = f.verification {
        props["verification"] = json!(v);
    }
    if let Some(e) = f.encoding() {
        props["encoding"] = json!(e);
        props["decoding"] = json!(f.decoding);
    }
    if !f.hops.is_empty() {
        props["hops"] = json!(f.hops);
    }
    result
}

/// Where a finding's file is: relative to `%SRCROOT%` when it lies under the
/// scanned root, else an absolute `file://` URI (or the URL a site was fetched from).
fn artifact(source: SourceKind, path: &str, base: Option<&PathBase>) -> Value {
    let relative = |rel: &str| json!({"uri": uri_of(rel), "uriBaseId": "%SRCROOT%"});
    match (source, base) {
        (SourceKind::Url, _) => json!({"uri": path}),
        // Git paths are relative to the repository's root already.
        (SourceKind::Git | SourceKind::GitUnreachable | SourceKind::Staged, _) => relative(path),
        (_, Some(b)) => {
            let abs = crate::report::normalize(&b.cwd.join(path));
            match abs.strip_prefix(&b.root) {
                Ok(rel) => relative(&rel.to_string_lossy().replace('\\', "/")),
                Err(_) => json!({"uri": file_uri(&abs, false)}),
            }
        }
        // Standard input, or no known folder: as named, when it is relative.
        (_, None) if !path.starts_with('/') => relative(path),
        (_, None) => json!({"uri": file_uri(std::path::Path::new(path), false)}),
    }
}

/// `file:///abs/path` (with a trailing `/` for a folder, as `originalUriBaseIds` wants).
fn file_uri(path: &std::path::Path, folder: bool) -> String {
    let mut s = path.to_string_lossy().replace('\\', "/");
    if !s.starts_with('/') {
        s.insert(0, '/');
    }
    if folder && !s.ends_with('/') {
        s.push('/');
    }
    format!("file://{}", uri_of_abs(&s))
}

fn uri_of_abs(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A relative path as a URI reference: percent-encode what a URI cannot hold.
fn uri_of(path: &str) -> String {
    uri_of_abs(path.trim_start_matches("./"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_names() {
        assert_eq!(uri_of("./a b/c%d.js"), "a%20b/c%25d.js");
        assert_eq!(uri_of("src/ü.js"), "src/%C3%BC.js");
        assert_eq!(camel("qrcp-live-key"), "QrcpLiveKey");
        assert_eq!(
            file_uri(std::path::Path::new("/a b/c"), true),
            "file:///a%20b/c/"
        );
    }
}

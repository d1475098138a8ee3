//! Rules as data: the TOML schema of `rules/*.toml`, the built-in rule files embedded
//! at build time, loading of users' rule files, and compilation into [`Rule`]s.
//!
//! This module owns what a rule *is*. Matching bytes against rules is
//! `detect`'s job; checking a rule's examples is `rules check`'s (in `app::rules`,
//! above the detector).

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};

/// The rule files shipped in the binary, by file name, with their TOML text. A
/// test checks that every file in `rules/` is listed here.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("qrcodepro.toml", include_str!("../../rules/qrcodepro.toml")),
    ("dotenv.toml", include_str!("../../rules/dotenv.toml")),
    (
        "client-env.toml",
        include_str!("../../rules/client-env.toml"),
    ),
];

// `builtin_specs(file)`: the specs of `rules/<file>` as Rust code that `build.rs`
// writes: no parsing at run time.
include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule's findings are to the audit (`category` in a rule file): a live or
/// test key, a committed dotenv file, a key variable exposed to client code. Rules
/// without one are grouped by their id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    LiveKey,
    TestKey,
    DotenvFile,
    ClientExposed,
}

/// What a rule matches, and so how the detector judges a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// A secret in the content: placeholder judgement, redaction, fingerprint of the
    /// secret itself.
    Secret,
    /// A variable name in the content, reported where it is defined or assigned.
    Variable,
    /// A file path (a committed dotenv file): no content match at all.
    Path,
}

/// One `[[rule]]` table, exactly as written. Unknown fields are errors so that a
/// typo in a user's rule file fails loudly instead of silently matching nothing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub kind: RuleKind,
    pub name: String,
    pub severity: Severity,
    /// What the audit makes of the rule's findings.
    pub category: Option<Category>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub pattern: Option<String>,
    pub path: Option<String>,
    pub path_exclude: Option<String>,
    #[serde(default)]
    pub name_contains: Vec<String>,
    pub label: Option<String>,
    pub help: Option<String>,
    /// `kind = "variable"` only: also report client-side code that reads the
    /// variable (`process.env.NAME`, `import.meta.env.NAME`), at this severity.
    pub read_severity: Option<Severity>,
    /// The message of such a read (default: `name`).
    pub read_name: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// A compiled rule. Its regexes are compiled on first use: a run that never meets
/// a rule's keyword (most files of a hook run) never pays for its regex. A user's
/// rule file is compiled when it is loaded, so that a bad pattern is an error
/// before the scan; the built-in ones are checked by the tests.
#[derive(Debug, Clone)]
pub struct Rule {
    pub spec: RuleSpec,
    /// Where the rule came from (`builtin:qrcodepro.toml` or a user's path).
    pub origin: String,
    /// A user's rule: everything it compiles to is compiled before the scan, so
    /// that a rule that cannot be stops the run with the reason first.
    pub eager: bool,
    pattern: OnceLock<Regex>,
    path: OnceLock<Regex>,
    path_exclude: OnceLock<Regex>,
}

/// A path pattern, matched against the bytes of a `/`-separated path. Compiled
/// byte-wise where it can be: `[^/]` then stands for one byte, not for every
/// character but `/` (a UTF-8 automaton whose compilation was a fifth of a hook
/// run), which matches the same paths; a pattern that needs Unicode (`\p{L}`)
/// keeps it.
fn path_regex(src: &str) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(src)
        .unicode(false)
        .build()
        .or_else(|_| Regex::new(src))
}

/// The compiled form of a pattern the rule validated (or a built-in one).
fn compiled<'a, R>(
    cell: &'a OnceLock<R>,
    src: Option<&str>,
    new: impl FnOnce(&str) -> Result<R, regex::Error>,
) -> Option<&'a R> {
    let src = src?;
    Some(cell.get_or_init(|| {
        new(src).unwrap_or_else(|e| panic!("a built-in rule's pattern does not compile: {e}"))
    }))
}

impl Rule {
    /// The content pattern (`kind = "secret"` and `"variable"` rules).
    pub fn pattern(&self) -> Option<&Regex> {
        compiled(&self.pattern, self.spec.pattern.as_deref(), Regex::new)
    }

    fn path_re(&self) -> Option<&Regex> {
        compiled(&self.path, self.spec.path.as_deref(), path_regex)
    }

    fn path_exclude_re(&self) -> Option<&Regex> {
        compiled(
            &self.path_exclude,
            self.spec.path_exclude.as_deref(),
            path_regex,
        )
    }

    /// The literal prefix a secret of this rule starts with, kept when redacting.
    pub fn secret_prefix<'a>(&self, secret: &'a str) -> &'a str {
        self.spec
            .keywords
            .iter()
            .find(|k| secret.starts_with(k.as_str()))
            .map_or("", |k| &secret[..k.len()])
    }

    /// Whether a `/`-separated path is one this path rule reports.
    pub fn matches_path(&self, path: &str) -> bool {
        // A path holding none of the rule's keywords cannot match: the regex is
        // not even compiled for it (a hook's `app.js`).
        let keywords = &self.spec.keywords;
        if !keywords.is_empty() && !keywords.iter().any(|k| path.contains(k.as_str())) {
            return false;
        }
        match self.path_re() {
            Some(re) => {
                re.is_match(path.as_bytes())
                    && !self
                        .path_exclude_re()
                        .is_some_and(|x| x.is_match(path.as_bytes()))
            }
            None => false,
        }
    }
}

/// The set of rules in force for a run.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// The built-in rules plus the users' rule files, in that order.
    pub fn load(extra: &[impl AsRef<Path>]) -> Result<RuleSet> {
        let mut specs = Vec::new();
        for (name, _) in BUILTIN_FILES {
            let origin = format!("builtin:{name}");
            specs.extend(
                builtin_specs(name)
                    .into_iter()
                    .map(|s| (s, origin.clone(), false)),
            );
        }
        for path in extra {
            let path = path.as_ref();
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read rule file", path.display()))?;
            specs.extend(
                parse_file(&text, &path.display().to_string())?
                    .into_iter()
                    .map(|(spec, origin)| (spec, origin, true)),
            );
        }
        RuleSet::compile(specs)
    }

    /// Compiles specs with where each came from and whether its regexes are
    /// compiled now (a user's file: errors before the scan) or on first use (the
    /// built-in rules, which the tests compile).
    pub fn compile(specs: Vec<(RuleSpec, String, bool)>) -> Result<RuleSet> {
        let mut rules: Vec<Rule> = Vec::with_capacity(specs.len());
        for (spec, origin, eager) in specs {
            if let Some(prev) = rules.iter().find(|r| r.spec.id == spec.id) {
                bail!(
                    "{origin}: rule {}: id already defined in {}",
                    spec.id,
                    prev.origin
                );
            }
            rules.push(compile_rule(spec, origin, eager)?);
        }
        Ok(RuleSet { rules })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.spec.id == id)
    }

    /// The category of the rule `id`, when it has one.
    pub fn category(&self, id: &str) -> Option<Category> {
        self.get(id).and_then(|r| r.spec.category)
    }
}

/// Parses one rule file; each spec is paired with where it came from.
pub fn parse_file(text: &str, origin: &str) -> Result<Vec<(RuleSpec, String)>> {
    let file: RuleFile = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_string();
        match e.span() {
            Some(span) => {
                let line = line_of(text, span.start);
                anyhow::anyhow!("{origin}:{line}: {msg}")
            }
            None => anyhow::anyhow!("{origin}: {msg}"),
        }
    })?;
    Ok(file
        .rule
        .into_iter()
        .map(|r| (r, origin.to_string()))
        .collect())
}

fn compile_rule(spec: RuleSpec, origin: String, eager: bool) -> Result<Rule> {
    let ctx = |what: &str| format!("{origin}: rule {}: {what}", spec.id);
    if spec.id.is_empty()
        || !spec
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!(
            "{origin}: rule id {:?} must be non-empty ASCII letters, digits, `-` or `_`",
            spec.id
        );
    }
    let (pattern, path, path_exclude) = (OnceLock::new(), OnceLock::new(), OnceLock::new());
    match (&spec.kind, &spec.pattern) {
        (RuleKind::Path, Some(_)) => bail!("{}", ctx("a path rule takes `path`, not `pattern`")),
        (RuleKind::Path, None) => {}
        (_, None) => bail!("{}", ctx("`pattern` is required")),
        (_, Some(p)) => {
            if spec.keywords.is_empty() {
                bail!(
                    "{}",
                    ctx("`keywords` must name at least one literal that every match contains")
                );
            }
            if eager {
                let _ = pattern.set(Regex::new(p).with_context(|| ctx("invalid `pattern`"))?);
            }
        }
    }
    match (&spec.kind, &spec.path) {
        (RuleKind::Path, None) => bail!("{}", ctx("a path rule needs `path`")),
        (RuleKind::Path, Some(p)) => {
            if eager {
                let _ = path.set(path_regex(p).with_context(|| ctx("invalid `path`"))?);
            }
        }
        (_, Some(_)) => bail!("{}", ctx("only `kind = \"path\"` rules take `path`")),
        (_, None) => {}
    }
    if eager && let Some(p) = &spec.path_exclude {
        let _ = path_exclude.set(path_regex(p).with_context(|| ctx("invalid `path_exclude`"))?);
    }
    if spec.read_severity.is_some() && spec.kind != RuleKind::Variable {
        bail!(
            "{}",
            ctx("only `kind = \"variable\"` rules take `read_severity`")
        );
    }
    if spec.keywords.iter().any(|k| k.is_empty()) {
        bail!("{}", ctx("empty keyword"));
    }
    Ok(Rule {
        spec,
        origin,
        eager,
        pattern,
        path,
        path_exclude,
    })
}

/// 1-based line of a byte offset in a TOML text (for error messages).
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `build.rs` wrote as Rust code is what the TOML it came from parses
    /// to, file by file.
    #[test]
    fn builtin_code_is_its_toml() {
        for (name, toml) in BUILTIN_FILES {
            let from_toml: Vec<String> = parse_file(toml, name)
                .unwrap()
                .iter()
                .map(|(s, _)| format!("{s:?}"))
                .collect();
            let from_code: Vec<String> = builtin_specs(name)
                .iter()
                .map(|s| format!("{s:?}"))
                .collect();
            assert!(!from_toml.is_empty(), "{name}");
            assert_eq!(from_toml, from_code, "{name}");
        }
    }

    /// Built-in regexes are compiled on first use, never at load: every one must
    /// compile, or a scan would stop at the first file that needs it.
    #[test]
    fn every_builtin_regex_compiles() {
        let set = RuleSet::load(&[] as &[&str]).unwrap();
        for rule in &set.rules {
            let sources = [&rule.spec.pattern, &rule.spec.path, &rule.spec.path_exclude];
            for src in sources.into_iter().flatten() {
                regex::bytes::Regex::new(src)
                    .unwrap_or_else(|e| panic!("rule {}: {e}", rule.spec.id));
            }
            assert_eq!(rule.pattern().is_some(), rule.spec.pattern.is_some());
            assert_eq!(rule.path_re().is_some(), rule.spec.path.is_some());
            assert_eq!(
                rule.path_exclude_re().is_some(),
                rule.spec.path_exclude.is_some()
            );
        }
    }

    /// A user's rule file is compiled when loaded: a bad pattern stops the run
    /// before the scan, naming the file and the rule.
    #[test]
    fn a_user_pattern_is_compiled_at_load() {
        let text = "[[rule]]\nid = \"bad\"\nkind = \"secret\"\nname = \"bad\"\n\
                    severity = \"error\"\nkeywords = [\"x\"]\npattern = \"x(\"\n";
        let specs = parse_file(text, "mine.toml").unwrap();
        let specs = specs.into_iter().map(|(s, o)| (s, o, true)).collect();
        let err = RuleSet::compile(specs).unwrap_err();
        assert_eq!(format!("{err}"), "mine.toml: rule bad: invalid `pattern`");
    }
}

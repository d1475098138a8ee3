//! `rules list` and `rules check`. The check runs every rule's `examples` through
//! the real detector (placeholder judgement included): each must produce a finding
//! of that rule, and no `negative_examples` may. Problems are one line each, naming
//! rule and example.

use std::io::Write;
use std::sync::Arc;

use anyhow::Result;

use super::Exit;
use crate::cli::RulesCommand;
use crate::finding::Provenance;
use crate::rules::{self, RuleKind, RuleSet};

pub fn command(cmd: RulesCommand) -> Result<Exit> {
    match cmd {
        RulesCommand::List { rules } => {
            let set = rules::RuleSet::load(&rules.files)?;
            let mut out = std::io::stdout().lock();
            // Columns as wide as their widest cell (a rule file may bring long ids).
            let id_w = set.rules.iter().map(|r| r.spec.id.len()).max().unwrap_or(0);
            for r in &set.rules {
                writeln!(
                    out,
                    "{:<id_w$}  {:<7}  {:<8}  {}  ({})",
                    r.spec.id,
                    r.spec.severity.to_string(),
                    kind_name(r.spec.kind),
                    r.spec.name,
                    r.origin
                )?;
                for reference in &r.spec.references {
                    writeln!(out, "{:<id_w$}  see {reference}", "")?;
                }
            }
            Ok(Exit::Clean)
        }
        RulesCommand::Check { rules } => {
            let set = Arc::new(rules::RuleSet::load(&rules.files)?);
            let problems = check(&set)?;
            for p in &problems {
                eprintln!("qrcp-scan: error: {}", crate::sanitize::sanitize(p));
            }
            if problems.is_empty() {
                let examples: usize = set
                    .rules
                    .iter()
                    .map(|r| r.spec.examples.len() + r.spec.negative_examples.len())
                    .sum();
                println!(
                    "{} rules, {examples} examples: all checks passed",
                    set.rules.len()
                );
                Ok(Exit::Clean)
            } else {
                Ok(Exit::Error)
            }
        }
    }
}

fn kind_name(k: rules::RuleKind) -> &'static str {
    match k {
        rules::RuleKind::Secret => "secret",
        rules::RuleKind::Variable => "variable",
        rules::RuleKind::Path => "path",
    }
}

/// Checks the rule set; returns one message per problem (empty when all is well).
fn check(rules: &Arc<RuleSet>) -> anyhow::Result<Vec<String>> {
    let detector = crate::decode::detector(Arc::clone(rules))?;
    let mut problems = Vec::new();
    for rule in &rules.rules {
        let spec = &rule.spec;
        let place = format!("{}: rule {}", rule.origin, spec.id);
        if spec.examples.is_empty() {
            problems.push(format!("{place}: no examples"));
        }
        let fires = |example: &str| {
            let mut out = Vec::new();
            match spec.kind {
                RuleKind::Path => {
                    detector.detect_path(&Provenance::file(example.to_string()), &mut out)
                }
                _ => {
                    detector.detect(
                        example.as_bytes(),
                        &Provenance::file("example".into()),
                        &mut out,
                    );
                }
            }
            out.iter().any(|f| f.rule == spec.id)
        };
        for (i, ex) in spec.examples.iter().enumerate() {
            if !fires(ex) {
                problems.push(format!("{place}: example {} did not match: {ex:?}", i + 1));
            }
        }
        for (i, ex) in spec.negative_examples.iter().enumerate() {
            if fires(ex) {
                problems.push(format!(
                    "{place}: negative example {} matched: {ex:?}",
                    i + 1
                ));
            }
        }
        if let Some(re) = rule.pattern()
            && re.captures_len() > 1
        {
            problems.push(format!(
                "{place}: pattern has capture groups; the whole match is reported"
            ));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_pass_their_examples() {
        let rules = Arc::new(RuleSet::load(&[] as &[&str]).unwrap());
        assert_eq!(check(&rules).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn every_rules_file_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                crate::rules::BUILTIN_FILES.iter().any(|(n, ..)| *n == name),
                "rules/{name} is not listed in BUILTIN_FILES"
            );
        }
    }
}

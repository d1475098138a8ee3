//! The numbered to-do list, written from what the audit found.

use super::*;
use crate::finding::Verification;

pub(super) fn todo(a: &Audit) -> Vec<String> {
    let mut todo = Vec::new();
    let live: Vec<&KeyGroup> = a
        .keys
        .iter()
        .filter(|g| !g.local_only && g.verification != Some(Verification::Inactive))
        .collect();
    if !live.is_empty() {
        let list: Vec<String> = live
            .iter()
            .map(|g| {
                let state = match g.verification {
                    Some(Verification::Active) => " (live)",
                    Some(_) => " (state unknown)",
                    None => "",
                };
                format!("{}{state}", g.key)
            })
            .collect();
        let how = if a.keys.iter().any(|g| g.verification.is_some()) {
            "`qrcp-scan audit --revoke`, or in your QRCodePro API settings"
        } else {
            "`qrcp-scan audit --verify --revoke` (checks which still work first), or in your QRCodePro API settings"
        };
        todo.push(format!("Revoke the leaked key{}: {} — {how}. Then create new keys and keep them in a server-side secret store.", if list.len() == 1 { "" } else { "s" }, list.join(", ")));
    }
    let in_history = a
        .keys
        .iter()
        .any(|g| g.first_leak.is_some() || g.unreachable_only)
        || a.dotenv.iter().any(|d| d.first_commit.is_some());
    if in_history {
        let dotenv: Vec<&str> = a
            .dotenv
            .iter()
            .filter(|d| d.first_commit.is_some())
            .map(|d| d.path.as_str())
            .collect();
        let mut step = "Purge the history: put each key in a replacements file as `KEY==>REMOVED` (see the keys with `--no-redact`) and run `git filter-repo --replace-text replacements.txt`".to_string();
        if !dotenv.is_empty() {
            step += &format!(
                ", and `git filter-repo --invert-paths {}`",
                dotenv
                    .iter()
                    .map(|p| format!("--path {}", crate::shell::quote(p)))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        step += "; then force-push every branch and tag, and have every clone re-cloned (a revoked key is harmless even if history survives somewhere).";
        todo.push(step);
    }
    let mut vars: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &a.exposed {
        let at = format!(
            "{}:{}",
            f.provenance.path.as_deref().unwrap_or("?"),
            f.line.unwrap_or(0)
        );
        vars.entry(variable_of(f)).or_default().push(at);
    }
    for (var, places) in vars {
        todo.push(format!(
            "Move `{var}` out of its public prefix ({}): bundlers inline it into JavaScript that every visitor downloads. Call QRCodePro from server-side code only.",
            places.join(", ")
        ));
    }
    for d in a.dotenv.iter().filter(|d| d.tracked) {
        todo.push(format!(
            "Stop tracking {}: `git rm --cached -- {}` and add it to .gitignore.",
            d.path,
            crate::shell::quote(&d.path)
        ));
    }
    for d in a
        .dotenv
        .iter()
        .filter(|d| !d.tracked && !d.local_only && d.first_commit.is_none())
    {
        todo.push(format!(
            "Add {} to .gitignore before it is committed: it is neither tracked nor ignored.",
            d.path
        ));
    }
    let bundles: Vec<String> = {
        let mut b: Vec<String> = a
            .keys
            .iter()
            .flat_map(|g| g.locations.iter())
            .filter(|f| f.provenance.source == SourceKind::File)
            .filter_map(|f| f.provenance.path.clone())
            .filter(|p| in_build_output(p))
            .collect();
        b.sort();
        b.dedup();
        b
    };
    if !bundles.is_empty() {
        todo.push(format!(
            "Rebuild and redeploy without the key: build output still holds it ({}), and what was deployed shipped it to every visitor.",
            bundles.join(", ")
        ));
    }
    todo
}

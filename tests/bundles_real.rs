//! Issue 10: what real bundlers ship. `fixtures/bundles` holds the production
//! output of small apps built with pinned Vite, webpack, esbuild, Rollup + terser,
//! Next.js and Parcel (scripts/bundles/generate.mjs), each leaking its own fake
//! key per case, with source maps (external, hidden, inline) and `.gz`/`.br`
//! copies. `expected.json` is the ground truth the generator found by searching
//! the built files: every place each key really is, and in what form. Every one
//! of those places must be found by `dir`, and every place a browser reaches by
//! `url` (served plain, negotiated and with a forced `Content-Encoding`); the
//! decoy app, all placeholders, must give no key finding.
//!
//! Each test gathers every miss before failing, so one run lists them all.

use std::path::PathBuf;

use serde_json::Value;

use crate::util::static_site::{Serve, StaticSite};
use crate::util::*;

const KEY_RULES: [&str; 2] = ["qrcp-live-key", "qrcp-test-key"];

fn fixtures() -> PathBuf {
    repo_root().join("fixtures/bundles")
}

fn expected() -> Value {
    let p = fixtures().join("expected.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn cases(exp: &Value) -> &Vec<Value> {
    exp["cases"].as_array().unwrap()
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

/// Is a finding's physical `path` the file `file`, or a member inside it
/// (`app.js.gz!app.js`, `app.js#sourceMappingURL`)?
fn at(path: &str, file: &str) -> bool {
    path == file
        || path
            .strip_prefix(file)
            .is_some_and(|rest| rest.starts_with(['!', '#']))
}

/// `case file [layers] form (source:line)`: how a miss is listed.
fn describe(case: &Value, file: &str, loc: &Value) -> String {
    let layers: Vec<&str> = loc["layers"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut s = format!("{} {file}", case["id"].as_str().unwrap());
    if !layers.is_empty() {
        s += &format!(" [{}]", layers.join(", "));
    }
    if let Some(c) = loc["container"].as_str() {
        s += &format!(" {c}");
    }
    s += &format!(" {}", loc["form"].as_str().unwrap());
    if let Some(src) = loc["source"].as_str() {
        s += &format!(" ({src}:{})", loc["source_line"]);
    }
    s
}

/// Why no finding of `report` stands for the case at `file` (with its origin
/// where the location is inside a source map, and its line where the key is
/// plain text in an uncompressed file), or `None` when one does.
fn miss(report: &Value, case: &Value, file: &str, loc: &Value) -> Option<String> {
    let fp = case["fingerprint"].as_str().unwrap();
    let same_key: Vec<&Value> = findings(report)
        .iter()
        .filter(|f| f["fingerprint"] == fp)
        .collect();
    let here: Vec<&Value> = same_key
        .iter()
        .copied()
        .filter(|f| f["path"].as_str().is_some_and(|p| at(p, file)))
        .collect();
    if here.is_empty() {
        let elsewhere: Vec<&str> = same_key.iter().filter_map(|f| f["path"].as_str()).collect();
        return Some(if elsewhere.is_empty() {
            "key not found at all".to_string()
        } else {
            format!(
                "not found in this file (found in: {})",
                elsewhere.join(", ")
            )
        });
    }
    if let Some(f) = here.iter().find(|f| f["rule"] != case["rule"]) {
        return Some(format!("reported as {}, not {}", f["rule"], case["rule"]));
    }
    if let Some(source) = loc["source"].as_str() {
        let want = (Some(source), loc["source_line"].as_u64());
        if !here
            .iter()
            .any(|f| (f["origin"]["path"].as_str(), f["origin"]["line"].as_u64()) == want)
        {
            let got: Vec<String> = here.iter().map(|f| f["origin"].to_string()).collect();
            return Some(format!("wrong origin: {}", got.join(", ")));
        }
    }
    let uncompressed = loc["layers"].as_array().is_none_or(Vec::is_empty);
    if uncompressed
        && loc["container"].is_null()
        && matches!(loc["form"].as_str(), Some("plain" | "base64"))
        && let Some(line) = loc["line"].as_u64()
        && !here.iter().any(|f| f["line"].as_u64() == Some(line))
    {
        let got: Vec<String> = here.iter().map(|f| f["line"].to_string()).collect();
        return Some(format!("wrong line {} (want {line})", got.join(", ")));
    }
    None
}

/// Key findings that no case expects: a placeholder taken for a key, or a key
/// the ground truth does not know of.
/// Findings under `skip` are left to the decoy's own check.
fn unexpected(report: &Value, exp: &Value, skip: Option<&str>) -> Vec<String> {
    let known: Vec<&str> = cases(exp)
        .iter()
        .map(|c| c["fingerprint"].as_str().unwrap())
        .collect();
    findings(report)
        .iter()
        .filter(|f| KEY_RULES.iter().any(|r| f["rule"] == *r))
        .filter(|f| skip.is_none_or(|s| !f["path"].as_str().is_some_and(|p| p.starts_with(s))))
        .filter(|f| {
            !f["fingerprint"]
                .as_str()
                .is_some_and(|x| known.contains(&x))
        })
        .map(|f| {
            format!(
                "unexpected {} {} at {}:{}",
                f["rule"], f["secret"], f["path"], f["line"]
            )
        })
        .collect()
}

/// A case's key: expected.json keeps it in two halves so that it is not a
/// finding itself.
fn key(case: &Value) -> String {
    format!(
        "qrcp_{}_{}",
        case["kind"].as_str().unwrap(),
        case["body"].as_str().unwrap()
    )
}

fn assert_no_key_printed(o: &std::process::Output, exp: &Value) {
    for case in cases(exp) {
        assert_secret_absent(o, &key(case));
    }
}

#[test]
fn real_bundles_every_case_is_found_by_dir() {
    let exp = expected();
    let o = qrcp()
        .current_dir(repo_root())
        .args(["dir", "fixtures/bundles", "--format", "json"])
        .output()
        .unwrap();
    assert_no_key_printed(&o, &exp);
    let report = json(&o);
    let mut misses = Vec::new();
    if code(&o) != 1 {
        misses.push(format!("exit status {} (want 1): {}", code(&o), stderr(&o)));
    }
    let mut total = 0;
    for case in cases(&exp) {
        for loc in case["locations"].as_array().unwrap() {
            total += 1;
            let file = format!("fixtures/bundles/{}", loc["file"].as_str().unwrap());
            if let Some(why) = miss(&report, case, &file, loc) {
                misses.push(format!("{}: {why}", describe(case, &file, loc)));
            }
        }
    }
    let decoy = format!("fixtures/bundles/{}/", exp["decoy"].as_str().unwrap());
    for f in findings(&report) {
        let path = f["path"].as_str().unwrap_or("");
        if path.starts_with(&decoy) && KEY_RULES.iter().any(|r| f["rule"] == *r) {
            misses.push(format!(
                "decoy: placeholder reported as a key at {path}:{}",
                f["line"]
            ));
        }
    }
    misses.extend(unexpected(&report, &exp, Some(&decoy)));
    for f in findings(&report) {
        if f["path"] == "fixtures/bundles/expected.json" {
            misses.push(format!("the ground truth itself is a finding: {f}"));
        }
    }
    assert!(
        misses.is_empty(),
        "dir: {} of {total} expected locations missed or wrong:\n{}",
        misses.len(),
        misses.join("\n")
    );
}

#[test]
fn real_bundles_every_case_is_found_by_url_however_served() {
    let exp = expected();
    let roots = exp["roots"].as_object().unwrap();
    let decoy = exp["decoy"].as_str().unwrap();
    let mut misses = Vec::new();
    let mut total = 0;
    for (app, root) in roots {
        let app_cases: Vec<&Value> = cases(&exp)
            .iter()
            .filter(|c| c["app"] == app.as_str())
            .collect();
        for serve in Serve::ALL {
            let site = StaticSite::start(&fixtures().join(root.as_str().unwrap()), serve);
            let page = format!("{}/", site.base);
            let o = qrcp()
                .args(["url", &page, "--timeout", "10", "--format", "json"])
                .output()
                .unwrap();
            assert_no_key_printed(&o, &exp);
            let label = format!("{app} ({serve:?})");
            let Ok(report) = serde_json::from_slice::<Value>(&o.stdout) else {
                misses.push(format!("{label}: no JSON report: {}", stderr(&o)));
                continue;
            };
            let want_code = if app == decoy { 0 } else { 1 };
            if code(&o) != want_code {
                misses.push(format!(
                    "{label}: exit status {} (want {want_code}): {}",
                    code(&o),
                    stderr(&o).trim()
                ));
            }
            if serve == Serve::Negotiated {
                let asked = site.accept.lock().unwrap().clone();
                if !asked.iter().any(|a| a.contains("br") || a.contains("gzip")) {
                    misses.push(format!(
                        "{label}: no request accepted gzip or br (Accept-Encoding: {asked:?})"
                    ));
                }
            }
            for case in &app_cases {
                for loc in case["url"].as_array().unwrap() {
                    total += 1;
                    let url = format!("{}{}", site.base, loc["path"].as_str().unwrap());
                    if let Some(why) = miss(&report, case, &url, loc) {
                        let shown = describe(case, loc["path"].as_str().unwrap(), loc);
                        misses.push(format!("{label}: {shown}: {why}"));
                    }
                }
            }
            if app != decoy {
                misses.extend(
                    unexpected(&report, &exp, None)
                        .into_iter()
                        .map(|m| format!("{label}: {m}")),
                );
            } else {
                for f in findings(&report) {
                    if KEY_RULES.iter().any(|r| f["rule"] == *r) {
                        misses.push(format!(
                            "{label}: decoy: placeholder reported as a key at {}",
                            f["path"]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        misses.is_empty(),
        "url: {} of {total} expected locations (and checks) missed or wrong:\n{}",
        misses.len(),
        misses.join("\n")
    );
}

#[test]
fn real_bundles_decoy_is_only_placeholders() {
    let exp = expected();
    let decoy = format!("fixtures/bundles/{}", exp["decoy"].as_str().unwrap());
    let o = qrcp()
        .current_dir(repo_root())
        .args(["dir", &decoy, "--format", "json"])
        .output()
        .unwrap();
    let report = json(&o);
    assert_eq!(findings(&report), &Vec::<Value>::new(), "{report:#}");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Not vacuous: the placeholders were seen and judged.
    assert!(
        report["stats"]["placeholders"].as_u64().unwrap() > 0,
        "{report:#}"
    );
}

/// What real minifiers keep of the other hidden forms (`fixtures/minified`, built
/// by scripts/minified/generate.mjs with the same pinned esbuild and terser): a
/// constant used twice stays a name joined at each use (`var r="qrcp_live_";…
/// return r+"…"`, `` `${r}…` ``), hex digits and character codes stay as written (or are
/// evaluated to plain text, which expected.json then says). Each key is found in
/// its file, with the encoding the built file holds it in, and never printed.
#[test]
fn minified_names_hex_and_char_codes_are_found_by_dir() {
    let root = repo_root().join("fixtures/minified");
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("expected.json")).unwrap())
            .unwrap();
    let o = qrcp()
        .current_dir(repo_root())
        .args(["dir", "fixtures/minified", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let report = json(&o);
    let cases = exp["cases"].as_array().unwrap();
    assert!(cases.len() >= 10, "{exp:#}");
    let mut misses = Vec::new();
    for case in cases {
        let key = case["key"].as_str().unwrap();
        assert_secret_absent(&o, key);
        let file = format!("fixtures/minified/{}", case["file"].as_str().unwrap());
        let found = findings(&report).iter().find(|f| {
            f["secret"] == crate::bundles::shown(key).as_str() && f["path"] == file.as_str()
        });
        match found {
            None => misses.push(format!("{}: not found in {file}", case["id"])),
            Some(f) if f["encoding"] != case["encoding"] => misses.push(format!(
                "{}: encoding {} (want {})",
                case["id"], f["encoding"], case["encoding"]
            )),
            Some(_) => {}
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

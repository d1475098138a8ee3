//! The scan commands (`dir`, `stdin`, `url`, `git`, `staged`) and what follows every
//! scan: verification, the report, revocation and the exit status.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};

use super::Run;
use super::revoke::revoke_after_scan;
use super::{Exit, config_root, exit_status, open_output, repo_dirs};
use crate::cli::{HookKind, ScanCommand};
use crate::report::Format;
use crate::{decode, finding, messages, report, scan, source, verify};

/// What a scan produces: a report, or a baseline of its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Report,
    Baseline,
}

pub fn command(cmd: ScanCommand, mode: Mode) -> Result<Exit> {
    match cmd {
        ScanCommand::Dir(args) => {
            let root = config_root(&args.paths);
            let cfg = Run::new(&args.scan, &root)?;
            // Only SARIF writes paths against a root; finding the repository
            // around it is not a cost for a hook run's other formats.
            let cfg = match cfg.format {
                Format::Sarif => cfg.with_root(&scan_root(&root)),
                _ => cfg,
            };
            let opts = source::fs::WalkOptions {
                no_ignore: args.no_ignore,
                follow: args.follow,
                binary: args.binary,
            };
            let paths = args.paths.clone();
            let exit = scan_with(&cfg, mode, |sink| {
                source::fs::scan(&paths, &opts, &cfg.sources(), sink)
            });
            // The rules and settings are left to the process's exit (16,000
            // instructions of a one-file run were spent taking them apart).
            std::mem::forget(cfg);
            exit
        }
        ScanCommand::Stdin(args) => {
            let mut cfg = Run::new(&args.scan, Path::new("."))?;
            if std::io::stdin().is_terminal() {
                // Nothing is being scanned yet: a spinner would say otherwise.
                cfg.cfg.progress = crate::progress::Mode::Never;
                eprintln!("qrcp-scan: reading standard input (Ctrl-D to end)");
            }
            let name = args.name.clone();
            scan_with(&cfg, mode, |sink| {
                let mut scanner =
                    source::Scanner::new(decode::detector(Arc::clone(&cfg.rules))?, sink)
                        .with_limits(cfg.archive);
                source::stdin::scan(&mut scanner, name.as_deref(), cfg.max_file_size)
            })
        }
        ScanCommand::Url(args) => {
            let cfg = Run::new(&args.scan, Path::new("."))?;
            let timeout = crate::units::parse_duration(&args.timeout)
                .ok()
                .filter(|t| !t.is_zero())
                .with_context(|| {
                    format!(
                        "--timeout {:?}: not a positive duration (e.g. 10s, 500ms, 2)",
                        args.timeout
                    )
                })?;
            let opts = source::url::UrlOptions {
                cross_origin: args.cross_origin,
                allow_private_addresses: args.allow_private_addresses,
                max_scripts: args.max_scripts,
                max_bytes: cfg.max_file_size,
                timeout,
            };
            let urls = args.urls.clone();
            scan_with(&cfg, mode, |sink| {
                let mut scanner =
                    source::Scanner::new(decode::detector(Arc::clone(&cfg.rules))?, sink)
                        .with_limits(cfg.archive);
                source::url::scan(&urls, &opts, &mut scanner)
            })
        }
        ScanCommand::Git(args) => {
            use source::git::{GitOptions, Selection};
            // Before any thread starts (progress, the scan's producer).
            source::git::limit_mapped_packs();
            let (git_dir, root) = repo_dirs(&args.repo)?;
            let cfg = Run::new(&args.scan, &root)?.with_root(&root);
            let selection = match (&args.since, &args.range, &args.branch) {
                (Some(rev), _, _) => Selection::Since(rev.clone()),
                (_, Some(spec), _) => Selection::Range(spec.clone()),
                (_, _, Some(rev)) => Selection::Branch(rev.clone()),
                _ => Selection::All,
            };
            if args.not_remotes && matches!(selection, Selection::All) {
                anyhow::bail!("--not-remotes needs --since, --range or --branch");
            }
            let opts = GitOptions {
                selection,
                not_remotes: args.not_remotes,
            };
            scan_with(&cfg, mode, |sink| {
                source::git::scan(&git_dir, &opts, &cfg.sources(), sink)
            })
        }
        ScanCommand::Staged(args) => {
            // Opened once, here, and handed to the scan.
            let repo = source::git::open(&args.repo)?;
            let root = source::git::config_root(&repo);
            let cfg = Run::new(&args.scan, &root)?.with_root(&root);
            let sources = cfg.sources();
            scan_with(&cfg, mode, move |sink| {
                source::staged::scan(repo, &sources, sink)
            })
        }
    }
}

/// Runs a scan, writes the report (or the baseline), and decides the exit status.
pub fn scan_with<F>(cfg: &Run, mode: Mode, produce: F) -> Result<Exit>
where
    F: FnOnce(scan::Sink) -> Result<()> + Send,
{
    let mut out = open_output(cfg)?;
    if mode == Mode::Baseline {
        return super::baseline::create(cfg, produce, &mut *out);
    }
    // `jsonl` streams findings as they are found, unless verdicts must come first.
    let stream = cfg.format == Format::Jsonl && !cfg.verify;
    let outcome = if stream {
        let redacted = cfg.redact;
        let w: &mut dyn Write = &mut *out;
        // A streamed line is worded as the report would word it (dotenv files by
        // what is true of them, empty variables as warnings).
        let mut line = |f: &finding::Finding| {
            let mut one = [f.clone()];
            word(&cfg.rules, &mut one);
            report::json::write_line(&one[0], redacted, w)
        };
        scan::run(cfg.filters(), cfg.progress, produce, Some(&mut line))?
    } else {
        scan::run(cfg.filters(), cfg.progress, produce, None)?
    };
    let mut outcome = outcome;
    word(&cfg.rules, &mut outcome.findings);
    if let Some(note) = cfg.baseline.as_ref().and_then(|b| b.unmatched_note()) {
        messages::note("--baseline", note);
    }
    deliver(cfg, outcome, &mut *out, stream, None)
}

/// After the findings are known: verify (`--verify`), write the report, revoke
/// (`--revoke`, outcomes on standard error), and decide the exit status.
///
/// `targets` are the keys to revoke when they are not simply the findings' own
/// (a report's keys, some of which could not be read back).
pub fn deliver(
    cfg: &Run,
    mut outcome: scan::Scanned,
    out: &mut dyn Write,
    streamed: bool,
    targets: Option<Vec<verify::Target>>,
) -> Result<Exit> {
    if cfg.verify
        && let Some(api) = &cfg.api
    {
        verify::verify_findings(api, &mut outcome.findings)?;
    }
    if cfg.format == Format::Jsonl && !streamed {
        for f in &outcome.findings {
            report::json::write_line(f, cfg.redact, out).context("cannot write the report")?;
        }
    }
    let mut opts = cfg.report(messages::error_count(), messages::Incomplete::all());
    opts.base = match (&cfg.root, std::env::current_dir()) {
        (Some(root), Ok(cwd)) => Some(report::PathBase {
            root: root.clone(),
            cwd,
        }),
        _ => None,
    };
    report::write(&opts, &outcome, out).context("cannot write the report")?;
    if show_demo_hint(cfg, &outcome) {
        writeln!(
            out,
            "to see what a finding looks like: qrcp-scan dir {DEMO}"
        )
        .context("cannot write the report")?;
    }
    out.flush().context("cannot write the report")?;
    let exit = exit_status(cfg, &outcome.findings);
    if exit == Exit::Findings
        && let Some(hook) = cfg.hook
    {
        eprint!("{}", hook_blocked(hook));
    }
    match (&cfg.revoke, &cfg.api) {
        (Some(_), Some(_)) => {
            let targets = targets.unwrap_or_else(|| verify::targets_of(&outcome.findings));
            revoke_after_scan(cfg, targets, exit)
        }
        _ => Ok(exit),
    }
}

/// The folder a `dir` scan's SARIF paths are relative to: the repository the first
/// scanned folder is in (what GitHub code scanning resolves paths against), else
/// that folder.
fn scan_root(first: &Path) -> std::path::PathBuf {
    match source::git::open(first) {
        Ok(repo) => source::git::config_root(&repo),
        Err(_) => first.to_path_buf(),
    }
}

/// What a blocking hook says after the report: that it blocked, and the ways on.
fn hook_blocked(hook: HookKind) -> String {
    let (what, fix, scan, bypass) = match hook {
        HookKind::PreCommit => (
            "pre-commit hook: commit blocked",
            "remove it from the staged files (edit, then `git add`)",
            "staged",
            "git commit --no-verify",
        ),
        HookKind::PrePush => (
            "pre-push hook: push blocked",
            "remove it from the commits being pushed (rewrite them: `git rebase -i`)",
            "git",
            "git push --no-verify",
        ),
    };
    format!(
        "\nqrcp-scan {what} by the findings above. To go on:\n\
         \x20 - a real key: {fix},\n\
         \x20   and revoke it (`qrcp-scan revoke`);\n\
         \x20 - a false positive: add a `{allow}` comment on its line,\n\
         \x20   or list it in a baseline: `qrcp-scan baseline create {scan} > .qrcp-scan-baseline.json`,\n\
         \x20   then `--baseline .qrcp-scan-baseline.json` in the hook's arguments;\n\
         \x20 - or, for a false positive, once: `{bypass}`.\n",
        allow = finding::INLINE_ALLOW,
    )
}

/// The bundled demo project of a qrcp-scan clone: a folder full of findings.
const DEMO: &str = "fixtures/nextjs-app";

/// A newcomer's clean first scan ends with where to see a finding: only for people
/// (the human format on a terminal, no hook) and only where the demo is there to
/// scan (in a clone of this repository).
fn show_demo_hint(cfg: &Run, outcome: &scan::Scanned) -> bool {
    cfg.format == Format::Human
        && cfg.output.is_none()
        && cfg.hook.is_none()
        && outcome.findings.is_empty()
        && messages::error_count() == 0
        && std::io::stdout().is_terminal()
        && Path::new(DEMO).is_dir()
}

/// Findings as people should read them: see [`word_dotenv`], [`word_empty_variables`].
pub(super) fn word(rules: &crate::rules::RuleSet, findings: &mut [finding::Finding]) {
    word_dotenv(rules, findings);
    word_empty_variables(rules, findings);
}

/// A dotenv file's finding says what is true of it: committed (history), staged,
/// tracked, an ignored local file, not ignored yet, a plain file outside git, or
/// standard input; and a note gives the step that fits.
fn word_dotenv(rules: &crate::rules::RuleSet, findings: &mut [finding::Finding]) {
    use crate::finding::SourceKind;
    use crate::rules::Category;
    use source::git::PathStatus;
    for f in findings
        .iter_mut()
        .filter(|f| rules.category(&f.rule) == Some(Category::DotenvFile) && f.line.is_none())
    {
        let path = f.provenance.path.clone().unwrap_or_default();
        let untrack = format!(
            "`git rm --cached {}` stops tracking it; add it to .gitignore",
            crate::shell::quote(&path)
        );
        let (what, step) = match f.provenance.source {
            SourceKind::Git | SourceKind::GitUnreachable => (
                "dotenv file committed",
                format!("it is in the git history: {untrack}, and purge the history if the repository is or was shared"),
            ),
            SourceKind::Staged | SourceKind::GitStaged => (
                "dotenv file staged for commit",
                format!("unstage it: {untrack}"),
            ),
            SourceKind::Stdin => (
                "dotenv file (standard input)",
                "where it came from is not known here: if a repository tracks it, `git rm --cached` it there".to_string(),
            ),
            SourceKind::Url => (
                "dotenv file served by the site",
                "anyone can download it: remove it from what you deploy".to_string(),
            ),
            SourceKind::File => match source::git::path_status(std::path::Path::new(
                path.split('!').next().unwrap_or(&path),
            )) {
                PathStatus::Tracked => ("dotenv file tracked by git", untrack),
                PathStatus::Ignored => (
                    "dotenv file, ignored by git (a local file, not committed)",
                    "nothing to untrack: keep it out of builds, images and archives, and never `git add -f` it".to_string(),
                ),
                PathStatus::Untracked => (
                    "dotenv file, not ignored by git (not committed yet)",
                    format!("add `{path}` to .gitignore before it is committed"),
                ),
                PathStatus::NotInRepo => (
                    "dotenv file (not in a git repository)",
                    "keep it out of any repository and out of what you deploy".to_string(),
                ),
            },
        };
        f.message = what.to_string();
        f.notes.push(step);
    }
}

/// A client-exposed key variable defined with no value (an empty `NAME=` line
/// in `.env.example`) holds no key yet: a warning that explains the exposure, not
/// an error that reads as a leaked key.
fn word_empty_variables(rules: &crate::rules::RuleSet, findings: &mut [finding::Finding]) {
    use crate::rules::{Category, Severity};
    for f in findings.iter_mut().filter(|f| {
        rules.category(&f.rule) == Some(Category::ClientExposed) && f.severity == Severity::Error
    }) {
        let Some(ctx) = &f.context else { continue };
        let after = &ctx.text[ctx.span.end..];
        let rest = after.trim_start_matches([' ', '\t']);
        let value = match rest.strip_prefix('=').or_else(|| rest.strip_prefix(':')) {
            Some(v) => v.trim(),
            None => continue,
        };
        if ctx.clipped_end || !matches!(value, "" | "\"\"" | "''") {
            continue;
        }
        f.severity = Severity::Warning;
        f.message = "client-exposed QRCodePro key variable, empty here".to_string();
        f.notes.push(
            "no key is set here, but whatever value this variable gets is inlined into \
             the JavaScript every visitor downloads: drop the public prefix"
                .to_string(),
        );
    }
}

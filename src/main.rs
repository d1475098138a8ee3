//! qrcp-scan: find leaked QRCodePro API keys, committed .env files and keys exposed
//! to client-side JavaScript.
//!
//! `main` parses the command line, calls `run`, prints an error chain once and maps
//! the outcome to an exit status (0 clean, 1 findings, 2 error).

mod audit;
mod cli;
mod config;
mod decode;
mod detect;
mod filter;
mod finding;
mod hook;
mod messages;
mod org;
mod progress;
mod report;
mod rules;
mod sanitize;
mod scan;
mod source;
mod time;
mod verify;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;

use cli::{
    AuditArgs, BaselineCommand, Cli, Command, Format, OutcomeFormat, RevokeArgs, RulesCommand,
    ScanCommand, VerifyArgs,
};
use config::Config;

/// The documented exit statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    Clean = 0,
    Findings = 1,
    Error = 2,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                Exit::Error as u8
            } else {
                Exit::Clean as u8
            });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = format!("{e:#}");
            eprintln!("qrcp-scan: error: {}", sanitize::sanitize(&msg));
            ExitCode::from(Exit::Error as u8)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Command::Dir(args) => scan_command(ScanCommand::Dir(args), Mode::Report),
        Command::Stdin(args) => scan_command(ScanCommand::Stdin(args), Mode::Report),
        Command::Url(args) => scan_command(ScanCommand::Url(args), Mode::Report),
        Command::Git(args) => scan_command(ScanCommand::Git(args), Mode::Report),
        Command::Staged(args) => scan_command(ScanCommand::Staged(args), Mode::Report),
        Command::InstallHook(args) => {
            let path = hook::install(&args.repo, args.pre_push, args.force)?;
            println!(
                "installed {}",
                sanitize::sanitize(&path.display().to_string())
            );
            Ok(Exit::Clean)
        }
        Command::Audit(args) => audit_command(args),
        Command::Rules(cmd) => rules_command(cmd),
        Command::Baseline(BaselineCommand::Create(scan)) => scan_command(scan, Mode::Baseline),
        Command::Verify(args) => verify_command(args),
        Command::Revoke(args) => revoke_command(args),
        Command::Org(cmd) => org_command(cmd),
    }
}

/// What a scan produces: a report, or a baseline of its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Report,
    Baseline,
}

fn scan_command(cmd: ScanCommand, mode: Mode) -> Result<Exit> {
    match cmd {
        ScanCommand::Dir(args) => {
            let root = config_root(&args.paths);
            let cfg = Config::new(&args.scan, &root)?;
            let opts = source::fs::WalkOptions {
                no_ignore: args.no_ignore,
                follow: args.follow,
                binary: args.binary,
            };
            let paths = args.paths.clone();
            scan_with(&cfg, mode, |sink| {
                source::fs::scan(&paths, &opts, &cfg, sink)
            })
        }
        ScanCommand::Stdin(args) => {
            let cfg = Config::new(&args.scan, Path::new("."))?;
            let name = args.name.clone();
            scan_with(&cfg, mode, |sink| {
                let mut scanner =
                    source::Scanner::new(detect::Detector::new(Arc::clone(&cfg.rules))?, sink)
                        .with_max_member(cfg.max_file_size);
                source::stdin::scan(&mut scanner, name.as_deref(), cfg.max_file_size)
            })
        }
        ScanCommand::Url(args) => {
            let cfg = Config::new(&args.scan, Path::new("."))?;
            if !(args.timeout.is_finite() && args.timeout > 0.0) {
                anyhow::bail!("--timeout must be a positive number of seconds");
            }
            let opts = source::url::UrlOptions {
                cross_origin: args.cross_origin,
                max_scripts: args.max_scripts,
                max_bytes: cfg.max_file_size,
                timeout: std::time::Duration::from_secs_f64(args.timeout),
            };
            let urls = args.urls.clone();
            scan_with(&cfg, mode, |sink| {
                let mut scanner =
                    source::Scanner::new(detect::Detector::new(Arc::clone(&cfg.rules))?, sink)
                        .with_max_member(cfg.max_file_size);
                source::url::scan(&urls, &opts, &mut scanner)
            })
        }
        ScanCommand::Git(args) => {
            use source::git::{GitOptions, Selection};
            let (git_dir, root) = repo_dirs(&args.repo)?;
            let cfg = Config::new(&args.scan, &root)?;
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
                source::git::scan(&git_dir, &opts, &cfg, sink)
            })
        }
        ScanCommand::Staged(args) => {
            let (git_dir, root) = repo_dirs(&args.repo)?;
            let cfg = Config::new(&args.scan, &root)?;
            scan_with(&cfg, mode, |sink| {
                source::staged::scan(&git_dir, &cfg, sink)
            })
        }
    }
}

/// The git folder of the repository `path` is in, and the folder where its
/// configuration file is looked for.
fn repo_dirs(path: &Path) -> Result<(PathBuf, PathBuf)> {
    let repo = source::git::open(path)?;
    Ok((repo.path().to_path_buf(), source::git::config_root(&repo)))
}

/// Where `.qrcp-scan.toml` is looked for: the first scanned folder (or the folder
/// of the first scanned file).
fn config_root(paths: &[PathBuf]) -> PathBuf {
    let first = paths
        .first()
        .map(PathBuf::as_path)
        .unwrap_or(Path::new("."));
    if first.is_dir() {
        first.to_path_buf()
    } else {
        first.parent().map(Path::to_path_buf).unwrap_or_default()
    }
}

/// Runs a scan, writes the report (or the baseline), and decides the exit status.
fn scan_with<F>(cfg: &Config, mode: Mode, produce: F) -> Result<Exit>
where
    F: FnOnce(scan::Sink) -> Result<()> + Send,
{
    let mut out = open_output(cfg)?;
    if mode == Mode::Baseline {
        if cfg.verify || cfg.revoke.is_some() {
            anyhow::bail!("baseline create does not take --verify or --revoke");
        }
        let outcome = scan::run(cfg, produce, None)?;
        filter::baseline::Baseline::write(&outcome.findings, &mut *out)
            .context("cannot write the baseline")?;
        out.flush().context("cannot write the baseline")?;
        let n = outcome.findings.len();
        eprintln!(
            "qrcp-scan: baseline of {n} finding{}",
            if n == 1 { "" } else { "s" }
        );
        return Ok(if messages::error_count() > 0 {
            Exit::Error
        } else {
            Exit::Clean
        });
    }
    // `jsonl` streams findings as they are found, unless verdicts must come first.
    let stream = cfg.format == Format::Jsonl && !cfg.verify;
    let outcome = if stream {
        let redacted = cfg.redact;
        let w: &mut dyn Write = &mut *out;
        let mut line = |f: &finding::Finding| report::json::write_line(f, redacted, w);
        scan::run(cfg, produce, Some(&mut line))?
    } else {
        scan::run(cfg, produce, None)?
    };
    deliver(cfg, outcome, &mut *out, stream, None)
}

/// After the findings are known: verify (`--verify`), write the report, revoke
/// (`--revoke`, outcomes on standard error), and decide the exit status.
///
/// `targets` are the keys to revoke when they are not simply the findings' own
/// (a report's keys, some of which could not be read back).
fn deliver(
    cfg: &Config,
    mut outcome: scan::Outcome,
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
    report::write(cfg, &outcome, out).context("cannot write the report")?;
    out.flush().context("cannot write the report")?;
    let exit = exit_status(cfg, &outcome.findings);
    match (&cfg.revoke, &cfg.api) {
        (Some(_), Some(_)) => {
            let targets = targets.unwrap_or_else(|| verify::targets_of(&outcome.findings));
            revoke_after_scan(cfg, targets, exit)
        }
        _ => Ok(exit),
    }
}

/// 1 when a finding is at or above `--fail-on`, else 2 when an input failed, else 0.
fn exit_status(cfg: &Config, findings: &[finding::Finding]) -> Exit {
    if cfg
        .fail_on
        .is_some_and(|min| findings.iter().any(|f| f.severity >= min))
    {
        Exit::Findings
    } else if messages::error_count() > 0 {
        Exit::Error
    } else {
        Exit::Clean
    }
}

/// `--revoke` after a scan: revokes `targets`, prints the outcomes on standard
/// error, and makes a clean run's status 1 when a revocation failed.
fn revoke_after_scan(cfg: &Config, targets: Vec<verify::Target>, exit: Exit) -> Result<Exit> {
    let (Some(settings), Some(api)) = (&cfg.revoke, &cfg.api) else {
        return Ok(exit);
    };
    let rows = verify::revoke_targets(api, settings, targets)?;
    let mut err = std::io::stderr().lock();
    report::revocation::write_human(&rows, settings.dry_run, &mut err)?;
    let failed = rows
        .iter()
        .any(|(_, s)| s.outcome == verify::Outcome::Failed);
    Ok(if failed && exit == Exit::Clean {
        Exit::Findings
    } else {
        exit
    })
}

/// `audit`: everything about one repository, grouped per key, with a to-do list.
fn audit_command(args: AuditArgs) -> Result<Exit> {
    let html = args
        .html
        .as_deref()
        .map(audit::check_html_path)
        .transpose()?;
    let (_, root) = repo_dirs(&args.repo)?;
    let mut scan_args = args.scan;
    // Revoking "the keys found live" needs to know which are.
    scan_args.verify |= scan_args.revoke;
    let cfg = Config::new(&scan_args, &root)?;
    let a = audit::collect(&args.repo, &cfg)?;
    if let Some(path) = &html {
        std::fs::write(path, audit::html::render(&cfg, &a))
            .with_context(|| format!("{}: cannot write the HTML report", path.display()))?;
    }
    let mut out = open_output(&cfg)?;
    match cfg.format {
        Format::Human => audit::text::write(&cfg, &a, &mut *out),
        Format::Json => audit::write_json(&cfg, &a, &mut *out),
        Format::Jsonl => a
            .outcome
            .findings
            .iter()
            .try_for_each(|f| report::json::write_line(f, cfg.redact, &mut *out)),
        _ => report::write(&cfg, &a.outcome, &mut *out),
    }
    .context("cannot write the report")?;
    out.flush().context("cannot write the report")?;
    if let Some(path) = &html {
        messages::note(&path.display().to_string(), "HTML report written");
    }
    let exit = exit_status(&cfg, &a.outcome.findings);
    if cfg.revoke.is_none() {
        return Ok(exit);
    }
    let live: Vec<finding::Finding> = a
        .outcome
        .findings
        .iter()
        .filter(|f| f.verification == Some("active"))
        .cloned()
        .collect();
    let targets = verify::targets_of(&live);
    if targets.is_empty() {
        messages::note("revoke", "no key was found live: nothing to revoke");
        return Ok(exit);
    }
    revoke_after_scan(&cfg, targets, exit)
}

/// `verify`: a scan with `--verify`, or the keys of an earlier report.
fn verify_command(args: VerifyArgs) -> Result<Exit> {
    let VerifyArgs { report, root, dir } = args;
    let Some(report) = report else {
        let mut dir = dir;
        dir.scan.verify = true;
        return scan_command(ScanCommand::Dir(dir), Mode::Report);
    };
    let start = std::time::Instant::now();
    let root = root.unwrap_or_else(|| PathBuf::from("."));
    let mut scan_args = dir.scan;
    scan_args.verify = true;
    let cfg = Config::new(&scan_args, &root)?;
    let loaded = verify::recover::load(&report, &root, Arc::clone(&cfg.rules))?;
    let mut findings = loaded.findings;
    if let Some(api) = &cfg.api {
        let settled = verify::verify_targets(api, &loaded.targets)?;
        verify::apply_verdicts(&loaded.targets, &settled, &mut findings);
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let stats = scan::Stats::default();
    let mut paths: Vec<_> = findings
        .iter()
        .filter_map(|f| f.provenance.path.as_deref())
        .collect();
    paths.dedup();
    scan::Stats::add(&stats.files, paths.len() as u64);
    let outcome = scan::Outcome {
        findings,
        stats: Arc::new(stats),
        elapsed: start.elapsed(),
    };
    // Verified above: `deliver` must not send the keys again.
    let cfg = Config {
        verify: false,
        ..cfg
    };
    let mut out = open_output(&cfg)?;
    deliver(&cfg, outcome, &mut *out, false, Some(loaded.targets))
}

/// `revoke --report FILE`: read the keys back, confirm, revoke, print the outcomes.
fn revoke_command(args: RevokeArgs) -> Result<Exit> {
    let settings = config::revoke_settings(&args.revoke);
    let api = config::api_config(&args.api)?;
    verify::check_confirmable(&settings)?;
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let rules = Arc::new(rules::RuleSet::load(&args.rules.files)?);
    let loaded = verify::recover::load(&args.report, &root, rules)?;
    let rows = verify::revoke_targets(&api, &settings, loaded.targets)?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("{}: cannot create the output file", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match args.format {
        OutcomeFormat::Human => report::revocation::write_human(&rows, settings.dry_run, &mut *out),
        OutcomeFormat::Json => report::revocation::write_json(&rows, settings.dry_run, &mut *out),
    }
    .context("cannot write the outcomes")?;
    out.flush().context("cannot write the outcomes")?;
    Ok(
        if rows
            .iter()
            .any(|(_, s)| s.outcome == verify::Outcome::Failed)
        {
            Exit::Findings
        } else {
            Exit::Clean
        },
    )
}

fn open_output(cfg: &Config) -> Result<Box<dyn Write>> {
    Ok(match &cfg.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("{}: cannot create the report file", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}

fn rules_command(cmd: RulesCommand) -> Result<Exit> {
    match cmd {
        RulesCommand::List { rules } => {
            let set = rules::RuleSet::load(&rules.files)?;
            let mut out = std::io::stdout().lock();
            for r in &set.rules {
                writeln!(
                    out,
                    "{:<20} {:<8} {:<7} {}  ({})",
                    r.spec.id,
                    r.spec.severity,
                    kind_name(r.spec.kind),
                    r.spec.name,
                    r.origin
                )?;
                for reference in &r.spec.references {
                    writeln!(out, "{:<20} see {reference}", "")?;
                }
            }
            Ok(Exit::Clean)
        }
        RulesCommand::Check { rules } => {
            let set = Arc::new(rules::RuleSet::load(&rules.files)?);
            let problems = rules::check::check(&set)?;
            for p in &problems {
                eprintln!("qrcp-scan: {}", sanitize::sanitize(p));
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

/// Options common to scans as clap gives them when none is on the command line
/// (`org` fills in its own).
fn default_scan_args() -> Result<cli::ScanArgs> {
    use clap::{Args, FromArgMatches};
    let cmd = cli::ScanArgs::augment_args(clap::Command::new("qrcp-scan"));
    Ok(cli::ScanArgs::from_arg_matches(
        &cmd.try_get_matches_from(["qrcp-scan"])?,
    )?)
}

/// `org plan`, `org scan`, `org merge`: the org module takes plain options; the
/// configuration and the reporters of single scans stay here.
fn org_command(cmd: cli::OrgCommand) -> Result<Exit> {
    use cli::{OrgCommand, OrgFormat, PlanFormat};
    match cmd {
        OrgCommand::Plan(a) => {
            let opts = org::PlanOptions {
                repos: a.repos,
                shards: a.shards,
                format: match a.format {
                    PlanFormat::Lines => org::PlanFormat::Lines,
                    PlanFormat::GithubMatrix => org::PlanFormat::GithubMatrix,
                },
            };
            org::plan::run(&opts, &mut std::io::stdout().lock())?;
            Ok(Exit::Clean)
        }
        OrgCommand::Scan(a) => {
            let shard = match (&a.shard, a.shard_from_env, a.shards) {
                (Some(s), _, _) => org::Shard::parse(s)?,
                (None, true, Some(n)) => org::Shard::from_completion_index(
                    std::env::var("JOB_COMPLETION_INDEX").ok().as_deref(),
                    n,
                )?,
                _ => org::Shard::ALL,
            };
            let mut scan_args = default_scan_args()?;
            scan_args.format = Format::Jsonl;
            scan_args.config = a.config;
            scan_args.rules = a.rules;
            scan_args.no_redact = a.no_redact;
            scan_args.threads = a.threads;
            scan_args.max_file_size = a.max_file_size;
            scan_args.no_progress = true;
            let cfg = Config::new(&scan_args, Path::new("."))?;
            let opts = org::ScanOptions {
                repos: a.repos,
                shard,
                cache: a.cache.unwrap_or_else(org::default_cache),
                output: a.output,
                redact: cfg.redact,
            };
            let git = source::git::GitOptions {
                selection: source::git::Selection::All,
                not_remotes: false,
            };
            let scan_repo =
                |dir: &Path| scan::run(&cfg, |sink| source::git::scan(dir, &git, &cfg, sink), None);
            let t = org::scan::run(&opts, &scan_repo)?;
            Ok(if t.findings > 0 {
                Exit::Findings
            } else if t.failed > 0 || messages::error_count() > 0 {
                Exit::Error
            } else {
                Exit::Clean
            })
        }
        OrgCommand::Merge(a) => {
            let mut scan_args = default_scan_args()?;
            scan_args.output = a.output;
            scan_args.rules = a.rules;
            scan_args.no_redact = a.no_redact;
            scan_args.verify = a.verify;
            scan_args.revoke = a.revoke;
            scan_args.revocation = a.revocation;
            scan_args.api = a.api;
            scan_args.no_progress = true;
            let cfg = Config::new(&scan_args, Path::new("."))?;
            let opts = org::MergeOptions {
                inputs: a.inputs,
                cache: a.cache.unwrap_or_else(org::default_cache),
                read_keys: a.verify || a.revoke || a.no_redact,
            };
            let mut m = org::merge::run(&opts, Arc::clone(&cfg.rules))?;
            if let (true, Some(api)) = (cfg.verify, &cfg.api) {
                let settled = verify::verify_targets(api, &m.targets)?;
                verify::apply_verdicts(&m.targets, &settled, &mut m.findings);
            }
            let mut out = open_output(&cfg)?;
            match a.format {
                OrgFormat::Human => org::render::write_human(&m, cfg.redact, &mut *out),
                OrgFormat::Json => org::render::write_json(&m, cfg.redact, &mut *out),
                OrgFormat::Sarif => {
                    report::sarif::write(&cfg, &org::render::prefixed(&m), &mut *out)
                }
                OrgFormat::Html => {
                    let page = audit::html::render(&cfg, &org::render::audit(&m));
                    out.write_all(page.as_bytes())
                }
            }
            .context("cannot write the report")?;
            out.flush().context("cannot write the report")?;
            let exit = if !m.findings.is_empty() {
                Exit::Findings
            } else if m.incomplete() || messages::error_count() > 0 {
                Exit::Error
            } else {
                Exit::Clean
            };
            revoke_after_scan(&cfg, m.targets.clone(), exit)
        }
    }
}

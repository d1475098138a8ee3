//! qrcp-scan: find leaked QRCodePro API keys, committed .env files and keys exposed
//! to client-side JavaScript.
//!
//! `main` parses the command line, calls `run`, prints an error chain once and maps
//! the outcome to an exit status (0 clean, 1 findings, 2 error).

mod cli;
mod config;
mod detect;
mod filter;
mod finding;
mod hook;
mod messages;
mod progress;
mod report;
mod rules;
mod sanitize;
mod scan;
mod source;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;

use cli::{BaselineCommand, Cli, Command, Format, RulesCommand, ScanCommand};
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
        Command::Rules(cmd) => rules_command(cmd),
        Command::Baseline(BaselineCommand::Create(scan)) => scan_command(scan, Mode::Baseline),
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
                    source::Scanner::new(detect::Detector::new(Arc::clone(&cfg.rules))?, sink);
                source::stdin::scan(&mut scanner, name.as_deref(), cfg.max_file_size)
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
    let outcome = if cfg.format == Format::Jsonl {
        let redacted = cfg.redact;
        let w: &mut dyn Write = &mut *out;
        let mut line = |f: &finding::Finding| report::json::write_line(f, redacted, w);
        scan::run(cfg, produce, Some(&mut line))?
    } else {
        scan::run(cfg, produce, None)?
    };
    report::write(cfg, &outcome, &mut *out).context("cannot write the report")?;
    out.flush().context("cannot write the report")?;
    let failing = cfg
        .fail_on
        .is_some_and(|min| outcome.findings.iter().any(|f| f.severity >= min));
    Ok(if failing {
        Exit::Findings
    } else if messages::error_count() > 0 {
        Exit::Error
    } else {
        Exit::Clean
    })
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

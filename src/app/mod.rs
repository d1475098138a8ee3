//! The commands: one file each, wiring configuration, sources, the scan driver,
//! verification and reporters together. Prompts and confirmation, terminal checks,
//! rate-limiter construction and exit statuses live here and nowhere below.

mod audit;
mod baseline;
mod hook;
mod org;
mod revoke;
mod rules;
mod scan;
mod verify;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::ScanArgs;
use crate::cli::{BaselineCommand, Cli, Command, ScanCommand};
use crate::config::{ApiSettings, Config};
use crate::verify::ApiConfig;
use crate::{finding, messages, source};

pub use scan::Mode;

/// A scan command's configuration and what the command builds from it: the API
/// client settings with the run's one rate limiter (shared by verify and revoke).
/// Reads as the configuration for everything else.
pub struct Run {
    pub cfg: Config,
    /// Set when `--verify` or `--revoke` will send something.
    pub api: Option<ApiConfig>,
    /// The scanned folder or repository, absolute: SARIF's `%SRCROOT%`.
    pub root: Option<PathBuf>,
    /// The hook this scan runs as (`--hook`).
    pub hook: Option<crate::cli::HookKind>,
}

impl Run {
    /// Loads the configuration (see [`Config::new`]); with `--revoke`, checks that
    /// it can be confirmed (a terminal, or `--yes`/`--dry-run`).
    pub fn new(args: &ScanArgs, root: &Path) -> Result<Run> {
        let cfg = Config::new(args, root)?;
        // One depth for every blob the process decodes, however it reaches
        // the decoder (a file, a source map's source, a commit message).
        crate::decode::set_max_depth(cfg.decode_depth);
        if let Some(settings) = &cfg.revoke {
            crate::verify::check_confirmable(settings)?;
        }
        let api = cfg.api.as_ref().map(api_config);
        Ok(Run {
            cfg,
            api,
            root: None,
            hook: args.hook,
        })
    }

    /// Sets the scanned root (made absolute against the current folder).
    pub fn with_root(mut self, root: &Path) -> Run {
        self.root = std::path::absolute(root)
            .ok()
            .map(|p| crate::report::normalize(&p));
        self
    }
}

impl std::ops::Deref for Run {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.cfg
    }
}

/// The API client settings with a new rate limiter.
pub fn api_config(s: &ApiSettings) -> ApiConfig {
    ApiConfig {
        base: s.base.clone(),
        timeout: s.timeout,
        tries: s.tries,
        audit_log: s.audit_log.clone(),
        limiter: std::sync::Arc::new(crate::verify::ratelimit::Limiter::new(s.rate)),
    }
}

/// The documented exit statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Clean = 0,
    Findings = 1,
    Error = 2,
}

pub fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Command::Dir(args) => scan::command(ScanCommand::Dir(args), Mode::Report),
        Command::Stdin(args) => scan::command(ScanCommand::Stdin(args), Mode::Report),
        Command::Url(args) => scan::command(ScanCommand::Url(args), Mode::Report),
        Command::Git(args) => scan::command(ScanCommand::Git(args), Mode::Report),
        Command::Staged(args) => scan::command(ScanCommand::Staged(args), Mode::Report),
        Command::InstallHook(args) => {
            let path = hook::install(&args.repo, args.pre_push, args.force)?;
            println!(
                "installed {}",
                crate::sanitize::sanitize(&path.display().to_string())
            );
            Ok(Exit::Clean)
        }
        Command::Audit(args) => audit::command(args),
        Command::Rules(cmd) => rules::command(cmd),
        Command::Baseline(BaselineCommand::Create(scan)) => scan::command(scan, Mode::Baseline),
        Command::Verify(args) => verify::command(args),
        Command::Revoke(args) => revoke::command(args),
        Command::Org(cmd) => org::command(cmd),
    }
}

/// The git folder of the repository `path` is in, and the folder where its
/// configuration file is looked for.
pub fn repo_dirs(path: &Path) -> Result<(PathBuf, PathBuf)> {
    let repo = source::git::open(path)?;
    Ok((repo.path().to_path_buf(), source::git::config_root(&repo)))
}

/// Where `.qrcp-scan.toml` is looked for: the first scanned folder (or the folder
/// of the first scanned file), then each folder above it up to the root of the
/// git repository it is in, as for `git`: the nearest file wins. Without one, the
/// first scanned folder.
pub fn config_root(paths: &[PathBuf]) -> PathBuf {
    let first = paths
        .first()
        .map(PathBuf::as_path)
        .unwrap_or(Path::new("."));
    let first = if first.is_dir() {
        first.to_path_buf()
    } else {
        match first.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    };
    let Ok(abs) = std::path::absolute(&first).map(|p| crate::report::normalize(&p)) else {
        return first;
    };
    let mut up = first.clone();
    for dir in abs.ancestors() {
        if dir.join(crate::config::CONFIG_FILE).is_file() {
            return up;
        }
        // The repository's root (a `.git` folder or a worktree's `.git` file) ends the walk.
        if dir.join(".git").exists() {
            break;
        }
        up = parent_of(&up);
    }
    first
}

/// The folder above `p`, still written relative when `p` is: `src` -> `.`,
/// `.` -> `..`, `../a` -> `..`.
fn parent_of(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut parts: Vec<Component> = p.components().filter(|c| *c != Component::CurDir).collect();
    match parts.last() {
        Some(Component::Normal(_)) => {
            parts.pop();
        }
        Some(Component::RootDir | Component::Prefix(_)) => {}
        _ => parts.push(Component::ParentDir),
    }
    if parts.is_empty() {
        PathBuf::from(".")
    } else {
        parts.iter().collect()
    }
}

/// 1 when a finding is at or above `--fail-on`, else 2 when an input failed, else 0.
pub fn exit_status(cfg: &Config, findings: &[finding::Finding]) -> Exit {
    if cfg
        .fail_on
        .is_some_and(|min| findings.iter().any(|f| f.severity >= min))
    {
        Exit::Findings
    } else if messages::error_count() > 0 || messages::Incomplete::count() > 0 {
        Exit::Error
    } else {
        Exit::Clean
    }
}

pub fn open_output(cfg: &Config) -> Result<Box<dyn Write>> {
    Ok(match &cfg.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("{}: cannot create the report file", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}

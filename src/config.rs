//! `Cli` -> validated `Config`: the configuration file parsed, globs and regexes
//! compiled, rules loaded, sizes parsed, colour and progress decided. Plain data:
//! the commands (`app`) read it and hand the layers below the small option structs
//! it makes (`sources()`, `filters()`, `report()`); nothing below reads `Config` or
//! clap.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::cli::{ApiArgs, ColorChoice, FailOn, Format as FormatArg, RevokeFlags, ScanArgs};
use crate::filter::baseline::Baseline;
use crate::filter::{Allowlist, AllowlistSpec};
use crate::progress::Mode as Progress;
use crate::report::{Format, ReportOptions};
use crate::rules::RuleSet;
use crate::scan::Filters;
use crate::source::{DEFAULT_MAX_FILE_SIZE, SourceOptions};
use crate::verify::RevokeSettings;
use crate::verify::client::BaseUrl;

pub const CONFIG_FILE: &str = ".qrcp-scan.toml";
/// `.qrcp-scan.toml`, as written. Unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub allowlist: AllowlistSpec,
    /// Extra rule files, relative to the configuration file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Read (and checked, so that an error names the line) as it is loaded.
    #[serde(default, deserialize_with = "size_in_file")]
    pub max_file_size: Option<u64>,
    /// Scan build output folders even when gitignored (default true).
    pub scan_build_output: Option<bool>,
}

/// The width of human output and of `--help`: `COLUMNS` when set, the terminal's
/// width when the text goes to one, else 100 (a pipe, a file, a CI log).
pub fn width(to_terminal: bool) -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0);
    let tty = || {
        to_terminal
            .then(|| terminal_size::terminal_size_of(std::io::stdout()))
            .flatten()
            .map(|(w, _)| usize::from(w.0))
    };
    // Below 40 columns nothing useful fits; draw as if there were 40.
    columns.or_else(tty).unwrap_or(100).max(40)
}

/// `max_file_size = "50M"`: an invalid size fails the parse, where toml knows the line.
fn size_in_file<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let s = String::deserialize(d)?;
    crate::units::parse_size(&s)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("max_file_size: invalid size {s:?}: {e}")))
}

/// Everything a scan needs, validated.
pub struct Config {
    pub format: Format,
    pub output: Option<PathBuf>,
    pub redact: bool,
    pub color: bool,
    /// Columns the human format fits in (see [`width`]).
    pub width: usize,
    /// Worker threads; 0 is one per core.
    pub threads: usize,
    pub max_file_size: u64,
    /// What unpacking one archive may cost (`--max-archive-*`, `--max-file-size`).
    pub archive: crate::source::archive::Limits,
    /// Encodings undone one inside another (`--max-decode-depth`).
    pub decode_depth: usize,
    pub progress: Progress,
    pub rules: Arc<RuleSet>,
    pub allowlist: Arc<Allowlist>,
    pub baseline: Option<Arc<Baseline>>,
    /// Findings at or above this severity make the exit status 1 (`None`: never).
    pub fail_on: Option<crate::rules::Severity>,
    pub scan_build_output: bool,
    /// `--verify`: ask the API about each found key.
    pub verify: bool,
    /// `--revoke`: revoke each found key after the scan.
    pub revoke: Option<RevokeSettings>,
    /// Validated only when `verify` or `revoke` asks for it.
    pub api: Option<ApiSettings>,
}

impl Config {
    /// `root` is where the configuration file is looked for (the first scanned folder).
    pub fn new(args: &ScanArgs, root: &Path) -> Result<Config> {
        let (file, base) = match &args.config {
            Some(p) => (
                load_file(p)?,
                p.parent().map(Path::to_path_buf).unwrap_or_default(),
            ),
            None => {
                let candidate = default_config(root);
                if candidate.is_file() {
                    (load_file(&candidate)?, root.to_path_buf())
                } else {
                    (ConfigFile::default(), root.to_path_buf())
                }
            }
        };
        let mut rule_files: Vec<PathBuf> = file.rules.iter().map(|p| base.join(p)).collect();
        rule_files.extend(args.rules.files.iter().cloned());
        let mut rules = RuleSet::load(&rule_files)?;
        for id in &file.allowlist.rules {
            if rules.get(id).is_none() {
                bail!(
                    "{}: allowlist.rules: no rule {id:?}",
                    config_name(args, root)
                );
            }
        }
        rules
            .rules
            .retain(|r| !file.allowlist.rules.contains(&r.spec.id));
        let allowlist = Allowlist::new(&file.allowlist, &base)
            .with_context(|| format!("{}: allowlist", config_name(args, root)))?;
        let max_file_size = match args.max_file_size.as_deref() {
            Some(s) => crate::units::parse_size(s)
                .with_context(|| format!("--max-file-size: invalid size {s:?}"))?,
            None => file.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
        };
        let threads = match args.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => n,
            // 0: one per core, decided by the walker or the pool that starts them
            // (a scan of named files starts none, and asks nothing).
            None => 0,
        };
        let r = &args.revocation;
        if !args.revoke && (r.dry_run || r.yes || r.only_live) {
            bail!("--dry-run, --yes and --only-live go with --revoke");
        }
        let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let progress = match (args.progress, args.no_progress) {
            (true, _) => Progress::Always,
            (_, true) => Progress::Never,
            _ => Progress::Auto,
        };
        Ok(Config {
            format: match args.format {
                FormatArg::Human => Format::Human,
                FormatArg::Json => Format::Json,
                FormatArg::Jsonl => Format::Jsonl,
                FormatArg::Sarif => Format::Sarif,
                FormatArg::Junit => Format::Junit,
                FormatArg::Github => Format::Github,
            },
            output: args.output.clone(),
            redact: !args.no_redact,
            color,
            width: width(to_terminal),
            threads,
            max_file_size,
            archive: {
                let mut l = crate::source::archive::Limits {
                    member: max_file_size,
                    ..Default::default()
                };
                if let Some(s) = args.max_archive_size.as_deref() {
                    l.total = crate::units::parse_size(s)
                        .with_context(|| format!("invalid size {s:?}"))?;
                }
                if let Some(n) = args.max_archive_members {
                    l.members = n;
                }
                if let Some(n) = args.max_compression_ratio {
                    l.ratio = n;
                }
                if let Some(n) = args.max_archive_depth {
                    l.depth = n;
                }
                l
            },
            decode_depth: args
                .max_decode_depth
                .map_or(crate::decode::DEFAULT_DEPTH, usize::from),
            progress,
            rules: Arc::new(rules),
            allowlist: Arc::new(allowlist),
            baseline: args
                .baseline
                .as_deref()
                .map(Baseline::load)
                .transpose()?
                .map(Arc::new),
            fail_on: match args.fail_on {
                FailOn::Error => Some(crate::rules::Severity::Error),
                FailOn::Warning => Some(crate::rules::Severity::Warning),
                FailOn::Note => Some(crate::rules::Severity::Note),
                FailOn::Never => None,
            },
            scan_build_output: file.scan_build_output.unwrap_or(true),
            verify: args.verify,
            revoke: args.revoke.then(|| revoke_settings(&args.revocation)),
            api: if args.verify || args.revoke {
                Some(api_settings(&args.api)?)
            } else {
                None
            },
        })
    }
}

impl Config {
    /// What sources need: the rules, the thread count and the size limits.
    pub fn sources(&self) -> SourceOptions {
        SourceOptions {
            rules: Arc::clone(&self.rules),
            threads: self.threads,
            max_file_size: self.max_file_size,
            archive: self.archive,
            scan_build_output: self.scan_build_output,
        }
    }

    /// The filters between detection and the report.
    pub fn filters(&self) -> Filters {
        Filters {
            allowlist: Arc::clone(&self.allowlist),
            baseline: self.baseline.clone(),
        }
    }

    /// The reporters' options; `errors` is the number of inputs that failed,
    /// `incomplete` what was not read in full.
    pub fn report(
        &self,
        errors: u64,
        incomplete: Vec<crate::messages::Incomplete>,
    ) -> ReportOptions {
        ReportOptions {
            format: self.format,
            redact: self.redact,
            color: self.color,
            width: self.width,
            rules: Arc::clone(&self.rules),
            errors,
            incomplete,
            base: None,
        }
    }
}

/// `--api-*` and `--audit-log`, validated: what the command builds its API client
/// and rate limiter from.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub base: BaseUrl,
    pub timeout: std::time::Duration,
    pub tries: u32,
    /// Requests a minute.
    pub rate: u32,
    pub audit_log: Option<PathBuf>,
}

/// `--api-*` and `--audit-log`, validated. Only called when something will be sent.
pub fn api_settings(a: &ApiArgs) -> Result<ApiSettings> {
    let base = BaseUrl::parse(&a.api_url)?;
    let timeout = crate::units::parse_duration(&a.api_timeout)
        .with_context(|| format!("--api-timeout {:?}", a.api_timeout))?;
    if timeout.is_zero() || timeout > std::time::Duration::from_secs(600) {
        bail!(
            "--api-timeout {:?}: must be more than 0 and at most 10 minutes",
            a.api_timeout
        );
    }
    if a.api_rate == 0 {
        bail!("--api-rate must be at least 1 (requests a minute)");
    }
    if !(1..=10).contains(&a.api_tries) {
        bail!("--api-tries must be between 1 and 10");
    }
    Ok(ApiSettings {
        base,
        timeout,
        tries: a.api_tries,
        rate: a.api_rate,
        audit_log: a.audit_log.clone(),
    })
}

pub fn revoke_settings(r: &RevokeFlags) -> RevokeSettings {
    RevokeSettings {
        dry_run: r.dry_run,
        yes: r.yes,
        only_live: r.only_live,
    }
}

/// `.qrcp-scan.toml` in `root`, written without `./` for the current folder.
fn default_config(root: &Path) -> PathBuf {
    if root == Path::new(".") {
        PathBuf::from(CONFIG_FILE)
    } else {
        root.join(CONFIG_FILE)
    }
}

/// The configuration file as error messages name it.
fn config_name(args: &ScanArgs, root: &Path) -> String {
    args.config
        .clone()
        .unwrap_or_else(|| default_config(root))
        .display()
        .to_string()
}

fn load_file(path: &Path) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read configuration", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map_or(0, |s| crate::rules::line_of(&text, s.start));
        anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
    })
}

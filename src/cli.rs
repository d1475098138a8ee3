//! The command line, as clap derive structs and nothing else: doc comments are the
//! help text. `config` turns these into a validated `Config`; nothing else imports
//! clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Find leaked QRCodePro API keys (qrcp_live_…, qrcp_test_…), committed .env files
/// and keys exposed to client-side JavaScript.
///
/// Exit status: 0 nothing found, 1 findings, 2 an error (bad usage, unreadable
/// input). Errors on single files are reported and the scan goes on. Secrets are
/// redacted in every output unless --no-redact is given.
#[derive(Debug, Parser)]
#[command(name = "qrcp-scan", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan folders and files (default: the current folder).
    ///
    /// Walks in parallel, hidden files included. Respects .gitignore, except that
    /// build output (dist/, build/, out/, .next/, .nuxt/, .output/, .svelte-kit/,
    /// storybook-static/) is scanned even when ignored: it is what gets deployed.
    /// .git and node_modules are skipped unless --no-ignore. Paths named on the
    /// command line are always scanned.
    ///
    /// Examples:
    ///   qrcp-scan dir
    ///   qrcp-scan dir web/dist --format json --output report.json
    Dir(DirArgs),
    /// Scan a git repository's history: every commit of every ref (branches, tags,
    /// remotes, stash) and the objects that no ref reaches.
    ///
    /// Each distinct blob is read and scanned once, in parallel; a finding is
    /// attributed to the commit that first introduced the blob at its path. Commit
    /// and annotated tag messages are scanned too. With --since, --range or
    /// --branch, only the files that those commits add or modify are scanned.
    ///
    /// Examples:
    ///   qrcp-scan git
    ///   qrcp-scan git --since origin/main --format json
    ///   qrcp-scan git --range v1.0..v2.0
    Git(GitArgs),
    /// Scan the staged change: the lines that `git commit` would add (pre-commit).
    ///
    /// Compares HEAD (or nothing, before the first commit) with the index. Only
    /// added lines and newly added files are reported, with the staged file's line
    /// numbers; renames and unchanged lines are not.
    Staged(StagedArgs),
    /// Install a native git hook that runs qrcp-scan (pre-commit, or pre-push).
    ///
    /// The hook runs this binary by its absolute path, or `qrcp-scan` from PATH if
    /// that path is gone. core.hooksPath is respected. An existing hook is never
    /// replaced without --force.
    InstallHook(InstallHookArgs),
    /// Scan standard input.
    ///
    /// Example: `curl -s https://example.com/app.js | qrcp-scan stdin --name app.js`
    Stdin(StdinArgs),
    /// List or check the rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Baselines: known findings that should not fail CI again.
    #[command(subcommand)]
    Baseline(BaselineCommand),
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Run a scan and write its findings as a baseline (JSON, to stdout or --output).
    ///
    /// A baseline lists (rule, path, fingerprint) and no secret or timestamp, sorted
    /// so that it merges cleanly. Later scans given `--baseline FILE` hide those
    /// findings, wherever they moved within the file, and fail only on new ones.
    ///
    /// Example: `qrcp-scan baseline create dir . > .qrcp-scan-baseline.json`
    #[command(subcommand)]
    Create(ScanCommand),
}

/// The scans a baseline can be made from.
#[derive(Debug, Subcommand)]
pub enum ScanCommand {
    /// Folders and files, as `qrcp-scan dir`.
    Dir(DirArgs),
    /// Standard input, as `qrcp-scan stdin`.
    Stdin(StdinArgs),
    /// Git history, as `qrcp-scan git`.
    Git(GitArgs),
    /// The staged change, as `qrcp-scan staged`.
    Staged(StagedArgs),
}

#[derive(Debug, Args)]
pub struct DirArgs {
    /// Folders and files to scan.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Don't respect .gitignore and similar files, and scan node_modules too.
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(short = 'L', long)]
    pub follow: bool,
    /// Scan binary files too (files with a NUL byte near the start are skipped by
    /// default; files named on the command line are always scanned).
    #[arg(long)]
    pub binary: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct GitArgs {
    /// The repository (a working tree, a bare repository or a worktree).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Scan the commits reachable from HEAD but not from REV (REV..HEAD), e.g.
    /// `--since origin/main` on a pull request.
    #[arg(long, value_name = "REV", conflicts_with_all = ["range", "branch"])]
    pub since: Option<String>,
    /// Scan the commits reachable from B but not from A.
    #[arg(long, value_name = "A..B", conflicts_with = "branch")]
    pub range: Option<String>,
    /// Scan the history of one ref (every commit reachable from it).
    #[arg(long, value_name = "REV")]
    pub branch: Option<String>,
    /// Leave out commits that a remote-tracking ref (refs/remotes/*) reaches: with
    /// --branch, the commits not pushed yet.
    #[arg(long)]
    pub not_remotes: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct StagedArgs {
    /// The repository (default: the one the current folder is in).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// The repository (default: the one the current folder is in).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Install a pre-push hook (scans the commits being pushed) instead of a
    /// pre-commit hook (scans the staged change).
    #[arg(long)]
    pub pre_push: bool,
    /// Replace an existing hook.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct StdinArgs {
    /// The name to report standard input under (also decides whether it is a dotenv file).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules in force: id, severity, name and where each comes from.
    List {
        #[command(flatten)]
        rules: RulesArgs,
    },
    /// Check every rule: patterns compile, examples match, negative examples don't.
    ///
    /// Exit status 0 when every check passes, 2 otherwise.
    Check {
        #[command(flatten)]
        rules: RulesArgs,
    },
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Add the rules of this TOML file to the built-in ones (repeatable).
    #[arg(long = "rules", value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Options common to every scan.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration file (default: .qrcp-scan.toml in the first scanned folder, if any).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub rules: RulesArgs,
    /// Hide findings listed in this baseline (see `qrcp-scan baseline create`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 only for findings of this severity or worse (they are all reported).
    #[arg(long, value_enum, default_value_t = FailOn::Note, value_name = "SEVERITY")]
    pub fail_on: FailOn,
    /// Show secrets in full. Reports are often published (CI logs): think twice.
    #[arg(long)]
    pub no_redact: bool,
    /// When to use colours in human output (NO_COLOR is honoured by auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Number of threads (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Skip files larger than SIZE, with a note (e.g. 50M, 1G, 4096).
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,
    /// Show a progress bar on standard error (default: when it is a terminal and the
    /// scan takes more than a second).
    #[arg(long, overrides_with = "no_progress")]
    pub progress: bool,
    /// Never show a progress bar.
    #[arg(long, overrides_with = "progress")]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style annotated snippets and a summary line.
    Human,
    /// One JSON object (see the README for the contract).
    Json,
    /// One JSON finding per line, streamed.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML: one failed test case per finding.
    Junit,
    /// GitHub Actions workflow commands (annotations on the pull request diff).
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warning,
    /// Any finding (the default).
    Note,
    /// Never: exit 0 even with findings (errors still exit 2).
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

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
    /// Scan standard input.
    ///
    /// Example: `curl -s https://example.com/app.js | qrcp-scan stdin --name app.js`
    Stdin(StdinArgs),
    /// Scan a deployed site: the page, the scripts it loads and their source maps.
    ///
    /// Fetches each page, the scripts it loads (`<script src>`, `<link
    /// rel="modulepreload">`) and the source maps they name (`//# sourceMappingURL=`,
    /// `SourceMap` headers). Only the page's origin is fetched unless --cross-origin;
    /// redirects are followed within one origin only. Findings carry the URL as path.
    ///
    /// Example: qrcp-scan url https://staging.example.com/
    Url(UrlArgs),
    /// List or check the rules.
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Debug, Args)]
pub struct UrlArgs {
    /// Pages to scan (http:// or https://).
    #[arg(value_name = "URL", required = true)]
    pub urls: Vec<String>,
    /// Also fetch scripts and source maps from other origins (CDNs).
    #[arg(long)]
    pub cross_origin: bool,
    /// Scripts fetched per page at most.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_scripts: usize,
    /// Seconds to wait for a connection, and for each part of a response.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
    #[command(flatten)]
    pub scan: ScanArgs,
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
    /// Show secrets in full. Reports are often published (CI logs): think twice.
    #[arg(long)]
    pub no_redact: bool,
    /// When to use colours in human output (NO_COLOR is honoured by auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Number of threads (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Skip files (and archive members, and responses) larger than SIZE, with a note
    /// (e.g. 50M, 1G, 4096).
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

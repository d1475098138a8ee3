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
#[command(name = "qrcp-scan", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Each subcommand's arguments are built only when it runs (`defer`): a hook
/// run's start-up then builds one subcommand's help, not all of them.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Scan folders and files.
    ///
    /// Walks in parallel, hidden files included. Respects .gitignore, except that
    /// build output (dist/, build/, out/, .next/, .nuxt/, .output/, .svelte-kit/,
    /// storybook-static/, .vercel/, .netlify/) is scanned even when ignored: it is
    /// what gets deployed. .git and node_modules are skipped unless --no-ignore.
    /// Paths named on the command line are always scanned.
    #[command(after_help = "Examples:
  qrcp-scan dir
  qrcp-scan dir web/dist --format json --output report.json")]
    Dir(DirArgs),
    /// Scan a git repository's history: every commit of every ref (branches, tags,
    /// remotes, stash) and the objects that no ref reaches.
    ///
    /// Each distinct blob is read and scanned once, in parallel; a finding is
    /// attributed to the commit that first introduced the blob at its path. Commit
    /// and annotated tag messages are scanned too. With --since, --range or
    /// --branch, only the files that those commits add or modify are scanned.
    #[command(after_help = "Examples:
  qrcp-scan git
  qrcp-scan git --since origin/main --format json
  qrcp-scan git --since \"2 weeks ago\"
  qrcp-scan git --range v1.0..v2.0")]
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
    /// On a terminal, says that it is reading (end the input with Ctrl-D) and shows
    /// no progress.
    #[command(after_help = "Example:
  curl -s https://example.com/app.js | qrcp-scan stdin --name app.js")]
    Stdin(StdinArgs),
    /// Scan a deployed site: the page, the scripts it loads and their source maps.
    ///
    /// Fetches each page, the scripts it loads (`<script src>`, `<link
    /// rel="modulepreload">`), the chunks they load lazily, and the source maps they
    /// name (`//# sourceMappingURL=`, `SourceMap` headers; `data:` maps are decoded),
    /// undoing gzip, deflate, brotli and zstd. Only the page's origin is fetched
    /// unless --cross-origin; redirects are followed within one origin only;
    /// link-local, metadata and unasked loopback or private addresses are refused
    /// unless --allow-private-addresses. Findings carry the URL as path.
    #[command(after_help = "Example:
  qrcp-scan url https://staging.example.com/")]
    Url(UrlArgs),
    /// Audit a repository by hand: every leaked key, where and since when, whether
    /// it still works, and what to do now.
    ///
    /// Scans the whole history (every ref, and objects no ref reaches), the working
    /// tree (gitignored build output included) and `.env` files that are present but
    /// ignored ("local only, not committed"), then groups the findings per key: its
    /// first leak (commit, author, date, path), every location, whether it is still
    /// in HEAD or in build output, and with --verify whether it is live. Ends with a
    /// numbered to-do list. --html writes the same as one self-contained page, with a
    /// timeline and filters. --revoke revokes the keys found live (implies --verify).
    #[command(after_help = "Examples:
  qrcp-scan audit
  qrcp-scan audit ../web --verify --html audit.html")]
    Audit(AuditArgs),
    /// List or check the rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Baselines: known findings that should not fail CI again.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Ask the QRCodePro API whether found keys still work (sends each key once).
    ///
    /// Scans like `dir` (or reads an earlier JSON report with --report) and checks
    /// each distinct key with `GET /v1/qrcodes?limit=1`, the key as the bearer:
    /// active (200, or 403: valid key, plan without API access), inactive (401),
    /// unknown (the API did not answer). The verdict is in every output format.
    /// `qrcp-scan dir --verify` does the same.
    #[command(after_help = "Examples:
  qrcp-scan verify web/
  qrcp-scan verify --report report.json --format json")]
    Verify(VerifyArgs),
    /// Revoke leaked keys listed in a JSON report (`POST /v1/api_keys/revoke`).
    ///
    /// Keys are read back from the places the report names (reports hold redacted
    /// keys) and used only if their SHA-256 matches the report's fingerprint. Asks
    /// for confirmation on a terminal; --yes is required otherwise. Every attempt is
    /// appended to the audit log.
    ///
    /// Exit status: 0 when every targeted key ended revoked or already inactive
    /// (or would be, with --dry-run), 1 when any key failed or could not be read
    /// back, 2 for usage errors.
    #[command(after_help = "Example:
  qrcp-scan revoke --report report.json --only-live")]
    Revoke(RevokeArgs),
    /// Scan an organisation's repositories, sharded over a CI matrix or an
    /// Indexed Job, and merge the shards into one report grouped per key.
    ///
    /// `org plan` assigns the repositories of a list to N shards, `org scan`
    /// scans one shard (clones into a cache, whole history as `git` does) and
    /// writes JSONL, `org merge` joins the shards' JSONL: each distinct key once,
    /// with every repository where it lives, verified with one request per key.
    #[command(
        subcommand,
        after_help = "Examples:
  qrcp-scan org plan --repos repos.txt --shards 4 --format github-matrix
  qrcp-scan org scan --repos repos.txt --shard 2/4 --output shard-2.jsonl
  qrcp-scan org merge shard-*.jsonl --format html --output org.html"
    )]
    Org(OrgCommand),
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum OrgCommand {
    /// Print which repositories each shard scans.
    ///
    /// The assignment is deterministic (the same list gives the same shards on
    /// every machine) and balanced by size: a size in bytes after a repository in
    /// the list, or the object database of a local repository; by count when no
    /// size is known. `github-matrix` prints JSON for `strategy.matrix` through
    /// `fromJSON`; each entry's `shard` is what `org scan --shard` takes.
    #[command(after_help = "Examples:
  qrcp-scan org plan --repos repos.txt --shards 8
  qrcp-scan org plan --repos repos.txt --shards 8 --format github-matrix")]
    Plan(OrgPlanArgs),
    /// Scan the repositories of one shard and write its JSONL.
    ///
    /// A URL is cloned bare (`git clone --mirror`, so credential helpers and SSH
    /// keys work as for git itself) into the cache, or refreshed when already
    /// there; a local repository is read in place. Each history is scanned as
    /// `qrcp-scan git` does. The JSONL has a `shard` line first, then per
    /// repository its `finding` lines (secrets redacted) and a `repository`
    /// summary, or a `failure` line with the reason. Exit status over the shard:
    /// 1 findings, else 2 when a repository failed, else 0.
    #[command(after_help = "Examples:
  qrcp-scan org scan --repos repos.txt --output org.jsonl
  qrcp-scan org scan --repos repos.txt --shard 3/8 --output shard-3.jsonl
  JOB_COMPLETION_INDEX=2 qrcp-scan org scan --repos r.txt --shard-from-env \\
    --shards 8 -o o.jsonl")]
    Scan(OrgScanArgs),
    /// Join shard outputs into one report grouped per key.
    ///
    /// Order does not matter and a shard given twice counts once; missing shards,
    /// failed repositories and shards of another list are named (exit 2 unless
    /// there are findings). --verify sends one request per distinct key across
    /// the organisation; --revoke revokes as `qrcp-scan revoke` does. Keys are read
    /// back from the repositories for that (local ones in place, cloned ones from
    /// --cache, cloned again by URL when not there): give the merge job the cache,
    /// or access to the repositories.
    #[command(after_help = "Examples:
  qrcp-scan org merge shard-*.jsonl
  qrcp-scan org merge shard-*.jsonl --format sarif --output org.sarif
  qrcp-scan org merge shard-*.jsonl --verify --format json")]
    Merge(OrgMergeArgs),
}

#[derive(Debug, Args)]
pub struct OrgPlanArgs {
    /// The repository list: one a line (a local path, file://, https:// or ssh://
    /// URL, or git@host:path), optionally followed by its size in bytes; `#`
    /// comments and blank lines are ignored.
    #[arg(long, value_name = "FILE")]
    pub repos: PathBuf,
    /// Number of shards.
    #[arg(long, value_name = "N")]
    pub shards: usize,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = PlanFormat::Lines)]
    pub format: PlanFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// `K/N<TAB>repository`, one line per repository.
    Lines,
    /// `{"plan": …, "include": [{"shard": "1/N", …}]}` for a GitHub Actions matrix.
    GithubMatrix,
}

#[derive(Debug, Args)]
pub struct OrgScanArgs {
    /// The repository list (see `org plan`).
    #[arg(long, value_name = "FILE")]
    pub repos: PathBuf,
    /// Scan shard K of N (K counts from 1, as `org plan` prints it) [default: every
    /// repository]
    #[arg(long, value_name = "K/N", conflicts_with = "shard_from_env")]
    pub shard: Option<String>,
    /// Take K from JOB_COMPLETION_INDEX (0-based, as a Kubernetes Indexed Job sets
    /// it: index 0 is shard 1); N from --shards.
    #[arg(long, requires = "shards")]
    pub shard_from_env: bool,
    /// The shard count N, with --shard-from-env.
    #[arg(long, value_name = "N", requires = "shard_from_env")]
    pub shards: Option<usize>,
    /// Where clones are kept (and refreshed on later runs) [default:
    /// $XDG_CACHE_HOME/qrcp-scan/org, else ~/.cache/qrcp-scan/org]
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// The JSONL to write.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Configuration file for every repository (allowlist, rules, sizes).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub rules: RulesArgs,
    /// Show secrets in full in the JSONL. Shard outputs travel as artifacts: think twice.
    #[arg(long)]
    pub no_redact: bool,
    /// Threads per repository scan [default: the number of CPUs]
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Skip blobs larger than SIZE, with a note (e.g. 50M, 1G, 4096) [default: 50M]
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrgFormat {
    /// One block per key with every repository and place, and a summary line.
    Human,
    /// One JSON object: `keys` (each with `fingerprint` and `repositories`),
    /// `findings`, `repositories`, `failures`, `shards`.
    Json,
    /// SARIF 2.1.0; paths are prefixed with their repository.
    Sarif,
    /// The audit page at organisation scale (one self-contained HTML file).
    Html,
}

#[derive(Debug, Args)]
pub struct OrgMergeArgs {
    /// JSONL outputs of `org scan`, one per shard (any order; duplicates count once).
    #[arg(value_name = "SHARD.jsonl", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OrgFormat::Human)]
    pub format: OrgFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Where `org scan` kept its clones: keys are read back from there for
    /// --verify and --revoke [default: as for `org scan`]
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Show secrets in full (read back from the repositories; needs --verify or
    /// --revoke to read them).
    #[arg(long)]
    pub no_redact: bool,
    /// Ask the QRCodePro API whether each distinct key works (one request per key).
    #[arg(long)]
    pub verify: bool,
    /// Revoke every distinct key (see `qrcp-scan revoke`); outcomes on standard error.
    #[arg(long)]
    pub revoke: bool,
    #[command(flatten)]
    pub rules: RulesArgs,
    // Flattened groups last: their help headings carry over to later fields.
    #[command(flatten)]
    pub revocation: RevokeFlags,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Verify the keys of this JSON report (`--format json` output of an earlier
    /// scan) instead of scanning.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["paths", "no_ignore", "follow", "binary"])]
    pub report: Option<PathBuf>,
    /// Where the report's relative paths (and git repository) are, when keys are
    /// read back from a report [default: .]
    #[arg(long, value_name = "DIR", requires = "report")]
    pub root: Option<PathBuf>,
    #[command(flatten)]
    pub dir: DirArgs,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The JSON report (`--format json`) that lists the leaked keys.
    #[arg(long, value_name = "FILE")]
    pub report: PathBuf,
    /// Where the report's relative paths (and git repository) are [default: .]
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Output format of the outcomes.
    #[arg(long, short = 'f', value_enum, default_value_t = OutcomeFormat::Human)]
    pub format: OutcomeFormat,
    /// Write the outcomes to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub rules: RulesArgs,
    // Flattened groups last: their help headings carry over to later fields.
    #[command(flatten)]
    pub revoke: RevokeFlags,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// The git hook a scan runs as (`--hook`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HookKind {
    /// Blocks a commit (`qrcp-scan staged` from a pre-commit hook).
    PreCommit,
    /// Blocks a push (`qrcp-scan git --range …` from a pre-push hook).
    PrePush,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutcomeFormat {
    /// A table and a summary line.
    Human,
    /// One JSON object.
    Json,
}

// How revocation runs (`revoke`, and scans given --revoke).
#[derive(Debug, Args)]
#[command(next_help_heading = "Revocation")]
pub struct RevokeFlags {
    /// Send nothing: print which keys would be revoked.
    #[arg(long)]
    pub dry_run: bool,
    /// Don't ask for confirmation (required when standard input is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Leave test keys (qrcp_test_…) alone: revoke live keys only.
    #[arg(long)]
    pub only_live: bool,
}

// The QRCodePro API: where it is and how hard to push it.
#[derive(Debug, Args)]
#[command(next_help_heading = "QRCodePro API")]
pub struct ApiArgs {
    /// Base URL of the API. HTTPS only, except for loopback hosts (tests).
    #[arg(
        long,
        value_name = "URL",
        env = "QRCP_SCAN_API_URL",
        default_value = "https://api.qrcodepro.io"
    )]
    pub api_url: String,
    /// Connect timeout and read timeout of each request (`10s`, `500ms`, `2`).
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub api_timeout: String,
    /// Send at most N requests a minute, whatever the keys (our own cap, on top of
    /// the API's per-key limits).
    #[arg(long, value_name = "N", default_value_t = 600)]
    pub api_rate: u32,
    /// Requests per key and action at most, retries after a 429 or a service error
    /// (5xx, bad body, timeout, dropped connection) included.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub api_tries: u32,
    /// Append one JSON line per API request to FILE (time, action, fingerprint,
    /// redacted key, location, outcome, HTTP status). Every API action is audited,
    /// never in the scanned folder [default: $XDG_STATE_HOME/qrcp-scan/audit.jsonl,
    /// else ~/.local/state/qrcp-scan/audit.jsonl]
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum BaselineCommand {
    /// Run a scan and write its findings as a baseline (JSON, to stdout or --output).
    ///
    /// A baseline lists (rule, path, fingerprint) and no secret or timestamp, sorted
    /// so that it merges cleanly. Later scans given `--baseline FILE` hide those
    /// findings, wherever they moved within the file, and fail only on new ones.
    #[command(
        subcommand,
        after_help = "Example:
  qrcp-scan baseline create dir . > .qrcp-scan-baseline.json"
    )]
    Create(ScanCommand),
}

/// The scans a baseline can be made from.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ScanCommand {
    /// Folders and files, as `qrcp-scan dir`.
    Dir(DirArgs),
    /// Standard input, as `qrcp-scan stdin`.
    Stdin(StdinArgs),
    /// A deployed site, as `qrcp-scan url`.
    Url(UrlArgs),
    /// Git history, as `qrcp-scan git`.
    Git(GitArgs),
    /// The staged change, as `qrcp-scan staged`.
    Staged(StagedArgs),
}

#[derive(Debug, Args)]
pub struct UrlArgs {
    /// Pages to scan (http:// or https://).
    #[arg(value_name = "URL", required = true)]
    pub urls: Vec<String>,
    /// Also fetch scripts and source maps from other origins (CDNs).
    #[arg(long)]
    pub cross_origin: bool,
    /// Also connect to link-local and cloud metadata addresses, and to loopback
    /// or private addresses other than those of the URLs given (refused by default,
    /// even with --cross-origin).
    #[arg(long)]
    pub allow_private_addresses: bool,
    /// Scripts fetched per page at most (lazily loaded chunks included).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_scripts: usize,
    /// How long to wait for a connection, and for each part of a response (`10s`,
    /// `500ms`, `2`).
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub timeout: String,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The repository (a working tree, a folder in one, or a bare repository).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Also write the audit as one self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
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
pub struct GitArgs {
    /// The repository (a working tree, a bare repository or a worktree).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// A revision: scan the commits reachable from HEAD but not from REV
    /// (REV..HEAD), e.g. `--since origin/main` on a pull request. Otherwise a date,
    /// as `git log --since` takes it: scan the commits of HEAD committed since then
    /// (2026-03-01, 2026-03-01T10:00, "2 weeks ago", yesterday; UTC unless an
    /// offset is given). A revision is tried first.
    #[arg(long, value_name = "REV|DATE", conflicts_with_all = ["range", "branch"])]
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
    /// The repository (a working tree or a folder in one).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// The repository (a working tree or a folder in one).
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
#[command(defer = true)]
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

// Options common to every scan. (A plain comment: a doc comment on a flattened
// struct becomes the about of the subcommand it is built into.)
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration file [default: the nearest .qrcp-scan.toml from the first
    /// scanned folder up to the root of its git repository, if any]
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
    /// Ask the QRCodePro API whether each found key works (see `qrcp-scan verify`).
    #[arg(long)]
    pub verify: bool,
    /// Revoke every found key through the QRCodePro API after the scan (see
    /// `qrcp-scan revoke`); the outcomes go to standard error.
    #[arg(long)]
    pub revoke: bool,
    /// When to use colours in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Number of threads [default: the number of CPUs]
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Skip files (and archive members, and responses) larger than SIZE, with a note
    /// (e.g. 50M, 1G, 4096; binary units: 50M, 50MB and 50MiB all mean 50 MiB)
    /// [default: 50M]
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,
    /// Stop unpacking one archive (nested ones included) past SIZE unpacked; the
    /// rest is reported as incomplete [default: 1G]
    #[arg(long, value_name = "SIZE")]
    pub max_archive_size: Option<String>,
    /// Members read from one archive; the rest is reported as incomplete
    /// [default: 100000]
    #[arg(long, value_name = "N")]
    pub max_archive_members: Option<usize>,
    /// Unpacked bytes per compressed byte (judged past 4 MiB unpacked) past which
    /// a stream is an archive bomb: the rest of it is reported as incomplete
    /// [default: 100]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_compression_ratio: Option<u64>,
    /// Archives unpacked inside archives (`a.zip!b.jar!c.js` is 2); deeper ones are
    /// reported as incomplete [default: 3]
    #[arg(long, value_name = "N")]
    pub max_archive_depth: Option<usize>,
    /// Encodings undone one inside another (base64 of percent-encoded text is 2);
    /// where the last one undone holds another, the file is reported as incomplete
    /// [default: 3]
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u8).range(1..=crate::decode::MAX_DEPTH_LIMIT as i64)
    )]
    pub max_decode_depth: Option<u8>,
    /// Show progress on standard error: a bar on a terminal; elsewhere (a pipe, a CI
    /// log) a plain line every 5 seconds and one at the end. Without it: a bar
    /// when standard error is a terminal and the scan takes more than a second.
    #[arg(long, overrides_with = "no_progress")]
    pub progress: bool,
    /// Show no progress at all, not even with a terminal on standard error.
    #[arg(long, overrides_with = "progress")]
    pub no_progress: bool,
    // Flattened groups last: their help headings carry over to later fields.
    /// Set by the hooks that run qrcp-scan (`install-hook`, .pre-commit-hooks.yaml):
    /// when findings block, say that the commit or push is blocked and how to go on.
    #[arg(long, value_enum, value_name = "HOOK")]
    pub hook: Option<HookKind>,
    #[command(flatten)]
    pub revocation: RevokeFlags,
    #[command(flatten)]
    pub api: ApiArgs,
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
    /// Any finding.
    Note,
    /// Never: exit 0 even with findings (errors still exit 2).
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colours when standard output is a terminal and NO_COLOR is not set.
    Auto,
    /// Colours even into a pipe or a file.
    Always,
    /// No colours.
    Never,
}

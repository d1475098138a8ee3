//! What an audit is: key groups, commits, dotenv files, and the whole `Audit`.

use super::*;

/// The note on findings in ignored files that were never committed.
pub const LOCAL_ONLY: &str =
    "local only: this file is ignored and was never committed at this path";

/// The note on findings in ignored files that were committed once (then untracked
/// with `git rm --cached`): the key is in history and still on disk.
pub const UNTRACKED_LOCAL: &str =
    "local file: ignored, no longer tracked, committed before: it still holds the key on disk";

/// A commit, as the audit shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Event {
    pub commit: String,
    pub author: String,
    pub date: String,
    /// Seconds since the epoch (for ordering and the timeline).
    #[serde(skip)]
    pub epoch: i64,
    pub path: Option<String>,
    /// False for a commit that no ref reaches any more (amended away, a deleted
    /// branch): its date and author are still known.
    pub reachable: bool,
}

/// One distinct key and everything known about it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyGroup {
    pub fingerprint: String,
    pub rule: String,
    /// `live`, `test`, or the rule id for a user's rule.
    pub kind: String,
    /// `qrcp_live_Ab3x…` (the full key with `--no-redact`).
    pub key: String,
    /// The commit that first put it into the repository.
    pub first_leak: Option<Event>,
    /// The commit on HEAD's first-parent line that took it out, when it is gone
    /// from HEAD and once was on that line.
    pub removed: Option<Event>,
    pub in_head: bool,
    pub in_working_tree: bool,
    pub in_build_output: bool,
    /// In an ignored, untracked file on disk that was committed before (`.env`
    /// after `git rm --cached`).
    pub in_local_file: bool,
    /// In the index: staged, not committed yet.
    pub staged: bool,
    /// Only in objects no ref reaches (amended away, dangling).
    pub unreachable_only: bool,
    /// Only in files that are neither committed nor tracked (ignored `.env`).
    pub local_only: bool,
    pub verification: Option<crate::finding::Verification>,
    /// Every place it was found, in report order.
    #[serde(skip)]
    pub locations: Vec<Finding>,
}

impl KeyGroup {
    /// The status filter of the HTML report and the summary table.
    pub fn status(&self) -> &'static str {
        if self.local_only {
            "local only"
        } else if self.in_head {
            "in HEAD"
        } else if self.staged {
            "staged"
        } else if self.in_working_tree || self.in_build_output {
            "in working tree"
        } else if self.in_local_file {
            "in local file"
        } else if self.unreachable_only {
            "unreachable"
        } else {
            "history only"
        }
    }
}

/// A dotenv file: committed (at some point), tracked now, or only local.
#[derive(Debug, Clone, Serialize)]
pub struct DotenvFile {
    pub path: String,
    pub first_commit: Option<Event>,
    /// In HEAD's tree now.
    pub tracked: bool,
    /// Present in the working tree but ignored and never committed at this path.
    pub local_only: bool,
    /// Present in the working tree, ignored and untracked (committed or not).
    pub ignored_on_disk: bool,
}

impl DotenvFile {
    /// Its state in words, with `event` formatting the commit (text or HTML).
    pub fn state(&self, event: impl Fn(&Event) -> String) -> String {
        match (&self.first_commit, self.tracked, self.local_only) {
            (_, _, true) => "local only, not committed (ignored)".to_string(),
            (Some(e), true, _) => format!("committed {}; still tracked", event(e)),
            (Some(e), false, _) if self.ignored_on_disk => format!(
                "committed {}; no longer tracked, still in history, and still on disk (ignored)",
                event(e)
            ),
            (Some(e), false, _) => format!(
                "committed {}; no longer tracked, still in history",
                event(e)
            ),
            (None, true, _) => "tracked".to_string(),
            (None, false, _) => {
                "untracked and not ignored: the next `git add -A` commits it".to_string()
            }
        }
    }
}

/// Everything `audit` found, ready to render.
pub struct Audit {
    /// The HTML page's title and heading (`qrcp-scan audit`, or the organisation's).
    pub title: &'static str,
    pub repo: String,
    pub head: Option<String>,
    pub keys: Vec<KeyGroup>,
    pub dotenv: Vec<DotenvFile>,
    /// `client-exposed-env` findings, deduplicated by (path, variable).
    pub exposed: Vec<Finding>,
    pub todo: Vec<String>,
    pub outcome: Scanned,
}

/// The variable name of a `client-exposed-env` finding.
pub fn variable_of(f: &Finding) -> String {
    f.context
        .as_ref()
        .map(|c| c.text[c.span.clone()].to_string())
        .unwrap_or_default()
}

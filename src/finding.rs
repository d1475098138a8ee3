//! A finding: what a detector reports about one place in one blob. A plain value
//! that filters, verifiers and reporters pass along; it holds the raw secret, and
//! only reporters decide (with `--no-redact`) whether to show it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::rules::Severity;

/// The marker that allows a line.
pub const INLINE_ALLOW: &str = "qrcp-scan:allow";

/// Where the bytes came from (the `source` field of the output contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    File,
    Stdin,
    /// A blob or message of a commit that a ref reaches.
    Git,
    /// An object that no ref reaches (amended-away or dangling).
    GitUnreachable,
    /// The staged change (`qrcp-scan staged`).
    Staged,
    /// A history scan's blob that no commit holds but the index does: staged at
    /// its index path, not committed yet.
    GitStaged,
    /// A deployed site's page, scripts and source maps (`qrcp-scan url`).
    Url,
}

impl SourceKind {
    /// The wire spelling, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::File => "file",
            SourceKind::Stdin => "stdin",
            SourceKind::Git => "git",
            SourceKind::GitUnreachable => "git-unreachable",
            SourceKind::Staged => "staged",
            SourceKind::GitStaged => "git-staged",
            SourceKind::Url => "url",
        }
    }

    /// The wire spelling (`file`, `git-unreachable`, …), as in `source`.
    pub fn parse(s: &str) -> Option<SourceKind> {
        Some(match s {
            "file" => SourceKind::File,
            "stdin" => SourceKind::Stdin,
            "git" => SourceKind::Git,
            "git-unreachable" => SourceKind::GitUnreachable,
            "staged" => SourceKind::Staged,
            "git-staged" => SourceKind::GitStaged,
            "url" => SourceKind::Url,
            _ => return None,
        })
    }
}

/// What the API said of a finding's key (`--verify`), as the `verification` field
/// spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verification {
    Active,
    Inactive,
    Unknown,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Active => "active",
            Verification::Inactive => "inactive",
            Verification::Unknown => "unknown",
        }
    }

    /// The wire spelling back (`None` for anything else).
    pub fn parse(s: &str) -> Option<Verification> {
        Some(match s {
            "active" => Verification::Active,
            "inactive" => Verification::Inactive,
            "unknown" => Verification::Unknown,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The commit that introduced a blob at a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// RFC 3339.
    pub date: String,
}

/// Where a blob sits: its provenance, shared by every finding in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Provenance {
    pub source: SourceKind,
    /// Display path with `/` separators (`a.zip!inner/x.js` for archive members),
    /// `None` for a commit message.
    pub path: Option<String>,
    pub commit: Option<CommitInfo>,
    /// For an object no ref reaches: the commit (or tag) that holds it, when one
    /// does (amended away). The contract's `commit` stays null; the audit dates the
    /// leak with this one.
    pub unreached: Option<CommitInfo>,
}

impl Provenance {
    pub fn file(path: String) -> Self {
        Provenance {
            source: SourceKind::File,
            path: Some(path),
            commit: None,
            unreached: None,
        }
    }
}

/// One decoding step that hid a key, as the output contract names it (`encoding`,
/// `decoding`): what a decoding layer undid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Encoding {
    #[serde(rename = "base64")]
    Base64,
    /// `%5F`, also double (`%255F`).
    #[serde(rename = "percent")]
    Percent,
    /// `\u005f`, `\x5f`, octal, `\u{…}`, HTML entities, JSON escapes.
    #[serde(rename = "escape")]
    Escape,
    /// String literals joined (`"qrcp_" + "live_…"`, `.join('')`, adjacent literals).
    #[serde(rename = "concatenation")]
    Concatenation,
    #[serde(rename = "utf-16")]
    Utf16,
    #[serde(rename = "utf-32")]
    Utf32,
    /// Hex digits, two a byte (`717263705f…`, `71:72:63:70…`).
    #[serde(rename = "hex")]
    Hex,
    /// A list of character or byte codes (`String.fromCharCode(113,114,…)`,
    /// `bytes([113, 114, …])`, `{0x71, 0x72, …}`).
    #[serde(rename = "char-codes")]
    CharCodes,
    /// MIME quoted-printable (`=5F`, lines wrapped by `=` at their end).
    #[serde(rename = "quoted-printable")]
    QuotedPrintable,
    /// Invisible characters (zero-width spaces and joiners, soft hyphens, a BOM)
    /// and HTML tags (`<wbr>`, `<span>`) inside a key, removed.
    #[serde(rename = "invisible")]
    Invisible,
    /// Letters rotated by 13 (`depc_yvir_…`, Python's `codecs.decode(s, "rot13")`).
    #[serde(rename = "rot13")]
    Rot13,
    /// Printable ASCII rotated by 47 (`BC4A0=:G60…`, CyberChef's ROT47).
    #[serde(rename = "rot47")]
    Rot47,
    /// Written backwards (`"…_evil_pcrq".split("").reverse().join("")`, `s[::-1]`).
    #[serde(rename = "reversed")]
    Reversed,
    /// Base32 (RFC 4648, upper-case: `OFZGG4C7NRUXMZK7…`).
    #[serde(rename = "base32")]
    Base32,
    /// Base85, RFC 1924's alphabet or Ascii85 (Python's `b85encode`,
    /// `a85encode`).
    #[serde(rename = "base85")]
    Base85,
    /// Base58, Bitcoin's alphabet (CyberChef's "To Base58", Python's
    /// `base58.b58encode`).
    #[serde(rename = "base58")]
    Base58,
    /// Binary digits, eight a byte (`01110001 01110010…`, or one run of them).
    #[serde(rename = "binary")]
    Binary,
    /// javascript-obfuscator's string array: strings moved into one array,
    /// base64-encoded in its alphabet or RC4-encrypted, split, and read back
    /// through decoder calls (`_0x4b32(0x1c6)`).
    #[serde(rename = "string-array")]
    StringArray,
}

impl Encoding {
    /// What people read in a note (`decoded from base64, then percent-encoding`).
    pub fn describe(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Percent => "percent-encoding",
            Encoding::Escape => "escape sequences",
            Encoding::Concatenation => "joined string literals",
            Encoding::Utf16 => "UTF-16",
            Encoding::Utf32 => "UTF-32",
            Encoding::Hex => "hex",
            Encoding::CharCodes => "character codes",
            Encoding::QuotedPrintable => "quoted-printable",
            Encoding::Invisible => "text with invisible characters or tags",
            Encoding::Rot13 => "ROT13",
            Encoding::Rot47 => "ROT47",
            Encoding::Reversed => "text written backwards",
            Encoding::Base32 => "base32",
            Encoding::Base85 => "base85",
            Encoding::Base58 => "base58",
            Encoding::Binary => "binary digits",
            Encoding::StringArray => "javascript-obfuscator's string array",
        }
    }
}

/// What kind of container a finding sits in (a [`Hop`]'s `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HopKind {
    /// A zip archive (`.zip`, `.jar`, `.whl`, …) member.
    Zip,
    /// A tar archive member.
    Tar,
    /// The stream of a `.gz` (a `.tar.gz` is gzip, then tar).
    Gzip,
    /// A member of a gzip-compressed tar archive (`.tar.gz`, `.tgz`).
    #[serde(rename = "tar.gz")]
    TarGz,
    /// The stream of a precompressed `.br`.
    Brotli,
    /// The stream of a `.zst` (Zstandard).
    Zstd,
    /// The stream of a `.deflate`, `.zz` or `.zlib` (raw deflate or zlib).
    Deflate,
    /// The stream of a `.bz2`.
    Bzip2,
    /// The stream of a `.xz` or a `.lzma`.
    Xz,
    /// A `data:` URI written in the text (`data[1]`), or a script's inline
    /// `sourceMappingURL=data:…` map.
    DataUri,
    /// Base64 in the text that decodes to a compressed stream or archive.
    Base64,
    /// Hex digits in the text that decode to a compressed stream or archive.
    Hex,
    /// An HTML page's inline `<script>` body (`script[2]`).
    HtmlScript,
    /// An original source held in a source map's `sourcesContent`.
    SourceMap,
    /// A notebook cell (`cell[3]`) or its output (`cell[3]-output`).
    Notebook,
    /// A kind this build does not know (read from a newer report).
    #[serde(other)]
    Other,
}

impl HopKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HopKind::Zip => "zip",
            HopKind::Tar => "tar",
            HopKind::Gzip => "gzip",
            HopKind::TarGz => "tar.gz",
            HopKind::Brotli => "brotli",
            HopKind::Zstd => "zstd",
            HopKind::Deflate => "deflate",
            HopKind::Bzip2 => "bzip2",
            HopKind::Xz => "xz",
            HopKind::DataUri => "data-uri",
            HopKind::Base64 => "base64",
            HopKind::Hex => "hex",
            HopKind::HtmlScript => "html-script",
            HopKind::SourceMap => "source-map",
            HopKind::Notebook => "notebook",
            HopKind::Other => "other",
        }
    }
}

/// One step from a physical file into what it holds: a container of `kind` and the
/// member of it the finding sits in. A finding's hops go outermost first
/// (`site.zip!assets/app.js.br!app.js` is zip `assets/app.js.br`, then brotli
/// `app.js`); its `path` stays the display path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hop {
    pub kind: HopKind,
    pub member: String,
}

/// The logical place of a finding where it differs from the physical one (the
/// original source file of a source map).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Origin {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// The line around a finding, clipped for long lines, as raw (unredacted,
/// unsanitised) text. Reporters redact and escape it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Context {
    pub text: String,
    /// Byte range of the match within `text`.
    pub span: std::ops::Range<usize>,
    pub clipped_start: bool,
    pub clipped_end: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub provenance: Provenance,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    /// The full secret (secret rules only); never printed unredacted by default.
    pub secret: Option<String>,
    /// Length of the literal prefix (`qrcp_live_`) kept when redacting.
    pub secret_prefix_len: usize,
    pub fingerprint: Option<String>,
    /// The decodings that hid the key, outermost first; empty for a plain match.
    pub decoding: Vec<Encoding>,
    /// The containers the finding sits in, outermost first; empty for a file's own
    /// bytes.
    pub hops: Vec<Hop>,
    pub origin: Option<Origin>,
    pub verification: Option<Verification>,
    pub context: Option<Context>,
    /// Extra lines for people (`= note: …`).
    pub notes: Vec<String>,
    /// The line carries `qrcp-scan:allow`.
    pub inline_allowed: bool,
    /// The key runs straight into binary data: its body may end before the match
    /// does (`detect::ends`). Verify does not call it inactive; revoke skips it.
    pub ambiguous_end: bool,
}

impl Finding {
    /// The secret as an output shows it: redacted (`qrcp_live_Ab3x…`) unless
    /// `--no-redact`. The one place that makes that choice.
    pub fn shown_secret(&self, redacted: bool) -> Option<String> {
        self.secret.as_deref().map(|s| {
            if redacted {
                redact(s, self.secret_prefix_len)
            } else {
                s.to_string()
            }
        })
    }

    /// The outermost decoding (the `encoding` field of the output contract).
    pub fn encoding(&self) -> Option<Encoding> {
        self.decoding.first().copied()
    }

    /// Sort key: path, then position, then rule. Reports are deterministic whatever
    /// the thread count.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.provenance.path.as_deref(),
            self.provenance.commit.as_ref().map(|c| c.id.as_str()),
            self.line,
            self.column,
            self.rule.as_str(),
            self.fingerprint.as_deref(),
        )
    }
}

/// SHA-256 of the whole secret, lower-case hex: one key, one fingerprint, everywhere.
pub fn fingerprint(secret: &[u8]) -> String {
    let digest = Sha256::digest(secret);
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    hex
}

/// `qrcp_live_Ab3x…`: the prefix and four characters of the body.
pub fn redact(secret: &str, prefix_len: usize) -> String {
    let prefix_len = if secret.is_char_boundary(prefix_len) {
        prefix_len
    } else {
        0
    };
    let (prefix, body) = secret.split_at(prefix_len);
    let shown: String = body.chars().take(4).collect();
    format!("{prefix}{shown}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_sha256_hex() {
        assert_eq!(
            fingerprint(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn redacts_after_prefix() {
        assert_eq!(
            redact("qrcp_live_Ab3xYYYYYYYYYYYYYYYYY", 10),
            "qrcp_live_Ab3x…"
        );
        assert_eq!(redact("abc", 0), "abc…");
    }
}

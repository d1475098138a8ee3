//! Issue 11, hostile structure and names: crafted `.git/index` files, the sparse
//! index, commits dated in the year 10000 and beyond, file names that hold
//! invisible characters or characters XML forbids. Each runs the real binary on
//! what git itself (or a byte-exact forgery) puts on disk.

use std::process::Output;

use crate::git::Repo;
use crate::util::*;

/// No panic, no abort, no backtrace: a clean exit with the given status.
fn assert_clean_exit(o: &Output, status: i32) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(status), "{err}");
    for bad in ["panicked", "overflow", "backtrace", "memory allocation"] {
        assert!(!err.contains(bad), "{err}");
    }
}

/// A stage-0 index entry of version 2: zeroed stat data, `mode`, `id`, `path`,
/// NUL-padded to a multiple of eight bytes.
fn index_entry(mode: u32, id: &str, path: &[u8]) -> Vec<u8> {
    let mut e = vec![0u8; 24];
    e.extend_from_slice(&mode.to_be_bytes());
    e.extend_from_slice(&[0; 12]);
    e.extend_from_slice(git2::Oid::from_str(id).unwrap().as_bytes());
    e.extend_from_slice(&(path.len().min(0xfff) as u16).to_be_bytes());
    e.extend_from_slice(path);
    let len = (e.len() + 8) & !7;
    e.resize(len, 0);
    e
}

/// An index file: header, entries, extensions and a zero checksum (as git
/// writes with `index.skipHash`).
fn index_file(count: u32, entries: &[Vec<u8>], extensions: &[u8]) -> Vec<u8> {
    let mut d = b"DIRC\0\0\0\x02".to_vec();
    d.extend_from_slice(&count.to_be_bytes());
    for e in entries {
        d.extend_from_slice(e);
    }
    d.extend_from_slice(extensions);
    d.extend_from_slice(&[0; 20]);
    d
}

/// A cache tree (TREE extension) nested `depth` folders deep, all invalid.
fn deep_cache_tree(depth: usize) -> Vec<u8> {
    let mut body = b"\0-1 1\n".to_vec();
    for _ in 1..depth {
        body.extend_from_slice(b"a\0-1 1\n");
    }
    body.extend_from_slice(b"a\0-1 0\n");
    let mut ext = b"TREE".to_vec();
    ext.extend_from_slice(&(body.len() as u32).to_be_bytes());
    ext.extend_from_slice(&body);
    ext
}

fn row(rule: &str, path: &str, line: u64) -> (String, String, Option<u64>) {
    (rule.to_string(), path.to_string(), Some(line))
}

/// A repository with one commit and a staged file holding `key`; returns the
/// staged blob's id.
fn staged_key(r: &Repo, key: &str) -> String {
    r.write("old.txt", "nothing\n");
    r.commit("one");
    r.write("k.js", &format!("k = '{key}'\n"));
    r.git(&["add", "k.js"]);
    r.git(&["rev-parse", ":k.js"])
}

/// Crafted index files: a claimed count of four billion (12 and 32 bytes), an
/// index cut inside its entries, an extension claiming more bytes than remain.
/// Each is a one-line error naming the index and the fault, exit 2; before,
/// the first aborted on a 206 GB allocation.
#[test]
fn r11_staged_refuses_crafted_index_files_in_one_line() {
    let r = Repo::init();
    let key = live_key();
    let id = staged_key(&r, &key);
    let entry = index_entry(0o100644, &id, b"k.js");
    let index = r.dir.join(".git/index");
    // Long paths, so that the count alone does not give the cut away.
    let long = index_entry(0o100644, &id, "l".repeat(300).as_bytes());
    let mut cut = index_file(2, &[long.clone(), long.clone()], b"");
    cut.truncate(12 + long.len() + 200);
    let cases: [(Vec<u8>, &str); 4] = [
        (
            b"DIRC\0\0\0\x02\xff\xff\xff\xff".to_vec(),
            "12 bytes, fewer than a header and a checksum",
        ),
        (
            index_file(u32::MAX, &[], b""),
            "it claims 4294967295 entries, but its 32 bytes hold at most 0",
        ),
        (cut, "entry 2 of 2 is cut short"),
        (
            index_file(1, &[entry], b"TREE\0\0\x10\0"),
            "extension TREE claims 4096 bytes, but 0 remain",
        ),
    ];
    for (bytes, why) in cases {
        std::fs::write(&index, bytes).unwrap();
        let o = r.scan(&["staged"]);
        assert_clean_exit(&o, 2);
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("qrcp-scan: error: ")
                && err.contains(".git/index: not a valid git index: ")
                && err.trim_end().ends_with(why),
            "{err}"
        );
        assert_secret_absent(&o, &key);
    }
}

/// A cache tree nested 200,000 folders deep (before: a stack overflow at
/// 100,000) is read without recursion, and the staged key is still found.
#[test]
fn r11_staged_reads_a_deep_crafted_cache_tree() {
    let r = Repo::init();
    let key = live_key();
    let id = staged_key(&r, &key);
    let entry = index_entry(0o100644, &id, b"k.js");
    std::fs::write(
        r.dir.join(".git/index"),
        index_file(1, &[entry], &deep_cache_tree(200_000)),
    )
    .unwrap();
    let o = r.scan(&["staged", "--format", "json"]);
    assert_clean_exit(&o, 1);
    assert_eq!(found(&json(&o)), vec![row("qrcp-live-key", "k.js", 1)]);
    assert_secret_absent(&o, &key);
}

/// A path 3,000 folders deep, staged with the git CLI (git writes and reads
/// it): before, comparing it with HEAD overflowed the stack; now the key in it
/// is found, and so it is once the index has a cache tree that deep.
#[test]
fn r11_staged_handles_a_path_thousands_of_folders_deep() {
    let r = Repo::init();
    let key = live_key();
    r.write("old.txt", "nothing\n");
    r.commit("one");
    let deep = format!("{}k.js", "d/".repeat(3000));
    let blob = {
        r.write("blob.txt", &format!("k = '{key}'\n"));
        r.git(&["hash-object", "-w", "blob.txt"])
    };
    std::fs::remove_file(r.dir.join("blob.txt")).unwrap();
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("100644,{blob},{deep}"),
    ]);
    let o = r.scan(&["staged", "--format", "json"]);
    assert_clean_exit(&o, 1);
    assert_eq!(found(&json(&o)), vec![row("qrcp-live-key", &deep, 1)]);
    // With a cache tree 3,000 deep (written by git) and a new staged key.
    r.git(&["write-tree"]);
    let other = live_key();
    r.write("new.js", &format!("k = '{other}'\n"));
    r.git(&["add", "new.js"]);
    let o = r.scan(&["staged", "--format", "json"]);
    assert_clean_exit(&o, 1);
    let rows = found(&json(&o));
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_secret_absent(&o, &key);
    assert_secret_absent(&o, &other);
}

/// The sparse index (`sparse-checkout --cone` with `index.sparse`), which
/// libgit2 refuses (`unsupported mandatory extension: 'sdir'`, exit 2, so every
/// commit was blocked): keys staged inside the cone and outside it (`git add
/// --sparse`) are found, and so is a change that only a folder entry holds (after
/// `git reset --soft`, the index's `out/` tree differs from HEAD's).
#[test]
fn r11_staged_works_with_a_sparse_index() {
    let r = Repo::init();
    r.write("in/a.txt", "a\n");
    r.write("out/b.txt", "b\n");
    r.write("out/deep/c.txt", "c\n");
    r.write("root.txt", "r\n");
    r.commit("one");
    r.git(&["sparse-checkout", "init", "--cone"]);
    r.git(&["config", "index.sparse", "true"]);
    r.git(&["sparse-checkout", "set", "in"]);
    let listed = r.git(&["ls-files", "--sparse"]);
    assert!(listed.lines().any(|l| l == "out/"), "{listed}");
    // Nothing staged.
    let o = r.scan(&["staged"]);
    assert_clean_exit(&o, 0);
    // Inside the cone.
    let inside = live_key();
    r.write("in/new.js", &format!("k = '{inside}'\n"));
    r.git(&["add", "in/new.js"]);
    let o = r.scan(&["staged", "--format", "json"]);
    assert_clean_exit(&o, 1);
    assert_eq!(found(&json(&o)), vec![row("qrcp-live-key", "in/new.js", 1)]);
    assert!(
        r.git(&["ls-files", "--sparse"])
            .lines()
            .any(|l| l == "out/")
    );
    r.git(&["commit", "-q", "-m", "two"]);
    // A folder entry whose tree is not HEAD's: commit a key outside the cone,
    // then move HEAD back, leaving the index as it is.
    let outside = test_key();
    r.write("out/deep/s.js", &format!("k = '{outside}'\n"));
    r.git(&["add", "--sparse", "out/deep/s.js"]);
    let o = r.scan(&["staged", "--format", "json"]);
    assert_clean_exit(&o, 1);
    assert_eq!(
        found(&json(&o)),
        vec![row("qrcp-test-key", "out/deep/s.js", 1)]
    );
    r.git(&["commit", "-q", "-m", "three"]);
    r.git(&["sparse-checkout", "reapply"]);
    r.git(&["reset", "--soft", "HEAD~1"]);
    let listed = r.git(&["ls-files", "--sparse"]);
    assert!(listed.lines().any(|l| l == "out/"), "{listed}");
    assert_eq!(r.git(&["diff", "--cached", "--name-only"]), "out/deep/s.js");
    let o = r.scan(&["staged", "--format", "json"]);
    assert_clean_exit(&o, 1);
    assert_eq!(
        found(&json(&o)),
        vec![row("qrcp-test-key", "out/deep/s.js", 1)]
    );
    for k in [&inside, &outside] {
        assert_secret_absent(&o, k);
    }
}

/// Commits dated in the year 10000 (`git commit` accepts `@253402300800`) and
/// at the last second i64 holds (written with `hash-object --literally`):
/// before, the JSON said `10000-01-01T…` and `292277026596-12-04T…` (not RFC
/// 3339) and `audit --html` panicked on an overflow. Now they are git's raw form,
/// which reads back, and the audit's timeline is drawn.
#[test]
fn r11_commits_dated_beyond_year_9999() {
    let r = Repo::init();
    let (early, late, last) = (live_key(), live_key(), live_key());
    r.write("a.js", &format!("k = '{early}'\n"));
    r.commit("early");
    r.write("b.js", &format!("k = '{late}'\n"));
    r.git(&["add", "b.js"]);
    let far = "@253402300800 +0000";
    let o = r
        .cmd()
        .args(["commit", "-q", "-m", "year 10000"])
        .env("GIT_AUTHOR_DATE", far)
        .env("GIT_COMMITTER_DATE", far)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let year_10000 = r.head();
    r.write("c.js", &format!("k = '{last}'\n"));
    r.git(&["add", "c.js"]);
    let tree = r.git(&["write-tree"]);
    let raw = format!(
        "tree {tree}\nparent {year_10000}\nauthor A <a@example.com> 9223372036854775807 +0000\ncommitter C <c@example.com> 9223372036854775807 +0000\n\nthe end of time\n"
    );
    std::fs::write(r.dir.join("commit.txt"), raw).unwrap();
    let commit = r.git(&[
        "hash-object",
        "-t",
        "commit",
        "--literally",
        "-w",
        "commit.txt",
    ]);
    std::fs::remove_file(r.dir.join("commit.txt")).unwrap();
    r.git(&["update-ref", "refs/heads/main", &commit]);

    let o = r.scan(&["git", "--format", "json"]);
    assert_clean_exit(&o, 1);
    let v = json(&o);
    let date_of = |path: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .map(|f| f["date"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(date_of("b.js"), far);
    assert_eq!(date_of("c.js"), "@9223372036854775807 +0000");
    let early_date = date_of("a.js");
    assert_eq!(early_date, r.date(&format!("{year_10000}~1")));

    let html = r.dir.join("../audit.html");
    let o = r.scan(&["audit", "--html", html.to_str().unwrap()]);
    assert_clean_exit(&o, 1);
    let page = std::fs::read_to_string(&html).unwrap();
    let timeline = &page[page.find("<h2>Timeline").expect("a timeline")..];
    let timeline = &timeline[..timeline.find("</svg>").unwrap()];
    assert!(
        !timeline.contains("NaN") && !timeline.contains("inf"),
        "{timeline}"
    );
    // From the first leak to the last date a commit claims.
    let utc_day = r
        .cmd()
        .env("TZ", "UTC")
        .args(["log", "-1", "--date=format-local:%Y-%m-%d", "--format=%ad"])
        .arg(format!("{year_10000}~1"))
        .output()
        .unwrap();
    let utc_day = String::from_utf8(utc_day.stdout).unwrap();
    assert!(
        timeline.contains(&format!(">{}<", utc_day.trim())),
        "{timeline}"
    );
    assert!(timeline.contains(">@9223372036854775807<"), "{timeline}");
    for k in [&early, &late, &last] {
        assert_secret_absent(&o, k);
        assert_text_lacks(&page, k);
    }
}

/// Invisible and line-breaking characters of the issue, one file name each.
const INVISIBLE: &[char] = &[
    '\u{2028}',
    '\u{2029}',
    '\u{200B}',
    '\u{200C}',
    '\u{200D}',
    '\u{200E}',
    '\u{200F}',
    '\u{2060}',
    '\u{2061}',
    '\u{2062}',
    '\u{2063}',
    '\u{2064}',
    '\u{FEFF}',
    '\u{00AD}',
    '\u{061C}',
    '\u{180E}',
    '\u{FFF9}',
    '\u{FFFA}',
    '\u{FFFB}',
    '\u{E0000}',
    '\u{E0001}',
    '\u{E0041}',
    '\u{E007F}',
    '\u{FE0F}',
];

fn escaped(c: char) -> String {
    let cp = c as u32;
    if cp < 0x100 {
        format!("\\x{cp:02x}")
    } else {
        format!("\\u{{{cp:x}}}")
    }
}

/// Before, each of these reached the terminal raw (a U+2028 in a path breaks the
/// line in some terminals and editors, a zero-width one hides a character).
#[test]
fn r11_invisible_characters_in_names_are_escaped() {
    let t = Tree::new();
    let key = live_key();
    for c in INVISIBLE {
        t.write(&format!("n{c}x.js"), format!("k = '{key}'\n"));
    }
    for format in ["human", "github"] {
        let o = t.run(&["dir", "--format", format, "--color", "never"]);
        assert_clean_exit(&o, 1);
        let (out, err) = (stdout(&o), stderr(&o));
        for c in INVISIBLE {
            assert!(
                !out.contains(*c) && !err.contains(*c),
                "{format}: U+{:04X} raw",
                *c as u32
            );
            let shown = match format {
                // Workflow commands have their own escapes.
                "github" => format!("n%u{:04X}x.js", *c as u32),
                _ => format!("n{}x.js", escaped(*c)),
            };
            assert!(out.contains(&shown), "{format}: no {shown} in\n{out}");
        }
        assert_secret_absent(&o, &key);
    }
}

/// File names holding what XML 1.0 forbids (U+FFFE, U+FFFF, C0 controls), a
/// lone surrogate (its CESU-8 bytes, invalid UTF-8) and other invalid bytes:
/// before, U+FFFE and U+FFFF made the JUnit report unparseable. Parsed here by
/// Python's XML parser, as CI systems do.
#[test]
fn r11_junit_is_well_formed_whatever_the_names() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    let key = live_key();
    let names: [&[u8]; 9] = [
        "a\u{FFFE}.js".as_bytes(),
        "b\u{FFFF}.js".as_bytes(),
        b"c\x01.js",
        b"d\x1b[31m.js",
        b"e\x7f\x0b\x0c.js",
        b"f\xed\xa0\x80.js",
        b"g\xff\xfe.js",
        "h\u{2028}\u{85}.js".as_bytes(),
        b"i<&\"'>.js",
    ];
    for name in names {
        let path = t.path().join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(path, format!("k = '{key}'\n")).unwrap();
    }
    let o = t.run(&["dir", "--format", "junit", "--output", "report.xml"]);
    assert_clean_exit(&o, 1);
    let xml = std::fs::read_to_string(t.join("report.xml")).unwrap();
    assert_text_lacks(&xml, &key);
    let parsed = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as ET\n\
             s = ET.parse(sys.argv[1]).getroot().find('testsuite')\n\
             print(s.get('failures'))\n\
             for c in s.findall('testcase'): print(ascii(c.get('file')))",
        ])
        .arg(t.join("report.xml"))
        .output()
        .unwrap();
    assert!(parsed.status.success(), "{}\n{xml}", stderr(&parsed));
    let out = stdout(&parsed);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("9"));
    let mut files: Vec<&str> = lines.collect();
    files.sort();
    // Python's ascii() of each name: escapes spelled visibly, `\\` doubled.
    assert_eq!(
        files,
        [
            r"'a\\u{fffe}.js'",
            r"'b\\u{ffff}.js'",
            r"'c\\x01.js'",
            r"'d\\x1b[31m.js'",
            r"'e\\x7f\\x0b\\x0c.js'",
            r"'f\ufffd\ufffd\ufffd.js'",
            r"'g\ufffd\ufffd.js'",
            r"'h\\u{2028}\\x85.js'",
            r#"'i<&"\'>.js'"#,
        ]
    );
}

//! Raw commit and tag objects: headers, messages, ids and git times.

use super::*;

/// Splits a commit or tag object at the blank line: (headers, message).
pub(super) fn split_message(data: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memmem::find(data, b"\n\n") {
        Some(i) => (&data[..i + 1], &data[i + 2..]),
        None => (data, &[]),
    }
}

/// The value of the first header line `name value`.
pub(super) fn header<'a>(headers: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    headers.split(|&b| b == b'\n').find_map(|line| {
        line.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(b" "))
    })
}

pub(super) fn parse_oid(hex: &[u8]) -> Option<Oid> {
    std::str::from_utf8(hex)
        .ok()
        .and_then(|s| Oid::from_str(s.trim()).ok())
}

pub(super) fn parse_commit(headers: &[u8]) -> Option<Node> {
    let mut tree = None;
    let mut parents = Vec::new();
    let mut time = 0;
    for line in headers.split(|&b| b == b'\n') {
        if let Some(v) = line.strip_prefix(b"tree ") {
            tree = parse_oid(v);
        } else if let Some(v) = line.strip_prefix(b"parent ") {
            parents.push(parse_oid(v)?);
        } else if let Some(v) = line.strip_prefix(b"committer ") {
            // `Name <email> 1700000000 +0100`
            let mut fields = v.rsplit(|&b| b == b' ');
            fields.next();
            time = fields
                .next()
                .and_then(|t| std::str::from_utf8(t).ok()?.parse().ok())
                .unwrap_or(0);
        }
    }
    Some(Node {
        tree: tree?,
        parents,
        time,
    })
}

/// `2024-05-01T12:30:00+02:00`: a git time in its own offset (git's raw form
/// for a date RFC 3339 cannot write: see [`crate::time::git_date`]).
pub fn rfc3339(t: git2::Time) -> String {
    crate::time::git_date(t.seconds(), t.offset_minutes())
}

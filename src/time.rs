//! Calendar arithmetic for the few dates qrcp-scan writes and reads (commit dates,
//! audit-log times, the audit's timeline): days since 1970 to a civil date and
//! back (Howard Hinnant's algorithms), and RFC 3339 to seconds since the epoch. Too
//! small a need for a date crate.

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) to days since 1970-01-01, proleptic Gregorian.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (m, d) = (i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of seconds since the epoch (UTC).
pub fn date_of(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Seconds since the epoch of an RFC 3339 date (`2026-01-05T10:00:00+02:00`,
/// fractions and `Z` allowed).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z') | None => 0,
        Some(&sign) => {
            let off = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if sign == b'-' { -off } else { off }
        }
    };
    Some(days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// The date forms `--since` accepts, for help and error messages.
pub const SINCE_FORMS: &str = "2026-03-01, 2026-03-01T10:00, 2026-03-01 10:00:00+02:00, \"2 weeks ago\", \"3 days ago\", yesterday, today, @1767600000";

/// Seconds since the epoch of a date as `git log --since` takes it, relative to
/// `now`: a calendar date or date and time (UTC unless it carries an offset), `N
/// <unit>s ago` (seconds to years; a month is 30 days, a year 365), `yesterday`
/// (24 hours ago, as git reads it), `today` (midnight UTC), `now`, or `@<seconds>`.
/// `None` for anything else.
pub fn parse_since(s: &str, now: i64) -> Option<i64> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let midnight = now.div_euclid(86_400) * 86_400;
    match lower.as_str() {
        "now" => return Some(now),
        "today" => return Some(midnight),
        // As git's approxidate: this time of day, a day ago.
        "yesterday" => return Some(now - 86_400),
        _ => {}
    }
    if let Some(secs) = s.strip_prefix('@') {
        return secs.parse().ok();
    }
    if let Some(rest) = lower.strip_suffix(" ago") {
        let mut words = rest.split_whitespace();
        let n: i64 = words.next()?.parse().ok()?;
        let unit = words.next()?;
        if words.next().is_some() || n < 0 {
            return None;
        }
        let per = match unit.strip_suffix('s').unwrap_or(unit) {
            "second" | "sec" => 1,
            "minute" | "min" => 60,
            "hour" => 3600,
            "day" => 86_400,
            "week" => 7 * 86_400,
            "month" => 30 * 86_400,
            "year" => 365 * 86_400,
            _ => return None,
        };
        return now.checked_sub(n.checked_mul(per)?);
    }
    // A calendar date, then an optional time (`T` or a space), then an offset.
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let day = days_from_civil(y, mo as u32, d as u32) * 86_400;
    if b.len() == 10 {
        return Some(day);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (h, mi) = (num(11..13)?, num(14..16)?);
    let mut i = 16;
    let mut se = 0;
    if b.get(i) == Some(&b':') {
        se = num(17..19)?;
        i = 19;
    }
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let rest = s[i..].trim_start();
    let offset = match rest.as_bytes() {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] => {
            let digits: String = rest[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let off =
                digits[..2].parse::<i64>().ok()? * 3600 + digits[2..].parse::<i64>().ok()? * 60;
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    Some(day + h * 3600 + mi * 60 + se - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_since_dates() {
        let now = 1_767_600_000; // 2026-01-05T08:00:00Z
        let day = 1_767_571_200; // 2026-01-05T00:00:00Z
        assert_eq!(parse_since("2026-01-05", now), Some(day));
        assert_eq!(parse_since("2026-01-05T08:00", now), Some(now));
        assert_eq!(parse_since("2026-01-05 10:00:00+02:00", now), Some(now));
        assert_eq!(parse_since("2026-01-05T10:00+0200", now), Some(now));
        assert_eq!(parse_since("2026-01-05T08:00:00Z", now), Some(now));
        assert_eq!(parse_since("2 weeks ago", now), Some(now - 14 * 86_400));
        assert_eq!(parse_since("1 day ago", now), Some(now - 86_400));
        assert_eq!(parse_since("3 Hours Ago", now), Some(now - 3 * 3600));
        assert_eq!(parse_since("yesterday", now), Some(now - 86_400));
        assert_eq!(parse_since("today", now), Some(day));
        assert_eq!(parse_since("@1767600000", now), Some(now));
        for bad in [
            "origin/main",
            "HEAD~3",
            "2026-13-01",
            "2026-01-05T25:00",
            "2026-1-5",
            "two weeks ago",
            "2 fortnights ago",
            "2026-01-05Tnoon",
            "2026-01-05T08:00 CET",
            "",
        ] {
            assert_eq!(parse_since(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn round_trips() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_458, 800_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(date_of(1_767_600_000), "2026-01-05");
    }

    #[test]
    fn parses_rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-01-05T10:00:00+02:00"),
            Some(1_767_600_000)
        );
        assert_eq!(
            parse_rfc3339("2026-01-05T08:00:00.250+00:00"),
            Some(1_767_600_000)
        );
        assert_eq!(parse_rfc3339("nonsense"), None);
        assert_eq!(parse_rfc3339("2026-13-05T08:00:00Z"), None);
    }
}

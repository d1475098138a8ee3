//! The few dates qrcp-scan writes and reads (commit dates, audit-log times, the
//! audit's timeline), converted by `jiff`: seconds since the epoch to RFC 3339 and
//! back.
//!
//! Git stores any 64-bit number of seconds and any offset, and a crafted commit
//! may say it was made in the year 10000 or in 292 billion BC. RFC 3339 writes
//! years 0000 to 9999 only, so such a date is written in git's own raw form
//! (`@253402300800 +0000`, which `git commit --date` accepts back), and read back
//! to the same number of seconds: never an overflow, never a wrong year.

use jiff::Timestamp;
use jiff::fmt::temporal::DateTimePrinter;
use jiff::tz::Offset;

/// A git time (seconds since the epoch, offset in minutes) in RFC 3339, in its
/// own offset (`2023-11-14T23:13:20+01:00`); git's raw `@<seconds> <±hhmm>` when
/// RFC 3339 cannot write it (a year outside 0000–9999, an offset of 26 hours or
/// more; jiff also stops at 9999-12-30T22:00Z, where any offset still fits).
pub fn git_date(secs: i64, offset_minutes: i32) -> String {
    rfc3339_with_offset(secs, offset_minutes).unwrap_or_else(|| {
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let abs = offset_minutes.unsigned_abs();
        format!("@{secs} {sign}{:02}{:02}", abs / 60, abs % 60)
    })
}

fn rfc3339_with_offset(secs: i64, offset_minutes: i32) -> Option<String> {
    let ts = Timestamp::from_second(secs).ok()?;
    let offset = Offset::from_seconds(offset_minutes.checked_mul(60)?).ok()?;
    if !(0..=9999).contains(&offset.to_datetime(ts).year()) {
        return None;
    }
    let mut out = String::new();
    DateTimePrinter::new()
        .print_timestamp_with_offset(&ts, offset, &mut out)
        .ok()?;
    Some(out)
}

/// RFC 3339 UTC with milliseconds (`2026-11-27T15:22:37.123Z`) of a time since
/// the epoch; git's raw form (without milliseconds) outside years 0000–9999.
pub fn utc_millis(secs: i64, millis: u32) -> String {
    let ms = secs
        .checked_mul(1000)
        .and_then(|ms| ms.checked_add(i64::from(millis.min(999))));
    match ms.and_then(|ms| Timestamp::from_millisecond(ms).ok()) {
        Some(ts) if (0..=9999).contains(&Offset::UTC.to_datetime(ts).year()) => {
            format!("{ts:.3}")
        }
        _ => git_date(secs, 0),
    }
}

/// `YYYY-MM-DD` of seconds since the epoch (UTC); `@<seconds>` outside years
/// 0000–9999.
pub fn date_of(secs: i64) -> String {
    match Timestamp::from_second(secs) {
        Ok(ts) if (0..=9999).contains(&Offset::UTC.to_datetime(ts).year()) => {
            ts.strftime("%Y-%m-%d").to_string()
        }
        _ => format!("@{secs}"),
    }
}

/// Seconds since the epoch of a date written by qrcp-scan or by git: RFC 3339
/// (`2026-01-05T10:00:00+02:00`, fractions and `Z` allowed; UTC when the offset is
/// left out) or git's raw form (`@253402300800 +0000`).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    if let Some(raw) = s.strip_prefix('@') {
        let secs = raw.split(' ').next()?;
        return secs.parse().ok();
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts.as_second());
    }
    let civil: jiff::civil::DateTime = s.parse().ok()?;
    Offset::UTC
        .to_timestamp(civil)
        .ok()
        .map(Timestamp::as_second)
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
    let day = jiff::civil::Date::new(i16::try_from(y).ok()?, mo as i8, d as i8)
        .ok()
        .and_then(|date| {
            Offset::UTC
                .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                .ok()
        })?
        .as_second();
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
    use proptest::prelude::*;

    #[test]
    fn formats_git_dates() {
        assert_eq!(git_date(1_700_000_000, 60), "2023-11-14T23:13:20+01:00");
        assert_eq!(git_date(0, -330), "1969-12-31T18:30:00-05:30");
        assert_eq!(git_date(0, 0), "1970-01-01T00:00:00+00:00");
        // Late 9999 is RFC 3339; year 10000 is not (nor the last day of 9999,
        // which jiff's timestamps stop short of, so that every offset fits).
        assert_eq!(git_date(253_402_128_000, 0), "9999-12-30T00:00:00+00:00");
        assert_eq!(git_date(253_402_300_800, 0), "@253402300800 +0000");
        assert_eq!(git_date(i64::MAX, 5999), "@9223372036854775807 +9959");
        assert_eq!(git_date(i64::MIN, -90), "@-9223372036854775808 -0130");
        // Year 0 is RFC 3339; year -1 is not.
        assert_eq!(git_date(-62_167_219_200, 0), "0000-01-01T00:00:00+00:00");
        assert_eq!(git_date(-62_167_219_201, 0), "@-62167219201 +0000");
    }

    #[test]
    fn formats_utc_and_days() {
        assert_eq!(utc_millis(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc_millis(1_699_574_400, 5), "2023-11-10T00:00:00.005Z");
        assert_eq!(utc_millis(951_827_696, 999), "2000-02-29T12:34:56.999Z");
        assert_eq!(utc_millis(4_102_444_799, 0), "2099-12-31T23:59:59.000Z");
        assert_eq!(utc_millis(i64::MAX, 999), "@9223372036854775807 +0000");
        assert_eq!(date_of(1_767_600_000), "2026-01-05");
        assert_eq!(date_of(-1), "1969-12-31");
        assert_eq!(date_of(253_402_300_800), "@253402300800");
    }

    #[test]
    fn parses_rfc3339_and_raw_git_dates() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-01-05T10:00:00+02:00"),
            Some(1_767_600_000)
        );
        assert_eq!(
            parse_rfc3339("2026-01-05T08:00:00.250+00:00"),
            Some(1_767_600_000)
        );
        assert_eq!(parse_rfc3339("2026-01-05T08:00:00"), Some(1_767_600_000));
        assert_eq!(parse_rfc3339("@253402300800 +0000"), Some(253_402_300_800));
        assert_eq!(parse_rfc3339("nonsense"), None);
        assert_eq!(parse_rfc3339("2026-13-05T08:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-02-30T08:00:00Z"), None);
        assert_eq!(parse_rfc3339("10000-01-01T00:00:00+00:00"), None);
        assert_eq!(parse_rfc3339("@99999999999999999999 +0000"), None);
    }

    proptest! {
        /// Any git time gives RFC 3339 or the raw form, and reads back to itself.
        #[test]
        fn any_git_time_round_trips(secs in any::<i64>(), offset in any::<i32>()) {
            let s = git_date(secs, offset);
            prop_assert!(s.len() <= 40, "{s}");
            prop_assert_eq!(parse_rfc3339(&s), Some(secs), "{}", s);
            if !s.starts_with('@') {
                prop_assert_eq!(s.as_bytes()[4], b'-', "{}", s);
            }
        }

        /// Git times of real-looking commits are always RFC 3339.
        #[test]
        fn plausible_times_are_rfc3339(secs in -62_000_000_000i64..253_000_000_000, offset in -1500i32..1500) {
            let s = git_date(secs, offset);
            prop_assert!(!s.starts_with('@'), "{}", s);
            prop_assert_eq!(date_of(secs).len(), 10);
        }

        #[test]
        fn any_utc_time_reads_back(secs in any::<i64>(), millis in 0u32..1000) {
            prop_assert_eq!(parse_rfc3339(&utc_millis(secs, millis)), Some(secs));
            prop_assert!(date_of(secs).len() <= 21);
        }

        /// Arbitrary text never panics the parser.
        #[test]
        fn parsing_anything_returns(s in "\\PC{0,40}", t in "[-+@0-9:TZ. ]{0,40}") {
            let _ = parse_rfc3339(&s);
            let _ = parse_rfc3339(&t);
        }
    }

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
}

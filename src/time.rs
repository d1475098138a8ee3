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
}

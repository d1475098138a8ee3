//! Units people type and read: byte sizes (`50M`, `36.4 MiB`, binary), durations (`10s`),
//! counts (`1,204`). A leaf: sources, progress, configuration and reporters format
//! and parse through it.

use anyhow::{Result, bail};

/// `36.4 MiB`: binary units, the same system `--max-file-size 50M` is read in
/// (`50M` is 50 MiB), so a note's limit reads as it was typed (`50 MiB`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else if v.fract() == 0.0 {
        format!("{v} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `1,204`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.5GiB` -> (1.5, "GiB"): a number and the unit after it.
fn number_and_unit<'a>(s: &'a str, units: &str) -> Result<(f64, &'a str)> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    // The float parser's own words ("cannot parse float from empty string") would
    // only confuse: the one line says what is expected.
    let n: f64 = num
        .parse()
        .map_err(|_| anyhow::anyhow!("expected a number, optionally followed by {units}"))?;
    Ok((n, unit.trim()))
}

/// `10s`, `500ms`, `1.5s`, `2m`, `3` (seconds).
pub fn parse_duration(s: &str) -> Result<std::time::Duration> {
    let (n, unit) = number_and_unit(s, "ms, s or m")?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        other => bail!("unknown unit {other:?}: use ms, s or m"),
    };
    if !secs.is_finite() || !(0.0..=1e6).contains(&secs) {
        bail!("out of range");
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// `4096`, `64K`, `50M`, `50MiB`, `1G`, `1.5GB` (binary multiples).
pub fn parse_size(s: &str) -> Result<u64> {
    let (n, unit) = number_and_unit(s, "K, M or G")?;
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => bail!("unknown unit {other:?}: use K, M or G"),
    };
    Ok((n * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(human_bytes(38_200_000), "36.4 MiB");
        assert_eq!(human_bytes(parse_size("50M").unwrap()), "50 MiB");
        assert_eq!(human_bytes(parse_size("50MB").unwrap()), "50 MiB");
        assert_eq!(human_bytes(5_100), "5.0 KiB");
        assert_eq!(human_bytes(12), "12 B");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("50M").unwrap(), 50 << 20);
        assert_eq!(parse_size("1.5GiB").unwrap(), 3 << 29);
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5T").is_err());
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5h").is_err());
    }
}

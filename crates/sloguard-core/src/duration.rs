//! Durations written the Prometheus way: `300ms`, `5m`, `1h30m`, `30d`.
//!
//! Window labels (`5m`, `1d`) in metric names, rules and specs come from [`format_duration`],
//! and specs and command-line flags are read with [`parse_duration`], so the two always agree.
//!
//! ```
//! use sloguard_core::duration::{format_duration, parse_duration};
//! use std::time::Duration;
//!
//! assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
//! assert_eq!(format_duration(Duration::from_secs(3 * 86_400)), "3d");
//! assert!(parse_duration("5 minutes").is_err());
//! ```

use std::fmt;
use std::time::Duration;

/// Units from the largest to the smallest, in nanoseconds. Weeks and years are accepted on
/// input like Prometheus does but never produced, so `7d` stays `7d`.
const UNITS: [(&str, u64); 8] = [
    ("y", 365 * 86_400 * 1_000_000_000),
    ("w", 7 * 86_400 * 1_000_000_000),
    ("d", 86_400 * 1_000_000_000),
    ("h", 3_600 * 1_000_000_000),
    ("m", 60 * 1_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
];

/// Why a duration could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseDurationError {
    /// The text that was given.
    pub input: String,
    /// Byte offset of the first character that could not be read.
    pub position: usize,
    /// What was wrong there.
    pub reason: &'static str,
}

impl fmt::Display for ParseDurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid duration {:?} at character {}: {}; expected a number and a unit such as \
             300ms, 5m, 1h30m or 30d (units: ms, s, m, h, d, w, y)",
            self.input,
            self.position + 1,
            self.reason
        )
    }
}

impl std::error::Error for ParseDurationError {}

/// Reads a duration such as `300ms`, `5m`, `1h30m`, `2.5s` or `30d`.
///
/// Terms must go from larger to smaller units, each unit at most once; a fractional number is
/// allowed only in the last term. Zero and overflowing values are errors.
pub fn parse_duration(input: &str) -> Result<Duration, ParseDurationError> {
    let err = |position: usize, reason: &'static str| ParseDurationError {
        input: input.to_owned(),
        position,
        reason,
    };
    let bytes = input.as_bytes();
    if bytes.is_empty() {
        return Err(err(0, "empty"));
    }
    let mut total: u64 = 0;
    let mut pos = 0;
    let mut last_unit = usize::MAX; // index into UNITS of the previous term's unit
    while pos < bytes.len() {
        let start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        if pos == start {
            return Err(err(pos, "expected a digit"));
        }
        let mut frac_start = pos;
        if pos < bytes.len() && bytes[pos] == b'.' {
            pos += 1;
            frac_start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            if pos == frac_start {
                return Err(err(pos, "expected a digit after the decimal point"));
            }
        }
        let number_end = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_alphabetic() {
            pos += 1;
        }
        let unit_text = &input[number_end..pos];
        if unit_text.is_empty() {
            return Err(err(number_end, "missing unit"));
        }
        let Some(unit) = UNITS.iter().position(|(name, _)| *name == unit_text) else {
            return Err(err(number_end, "unknown unit"));
        };
        if last_unit != usize::MAX && unit <= last_unit {
            return Err(err(
                number_end,
                "units must go from larger to smaller, once each",
            ));
        }
        last_unit = unit;
        let scale = UNITS[unit].1;
        let has_fraction = frac_start != number_end && input.as_bytes()[frac_start - 1] == b'.';
        let nanos = if has_fraction {
            if pos != bytes.len() {
                return Err(err(start, "a fraction is allowed only in the last term"));
            }
            let value: f64 = input[start..number_end]
                .parse()
                .map_err(|_| err(start, "not a number"))?;
            let nanos = value * scale as f64;
            if nanos.is_nan() || nanos >= u64::MAX as f64 {
                return Err(err(start, "too large"));
            }
            nanos.round() as u64
        } else {
            let whole: u64 = input[start..number_end]
                .parse()
                .map_err(|_| err(start, "too large"))?;
            whole
                .checked_mul(scale)
                .ok_or_else(|| err(start, "too large"))?
        };
        total = total
            .checked_add(nanos)
            .ok_or_else(|| err(start, "too large"))?;
    }
    if total == 0 {
        return Err(err(0, "must be greater than zero"));
    }
    Ok(Duration::from_nanos(total))
}

/// Writes a duration in the shortest exact form: `5m`, `1h30m`, `300ms`, `30d`.
///
/// Sub-microsecond remainders are written in `ns`, so the output always parses back to the
/// same value when it is at least a microsecond.
pub fn format_duration(d: Duration) -> String {
    let mut nanos = crate::clock::duration_nanos(d);
    if nanos == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    // Days are the largest unit written: "30d" and "7d" are what SRE texts use.
    for (name, scale) in UNITS.iter().skip(2) {
        if nanos >= *scale {
            out.push_str(&(nanos / scale).to_string());
            out.push_str(name);
            nanos %= scale;
        }
    }
    if nanos > 0 {
        out.push_str(&nanos.to_string());
        out.push_str("ns");
    }
    out
}

/// Writes a duration for people, in its two largest units: `3h 10m`, `2d 4h`, `45s`.
///
/// Used where non-specialists read times (alert summaries, status pages); it rounds down and
/// is not meant to be parsed back.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    let Some(first) = parts.iter().position(|(n, _)| *n > 0) else {
        return "less than a second".to_owned();
    };
    let mut out = format!("{}{}", parts[first].0, parts[first].1);
    if let Some((n, unit)) = parts.get(first + 1).filter(|(n, _)| *n > 0) {
        out.push_str(&format!(" {n}{unit}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_forms() {
        let cases = [
            ("300ms", Duration::from_millis(300)),
            ("5m", Duration::from_secs(300)),
            ("1h30m", Duration::from_secs(5400)),
            ("30d", Duration::from_secs(30 * 86_400)),
            ("1w", Duration::from_secs(7 * 86_400)),
            ("2.5s", Duration::from_millis(2500)),
            ("1m0.5s", Duration::from_millis(60_500)),
            ("250us", Duration::from_micros(250)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn refuses_with_position_and_reason() {
        let cases = [
            ("", 0, "empty"),
            ("5", 1, "missing unit"),
            ("m", 0, "expected a digit"),
            ("5x", 1, "unknown unit"),
            ("5m1h", 3, "units must go from larger to smaller, once each"),
            ("1.5h30m", 0, "a fraction is allowed only in the last term"),
            ("0s", 0, "must be greater than zero"),
            ("99999999999999999999s", 0, "too large"),
            ("1.s", 2, "expected a digit after the decimal point"),
            ("-5m", 0, "expected a digit"),
            ("5 m", 1, "missing unit"),
        ];
        for (text, position, reason) in cases {
            let e = parse_duration(text).expect_err(text);
            assert_eq!((e.position, e.reason), (position, reason), "{text}");
            assert!(e.to_string().contains("expected a number and a unit"));
        }
    }

    #[test]
    fn human_form_keeps_two_units() {
        let cases = [
            (11_400, "3h 10m"),
            (86_400 * 2 + 3_600 * 4 + 59, "2d 4h"),
            (45, "45s"),
            (3_600, "1h"),
            (0, "less than a second"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(Duration::from_secs(secs)), want);
        }
    }

    #[test]
    fn formats_shortest_exact_form_and_round_trips() {
        let cases = [
            (Duration::from_secs(300), "5m"),
            (Duration::from_secs(5400), "1h30m"),
            (Duration::from_secs(3 * 86_400), "3d"),
            (Duration::from_secs(30 * 86_400), "30d"),
            (Duration::from_millis(300), "300ms"),
            (Duration::from_millis(1500), "1s500ms"),
            (Duration::ZERO, "0s"),
        ];
        for (d, text) in cases {
            assert_eq!(format_duration(d), text);
            if !d.is_zero() {
                assert_eq!(parse_duration(text), Ok(d));
            }
        }
    }
}

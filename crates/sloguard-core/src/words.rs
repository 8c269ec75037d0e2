//! Plain-language phrases: how sloguard says what an SLO promises, what is going wrong, how
//! much budget is left and when it runs out.
//!
//! The `/slo` page, the alert notifications and the demo build their sentences from these, so a
//! person reads the same words wherever they meet an SLO.
//!
//! ```
//! use sloguard_core::model::Sli;
//! use sloguard_core::words::{self, Outlook};
//! use std::time::Duration;
//!
//! let latency = Sli::Latency { threshold: Duration::from_millis(300), require_success: true };
//! assert_eq!(words::sli_goal(latency), "requests answer within 300ms");
//! assert_eq!(words::sli_problem(latency), "are slower than 300ms or failing");
//! assert_eq!(words::percent(0.021), "2.1%");
//! assert_eq!(words::objective_percent(0.999), "99.9");
//! assert_eq!(words::period_adjective(Duration::from_secs(30 * 86_400)), "30-day");
//! assert_eq!(Outlook::of(Some(Duration::ZERO)), Outlook::Spent);
//! let month = Duration::from_secs(30 * 86_400);
//! assert_eq!(words::coverage_phrase(Duration::from_secs(120), month).as_deref(), Some("based on 2m of the 30-day period"));
//! assert_eq!(words::coverage_phrase(month, month), None);
//! ```

use std::time::Duration;

use crate::duration::format_duration;
use crate::model::Sli;

/// What an SLI counts as good: "requests succeed", "requests answer within 300ms".
pub fn sli_goal(sli: Sli) -> String {
    match sli {
        Sli::Availability => "requests succeed".to_owned(),
        Sli::Latency { threshold, .. } => {
            format!("requests answer within {}", format_duration(threshold))
        }
    }
}

/// What bad events of an SLI are doing, after "N% of requests": "are failing".
pub fn sli_problem(sli: Sli) -> String {
    match sli {
        Sli::Availability => "are failing".to_owned(),
        Sli::Latency { threshold, .. } => {
            format!("are slower than {} or failing", format_duration(threshold))
        }
    }
}

/// A time as RFC 3339 in UTC, to the millisecond: `2026-11-24T14:02:00Z`, for documents that
/// other programs read.
pub fn rfc3339(t: crate::clock::Timestamp) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(t.as_unix_nanos()))
        .map(|t| t.round(jiff::Unit::Millisecond).unwrap_or(t).to_string())
        .unwrap_or_default()
}

/// The time an RFC 3339 text names (`2026-12-13T02:00:00Z`, any offset), if it is one and
/// falls after 1970.
pub fn parse_rfc3339(text: &str) -> Option<crate::clock::Timestamp> {
    let t: jiff::Timestamp = text.trim().parse().ok()?;
    u64::try_from(t.as_nanosecond())
        .ok()
        .map(crate::clock::Timestamp::from_unix_nanos)
}

/// A time for people, to the minute in UTC: `2026-11-24 14:02 UTC`.
pub fn utc_minute(t: crate::clock::Timestamp) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(t.as_unix_nanos()))
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// An achieved SLI for a report: three decimals, `99.953%`; `-` without events.
pub fn achieved(sli: Option<f64>) -> String {
    sli.map_or("-".to_owned(), |r| format!("{:.3}%", r * 100.0))
}

/// A share for people: whole percents from 10%, one decimal from 0.1%, two below.
pub fn percent(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p >= 10.0 || p == 0.0 {
        format!("{p:.0}%")
    } else if p >= 0.1 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

/// A burn rate for people: `14.4x`, or `no traffic` for a window without events.
pub fn burn(rate: Option<f64>) -> String {
    rate.map_or("no traffic".to_owned(), |b| format!("{b:.1}x"))
}

/// A share with one decimal, for figures shown side by side: `42.0%`.
pub fn percent_1(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// An objective as a percentage without trailing zeros: 0.999 → `99.9`, 0.99 → `99`.
pub fn objective_percent(ratio: f64) -> String {
    let s = format!("{:.4}", ratio * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A period as an adjective: 30 days → `30-day`.
pub fn period_adjective(period: Duration) -> String {
    format_duration(period).replace('d', "-day")
}

/// "based on 2m of the 30-day period", while the figures cover less than the period.
pub fn coverage_phrase(covered: Duration, period: Duration) -> Option<String> {
    (covered < period).then(|| {
        format!(
            "based on {} of the {} period",
            crate::duration::human_duration(covered),
            period_adjective(period)
        )
    })
}

/// Where the error budget is heading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outlook {
    /// It is spent.
    Spent,
    /// At the current pace it runs out in this long.
    RunsOutIn(Duration),
    /// Nothing is spending it now.
    Steady,
}

impl Outlook {
    /// The outlook from an evaluation's time to exhaustion.
    pub fn of(time_to_exhaustion: Option<Duration>) -> Outlook {
        match time_to_exhaustion {
            Some(d) if d.is_zero() => Outlook::Spent,
            Some(d) => Outlook::RunsOutIn(d),
            None => Outlook::Steady,
        }
    }
}

//! The recent past of an SLO, read from the engine's own rings: what the `/slo` page draws.
//!
//! - **Budget burn-down** over the rolling period: at each sample of the period ring, the
//!   budget left had the period ended there, i.e. `1 − bad so far / (budget × the period's
//!   events)`; it ends at the budget the SLO reports now. The steady-spend line runs from 1 at
//!   the period's start to 0 at its end.
//! - **Burn rate per alerting window** over the last 3 days (the last 6 hours for windows
//!   under an hour), measured as the engine measures windows: the live or sampled reading
//!   minus the reading at or before the window's start, from the finest ring that reaches
//!   back that far. Points: every minute over the last 6 hours, every 10 minutes before. A
//!   window without events is a gap (`None`), never a zero.
//! - **SLI over time**: the good share per minute over the last 6 hours (the one-minute
//!   ring), a gap where there were no events.
//!
//! Nothing is stored for this: it is computed on demand from state the evaluator keeps anyway.
//!
//! ```
//! use sloguard_core::{Outcome, Registry, clock::{Timestamp, VirtualClock}, model::Slo};
//! use std::time::Duration;
//!
//! let clock = VirtualClock::new(Timestamp::from_unix_secs(1_800_000_000));
//! let registry = Registry::builder("shop").clock(clock.clock()).build();
//! let slo = registry.register(Slo::availability("checkout").build().unwrap()).unwrap();
//! for minute in 0..30u64 {
//!     registry.advance_to(Timestamp::from_unix_secs(1_800_000_000 + minute * 60));
//!     slo.record(if minute == 20 { Outcome::Error } else { Outcome::Success }, Duration::from_millis(5));
//! }
//! let history = registry.history("checkout").unwrap();
//! let last = history.budget.last().unwrap().value.unwrap();
//! assert!((last - registry.snapshot().slos[0].budget_remaining()).abs() < 1e-9);
//! let bad_minute = history.sli.iter().find(|p| p.value == Some(0.0)).unwrap();
//! assert_eq!(bad_minute.at, Timestamp::from_unix_secs(1_800_000_000 + 20 * 60));
//! ```

use std::time::Duration;

use crate::clock::Timestamp;
use crate::model::SloDefinition;
use crate::window::{Reading, Windows};

const SEC: u64 = 1_000_000_000;
const MINUTE: u64 = 60 * SEC;
const FINE_SPAN: u64 = 6 * 3_600 * SEC;
const COARSE: u64 = 10 * MINUTE;
const SPAN: u64 = 3 * 86_400 * SEC;

/// One point of a series: a time and a value, `None` for a gap (no events).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// When (the end of the measured interval).
    pub at: Timestamp,
    /// The value, `None` where there was nothing to measure.
    pub value: Option<f64>,
}

/// The burn rate over one alerting window, through time.
#[derive(Clone, Debug, PartialEq)]
pub struct BurnSeries {
    /// The window.
    pub window: Duration,
    /// The thresholds of the enabled tiers using this window (long or short): tier id, burn.
    pub thresholds: Vec<(String, f64)>,
    /// The points, oldest first.
    pub points: Vec<Point>,
}

/// What the page draws for one SLO.
#[derive(Clone, Debug, PartialEq)]
pub struct SloHistory {
    /// Where the rolling period starts now (the burn-down's left edge).
    pub period_start: Timestamp,
    /// When this was read (the right edge).
    pub now: Timestamp,
    /// Budget left through the period, oldest first.
    pub budget: Vec<Point>,
    /// One series per alerting window, shortest first.
    pub burn_rates: Vec<BurnSeries>,
    /// The good share per slot, oldest first.
    pub sli: Vec<Point>,
}

/// The grid of times the 3-day series are read at: every 10 minutes, then every minute over the
/// last 6 hours, ending at `now`.
fn grid(now: u64, since: u64) -> Vec<u64> {
    let fine_from = now.saturating_sub(FINE_SPAN);
    let mut times: Vec<u64> = (since.div_ceil(COARSE)..=fine_from / COARSE)
        .map(|slot| slot * COARSE)
        .collect();
    times.extend((fine_from.div_ceil(MINUTE)..=now / MINUTE).map(|m| m * MINUTE));
    if times.last() != Some(&now) {
        times.push(now);
    }
    times.dedup();
    times
}

pub(crate) fn history(
    definition: &SloDefinition,
    windows: &Windows,
    now: u64,
    live: Reading,
) -> SloHistory {
    let at = |t: u64| {
        if t >= now {
            live
        } else {
            windows.reading_at(t).1
        }
    };
    let budget = definition.objective().error_budget();
    let period = crate::clock::duration_nanos(definition.period());
    let start = now.saturating_sub(period);
    let base = windows.reading_at(start).1;
    let whole = live.total.saturating_sub(base.total) as f64 * budget;
    let burn_down = windows
        .slot_times(3, start, now)
        .into_iter()
        .chain([now])
        .map(|t| Point {
            at: Timestamp::from_unix_nanos(t),
            value: (whole > 0.0).then(|| 1.0 - at(t).bad.saturating_sub(base.bad) as f64 / whole),
        })
        .collect();
    let oldest = now.saturating_sub(SPAN).max(windows.oldest());
    let times = grid(now, oldest);
    let mut series: Vec<BurnSeries> = Vec::new();
    for tier in definition.alerting().tiers.iter().filter(|t| t.enabled) {
        for w in [tier.long_window, tier.short_window] {
            let thresholds = (tier.id(), tier.burn_rate);
            match series.iter_mut().find(|s| s.window == w) {
                Some(s) => s.thresholds.push(thresholds),
                None => series.push(BurnSeries {
                    window: w,
                    thresholds: vec![thresholds],
                    points: Vec::new(),
                }),
            }
        }
    }
    series.sort_by_key(|s| s.window);
    for s in &mut series {
        let w = crate::clock::duration_nanos(s.window);
        // A window under an hour is resolved by the one-minute ring only: 6 hours back.
        let from = if w < 3_600 * SEC {
            now.saturating_sub(FINE_SPAN).max(oldest)
        } else {
            oldest
        };
        s.points = times
            .iter()
            .filter(|t| **t >= from)
            .map(|&t| {
                let (end, begin) = (at(t), at(t.saturating_sub(w)));
                let total = end.total.saturating_sub(begin.total);
                let bad = end.bad.saturating_sub(begin.bad).min(total);
                Point {
                    at: Timestamp::from_unix_nanos(t),
                    value: (total > 0 && budget > 0.0).then(|| bad as f64 / total as f64 / budget),
                }
            })
            .collect();
    }
    let fine_from = now.saturating_sub(FINE_SPAN).max(oldest);
    let sli = times
        .iter()
        .copied()
        .filter(|t| *t >= fine_from)
        .collect::<Vec<_>>()
        .windows(2)
        .map(|pair| {
            let (begin, end) = (at(pair[0]), at(pair[1]));
            let total = end.total.saturating_sub(begin.total);
            let bad = end.bad.saturating_sub(begin.bad).min(total);
            Point {
                at: Timestamp::from_unix_nanos(pair[0]),
                value: (total > 0).then(|| 1.0 - bad as f64 / total as f64),
            }
        })
        .collect();
    SloHistory {
        period_start: Timestamp::from_unix_nanos(start),
        now: Timestamp::from_unix_nanos(now),
        budget: burn_down,
        burn_rates: series,
        sli,
    }
}

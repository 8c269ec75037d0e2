//! Multiwindow multi-burn-rate alert policies.

use std::fmt;
use std::time::Duration;

use crate::duration::format_duration;

/// The windows every SLO reports, as in the metric contract's `window` label.
pub const STANDARD_WINDOWS: [Duration; 7] = [
    Duration::from_secs(300),
    Duration::from_secs(1_800),
    Duration::from_secs(3_600),
    Duration::from_secs(7_200),
    Duration::from_secs(21_600),
    Duration::from_secs(86_400),
    Duration::from_secs(259_200),
];

/// How urgent an alert is: a page wakes someone, a ticket waits for working hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Needs a person now.
    Page,
    /// Needs a person soon.
    Ticket,
}

impl Severity {
    /// Both severities, in the order exporters list them.
    pub const ALL: [Severity; 2] = [Severity::Page, Severity::Ticket];

    /// The label value: `page` or `ticket`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One alert condition: it fires while the burn rate over both the long and the short window
/// is at or above `burn_rate`. The long window gives significance, the short one makes the
/// alert stop soon after the problem does.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertTier {
    /// Page or ticket.
    pub severity: Severity,
    /// The burn-rate threshold, e.g. 14.4.
    pub burn_rate: f64,
    /// The long window, e.g. 1h.
    pub long_window: Duration,
    /// The short window, e.g. 5m.
    pub short_window: Duration,
    /// A disabled tier is kept (so it shows in specs and status pages) but never fires.
    pub enabled: bool,
}

impl AlertTier {
    /// An enabled tier.
    pub fn new(
        severity: Severity,
        burn_rate: f64,
        long_window: Duration,
        short_window: Duration,
    ) -> Self {
        AlertTier {
            severity,
            burn_rate,
            long_window,
            short_window,
            enabled: true,
        }
    }

    /// A stable identifier: severity and long window, e.g. `page-1h`. Two tiers of one
    /// severity always differ in their long window in any sensible policy, and this id does
    /// not move when a threshold is tuned.
    pub fn id(&self) -> String {
        format!("{}-{}", self.severity, format_duration(self.long_window))
    }

    /// The share of the period's error budget that this tier has spent when it fires, if the
    /// burn held for the whole long window: `burn_rate * long_window / period`.
    pub fn budget_consumed_when_firing(&self, period: Duration) -> f64 {
        self.burn_rate * self.long_window.as_secs_f64() / period.as_secs_f64()
    }
}

/// The alert tiers of one SLO and the traffic below which it stays quiet.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertPolicy {
    /// The tiers, in the order they are evaluated and shown.
    pub tiers: Vec<AlertTier>,
    /// No tier fires while its long window holds fewer events than this. Default: 0
    /// (any traffic can alert). Low-traffic services set it so one failed request among
    /// three does not page anyone.
    pub min_events: u64,
    /// No tier fires while its long window holds fewer bad events than this. Default:
    /// [`DEFAULT_MIN_BAD_EVENTS`]. A handful of failures cannot tell a burn from bad luck,
    /// and on a young process (whose long windows hold minutes, not hours) they would look
    /// like a huge burn: 3 failures among a fresh process's first 63 requests is 47x on a
    /// 99.9% SLO. A real outage passes it at once (10 failures take half a second at 20
    /// requests a second), and a busy service is not affected: a 14.4x burn over an hour is
    /// at least 10 failures from about 700 requests an hour on a 99.9% SLO.
    pub min_bad_events: u64,
}

/// The default [`AlertPolicy::min_bad_events`].
pub const DEFAULT_MIN_BAD_EVENTS: u64 = 10;

const MIN: u64 = 60;
const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

/// One default tier, written as the share of the period's error budget it lets burn over its
/// long window before it fires.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BudgetShare {
    /// Page or ticket.
    pub severity: Severity,
    /// The share of the period's error budget, in percent (2 for 2%).
    pub percent: u32,
    /// The long window.
    pub long_window: Duration,
    /// The short window.
    pub short_window: Duration,
}

impl BudgetShare {
    /// The burn rate at which this share is spent over the long window of an SLO with this
    /// period: `share × period / long window` (14.4 for 2% over 1h of 30 days). One division
    /// of exact integers, so 30 days gives the Workbook's figures exactly.
    pub fn burn_rate(&self, period: Duration) -> f64 {
        (u128::from(self.percent) * period.as_millis()) as f64
            / (100 * self.long_window.as_millis()) as f64
    }
}

/// The default tiers, the SRE Workbook's: 2% of the budget over 1h (checked over 5m too), 5%
/// over 6h (30m), both paging; 10% over 1d (2h) and 10% over 3d (6h), both ticketing. Every
/// spec format gets these for its own period, so one period gives one set of burn rates
/// whichever format named it: 14.4, 6, 3 and 1 for 30 days; 13.44, 5.6, 2.8 and 0.933 for 28.
pub const DEFAULT_BUDGET_SHARES: [BudgetShare; 4] = {
    const fn share(severity: Severity, percent: u32, long: u64, short: u64) -> BudgetShare {
        BudgetShare {
            severity,
            percent,
            long_window: Duration::from_secs(long),
            short_window: Duration::from_secs(short),
        }
    }
    [
        share(Severity::Page, 2, HOUR, 5 * MIN),
        share(Severity::Page, 5, 6 * HOUR, 30 * MIN),
        share(Severity::Ticket, 10, DAY, 2 * HOUR),
        share(Severity::Ticket, 10, 3 * DAY, 6 * HOUR),
    ]
};

impl AlertPolicy {
    /// The Google SRE Workbook's table for a 30-day SLO: page at 14.4x over 1h and 5m, page
    /// at 6x over 6h and 30m, ticket at 3x over 1d and 2h, ticket at 1x over 3d and 6h.
    pub fn workbook() -> Self {
        AlertPolicy::for_period(Duration::from_secs(30 * DAY))
    }

    /// The [`DEFAULT_BUDGET_SHARES`] for an SLO of this period: the Workbook's tiers, each
    /// spending the same share of this period's budget (so a 28-day SLO pages at 13.44x, not
    /// 14.4x). What an [`SloBuilder`](crate::model::SloBuilder) uses unless told otherwise.
    pub fn for_period(period: Duration) -> Self {
        AlertPolicy {
            tiers: DEFAULT_BUDGET_SHARES
                .iter()
                .map(|s| {
                    AlertTier::new(
                        s.severity,
                        s.burn_rate(period),
                        s.long_window,
                        s.short_window,
                    )
                })
                .collect(),
            min_events: 0,
            min_bad_events: DEFAULT_MIN_BAD_EVENTS,
        }
    }

    /// This policy less the tiers an SLO with this objective can never reach (even every
    /// event failing burns the budget at most `1 / budget` times as fast), and those tiers.
    pub fn split_unreachable(self, objective: super::Objective) -> (Self, Vec<AlertTier>) {
        let budget = objective.error_budget();
        let (kept, dropped) = self
            .tiers
            .into_iter()
            .partition(|tier| tier.burn_rate * budget < 1.0);
        (
            AlertPolicy {
                tiers: kept,
                ..self
            },
            dropped,
        )
    }

    /// A policy with no tiers: the SLO is measured but never alerts.
    pub fn none() -> Self {
        AlertPolicy {
            tiers: Vec::new(),
            min_events: 0,
            min_bad_events: DEFAULT_MIN_BAD_EVENTS,
        }
    }

    /// Adds a tier.
    pub fn tier(mut self, tier: AlertTier) -> Self {
        self.tiers.push(tier);
        self
    }

    /// Sets the minimum event count of the long window below which nothing fires.
    pub fn min_events(mut self, min_events: u64) -> Self {
        self.min_events = min_events;
        self
    }

    /// Sets the minimum bad-event count of the long window below which nothing fires
    /// (default [`DEFAULT_MIN_BAD_EVENTS`]; 1 lets a single failure alert).
    pub fn min_bad_events(mut self, min_bad_events: u64) -> Self {
        self.min_bad_events = min_bad_events;
        self
    }

    /// Disables every tier of one severity (for example no pages for a batch job).
    pub fn disable(mut self, severity: Severity) -> Self {
        for tier in self.tiers.iter_mut().filter(|t| t.severity == severity) {
            tier.enabled = false;
        }
        self
    }

    /// Disables the tier with this [`AlertTier::id`]; returns `None` if there is none.
    pub fn disable_tier(mut self, id: &str) -> Option<Self> {
        let tier = self.tiers.iter_mut().find(|t| t.id() == id)?;
        tier.enabled = false;
        Some(self)
    }

    /// The enabled tiers.
    pub fn enabled_tiers(&self) -> impl Iterator<Item = &AlertTier> {
        self.tiers.iter().filter(|t| t.enabled)
    }
}

impl Default for AlertPolicy {
    /// [`AlertPolicy::workbook`].
    fn default() -> Self {
        AlertPolicy::workbook()
    }
}

//! Fleet rules for the periods people report on: calendar windows and time-slice SLIs.
//!
//! **Calendar windows.** A calendar month is never a 30-day range query. Each replica exposes
//! its own counts for the current period (`sloguard_slo_period_events`,
//! `sloguard_slo_period_bad_events`, with the period's `…_start_seconds` and `…_end_seconds`),
//! kept across restarts by the state file; the rules sum them instantly over the replicas
//! whose period start is the newest one (a replica whose evaluator has not yet reached the new
//! period is left out until it does, for at most one tick). Failure modes, documented in the
//! README: a replica that restarts without its state file counts the period from its restart;
//! a replica that is scaled down takes its counts with it; a replica not scraped at the
//! moment of evaluation is missing from that evaluation's sum.
//!
//! **Time slices.** Each slice is judged on the fleet's counts: a group evaluated once per
//! slice records the slice's error share from the counters' difference over the slice (per
//! series, clamped at 0 so a counter reset costs one slice, not a negative count) and whether
//! the slice is bad (a ratio slice records its share itself); windows are then the mean over
//! the judged slices: the share of bad slices, or the mean error share. Slices start
//! where Prometheus evaluates the group, not on the epoch grid the engine uses, so fleet and
//! process figures agree when the group's evaluations fall on whole slices (as in promtool).
//! A time-slice SLO's calendar windows are not written: per-replica slices cannot be summed
//! into fleet slices, and the alternative is the month-long range query this design avoids;
//! the spec says so in a note.

use sloguard_core::contract::recording::{
    CALENDAR_BUDGET_REMAINING, PERIOD_BAD_EVENTS_SUM, PERIOD_EVENTS_SUM, SLA_BUDGET_REMAINING,
    SLI_ERROR_CALENDAR,
};
use std::time::Duration;

use sloguard_core::contract;
use sloguard_core::model::{EmptySlices, TimeSlices};

use super::{num, prometheus_duration, Ctx, Group, Rule};

pub(super) use sloguard_core::contract::recording::SLICE_BAD;
/// The recorded series of a time-slice SLO: its slices' error share and whether each was bad.
pub(super) use sloguard_core::contract::recording::SLICE_ERROR;

impl Ctx<'_> {
    /// Per-series difference of a counter over the slice, summed over the fleet.
    fn slice_count(&self, family: &str, length: &str) -> String {
        let series = format!("{family}{}", self.counters);
        format!("sum(clamp_min({series} - {series} offset {length}, 0))")
    }

    /// The group that judges each slice, evaluated once per slice.
    pub(super) fn slice_group(&self, slices: &TimeSlices) -> Group {
        let length = prometheus_duration(slices.length());
        let share = match &self.slo.queries {
            None => format!(
                "({} / ({} > 0))",
                self.slice_count(contract::SLO_BAD_EVENTS.name, &length),
                self.slice_count(contract::SLO_EVENTS.name, &length)
            ),
            Some(_) => self.ratio(&length),
        };
        // The engine's rules: a judged slice is bad (1) when its share exceeds the slice budget
        // (with the tolerance its comparisons use); a ratio slice counts its share itself. A
        // slice without events is skipped (no sample) or wholly bad.
        let mut bad = match slices.bad_share_allowed() {
            Some(allowed) => format!(
                "({SLICE_ERROR}{ids} > bool {threshold})",
                ids = self.ids,
                threshold = num(allowed)
            ),
            None => format!("clamp_max({SLICE_ERROR}{ids}, 1)", ids = self.ids),
        };
        if slices.empty_rule() == EmptySlices::Bad {
            bad.push_str(" or on () vector(1)");
        }
        Group {
            name: format!("sloguard-slo-slices-{}", self.id),
            interval: Some(length),
            rules: vec![
                self.record(SLICE_ERROR, share, &[]),
                self.record(SLICE_BAD, bad, &[]),
            ],
        }
    }

    /// The range that holds a window's slices: half a slice short of the window, so that it
    /// holds window / slice evaluations whether the range includes its start (Prometheus 2)
    /// or not (Prometheus 3).
    fn slice_range(&self, window: &Duration) -> String {
        let half = self
            .slo
            .definition
            .time_slices()
            .map_or(Duration::ZERO, |s| s.length() / 2);
        prometheus_duration(window.saturating_sub(half))
    }

    /// The share of bad slices over `window`, absent without judged slices.
    pub(super) fn slice_ratio(&self, window: &Duration) -> String {
        let range = self.slice_range(window);
        format!(
            "(sum_over_time({SLICE_BAD}{ids}[{range}]) / (count_over_time({SLICE_BAD}{ids}[{range}]) > 0))",
            ids = self.ids
        )
    }

    /// Judged slices (or bad ones) over `window`.
    pub(super) fn slice_total(&self, bad: bool, window: &Duration) -> String {
        let over = if bad {
            "sum_over_time"
        } else {
            "count_over_time"
        };
        let range = self.slice_range(window);
        format!("{over}({SLICE_BAD}{ids}[{range}])", ids = self.ids)
    }

    /// Per calendar window: the fleet's current-period counts, error ratio and budget left
    /// (and the SLA's), from each replica's period gauges.
    pub(super) fn calendar_rules(&self) -> Vec<Rule> {
        let def = &self.slo.definition;
        let mut rules = Vec::new();
        for calendar in def.calendars() {
            let window = calendar.name();
            let selector = format!(
                "{{{}={},{}={},{}=\"{window}\"}}",
                contract::label::SERVICE,
                crate::rules::promql_string(&self.spec.service),
                contract::label::SLO,
                crate::rules::promql_string(def.name()),
                contract::label::WINDOW,
            );
            let start = format!("{}{selector}", contract::SLO_PERIOD_START.name);
            let end = format!("{}{selector}", contract::SLO_PERIOD_END.name);
            // Only replicas in the newest period: same labels, so `and` pairs each replica's
            // counts with its own start.
            let current = |family: &str| {
                format!("sum({family}{selector} and ({start} == scalar(max({start}))))")
            };
            let at = [("sloth_window", window)];
            let ids = format!(
                "{{sloth_id={},sloth_window=\"{window}\"}}",
                crate::rules::promql_string(&self.id)
            );
            rules.push(self.record(
                PERIOD_EVENTS_SUM,
                current(contract::SLO_PERIOD_EVENTS.name),
                &at,
            ));
            rules.push(self.record(
                PERIOD_BAD_EVENTS_SUM,
                current(contract::SLO_PERIOD_BAD_EVENTS.name),
                &at,
            ));
            rules.push(self.record(
                SLI_ERROR_CALENDAR,
                format!("({PERIOD_BAD_EVENTS_SUM}{ids} / ({PERIOD_EVENTS_SUM}{ids} > 0))"),
                &at,
            ));
            // As the engine: the bad share against the budget, scaled by the share of the
            // period gone (the traffic it is on pace for); 1 at the period's start.
            let elapsed =
                format!("clamp_max((time() - max({start})) / (max({end}) - max({start})), 1)");
            let mut remaining = vec![(CALENDAR_BUDGET_REMAINING, def.objective().error_budget())];
            if let Some(sla) = def.sla().filter(|s| s.calendar() == calendar) {
                remaining.push((SLA_BUDGET_REMAINING, sla.objective().error_budget()));
            }
            for (name, budget) in remaining {
                rules.push(self.record(
                    name,
                    format!(
                        "1 - {SLI_ERROR_CALENDAR}{ids} / {} * on () group_left () {elapsed}",
                        num(budget)
                    ),
                    &at,
                ));
            }
        }
        rules
    }
}

/// What the fleet rules leave to the engine, for `lint` to say.
pub(crate) fn fleet_notes(slo: &crate::SloSpec) -> Vec<String> {
    let def = &slo.definition;
    let name = def.name();
    if def.calendars().is_empty() {
        return Vec::new();
    }
    if def.time_slices().is_some() {
        vec![format!("the calendar windows of time-slice SLO {name:?} are computed in each process only; the fleet rules write its rolling windows (per-replica slices cannot be summed into fleet slices)")]
    } else if slo.queries.is_some() {
        vec![format!("the calendar windows of SLO {name:?} are computed in each process only: the fleet rules read sloguard's per-replica period counts, which the spec's own queries do not have")]
    } else {
        Vec::new()
    }
}

//! OpenSLO's periods and budgeting methods, read into sloguard's: a rolling or
//! calendar-aligned `timeWindow`, and `Occurrences`, `Timeslices` or `RatioTimeslices`.
//!
//! A calendar-aligned window (`duration: 1M`, `calendar: {startTime, timeZone}`) becomes a
//! calendar compliance window in its IANA zone, which the SLO's notifications quote; its
//! burn-rate alerting reads a rolling period of about the same length beside it (7d, 30d,
//! 90d), as sloguard's alerting always does, and `lint` says so. Only periods sloguard cuts
//! exactly are read: a week (`1w`, starting on `startTime`'s weekday), a month (`1M`) or a
//! quarter (`1Q`), starting at local midnight; anything else is refused by field.
//!
//! `Timeslices` judges each slice of `timeSliceWindow` (a duration, or a number of minutes as
//! the specification reads a bare number) against `timeSliceTarget`; `RatioTimeslices` counts
//! each slice by its share of good events. OpenSLO does not say what a slice without events
//! is: sloguard skips it, never counts it good, and `lint` says so.

use std::time::Duration;

use serde::Deserialize;
use serde_yaml_ng::Value;
use sloguard_core::duration::parse_duration;
use sloguard_core::model::{Calendar, CalendarUnit, TimeSlices, Weekday};

use crate::error::refuse;
use crate::SpecError;

/// One item of an SLO's `timeWindow`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct TimeWindow {
    duration: String,
    #[serde(default)]
    is_rolling: Option<bool>,
    #[serde(default)]
    calendar: Option<CalendarAnchor>,
}

/// `calendar: {startTime: 2026-01-01 00:00:00, timeZone: Europe/Paris}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CalendarAnchor {
    start_time: String,
    time_zone: String,
}

/// What a time window makes of an SLO: its rolling period and, for a calendar-aligned
/// window, the calendar its notifications quote.
#[derive(Debug)]
pub(crate) struct Window {
    pub(crate) period: Duration,
    pub(crate) calendar: Option<Calendar>,
    pub(crate) note: Option<String>,
}

const AT: &str = "spec.timeWindow[0]";

/// Reads the SLO's one time window.
pub(crate) fn time_window(window: &TimeWindow) -> Result<Window, SpecError> {
    match (&window.calendar, window.is_rolling) {
        (None, Some(true)) => {
            let period = parse_duration(&window.duration)
                .map_err(|e| SpecError::new(format!("{AT}.duration"), e.to_string()))?;
            Ok(Window {
                period,
                calendar: None,
                note: None,
            })
        }
        (None, _) => refuse(
            format!("{AT}.isRolling"),
            "a window that does not roll needs `calendar: {startTime, timeZone}`; a rolling one says isRolling: true",
        ),
        (Some(_), Some(true)) => refuse(
            format!("{AT}.isRolling"),
            "a calendar-aligned window does not roll: drop isRolling or set it to false",
        ),
        (Some(anchor), _) => calendar_window(&window.duration, anchor),
    }
}

fn calendar_window(duration: &str, anchor: &CalendarAnchor) -> Result<Window, SpecError> {
    let start: jiff::civil::DateTime = anchor.start_time.trim().parse().map_err(|e| {
        SpecError::new(
            format!("{AT}.calendar.startTime"),
            format!(
                "{:?} is not a local date and time such as 2026-01-01 00:00:00: {e}",
                anchor.start_time
            ),
        )
    })?;
    let (unit, period, unit_name) = match duration {
        "1w" => (CalendarUnit::Week(weekday(start.weekday())), 7, "week"),
        "1M" => (CalendarUnit::Month, 30, "month"),
        "1Q" => (CalendarUnit::Quarter, 90, "quarter"),
        other => {
            return refuse(
                format!("{AT}.duration"),
                format!("calendar window {other:?} is not supported; sloguard's calendar windows are a week (1w), a month (1M) or a quarter (1Q)"),
            )
        }
    };
    let at_midnight = start.time() == jiff::civil::Time::midnight();
    let starts_period = match unit {
        CalendarUnit::Week(_) => at_midnight,
        CalendarUnit::Month => at_midnight && start.day() == 1,
        CalendarUnit::Quarter => at_midnight && start.day() == 1 && (start.month() - 1) % 3 == 0,
        CalendarUnit::Day => at_midnight,
    };
    if !starts_period {
        let starts = match unit {
            CalendarUnit::Week(_) => "weeks start at midnight (on startTime's weekday)",
            CalendarUnit::Month => "months start on the 1st at midnight",
            CalendarUnit::Quarter => {
                "quarters start on 1 January, April, July or October at midnight"
            }
            CalendarUnit::Day => "days start at midnight",
        };
        return refuse(
            format!("{AT}.calendar.startTime"),
            format!(
                "{} does not start a calendar {unit_name}: sloguard's {starts}",
                anchor.start_time.trim()
            ),
        );
    }
    let calendar = Calendar::new(unit, &anchor.time_zone)
        .map_err(|e| SpecError::new(format!("{AT}.calendar.timeZone"), e.to_string()))?;
    let note = format!(
        "calendar window {duration}: the {unit_name} in {} is a compliance window that notifications quote (budget left, time to exhaustion); burn-rate alerting reads a rolling {period}d period beside it",
        calendar.zone()
    );
    Ok(Window {
        period: Duration::from_secs(period * 86_400),
        calendar: Some(calendar),
        note: Some(note),
    })
}

fn weekday(day: jiff::civil::Weekday) -> Weekday {
    use jiff::civil::Weekday as J;
    match day {
        J::Monday => Weekday::Monday,
        J::Tuesday => Weekday::Tuesday,
        J::Wednesday => Weekday::Wednesday,
        J::Thursday => Weekday::Thursday,
        J::Friday => Weekday::Friday,
        J::Saturday => Weekday::Saturday,
        J::Sunday => Weekday::Sunday,
    }
}

/// The objective's time-slice fields.
pub(crate) struct SliceFields<'a> {
    pub(crate) target: Option<&'a Value>,
    pub(crate) window: Option<&'a Value>,
}

const OBJECTIVE: &str = "spec.objectives[0]";

/// The time slices a budgeting method counts (`None`: events, for `Occurrences`), with the
/// note `lint` shows for them.
pub(crate) fn budgeting(
    method: &str,
    fields: &SliceFields<'_>,
) -> Result<Option<(TimeSlices, String)>, SpecError> {
    let ratio = match method {
        "Occurrences" => {
            if fields.target.is_some() || fields.window.is_some() {
                let field = if fields.target.is_some() {
                    "timeSliceTarget"
                } else {
                    "timeSliceWindow"
                };
                return refuse(
                    format!("{OBJECTIVE}.{field}"),
                    "time-slice fields apply to budgetingMethod Timeslices or RatioTimeslices, not Occurrences",
                );
            }
            return Ok(None);
        }
        "Timeslices" => false,
        "RatioTimeslices" => true,
        other => {
            return refuse(
                "spec.budgetingMethod",
                format!("{other:?} is not a budgeting method; OpenSLO's are Occurrences, Timeslices and RatioTimeslices"),
            )
        }
    };
    let Some(window) = fields.window else {
        return refuse(
            format!("{OBJECTIVE}.timeSliceWindow"),
            format!("missing: {method} needs the slice length (1m, 5m, or a number of minutes)"),
        );
    };
    let length = slice_length(window)?;
    let slices = match (ratio, fields.target) {
        (true, Some(_)) => return refuse(
            format!("{OBJECTIVE}.timeSliceTarget"),
            "RatioTimeslices counts each slice by its share of good events and has no slice target; it belongs to Timeslices",
        ),
        (true, None) => TimeSlices::ratio(length),
        (false, None) => return refuse(
            format!("{OBJECTIVE}.timeSliceTarget"),
            "missing: Timeslices needs the share of good events that makes a slice good (0.95)",
        ),
        (false, Some(target)) => {
            let Some(share) = target.as_f64().filter(|t| *t > 0.0 && *t <= 1.0) else {
                return refuse(
                    format!("{OBJECTIVE}.timeSliceTarget"),
                    format!("{} is not a share in (0, 1] such as 0.95", yaml_text(target)),
                );
            };
            TimeSlices::new(length, share * 100.0)
        }
    }
    .map_err(|e| SpecError::new(format!("{OBJECTIVE}.timeSliceWindow"), e.to_string()))?;
    let counted = if ratio {
        "each slice counts its share of good events"
    } else {
        "a slice is good when its share of good events meets timeSliceTarget"
    };
    let note = format!("{method}: {counted}; slices without events are skipped (OpenSLO does not say; sloguard never counts them good)");
    Ok(Some((slices, note)))
}

/// `1m`, `5m`, or a bare number of minutes.
fn slice_length(value: &Value) -> Result<Duration, SpecError> {
    let field = format!("{OBJECTIVE}.timeSliceWindow");
    match value {
        Value::String(text) => {
            parse_duration(text).map_err(|e| SpecError::new(field, e.to_string()))
        }
        Value::Number(n) => match n.as_f64().filter(|m| *m > 0.0 && *m <= 1_440.0) {
            Some(minutes) => Ok(Duration::from_secs_f64(minutes * 60.0)),
            None => refuse(
                field,
                format!("{n} minutes is not a slice length (at most a day)"),
            ),
        },
        other => refuse(
            field,
            format!("{} is not a slice length such as 1m or 5", yaml_text(other)),
        ),
    }
}

fn yaml_text(value: &Value) -> String {
    serde_yaml_ng::to_string(value)
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| format!("{value:?}"))
}

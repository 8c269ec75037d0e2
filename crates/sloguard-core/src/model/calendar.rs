//! Calendar compliance periods: a week, a month or a quarter in UTC or an IANA time zone,
//! whose budget starts whole when the period starts ("our SLA is per calendar month").
//!
//! Boundaries are local midnights, found with the time-zone database (`jiff`): a month in
//! `Europe/Paris` that holds the change to summer time is an hour shorter than 31 days.
//!
//! ```
//! use sloguard_core::clock::Timestamp;
//! use sloguard_core::model::Calendar;
//!
//! let month = Calendar::month("Europe/Paris").unwrap();
//! // 2026-03-15 12:00 UTC lies in March, which starts at 2026-02-28 23:00 UTC (UTC+1) and
//! // ends at 2026-03-31 22:00 UTC (UTC+2 after the last Sunday of March).
//! let (start, end) = month.bounds(Timestamp::from_unix_secs(1_773_576_000));
//! assert_eq!(start, Timestamp::from_unix_secs(1_772_319_600));
//! assert_eq!(end, Timestamp::from_unix_secs(1_774_994_400));
//! assert_eq!(month.name(), "month");
//! assert!(Calendar::month("Mars/Olympus").is_err());
//! ```

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::ToSpan;

use crate::clock::Timestamp;

use super::error::DefinitionErrorKind;
use super::objective::Objective;

/// A day of the week, for weeks that do not start on Monday.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Weekday {
    /// Monday (ISO weeks).
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// Days after Monday.
    fn offset(self) -> i8 {
        self as i8
    }

    /// The weekday of an English name (`monday`, `Mon`; any case).
    pub fn parse(name: &str) -> Option<Weekday> {
        let all = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];
        let name = name.trim().to_ascii_lowercase();
        all.into_iter().find(|d| {
            let full = format!("{d:?}").to_ascii_lowercase();
            name == full || (name.len() == 3 && full.starts_with(&name))
        })
    }
}

/// The length of a calendar period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CalendarUnit {
    /// A week starting on the given day (Monday: ISO weeks).
    Week(Weekday),
    /// A calendar month.
    Month,
    /// A quarter: January, April, July and October start one.
    Quarter,
    /// A day, midnight to midnight: the status page's daily bars.
    Day,
}

/// A calendar period in a time zone.
#[derive(Clone, PartialEq)]
pub struct Calendar {
    unit: CalendarUnit,
    zone_name: String,
    zone: TimeZone,
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Calendar({} in {})", self.name(), self.zone_name)
    }
}

impl Calendar {
    /// A calendar period of `unit` in `zone` (`UTC` or an IANA name such as
    /// `America/New_York`).
    pub fn new(unit: CalendarUnit, zone: &str) -> Result<Calendar, DefinitionErrorKind> {
        let zone_name = zone.trim();
        let tz = TimeZone::get(zone_name).map_err(|_| DefinitionErrorKind::UnknownTimeZone {
            zone: zone_name.to_owned(),
        })?;
        Ok(Calendar {
            unit,
            zone_name: zone_name.to_owned(),
            zone: tz,
        })
    }

    /// Calendar months in `zone`.
    pub fn month(zone: &str) -> Result<Calendar, DefinitionErrorKind> {
        Calendar::new(CalendarUnit::Month, zone)
    }

    /// Quarters in `zone`.
    pub fn quarter(zone: &str) -> Result<Calendar, DefinitionErrorKind> {
        Calendar::new(CalendarUnit::Quarter, zone)
    }

    /// Days in `zone`.
    pub fn day(zone: &str) -> Result<Calendar, DefinitionErrorKind> {
        Calendar::new(CalendarUnit::Day, zone)
    }

    /// ISO weeks (from Monday) in `zone`.
    pub fn week(zone: &str) -> Result<Calendar, DefinitionErrorKind> {
        Calendar::new(CalendarUnit::Week(Weekday::Monday), zone)
    }

    /// The unit.
    pub fn unit(&self) -> CalendarUnit {
        self.unit
    }

    /// The time zone's name as given.
    pub fn zone(&self) -> &str {
        &self.zone_name
    }

    /// `week`, `month` or `quarter`: the compliance window's name in the snapshot, the JSON
    /// and the `window` label of the period series.
    pub fn name(&self) -> &'static str {
        match self.unit {
            CalendarUnit::Week(_) => "week",
            CalendarUnit::Month => "month",
            CalendarUnit::Quarter => "quarter",
            CalendarUnit::Day => "day",
        }
    }

    fn first_day(&self, date: Date) -> Date {
        match self.unit {
            CalendarUnit::Month => date.first_of_month(),
            CalendarUnit::Day => date,
            CalendarUnit::Quarter => {
                let month = (date.month() - 1) / 3 * 3 + 1;
                Date::new(date.year(), month, 1).unwrap_or(date)
            }
            CalendarUnit::Week(first) => {
                let back = (date.weekday().to_monday_zero_offset() - first.offset()).rem_euclid(7);
                date.checked_sub(i64::from(back).days()).unwrap_or(date)
            }
        }
    }

    fn next_first_day(&self, first: Date) -> Date {
        let step = match self.unit {
            CalendarUnit::Month => 1.month(),
            CalendarUnit::Quarter => 3.months(),
            CalendarUnit::Week(_) => 7.days(),
            CalendarUnit::Day => 1.day(),
        };
        first.checked_add(step).unwrap_or(Date::MAX)
    }

    /// The instant a local date starts (its first instant when midnight is skipped by DST).
    fn start_of(&self, date: Date) -> Timestamp {
        let nanos = date
            .to_zoned(self.zone.clone())
            .map(|z| z.timestamp().as_nanosecond())
            .unwrap_or(0);
        Timestamp::from_unix_nanos(u64::try_from(nanos).unwrap_or(0))
    }

    /// The period holding `at`: its first instant and the first instant of the next one.
    pub fn bounds(&self, at: Timestamp) -> (Timestamp, Timestamp) {
        let instant = jiff::Timestamp::from_nanosecond(i128::from(at.as_unix_nanos()))
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let date = instant.to_zoned(self.zone.clone()).date();
        let first = self.first_day(date);
        (
            self.start_of(first),
            self.start_of(self.next_first_day(first)),
        )
    }

    /// What tells this calendar from another in a state file: unit, first day and zone.
    pub(crate) fn key(&self) -> String {
        format!("{:?}@{}", self.unit(), self.zone())
    }

    /// The local date a period starting at `start` begins on (`2026-11-01`).
    pub fn label(&self, start: Timestamp) -> String {
        jiff::Timestamp::from_nanosecond(i128::from(start.as_unix_nanos()))
            .map(|t| t.to_zoned(self.zone.clone()).date().to_string())
            .unwrap_or_default()
    }
}

/// A service-level agreement: the formal commitment to customers, an objective (usually looser
/// than the SLO's) over a calendar period, judged on the SLO's SLI.
#[derive(Clone, Debug, PartialEq)]
pub struct Sla {
    objective: Objective,
    calendar: Calendar,
}

impl Sla {
    /// An SLA of `objective_percent` (`99.5`) per `calendar` period.
    pub fn new(objective_percent: f64, calendar: Calendar) -> Result<Sla, DefinitionErrorKind> {
        Ok(Sla {
            objective: Objective::from_percent(objective_percent)?,
            calendar,
        })
    }

    /// The objective.
    pub fn objective(&self) -> Objective {
        self.objective
    }

    /// The calendar period it is judged over.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        let t: jiff::Timestamp = text.parse().expect("an instant");
        Timestamp::from_unix_nanos(t.as_nanosecond() as u64)
    }

    #[test]
    fn months_quarters_and_weeks_in_utc() {
        let month = Calendar::month("UTC").expect("a known zone");
        assert_eq!(
            month.bounds(at("2026-12-31T23:59:59Z")),
            (at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z"))
        );
        let quarter = Calendar::quarter("UTC").expect("a known zone");
        assert_eq!(
            quarter.bounds(at("2026-05-20T10:00:00Z")),
            (at("2026-04-01T00:00:00Z"), at("2026-07-01T00:00:00Z"))
        );
        // 2026-11-24 is a Tuesday.
        let week = Calendar::week("UTC").expect("a known zone");
        assert_eq!(
            week.bounds(at("2026-11-24T08:00:00Z")),
            (at("2026-11-23T00:00:00Z"), at("2026-11-30T00:00:00Z"))
        );
        let sunday =
            Calendar::new(CalendarUnit::Week(Weekday::Sunday), "UTC").expect("a known zone");
        assert_eq!(
            sunday.bounds(at("2026-11-24T08:00:00Z")).0,
            at("2026-11-22T00:00:00Z")
        );
        assert_eq!(Weekday::parse("Sun"), Some(Weekday::Sunday));
    }

    #[test]
    fn a_month_with_a_dst_change_is_an_hour_short_or_long() {
        let ny = Calendar::month("America/New_York").expect("a known zone");
        let (start, end) = ny.bounds(at("2026-03-10T12:00:00Z"));
        assert_eq!(start, at("2026-03-01T05:00:00Z"));
        assert_eq!(end, at("2026-04-01T04:00:00Z"));
        assert_eq!(
            end.saturating_duration_since(start).as_secs(),
            31 * 86_400 - 3_600
        );
        let (start, end) = ny.bounds(at("2026-11-10T12:00:00Z"));
        assert_eq!(
            end.saturating_duration_since(start).as_secs(),
            30 * 86_400 + 3_600
        );
        assert_eq!(ny.label(start), "2026-11-01");
    }
}

//! Calendar compliance windows against an exact reference: a plain list of events, each put in
//! its week, month and quarter by its local date (from the time-zone database, independently
//! of the engine's period arithmetic). Random traffic over about four months that cross the
//! change from summer time, a quarter and a year boundary, in UTC and two zones with DST; one
//! SLO with three calendar windows at once, and an SLA on the month.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::compliance::SlaStatus;
use sloguard_core::model::{Calendar, Sla, Slo};
use sloguard_core::{Outcome, Registry};

/// 2026-10-20 00:00 UTC.
const START: u64 = 1_792_454_400;
const SPAN_DAYS: u64 = 120;
const ZONES: [&str; 3] = ["UTC", "America/New_York", "Europe/Paris"];

/// The (week, month, quarter) keys of an instant's local date.
fn keys(zone: &str, secs: u64) -> [(i16, i8); 3] {
    let tz = jiff::tz::TimeZone::get(zone).expect("zone");
    let date = jiff::Timestamp::from_second(secs as i64)
        .expect("instant")
        .to_zoned(tz)
        .date();
    let week = date.iso_week_date();
    [
        (week.year(), week.week()),
        (date.year(), date.month()),
        (date.year(), (date.month() - 1) / 3),
    ]
}

#[derive(Default, Clone, Copy, Debug, PartialEq)]
struct Tally {
    events: u64,
    bad: u64,
}

fn check(zone: &str, mut events: Vec<(u64, bool)>) {
    events.sort_unstable();
    let clock = VirtualClock::new(Timestamp::from_unix_secs(START));
    let registry = Registry::builder("shop")
        .clock(clock.clock())
        .tick(Duration::from_secs(3_600))
        .build();
    let month = Calendar::month(zone).expect("zone");
    let slo = Slo::availability("checkout")
        .objective_percent(99.0)
        .calendar(Calendar::week(zone).expect("zone"))
        .calendar(month.clone())
        .calendar(Calendar::quarter(zone).expect("zone"))
        .sla(Sla::new(98.0, month).expect("sla"))
        .build()
        .expect("valid");
    let recorder = registry.register(slo).expect("registers");

    // The reference: every event in its local periods.
    let mut reference: [BTreeMap<(i16, i8), Tally>; 3] = Default::default();
    for &(at, bad) in &events {
        registry.advance_to(Timestamp::from_unix_secs(START + at));
        recorder.record(
            if bad {
                Outcome::Error
            } else {
                Outcome::Success
            },
            Duration::from_millis(3),
        );
        for (table, key) in reference.iter_mut().zip(keys(zone, START + at)) {
            let tally = table.entry(key).or_default();
            tally.events += 1;
            tally.bad += u64::from(bad);
        }
    }
    let end = START + SPAN_DAYS * 86_400;
    registry.advance_to(Timestamp::from_unix_secs(end));
    let snapshot = registry.snapshot();
    let view = snapshot.slo("checkout").expect("registered");
    assert_eq!(view.compliance.len(), 3);
    for (window, table) in view.compliance.iter().zip(&reference) {
        // Current period, then the past ones newest first, each keyed by its start's date.
        let now_key = keys(zone, end)[["week", "month", "quarter"]
            .iter()
            .position(|n| *n == window.name)
            .expect("a calendar name")];
        let current = table.get(&now_key).copied().unwrap_or_default();
        assert_eq!(
            (window.events, window.bad_events),
            (current.events, current.bad),
            "{zone} {} current",
            window.name
        );
        let index = ["week", "month", "quarter"]
            .iter()
            .position(|n| *n == window.name)
            .expect("name");
        for past in &window.past {
            let key = keys(zone, past.start.as_unix_nanos() / 1_000_000_000)[index];
            let expected = table.get(&key).copied().unwrap_or_default();
            assert_eq!(
                (past.events, past.bad_events),
                (expected.events, expected.bad),
                "{zone} {} period from {key:?}",
                window.name
            );
            // Consecutive periods: each ends where the newer one starts.
            assert!(past.end > past.start);
        }
        let counted: u64 = window.past.iter().map(|p| p.events).sum::<u64>() + window.events;
        assert_eq!(
            counted,
            events.len() as u64,
            "{zone} {}: every event once",
            window.name
        );
        if let Some(sla) = &window.sla {
            assert_eq!(window.name, "month");
            for (past, status) in window.past.iter().zip(&sla.past) {
                let expected = match past.events {
                    0 => SlaStatus::NoData,
                    n if past.bad_events * 50 > n => SlaStatus::Breached,
                    _ => SlaStatus::Met,
                };
                assert_eq!(*status, expected, "{past:?}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn calendar_windows_count_what_the_event_list_counts(
        zone in 0..ZONES.len(),
        events in prop::collection::vec((0..SPAN_DAYS * 86_400, prop::bool::weighted(0.05)), 0..400),
    ) {
        check(ZONES[zone], events);
    }
}

#[test]
fn events_at_the_edges_of_local_midnight_fall_on_their_side() {
    // 2026-11-01 00:00 in New York is 04:00 UTC (summer time ends later that night);
    // 2027-01-01 00:00 in Paris is 2026-12-31 23:00 UTC.
    let ny_midnight = 1_793_505_600 - START;
    let paris_new_year = 1_798_758_000 - START;
    for zone in ZONES {
        let mut events = Vec::new();
        for edge in [ny_midnight, paris_new_year] {
            events.extend([(edge - 1, true), (edge, false), (edge + 1, true)]);
        }
        check(zone, events);
    }
}

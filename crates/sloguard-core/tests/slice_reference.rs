//! Time-slice SLOs against an exact reference: a plain list of events cut into one-minute
//! slices by their own timestamps, each slice judged by hand (good when at least 75% of its
//! events are good, or for ratio slices counted as a million parts with the bad share of them
//! bad, rounded up; empty slices skipped or bad), then counted into the rolling period, the
//! last hour, and a Paris week and month whose boundaries (and a change from summer time)
//! fall inside the trace.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::model::{Calendar, EmptySlices, Slo, TimeSlices};
use sloguard_core::{Outcome, Registry};

/// 2026-10-20 00:00 UTC: the trace holds the end of summer time in Paris (10-25), a new week
/// (10-26) and a new month (11-01).
const START: u64 = 1_792_454_400;
const DAYS: u64 = 14;
const SLICE: u64 = 60;
const ZONE: &str = "Europe/Paris";

fn local_keys(secs: u64) -> [(i16, i8); 2] {
    let tz = jiff::tz::TimeZone::get(ZONE).expect("zone");
    let date = jiff::Timestamp::from_second(secs as i64)
        .expect("instant")
        .to_zoned(tz)
        .date();
    let week = date.iso_week_date();
    [(week.year(), week.week()), (date.year(), date.month())]
}

#[derive(Default, Clone, Copy, Debug, PartialEq)]
struct Tally {
    slices: u64,
    bad: u64,
}

fn check(ratio: bool, empty: EmptySlices, mut events: Vec<(u64, bool)>) {
    events.sort_unstable();
    let clock = VirtualClock::new(Timestamp::from_unix_secs(START));
    let registry = Registry::builder("shop")
        .clock(clock.clock())
        .tick(Duration::from_secs(SLICE))
        .build();
    let rule = if ratio {
        TimeSlices::ratio(Duration::from_secs(SLICE))
    } else {
        TimeSlices::new(Duration::from_secs(SLICE), 75.0)
    }
    .expect("valid")
    .empty(empty);
    let slo = Slo::availability("uptime")
        .objective_percent(99.0)
        .time_slices(rule)
        .calendar(Calendar::week(ZONE).expect("zone"))
        .calendar(Calendar::month(ZONE).expect("zone"))
        .build()
        .expect("valid");
    let recorder = registry.register(slo).expect("registers");
    for &(at, bad) in &events {
        registry.advance_to(Timestamp::from_unix_secs(START + at));
        let outcome = if bad {
            Outcome::Error
        } else {
            Outcome::Success
        };
        recorder.record(outcome, Duration::from_millis(3));
    }
    let end = START + DAYS * 86_400;
    registry.advance_to(Timestamp::from_unix_secs(end));

    // The reference: each closed slice judged from the event list alone.
    let mut per_slice: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for &(at, bad) in &events {
        let slice = per_slice.entry(at / SLICE).or_default();
        slice.0 += 1;
        slice.1 += u64::from(bad);
    }
    let (mut all, mut last_hour) = (Tally::default(), Tally::default());
    let mut calendars: [BTreeMap<(i16, i8), Tally>; 2] = Default::default();
    for k in 0..DAYS * 86_400 / SLICE {
        let (n, bad) = per_slice.get(&k).copied().unwrap_or_default();
        let whole = if ratio { 1_000_000 } else { 1 };
        let counted_bad = match (n, empty) {
            (0, EmptySlices::Skip) => continue,
            (0, _) => whole,
            _ if ratio => (bad * 1_000_000).div_ceil(n),
            _ => u64::from(bad * 4 > n), // more than 25% bad
        };
        let add = |t: &mut Tally| {
            t.slices += whole;
            t.bad += counted_bad;
        };
        add(&mut all);
        if (k + 60) * SLICE >= DAYS * 86_400 {
            add(&mut last_hour);
        }
        for (table, key) in calendars.iter_mut().zip(local_keys(START + k * SLICE)) {
            add(table.entry(key).or_default());
        }
    }

    let snapshot = registry.snapshot();
    let view = snapshot.slo("uptime").expect("registered");
    let period = view.evaluation.period;
    assert_eq!(
        (period.events, period.bad_events),
        (all.slices, all.bad),
        "period"
    );
    let hour = view
        .evaluation
        .window(Duration::from_secs(3_600))
        .expect("1h window");
    assert_eq!(
        (hour.events, hour.bad_events),
        (last_hour.slices, last_hour.bad),
        "last hour"
    );
    for (i, window) in view.compliance.iter().enumerate() {
        let table = &calendars[i];
        let current = table.get(&local_keys(end)[i]).copied().unwrap_or_default();
        assert_eq!(
            (window.events, window.bad_events),
            (current.slices, current.bad),
            "{} current",
            window.name
        );
        for past in &window.past {
            let key = local_keys(past.start.as_unix_nanos() / 1_000_000_000)[i];
            let want = table.get(&key).copied().unwrap_or_default();
            assert_eq!(
                (past.events, past.bad_events),
                (want.slices, want.bad),
                "{} from {key:?}",
                window.name
            );
        }
        let counted = window.past.iter().map(|p| p.events).sum::<u64>() + window.events;
        assert_eq!(counted, all.slices, "{}: every slice once", window.name);
    }
    // The events themselves are still counted as events.
    assert_eq!(view.counts.events(), events.len() as u64);
}

/// Traffic in bursts: 10-minute blocks every 6 hours, so slices hold several events each.
fn bursts() -> impl Strategy<Value = Vec<(u64, bool)>> {
    prop::collection::vec((0..DAYS * 4, 0..600u64, prop::bool::weighted(0.15)), 0..600).prop_map(
        |v| {
            v.into_iter()
                .map(|(block, sec, bad)| (block * 21_600 + sec, bad))
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn slices_count_what_the_event_list_counts(ratio in any::<bool>(), skip in any::<bool>(), events in bursts()) {
        check(ratio, if skip { EmptySlices::Skip } else { EmptySlices::Bad }, events);
    }
}

#[test]
fn an_empty_trace_has_no_slices_unless_silence_is_bad() {
    for ratio in [false, true] {
        check(ratio, EmptySlices::Skip, Vec::new());
        check(ratio, EmptySlices::Bad, Vec::new());
    }
}

#[test]
fn ratio_slices_on_a_fixed_trace() {
    // A third of a minute bad (rounded up to 333,334 parts), a quiet minute, a whole bad one.
    let events = vec![(0, false), (10, true), (20, false), (130, true)];
    check(true, EmptySlices::Skip, events.clone());
    check(true, EmptySlices::Bad, events);
}

//! Property tests: the engine's windows, burn rates and budget equal a naive reference (a plain
//! `Vec` of every event) over the window the engine reports it measured, and that window is
//! within one ring resolution of the one asked for.

use std::time::Duration;

use proptest::prelude::*;
use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::model::Slo;
use sloguard_core::snapshot::SloSnapshot;
use sloguard_core::{Outcome, Registry};

const SEC: u64 = 1_000_000_000;

#[derive(Clone, Debug)]
struct Event {
    ts: u64,
    outcome: Outcome,
    latency_ms: u64,
}

fn events() -> impl Strategy<Value = (u64, Vec<Event>)> {
    let step = (
        // Mostly short gaps, sometimes long silences (up to 6 hours).
        prop_oneof![8 => 0u64..20_000, 2 => 0u64..1_800_000, 1 => 0u64..21_600_000],
        prop_oneof![6 => Just(Outcome::Success), 3 => Just(Outcome::Error), 1 => Just(Outcome::Cancelled)],
        0u64..600,
    );
    (0u64..86_400_000, prop::collection::vec(step, 1..600)).prop_map(|(offset_ms, steps)| {
        let mut ts = 1_767_225_600 * SEC + offset_ms * 1_000_000;
        let start = ts;
        let events = steps
            .into_iter()
            .map(|(gap_ms, outcome, latency_ms)| {
                ts += gap_ms * 1_000_000;
                Event {
                    ts,
                    outcome,
                    latency_ms,
                }
            })
            .collect();
        (start, events)
    })
}

/// The ring resolution that serves a window (see `sloguard_core::window`).
fn resolution(window: Duration, period: Duration) -> u64 {
    match window.as_secs() {
        0..=3_600 => 10 * SEC,
        3_601..=21_600 => 60 * SEC,
        21_601..=259_200 => 600 * SEC,
        _ => (period.as_nanos() as u64).div_ceil(720),
    }
}

fn check(
    slo: &SloSnapshot,
    recorded: &[Event],
    start: u64,
    now: u64,
    is_good: impl Fn(&Event) -> bool,
) -> Result<(), TestCaseError> {
    let budget = slo.definition.objective().error_budget();
    let judged: Vec<&Event> = recorded
        .iter()
        .filter(|e| e.outcome != Outcome::Cancelled)
        .collect();
    prop_assert_eq!(slo.counts.events(), judged.len() as u64);
    let all = slo.windows().iter().copied().chain([slo.evaluation.period]);
    for w in all {
        let since = w.since.as_unix_nanos();
        let in_window: Vec<&&Event> = judged.iter().filter(|e| e.ts >= since).collect();
        let bad = in_window.iter().filter(|e| !is_good(e)).count() as u64;
        prop_assert_eq!(
            (w.events, w.bad_events),
            (in_window.len() as u64, bad),
            "window {:?} since {}",
            w.window,
            since
        );
        let want = (w.events > 0).then(|| bad as f64 / w.events as f64 / budget);
        prop_assert_eq!(w.burn_rate, want);
        // The measured window is the asked one, up to one resolution longer, unless history
        // is younger than the window.
        let asked = now.saturating_sub(w.window.as_nanos() as u64);
        let res = resolution(w.window, slo.definition.period());
        if asked >= start {
            prop_assert!(
                since <= asked && asked - since < res,
                "since {} asked {} res {}",
                since,
                asked,
                res
            );
        } else {
            prop_assert!(since <= start && start - since < res);
        }
    }
    let p = slo.evaluation.period;
    let want_budget = if p.events == 0 {
        1.0
    } else {
        1.0 - (p.bad_events as f64 / p.events as f64) / budget
    };
    prop_assert_eq!(slo.budget_remaining(), want_budget);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn windows_match_an_exact_reference((start, events) in events(), checkpoint_every in 1usize..80) {
        let clock = VirtualClock::new(Timestamp::from_unix_nanos(start));
        let registry = Registry::builder("ref").clock(clock.clock()).build();
        let availability = registry.register(Slo::availability("availability").build().expect("valid")).expect("registered");
        let latency = registry
            .register(Slo::latency("latency", Duration::from_millis(300)).period(Duration::from_secs(7 * 86_400)).build().expect("valid"))
            .expect("registered");
        for (i, e) in events.iter().enumerate() {
            registry.advance_to(Timestamp::from_unix_nanos(e.ts));
            if i % checkpoint_every == 0 {
                let snap = registry.snapshot();
                let recorded = &events[..i];
                check(snap.slo("availability").expect("a"), recorded, start, e.ts, |e| e.outcome == Outcome::Success)?;
                check(snap.slo("latency").expect("l"), recorded, start, e.ts, |e| e.outcome == Outcome::Success && e.latency_ms <= 300)?;
            }
            let latency_time = Duration::from_millis(e.latency_ms);
            availability.record(e.outcome, latency_time);
            latency.record(e.outcome, latency_time);
        }
    }
}

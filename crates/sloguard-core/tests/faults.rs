//! Time faults: a clock that jumps backwards or forwards, a sampler that stalls for days, a
//! suspended process. Nothing panics, no burn rate is negative, infinite or NaN, budget
//! stays finite, and the windows recover once time runs normally again.

use std::time::Duration;

use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::model::Slo;
use sloguard_core::snapshot::Snapshot;
use sloguard_core::{Outcome, Registry};

const T0: u64 = 1_767_225_600;

fn sane(snapshot: &Snapshot) {
    for slo in &snapshot.slos {
        assert!(slo.budget_remaining().is_finite());
        for w in slo.windows() {
            assert!(w.bad_events <= w.events, "{w:?}");
            if let Some(b) = w.burn_rate {
                assert!(b.is_finite() && b >= 0.0, "{w:?}");
            }
        }
        if let Some(t) = slo.evaluation.time_to_exhaustion {
            assert!(t.as_secs_f64().is_finite());
        }
    }
}

fn traffic(registry: &Registry, clock: &VirtualClock, seconds: u64, bad_every: u64) {
    let slo = registry.slo("availability").expect("registered");
    let start = clock.now();
    for s in 0..seconds {
        registry.advance_to(start.saturating_add(Duration::from_secs(s)));
        for i in 0..10 {
            let outcome = if bad_every > 0 && (s * 10 + i) % bad_every == 0 {
                Outcome::Error
            } else {
                Outcome::Success
            };
            slo.record(outcome, Duration::from_millis(10));
        }
        if s % 97 == 0 {
            sane(&registry.snapshot());
        }
    }
}

fn setup() -> (Registry, VirtualClock) {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let registry = Registry::builder("faults").clock(clock.clock()).build();
    registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("ok");
    (registry, clock)
}

#[test]
fn a_clock_set_back_then_forward_keeps_windows_sane() {
    let (registry, clock) = setup();
    traffic(&registry, &clock, 3_600, 0);
    // The clock is set back a day: evaluations in the past change nothing and harm nothing.
    clock.set(Timestamp::from_unix_secs(T0 - 86_400));
    for _ in 0..100 {
        registry.tick();
        sane(&registry.snapshot());
    }
    let slo = registry.slo("availability").expect("a");
    slo.record(Outcome::Error, Duration::ZERO);
    sane(&registry.snapshot());
    // And forward again, past where it was: windows resume from their last sample.
    clock.set(Timestamp::from_unix_secs(T0 + 3_700));
    registry.tick();
    traffic(&registry, &clock, 600, 100);
    let snap = registry.snapshot();
    sane(&snap);
    let five = snap.slos[0]
        .burn_rate(Duration::from_secs(300))
        .expect("traffic");
    assert!(
        (five - 1.0 / 100.0 / 0.001).abs() < 1.0,
        "5m burn {five} back to the new traffic's 10x"
    );
}

#[test]
fn a_sampler_stalled_for_days_recovers() {
    let (registry, clock) = setup();
    traffic(&registry, &clock, 1_800, 0);
    // Traffic goes on, nobody evaluates for four days (a stuck thread), then one tick.
    let slo = registry.slo("availability").expect("a");
    for i in 0..40_000u64 {
        slo.record(
            if i % 1_000 == 0 {
                Outcome::Error
            } else {
                Outcome::Success
            },
            Duration::from_millis(5),
        );
    }
    clock.advance(Duration::from_secs(4 * 86_400));
    registry.tick();
    sane(&registry.snapshot());
    // Normal operation again: within the hour, the short windows describe only new traffic.
    traffic(&registry, &clock, 3_600, 0);
    let snap = registry.snapshot();
    sane(&snap);
    assert_eq!(snap.slos[0].burn_rate(Duration::from_secs(300)), Some(0.0));
    assert_eq!(
        snap.slos[0].burn_rate(Duration::from_secs(3_600)),
        Some(0.0)
    );
    assert_eq!(snap.slos[0].counts.events(), 18_000 + 40_000 + 36_000);
}

#[test]
fn a_suspended_process_and_a_jump_of_a_year_do_not_break_anything() {
    let (registry, clock) = setup();
    traffic(&registry, &clock, 600, 50);
    // Suspended for three days with no traffic at all.
    clock.advance(Duration::from_secs(3 * 86_400));
    registry.tick();
    let snap = registry.snapshot();
    sane(&snap);
    assert_eq!(
        snap.slos[0].burn_rate(Duration::from_secs(300)),
        None,
        "no events in the last 5m"
    );
    // A wall clock fixed a year later (NTP after a dead battery).
    clock.advance(Duration::from_secs(365 * 86_400));
    for _ in 0..10 {
        registry.tick();
    }
    sane(&registry.snapshot());
    traffic(&registry, &clock, 300, 0);
    sane(&registry.snapshot());
}

/// Advances a registry's virtual time by decades in one call, and to the very end of
/// representable time: each call returns after a bounded number of evaluations (the horizon's
/// worth, not the gap's), time never wraps, and the SLO's alerts resolve on the way.
#[test]
fn a_jump_of_decades_is_evaluated_in_bounded_time_and_never_wraps() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
        let registry = Registry::builder("jumps").clock(clock.clock()).build();
        registry
            .register(Slo::availability("availability").build().expect("valid"))
            .expect("registered");
        traffic(&registry, &clock, 600, 1);
        assert!(registry.snapshot().slos[0].alerts.iter().any(|a| a.firing));
        let decades = Timestamp::from_unix_secs(T0 + 56 * 365 * 86_400);
        registry.advance_to(decades);
        let snapshot = registry.snapshot();
        sane(&snapshot);
        assert_eq!(snapshot.slos[0].evaluated_at, Some(decades));
        assert!(
            snapshot.slos[0].alerts.iter().all(|a| !a.firing),
            "resolved on the way"
        );
        assert_eq!(clock.now(), decades);
        registry.advance_to(Timestamp::from_unix_nanos(u64::MAX));
        sane(&registry.snapshot());
        assert_eq!(clock.now(), Timestamp::from_unix_nanos(u64::MAX));
        let _ = done.send(());
    });
    finished
        .recv_timeout(Duration::from_secs(300))
        .expect("advancing through decades ends");
}

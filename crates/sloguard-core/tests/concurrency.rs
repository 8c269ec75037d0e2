//! N threads x M events: totals are exact, also while readers take snapshots concurrently,
//! and no snapshot ever shows counts going backwards or more bad events than events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sloguard_core::histogram::Boundaries;
use sloguard_core::model::Slo;
use sloguard_core::{Outcome, Registry};

const THREADS: u64 = 6;
const EVENTS: u64 = 200_000;

#[test]
fn totals_are_exact_under_concurrent_writers_and_readers() {
    let registry = Registry::builder("concurrency").build();
    let slo = registry
        .register(Slo::availability("a").build().expect("valid"))
        .expect("registered");
    let hist = registry.histogram(
        "h",
        &[],
        Boundaries::new([Duration::from_micros(500)]).expect("fits"),
    );
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut last = (0, 0, 0);
            let mut reads = 0u64;
            while !done.load(Ordering::Acquire) && reads < 1_000_000 {
                let snap = registry.snapshot();
                let slo = &snap.slos[0];
                let h = &snap.histograms[0].histogram;
                let now = (slo.counts.events(), slo.counts.bad, h.count());
                assert!(
                    now.0 >= last.0 && now.1 >= last.1 && now.2 >= last.2,
                    "went backwards: {last:?} -> {now:?}"
                );
                assert!(slo.windows().iter().all(|w| w.bad_events <= w.events));
                assert!(h.classic()[0].1 <= h.count());
                last = now;
                reads += 1;
                registry.tick();
            }
            reads
        });
        let writers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (slo, hist) = (slo.clone(), hist.clone());
                s.spawn(move || {
                    for i in 0..EVENTS {
                        // Every 10th event of odd threads fails.
                        let outcome = if t % 2 == 1 && i % 10 == 0 {
                            Outcome::Error
                        } else {
                            Outcome::Success
                        };
                        slo.record_nanos(outcome, i);
                        hist.record_nanos(i * 10);
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer");
        }
        done.store(true, Ordering::Release);
        assert!(reader.join().expect("reader") > 0);
    });
    let snap = registry.snapshot();
    let counts = snap.slos[0].counts;
    assert_eq!(counts.events(), THREADS * EVENTS);
    assert_eq!(counts.bad, (THREADS / 2) * EVENTS / 10);
    let h = &snap.histograms[0].histogram;
    assert_eq!(h.count(), THREADS * EVENTS);
    // Values i*10 ns at or below 500 µs: i <= 50_000.
    assert_eq!(h.classic()[0].1, THREADS * 50_001);
    assert_eq!(h.sum_nanos(), THREADS * 10 * (EVENTS * (EVENTS - 1) / 2));
}

//! Long runs keep constant memory: 100 million events through one SLO and one histogram, with
//! the evaluator ticking along, leave the process's resident memory flat.

use std::time::Duration;

use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::histogram::Boundaries;
use sloguard_core::model::Slo;
use sloguard_core::{Outcome, Registry};

/// Resident set size in KiB, from /proc (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn a_hundred_million_events_leave_memory_flat() {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(1_767_225_600));
    let registry = Registry::builder("long-run").clock(clock.clock()).build();
    let slo = registry
        .register(
            Slo::latency("latency", Duration::from_millis(300))
                .build()
                .expect("valid"),
        )
        .expect("ok");
    let histogram = registry.classic_histogram("h", &[], Boundaries::http_default());
    let record = |from: u64, to: u64| {
        for i in from..to {
            let ns = (i * 7_919) % 600_000_000;
            slo.record_nanos(
                if i % 997 == 0 {
                    Outcome::Error
                } else {
                    Outcome::Success
                },
                ns,
            );
            histogram.record_nanos(ns);
            if i % 1_000_000 == 0 {
                // A second of engine time per million events: windows fill and wrap.
                registry.advance_to(clock.now().saturating_add(Duration::from_secs(60)));
            }
        }
    };
    record(0, 1_000_000);
    let before = rss_kib().expect("VmRSS");
    record(1_000_000, 100_000_000);
    let after = rss_kib().expect("VmRSS");
    let counts = slo.counts();
    assert_eq!(counts.events(), 100_000_000);
    assert_eq!(histogram.snapshot().count(), 100_000_000);
    // Windows wrapped (99 engine hours): nothing grows with traffic or time.
    assert!(
        after <= before + 1_024,
        "RSS grew from {before} KiB to {after} KiB"
    );
}

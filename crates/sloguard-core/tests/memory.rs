//! Memory per SLO and per operation histogram, measured with a counting allocator: what
//! registering costs, what each recording thread adds on its first event, and that later
//! events add nothing.
#![allow(unsafe_code, clippy::print_stdout)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use sloguard_core::histogram::{Boundaries, Histogram};
use sloguard_core::model::Slo;
use sloguard_core::{Outcome, Registry};

struct Counting;

thread_local! {
    static BYTES: Cell<i64> = const { Cell::new(0) };
}

// SAFETY: forwards every call unchanged to the system allocator, adding only a thread-local
// byte count that is const-initialised without a destructor, so it never allocates itself.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.with(|b| b.set(b.get() + layout.size() as i64));
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES.with(|b| b.set(b.get() - layout.size() as i64));
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes still allocated (on this thread) after `f`, including what it keeps.
fn kept_by<T>(f: impl FnOnce() -> T) -> (T, i64) {
    let before = BYTES.with(Cell::get);
    let value = f();
    (value, BYTES.with(Cell::get) - before)
}

#[test]
fn memory_per_slo_and_per_operation_histogram() {
    // Once per process, not per SLO, so outside the count: the time-zone database the daily
    // bars' calendar loads with the first SLO.
    Registry::builder("warm-up")
        .build()
        .register(Slo::availability("first").build().expect("valid"))
        .expect("registered");
    let registry = Registry::builder("memory").build();
    let (slo, per_slo) = kept_by(|| {
        registry
            .register(
                Slo::latency("latency", Duration::from_millis(300))
                    .build()
                    .expect("valid"),
            )
            .expect("registered")
    });
    let (_, per_thread_slo) = kept_by(|| slo.record(Outcome::Success, Duration::from_millis(1)));
    let (_, steady) = kept_by(|| {
        for i in 0..100_000u64 {
            slo.record_nanos(Outcome::Success, i);
        }
    });
    let (histogram, per_series) = kept_by(|| {
        registry.classic_histogram(
            "http_server_request_duration_seconds",
            &[("http_route", "/pay")],
            Boundaries::http_default(),
        )
    });
    let (_, per_thread_series) = kept_by(|| histogram.record_nanos(1));
    let (fine, per_fine) = kept_by(|| Histogram::new(Boundaries::http_default()));
    let (_, per_thread_fine) = kept_by(|| fine.record_nanos(1));
    println!("SLO: {per_slo} B registered, {per_thread_slo} B per recording thread, {steady} B for 100,000 more events");
    println!("classic request series: {per_series} B, {per_thread_series} B per recording thread");
    println!("fine histogram: {per_fine} B, {per_thread_fine} B per recording thread");
    // The documented bounds: at most 64 KiB per SLO including the 30-day period, one padded
    // shard per recording thread, and nothing at all per event.
    assert!(per_slo <= 64 * 1024, "{per_slo}");
    assert!(per_slo >= sloguard_core::WINDOW_BYTES as i64);
    assert_eq!(per_thread_slo, sloguard_core::recorder::SHARD_BYTES as i64);
    assert_eq!(steady, 0);
    assert!(per_series <= 8 * 1024, "{per_series}");
    assert_eq!(
        per_thread_series,
        sloguard_core::histogram::CLASSIC_SHARD_BYTES as i64
    );
    assert_eq!(
        per_thread_fine,
        sloguard_core::histogram::SHARD_BYTES as i64
    );
}

#[test]
fn calendar_windows_and_an_sla_cost_fixed_memory() {
    use sloguard_core::clock::{Timestamp, VirtualClock};
    use sloguard_core::compliance::{PastPeriod, HISTORY};
    use sloguard_core::model::{Calendar, Sla, TimeSlices};

    let clock = VirtualClock::new(Timestamp::from_unix_secs(1_767_225_600));
    let registry = Registry::builder("memory")
        .clock(clock.clock())
        .tick(Duration::from_secs(86_400))
        .build();
    // The time-zone database is loaded once per process, not per SLO: outside the count (a
    // first SLO loads it for its daily bars).
    let month = Calendar::month("UTC").expect("zone");
    Registry::builder("warm-up")
        .build()
        .register(Slo::availability("first").build().expect("valid"))
        .expect("registered");
    let (_, plain) = kept_by(|| {
        registry
            .register(Slo::availability("plain").build().expect("valid"))
            .expect("registered")
    });
    // Every feature of the periods people report on at once: three calendar windows, an SLA,
    // and one-minute time slices.
    let definition = Slo::availability("calendars")
        .time_slices(TimeSlices::new(Duration::from_secs(60), 99.0).expect("valid"))
        .calendar(Calendar::week("UTC").expect("zone"))
        .calendar(month.clone())
        .calendar(Calendar::quarter("UTC").expect("zone"))
        .sla(Sla::new(99.5, month).expect("sla"))
        .build()
        .expect("valid");
    let (slo, with_calendars) = kept_by(|| registry.register(definition).expect("registered"));
    slo.record(Outcome::Success, Duration::from_millis(1));
    // Two years: 104 weeks, past what a window keeps.
    let (_, over_two_years) = kept_by(|| {
        for day in 1..=2 * 365u64 {
            slo.record(Outcome::Success, Duration::from_millis(1));
            registry.advance_to(Timestamp::from_unix_secs(1_767_225_600 + day * 86_400));
        }
    });
    let per_calendar = (with_calendars - plain) / 3;
    println!(
        "calendar window: {per_calendar} B each ({HISTORY} past periods of {} B); an SLO with 3 calendar windows, an SLA and time slices: {with_calendars} B ({plain} B without them); nothing more over two years: {over_two_years} B",
        std::mem::size_of::<PastPeriod>()
    );
    assert!(
        per_calendar <= (HISTORY * std::mem::size_of::<PastPeriod>()) as i64 + 512,
        "{per_calendar}"
    );
    assert_eq!(over_two_years, 0, "calendar history grows");
    let snapshot = registry.snapshot();
    let weeks = &snapshot.slo("calendars").expect("registered").compliance[0];
    assert_eq!(weeks.past.len(), HISTORY);
}

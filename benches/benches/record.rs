//! `record/*`, `record_2threads/*` and `request/*`: the cost of recording one event next to
//! the peers, on the same stream of varied latencies.
//!
//! One event is what a request needs recorded: that it happened, whether it failed, and its
//! latency in a histogram. metrics-exporter-prometheus: two pre-registered counters and a
//! histogram through the installed recorder; the `prometheus` crate: two `IntCounter`s and a
//! `Histogram`; `prometheus-client` and `measured`: two `Counter`s and a `Histogram` on the
//! same buckets; `hdrhistogram`: one record, for scale; `thread_local_counter`: one
//! thread-local increment, the floor for any per-thread write. sloguard:
//! `SloRecorder::record_nanos`, which files the event once, as a count in its outcome's
//! latency bucket plus its latency in that outcome's sum; the totals, the bad count and the
//! exported histogram (`sloguard_slo_event_duration_seconds`) are all read from that, so it is
//! the same work and the same information. `record` excludes clock reads; `request` adds the
//! two a real request needs. `record_2threads` times the `record` loop on one thread while a
//! second thread records into the same series.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sloguard::{Outcome, SloRecorder};
use sloguard_benches::{latency_slo, latency_stream, outcome};

const STREAM: usize = 1024;

#[derive(Clone)]
struct SloguardSeries {
    slo: SloRecorder,
    clock: sloguard::clock::Clock,
}

impl SloguardSeries {
    fn new() -> Self {
        let (registry, slo) = latency_slo();
        SloguardSeries {
            slo,
            clock: registry.clock().clone(),
        }
    }
    #[inline]
    fn record(&self, ns: u64, outcome: Outcome) {
        self.slo.record_nanos(outcome, ns);
    }
}

#[derive(Clone)]
struct MetricsSeries {
    total: metrics::Counter,
    bad: metrics::Counter,
    latency: metrics::Histogram,
}

impl MetricsSeries {
    fn new() -> Self {
        MetricsSeries {
            total: metrics::counter!("requests_total", "route" => "/pay"),
            bad: metrics::counter!("requests_failed_total", "route" => "/pay"),
            latency: metrics::histogram!("request_duration_seconds", "route" => "/pay"),
        }
    }
    #[inline]
    fn record(&self, ns: u64, outcome: Outcome) {
        self.total.increment(1);
        if outcome == Outcome::Error {
            self.bad.increment(1);
        }
        self.latency.record(ns as f64 * 1e-9);
    }
}

#[derive(Clone)]
struct PrometheusSeries {
    total: prometheus::IntCounter,
    bad: prometheus::IntCounter,
    latency: prometheus::Histogram,
}

impl PrometheusSeries {
    fn new() -> Self {
        let opts = prometheus::HistogramOpts::new("request_duration_seconds", "latency");
        PrometheusSeries {
            total: prometheus::IntCounter::new("requests_total", "requests").expect("counter"),
            bad: prometheus::IntCounter::new("requests_failed_total", "failures").expect("counter"),
            latency: prometheus::Histogram::with_opts(opts).expect("histogram"),
        }
    }
    #[inline]
    fn record(&self, ns: u64, outcome: Outcome) {
        self.total.inc();
        if outcome == Outcome::Error {
            self.bad.inc();
        }
        self.latency.observe(ns as f64 * 1e-9);
    }
}

/// prometheus-client: two `Counter`s and a `Histogram` with the default buckets of the
/// `prometheus` crate, so both Prometheus clients do the same work.
#[derive(Clone)]
struct PrometheusClientSeries {
    total: prometheus_client::metrics::counter::Counter,
    bad: prometheus_client::metrics::counter::Counter,
    latency: prometheus_client::metrics::histogram::Histogram,
}

impl PrometheusClientSeries {
    fn new() -> Self {
        PrometheusClientSeries {
            total: Default::default(),
            bad: Default::default(),
            latency: prometheus_client::metrics::histogram::Histogram::new(
                prometheus::DEFAULT_BUCKETS.iter().copied(),
            ),
        }
    }
    #[inline]
    fn record(&self, ns: u64, outcome: Outcome) {
        self.total.inc();
        if outcome == Outcome::Error {
            self.bad.inc();
        }
        self.latency.observe(ns as f64 * 1e-9);
    }
}

/// measured: two `Counter`s and a `Histogram` on the same buckets.
#[derive(Clone)]
struct MeasuredSeries(
    Arc<(
        measured::Counter,
        measured::Counter,
        measured::Histogram<11>,
    )>,
);

impl MeasuredSeries {
    fn new() -> Self {
        let le: [f64; 11] = *prometheus::DEFAULT_BUCKETS;
        MeasuredSeries(Arc::new((
            measured::Counter::new(),
            measured::Counter::new(),
            measured::Histogram::with_metadata(
                measured::metric::histogram::Thresholds::with_buckets(le),
            ),
        )))
    }
    #[inline]
    fn record(&self, ns: u64, outcome: Outcome) {
        let (total, bad, latency) = &*self.0;
        total.inc();
        if outcome == Outcome::Error {
            bad.inc();
        }
        latency.observe(ns as f64 * 1e-9);
    }
}

/// Times `record` over the stream on the bench thread while a second thread records into the
/// same series all along: the time per event of one of two threads at once. The timed loop is
/// the one `record/*` runs on a single thread, so the two figures differ only by the second
/// thread (a loop in a freshly spawned thread compiles differently and would blur that).
fn two_threads<R: Fn(u64, Outcome) + Send + Sync + 'static>(
    iters: u64,
    stream: Arc<[u64; STREAM]>,
    record: Arc<R>,
) -> Duration {
    let stop = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(2));
    let companion = {
        let (stream, record, stop, barrier) = (
            Arc::clone(&stream),
            Arc::clone(&record),
            Arc::clone(&stop),
            Arc::clone(&barrier),
        );
        std::thread::spawn(move || {
            let (stream, record) = (&*stream, &*record);
            barrier.wait();
            // Bounded: stops when the timed loop is done, and after a minute whatever happens.
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut i = STREAM / 2;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                for _ in 0..4096 {
                    let k = i & (STREAM - 1);
                    i = i.wrapping_add(1);
                    record(black_box(stream[k]), outcome(k));
                }
            }
        })
    };
    barrier.wait();
    let (stream, record) = (&*stream, &*record);
    let start = Instant::now();
    for i in 0..iters as usize {
        let k = i & (STREAM - 1);
        record(black_box(stream[k]), outcome(k));
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = companion.join();
    elapsed
}

fn benches(c: &mut Criterion) {
    let stream: Arc<[u64; STREAM]> =
        Arc::new(latency_stream(STREAM).try_into().expect("STREAM latencies"));
    let _handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("the only recorder of this bench");
    let sloguard = SloguardSeries::new();
    let metrics_series = MetricsSeries::new();
    let prom = PrometheusSeries::new();
    let prom_client = PrometheusClientSeries::new();
    let measured_series = MeasuredSeries::new();
    let mut hdr = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
        .expect("histogram");

    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(1));
    macro_rules! single {
        ($id:literal, $series:expr) => {
            group.bench_function($id, |b| {
                let mut i = 0usize;
                b.iter(|| {
                    let k = i & (STREAM - 1);
                    i = i.wrapping_add(1);
                    $series.record(black_box(stream[k]), outcome(k));
                })
            });
        };
    }
    single!("sloguard", sloguard);
    single!("metrics_exporter_prometheus", metrics_series);
    single!("prometheus", prom);
    single!("prometheus_client", prom_client);
    single!("measured", measured_series);
    // The floor for any per-thread write: one thread-local counter increment.
    group.bench_function("thread_local_counter", |b| {
        thread_local! {
            static COUNT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
        }
        let mut i = 0usize;
        b.iter(|| {
            let k = i & (STREAM - 1);
            i = i.wrapping_add(1);
            COUNT.with(|c| c.set(c.get().wrapping_add(black_box(stream[k]) & 1)));
        })
    });
    group.bench_function("hdrhistogram", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let k = i & (STREAM - 1);
            i = i.wrapping_add(1);
            let _ = hdr.record(black_box(stream[k]));
        })
    });
    group.finish();

    let mut group = c.benchmark_group("record_2threads");
    group.throughput(Throughput::Elements(1));
    macro_rules! pair {
        ($id:literal, $series:expr) => {{
            let s = Arc::new({
                let s = $series.clone();
                move |ns, o| s.record(ns, o)
            });
            let st = Arc::clone(&stream);
            group.bench_function($id, move |b| {
                b.iter_custom(|iters| two_threads(iters, Arc::clone(&st), Arc::clone(&s)))
            });
        }};
    }
    pair!("sloguard", sloguard);
    pair!("metrics_exporter_prometheus", metrics_series);
    pair!("prometheus", prom);
    pair!("prometheus_client", prom_client);
    pair!("measured", measured_series);
    {
        // hdrhistogram is single-writer: two threads share it behind a mutex, as they must.
        let h = Arc::new(std::sync::Mutex::new(
            hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
                .expect("histogram"),
        ));
        let s = Arc::new(move |ns: u64, _o: Outcome| {
            if let Ok(mut h) = h.lock() {
                let _ = h.record(ns);
            }
        });
        let st = Arc::clone(&stream);
        group.bench_function("hdrhistogram", move |b| {
            b.iter_custom(|iters| two_threads(iters, Arc::clone(&st), Arc::clone(&s)))
        });
    }
    group.finish();

    // One read of each clock, turned into a duration as a request's end does.
    let mut group = c.benchmark_group("clock");
    let instant = Instant::now();
    group.bench_function("instant_now", |b| {
        b.iter(|| black_box(instant.elapsed().as_nanos() as u64))
    });
    group.bench_function("tick", |b| {
        let start = sloguard.clock.tick();
        b.iter(|| black_box(sloguard.clock.nanos_since(start)))
    });
    group.finish();

    let mut group = c.benchmark_group("request");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sloguard", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let k = i & (STREAM - 1);
            i = i.wrapping_add(1);
            let start = sloguard.clock.tick();
            let elapsed = sloguard.clock.nanos_since(start);
            sloguard.record(black_box(elapsed + stream[k]), outcome(k));
        })
    });
    group.bench_function("metrics_exporter_prometheus", |b| {
        let mut i = 0usize;
        b.iter(|| {
            let k = i & (STREAM - 1);
            i = i.wrapping_add(1);
            let start = Instant::now();
            let elapsed = start.elapsed().as_nanos() as u64;
            metrics_series.record(black_box(elapsed + stream[k]), outcome(k));
        })
    });
    group.finish();
}

criterion_group!(record, benches);
criterion_main!(record);

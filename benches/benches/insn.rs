//! The instruction-count gate: `record`, `request` and `layer` under callgrind, 1,000
//! operations each (the fixture, run before the count, registers the SLOs and records once so
//! the thread's shard exists). Instruction counts repeat exactly where wall-clock figures move
//! with the machine, so CI can fail on a regression of a few percent: each bench has a hard
//! limit on `Ir`, the count measured when it was set plus 5%. `.ci/run` runs it with the
//! `gungraun-runner` of the same version as the `gungraun` crate.
//!
//! ```sh
//! cargo bench -p sloguard-benches --bench insn
//! ```
//!
//! When a change makes the code faster, lower the limit to the new count plus 5% in the same
//! commit, so the gain is kept.
#![allow(missing_docs)]

use std::hint::black_box;

use gungraun::{
    library_benchmark, library_benchmark_group, main, Callgrind, EventKind, LibraryBenchmarkConfig,
};
use sloguard::{Outcome, Registry, SloRecorder};
use sloguard_benches::request::{drive, ok};
use sloguard_benches::{latency_slo, latency_stream, outcome};
use tower::Layer;

const OPS: usize = 1_000;

/// The committed instruction limits, for 1,000 operations with the fixture's teardown: the
/// count measured when set (48,484; 89,489; 1,139,593 on 2026-11-24, valgrind 3.19, rustc
/// 1.95) plus 5%.
const RECORD_LIMIT: u64 = 50_900;
const REQUEST_LIMIT: u64 = 94_000;
const LAYER_LIMIT: u64 = 1_195_500;

fn limit(ir: u64) -> LibraryBenchmarkConfig {
    let mut config = LibraryBenchmarkConfig::default();
    config.tool(Callgrind::default().hard_limits([(EventKind::Ir, ir)]));
    config
}

/// A latency SLO, already recorded into once on this thread, and the latencies to record.
fn recorder() -> (SloRecorder, sloguard::clock::Clock, Vec<u64>) {
    let (registry, slo) = latency_slo();
    slo.record_nanos(Outcome::Success, 1);
    (slo, registry.clock().clone(), latency_stream(OPS))
}

#[library_benchmark(config = limit(RECORD_LIMIT))]
#[bench::thousand(setup = recorder)]
fn record(fixture: (SloRecorder, sloguard::clock::Clock, Vec<u64>)) {
    let (slo, _, stream) = fixture;
    for (i, ns) in stream.iter().enumerate() {
        slo.record_nanos(outcome(i), black_box(*ns));
    }
}

#[library_benchmark(config = limit(REQUEST_LIMIT))]
#[bench::thousand(setup = recorder)]
fn request(fixture: (SloRecorder, sloguard::clock::Clock, Vec<u64>)) {
    let (slo, clock, stream) = fixture;
    for (i, ns) in stream.iter().enumerate() {
        let start = clock.tick();
        let elapsed = clock.nanos_since(start);
        slo.record_nanos(outcome(i), black_box(elapsed + ns));
    }
}

type Service = sloguard::layer::SliService<
    tower::util::ServiceFn<
        fn(
            http::Request<http_body_util::Full<bytes::Bytes>>,
        ) -> std::future::Ready<
            Result<http::Response<http_body_util::Full<bytes::Bytes>>, std::convert::Infallible>,
        >,
    >,
>;

/// The layer over the availability and latency SLOs, after one request.
fn service() -> (Registry, Service) {
    let registry = sloguard_benches::request::registry();
    let inner = ok as fn(_) -> _;
    let mut service = sloguard::SliLayer::new(&registry)
        .operation("/pay")
        .layer(tower::service_fn(inner));
    drive(&mut service);
    (registry, service)
}

#[library_benchmark(config = limit(LAYER_LIMIT))]
#[bench::thousand(setup = service)]
fn layer(fixture: (Registry, Service)) {
    let (_registry, mut service) = fixture;
    for _ in 0..OPS {
        drive(&mut service);
    }
}

library_benchmark_group!(name = hot_path, benchmarks = [record, request, layer]);

main!(library_benchmark_groups = hot_path);

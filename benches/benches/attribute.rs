//! `attribute/*`: the cost `#[sli]` adds to a call, next to the same work written by hand
//! (two clock reads, the SLO record, the operation histogram record) and to the bare call.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::LazyLock;

use criterion::{criterion_group, criterion_main, Criterion};
use sloguard::histogram::Boundaries;
use sloguard::model::Slo;
use sloguard::{sli, Outcome, Registry};

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let r = Registry::builder("bench").build();
    r.register(Slo::availability("jobs").build().expect("valid"))
        .expect("ok");
    r
});

#[inline(never)]
fn bare(n: u64) -> Result<u64, String> {
    if n == u64::MAX {
        Err("overflow".into())
    } else {
        Ok(n + 1)
    }
}

#[sli(slo = "jobs", registry = &*REGISTRY)]
#[inline(never)]
fn instrumented(n: u64) -> Result<u64, String> {
    if n == u64::MAX {
        Err("overflow".into())
    } else {
        Ok(n + 1)
    }
}

fn attribute(c: &mut Criterion) {
    let slo = REGISTRY.slo("jobs").expect("registered");
    let clock = REGISTRY.clock().clone();
    let histogram = REGISTRY.classic_histogram(
        "sloguard_operation_duration_seconds",
        &[("operation", "by_hand"), ("outcome", "success")],
        Boundaries::http_default(),
    );
    let mut group = c.benchmark_group("attribute");
    group.bench_function("bare", |b| b.iter(|| bare(black_box(7))));
    group.bench_function("sli", |b| b.iter(|| instrumented(black_box(7))));
    group.bench_function("hand_written", |b| {
        b.iter(|| {
            let start = clock.tick();
            let result = bare(black_box(7));
            let latency = clock.nanos_since(start);
            let outcome = if result.is_ok() {
                Outcome::Success
            } else {
                Outcome::Error
            };
            slo.record_nanos(outcome, latency);
            histogram.record_nanos(latency);
            result
        })
    });
    group.finish();
}

criterion_group!(benches, attribute);
criterion_main!(benches);

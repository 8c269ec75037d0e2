//! `replay/sloguard`: events per second through the replay engine (parsing, virtual time, the
//! engine, output), 100,000 events per iteration.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sloguard::spec::Spec;
use sloguard_cli::replay::{replay, Options};

const EVENTS: u64 = 100_000;

fn events() -> String {
    let mut out = String::with_capacity(EVENTS as usize * 80);
    for i in 0..EVENTS {
        let ok = i % 500 != 0;
        let latency = (i * 7919) % 400;
        out.push_str(&format!(
            "{{\"ts\": {}.{:03}, \"ok\": {ok}, \"latency_ms\": {latency}.5, \"route\": \"/pay\"}}\n",
            1_767_225_600 + i / 20,
            (i % 20) * 50
        ));
    }
    out
}

fn bench(c: &mut Criterion) {
    let spec = Spec::from_str(include_str!("../../examples/specs/payments.yaml")).expect("spec");
    let input = events();
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(EVENTS));
    group.sample_size(10);
    group.bench_function("sloguard", |b| {
        b.iter(|| {
            replay(
                &spec,
                input.as_bytes(),
                std::io::sink(),
                &Options::default(),
            )
            .expect("replays")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

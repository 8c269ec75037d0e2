//! Reads criterion's results and prints sloguard's ratios to its peers; exits non-zero when
//! `record/sloguard` is not at least 3x faster than `record/metrics_exporter_prometheus` in the
//! same run (the CI gate; the other targets are reported, not enforced, as these machines are
//! noisy).
//!
//! Usage: `cargo run -p sloguard-benches --bin ratios [CRITERION_DIR]` (default
//! `target/criterion`).
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Mean time in nanoseconds of every benchmark found, by its full id (`record/sloguard`).
fn load(dir: &Path) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "new") {
                    if let Some((id, mean)) = read(&path) {
                        out.insert(id, mean);
                    }
                } else {
                    stack.push(path);
                }
            }
        }
    }
    out
}

fn read(new: &Path) -> Option<(String, f64)> {
    let bench: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(new.join("benchmark.json")).ok()?).ok()?;
    let estimates: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(new.join("estimates.json")).ok()?).ok()?;
    Some((
        bench["full_id"].as_str()?.to_owned(),
        estimates["mean"]["point_estimate"].as_f64()?,
    ))
}

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/criterion"));
    let means = load(&dir);
    if means.is_empty() {
        eprintln!("no criterion results under {}", dir.display());
        return ExitCode::FAILURE;
    }
    let get = |id: &str| means.get(id).copied();
    println!("{:<48} {:>12}", "benchmark", "mean");
    for (id, ns) in &means {
        let shown = if *ns >= 1e6 {
            format!("{:.2} ms", ns / 1e6)
        } else if *ns >= 1e3 {
            format!("{:.2} µs", ns / 1e3)
        } else {
            format!("{ns:.2} ns")
        };
        println!("{id:<48} {shown:>12}");
    }
    println!();
    println!("{:<60} {:>9} {:>9}", "ratio", "measured", "target");
    let report = |name: &str, value: Option<f64>, target: &str| {
        let shown = value.map_or("n/a".to_owned(), |v| format!("{v:.3}"));
        println!("{name:<60} {shown:>9} {target:>9}");
    };
    report(
        "record: sloguard, ns per event",
        get("record/sloguard"),
        "<= 5",
    );
    let record = get("record/sloguard")
        .zip(get("record/metrics_exporter_prometheus"))
        .map(|(s, m)| s / m);
    report(
        "record: sloguard / metrics_exporter_prometheus",
        record,
        "<= 0.1",
    );
    report(
        "record: sloguard / prometheus",
        get("record/sloguard")
            .zip(get("record/prometheus"))
            .map(|(s, p)| s / p),
        "",
    );
    report(
        "record: sloguard / prometheus_client",
        get("record/sloguard")
            .zip(get("record/prometheus_client"))
            .map(|(s, p)| s / p),
        "<= 0.2",
    );
    report(
        "record: sloguard / thread-local counter increment",
        get("record/sloguard")
            .zip(get("record/thread_local_counter"))
            .map(|(s, t)| s / t),
        "<= 1.5",
    );
    report(
        "record_2threads / record (sloguard, per thread)",
        get("record_2threads/sloguard")
            .zip(get("record/sloguard"))
            .map(|(t, s)| t / s),
        "<= 1.5",
    );
    report(
        "request: sloguard, ns (two clock reads and record)",
        get("request/sloguard"),
        "<= 25",
    );
    report(
        "attribute: sli over bare, ns",
        get("attribute/sli")
            .zip(get("attribute/bare"))
            .map(|(s, b)| (s - b).max(0.0)),
        "<= 25",
    );
    report(
        "request: sloguard / metrics_exporter_prometheus",
        get("request/sloguard")
            .zip(get("request/metrics_exporter_prometheus"))
            .map(|(s, m)| s / m),
        "",
    );
    let overhead = |id: &str| {
        get(id)
            .zip(get("layer/bare"))
            .map(|(l, b)| (l - b).max(0.0))
    };
    report(
        "layer overhead: sloguard over bare, ns",
        overhead("layer/sloguard"),
        "<= 50",
    );
    let traced = |id: &str| {
        get(id)
            .zip(get("layer/bare_traced"))
            .map(|(l, b)| (l - b).max(0.0))
    };
    report(
        "layer overhead, traced requests, exemplars off, ns",
        traced("layer/sloguard_traced"),
        "",
    );
    report(
        "layer overhead, traced requests, exemplars on, ns",
        traced("layer/sloguard_exemplars_traced"),
        "",
    );
    // The threaded group's ids end in the thread count: 1 and SLOGUARD_BENCH_THREADS. The
    // per-thread cost on the most threads, over one thread's.
    let most_over_one = |bench: &str| {
        let prefix = format!("layer_threads/{bench}/");
        let most = means
            .iter()
            .filter(|(id, _)| id.starts_with(&prefix))
            .map(|(_, ns)| *ns)
            .reduce(f64::max);
        get(&format!("{prefix}1"))
            .zip(most)
            .map(|(one, most)| most / one)
    };
    report(
        "layer: per-thread cost, most threads / one thread",
        most_over_one("sloguard"),
        "<= 1.2",
    );
    report(
        "layer, a service clone per request (as axum): most threads / one",
        most_over_one("sloguard_cloned"),
        "<= 1.2",
    );
    report(
        "layer, clones of a clone made on another thread: most threads / one",
        most_over_one("sloguard_cloned_elsewhere"),
        "<= 1.2",
    );
    report(
        "layer overhead: sloguard / axum_prometheus",
        overhead("layer/sloguard")
            .zip(overhead("layer/axum_prometheus"))
            .map(|(s, a)| s / a),
        "<= 0.05",
    );
    report(
        "layer overhead: sloguard / opentelemetry_instrumentation_tower",
        overhead("layer/sloguard")
            .zip(overhead("layer/opentelemetry_instrumentation_tower"))
            .map(|(s, o)| s / o),
        "<= 0.25",
    );
    report(
        "render: sloguard 100 SLOs / metrics_exporter_prometheus 100 series",
        get("render/sloguard/100slos")
            .zip(get("render/metrics_exporter_prometheus/100series"))
            .map(|(s, m)| s / m),
        "",
    );
    if let Some(ns) = get("replay/sloguard") {
        println!(
            "replay: {:.2} million events per second",
            100_000.0 / ns * 1e3
        );
    }
    match record {
        Some(r) if r <= 1.0 / 3.0 => {
            println!("\nCI gate: record/sloguard is {:.1}x faster than record/metrics_exporter_prometheus (needs 3x): pass", 1.0 / r);
            ExitCode::SUCCESS
        }
        Some(r) => {
            println!("\nCI gate: record/sloguard is only {:.1}x faster than record/metrics_exporter_prometheus (needs 3x): FAIL", 1.0 / r);
            ExitCode::FAILURE
        }
        None => {
            println!(
                "\nCI gate: record/sloguard or record/metrics_exporter_prometheus is missing: FAIL"
            );
            ExitCode::FAILURE
        }
    }
}

//! The fleet rules for a calendar month and a time-slice SLO, under the real `promtool`,
//! against the in-process engine: two replicas' series go into promtool, and a third
//! registry that saw both replicas' events gives the figures the rules must reproduce.
//!
//! promtool's clock starts at the Unix epoch, so the traces run in January and February
//! 1970: `time()` in the rules is then the same instant as the engine's clock.

use std::time::Duration;

use serde_json::{json, Value};
use sloguard::clock::{Timestamp, VirtualClock};
use sloguard::spec::Spec;
use sloguard::{Outcome, Registry, SloRecorder};
use sloguard_cli::rules::{self, RulesFormat};
use sloguard_e2e::{program, promtool, temp_dir};

/// One registry on a virtual clock, ticking every minute, with the spec's SLO.
fn replica(spec: &Spec, clock: &VirtualClock) -> (Registry, SloRecorder) {
    let registry = Registry::builder(spec.service.clone())
        .clock(clock.clock())
        .tick(Duration::from_secs(60))
        .build();
    let mut recorders = spec.register(&registry).expect("registers");
    (registry, recorders.remove(0))
}

fn record(slo: &SloRecorder, good: u64, bad: u64) {
    for _ in 0..good {
        slo.record(Outcome::Success, Duration::from_millis(2));
    }
    for _ in 0..bad {
        slo.record(Outcome::Error, Duration::from_millis(2));
    }
}

/// A series sampled at every step, run-length encoded in promtool's notation.
fn encode(values: &[f64]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let run = values[i..].iter().take_while(|v| **v == values[i]).count();
        parts.push(format!("{}x{}", values[i], run - 1));
        i += run;
    }
    parts.join(" ")
}

/// `count(abs(expr - want) < 1e-9) or vector(0)` must be 1: the rule agrees with the engine.
fn agrees(expr: &str, want: f64, at_minutes: u64) -> Value {
    json!({
        "expr": format!("count(abs({expr} - {want:?}) < 1e-9) or vector(0)"),
        "eval_time": format!("{at_minutes}m"),
        "exp_samples": [{"labels": "{}", "value": 1}],
    })
}

fn absent(expr: &str, at_minutes: u64) -> Value {
    json!({
        "expr": format!("count({expr}) or vector(0)"),
        "eval_time": format!("{at_minutes}m"),
        "exp_samples": [{"labels": "{}", "value": 0}],
    })
}

/// Runs `checks` over `series` (sampled, and the rules evaluated, every `interval`).
fn run_promtool(name: &str, spec: &Spec, series: Vec<Value>, interval: &str, checks: Vec<Value>) {
    let Some(promtool_path) = program("promtool") else {
        return;
    };
    let started = std::time::Instant::now();
    let dir = temp_dir(name);
    let text = rules::render(spec, RulesFormat::Prometheus).expect("render");
    std::fs::write(dir.join("rules.yaml"), &text).expect("write");
    let (ok, out) = promtool(&promtool_path, &["check", "rules", "rules.yaml"], &dir);
    assert!(ok, "{out}");
    let groups: Vec<String> = rules::rule_file(spec)
        .groups
        .iter()
        .map(|g| g.name.clone())
        .collect();
    let tests = json!({
        "rule_files": ["rules.yaml"],
        "evaluation_interval": interval,
        "group_eval_order": groups,
        "tests": [{"name": name, "interval": interval, "input_series": series, "promql_expr_test": checks}],
    });
    std::fs::write(
        dir.join("tests.yaml"),
        serde_yaml_ng::to_string(&tests).expect("yaml"),
    )
    .expect("write");
    let (ok, out) = promtool(&promtool_path, &["test", "rules", "tests.yaml"], &dir);
    assert!(ok, "promtool disagrees with the engine:\n{out}\n{text}");
    eprintln!("{name}: promtool took {:?}", started.elapsed());
}

#[test]
fn fleet_rules_for_a_calendar_month_agree_with_the_engine() {
    let spec = Spec::from_str(
        "service: shop
slos:
  - name: checkout
    objective: 99
    sli: availability
    sla: {objective: 98, period: month}
",
    )
    .expect("valid");
    let clock = VirtualClock::new(Timestamp::from_unix_secs(1));
    let (a, slo_a) = replica(&spec, &clock);
    let (b, slo_b) = replica(&spec, &clock);
    let (whole, slo_all) = replica(&spec, &clock);
    // Every 5 minutes from 1970-01-29: replica a serves 20 requests (one failure an hour),
    // replica b 10 (three failures every 5 minutes on 1970-01-31 from 06:00 to 08:00), through
    // the start of February.
    const STEP: u64 = 300;
    let feb = 2_678_400;
    let end = feb + 6 * 3_600;
    let (mut series_a, mut series_b) = (Vec::new(), Vec::new());
    let mut expected = Vec::new();
    let checks_at = [
        feb - 3 * 3_600,
        feb - 300,
        feb,
        feb + 300,
        feb + 2 * 3_600,
        end,
    ];
    for t in (0..=end).step_by(STEP as usize) {
        for r in [&a, &b, &whole] {
            r.advance_to(Timestamp::from_unix_secs(t.max(1)));
        }
        clock.set(Timestamp::from_unix_secs(t.max(1)));
        // The scrape: each replica's current-period gauges.
        for (registry, out) in [(&a, &mut series_a), (&b, &mut series_b)] {
            let snapshot = registry.snapshot();
            let c = &snapshot.slos[0].compliance[0];
            out.push([
                c.events as f64,
                c.bad_events as f64,
                c.start.as_unix_secs_f64(),
                c.end.as_unix_secs_f64(),
            ]);
        }
        if checks_at.contains(&t) {
            let snapshot = whole.snapshot();
            let c = snapshot.slos[0].compliance[0].clone();
            expected.push((t, c));
        }
        if t >= 28 * 86_400 {
            let bad_a = u64::from(t % 3_600 == 0);
            let bad_b = if (30 * 86_400 + 6 * 3_600..30 * 86_400 + 8 * 3_600).contains(&t) {
                3
            } else {
                0
            };
            record(&slo_a, 20 - bad_a, bad_a);
            record(&slo_b, 10 - bad_b, bad_b);
            record(&slo_all, 30 - bad_a - bad_b, bad_a + bad_b);
        }
    }
    let labels = |instance: &str| {
        format!("{{service=\"shop\",slo=\"checkout\",window=\"month\",instance=\"{instance}\"}}")
    };
    let mut input = Vec::new();
    for (instance, samples) in [("a", &series_a), ("b", &series_b)] {
        for (i, family) in [
            "sloguard_slo_period_events",
            "sloguard_slo_period_bad_events",
            "sloguard_slo_period_start_seconds",
            "sloguard_slo_period_end_seconds",
        ]
        .into_iter()
        .enumerate()
        {
            let values: Vec<f64> = samples.iter().map(|s| s[i]).collect();
            input.push(json!({"series": format!("{family}{}", labels(instance)), "values": encode(&values)}));
        }
    }
    let sel = "{sloth_window=\"month\"}";
    let mut checks = Vec::new();
    for (t, c) in &expected {
        let minutes = t / 60;
        checks.push(agrees(
            &format!("sloguard:slo_period_events:sum{sel}"),
            c.events as f64,
            minutes,
        ));
        checks.push(agrees(
            &format!("sloguard:slo_period_bad_events:sum{sel}"),
            c.bad_events as f64,
            minutes,
        ));
        match c.sli() {
            Some(sli) => {
                checks.push(agrees(
                    &format!("slo:sli_error:ratio_calendar{sel}"),
                    1.0 - sli,
                    minutes,
                ));
                checks.push(agrees(
                    &format!("slo:calendar_error_budget_remaining:ratio{sel}"),
                    c.budget_remaining,
                    minutes,
                ));
            }
            None => checks.push(absent(
                &format!("slo:sli_error:ratio_calendar{sel}"),
                minutes,
            )),
        }
    }
    // The engine's January: every event of both replicas, 0.56% bad, the 98% SLA met.
    let (_, last) = expected.last().expect("checks");
    assert_eq!(
        (last.past[0].events, last.past[0].bad_events),
        (3 * 288 * 30, 3 * 24 + 24 * 3)
    );
    let spent = |c: &sloguard::compliance::ComplianceWindow| 1.0 - c.budget_remaining;
    assert!(spent(&expected[1].1) > 0.5, "January spent half its budget");
    assert_eq!(spent(&expected[2].1), 0.0, "February starts whole");
    run_promtool("fleet-calendar", &spec, input, "5m", checks);
}

#[test]
fn fleet_rules_for_a_time_slice_slo_agree_with_the_engine() {
    time_slice_slo("fleet-slices", "{length: 1m, objective: 90, empty: skip}");
}

#[test]
fn fleet_rules_for_a_ratio_time_slice_slo_agree_with_the_engine() {
    time_slice_slo(
        "fleet-ratio-slices",
        "{length: 1m, rule: ratio, empty: skip}",
    );
}

/// `expr` is `want` or at most `above` below it: the engine counts a ratio slice's bad share
/// in millionths rounded up, the rules keep the exact share.
fn agrees_within(expr: &str, want: f64, above: f64, at_minutes: u64) -> Value {
    json!({
        "expr": format!("count((({want:?} - {expr}) >= -1e-12) <= {above:?}) or vector(0)"),
        "eval_time": format!("{at_minutes}m"),
        "exp_samples": [{"labels": "{}", "value": 1}],
    })
}

fn time_slice_slo(name: &str, slices: &str) {
    let ratio = slices.contains("ratio");
    let spec = Spec::from_str(&format!(
        "service: shop
slos:
  - name: uptime
    objective: 95
    sli: availability
    time_slices: {slices}
"
    ))
    .expect("valid");
    let clock = VirtualClock::new(Timestamp::from_unix_secs(1));
    let (a, slo_a) = replica(&spec, &clock);
    let (b, slo_b) = replica(&spec, &clock);
    let (whole, slo_all) = replica(&spec, &clock);
    let minutes = 8 * 60u64;
    let (mut counters_a, mut counters_b) = (Vec::new(), Vec::new());
    let mut expected = Vec::new();
    for m in 0..=minutes {
        for r in [&a, &b, &whole] {
            r.advance_to(Timestamp::from_unix_secs((m * 60).max(1)));
        }
        clock.set(Timestamp::from_unix_secs((m * 60).max(1)));
        for (slo, out) in [(&slo_a, &mut counters_a), (&slo_b, &mut counters_b)] {
            let counts = slo.counts();
            out.push([counts.events() as f64, counts.bad as f64]);
        }
        if m % 37 == 0 || m == minutes {
            let snapshot = whole.snapshot();
            let e = snapshot.slos[0].evaluation.clone();
            expected.push((m, e));
        }
        // Traffic: a quiet minute in seven (no events: skipped); otherwise replica a serves
        // 8 and b 4 requests, with failures in patterns that make some minutes bad only
        // when both replicas' events are judged together.
        if m % 7 == 3 {
            continue;
        }
        let bad_a = [0, 1, 0, 2, 0, 0, 1][(m % 7) as usize] * u64::from(m % 3 != 0);
        let bad_b = u64::from(m % 5 == 0);
        record(&slo_a, 8 - bad_a, bad_a);
        record(&slo_b, 4 - bad_b, bad_b);
        record(&slo_all, 12 - bad_a - bad_b, bad_a + bad_b);
    }
    let mut input = Vec::new();
    for (instance, samples) in [("a", &counters_a), ("b", &counters_b)] {
        for (i, family) in ["sloguard_slo_events_total", "sloguard_slo_bad_events_total"]
            .into_iter()
            .enumerate()
        {
            let values: Vec<f64> = samples.iter().map(|s| s[i]).collect();
            input.push(json!({
                "series": format!("{family}{{service=\"shop\",slo=\"uptime\",instance=\"{instance}\"}}"),
                "values": encode(&values),
            }));
        }
    }
    let mut checks = Vec::new();
    let mut some_bad = false;
    for (m, e) in &expected {
        for w in &e.windows {
            let name = rules::prometheus_duration(w.window);
            let expr = format!("slo:sli_error:ratio_rate{name}");
            if w.events == 0 {
                checks.push(absent(&expr, *m));
            } else {
                some_bad |= w.bad_events > 0 && w.bad_events < w.events;
                let want = w.bad_events as f64 / w.events as f64;
                checks.push(if ratio {
                    agrees_within(&expr, want, 1e-6, *m)
                } else {
                    agrees(&expr, want, *m)
                });
            }
        }
    }
    assert!(some_bad, "the trace has windows with good and bad slices");
    run_promtool(name, &spec, input, "1m", checks);
}

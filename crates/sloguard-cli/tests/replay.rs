//! Replay against a trace computed by hand, its error handling, and the command line.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use sloguard::spec::Spec;
use sloguard_cli::replay::{replay, Malformed, Options, ReplayError};

const SPEC: &str = "service: shop
slos:
  - name: availability
    objective: 99
    sli: availability
    alerting:
      min_bad_events: 1   # the trace is computed by hand for single failures
      tiers:
        - {severity: page, burn_rate: 14.4, long_window: 1h, short_window: 5m}
        - {severity: ticket, burn_rate: 3, long_window: 1d, short_window: 2h}
";
const T: u64 = 1_767_225_600; // a multiple of 60

/// Events at T+0, 10, 20 (bad), 30, 70 (bad), 80, then every 30 s from T+90 to T+480.
fn events() -> String {
    let mut lines = Vec::new();
    for (dt, ok) in [
        (0, true),
        (10, true),
        (20, false),
        (30, true),
        (70, false),
        (80, true),
    ] {
        lines.push(json!({"ts": T + dt, "ok": ok, "latency_ms": 12.5}).to_string());
    }
    for dt in (90..=480).step_by(30) {
        lines.push(json!({"ts": T + dt, "ok": true, "route": "/pay"}).to_string());
    }
    lines.join("\n") + "\n"
}

fn run(spec: &str, input: &str, options: &Options) -> Result<Vec<Value>, ReplayError> {
    let spec = Spec::from_str(spec).expect("valid spec");
    let mut out = Vec::new();
    replay(&spec, input.as_bytes(), &mut out, options)?;
    Ok(String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect())
}

/// Equal, with numbers within 1e-9.
fn close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64().unwrap_or(f64::NAN) - y.as_f64().unwrap_or(0.0)).abs() < 1e-9
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| close(v, w)))
        }
        _ => a == b,
    }
}

fn all_windows(burn: f64) -> Value {
    json!({"5m": burn, "30m": burn, "1h": burn, "2h": burn, "6h": burn, "1d": burn, "3d": burn})
}

#[test]
fn replay_matches_a_hand_computed_trace() {
    let lines = run(SPEC, &events(), &Options::default()).expect("replays");
    let at = |dt: u64| (T + dt) as f64;
    // The tick at T+30 sees T+0, T+10 and the bad T+20: 1 in 3 bad is a 33x burn, past both
    // tiers (their windows hold all 30 s of history).
    assert_eq!(
        lines[0],
        json!({"ts": at(30), "slo": "availability", "alert": "page", "state": "firing"})
    );
    assert_eq!(
        lines[1],
        json!({"ts": at(30), "slo": "availability", "alert": "ticket", "state": "firing"})
    );
    // At T+60, before the T+70 event: 4 events, 1 bad: burn (1/4)/0.01 = 25 in every window.
    let status = |dt: u64, burn: Value, budget: f64, page: bool| json!({"ts": at(dt), "slo": "availability", "burn_rate": burn, "budget_remaining": budget, "alerts": {"page": page, "ticket": true}});
    let expect = |got: &Value, want: Value| assert!(close(got, &want), "got {got}\nwant {want}");
    expect(&lines[2], status(60, all_windows(25.0), 1.0 - 25.0, true));
    // At T+120: T+0..T+90, 7 events, 2 bad.
    let b = (2.0 / 7.0) / 0.01;
    expect(&lines[3], status(120, all_windows(b), 1.0 - b, true));
    // Good traffic dilutes both page windows: at the tick of T+300 they hold 13 events with 2
    // bad (15.4x); at T+310 the 1h window holds 14 with 2 bad, a 14.3x burn, under 14.4x, so
    // the page resolves. The 2h ticket window still holds both failures, so the ticket stays.
    let resolved: Vec<&Value> = lines.iter().filter(|l| l.get("state").is_some()).collect();
    assert_eq!(resolved.len(), 3);
    assert_eq!(
        *resolved[2],
        json!({"ts": at(310), "slo": "availability", "alert": "page", "state": "resolved"})
    );
    let position = lines.iter().position(|l| l == resolved[2]).expect("listed");
    expect(
        &lines[position - 1],
        status(300, all_windows(200.0 / 13.0), 1.0 - 200.0 / 13.0, true),
    );
    assert_eq!(
        lines[position + 1]["ts"],
        json!(at(360)),
        "before the status of T+360"
    );
    assert_eq!(lines[position + 1]["alerts"]["page"], json!(false));
    // The last boundary, T+540, reports all 20 events (2 bad): the 5m window [T+240, T+540)
    // holds 9 good ones, every longer window all of them.
    let last = lines.last().expect("lines");
    let b = (2.0 / 20.0) / 0.01;
    let mut windows = all_windows(b);
    windows["5m"] = json!(0.0);
    expect(last, status(540, windows, 1.0 - b, false));
    // One status per minute from T+60 to T+540, and the three transitions.
    assert_eq!(lines.len(), 9 + 3);
}

#[test]
fn windows_without_events_are_null_and_routes_select_slos() {
    let spec = "service: shop\nslos:\n  - {name: pay, objective: 99, sli: availability, operations: {routes: [/pay]}}\n  - {name: fast, objective: 99, sli: {latency: {threshold: 100ms}}}\n";
    let input = format!(
        "{}\n{}\n",
        json!({"ts": T, "ok": true, "latency_ms": 150.0, "route": "/refund"}),
        json!({"ts": "2026-01-01T00:00:30Z", "ok": true, "latency_ms": 50.0, "route": "/refund"})
    );
    let lines = run(spec, &input, &Options::default()).expect("replays");
    let status = |name: &str| {
        lines
            .iter()
            .find(|l| l["slo"] == name && l.get("burn_rate").is_some())
            .cloned()
            .expect("status line")
    };
    let pay = status("pay");
    assert_eq!(pay["burn_rate"]["5m"], Value::Null, "no /pay events");
    assert_eq!(pay["budget_remaining"], json!(1.0));
    let fast = status("fast");
    assert_eq!(
        fast["burn_rate"]["5m"],
        json!(50.0),
        "1 of 2 slower than 100ms"
    );
}

#[test]
fn malformed_and_out_of_order_lines_are_reported_with_their_number() {
    let bad_json = format!(
        "{}\nnot json\n{}\n",
        json!({"ts": T, "ok": true}),
        json!({"ts": T + 1, "ok": false})
    );
    let e = run(SPEC, &bad_json, &Options::default()).expect_err("fails");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("not an event"), "{e}");
    let skipping = Options {
        malformed: Malformed::Skip,
        ..Options::default()
    };
    assert!(run(SPEC, &bad_json, &skipping).is_ok());

    let backwards = format!(
        "{}\n{}\n",
        json!({"ts": T + 5, "ok": true}),
        json!({"ts": T, "ok": true})
    );
    let e = run(SPEC, &backwards, &skipping).expect_err("out of order is always an error");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("time order"), "{e}");

    let latency_spec = "service: s\nlatency: {threshold: 300ms, objective: 99}\n";
    let e = run(
        latency_spec,
        &format!("{}\n", json!({"ts": T, "ok": true})),
        &Options::default(),
    )
    .expect_err("needs latency");
    assert!(e.message.contains("latency_ms is needed"), "{e}");
    let e = run(
        SPEC,
        &format!("{}\n", json!({"ts": "yesterday", "ok": true})),
        &Options::default(),
    )
    .expect_err("bad ts");
    assert!(e.message.contains("RFC 3339"), "{e}");
}

#[test]
fn the_command_reads_stdin_and_writes_stdout() {
    let dir = std::env::temp_dir().join(format!("sloguard-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let spec = dir.join("spec.yaml");
    std::fs::write(&spec, SPEC).expect("spec");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sloguard"))
        .args([
            "replay",
            "--spec",
            spec.to_str().expect("path"),
            "--events",
            "-",
            "--step",
            "2m",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(events().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Boundaries every 2 minutes: T+120 … T+600, plus the three transitions.
    assert_eq!(stdout.lines().count(), 5 + 3, "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("20 events"));
    let _ = std::fs::remove_dir_all(&dir);
}

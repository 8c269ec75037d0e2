//! The `sloguard` command as a user runs it: lint, dashboard, and `check` against a live
//! service with Nagios exit codes.

use std::process::Command;

use sloguard_e2e::{build_cli, get, Example};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(build_cli())
        .args(args)
        .output()
        .expect("sloguard runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn spec_path(name: &str) -> String {
    format!("{}/../examples/specs/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn lint_reports_errors_with_position_and_warns_about_low_traffic() {
    let (code, out, err) = run(&[
        "lint",
        &spec_path("payments.yaml"),
        "--expected-rate",
        "0.05",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 SLO(s) of service \"payments\""));
    // At 0.05 requests a second an hour holds 180 requests: the 10 failures an alert needs
    // there are a 56x burn on a 99.9% objective, not the 14.4x the tier is for.
    assert!(
        err.contains("low traffic for a 99.9% objective") && err.contains("56x burn, not 14.4x"),
        "{err}"
    );

    let dir = sloguard_e2e::temp_dir("lint");
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "service: x\nslos:\n  - name: a\n    objective: 99\n    sli: availability\n    alerting: {disable: [page-2h]}\n").expect("write");
    let (code, _, err) = run(&["lint", bad.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1);
    assert!(
        err.contains("bad.yaml:3")
            && err.contains("slos[0].alerting.disable[0]")
            && err.contains("no tier \"page-2h\""),
        "{err}"
    );
    // A ratio where a percentage is expected: the error says what the user meant.
    let ratio = dir.join("ratio.yaml");
    std::fs::write(
        &ratio,
        "service: x\nslos:\n  - name: a\n    objective: 0.999\n    sli: availability\n",
    )
    .expect("write");
    let (code, _, err) = run(&["lint", ratio.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1);
    assert!(
        err.contains("ratio.yaml:4") && err.contains("did you mean 99.9?"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lint_and_rules_refuse_what_promtool_would_refuse() {
    let dir = sloguard_e2e::temp_dir("promtool-refusals");
    for (name, text, field) in [
        (
            "label.yaml",
            "service: x\nlabels: {bad-label: y}\nslos:\n  - {name: a, objective: 99, sli: availability}\n",
            "labels.bad-label",
        ),
        (
            "annotation.yaml",
            "service: x\nslos:\n  - name: a\n    objective: 99\n    sli: availability\n    alerting: {annotations: {a.b: c}}\n",
            "slos[0].alerting.annotations.a.b",
        ),
        (
            "period.yaml",
            "service: x\nslos:\n  - {name: a, objective: 99, sli: availability, period: 500y}\n",
            "period",
        ),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, text).expect("write");
        let path = file.to_str().expect("utf-8 path");
        for command in ["lint", "rules"] {
            let (code, out, err) = run(&[command, path]);
            assert_eq!(code, 1, "{command} {name}: {out}{err}");
            assert!(err.contains(field), "{command} {name}: {err}");
            assert!(out.is_empty(), "{command} {name} wrote rules: {out}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dashboard_is_grafana_json_over_the_recording_rules() {
    let (code, out, err) = run(&["dashboard", &spec_path("payments.yaml")]);
    assert_eq!(code, 0, "{err}");
    let dashboard: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(dashboard["title"], "SLOs: payments");
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["expr"].as_str().map(str::to_owned))
        .collect();
    for needle in [
        "slo:period_error_budget_remaining:ratio",
        "slo:sli_error:ratio_rate1h",
        "ALERTS",
        "sloguard_slo_events_total",
    ] {
        assert!(
            exprs.iter().any(|e| e.contains(needle)),
            "no panel reads {needle}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_speaks_nagios_against_a_live_service() {
    let example = Example::start("axum_service", &[]);
    let url = format!("http://{}/slo.json", example.addr);
    for _ in 0..20 {
        get(example.addr, "/pay").await;
    }
    // Before the sampler's first evaluation (10 s after start) nothing is judged: UNKNOWN,
    // saying why, never OK. After it, OK.
    let (_, out, _) = sloguard_e2e::wait_until(
        sloguard_e2e::PATIENCE,
        "check to say OK once the first evaluation ran",
        || async { run(&["check", "--url", &url]) },
        |(code, out, _)| {
            assert!(
                *code == 0 || (*code == 3 && out.contains("not evaluated yet")),
                "{out}"
            );
            *code == 0
        },
    )
    .await;
    assert!(out.starts_with("SLO OK - payments:"), "{out}");
    assert!(out.contains("'availability_budget'=1.0000;;;;"), "{out}");

    // 10 failures in 250 requests (4%) is a 40x burn on the 99.9% SLO: once the sampler has
    // evaluated it (every 10 s), the page alert fires and the check is CRITICAL. (Fewer than
    // 10 failures never alert: alerting.min_bad_events.)
    for _ in 0..220 {
        get(example.addr, "/pay").await;
    }
    for _ in 0..10 {
        get(example.addr, "/pay?status=500").await;
    }
    let paged = sloguard_e2e::eventually(std::time::Duration::from_secs(30), || async {
        sloguard_e2e::status(example.addr)
            .await
            .slo("availability")
            .filter(|s| s.alerts.page)
            .map(|_| ())
    })
    .await;
    assert!(paged.is_some(), "the page alert did not fire within 30 s");
    let (code, out, _) = run(&["check", "--url", &url]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("SLO CRITICAL - payments: availability: page alert firing"),
        "{out}"
    );
    // The same failures on the 99% latency SLO are a 4x burn: tickets fire, pages do not.
    let (code, out, _) = run(&["check", "--url", &url, "--slo", "latency"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("SLO WARNING - payments: latency: ticket alert firing"),
        "{out}"
    );

    let (code, out, _) = run(&["check", "--url", &url, "--slo", "nope"]);
    assert_eq!((code, out.starts_with("SLO UNKNOWN")), (3, true), "{out}");
    let (code, out, _) = run(&[
        "check",
        "--url",
        &format!("http://{}/metrics", example.addr),
    ]);
    assert_eq!(code, 3, "{out}");
    drop(example);
    let (code, out, _) = run(&["check", "--url", &url, "--timeout", "2"]);
    assert_eq!(code, 3, "{out}");
}

#[test]
fn rules_take_sloth_periods_windows_files_and_command_line_options() {
    // 28 days: Sloth's factors (2%, 5%, 10%, 10% of the budget) and window name.
    let (code, out, err) = run(&[
        "rules",
        &spec_path("sloth.yaml"),
        "--default-slo-period",
        "28d",
        "-l",
        "env=prod",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("record: slo:sli_error:ratio_rate4w"), "{out}");
    assert!(!out.contains("ratio_rate28d"), "{out}");
    assert!(out.contains("(13.44 * "), "{out}");
    assert!(out.contains("(5.6 * "), "{out}");
    assert!(out.contains("env: prod"), "{out}");
    // Another period needs its windows file.
    let (code, _, err) = run(&[
        "rules",
        &spec_path("sloth.yaml"),
        "--default-slo-period",
        "7d",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("no alert windows for a 7d period"), "{err}");
    let dir = sloguard_e2e::temp_dir("windows");
    std::fs::write(
        dir.join("7d.yaml"),
        "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 7d\n  page:\n    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}\n    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}\n  ticket:\n    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 1d}\n    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 3d}\n",
    )
    .expect("write");
    let windows = dir.to_string_lossy().into_owned();
    let (code, out, err) = run(&[
        "rules",
        &spec_path("sloth.yaml"),
        "--default-slo-period",
        "7d",
        "--slo-period-windows-path",
        &windows,
        "--disable-alerts",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("record: slo:sli_error:ratio_rate1w"), "{out}");
    assert!(!out.contains("alert:"), "{out}");
    let (code, out, err) = run(&["rules", &spec_path("sloth.yaml"), "--disable-recordings"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("record:") && out.contains("alert:"), "{out}");
}

#[test]
fn sla_report_reads_a_state_file_with_its_spec() {
    use sloguard::clock::{Timestamp, VirtualClock};
    use sloguard::spec::Spec;
    use sloguard::Outcome;
    use std::time::Duration;

    let dir = sloguard_e2e::temp_dir("sla-report");
    let spec_text = "service: shop\nslos:\n  - name: checkout\n    objective: 99.9\n    sli: availability\n    sla: {objective: 99, period: month, zone: Europe/Paris}\n";
    let spec_file = dir.join("spec.yaml");
    std::fs::write(&spec_file, spec_text).expect("write");
    let spec = Spec::from_str(spec_text).expect("valid");
    // September 2026 (Paris): 1,000 requests, 20 failed (breached); October: 1,000, 5 failed.
    let clock = VirtualClock::new(Timestamp::from_unix_secs(1_789_000_000)); // 2026-09-10
    let registry = sloguard::Registry::builder("shop")
        .clock(clock.clock())
        .build();
    let slo = spec.register(&registry).expect("registers").remove(0);
    for (at, bad) in [(1_789_000_000, 20), (1_791_600_000, 5)] {
        registry.advance_to(Timestamp::from_unix_secs(at));
        for i in 0..1_000 {
            let outcome = if i < bad {
                Outcome::Error
            } else {
                Outcome::Success
            };
            slo.record(outcome, Duration::from_millis(3));
        }
    }
    registry.advance_to(Timestamp::from_unix_secs(1_791_600_060));
    let state = dir.join("shop.state");
    registry.save_state(&state).expect("saved");

    let (code, out, err) = run(&[
        "sla-report",
        "--spec",
        spec_file.to_str().expect("utf-8"),
        "--state",
        state.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("shop / checkout: per month (Europe/Paris), SLA 99%"),
        "{out}"
    );
    let row = |date: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(date))
            .unwrap_or_else(|| panic!("no row for {date}:\n{out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        row("2026-09-01"),
        ["2026-09-01", "1000", "20", "98.000%", "breached"]
    );
    assert_eq!(
        row("2026-10-01"),
        ["2026-10-01", "1000", "5", "99.500%", "met"]
    );

    let (code, _, err) = run(&[
        "sla-report",
        "--spec",
        spec_file.to_str().expect("utf-8"),
        "--state",
        "/nonexistent/state",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/state"), "{err}");
}

#[test]
fn incident_review_drafts_from_a_replay() {
    let dir = sloguard_e2e::temp_dir("incident-review");
    let spec_file = dir.join("spec.yaml");
    std::fs::write(
        &spec_file,
        "service: shop\nslos:\n  - {name: checkout, objective: 99.9, sli: availability}\n",
    )
    .expect("write");
    // Eight hours, 10 requests a minute; from minute 60 to 90, one in four fails.
    let start = 1_800_000_000u64;
    let mut events = String::new();
    for minute in 0..8 * 60u64 {
        for i in 0..10u64 {
            let ok = !((60..90).contains(&minute) && i % 4 == 0);
            events.push_str(&format!(
                "{{\"ts\": {}, \"ok\": {ok}, \"latency_ms\": 4}}\n",
                start + minute * 60 + i * 6
            ));
        }
    }
    let events_file = dir.join("events.jsonl");
    std::fs::write(&events_file, events).expect("write");
    let spec = spec_file.to_str().expect("utf-8");
    let (code, out, err) = run(&[
        "incident-review",
        "--spec",
        spec,
        "--events",
        events_file.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    for needle in [
        "# Post-incident review (draft): shop, incident 1",
        "- **2027-01-15 09:00 UTC**: first bad minute",
        "## Impact on customers",
        "| checkout | 2027-01-15 09:00 UTC |",
        "| page-1h | page | firing |",
        "## Cause",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    // Nothing to review is an error, not an empty draft.
    let quiet = dir.join("quiet.jsonl");
    std::fs::write(&quiet, format!("{{\"ts\": {start}, \"ok\": true}}\n")).expect("write");
    let (code, _, err) = run(&[
        "incident-review",
        "--spec",
        spec,
        "--events",
        quiet.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("has no incident"), "{err}");
}

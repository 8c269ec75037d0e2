//! Golden tests of the text formats and the JSON document. Regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p sloguard golden`, then read the diff before committing.

use std::path::PathBuf;
use std::time::Duration;

use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::histogram::Boundaries;
use sloguard_core::model::{Calendar, Sla, Slo};
use sloguard_core::{Outcome, Registry};

use super::text::{render, Format};

fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/expose/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", path.display()));
    assert!(
        expected == actual,
        "{name} differs from its golden file:\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

/// A service and SLO names that need escaping, traffic with failures, a latency SLO that has
/// seen nothing (no burn-rate samples), a request histogram and an in-flight gauge.
fn hostile_registry() -> Registry {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(1_767_225_600));
    let registry = Registry::builder("pay\"ments\\ \u{e9}quipe")
        .clock(clock.clock())
        .build();
    let availability = registry
        .register(
            Slo::availability("disponibilit\u{e9} \"99.9%\" \\ all")
                .alert_name("DisponibiliteBudgetBurn")
                .build()
                .expect("valid"),
        )
        .expect("ok");
    registry
        .register(
            Slo::latency("latency", Duration::from_millis(300))
                .objective_percent(99.0)
                .sla(Sla::new(98.0, Calendar::month("Europe/Paris").expect("zone")).expect("valid"))
                .alerting_window("month")
                .build()
                .expect("valid"),
        )
        .expect("ok");
    for i in 0..1_000u64 {
        registry.advance_to(Timestamp::from_unix_secs(1_767_225_600 + i / 10));
        let outcome = if i % 100 == 0 {
            Outcome::Error
        } else {
            Outcome::Success
        };
        availability.record(outcome, Duration::from_millis(20));
    }
    registry.advance_to(Timestamp::from_unix_secs(1_767_225_700));
    let h = registry.classic_histogram(
        "http_server_request_duration_seconds",
        &[
            ("http_request_method", "GET"),
            ("http_route", "/a\nb \"q\" \\"),
            ("http_response_status_code", "200"),
        ],
        Boundaries::new([
            Duration::from_millis(5),
            Duration::from_millis(300),
            Duration::from_secs(1),
        ])
        .expect("fits"),
    );
    for ms in [1, 5, 6, 300, 301, 2_000] {
        h.record(Duration::from_millis(ms));
    }
    let g = registry.gauge(
        "http_server_active_requests",
        &[("http_request_method", "GET")],
    );
    g.increment();
    registry
}

#[test]
fn prometheus_text_golden() {
    check(
        "hostile.prom",
        &render(&hostile_registry().snapshot(), Format::Prometheus),
    );
}

#[test]
fn openmetrics_golden() {
    check(
        "hostile.om",
        &render(&hostile_registry().snapshot(), Format::OpenMetrics),
    );
}

#[test]
fn json_golden_and_round_trip() {
    let text = super::json::render(&hostile_registry().snapshot());
    check("hostile.json", &text);
    let doc: super::json::SloDocument = serde_json::from_str(&text).expect("parses back");
    let latency = doc.slo("latency").expect("listed");
    assert_eq!(
        latency.burn_rate.get("5m"),
        Some(None),
        "a window without events is null"
    );
    assert_eq!(latency.budget_remaining, 1.0);
    assert_eq!(
        serde_json::to_string_pretty(&doc).expect("serialises"),
        text
    );
}

#[test]
fn empty_registry_renders_valid_empty_families() {
    let registry = Registry::builder("empty").build();
    check(
        "empty.prom",
        &render(&registry.snapshot(), Format::Prometheus),
    );
    check(
        "empty.om",
        &render(&registry.snapshot(), Format::OpenMetrics),
    );
}

#[test]
fn status_page_escapes_and_shows_each_slo() {
    let registry = hostile_registry();
    let snapshot = registry.snapshot();
    let page = super::html::render(
        &snapshot,
        &super::charts::ChartsDocument::from_registry(&registry, &snapshot),
    );
    assert!(page.contains("disponibilit\u{e9} &quot;99.9%&quot; \\ all"));
    assert!(!page.contains("\"99.9%\""));
    assert!(
        page.contains("class=\"budget\">-900.0%</span>"),
        "1% bad on a 0.1% budget"
    );
    assert!(page.contains("class=\"budget\">100.0%</span>"));
    assert!(page.contains("http-equiv=\"refresh\""));
    assert!(
        page.contains("<tr data-window=\"month\"><td>month (Europe/Paris) <span class=\"quoted\">(alerts quote it)</span></td><td>2026-01-01</td><td>-</td><td>100.0%</td><td class=\"no_data\">98% no data</td></tr>"),
        "the SLA's month, quoted by alerts, without events yet: {page}"
    );
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external assets"
    );
}

#[test]
fn status_page_shows_past_calendar_periods_and_their_sla() {
    // 2026-01-31 00:00 UTC: a bad last day of January (the SLA breached), then February.
    let start = 1_769_817_600;
    let clock = VirtualClock::new(Timestamp::from_unix_secs(start));
    let registry = Registry::builder("shop").clock(clock.clock()).build();
    let slo = registry
        .register(
            Slo::availability("checkout")
                .calendar(Calendar::week("UTC").expect("zone"))
                .sla(Sla::new(99.0, Calendar::month("UTC").expect("zone")).expect("valid"))
                .build()
                .expect("valid"),
        )
        .expect("ok");
    for hour in 0..30 {
        registry.advance_to(Timestamp::from_unix_secs(start + hour * 3_600));
        let outcome = if hour < 24 {
            Outcome::Error
        } else {
            Outcome::Success
        };
        slo.record(outcome, Duration::from_millis(5));
    }
    let snapshot = registry.snapshot();
    let page = super::html::render(
        &snapshot,
        &super::charts::ChartsDocument::from_registry(&registry, &snapshot),
    );
    assert!(
        page.contains("<details data-window=\"month\"><summary>Past months (1)</summary>"),
        "{page}"
    );
    assert!(
        page.contains("<tr><td>2026-01-01</td><td>24</td><td>24</td><td>0.000%</td><td class=\"breached\">breached</td></tr>"),
        "{page}"
    );
    assert!(
        page.contains(
            "<tr data-window=\"month\"><td>month (UTC)</td><td>2026-02-01</td><td>100.000%</td>"
        ),
        "{page}"
    );
    assert!(
        !page.contains("alerts quote it"),
        "alerts quote the rolling period"
    );
}

#[test]
fn charts_draw_the_numbers_of_charts_json() {
    let start = 1_800_000_000;
    let clock = VirtualClock::new(Timestamp::from_unix_secs(start));
    let registry = Registry::builder("shop").clock(clock.clock()).build();
    let slo = registry
        .register(Slo::availability("checkout").build().expect("valid"))
        .expect("ok");
    for minute in 0..180 {
        registry.advance_to(Timestamp::from_unix_secs(start + minute * 60));
        for i in 0..20 {
            let failing = (120..150).contains(&minute) && i % 5 == 0;
            let outcome = if failing {
                Outcome::Error
            } else {
                Outcome::Success
            };
            slo.record(outcome, Duration::from_millis(2 + i));
        }
    }
    let snapshot = registry.snapshot();
    let doc = super::charts::ChartsDocument::from_registry(&registry, &snapshot);
    let page = super::html::render(&snapshot, &doc);
    let charts = &doc.slos[0];
    let last = |points: &[super::charts::JsonPoint]| {
        points
            .iter()
            .rev()
            .find_map(|p| p.1)
            .map_or("none".to_owned(), |v| format!("{v:.6}"))
    };
    for series in &charts.burn_rates {
        let drawn = format!(
            "data-series=\"{}\" data-last=\"{}\"",
            series.window,
            last(&series.points)
        );
        assert!(page.contains(&drawn), "{drawn} not in the page");
    }
    assert!(page.contains(&format!(
        "data-series=\"budget\" data-last=\"{}\"",
        last(&charts.budget)
    )));
    assert!(page.contains(&format!(
        "data-series=\"sli\" data-last=\"{}\"",
        last(&charts.sli)
    )));
    // The burn-down ends at the budget the SLO reports; the 30 bad minutes show in the SLI.
    let budget = charts.budget.last().and_then(|p| p.1).expect("a budget");
    assert!((budget - snapshot.slos[0].budget_remaining()).abs() < 1e-9);
    assert_eq!(charts.sli.iter().filter(|p| p.1 == Some(0.8)).count(), 30);
    let five_minutes = charts
        .burn_rates
        .iter()
        .find(|s| s.window == "5m")
        .expect("a 5m series");
    assert!(
        five_minutes.points.iter().any(|p| p.1 > Some(100.0)),
        "20% bad is a 200x burn"
    );
    // Each latency bucket is drawn with its count.
    let events: u64 = charts.latency.iter().map(|b| b.count).sum();
    assert_eq!(events, 180 * 20);
    for b in &charts.latency {
        assert!(page.contains(&format!("data-count=\"{}\"", b.count)));
    }
}

//! Our exposition against the real Prometheus: `promtool check metrics` reports nothing on
//! it, and a Prometheus server scraping the axum example holds the values the example served.
//! Both need Debian's `prometheus` package (installed by `.ci/run`): in CI a missing
//! program fails these tests; elsewhere they are skipped with a message.

use std::process::Command;

use sloguard_e2e::{
    eventually, get, get_with, program, prometheus_server, query, status, temp_dir, wait_until,
    Example, PATIENCE,
};

async fn traffic(example: &Example) {
    for path in [
        "/pay",
        "/pay",
        "/refund",
        "/pay?status=500",
        "/refund?status=503",
        "/pay?delay_ms=350",
        "/pay?status=404",
    ] {
        get(example.addr, path).await;
    }
}

fn promtool_check(promtool: &std::path::Path, exposition: &str) -> (bool, String) {
    let out = sloguard_e2e::output_with_stdin(
        Command::new(promtool).args(["check", "metrics"]),
        exposition.as_bytes(),
    );
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_reports_nothing_on_our_output() {
    let Some(promtool) = program("promtool") else {
        return;
    };
    let example = Example::start("axum_service", &[]);
    traffic(&example).await;
    let (_, metrics) = get(example.addr, "/metrics").await;
    assert!(metrics.contains("sloguard_slo_burn_rate"));
    let (ok, report) = promtool_check(&promtool, &metrics);
    assert!(
        ok && report.trim().is_empty(),
        "promtool: {report}\n{metrics}"
    );
    // The hostile golden output (quotes, backslashes, newlines, non-ASCII in labels) too.
    let hostile = include_str!("../../crates/sloguard/src/expose/golden/hostile.prom");
    let (ok, report) = promtool_check(&promtool, hostile);
    assert!(ok && report.trim().is_empty(), "promtool: {report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_the_values_we_serve() {
    let Some(prometheus) = program("prometheus") else {
        return;
    };
    let example = Example::start("axum_service", &[]);
    traffic(&example).await;

    let dir = temp_dir("prometheus");
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: payments\n    static_configs:\n      - targets: ['{}']\n",
            example.addr
        ),
    )
    .expect("config");
    let (_server, api) = prometheus_server(&prometheus, &config, &dir.join("data"));

    // Two scrapes at least.
    let scrapes = eventually(PATIENCE, || async {
        query(api, "count_over_time(up{job=\"payments\"}[5m])")
            .await
            .filter(|n| *n >= 2.0)
    })
    .await;
    assert!(
        scrapes.is_some(),
        "Prometheus did not scrape the example twice within {PATIENCE:?}"
    );
    assert_eq!(query(api, "up{job=\"payments\"}").await, Some(1.0));

    // The example evaluates its windows every 10 s and Prometheus scrapes every second, so the
    // wait is for a scrape after the first evaluation that holds what the example serves.
    let (served, scraped) = wait_until(
        PATIENCE,
        "Prometheus to hold the counts and the 5m burn rate the example serves",
        || async {
            let served = status(example.addr).await;
            let availability = served.slo("availability").expect("availability").clone();
            let served = (
                Some(availability.events as f64),
                Some(availability.bad_events as f64),
                availability.burn_rate.get("5m").flatten(),
            );
            let scraped = (
                query(
                    api,
                    "sloguard_slo_events_total{slo=\"availability\",service=\"payments\"}",
                )
                .await,
                query(api, "sloguard_slo_bad_events_total{slo=\"availability\"}").await,
                query(
                    api,
                    "sloguard_slo_burn_rate{slo=\"availability\",window=\"5m\"}",
                )
                .await,
            );
            (served, scraped)
        },
        |(served, scraped)| {
            served.2.is_some() && served.0 == scraped.0 && served.1 == scraped.1 && {
                let (a, b) = (served.2.unwrap_or(f64::NAN), scraped.2.unwrap_or(f64::NAN));
                (a - b).abs() <= 1e-9 * a
            }
        },
    )
    .await;
    assert_eq!(served.0, Some(7.0), "every request of the traffic");
    assert_eq!(scraped.0, served.0);
    assert_eq!(scraped.1, served.1);
    let (burn_served, burn_scraped) = (
        served.2.expect("traffic in 5m"),
        scraped.2.expect("scraped"),
    );
    assert!(
        (burn_scraped - burn_served).abs() <= 1e-9 * burn_served,
        "{burn_scraped} vs {burn_served}"
    );
    let latency_bad = query(api, "sloguard_slo_bad_events_total{slo=\"latency\"}").await;
    assert_eq!(latency_bad, Some(2.0), "/pay 500 and the 350 ms /pay");
    // The request histogram made it too, with the SLO threshold as an exact bucket.
    let under_300ms = query(
        api,
        "sum(http_server_request_duration_seconds_bucket{http_route=\"/pay\",le=\"0.3\"})",
    )
    .await;
    assert_eq!(under_300ms, Some(4.0));
    // The OpenMetrics rendering is what Prometheus asked for and parsed.
    let (_, om) = get_with(
        example.addr,
        "/metrics",
        Some("application/openmetrics-text; version=1.0.0"),
    )
    .await;
    assert!(om.ends_with("# EOF\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

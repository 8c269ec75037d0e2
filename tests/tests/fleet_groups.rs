//! `sloguard serve` over a grouped Pyrra SLO, on a real Prometheus scraping a replica of
//! `examples/axum_service`: one route failing half its requests, one healthy. `serve` asks
//! the engine which routes there are and judges one SLO per route (one card each on the
//! pages) and one for routes that appear later; the failing route burns, the healthy one does
//! not, and their sum is never what is judged.
//!
//! Needs Debian's `prometheus` (installed by `.ci/run`): in CI a missing program fails the
//! test; elsewhere it is skipped with a message.

use std::net::SocketAddr;

use sloguard_e2e::{
    build_cli, get, program, prometheus_server, query, status, temp_dir, wait_until, Example,
    PATIENCE,
};

/// The replica's own request histogram, as a Pyrra SLO grouped by route.
const SPEC: &str = r#"apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: routes, namespace: payments}
spec:
  target: "99"
  window: 4w
  alerting: {absent: false}
  indicator:
    ratio:
      errors: {metric: 'http_server_request_duration_seconds_count{job="payments",http_response_status_code=~"5.."}'}
      total: {metric: 'http_server_request_duration_seconds_count{job="payments"}'}
      grouping: [http_route]
"#;

/// Requests per route.
const REQUESTS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_judges_one_slo_per_group_and_one_for_groups_that_come_later() {
    let Some(prometheus_exe) = program("prometheus") else {
        return;
    };
    let cli = build_cli();
    let dir = temp_dir("fleet-groups");
    let replica = Example::start("axum_service", &[]);
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: payments\n    static_configs:\n      - targets: ['{}']\n",
            replica.addr
        ),
    )
    .expect("config");
    let (_prometheus, prom) = prometheus_server(&prometheus_exe, &config, &dir.join("prometheus"));

    // Every series exists in Prometheus before the traffic, so the traffic is an increase a
    // rate sees (a series born with its first requests would hide them).
    for path in ["/pay?status=500", "/pay", "/refund"] {
        get(replica.addr, path).await;
    }
    wait_until(
        PATIENCE,
        "Prometheus to scrape the three series twice",
        || {
            query(
                prom,
                "count(count_over_time(http_server_request_duration_seconds_count{job=\"payments\"}[4w]) >= 2)",
            )
        },
        |n| *n == Some(3.0),
    )
    .await;
    // One route fails half its requests, the other none.
    for i in 0..REQUESTS {
        let path = if i % 2 == 0 {
            "/pay?status=500"
        } else {
            "/pay"
        };
        get(replica.addr, path).await;
        get(replica.addr, "/refund").await;
    }
    // Both routes' requests are in Prometheus, each series in four scrapes at least (a rate
    // needs two, and serve asks a second in the past), so the question serve asks at start
    // (its groups over the period) sees both routes.
    let spec_read = sloguard::spec::Spec::from_str(SPEC).expect("a Pyrra spec");
    let groups = sloguard_cli::serve::groups::groups_query(&spec_read.slos[0]).expect("grouped");
    wait_until(
        PATIENCE,
        "Prometheus to hold both routes' requests over two scrapes",
        || async {
            (
                query(prom, "count(sum by (http_route) (http_server_request_duration_seconds_count{job=\"payments\"}) >= 40)").await,
                query(prom, &format!("count({groups})")).await,
                query(prom, "min(count_over_time(http_server_request_duration_seconds_count{job=\"payments\"}[4w]))").await,
            )
        },
        |(counted, grouped, scrapes)| {
            *counted == Some(2.0) && *grouped == Some(2.0) && scrapes.is_some_and(|n| n >= 4.0)
        },
    )
    .await;

    let spec = dir.join("routes.yaml");
    std::fs::write(&spec, SPEC).expect("spec");
    let source = format!("http://{prom}");
    let spec_path = spec.display().to_string();
    let serve = Example::spawn(
        &cli,
        &[
            "serve",
            "--spec",
            &spec_path,
            "--source",
            &source,
            "--listen",
            "127.0.0.1:0",
            "--step",
            "1s",
            "--delay",
            "1s",
        ],
        &[],
    );
    let names = [
        "routes http_route=/pay",
        "routes http_route=/refund",
        "routes (other http_route)",
    ];
    let doc = judged(serve.addr, &names).await;
    let pay = doc.slo(names[0]).expect("the /pay SLO");
    let refund = doc.slo(names[1]).expect("the /refund SLO");
    let other = doc.slo(names[2]).expect("the SLO of later routes");
    // Rates extrapolate at the edges of the traffic, so the counts are near the log's, and
    // the ratio is the route's own: half of /pay failed, none of /refund.
    let ratio = pay.bad_events as f64 / pay.events as f64;
    assert!(
        (ratio - 0.5).abs() < 0.1,
        "/pay's error ratio {ratio}: {pay:?}"
    );
    assert_eq!(refund.bad_events, 0, "{refund:?}");
    assert!(refund.events > 0, "{refund:?}");
    assert_eq!(other.events, 0, "no route came later: {other:?}");
    // Being quiet is normal for it: no warning that it has no series or no events.
    let warned: Vec<&str> = doc
        .diagnostics
        .iter()
        .filter(|d| d.slo.as_deref() == Some(names[2]))
        .map(|d| d.code.as_str())
        .collect();
    assert!(warned.is_empty(), "{warned:?}");
    assert!(
        pay.burn_rate.get("5m").flatten().is_some_and(|b| b > 1.0),
        "/pay burns: {pay:?}"
    );
    // The pages show one card per route.
    let (code, page) = get(serve.addr, "/slo").await;
    assert_eq!(code, 200);
    for name in names {
        assert!(page.contains(name), "{name} has no card: {page}");
    }
}

/// Waits until `serve` at `addr` has judged every SLO of `names` with events on the two
/// routes.
async fn judged(addr: SocketAddr, names: &[&str]) -> sloguard::expose::json::SloDocument {
    wait_until(
        PATIENCE,
        "serve to judge both routes apart",
        || status(addr),
        |doc| {
            names.iter().all(|n| doc.slo(n).is_some())
                && doc
                    .slo(names[0])
                    .is_some_and(|s| s.events >= 20 && s.bad_events >= 10)
                && doc.slo(names[1]).is_some_and(|s| s.events >= 20)
        },
    )
    .await
}

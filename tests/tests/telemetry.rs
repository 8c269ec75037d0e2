//! The telemetry a platform team standardizes on, read by the real programs that read it:
//! exemplars and native histograms in a real Prometheus (Debian's, with its exemplar storage
//! and native histograms on), and the OpenMetrics text with exemplars through the Python
//! reference parser (`prometheus_client`). The axum example keeps the trace of a request sent
//! with a W3C `traceparent` header, and fine request series.

use std::path::{Path, PathBuf};
use std::process::Command;

use sloguard_e2e::{
    encode, get, get_with, get_with_headers, program, prometheus_server_with, query, temp_dir,
    try_get, wait_until, Daemon, Example, PATIENCE,
};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const BAD_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

/// Ten traced `/pay` requests of about 20 ms, and one traced failure.
async fn traced_traffic(example: &Example) {
    let good = format!("00-{TRACE_ID}-00f067aa0ba902b7-01");
    let bad = format!("00-{BAD_TRACE_ID}-b7ad6b7169203331-01");
    for _ in 0..10 {
        let (code, _) =
            get_with_headers(example.addr, "/pay?delay_ms=20", &[("traceparent", &good)]).await;
        assert_eq!(code, 200);
    }
    let (code, _) =
        get_with_headers(example.addr, "/pay?status=500", &[("traceparent", &bad)]).await;
    assert_eq!(code, 500);
}

/// A Prometheus scraping `example` every second with these features on.
fn prometheus(
    exe: &Path,
    example: &Example,
    features: &str,
) -> (Daemon, std::net::SocketAddr, PathBuf) {
    let dir = temp_dir("telemetry");
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: payments\n    static_configs:\n      - targets: ['{}']\n",
            example.addr
        ),
    )
    .expect("config");
    let (server, api) = prometheus_server_with(
        exe,
        &config,
        &dir.join("data"),
        &[&format!("--enable-feature={features}")],
    );
    (server, api, dir)
}

/// The trace ids of the exemplars Prometheus holds for `selector` over the last ten minutes.
async fn exemplar_traces(api: std::net::SocketAddr, selector: &str) -> Vec<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let path = format!(
        "/api/v1/query_exemplars?query={}&start={}&end={}",
        encode(selector),
        now - 600,
        now + 60
    );
    let Some((200, body)) = try_get(api, &path).await else {
        return Vec::new();
    };
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let mut traces = Vec::new();
    for series in doc["data"].as_array().into_iter().flatten() {
        for exemplar in series["exemplars"].as_array().into_iter().flatten() {
            if let Some(trace) = exemplar["labels"]["trace_id"].as_str() {
                traces.push(trace.to_owned());
            }
        }
    }
    traces
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exemplars_reach_prometheus_in_openmetrics_and_parse_in_python() {
    let Some(exe) = program("prometheus") else {
        return;
    };
    let example = Example::start("axum_service", &[]);
    traced_traffic(&example).await;

    // The text format 0.0.4 has no exemplars; OpenMetrics has them on the buckets and on the
    // bad-event counter.
    let (_, text) = get(example.addr, "/metrics").await;
    assert!(!text.contains("trace_id"), "{text}");
    let (_, om) = get_with(
        example.addr,
        "/metrics",
        Some("application/openmetrics-text; version=1.0.0"),
    )
    .await;
    assert!(om.contains(&format!("trace_id=\"{TRACE_ID}\"")), "{om}");
    let bad_counter = om
        .lines()
        .find(|l| {
            l.starts_with("sloguard_slo_bad_events_total{") && l.contains("slo=\"availability\"")
        })
        .expect("the availability SLO's bad events");
    assert!(bad_counter.contains(BAD_TRACE_ID), "{bad_counter}");

    if let Some(python) = sloguard_e2e::python_with("prometheus_client") {
        let parsed = python_exemplars(&python, &om);
        assert!(
            parsed
                .iter()
                .any(|l| l.contains(TRACE_ID) && l.contains("_bucket")),
            "{parsed:?}"
        );
        assert!(
            parsed
                .iter()
                .any(|l| l.contains(BAD_TRACE_ID) && l.contains("bad_events")),
            "{parsed:?}"
        );
    }

    // Without native histograms Prometheus scrapes OpenMetrics, and stores the exemplars.
    let (_server, api, dir) = prometheus(&exe, &example, "exemplar-storage");
    let selector = "http_server_request_duration_seconds_bucket{http_route=\"/pay\"}";
    wait_until(
        PATIENCE,
        "Prometheus to hold the request's exemplar",
        || exemplar_traces(api, selector),
        |traces| traces.iter().any(|t| t == TRACE_ID),
    )
    .await;
    wait_until(
        PATIENCE,
        "Prometheus to hold the bad event's exemplar",
        || exemplar_traces(api, "sloguard_slo_bad_events_total{slo=\"availability\"}"),
        |traces| traces.iter().any(|t| t == BAD_TRACE_ID),
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Each exemplar Python's OpenMetrics parser finds in `text`, as `sample trace_id`.
fn python_exemplars(python: &Path, text: &str) -> Vec<String> {
    let script = "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families\nfor family in text_string_to_metric_families(sys.stdin.read()):\n    for s in family.samples:\n        if s.exemplar is not None:\n            print(s.name, s.exemplar.labels['trace_id'])\n";
    let out =
        sloguard_e2e::output_with_stdin(Command::new(python).args(["-c", script]), text.as_bytes());
    assert!(
        out.status.success(),
        "the OpenMetrics parser refused our text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The SLO spec of the axum example's latency SLO, with its fleet rules read from the native
/// histogram of `/pay`.
const NATIVE_SPEC: &str = r#"
service: payments
slos:
  - name: latency
    objective: 99
    sli:
      latency:
        threshold: 300ms
        require_success: false
        native_histogram: 'http_server_request_duration_seconds{job="payments",http_route="/pay"}'
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_histograms_reach_prometheus_through_protobuf() {
    let Some(exe) = program("prometheus") else {
        return;
    };
    let example = Example::start("axum_service", &[]);
    // A request of each status before the first scrape, so both series exist when the traffic
    // starts: `rate` sees no count a series starts with, here as with any counter.
    get(example.addr, "/pay").await;
    get(example.addr, "/pay?status=500").await;

    let dir = temp_dir("telemetry-native");
    std::fs::write(dir.join("spec.yaml"), NATIVE_SPEC).expect("spec");
    let rules = Command::new(sloguard_e2e::build_cli())
        .arg("rules")
        .arg(dir.join("spec.yaml"))
        .output()
        .expect("sloguard rules runs");
    assert!(
        rules.status.success(),
        "{}",
        String::from_utf8_lossy(&rules.stderr)
    );
    let rule_text = String::from_utf8_lossy(&rules.stdout);
    assert!(
        rule_text.contains("histogram_fraction(0, 0.3, sum(rate("),
        "{rule_text}"
    );
    std::fs::write(dir.join("rules.yml"), rules.stdout).expect("rules");
    let (_server, api) =
        prometheus_with_rules(&exe, &example, &dir, "native-histograms,exemplar-storage");
    wait_until(
        PATIENCE,
        "a first scrape",
        || query(api, "up{job=\"payments\"}"),
        |up| *up == Some(1.0),
    )
    .await;

    traced_traffic(&example).await;
    for _ in 0..2 {
        get(example.addr, "/pay?delay_ms=350").await;
    }
    let (_, text) = get(example.addr, "/metrics").await;
    let served = sloguard_e2e::sum_samples(
        &text
            .lines()
            .filter(|l| l.contains("http_route=\"/pay\""))
            .collect::<Vec<_>>()
            .join("\n"),
        "http_server_request_duration_seconds_count",
    );
    assert_eq!(served, 15.0);

    let count = "histogram_count(sum(http_server_request_duration_seconds{http_route=\"/pay\"}))";
    wait_until(
        PATIENCE,
        "Prometheus to hold the native histogram's count",
        || query(api, count),
        |n| *n == Some(served),
    )
    .await;
    // Ten requests of 20 ms or more, three fast and two of 350 ms: the median is at least
    // 20 ms, and a schema-3 bucket is 9% wide.
    let median = query(
        api,
        "histogram_quantile(0.5, sum(http_server_request_duration_seconds{http_route=\"/pay\"}))",
    )
    .await
    .expect("a median");
    assert!((0.018..0.2).contains(&median), "median {median}");
    // The generated rules read the native histogram: since the first scrape, 2 of 13 requests
    // took longer than 300 ms. The threshold's native bucket, (0.297, 0.324] s, holds none of
    // them, so `histogram_fraction` is exact here.
    let ratio = wait_until(
        PATIENCE,
        "the rules' 5m error ratio of the latency SLO",
        || query(api, "slo:sli_error:ratio_rate5m{sloth_slo=\"latency\"}"),
        |r| r.is_some_and(|r| (r - 2.0 / 13.0).abs() < 1e-9),
    )
    .await;
    assert!(ratio.is_some());
    // The exemplars ride in the protobuf message too.
    wait_until(
        PATIENCE,
        "Prometheus to hold the exemplar scraped in protobuf",
        || {
            exemplar_traces(
                api,
                "http_server_request_duration_seconds{http_route=\"/pay\"}",
            )
        },
        |traces| traces.iter().any(|t| t == TRACE_ID),
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Prometheus scraping `example` every second with `dir/rules.yml` loaded and these
/// features on.
fn prometheus_with_rules(
    exe: &Path,
    example: &Example,
    dir: &Path,
    features: &str,
) -> (Daemon, std::net::SocketAddr) {
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: ['{}']\nscrape_configs:\n  - job_name: payments\n    static_configs:\n      - targets: ['{}']\n",
            dir.join("rules.yml").display(),
            example.addr
        ),
    )
    .expect("config");
    prometheus_server_with(
        exe,
        &config,
        &dir.join("data"),
        &[&format!("--enable-feature={features}")],
    )
}

//! `sloguard serve` over real engines: three replicas of `examples/axum_service` behind one
//! spec, one of them failing every request, scraped by a real Prometheus (with the rules
//! `sloguard rules` writes loaded) and by a real VictoriaMetrics; a `serve` reads each.
//!
//! - Its counts are the logged traffic's exactly, and its error ratio agrees with the engines'
//!   own evaluation of the generated rules (Prometheus, and vmalert over VictoriaMetrics).
//! - One incident, and one notification per transition, reach a local HTTPS webhook (a
//!   certificate from a CA made for the test, trusted through the notify file's `ca_file`).
//! - A stopped replica is `targets_down` ("1 of 3"); a restarted `serve` keeps its incident
//!   history and its budget; a stopped engine is `source_unreachable`, `no_data` on
//!   `/slo.json`, "Status unknown" on `/status`, and `check` exit 3.
//!
//! Needs Debian's `prometheus` and `victoria-metrics` (with vmalert; installed by `.ci/run`): in CI a missing
//! program fails the test; elsewhere it is skipped with a message.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;
use sloguard::expose::json::SloDocument;
use sloguard_e2e::tls::{certificates, https_server, Received};
use sloguard_e2e::{
    build_cli, encode, free_port, get, program, prometheus_server, query, status, temp_dir,
    wait_until, Daemon, Example, PATIENCE,
};

const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/specs/payments.yaml"
);

/// A Sloth spec over the replicas' own request histogram.
const SLOTH_SPEC: &str = r#"
version: prometheus/v1
service: payments-http
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_server_request_duration_seconds_count{job="payments",http_response_status_code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_server_request_duration_seconds_count{job="payments"}[{{.window}}]))
  - name: errors-of-pay
    objective: 99
    sli:
      events:
        error_query: sum(rate(http_server_request_duration_seconds_count{job="payments",http_route="/pay",http_response_status_code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_server_request_duration_seconds_count{job="payments",http_route="/pay"}[{{.window}}]))
"#;

/// Requests per replica.
const REQUESTS: u64 = 40;

/// A Prometheus scraping `targets` every second and evaluating `rules` every second.
fn prometheus(
    exe: &Path,
    dir: &Path,
    targets: &[SocketAddr],
    rules: &Path,
) -> (Daemon, SocketAddr) {
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: ['{}']\n{}",
            rules.display(),
            scrape_configs(targets)
        ),
    )
    .expect("config");
    prometheus_server(exe, &config, &dir.join("prometheus"))
}

/// A single-node VictoriaMetrics scraping `targets` every second, answering queries with
/// samples as young as a second.
fn victoria_metrics(exe: &Path, dir: &Path, targets: &[SocketAddr]) -> (Daemon, SocketAddr) {
    let config = dir.join("vm-scrape.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n{}",
            scrape_configs(targets)
        ),
    )
    .expect("config");
    let port = free_port();
    let daemon = Daemon(
        Command::new(exe)
            .arg(format!("-promscrape.config={}", config.display()))
            .arg(format!("-storageDataPath={}", dir.join("vm").display()))
            .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .arg("-search.latencyOffset=1s")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("victoria-metrics starts"),
    );
    (daemon, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// vmalert evaluating `rules` every second over the VictoriaMetrics at `vm`, writing the
/// recordings back into it.
fn vmalert(exe: &Path, vm: SocketAddr, rules: &Path) -> Daemon {
    Daemon(
        Command::new(exe)
            .arg(format!("-rule={}", rules.display()))
            .arg(format!("-datasource.url=http://{vm}"))
            .arg(format!("-remoteWrite.url=http://{vm}"))
            .arg("-evaluationInterval=1s")
            // It refuses alerting rules without a notifier; none listens there.
            .arg(format!("-notifier.url=http://127.0.0.1:{}", free_port()))
            .arg(format!("-httpListenAddr=127.0.0.1:{}", free_port()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("vmalert starts"),
    )
}

fn scrape_configs(targets: &[SocketAddr]) -> String {
    let list: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
    format!(
        "scrape_configs:\n  - job_name: payments\n    static_configs:\n      - targets: [{}]\n",
        list.join(", ")
    )
}

/// Starts `serve` on the engine at `api`, a step of a second.
fn serve(cli: &Path, api: SocketAddr, dir: &Path, notify: Option<&Path>) -> Example {
    let source = format!("http://{api}");
    let state = dir.join(format!("serve-{}.state", api.port()));
    let mut args = vec![
        "serve".to_owned(),
        "--spec".to_owned(),
        SPEC.to_owned(),
        "--source".to_owned(),
        source,
        "--listen".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--step".to_owned(),
        "1s".to_owned(),
        "--delay".to_owned(),
        "1s".to_owned(),
        "--state".to_owned(),
        state.display().to_string(),
    ];
    if let Some(notify) = notify {
        args.extend(["--notify".to_owned(), notify.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Example::spawn(cli, &args, &[])
}

/// Waits until `serve`'s availability SLO counts exactly the logged traffic.
async fn counted(addr: SocketAddr, events: u64, bad: u64) -> SloDocument {
    wait_until(
        PATIENCE,
        "serve to count exactly the logged traffic",
        || async {
            let doc = status(addr).await;
            let a = doc.slo("availability").expect("availability");
            ((a.events, a.bad_events, a.status.clone()), doc)
        },
        |((e, b, status), _)| *e == events && *b == bad && status != "no_data",
    )
    .await
    .1
}

/// Each notification's (SLO, tier, state), with how many times it arrived.
fn transitions(received: &Received) -> BTreeMap<(String, String, String), usize> {
    let mut seen = BTreeMap::new();
    for (_, v) in received.lock().expect("lock").iter() {
        let key = |f: &str| v[f].as_str().unwrap_or_default().to_owned();
        *seen
            .entry((key("slo"), key("tier"), key("state")))
            .or_insert(0) += 1;
    }
    seen
}

/// When `serve` last evaluated the availability SLO (Unix seconds).
async fn evaluated_at(addr: SocketAddr) -> f64 {
    let doc = status(addr).await;
    doc.slo("availability")
        .and_then(|a| a.evaluated_at)
        .unwrap_or_default()
}

/// Waits until `serve` at `addr` has evaluated `steps` more one-second steps.
async fn evaluations(addr: SocketAddr, steps: u32) {
    let from = evaluated_at(addr).await;
    wait_until(
        PATIENCE,
        &format!("serve to evaluate {steps} more steps"),
        || evaluated_at(addr),
        |at| *at >= from + f64::from(steps),
    )
    .await;
}

fn diagnostic<'a>(doc: &'a SloDocument, code: &str) -> Option<&'a str> {
    doc.diagnostics
        .iter()
        .find(|d| d.code == code)
        .map(|d| d.message.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_is_one_truth_for_three_replicas_on_prometheus_and_victoria_metrics() {
    let (Some(prometheus_exe), Some(vm_exe), Some(vmalert_exe)) = (
        program("prometheus"),
        program("victoria-metrics"),
        program("vmalert"),
    ) else {
        return;
    };
    let cli = build_cli();
    let dir = temp_dir("fleet-serve");
    let mut replicas: Vec<Example> = (0..3)
        .map(|_| Example::start("axum_service", &[]))
        .collect();
    let targets: Vec<SocketAddr> = replicas.iter().map(|r| r.addr).collect();

    let rules = dir.join("rules.yml");
    let written = Command::new(&cli)
        .args(["rules", SPEC, "-o"])
        .arg(&rules)
        .status()
        .expect("sloguard rules runs");
    assert!(written.success());
    let (prometheus_daemon, prom) = prometheus(&prometheus_exe, &dir, &targets, &rules);
    let (_vm_daemon, vm) = victoria_metrics(&vm_exe, &dir, &targets);
    let _vmalert = vmalert(&vmalert_exe, vm, &rules);
    // Both engines hold the replicas' counters at zero before any traffic, so every request
    // is an increase they see.
    for (api, engine) in [(prom, "Prometheus"), (vm, "VictoriaMetrics")] {
        wait_until(
            PATIENCE,
            &format!("{engine} to scrape the three replicas"),
            || {
                query(
                    api,
                    "count(sloguard_slo_events_total{slo=\"availability\"} == 0)",
                )
            },
            |n| *n == Some(3.0),
        )
        .await;
    }

    // The HTTPS webhook, trusted through the notify file's CA.
    let (ca_pem, tls) = certificates();
    let (hook, received) = https_server(tls, 200).await;
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, ca_pem).expect("CA written");
    let notify = dir.join("notify.yaml");
    std::fs::write(
        &notify,
        format!(
            "ca_file: {}\nsinks:\n  - kind: webhook\n    url: https://127.0.0.1:{}/hook\n",
            ca.display(),
            hook.port()
        ),
    )
    .expect("notify written");

    // Logged traffic: two healthy replicas, one failing every request.
    let mut log: Vec<u16> = Vec::new();
    for (replica, path) in targets.iter().zip(["/pay", "/refund", "/pay?status=500"]) {
        for _ in 0..REQUESTS {
            log.push(get(*replica, path).await.0);
        }
    }
    let total = log.len() as u64;
    let bad = log.iter().filter(|s| **s >= 500).count() as u64;
    assert_eq!((total, bad), (3 * REQUESTS, REQUESTS));
    let exact = bad as f64 / total as f64;

    // A Sloth spec's own queries, batched as serve asks them, are accepted by both engines
    // and answer every SLO once they hold two scrapes of the traffic.
    let sloth = sloguard::spec::Spec::from_str(SLOTH_SPEC).expect("a Sloth spec");
    let plan = sloguard_cli::serve::counts::Plan::new(&sloth).expect("a plan");
    for query in plan.queries(std::time::Duration::from_secs(5)) {
        for api in [prom, vm] {
            wait_until(
                PATIENCE,
                &format!("{api} to answer every SLO of {query}"),
                || async { get(api, &format!("/api/v1/query?query={}", encode(&query))).await },
                |(code, body)| {
                    *code == 200
                        && ["availability", "errors-of-pay"]
                            .iter()
                            .all(|name| body.contains(&format!("\"sloguard_slo\":\"{name}\"")))
                },
            )
            .await;
        }
    }

    let mut on_prom = serve(&cli, prom, &dir, Some(&notify));
    let doc = counted(on_prom.addr, total, bad).await;
    let availability = doc.slo("availability").expect("availability").clone();
    let ratio = availability
        .burn_rate
        .get("5m")
        .flatten()
        .expect("a 5m burn")
        * (1.0 - availability.objective);
    assert!(
        (ratio - exact).abs() < 1e-9,
        "serve's 5m error ratio {ratio} vs the log's {exact}"
    );
    // The engines' own evaluation of the generated rules: Prometheus, and vmalert over
    // VictoriaMetrics.
    let rule = "slo:sli_error:ratio_rate5m{sloth_service=\"payments\",sloth_slo=\"availability\"}";
    let mut by_rules = Vec::new();
    for (api, engine) in [(prom, "Prometheus"), (vm, "vmalert over VictoriaMetrics")] {
        let ratio = wait_until(
            PATIENCE,
            &format!("{engine} to evaluate the generated ratio over all the traffic"),
            || query(api, rule),
            |r| r.is_some_and(|r| (r - exact).abs() / exact < 0.05),
        )
        .await
        .expect("a ratio");
        by_rules.push(format!("{engine} {ratio:.6}"));
    }
    eprintln!(
        "error ratio: log {exact:.6}, serve {ratio:.6}, {}",
        by_rules.join(", ")
    );

    // The page reaches the webhook once, in one incident.
    wait_until(
        PATIENCE,
        "the availability page to reach the HTTPS webhook",
        || async { transitions(&received) },
        |t| t.contains_key(&("availability".into(), "page-1h".into(), "firing".into())),
    )
    .await;
    evaluations(on_prom.addr, 5).await;
    let sent = transitions(&received);
    assert!(
        sent.values().all(|n| *n == 1),
        "one notification per transition: {sent:?}"
    );
    let (_, incidents) = get(on_prom.addr, "/slo/incidents.json").await;
    let incidents: Value = serde_json::from_str(&incidents).expect("incidents JSON");
    let list = incidents["incidents"].as_array().expect("a list");
    assert_eq!(list.len(), 1, "one incident for one outage: {incidents}");
    let incident = list[0].clone();
    // The reports read serve as they read a service.
    for args in [
        vec![
            "incident-review".to_owned(),
            "--url".to_owned(),
            format!("http://{}/slo/incidents.json", on_prom.addr),
        ],
        vec![
            "sla-report".to_owned(),
            "--url".to_owned(),
            format!("http://{}/slo.json", on_prom.addr),
        ],
    ] {
        let report = Command::new(&cli).args(&args).output().expect("runs");
        assert!(
            report.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&report.stderr)
        );
    }

    // A replica stops: its targets are down, and serve says how many of how many.
    drop(replicas.remove(0));
    let down = wait_until(
        PATIENCE,
        "serve to see the stopped replica",
        || async { status(on_prom.addr).await },
        |doc| diagnostic(doc, "targets_down").is_some(),
    )
    .await;
    let message = diagnostic(&down, "targets_down").expect("targets_down");
    assert!(message.starts_with("1 of 3 scrape targets"), "{message}");
    let a = down.slo("availability").expect("availability");
    assert_eq!(
        (a.events, a.bad_events),
        (total, bad),
        "nothing lost or counted twice"
    );

    // A restarted serve keeps its incident history and its budget.
    let budget = a.budget_remaining;
    assert!(
        on_prom.terminate().success(),
        "serve stops cleanly on SIGTERM"
    );
    let notified_before = received.lock().expect("lock").len();
    let restarted = serve(&cli, prom, &dir, Some(&notify));
    let doc = counted(restarted.addr, total, bad).await;
    let a = doc.slo("availability").expect("availability");
    assert!(
        (a.budget_remaining - budget).abs() < 1e-9,
        "{} vs {budget}",
        a.budget_remaining
    );
    let (_, after) = get(restarted.addr, "/slo/incidents.json").await;
    let after: Value = serde_json::from_str(&after).expect("incidents JSON");
    let kept = &after["incidents"][0];
    assert_eq!(
        (&kept["id"], &kept["started_at"]),
        (&incident["id"], &incident["started_at"])
    );
    assert_eq!(
        after["incidents"].as_array().map(Vec::len),
        Some(1),
        "{after}"
    );
    // The page still fires, and a restart is no new transition: nobody is paged again.
    evaluations(restarted.addr, 5).await;
    let notified = received.lock().expect("lock").len();
    assert_eq!(notified, notified_before, "{:?}", transitions(&received));

    // The engine stops: serve cannot see, and says so everywhere.
    drop(prometheus_daemon);
    let blind = wait_until(
        PATIENCE,
        "serve to report the engine unreachable",
        || async { status(restarted.addr).await },
        |doc| diagnostic(doc, "source_unreachable").is_some(),
    )
    .await;
    for slo in &blind.slos {
        assert_eq!(slo.status, "no_data", "{}", slo.name);
        assert_eq!(slo.no_data_reason.as_deref(), Some("source_blind"));
    }
    let (_, page) = get(restarted.addr, "/status").await;
    assert!(page.contains("Status unknown"), "{page}");
    assert!(!page.contains("All Systems Operational"), "{page}");
    let check = Command::new(&cli)
        .args(["check", "--url"])
        .arg(format!("http://{}/slo.json", restarted.addr))
        .output()
        .expect("check runs");
    assert_eq!(
        check.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // The same fleet read from VictoriaMetrics: the same exact counts.
    let on_vm = serve(&cli, vm, &dir, None);
    let doc = counted(on_vm.addr, total, bad).await;
    assert_eq!(
        doc.slo("availability").map(|a| a.status.as_str()),
        Some("page")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

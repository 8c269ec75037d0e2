//! The HTTP sinks over real TLS: local HTTPS servers with a certificate from a CA generated for
//! the test receive the generic webhook, a Slack-compatible message, PagerDuty Events v2
//! trigger and resolve (one dedup key per SLO and tier) and Alertmanager alerts, all through
//! one shared client that trusts that CA. A client that does not trust it gets no delivery: the
//! handshake fails and the notification is counted as given up on, never reported as sent.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sloguard::alerting::{Alertmanager, Queued, Webhook};
use sloguard::client::HttpClient;
use sloguard::clock::{Timestamp, VirtualClock};
use sloguard::model::Slo;
use sloguard::{Outcome, Registry};
use sloguard_e2e::tls::{certificates, https_server, Received};
use sloguard_e2e::{wait_until, PATIENCE};

/// Waits until what `received` holds satisfies `done`, and returns it (panics with what did
/// arrive at the deadline).
async fn wait_for(
    received: &Received,
    what: &str,
    done: impl Fn(&[(String, Value)]) -> bool,
) -> Vec<(String, Value)> {
    wait_until(
        PATIENCE,
        what,
        || async { received.lock().expect("lock").clone() },
        |seen| done(seen),
    )
    .await
}

/// The bodies among `seen` that were posted to `path`.
fn posted_to<'a>(seen: &'a [(String, Value)], path: &str) -> Vec<&'a Value> {
    seen.iter()
        .filter(|(p, _)| p == path)
        .map(|(_, v)| v)
        .collect()
}

fn is_page_1h_firing(v: &Value) -> bool {
    v["tier"] == "page-1h" && v["state"] == "firing"
}

fn is_page_1h_chat(v: &Value) -> bool {
    v["text"]
        .as_str()
        .is_some_and(|t| t.starts_with("[FIRING] checkout availability (page page-1h)"))
}

fn is_pager_event(e: &Value, action: &str) -> bool {
    e["event_action"] == action && e["dedup_key"] == "checkout/availability/page-1h"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_http_sink_delivers_over_tls_to_a_private_ca() {
    let (ca_pem, server_config) = certificates();
    let dir = sloguard_e2e::temp_dir("https-sinks");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).expect("CA file");
    let client = HttpClient::with_ca_file(&ca_file).expect("a client trusting the CA");
    let (hooks, hooks_seen) = https_server(Arc::clone(&server_config), 200).await;
    let (pager, pager_seen) = https_server(Arc::clone(&server_config), 202).await;
    let (manager, manager_seen) = https_server(Arc::clone(&server_config), 200).await;
    let (untrusted, untrusted_seen) = https_server(server_config, 200).await;

    let webhook = Webhook::new(&format!("https://127.0.0.1:{}/hook", hooks.port()))
        .expect("webhook")
        .client(client.clone());
    let slack = Webhook::slack(&format!("https://localhost:{}/slack", hooks.port()))
        .expect("slack")
        .client(client.clone());
    let pagerduty = Webhook::pagerduty("R0UTINGKEY")
        .expect("pagerduty")
        .url(&format!("https://127.0.0.1:{}/v2/enqueue", pager.port()))
        .expect("url")
        .client(client.clone());
    let alertmanager = Alertmanager::new(&format!("https://127.0.0.1:{}", manager.port()))
        .expect("alertmanager")
        .client(client.clone());
    // The shared client trusts only the public roots: this server's CA is not one of them.
    let refused = Webhook::new(&format!("https://127.0.0.1:{}/hook", untrusted.port()))
        .expect("webhook")
        .retries(1, Duration::from_millis(10));
    let refused_failures = refused.failures();

    let clock = VirtualClock::new(Timestamp::from_unix_secs(1_800_000_000));
    let registry = Registry::builder("checkout")
        .clock(clock.clock())
        .alert_sink(Queued::new(webhook, 16))
        .alert_sink(Queued::new(slack, 16))
        .alert_sink(Queued::new(pagerduty, 16))
        .alert_sink(Queued::new(alertmanager, 16))
        .alert_sink(Queued::new(refused, 16))
        .build();
    let slo = registry
        .register(
            Slo::availability("availability")
                .runbook_url("https://runbooks.example/checkout")
                .build()
                .expect("valid"),
        )
        .expect("registers");
    // Ten minutes of 30% errors fire the fast page; an hour and a quarter of calm resolves it.
    for minute in 0..85u64 {
        registry.advance_to(Timestamp::from_unix_secs(1_800_000_000 + minute * 60));
        for i in 0..20 {
            let bad = minute < 10 && i % 10 < 3;
            slo.record(
                if bad {
                    Outcome::Error
                } else {
                    Outcome::Success
                },
                Duration::from_millis(3),
            );
        }
    }

    // Every tier is delivered on its own, in an order the queues do not promise: each wait is
    // for the very message its assertion is about.
    let hooks_seen = wait_for(
        &hooks_seen,
        "the page-1h webhook and Slack messages",
        |seen| {
            posted_to(seen, "/hook").into_iter().any(is_page_1h_firing)
                && posted_to(seen, "/slack").into_iter().any(is_page_1h_chat)
        },
    )
    .await;
    let generic = posted_to(&hooks_seen, "/hook");
    let chat = posted_to(&hooks_seen, "/slack");
    assert!(generic.iter().any(|v| is_page_1h_firing(v)), "{generic:#?}");
    assert!(chat.iter().any(|v| is_page_1h_chat(v)), "{chat:#?}");
    assert!(chat.iter().all(|v| v["blocks"].is_array()), "{chat:#?}");

    let pager_seen = wait_for(&pager_seen, "a page-1h trigger and its resolve", |seen| {
        seen.iter().any(|(_, e)| is_pager_event(e, "trigger"))
            && seen.iter().any(|(_, e)| is_pager_event(e, "resolve"))
    })
    .await;
    let events: Vec<&Value> = pager_seen.iter().map(|(_, v)| v).collect();
    let trigger = events
        .iter()
        .find(|e| is_pager_event(e, "trigger"))
        .unwrap_or_else(|| panic!("no page-1h trigger in {events:#?}"));
    assert_eq!(trigger["routing_key"], "R0UTINGKEY");
    assert_eq!(trigger["payload"]["severity"], "critical");
    assert_eq!(
        trigger["links"][0]["href"],
        "https://runbooks.example/checkout"
    );
    assert!(
        events.iter().any(|e| is_pager_event(e, "resolve")),
        "the same dedup key resolves it: {events:#?}"
    );

    let manager_seen = wait_for(&manager_seen, "the page-1h alert in Alertmanager", |seen| {
        seen.iter()
            .any(|(_, alerts)| alerts[0]["labels"]["sloguard_tier"] == "page-1h")
    })
    .await;
    assert!(manager_seen
        .iter()
        .all(|(path, _)| path == "/api/v2/alerts"));
    assert!(manager_seen
        .iter()
        .any(|(_, alerts)| alerts[0]["labels"]["sloguard_tier"] == "page-1h"));

    // The untrusted endpoint received nothing, and the sink says it gave up.
    wait_until(
        PATIENCE,
        "the untrusted sink to give up",
        || async { refused_failures.load(Ordering::Relaxed) },
        |failures| *failures > 0,
    )
    .await;
    assert!(refused_failures.load(Ordering::Relaxed) > 0);
    assert!(untrusted_seen.lock().expect("lock").is_empty());
}

/// An HTTPS server on 127.0.0.1 that answers every request with `body` as JSON.
async fn https_document(config: Arc<rustls::ServerConfig>, body: String) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let body = Bytes::from(body);
    tokio::spawn(async move {
        for _ in 0..20 {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, body) = (acceptor.clone(), body.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |_: Request<Incoming>| {
                    let body = body.clone();
                    async move { Ok::<_, std::convert::Infallible>(Response::new(Full::new(body))) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

/// `sloguard check` reads an `https://` URL through the same client and CA option as the
/// sinks: with `--ca-file` it judges the document; without, the handshake fails and the check
/// says UNKNOWN with the reason, never OK.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reads_https_with_the_sinks_ca_option() {
    let (ca_pem, config) = certificates();
    let dir = sloguard_e2e::temp_dir("https-check");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca_pem).expect("CA file");
    let clock = VirtualClock::new(Timestamp::from_unix_secs(1_800_000_000));
    let registry = Registry::builder("payments").clock(clock.clock()).build();
    let slo = registry
        .register(Slo::availability("checkout").build().expect("valid"))
        .expect("registered");
    for _ in 0..100 {
        slo.record(Outcome::Success, Duration::from_millis(5));
    }
    clock.advance(Duration::from_secs(10));
    registry.tick();
    let document = sloguard::expose::json::render(&registry.snapshot());
    let addr = https_document(config, document).await;
    let url = format!("https://localhost:{}/slo.json", addr.port());
    let cli = sloguard_e2e::build_cli();
    let check = |extra: Vec<String>| {
        let cli = cli.clone();
        let mut args = vec!["check".to_owned(), "--url".to_owned(), url.clone()];
        args.extend(extra);
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(cli)
                .args(args)
                .output()
                .expect("sloguard runs")
        })
    };
    let trusted = check(vec!["--ca-file".into(), ca_file.display().to_string()])
        .await
        .expect("ran");
    let line = String::from_utf8_lossy(&trusted.stdout).into_owned();
    assert_eq!(trusted.status.code(), Some(0), "{line}");
    assert!(line.starts_with("SLO OK - payments"), "{line}");

    let untrusted = check(Vec::new()).await.expect("ran");
    let line = String::from_utf8_lossy(&untrusted.stdout).into_owned();
    assert_eq!(untrusted.status.code(), Some(3), "{line}");
    assert!(line.contains("TLS failed"), "{line}");
}

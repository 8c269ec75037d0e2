//! Alert sinks against real receivers on loopback: a webhook that fails once and is retried,
//! Debian's prometheus-alertmanager receiving, re-sending and resolving an alert, a queue that
//! drops and counts instead of blocking, and a panicking sink that harms nothing else.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sloguard::alert::AlertTransition;
use sloguard::alerting::{self, Deliver, Queued};
use sloguard::clock::{Timestamp, VirtualClock};
use sloguard::model::Slo;
use sloguard::{Outcome, Registry};
use sloguard_e2e::{
    eventually, free_port, program, temp_dir, try_get, wait_until_blocking, Daemon, PATIENCE,
};

/// A registry on virtual time (starting now) with a 99.9% SLO and the given sink.
fn outage_registry(
    sink: impl sloguard::alert::AlertSink,
) -> (Registry, VirtualClock, sloguard::SloRecorder) {
    let now = Timestamp::from(SystemTime::now());
    let clock = VirtualClock::new(now);
    let registry = Registry::builder("checkout")
        .clock(clock.clock())
        .alert_sink(sink)
        .build();
    let slo = registry
        .register(
            Slo::availability("availability")
                .runbook_url("https://runbooks.example/checkout")
                .build()
                .expect("valid"),
        )
        .expect("ok");
    (registry, clock, slo)
}

/// Runs `seconds` of 10 req/s traffic on virtual time, failing when `bad` says so.
fn traffic(
    registry: &Registry,
    clock: &VirtualClock,
    slo: &sloguard::SloRecorder,
    seconds: u64,
    bad: bool,
) {
    let start = clock.now();
    for s in 0..seconds {
        registry.advance_to(start.saturating_add(Duration::from_secs(s)));
        for _ in 0..10 {
            slo.record(
                if bad {
                    Outcome::Error
                } else {
                    Outcome::Success
                },
                Duration::from_millis(20),
            );
        }
    }
    registry.advance_to(start.saturating_add(Duration::from_secs(seconds)));
}

/// A webhook receiver that answers 503 to its first request and 200 after, keeping bodies.
async fn receiver() -> (
    SocketAddr,
    Arc<Mutex<Vec<serde_json::Value>>>,
    Arc<AtomicUsize>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let hits = Arc::new(AtomicUsize::new(0));
    let (b, h) = (Arc::clone(&bodies), Arc::clone(&hits));
    tokio::spawn(async move {
        for _ in 0..100 {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (b, h) = (Arc::clone(&b), Arc::clone(&h));
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let (b, h) = (Arc::clone(&b), Arc::clone(&h));
                async move {
                    let n = h.fetch_add(1, Ordering::SeqCst);
                    let body = req
                        .into_body()
                        .collect()
                        .await
                        .map(|c| c.to_bytes())
                        .unwrap_or_default();
                    let status = if n == 0 { 503 } else { 200 };
                    if status == 200 {
                        if let Ok(v) = serde_json::from_slice(&body) {
                            b.lock().expect("lock").push(v);
                        }
                    }
                    let mut r = Response::new(Full::new(Bytes::new()));
                    *r.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
                    Ok::<_, Infallible>(r)
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    (addr, bodies, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_retries_and_carries_a_plain_language_summary() {
    let (addr, bodies, hits) = receiver().await;
    let hook = alerting::Webhook::new(&format!("http://{addr}/hooks/slo"))
        .expect("url")
        .retries(4, Duration::from_millis(20));
    let failures = hook.failures();
    let queued = Queued::new(hook, 64);
    let stats = queued.stats();
    let (registry, clock, slo) = outage_registry(queued);
    tokio::task::spawn_blocking(move || traffic(&registry, &clock, &slo, 120, true))
        .await
        .expect("traffic");

    let got = eventually(PATIENCE, || {
        let bodies = Arc::clone(&bodies);
        async move {
            let b = bodies.lock().expect("lock").clone();
            b.iter().find(|v| v["tier"] == "page-1h").cloned()
        }
    })
    .await
    .expect("the page reached the webhook");
    assert!(hits.load(Ordering::SeqCst) >= 2, "the 503 was retried");
    assert_eq!(got["state"], "firing");
    assert_eq!(got["severity"], "page");
    assert_eq!(got["runbook_url"], "https://runbooks.example/checkout");
    let summary = got["summary"].as_str().expect("summary");
    assert!(
        summary.starts_with(
            "100% of checkout requests are failing; the 30-day error budget is already spent"
        ),
        "{summary}"
    );
    assert!(got["burn_rate"]["long"].as_f64().expect("burn") >= 14.4);
    assert_eq!(failures.load(Ordering::Relaxed), 0);
    assert_eq!(stats.dropped.load(Ordering::Relaxed), 0);
}

async fn active_alerts(api: SocketAddr) -> Option<Vec<serde_json::Value>> {
    let (code, body) = try_get(api, "/api/v2/alerts?active=true").await?;
    (code == 200)
        .then(|| serde_json::from_str(&body).ok())
        .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_receives_keeps_and_resolves_the_alert() {
    let Some(alertmanager) = program("prometheus-alertmanager") else {
        return;
    };
    let dir = temp_dir("alertmanager");
    std::fs::write(
        dir.join("am.yml"),
        "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n",
    )
    .expect("config");
    let port = free_port();
    let _server = Daemon(
        Command::new(alertmanager)
            .arg(format!("--config.file={}", dir.join("am.yml").display()))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("alertmanager starts"),
    );
    let api = SocketAddr::from(([127, 0, 0, 1], port));
    assert!(
        eventually(PATIENCE, || active_alerts(api)).await.is_some(),
        "Alertmanager did not start"
    );

    let sink = alerting::Alertmanager::new(&format!("http://{api}"))
        .expect("url")
        .resend_interval(Duration::from_millis(500))
        .label("env", "test");
    let (registry, clock, slo) = outage_registry(Queued::new(sink, 64));
    let (r, c, s) = (registry.clone(), clock.clone(), slo.clone());
    tokio::task::spawn_blocking(move || traffic(&r, &c, &s, 120, true))
        .await
        .expect("outage");

    let page = eventually(PATIENCE, || async {
        active_alerts(api)
            .await?
            .into_iter()
            .find(|a| a["labels"]["sloguard_tier"] == "page-1h" && a["status"]["state"] == "active")
    })
    .await
    .expect("the page alert is active in Alertmanager");
    assert_eq!(page["labels"]["alertname"], "AvailabilityBudgetBurn");
    assert_eq!(page["labels"]["severity"], "page");
    assert_eq!(page["labels"]["service"], "checkout");
    assert_eq!(page["labels"]["env"], "test");
    assert_eq!(
        page["annotations"]["runbook_url"],
        "https://runbooks.example/checkout"
    );
    assert!(page["annotations"]["summary"]
        .as_str()
        .expect("summary")
        .contains("of checkout requests are failing"));
    let first_ends = page["endsAt"].as_str().expect("endsAt").to_owned();

    // Still firing: re-sent with a later endsAt.
    let resent = eventually(PATIENCE, || {
        let first_ends = first_ends.clone();
        async move {
            active_alerts(api).await?.into_iter().find(|a| {
                a["labels"]["sloguard_tier"] == "page-1h"
                    && a["endsAt"]
                        .as_str()
                        .is_some_and(|e| e > first_ends.as_str())
            })
        }
    })
    .await;
    assert!(resent.is_some(), "the firing alert was not re-sent");

    // The errors stop: once the 5m window is clean the page resolves and leaves Alertmanager.
    tokio::task::spawn_blocking(move || traffic(&registry, &clock, &slo, 600, false))
        .await
        .expect("recovery");
    let gone = eventually(PATIENCE, || async {
        let alerts = active_alerts(api).await?;
        (!alerts
            .iter()
            .any(|a| a["labels"]["sloguard_tier"] == "page-1h"))
        .then_some(())
    })
    .await;
    assert!(
        gone.is_some(),
        "the resolved page is still active in Alertmanager"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A deliverer that waits on a gate, to fill the queue.
struct Stuck(Arc<Mutex<()>>);

impl Deliver for Stuck {
    fn deliver(&mut self, _: &AlertTransition) {
        let _held = self.0.lock();
    }
}

#[test]
fn a_full_queue_drops_and_counts_instead_of_blocking() {
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().expect("lock");
    let queued = Queued::new(Stuck(Arc::clone(&gate)), 2);
    let stats = queued.stats();
    let (registry, clock, slo) = outage_registry(queued);
    // Four tiers fire, then resolve: eight transitions into a queue of two behind a stuck sink.
    // The traffic runs on its own thread while this one holds the gate: if the evaluator
    // waited for the sink, it would never finish, so the wait is for it to finish at all.
    let (finished, done) = std::sync::mpsc::channel();
    let evaluator = std::thread::spawn(move || {
        traffic(&registry, &clock, &slo, 600, true);
        traffic(&registry, &clock, &slo, 7 * 3_600, false);
        let _ = finished.send(());
    });
    let held_up = done.recv_timeout(PATIENCE).is_err();
    drop(held);
    assert!(!held_up, "the evaluator was held up by the sink");
    evaluator.join().expect("the traffic thread");
    assert!(
        stats.dropped.load(Ordering::Relaxed) >= 5,
        "dropped {}",
        stats.dropped.load(Ordering::Relaxed)
    );
}

#[test]
fn a_panicking_queued_sink_harms_nothing_else() {
    let seen = Arc::new(AtomicUsize::new(0));
    let panicking = alerting::callback(|_| panic!("sink bug"));
    let panics = panicking.stats();
    let counting = {
        let seen = Arc::clone(&seen);
        alerting::callback(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
        })
    };
    let now = Timestamp::from(SystemTime::now());
    let clock = VirtualClock::new(now);
    let registry = Registry::builder("checkout")
        .clock(clock.clock())
        .alert_sink(panicking)
        .alert_sink(counting)
        .build();
    let slo = registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("ok");
    traffic(&registry, &clock, &slo, 120, true);
    wait_until_blocking(
        PATIENCE,
        "the counting sink to see a transition and the panicking one to panic",
        || {
            (
                seen.load(Ordering::SeqCst),
                panics.panics.load(Ordering::Relaxed),
            )
        },
        |(seen, panicked)| *seen >= 1 && *panicked >= 1,
    );
    assert!(seen.load(Ordering::SeqCst) >= 1);
    assert!(panics.panics.load(Ordering::Relaxed) >= 1);
    // The registry goes on evaluating.
    traffic(&registry, &clock, &slo, 10, false);
}

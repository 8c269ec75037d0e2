//! A sink's URL and routing key are secrets (a Slack webhook's path is its token; a `?token=`,
//! a PagerDuty routing key): every sink below fails to deliver, and nothing sloguard says about
//! it (the `sink_failing` diagnostics of `/slo.json` and `/slo`, `/metrics`, the logs, `Debug`,
//! construction errors) contains any of them. A sink is named by its scheme and host only.
//! Credentials in a URL's userinfo, which would not be sent, are refused at construction.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sloguard::alerting::{Alertmanager, Queued, Webhook};
use sloguard::clock::{Timestamp, VirtualClock};
use sloguard::diagnostic::code;
use sloguard::model::Slo;
use sloguard::{Outcome, Registry};
use sloguard_e2e::{free_port, get, status, wait_until, wait_until_blocking, Example, PATIENCE};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Every log line, rendered as text.
#[derive(Default, Clone)]
struct Logs(Arc<Mutex<Vec<String>>>);

struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl Subscriber for Logs {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = Text(event.metadata().target().to_owned());
        event.record(&mut text);
        if let Ok(mut lines) = self.0.lock() {
            lines.push(text.0);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Every secret below contains this, so one search finds any of them.
const SECRET: &str = "S3CRET";

fn assert_no_secret(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "{what} shows a secret:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_output_names_a_sinks_path_query_credentials_or_routing_key() {
    let logs = Logs::default();
    tracing::subscriber::set_global_default(logs.clone()).expect("the only subscriber");
    // Nothing listens there: every delivery fails at once.
    let closed = free_port();
    let base = format!("http://127.0.0.1:{closed}");

    let webhook = Webhook::new(&format!("{base}/hooks/{SECRET}-path?token={SECRET}-query"))
        .expect("webhook")
        .retries(1, Duration::from_millis(1));
    let slack = Webhook::slack(&format!("{base}/services/T0/B0/{SECRET}slack"))
        .expect("slack")
        .retries(1, Duration::from_millis(1));
    let pagerduty = Webhook::pagerduty(&format!("{SECRET}-routing-key"))
        .expect("pagerduty")
        .url(&format!("{base}/v2/enqueue?{SECRET}"))
        .expect("url")
        .retries(1, Duration::from_millis(1));
    let alertmanager = Alertmanager::new(&format!("{base}/{SECRET}-prefix")).expect("alertmanager");
    for debug in [
        format!("{webhook:?}"),
        format!("{slack:?}"),
        format!("{pagerduty:?}"),
        format!("{alertmanager:?}"),
    ] {
        assert_no_secret("Debug of a sink", &debug);
        assert!(debug.contains(&format!("127.0.0.1:{closed}")), "{debug}");
    }

    // Credentials in the URL would not be sent: refused, and the error does not repeat them.
    for refused in [
        Webhook::new(&format!("https://user:{SECRET}@hooks.example/x")).map(|_| ()),
        Webhook::slack(&format!("https://{SECRET}@hooks.example/x")).map(|_| ()),
        Alertmanager::new(&format!("http://admin:{SECRET}@127.0.0.1:9093")).map(|_| ()),
    ] {
        let error = refused
            .expect_err("credentials in a URL are refused")
            .to_string();
        assert!(error.contains("credentials"), "{error}");
        assert_no_secret("a construction error", &error);
    }
    let unparsable = Webhook::new(&format!("https://hooks.example/{SECRET} x"))
        .expect_err("bad")
        .to_string();
    assert_no_secret("a parse error", &unparsable);

    let queues: Vec<Queued> = vec![
        Queued::new(webhook, 16),
        Queued::new(slack, 16),
        Queued::new(pagerduty, 16),
        Queued::new(alertmanager, 16),
    ];
    for queue in &queues {
        assert_no_secret("Debug of a queued sink", &format!("{queue:?}"));
    }
    let clock = VirtualClock::new(Timestamp::from_unix_secs(1_800_000_000));
    let mut builder = Registry::builder("checkout").clock(clock.clock());
    for queue in queues {
        builder = builder.alert_sink(queue);
    }
    let registry = builder.build();
    let slo = registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("registers");
    // Two minutes of failures fire the fast page: every sink tries, and fails.
    for second in 0..120u64 {
        registry.advance_to(Timestamp::from_unix_secs(1_800_000_000 + second));
        for _ in 0..10 {
            slo.record(Outcome::Error, Duration::from_millis(3));
        }
    }
    let failing = wait_until_blocking(
        PATIENCE,
        "every sink to report that it is failing",
        || {
            registry
                .snapshot()
                .diagnostics
                .iter()
                .filter(|d| d.code == code::SINK_FAILING)
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
        },
        |failing| failing.len() == 4,
    );
    for kind in [
        "webhook http://",
        "slack http://",
        "pagerduty http://",
        "Alertmanager http://",
    ] {
        assert!(
            failing
                .iter()
                .any(|m| m.starts_with(&format!("alert sink {kind}"))),
            "no diagnostic names the {kind} sink: {failing:#?}"
        );
    }
    for message in &failing {
        assert_no_secret("a sink_failing diagnostic", message);
    }

    let server = sloguard::expose::serve_on(&registry, "127.0.0.1:0".parse().expect("addr"))
        .expect("serves");
    for path in [
        "/slo.json",
        "/slo",
        "/metrics",
        "/slo/incidents.json",
        "/status",
    ] {
        let (code, body) = get(server.local_addr(), path).await;
        assert_eq!(code, 200, "{path}");
        assert_no_secret(path, &body);
    }
    let (_, json) = get(server.local_addr(), "/slo.json").await;
    assert!(json.contains(code::SINK_FAILING), "{json}");

    let logged = logs.0.lock().expect("logs").join("\n");
    assert!(
        logged.contains("gave up") && logged.contains("did not take the alerts"),
        "the failed deliveries were logged:\n{logged}"
    );
    assert_no_secret("the logs", &logged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_notifies_the_sinks_its_environment_names_without_showing_them() {
    let closed = free_port();
    let hook = format!("http://127.0.0.1:{closed}/hooks/{SECRET}?token={SECRET}");
    let example = Example::start_with_env(
        "axum_service",
        &[],
        &[
            ("SLOGUARD_WEBHOOK_URL", hook.as_str()),
            ("SLOGUARD_PAGERDUTY_ROUTING_KEY", "S3CRET-key"),
            ("SLOGUARD_PAGERDUTY_URL", hook.as_str()),
        ],
    );
    // 10 failures in 100 requests page the 99.9% SLO at its next evaluation (every 10 s).
    for i in 0..100 {
        let path = if i % 10 == 0 {
            "/pay?status=500"
        } else {
            "/pay"
        };
        get(example.addr, path).await;
    }
    let doc = wait_until(
        PATIENCE,
        "both sinks of the environment to report that they are failing",
        || status(example.addr),
        |doc| {
            doc.diagnostics
                .iter()
                .filter(|d| d.code == code::SINK_FAILING)
                .count()
                == 2
        },
    )
    .await;
    let failing: Vec<&str> = doc
        .diagnostics
        .iter()
        .filter(|d| d.code == code::SINK_FAILING)
        .map(|d| d.message.as_str())
        .collect();
    for kind in ["webhook", "pagerduty"] {
        let named = format!("alert sink {kind} http://127.0.0.1:{closed}:");
        assert!(
            failing.iter().any(|m| m.starts_with(&named)),
            "{named} in {failing:#?}"
        );
    }
    for path in ["/slo.json", "/slo", "/metrics"] {
        let (_, body) = get(example.addr, path).await;
        assert_no_secret(path, &body);
    }
}

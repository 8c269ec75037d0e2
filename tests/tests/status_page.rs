//! The customer status page over real TCP: its Statuspage-shaped JSON validates against a
//! schema written from Statuspage's public documentation, it tells an incident in customer
//! words (no burn rates, tiers or runbooks), and a restart with the state file keeps the
//! 90 daily bars and the incident history.

use std::time::Duration;

use serde_json::Value;
use sloguard::clock::{Timestamp, VirtualClock};
use sloguard::expose::serve_on;
use sloguard::model::{Slo, StatusComponent, StatusPage};
use sloguard::{Outcome, Registry, SloRecorder};
use sloguard_e2e::{get, temp_dir};

/// 2026-03-01 00:00 UTC.
const START: u64 = 1_772_323_200;

fn service(clock: &VirtualClock) -> (Registry, SloRecorder) {
    let registry = Registry::builder("payments").clock(clock.clock()).build();
    let slo = registry
        .register(
            Slo::availability("availability")
                .runbook_url("https://runbooks.example/secret")
                .build()
                .expect("valid"),
        )
        .expect("registers");
    registry.set_status_page(
        StatusPage::new("Acme Payments")
            .url("https://status.acme.example")
            .component(StatusComponent::new("Card payments", ["availability"])),
    );
    (registry, slo)
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/statuspage-v2.json"
    ))
    .expect("schema");
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("a valid schema")
}

fn check(validator: &jsonschema::Validator, doc: &Value, name: &str) {
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{name} does not fit the schema: {errors:#?}\n{doc:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuspage_json_fits_the_schema_and_survives_a_restart() {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(START));
    let (registry, slo) = service(&clock);
    // Two quiet days, then on the third an hour with 20% of payments failing, then calm.
    for minute in 0..(2 * 24 + 10) * 60u64 {
        registry.advance_to(Timestamp::from_unix_secs(START + minute * 60));
        let failing = (48 * 60..49 * 60).contains(&minute);
        for i in 0..10 {
            let outcome = if failing && i % 5 == 0 {
                Outcome::Error
            } else {
                Outcome::Success
            };
            slo.record(outcome, Duration::from_millis(5));
        }
    }
    let server = serve_on(&registry, "127.0.0.1:0".parse().expect("addr")).expect("serves");
    let addr = server.local_addr();
    let validator = schema();
    let mut docs = Vec::new();
    for name in ["summary", "status", "components", "incidents"] {
        let (code, body) = get(addr, &format!("/api/v2/{name}.json")).await;
        assert_eq!(code, 200, "{name}");
        let doc: Value = serde_json::from_str(&body).expect("JSON");
        check(&validator, &doc, name);
        docs.push(doc);
    }
    // The schema can fail: a made-up state is refused.
    let mut wrong = docs[0].clone();
    wrong["components"][0]["status"] = Value::from("green");
    assert!(!validator.is_valid(&wrong));

    let summary = &docs[0];
    assert_eq!(summary["status"]["indicator"], "none", "{summary:#}");
    assert_eq!(
        summary["page"]["url"], "https://status.acme.example",
        "from the configuration"
    );
    // A client's Host header chooses nothing: not the link other clients are given.
    let forged = {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).expect("connects");
        stream
            .write_all(b"GET /api/v2/summary.json HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n")
            .expect("writes");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("reads");
        response
    };
    assert!(forged.starts_with("HTTP/1.1 200"), "{forged}");
    assert!(!forged.contains("evil.example"), "{forged}");
    assert!(forged.contains("https://status.acme.example"), "{forged}");
    assert_eq!(summary["components"][0]["status"], "operational");
    assert_eq!(
        summary["incidents"].as_array().map(Vec::len),
        Some(0),
        "none open"
    );
    let incident = &docs[3]["incidents"][0];
    assert_eq!(incident["status"], "resolved", "{incident:#}");
    assert_eq!(
        incident["impact"], "major",
        "20% failing is a partial outage"
    );
    let told = incident.to_string();
    for internal in ["burn", "page-1h", "runbook", "availability"] {
        assert!(
            !told.contains(internal),
            "{internal:?} leaked to customers: {told}"
        );
    }
    assert!(
        told.contains("of requests to Card payments failed (20% at worst)"),
        "{told}"
    );

    // The page: 90 bars, the incident's day not operational, the days before it operational.
    let (_, page) = get(addr, "/status").await;
    let bars: Vec<&str> = page.split("class=\"bar ").skip(1).collect();
    assert_eq!(bars.len(), 90);
    let day_state = |date: &str| {
        bars.iter()
            .find(|b| b.contains(&format!("data-day=\"{date}\"")))
            .and_then(|b| b.split('"').next())
            .map(str::to_owned)
    };
    assert_eq!(day_state("2026-03-01").as_deref(), Some("operational"));
    assert_eq!(day_state("2026-03-03").as_deref(), Some("partial_outage"));
    assert_eq!(
        day_state("2026-02-27").as_deref(),
        Some("no_data"),
        "before the history"
    );

    // A restart with the state file keeps the bars and the incident history.
    let state = temp_dir("status-page").join("state.bin");
    registry.save_state(&state).expect("saved");
    let (incidents_before, _) = (get(addr, "/slo/incidents.json").await.1, ());
    drop(server);
    let (restarted, _) = service(&clock);
    restarted.load_state(&state).expect("loads");
    let server = serve_on(&restarted, "127.0.0.1:0".parse().expect("addr")).expect("serves");
    let (_, page_after) = get(server.local_addr(), "/status").await;
    let bars_of = |page: &str| -> Vec<String> {
        page.split("class=\"bar ")
            .skip(1)
            .filter_map(|b| b.split('>').next().map(str::to_owned))
            .collect()
    };
    assert_eq!(bars_of(&page_after), bars_of(&page));
    let (_, incidents_after) = get(server.local_addr(), "/slo/incidents.json").await;
    let list = |text: &str| serde_json::from_str::<Value>(text).expect("JSON")["incidents"].clone();
    assert_eq!(list(&incidents_after), list(&incidents_before));
    assert_eq!(list(&incidents_after).as_array().map(Vec::len), Some(1));
}

//! People write, tried from outside as on-call would: the `sloguard incident` and
//! `sloguard maintenance` commands and a plain HTTP client write through the API of a running
//! service (the axum example, with a token and a state file from the environment) and of
//! `sloguard serve`; what they write is read back by Statuspage's own JSON shape (validated
//! against the schema), by a Node Statuspage client (statuspage.js), and by headless
//! Chromium, where a message holding `<script>` is shown as text and never run. A kill -9
//! right after an acknowledged write loses nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use sloguard::client::{HttpClient, Method};
use sloguard_e2e::browser::dump_dom;
use sloguard_e2e::{build_cli, get, in_ci, program, temp_dir, wait_until, Example, PATIENCE};

const TOKEN: &str = "on-call-token-0123456789abcdef";
/// The axum example's availability SLO, as its status page names the component.
const COMPONENT: &str = "payment-and-refund-requests-succeed";

/// A request through sloguard's own HTTP client (hyper over real TCP): status and JSON.
async fn call(
    method: Method,
    addr: std::net::SocketAddr,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, Value) {
    let url = format!("http://{addr}{path}");
    let token = token.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut client = HttpClient::shared();
        if let Some(token) = token {
            client = client
                .with_header("authorization", &format!("Bearer {token}"))
                .expect("header");
        }
        let body = body.map(|b| ("application/json", b.into_bytes()));
        let answer = client
            .send(method, &url, body, Duration::from_secs(30), 1 << 20)
            .expect("an answer");
        let json = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        (answer.status.as_u16(), json)
    })
    .await
    .expect("the request ran")
}

async fn document(addr: std::net::SocketAddr, path: &str) -> Value {
    let (code, body) = get(addr, path).await;
    assert_eq!(code, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

/// `sloguard ARGS` with the token in the environment: success, standard output, standard
/// error.
fn sloguard(cli: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(cli)
        .args(args)
        .env("SLOGUARD_WRITE_TOKEN", TOKEN)
        .env_remove("SLOGUARD_WRITE_TOKEN_FILE")
        .output()
        .expect("sloguard runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/statuspage-v2.json"
    ))
    .expect("schema");
    jsonschema::validator_for(&serde_json::from_str(&text).expect("schema JSON")).expect("schema")
}

async fn valid_documents(addr: std::net::SocketAddr) {
    let validator = schema();
    for path in [
        "/api/v2/summary.json",
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
    ] {
        let doc = document(addr, path).await;
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}\n{doc:#}");
    }
}

/// Now, in Unix seconds.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// Unix seconds as the API takes times (RFC 3339).
fn rfc3339_at(secs: u64) -> String {
    sloguard::words::rfc3339(sloguard::clock::Timestamp::from_unix_secs(secs))
}

/// The axum example with the write API on and its state in `state`.
fn service(state: &Path) -> Example {
    let state = state.to_str().expect("a UTF-8 path");
    Example::start_with_env(
        "axum_service",
        &[],
        &[
            ("SLOGUARD_WRITE_TOKEN", TOKEN),
            ("SLOGUARD_STATE_FILE", state),
        ],
    )
}

/// Some good traffic, then waits until the component is judged operational (not "no data").
async fn healthy(addr: std::net::SocketAddr) {
    for _ in 0..20 {
        get(addr, "/pay").await;
    }
    wait_until(
        PATIENCE,
        "every component to be operational",
        || async {
            let doc = document(addr, "/api/v2/components.json").await;
            doc["components"]
                .as_array()
                .map(|list| list.iter().map(|c| c["status"].clone()).collect::<Vec<_>>())
                .unwrap_or_default()
        },
        |states| !states.is_empty() && states.iter().all(|s| s == "operational"),
    )
    .await;
}

fn incident<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["incidents"]
        .as_array()
        .and_then(|list| list.iter().find(|i| i["id"] == id))
        .unwrap_or_else(|| panic!("no incident {id} in {doc:#}"))
}

/// statuspage.js, installed by `.ci/run` under tests/node; `None` (and a skip) outside CI
/// when it is not.
fn statuspage_js() -> Option<(PathBuf, PathBuf)> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/node"));
    let installed = dir
        .join("node_modules/statuspage.js/package.json")
        .is_file();
    if !installed {
        assert!(
            !in_ci(),
            "statuspage.js is required in CI (.ci/run runs npm ci in tests/node)"
        );
        eprintln!("skipping the Statuspage client: run `npm ci --prefix tests/node`");
        return None;
    }
    Some((program("node")?, dir.join("statuspage_client.js")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_call_writes_and_customers_read_it_everywhere() {
    let cli = build_cli();
    let dir = temp_dir("people-write");
    let state = dir.join("payments.state");
    let mut example = service(&state);
    let addr = example.addr;
    let url = format!("http://{addr}");
    healthy(addr).await;

    // Without the token, or with another, nothing changes.
    let body = json!({"name": "x", "impact": "minor", "message": "y"}).to_string();
    let before = document(addr, "/api/v2/incidents.json").await;
    for token in [None, Some("someone-else-s-token-000000")] {
        let (code, answer) = call(
            Method::POST,
            addr,
            "/api/v2/incidents",
            token,
            Some(body.clone()),
        )
        .await;
        assert_eq!(code, 401, "{answer}");
    }
    assert_eq!(
        document(addr, "/api/v2/incidents.json").await["incidents"],
        before["incidents"]
    );
    // A wrong field is named; an unknown one too; a huge body is refused before it is read.
    for (bad, field) in [
        (
            json!({"name": "x", "impact": "apocalyptic", "message": "y"}),
            "impact",
        ),
        (
            json!({"name": "x", "impact": "minor", "message": "y", "sevirity": 1}),
            "body",
        ),
        (
            json!({"name": "x", "impact": "minor", "message": "y", "components": ["nope"]}),
            "components",
        ),
        (
            json!({"name": "", "impact": "minor", "message": "y"}),
            "name",
        ),
    ] {
        let (code, answer) = call(
            Method::POST,
            addr,
            "/api/v2/incidents",
            Some(TOKEN),
            Some(bad.to_string()),
        )
        .await;
        assert_eq!(
            (code, answer["field"].as_str()),
            (400, Some(field)),
            "{answer}"
        );
    }
    let huge = json!({"name": "x", "impact": "minor", "message": "y".repeat(100_000)}).to_string();
    let (code, _) = call(
        Method::POST,
        addr,
        "/api/v2/incidents",
        Some(TOKEN),
        Some(huge),
    )
    .await;
    assert_eq!(code, 413);

    // On call opens an incident from the terminal, then says what it is.
    let (ok, out, err) = sloguard(
        &cli,
        &[
            "incident",
            "open",
            "--url",
            &url,
            "--name",
            "Card payments fail for some customers",
            "--impact",
            "major",
            "--component",
            COMPONENT,
            "--message",
            "We are investigating reports of failed card payments.",
        ],
    );
    assert!(ok, "{err}");
    let id = out.split_whitespace().next().expect("the id").to_owned();
    assert!(out.contains("investigating"), "{out}");
    let script = "<script>document.body.setAttribute('data-pwned','yes')</script>";
    let identified =
        format!("{script} Identified: a bad deploy of the card gateway; rolling back.");
    let (ok, out, err) = sloguard(
        &cli,
        &[
            "incident",
            "update",
            "--url",
            &url,
            &id,
            "--status",
            "identified",
            "--message",
            &identified,
        ],
    );
    assert!(ok && out.contains("identified"), "{out}{err}");
    let now = unix_now();
    let (ok, out, err) = sloguard(
        &cli,
        &[
            "maintenance",
            "schedule",
            "--url",
            &url,
            "--name",
            "Database upgrade",
            "--scheduled-for",
            &rfc3339_at(now + 86_400),
            "--scheduled-until",
            &rfc3339_at(now + 86_400 + 7_200),
            "--component",
            COMPONENT,
            "--message",
            "Card payments may be slow for a few minutes.",
        ],
    );
    assert!(ok, "{err}");
    let maintenance = out.split_whitespace().next().expect("the id").to_owned();

    // The Statuspage documents tell it.
    valid_documents(addr).await;
    let incidents = document(addr, "/api/v2/incidents.json").await;
    let shown = incident(&incidents, &id);
    assert_eq!(shown["status"], "identified");
    assert_eq!(shown["impact"], "major");
    let updates = shown["incident_updates"].as_array().expect("updates");
    assert_eq!(updates.len(), 2, "{shown:#}");
    assert_eq!(updates[0]["status"], "identified", "newest first");
    assert_eq!(updates[0]["body"], identified.as_str(), "kept as written");
    let components = document(addr, "/api/v2/components.json").await;
    assert_eq!(
        components["components"][0]["status"], "partial_outage",
        "major impact"
    );
    let summary = document(addr, "/api/v2/summary.json").await;
    assert_eq!(
        summary["scheduled_maintenances"][0]["id"],
        maintenance.as_str()
    );
    let upcoming = document(addr, "/api/v2/scheduled-maintenances/upcoming.json").await;
    assert_eq!(
        upcoming["scheduled_maintenances"][0]["name"],
        "Database upgrade"
    );

    // A Statuspage client reads the updates and the maintenance.
    if let Some((node, script_file)) = statuspage_js() {
        let out = Command::new(node)
            .arg(script_file)
            .arg(&url)
            .output()
            .expect("node runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let seen: Value = serde_json::from_slice(&out.stdout).expect("the client's JSON");
        let theirs = incident(&seen, &id);
        assert_eq!(theirs["updates"][0]["status"], "identified");
        assert_eq!(
            theirs["updates"][1]["body"],
            "We are investigating reports of failed card payments."
        );
        assert!(
            theirs["updates"][0]["at"].is_string(),
            "a date the client parsed"
        );
        assert_eq!(seen["unresolved"], json!([id]));
        assert_eq!(seen["upcoming"][0]["name"], "Database upgrade");
        assert!(seen["upcoming"][0]["scheduled_for"].is_string());
        assert_eq!(seen["summary_maintenances"][0]["id"], maintenance.as_str());
        assert_eq!(seen["active"], json!([]));
        assert_eq!(seen["indicator"], "major");
    }

    // A browser shows the message as text and runs nothing.
    if let Some(chromium) = program("chromium") {
        let profile = temp_dir("people-chromium");
        for (path, name) in [
            ("/status".to_owned(), "status.html"),
            (format!("/status/incidents/{id}"), "incident.html"),
        ] {
            let dom = dump_dom(&chromium, &profile, &format!("{url}{path}"), name).await;
            assert!(dom.contains("<main>"), "{path}: not rendered: {dom}");
            // The message's own text names the attribute; set, it would be on the body.
            assert!(
                !dom.contains("data-pwned=\"yes\""),
                "{path}: the script ran"
            );
            assert!(
                dom.contains("&lt;script&gt;document.body"),
                "{path}: the message is not shown as text"
            );
            assert!(
                dom.contains("Card payments fail for some customers"),
                "{path}"
            );
        }
        let status = dump_dom(
            &chromium,
            &profile,
            &format!("{url}/status"),
            "status-2.html",
        )
        .await;
        assert!(
            status.contains("Database upgrade"),
            "the maintenance shows ahead"
        );
    }

    // Killed (SIGKILL) right after a write is acknowledged: the write is on disk.
    let (code, answer) = call(
        Method::POST,
        addr,
        &format!("/api/v2/incidents/{id}/updates"),
        Some(TOKEN),
        Some(
            json!({"status": "monitoring", "message": "The rollback is out; watching."})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(code, 201, "{answer}");
    drop(example);
    example = service(&state);
    let addr = example.addr;
    let incidents = document(addr, "/api/v2/incidents.json").await;
    let shown = incident(&incidents, &id);
    assert_eq!(shown["status"], "monitoring", "{shown:#}");
    assert!(shown["monitoring_at"].is_string());
    assert_eq!(
        document(addr, "/api/v2/scheduled-maintenances/upcoming.json").await
            ["scheduled_maintenances"][0]["id"],
        maintenance.as_str()
    );

    // Resolved from the terminal; the maintenance cancelled.
    let url = format!("http://{addr}");
    let (ok, out, err) = sloguard(
        &cli,
        &[
            "incident",
            "resolve",
            "--url",
            &url,
            &id,
            "--message",
            "Rolled back; payments succeed again.",
        ],
    );
    assert!(ok && out.contains("resolved"), "{out}{err}");
    let (ok, out, err) = sloguard(
        &cli,
        &["maintenance", "cancel", "--url", &url, &maintenance],
    );
    assert!(ok && out.contains("cancelled"), "{out}{err}");
    let (ok, _, err) = sloguard(
        &cli,
        &[
            "incident",
            "update",
            "--url",
            &url,
            &id,
            "--status",
            "monitoring",
            "--message",
            "more",
        ],
    );
    assert!(
        !ok && err.contains("409"),
        "a resolved incident takes no update: {err}"
    );
    let incidents = document(addr, "/api/v2/incidents.json").await;
    let shown = incident(&incidents, &id);
    assert_eq!(shown["status"], "resolved");
    assert_eq!(shown["incident_updates"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        document(addr, "/api/v2/scheduled-maintenances/upcoming.json").await
            ["scheduled_maintenances"],
        json!([])
    );
    let review = Command::new(&cli)
        .args([
            "incident-review",
            "--url",
            &format!("{url}/slo/incidents.json"),
            "--id",
            id.rsplit('-').next().expect("number"),
        ])
        .output()
        .expect("runs");
    let review = String::from_utf8_lossy(&review.stdout);
    assert!(
        review.contains("update (identified)") && review.contains("resolved by a person"),
        "{review}"
    );
    valid_documents(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_active_maintenance_puts_its_components_under_maintenance_until_cancelled() {
    let dir = temp_dir("people-maintenance");
    let example = service(&dir.join("payments.state"));
    let addr = example.addr;
    healthy(addr).await;
    let now = unix_now();
    let body = json!({
        "name": "Card network switch-over",
        "scheduled_for": rfc3339_at(now - 60),
        "scheduled_until": rfc3339_at(now + 3_600),
        "components": [COMPONENT],
        "message": "Payments may fail for a few minutes.",
    });
    let (code, window) = call(
        Method::POST,
        addr,
        "/api/v2/scheduled-maintenances",
        Some(TOKEN),
        Some(body.to_string()),
    )
    .await;
    assert_eq!(code, 201, "{window}");
    assert_eq!(window["status"], "in_progress");
    let components = document(addr, "/api/v2/components.json").await;
    assert_eq!(components["components"][0]["status"], "under_maintenance");
    assert_eq!(
        components["components"][1]["status"], "operational",
        "the other component is not covered"
    );
    assert_eq!(
        document(addr, "/api/v2/status.json").await["status"]["indicator"],
        "maintenance"
    );
    let active = document(addr, "/api/v2/scheduled-maintenances/active.json").await;
    assert_eq!(active["scheduled_maintenances"][0]["id"], window["id"]);
    let (_, page) = get(addr, "/status").await;
    assert!(page.contains("Under maintenance") && page.contains("Card network switch-over"));
    // Failures now are left out of the budget.
    for _ in 0..5 {
        get(addr, "/pay?status=500").await;
    }
    let slo = wait_until(
        PATIENCE,
        "the failures to be left out",
        || async { document(addr, "/slo.json").await["slos"][0].clone() },
        |s| s["maintenance_excluded_bad_events"].as_u64() >= Some(5),
    )
    .await;
    assert_eq!(slo["under_maintenance"], true);
    assert_eq!(slo["budget_remaining"], 1.0, "{slo:#}");
    valid_documents(addr).await;

    let id = window["id"].as_str().expect("id");
    let (code, cancelled) = call(
        Method::DELETE,
        addr,
        &format!("/api/v2/scheduled-maintenances/{id}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(
        (code, cancelled["status"].as_str()),
        (200, Some("cancelled")),
        "{cancelled}"
    );
    assert_eq!(
        document(addr, "/api/v2/components.json").await["components"][0]["status"],
        "operational"
    );
    assert_eq!(
        document(addr, "/api/v2/scheduled-maintenances/active.json").await
            ["scheduled_maintenances"],
        json!([])
    );
    let (code, _) = call(
        Method::DELETE,
        addr,
        &format!("/api/v2/scheduled-maintenances/{id}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(code, 409, "already over");
    // The failures stay left out after the window: the next evaluation does not count them.
    let cancelled_at = document(addr, "/slo.json").await["taken_at"]
        .as_f64()
        .expect("taken_at");
    let slo = wait_until(
        PATIENCE,
        "an evaluation after the cancellation",
        || async { document(addr, "/slo.json").await["slos"][0].clone() },
        |s| s["evaluated_at"].as_f64() > Some(cancelled_at),
    )
    .await;
    assert_eq!(
        (
            slo["budget_remaining"].as_f64(),
            slo["under_maintenance"].as_bool()
        ),
        (Some(1.0), Some(false)),
        "{slo:#}"
    );
}

/// Two hours of events, 600 a minute; from minute 40 to 55 half of them fail.
fn outage_events(path: &Path, start: u64) {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("events file"));
    for minute in 0..120u64 {
        for i in 0..600u64 {
            let ts = start as f64 + minute as f64 * 60.0 + i as f64 / 10.0;
            let ok = !((40..55).contains(&minute) && i % 2 == 0);
            writeln!(out, "{{\"ts\":{ts},\"ok\":{ok},\"latency_ms\":5}}").expect("write");
        }
    }
}

#[test]
fn a_replay_with_a_maintenance_window_over_an_outage_pages_nobody_and_keeps_the_budget() {
    let cli = build_cli();
    let dir = temp_dir("people-replay");
    let start = 1_800_000_000u64;
    let (spec, events, windows) = (
        dir.join("spec.yaml"),
        dir.join("events.jsonl"),
        dir.join("maintenance.json"),
    );
    std::fs::write(
        &spec,
        "service: payments\nslos:\n  - {name: availability, objective: 99.9, sli: availability}\n",
    )
    .expect("spec");
    outage_events(&events, start);
    let at = |minute: u64| rfc3339_at(start + minute * 60);
    std::fs::write(
        &windows,
        json!([{"name": "Database upgrade", "scheduled_for": at(35), "scheduled_until": at(60),
                "components": [], "message": "Payments may fail."}])
        .to_string(),
    )
    .expect("windows");
    let replay = |extra: &[&str]| -> Vec<Value> {
        let out = Command::new(&cli)
            .args([
                "replay",
                "--spec",
                spec.to_str().expect("path"),
                "--events",
                events.to_str().expect("path"),
            ])
            .args(extra)
            .output()
            .expect("replay runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    };
    let pages = |lines: &[Value]| {
        lines
            .iter()
            .filter(|l| l["alert"] == "page" && l["state"] == "firing")
            .count()
    };
    let last_budget = |lines: &[Value]| {
        lines
            .iter()
            .rev()
            .find_map(|l| l["budget_remaining"].as_f64())
            .expect("a status line")
    };

    // The same outage without the window pages and spends the budget: the test can fail.
    let plain = replay(&[]);
    assert!(pages(&plain) >= 1);
    assert!(last_budget(&plain) < 0.0);
    let maintained = replay(&["--maintenance", windows.to_str().expect("path")]);
    assert_eq!(pages(&maintained), 0, "no page for announced work");
    assert_eq!(last_budget(&maintained), 1.0, "the budget is untouched");
    assert!(maintained.iter().any(|l| l["under_maintenance"] == true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sloguard_serve_takes_writes_once_it_can_keep_them_and_keeps_them_through_a_kill() {
    let cli = build_cli();
    let dir = temp_dir("people-serve");
    let spec = dir.join("spec.yaml");
    std::fs::write(
        &spec,
        "service: payments\nslos:\n  - {name: availability, objective: 99.9, sli: availability}\n",
    )
    .expect("spec");
    let state = dir.join("serve.state");
    // No engine answers there: serve says it is blind, and still serves its pages and writes.
    let args = [
        "serve",
        "--spec",
        spec.to_str().expect("path"),
        "--source",
        "http://127.0.0.1:9",
        "--listen",
        "127.0.0.1:0",
        "--state",
        state.to_str().expect("path"),
        "--query-timeout",
        "2s",
    ];
    let serve = Example::spawn(&cli, &args, &[("SLOGUARD_WRITE_TOKEN", TOKEN)]);
    let addr = serve.addr;
    let body = json!({"name": "Payments are down for some customers", "impact": "critical",
                      "message": "Support reports failed payments; we are investigating."})
    .to_string();
    let (_, opened) = wait_until(
        PATIENCE,
        "serve to take writes",
        || {
            call(
                Method::POST,
                addr,
                "/api/v2/incidents",
                Some(TOKEN),
                Some(body.clone()),
            )
        },
        |(code, _)| *code != 503,
    )
    .await;
    let id = opened["id"].as_str().expect("the incident's id").to_owned();
    assert_eq!(opened["impact"], "critical");
    drop(serve); // SIGKILL, right after the 201
    let serve = Example::spawn(&cli, &args, &[("SLOGUARD_WRITE_TOKEN", TOKEN)]);
    let incidents = document(serve.addr, "/api/v2/incidents.json").await;
    assert_eq!(
        incident(&incidents, &id)["name"],
        "Payments are down for some customers"
    );
    let components = document(serve.addr, "/api/v2/components.json").await;
    assert_eq!(
        components["components"][0]["status"], "major_outage",
        "a person said so"
    );
}

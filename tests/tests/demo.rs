//! The README's first command, shortened: the demo serves the payments API with live SLOs,
//! its incident visibly fires page alerts and shows on the charts, the customer page goes from
//! degraded back to operational, the incident is listed afterwards, alerts resolve, and it ends
//! by itself with a post-incident review draft.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sloguard_e2e::{build_cli, get, Daemon};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fires_and_resolves_alerts_and_ends_by_itself() {
    let mut demo = Daemon(
        Command::new(build_cli())
            .args([
                "demo",
                "--duration",
                "30s",
                "--addr",
                "127.0.0.1:0",
                "--no-color",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("demo starts"),
    );
    let stdout = demo.0.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("first line");
    let addr: std::net::SocketAddr = first
        .strip_prefix("listening on http://")
        .and_then(|a| a.parse().ok())
        .expect("address line");
    // The endpoints are live while it runs.
    let (code, page) = get(addr, "/slo").await;
    assert_eq!(code, 200);
    assert!(page.contains("data-slo=\"availability\"") && page.contains("data-slo=\"latency\""));

    // While it runs: the customer page's states, the charts during the incident, the incidents.
    let mut states: Vec<String> = Vec::new();
    let mut charted = false;
    let mut listed = None;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(29) {
        let (code, status) = get(addr, "/api/v2/status.json").await;
        if code != 200 {
            break; // the demo has ended
        }
        let (_, page) = get(addr, "/status").await;
        let state = page
            .split("class=\"banner ")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("")
            .to_owned();
        assert!(status.contains("\"indicator\""), "{status}");
        if states.last() != Some(&state) {
            states.push(state.clone());
        }
        if !charted && state != "operational" {
            charted = chart_shows_the_incident(addr).await;
        }
        let (_, incidents) = get(addr, "/slo/incidents.json").await;
        let doc: serde_json::Value = serde_json::from_str(&incidents).expect("incidents JSON");
        if doc["incidents"]
            .as_array()
            .is_some_and(|l| l.iter().any(|i| i["state"] == "resolved"))
        {
            listed = Some(doc);
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let degraded = states.iter().position(|s| s == "degraded_performance");
    let operational_after =
        degraded.and_then(|d| states[d..].iter().position(|s| s == "operational"));
    assert!(
        degraded.is_some() && operational_after.is_some(),
        "/status should go degraded, then operational: {states:?}"
    );
    assert!(
        charted,
        "the burn-rate chart showed the incident while it ran"
    );
    let listed = listed.expect("a resolved incident in /slo/incidents.json");
    let first_incident = &listed["incidents"][0];
    assert!(
        first_incident["first_page_at"].is_number(),
        "{first_incident}"
    );
    assert!(
        first_incident["bad_events"].as_u64() > Some(0),
        "{first_incident}"
    );

    let mut output = vec![first];
    let deadline = Instant::now() + Duration::from_secs(90);
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        output.push(line);
    }
    let status = demo.0.wait().expect("ends");
    assert!(status.success(), "{}", output.join("\n"));
    let text = output.join("\n");
    let summary = text.split("What fired when:").nth(1).expect("a summary");
    for needle in [
        "availability  page-1h  PAGE firing",
        "availability  page-1h  PAGE resolved",
        "latency       page-1h  PAGE firing",
    ] {
        assert!(
            summary.contains(needle),
            "missing {needle:?} in:\n{summary}"
        );
    }
    assert!(
        text.contains("accelerated virtual time"),
        "the demo says time is accelerated"
    );
    let review = text
        .split("Post-incident review draft(s):")
        .nth(1)
        .expect("the closing summary is the review draft");
    for needle in [
        "# Post-incident review (draft): payments, incident 1",
        "## Timeline (UTC)",
        "## Impact on customers",
        "## What fired when",
        "| availability |",
    ] {
        assert!(review.contains(needle), "missing {needle:?} in:\n{review}");
    }
}

/// Whether the page's burn-rate chart and `/slo/charts.json` both show a burn above the page
/// threshold now, and the drawing's last 1h value is the document's.
async fn chart_shows_the_incident(addr: std::net::SocketAddr) -> bool {
    let (_, charts) = get(addr, "/slo/charts.json").await;
    let (_, page) = get(addr, "/slo").await;
    let doc: serde_json::Value = serde_json::from_str(&charts).expect("charts JSON");
    let Some(slo) = doc["slos"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "availability"))
    else {
        return false;
    };
    let Some(hour) = slo["burn_rates"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["window"] == "1h"))
    else {
        return false;
    };
    let last = hour["points"]
        .as_array()
        .and_then(|p| p.iter().rev().find_map(|p| p[1].as_f64()));
    let threshold = hour["thresholds"][0]["burn_rate"]
        .as_f64()
        .unwrap_or(f64::MAX);
    let card = page
        .split("<section class=\"slo\" data-slo=\"availability\"")
        .nth(1)
        .unwrap_or("");
    match last {
        // The page was read just after the document: the same tick, or the next one.
        Some(v) if v > threshold => {
            card.contains("data-chart=\"burn-rates\"")
                && card.contains("data-series=\"1h\" data-last=\"")
        }
        _ => false,
    }
}

//! The `/slo` and `/status` pages rendered by a real browser (Debian's headless Chromium,
//! installed by `.ci/run`): each SLO's name, budget figure and charts are in the DOM, the
//! customer page shows every component with 90 daily bars, and both pages are screenshot at a
//! desktop and a phone width (the files are kept under the test's temporary directory for a
//! person to look at).

use std::process::Stdio;

use sloguard_e2e::browser::{chromium, dump_dom};
use sloguard_e2e::{get, program, status, temp_dir, Example};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_the_pages_with_charts_bars_and_budgets() {
    let Some(binary) = program("chromium") else {
        return;
    };
    let example = Example::start("axum_service", &[]);
    for path in ["/pay", "/pay?status=500", "/refund", "/pay?delay_ms=320"] {
        get(example.addr, path).await;
    }
    let served = status(example.addr).await;
    let profile = temp_dir("chromium");

    let url = format!("http://{}/slo", example.addr);
    let dom = dump_dom(&binary, &profile, &url, "slo.html").await;
    assert!(dom.contains("<main>"), "not the rendered page: {dom}");
    let (_, charts) = get(example.addr, "/slo/charts.json").await;
    let charts: serde_json::Value = serde_json::from_str(&charts).expect("charts JSON");
    for slo in &served.slos {
        let card = dom
            .split("<section class=\"slo\"")
            .find(|s| s.contains(&format!("data-slo=\"{}\"", slo.name)))
            .unwrap_or_else(|| panic!("no card for {} in the DOM", slo.name));
        assert!(card.contains(&format!("<span class=\"name\">{}</span>", slo.name)));
        let figure = format!(
            "<span class=\"budget\">{:.1}%</span>",
            slo.budget_remaining * 100.0
        );
        assert!(card.contains(&figure), "{} should show {figure}", slo.name);
        for chart in ["budget", "burn-rates", "sli", "latency"] {
            assert!(
                card.contains(&format!("data-chart=\"{chart}\"")),
                "{}: no {chart} chart",
                slo.name
            );
        }
        // One drawn line per alerting window of the document, and the latency bars.
        let doc = charts["slos"]
            .as_array()
            .and_then(|l| l.iter().find(|c| c["name"] == slo.name.as_str()))
            .expect("charts of the SLO");
        for series in doc["burn_rates"].as_array().expect("burn rates") {
            let window = series["window"].as_str().unwrap_or_default();
            assert!(
                card.contains(&format!("data-series=\"{window}\"")),
                "{window}"
            );
        }
        let bars = card.matches("class=\"bucket\"").count();
        assert_eq!(Some(bars), doc["latency"].as_array().map(Vec::len));
    }

    let url = format!("http://{}/status", example.addr);
    let page = dump_dom(&binary, &profile, &url, "status.html").await;
    let (_, components) = get(example.addr, "/api/v2/components.json").await;
    let components: serde_json::Value = serde_json::from_str(&components).expect("JSON");
    for c in components["components"].as_array().expect("components") {
        let id = c["id"].as_str().expect("id");
        let section = page
            .split("<section class=\"component\"")
            .find(|s| s.contains(&format!("data-component=\"{id}\"")))
            .unwrap_or_else(|| panic!("no component {id} on /status"));
        assert_eq!(section.matches("class=\"bar ").count(), 90, "{id}");
    }

    // Screenshots at a desktop and a phone width, for a person to look at.
    for (page, path) in [("slo", "/slo"), ("status", "/status")] {
        for (width, height) in [(1280, 1600), (390, 1600)] {
            let shot = profile.join(format!("{page}-{width}.png"));
            let args = [
                format!("--screenshot={}", shot.display()),
                format!("--window-size={width},{height}"),
            ];
            let url = format!("http://{}{path}", example.addr);
            chromium(&binary, &profile, &args, &url, Stdio::null()).await;
            let bytes = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
            assert!(bytes > 10_000, "{} is {bytes} bytes", shot.display());
            eprintln!("screenshot: {}", shot.display());
        }
    }
}

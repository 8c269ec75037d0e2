//! The `/slo` page rendered by a real browser (Debian's headless Chromium, installed by
//! `.ci/run`): each SLO's name and budget figure are in the DOM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sloguard_e2e::{get, program, status, temp_dir, Daemon, Example};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_renders_every_slo_with_its_budget() {
    let Some(chromium) = program("chromium") else {
        return;
    };
    let example = Example::start("axum_service", &[]);
    for path in ["/pay", "/pay?status=500", "/refund", "/pay?delay_ms=320"] {
        get(example.addr, path).await;
    }
    let served = status(example.addr).await;

    let profile = temp_dir("chromium");
    let dom_file = profile.join("dom.html");
    let out = std::fs::File::create(&dom_file).expect("dom file");
    let mut browser = Daemon(
        Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=2000",
            ])
            .arg(format!(
                "--user-data-dir={}",
                profile.join("profile").display()
            ))
            .arg("--dump-dom")
            .arg(format!("http://{}/slo", example.addr))
            .stdout(out)
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium starts"),
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    while browser.0.try_wait().ok().flatten().is_none() {
        assert!(
            Instant::now() < deadline,
            "chromium did not finish within 90 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let dom = std::fs::read_to_string(&dom_file).expect("dom");
    assert!(dom.contains("<main>"), "not the rendered page: {dom}");
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
    }
    let _ = std::fs::remove_dir_all(&profile);
}

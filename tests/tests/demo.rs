//! The README's first command, shortened: the demo serves the payments API with live SLOs,
//! its incident visibly fires page alerts, they resolve, and it ends by itself.

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
                "20s",
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
}

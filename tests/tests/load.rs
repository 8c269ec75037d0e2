//! Exact under load: concurrent clients against the axum example while a scraper reads
//! /metrics and /slo.json in a loop; afterwards the SLO's events equal the responses the
//! clients got, its bad events the 5xx they got, and the histogram count matches. Then wrk
//! (Debian's package, installed by .ci/run): sloguard's count equals wrk's completed requests.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sloguard_e2e::{get, program, status, sum_samples, wait_until, Example, PATIENCE};

const CLIENTS: usize = 8;
const PER_CLIENT: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_are_exact_with_concurrent_clients_and_a_scraper() {
    let example = Example::start("axum_service", &[]);
    let addr = example.addr;
    let done = Arc::new(AtomicBool::new(false));
    let scrapes = Arc::new(AtomicU64::new(0));
    let scraper = {
        let (done, scrapes) = (Arc::clone(&done), Arc::clone(&scrapes));
        tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !done.load(Ordering::Relaxed) && Instant::now() < deadline {
                let (a, _) = get(addr, "/metrics").await;
                let (b, _) = get(addr, "/slo.json").await;
                assert_eq!((a, b), (200, 200));
                scrapes.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    // The clients start once the scraper is reading, so the two surely overlap.
    wait_until(
        PATIENCE,
        "the scraper's first round",
        || async { scrapes.load(Ordering::Relaxed) },
        |n| *n > 0,
    )
    .await;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            tokio::spawn(async move {
                let mut codes = Vec::with_capacity(PER_CLIENT);
                for i in 0..PER_CLIENT {
                    let path = match (c + i) % 25 {
                        0 => "/pay?status=500",
                        1 => "/refund?status=503",
                        2 => "/pay?status=404",
                        n if n % 2 == 0 => "/pay",
                        _ => "/refund",
                    };
                    codes.push(get(addr, path).await.0);
                }
                codes
            })
        })
        .collect();
    let mut codes = Vec::new();
    for c in clients {
        codes.extend(c.await.expect("client"));
    }
    done.store(true, Ordering::Relaxed);
    scraper.await.expect("scraper");
    assert!(scrapes.load(Ordering::Relaxed) > 0);

    let responses = codes.len() as u64;
    let server_errors = codes.iter().filter(|c| **c >= 500).count() as u64;
    let doc = status(addr).await;
    let a = doc.slo("availability").expect("availability");
    assert_eq!(
        (a.events, a.bad_events, a.cancelled_events),
        (responses, server_errors, 0)
    );
    let (_, metrics) = get(addr, "/metrics").await;
    assert_eq!(
        sum_samples(&metrics, "http_server_request_duration_seconds_count"),
        responses as f64
    );
    assert_eq!(sum_samples(&metrics, "http_server_active_requests"), 0.0);
}

/// Runs wrk against `url`, with a Lua script if given; its count of completed requests.
fn wrk(wrk: &std::path::Path, args: &[&str], url: &str) -> (u64, String) {
    let out = Command::new(wrk)
        .args(args)
        .arg(url)
        .output()
        .expect("wrk runs");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{report}");
    // "  12345 requests in 3.00s, 1.23MB read"
    let completed = report
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" requests in ")
                .and_then(|(n, _)| n.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("no request count in wrk's report:\n{report}"));
    (completed, report)
}

/// Events sloguard has counted once the server has seen every connection close: each request
/// ends as one event or one cancelled event, so the wait is for their sum to reach what the
/// client sent.
async fn settled_events(addr: std::net::SocketAddr, at_least: u64) -> u64 {
    let availability = wait_until(
        PATIENCE,
        &format!("{at_least} requests to be counted"),
        || async {
            status(addr)
                .await
                .slo("availability")
                .cloned()
                .expect("availability")
        },
        |a| a.events + a.cancelled_events >= at_least,
    )
    .await;
    availability.events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sloguard_counts_what_wrk_completed() {
    let Some(wrk_path) = program("wrk") else {
        return;
    };
    let example = Example::start("axum_service", &[]);
    let url = format!("http://{}/pay", example.addr);

    // Exactly 3,000 requests on one connection: wrk stops after the 3,000th response, with
    // nothing in flight, so both sides must agree to the request. (wrk still waits out -d.)
    let dir = sloguard_e2e::temp_dir("wrk");
    let script = dir.join("stop_after.lua");
    std::fs::write(&script, "local n = 0\nresponse = function(status, headers, body)\n  n = n + 1\n  if n >= 3000 then wrk.thread:stop() end\nend\n").expect("script");
    let (completed, report) = wrk(
        &wrk_path,
        &["-t1", "-c1", "-d10s", "-s", script.to_str().expect("path")],
        &url,
    );
    assert_eq!(completed, 3_000, "{report}");
    let seen = settled_events(example.addr, completed).await;
    assert_eq!(
        seen, completed,
        "sloguard counted {seen}, wrk completed {completed}:\n{report}"
    );

    // Eight connections for three seconds. wrk stops counting at its deadline, so responses
    // the server finished but wrk had not read yet (at most one per connection) are in
    // sloguard's count and not in wrk's.
    let (more, report) = wrk(&wrk_path, &["-t2", "-c8", "-d3s"], &url);
    let seen = settled_events(example.addr, completed + more).await - completed;
    assert!(
        seen >= more && seen <= more + 8,
        "sloguard counted {seen}, wrk completed {more}:\n{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

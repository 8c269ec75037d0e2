//! 1,000 requests to the axum example over real TCP: 37 answered 500, 13 abandoned by the
//! client mid-body. The SLO must count exactly 987 events with 37 bad (cancelled requests are
//! left out), and the request histogram must hold all 1,000 requests.

use sloguard_e2e::{get, get_and_hang_up, status, sum_samples, wait_until, Example, PATIENCE};

const TOTAL: usize = 1_000;
const ERRORS: usize = 37;
const CANCELLED: usize = 13;

fn path_for(i: usize) -> &'static str {
    // Spread the special requests over the run.
    if i % 27 == 5 && i / 27 < ERRORS {
        "/pay?status=500"
    } else if i % 71 == 3 && i / 71 < CANCELLED {
        "/pay?body_ms=2000"
    } else if i % 2 == 0 {
        "/pay"
    } else {
        "/refund"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_are_exact_over_real_tcp() {
    let paths: Vec<&str> = (0..TOTAL).map(path_for).collect();
    assert_eq!(
        paths.iter().filter(|p| p.contains("status=500")).count(),
        ERRORS
    );
    assert_eq!(
        paths.iter().filter(|p| p.contains("body_ms")).count(),
        CANCELLED
    );

    let example = Example::start("axum_service", &[]);
    let addr = example.addr;
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let mine: Vec<&'static str> = paths.iter().skip(worker).step_by(8).copied().collect();
        tasks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for path in mine {
                let code = if path.contains("body_ms") {
                    get_and_hang_up(addr, path).await
                } else {
                    get(addr, path).await.0
                };
                statuses.push(code);
            }
            statuses
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.extend(t.await.expect("client task"));
    }
    assert_eq!(statuses.len(), TOTAL);
    assert_eq!(statuses.iter().filter(|s| **s == 500).count(), ERRORS);

    // The server learns of a hang-up on its next write; wait (bounded) until all are counted.
    let availability = wait_until(
        PATIENCE,
        &format!("all {TOTAL} requests to be counted"),
        || async {
            status(addr)
                .await
                .slo("availability")
                .expect("availability SLO")
                .clone()
        },
        |a| a.events + a.cancelled_events >= TOTAL as u64,
    )
    .await;
    assert_eq!(availability.events, (TOTAL - CANCELLED) as u64);
    assert_eq!(availability.bad_events, ERRORS as u64);
    assert_eq!(availability.cancelled_events, CANCELLED as u64);

    let (_, metrics) = get(addr, "/metrics").await;
    assert_eq!(
        sum_samples(
            &metrics,
            "sloguard_slo_events_total{service=\"payments\",slo=\"availability\"}"
        ),
        987.0
    );
    assert_eq!(
        sum_samples(&metrics, "http_server_request_duration_seconds_count"),
        TOTAL as f64
    );
    // Exposition requests are not payments: they are mounted outside the layer.
    assert!(!metrics.contains("http_route=\"/metrics\""));
    assert_eq!(sum_samples(&metrics, "http_server_active_requests"), 0.0);
}

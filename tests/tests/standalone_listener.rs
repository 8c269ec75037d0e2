//! `expose::serve_on`: the standalone listener for services without an HTTP server.

use std::net::SocketAddr;
use std::time::Duration;

use sloguard::model::Slo;
use sloguard::{expose, Outcome, Registry};
use sloguard_e2e::get;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_endpoints_and_stops_when_dropped() {
    let registry = Registry::builder("worker").build();
    let jobs = registry
        .register(Slo::availability("jobs").build().expect("valid"))
        .expect("ok");
    jobs.record(Outcome::Success, Duration::from_millis(3));
    jobs.record(Outcome::Error, Duration::from_millis(9));

    let server = expose::serve_on(&registry, SocketAddr::from(([127, 0, 0, 1], 0))).expect("binds");
    let addr = server.local_addr();
    let (code, metrics) = get(addr, "/metrics").await;
    assert_eq!(code, 200);
    assert!(metrics.contains("sloguard_slo_bad_events_total{service=\"worker\",slo=\"jobs\"} 1\n"));
    let (code, page) = get(addr, "/slo").await;
    assert_eq!((code, page.contains("data-slo=\"jobs\"")), (200, true));
    let (code, _) = get(addr, "/nothing").await;
    assert_eq!(code, 404);

    // The port is taken while it runs, and the error says so instead of panicking.
    let taken = expose::serve_on(&registry, addr).expect_err("port in use");
    assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);

    drop(server);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "stopped listening"
    );
}

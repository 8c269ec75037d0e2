//! The standalone exposition listener against hostile clients: a hundred connections that
//! send half a request are closed within the header timeout and do not keep a scraper out.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use sloguard::expose::{self, HEADER_TIMEOUT, MAX_CONNECTIONS};
use sloguard::model::Slo;
use sloguard::Registry;
use sloguard_e2e::{try_get, wait_until, PATIENCE};

fn registry() -> Registry {
    let registry = Registry::builder("worker").build();
    registry
        .register(Slo::availability("jobs").build().expect("valid"))
        .expect("ok");
    registry
}

/// Opens a connection and sends half a request head, never the end.
fn half_sent(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .expect("writes");
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_and_never_keep_a_scraper_out() {
    let registry = registry();
    let server = expose::serve_on(&registry, "127.0.0.1:0".parse().expect("addr")).expect("binds");
    let addr = server.local_addr();
    let started = Instant::now();
    let mut held: Vec<TcpStream> = (0..MAX_CONNECTIONS + 36).map(|_| half_sent(addr)).collect();

    // Queued behind them, a scraper is served once the first ones time out.
    let (code, metrics) = wait_until(
        PATIENCE,
        "a scrape to get through",
        || try_get(addr, "/metrics"),
        Option::is_some,
    )
    .await
    .expect("a response");
    assert_eq!(code, 200);
    assert!(metrics.contains("sloguard_slo_events_total"), "{metrics}");

    // Each half-sent connection is closed by the server: reading it ends (no timeout). The
    // last ones waited for a slot, then had their own header timeout.
    let held_for = tokio::task::spawn_blocking(move || {
        for stream in &mut held {
            stream
                .set_read_timeout(Some(PATIENCE))
                .expect("read timeout");
            let mut rest = Vec::new();
            let closed = match stream.read_to_end(&mut rest) {
                Ok(_) => true,
                Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
            };
            assert!(
                closed,
                "a half-sent connection was still open after {PATIENCE:?}"
            );
        }
        started.elapsed()
    })
    .await
    .expect("reader");
    assert!(
        held_for >= HEADER_TIMEOUT,
        "closed before its header timeout ({held_for:?})"
    );
    drop(server);
}

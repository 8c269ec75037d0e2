//! Runnable services instrumented with sloguard; see the `examples/` folder of this package.
//!
//! Every example listens on `SLOGUARD_ADDR` (default `127.0.0.1:3000`) and prints
//! `listening on http://ADDR` as its first line, so scripts and tests can wait for it.
//!
//! ```
//! std::env::remove_var("SLOGUARD_ADDR");
//! assert_eq!(sloguard_examples::listen_addr().to_string(), "127.0.0.1:3000");
//! ```

use std::io::Write;
use std::net::SocketAddr;

/// The address examples listen on when `SLOGUARD_ADDR` is not set.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// The address from `SLOGUARD_ADDR`, or [`DEFAULT_ADDR`]. An unreadable value is reported
/// and the default is used, rather than panicking.
pub fn listen_addr() -> SocketAddr {
    let default = SocketAddr::from(([127, 0, 0, 1], 3000));
    match std::env::var("SLOGUARD_ADDR") {
        Ok(text) => text.parse().unwrap_or_else(|e| {
            eprintln!("SLOGUARD_ADDR={text:?} is not an address ({e}); using {DEFAULT_ADDR}");
            default
        }),
        Err(_) => default,
    }
}

/// Prints the first line every example prints, and flushes it at once so a reader waiting on
/// a pipe sees it.
pub fn announce(addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on http://{addr}");
    let _ = out.flush();
}

/// Resolves when the process is asked to stop (Ctrl-C).
pub async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// The README's tonic line, compiled so it cannot go stale: tonic's own server with the gRPC
/// preset as a layer.
pub async fn serve_grpc_with_tonic_server(
    registry: &sloguard::Registry,
    addr: SocketAddr,
) -> Result<(), tonic::transport::Error> {
    let (_reporter, health) = tonic_health::server::health_reporter();
    tonic::transport::Server::builder()
        .layer(sloguard::SliLayer::grpc(registry))
        .add_service(health)
        .serve(addr)
        .await
}

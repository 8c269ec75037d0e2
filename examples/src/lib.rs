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

/// The environment variables that name where an example sends its alert notifications.
pub const NOTIFY_VARIABLES: [&str; 4] = [
    "SLOGUARD_WEBHOOK_URL",
    "SLOGUARD_SLACK_WEBHOOK_URL",
    "SLOGUARD_PAGERDUTY_ROUTING_KEY",
    "SLOGUARD_PAGERDUTY_URL",
];

/// Adds a sink for each of these that is set, so notifications can be tried without code:
/// `SLOGUARD_WEBHOOK_URL` (sloguard's JSON), `SLOGUARD_SLACK_WEBHOOK_URL` (a Slack-compatible
/// incoming webhook), `SLOGUARD_PAGERDUTY_ROUTING_KEY` (PagerDuty Events v2, posted to
/// `SLOGUARD_PAGERDUTY_URL` when that is set, a regional endpoint or a test server). A value
/// that is set but unusable is an error that names the variable and never repeats the value,
/// which may be a secret.
///
/// ```
/// for name in sloguard_examples::NOTIFY_VARIABLES {
///     std::env::remove_var(name);
/// }
/// let builder = sloguard_examples::notify_from_env(sloguard::Registry::builder("x")).unwrap();
/// # let _ = builder.build();
/// std::env::set_var("SLOGUARD_WEBHOOK_URL", "ftp://secret@example.com");
/// let error = sloguard_examples::notify_from_env(sloguard::Registry::builder("x")).unwrap_err();
/// assert!(error.starts_with("SLOGUARD_WEBHOOK_URL: ") && !error.contains("secret"), "{error}");
/// std::env::remove_var("SLOGUARD_WEBHOOK_URL");
/// ```
pub fn notify_from_env(
    mut builder: sloguard::RegistryBuilder,
) -> Result<sloguard::RegistryBuilder, String> {
    use sloguard::alerting;
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let named = |name: &'static str| move |e: alerting::SinkError| format!("{name}: {e}");
    if let Some(url) = set("SLOGUARD_WEBHOOK_URL") {
        builder =
            builder.alert_sink(alerting::webhook(&url).map_err(named("SLOGUARD_WEBHOOK_URL"))?);
    }
    if let Some(url) = set("SLOGUARD_SLACK_WEBHOOK_URL") {
        builder =
            builder.alert_sink(alerting::slack(&url).map_err(named("SLOGUARD_SLACK_WEBHOOK_URL"))?);
    }
    if let Some(key) = set("SLOGUARD_PAGERDUTY_ROUTING_KEY") {
        let mut pagerduty =
            alerting::Webhook::pagerduty(&key).map_err(named("SLOGUARD_PAGERDUTY_ROUTING_KEY"))?;
        if let Some(url) = set("SLOGUARD_PAGERDUTY_URL") {
            pagerduty = pagerduty
                .url(&url)
                .map_err(named("SLOGUARD_PAGERDUTY_URL"))?;
        }
        builder = builder.alert_sink(alerting::Queued::new(pagerduty, alerting::DEFAULT_CAPACITY));
    }
    Ok(builder)
}

/// Mounts the write API (people open incidents, post updates, schedule maintenance) on
/// `router` when `SLOGUARD_WRITE_TOKEN` or `SLOGUARD_WRITE_TOKEN_FILE` is set; without either
/// it is off (404). A token that is set but unusable is an error. With
/// `SLOGUARD_STATE_FILE` set, the registry's state (windows, incidents, updates, maintenance)
/// is kept in that file, each write saved before it is answered: keep the returned guard
/// alive while serving.
///
/// ```
/// std::env::remove_var("SLOGUARD_WRITE_TOKEN");
/// std::env::remove_var("SLOGUARD_WRITE_TOKEN_FILE");
/// std::env::remove_var("SLOGUARD_STATE_FILE");
/// let registry = sloguard::Registry::builder("x").build();
/// let (_router, kept) = sloguard_examples::people_write(axum::Router::new(), &registry).unwrap();
/// assert!(kept.is_none());
/// ```
pub fn people_write(
    mut router: axum::Router,
    registry: &sloguard::Registry,
) -> Result<(axum::Router, Option<sloguard::Persistence>), String> {
    let kept = match std::env::var_os("SLOGUARD_STATE_FILE").filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = std::path::PathBuf::from(path);
            match registry.load_state(&path) {
                Ok(_) => {}
                // The first start: nothing saved yet.
                Err(sloguard::StateError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => eprintln!("state file {}: {e}; starting afresh", path.display()),
            }
            Some(registry.persist_to(path, std::time::Duration::from_secs(60)))
        }
        None => None,
    };
    let token = sloguard::expose::WriteToken::from_env().map_err(|e| e.to_string())?;
    if let Some(token) = token {
        for (path, api) in sloguard::expose::write_endpoints(registry, &token) {
            router = router.route_service(path, api);
        }
        eprintln!(
            "the write API is on{}",
            if kept.is_some() {
                ""
            } else {
                " (without SLOGUARD_STATE_FILE, writes last until the process stops)"
            }
        );
    }
    Ok((router, kept))
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

//! The `sloguard serve` process: the spec's one service, the sinks, the listener, and the
//! fleet's loop until SIGINT or SIGTERM (the state file is saved on the way out).
//!
//! ```
//! use sloguard_cli::serve::command::one_service;
//!
//! let a = sloguard::spec::Spec::from_str(r#"{"service": "payments", "availability": 99.9}"#).unwrap();
//! let b = sloguard::spec::Spec::from_str(r#"{"service": "search", "availability": 99.5}"#).unwrap();
//! assert_eq!(one_service(vec![a.clone()]).unwrap().service, "payments");
//! assert!(one_service(vec![a, b]).unwrap_err().to_string().contains("one service"));
//! ```

// The address line on standard output is the contract scripts and tests wait for.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::path::Path;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use sloguard::expose;
use sloguard::spec::Spec;

use super::notify::Notify;
use super::{http, unix_now, Fleet, Options, ServeError};

/// The documents of a spec file as one service: their SLOs together; documents of several
/// services are refused (one `serve` judges one service).
pub fn one_service(specs: Vec<Spec>) -> Result<Spec, ServeError> {
    let mut specs = specs.into_iter();
    let Some(mut one) = specs.next() else {
        return Err(ServeError::Setup("the spec holds no service".to_owned()));
    };
    for other in specs {
        if other.service != one.service {
            return Err(ServeError::Setup(format!(
                "the spec describes services {:?} and {:?}: one serve judges one service; run one per service (each on its own --listen)",
                one.service, other.service
            )));
        }
        one.slos.extend(other.slos);
        one.status_page = one.status_page.or(other.status_page);
    }
    Ok(one)
}

/// Runs `serve` until SIGINT or SIGTERM: sinks from `notify`, pages on `listen`.
pub fn run(
    spec: &Spec,
    options: Options,
    listen: SocketAddr,
    notify: Option<&Path>,
) -> Result<(), ServeError> {
    let sinks = match notify {
        Some(path) => {
            let notify = Notify::from_path(path).map_err(|e| ServeError::Setup(e.to_string()))?;
            Some(
                notify
                    .sinks()
                    .map_err(|e| ServeError::Setup(e.to_string()))?,
            )
        }
        None => None,
    };
    // The library says what it cannot see through `tracing` (each diagnostic once, sink
    // failures, state files): a long-running process shows it on standard error.
    let _ = tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .finish(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ServeError::Setup(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let now = unix_now();
        let spec =
            super::groups::split_groups(spec, &options, now - options.delay.as_secs() as i64)
                .await?;
        let fleet = Fleet::new(&spec, options, now)?;
        if let Some(sinks) = sinks {
            eprintln!("sloguard serve: notifying {}", sinks.names.join(", "));
            for sink in sinks.sinks {
                fleet.registry().add_alert_sink(sink);
            }
        }
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| ServeError::Setup(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ServeError::Setup(e.to_string()))?;
        println!("listening on http://{addr}");
        let token = expose::WriteToken::from_env().map_err(|e| ServeError::Setup(e.to_string()))?;
        if token.is_some() {
            eprintln!("sloguard serve: the write API is on (a bearer token is set)");
        }
        let ready = Arc::new(AtomicBool::new(false));
        let app = http::router(fleet.registry(), token.as_ref(), Arc::clone(&ready));
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        fleet.run(shutdown(), ready).await;
        server.abort();
        eprintln!("sloguard serve: stopped");
        Ok(())
    })
}

/// SIGINT or SIGTERM.
async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

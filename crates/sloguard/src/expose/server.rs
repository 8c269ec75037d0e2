//! A standalone exposition listener, for services with no HTTP server of their own (workers,
//! queue consumers, batch jobs): one call serves every endpoint of
//! [`endpoints`](super::endpoints), and the write API ([`super::write`]) when
//! `SLOGUARD_WRITE_TOKEN` or `SLOGUARD_WRITE_TOKEN_FILE` is set.
//!
//! The socket is bound before the call returns, so a taken port is an error the caller sees.
//! Requests are served on one background thread with its own small runtime; dropping the
//! returned [`ExpositionServer`] stops it.
//!
//! Clients cannot hold it: a request's head must arrive within [`HEADER_TIMEOUT`], a
//! connection lives at most [`CONNECTION_LIFETIME`], at most [`MAX_CONNECTIONS`] are served
//! at once (more wait in the kernel's queue), and an accept error (out of file descriptors)
//! pauses accepting for [`ACCEPT_BACKOFF`] instead of spinning.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use sloguard_core::Registry;
use tokio::sync::{Notify, Semaphore};

use super::service::{endpoint, slo_page};
use super::write::{write_endpoint, WriteToken};

/// Where [`serve`] listens: loopback only, port 9464 (the port OpenTelemetry's Prometheus
/// exporter uses by default).
pub const DEFAULT_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9464);

/// How long a client has to send a request's head (a scraper sends it at once).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one connection is served, however busy: a scraper that keeps its connection
/// alive simply opens another.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 64;
/// The pause after a failed accept.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A running exposition listener; dropping it stops the listener.
#[derive(Debug)]
pub struct ExpositionServer {
    addr: SocketAddr,
    stop: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
}

impl ExpositionServer {
    /// The address it listens on (useful when started on port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ExpositionServer {
    fn drop(&mut self) {
        self.stop.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves the registry's endpoints on [`DEFAULT_ADDR`] (127.0.0.1:9464).
pub fn serve(registry: &Registry) -> io::Result<ExpositionServer> {
    serve_on(registry, DEFAULT_ADDR)
}

/// Serves the registry's endpoints on `addr` (`/` shows `/slo`), with the write API when a
/// token is set in the environment; `404` elsewhere. A token that is set but unusable (too
/// short, an unreadable file) is an error: the API is never silently off.
pub fn serve_on(registry: &Registry, addr: SocketAddr) -> io::Result<ExpositionServer> {
    let token = WriteToken::from_env()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    let stop = Arc::new(Notify::new());
    let registry = registry.clone();
    let thread = {
        let stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("sloguard-exposition".into())
            .spawn(move || runtime.block_on(accept_loop(listener, registry, token, stop)))?
    };
    Ok(ExpositionServer {
        addr,
        stop,
        thread: Some(thread),
    })
}

async fn accept_loop(
    listener: TcpListener,
    registry: Registry,
    token: Option<WriteToken>,
    stop: Arc<Notify>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        // A free slot first: past the cap, connections wait in the kernel's queue.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return,
            },
            _ = stop.notified() => return,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: the listener stays readable, so
                // retrying at once would spin. Pause, then serve the next ones.
                Err(_) => {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = stop.notified() => return,
        };
        let (registry, token) = (registry.clone(), token.clone());
        let service = tower::service_fn(move |req: Request<Incoming>| {
            let write = token
                .as_ref()
                .and_then(|t| write_endpoint(&registry, t, req.uri().path()));
            let endpoint = match req.uri().path() {
                "/" => Some(slo_page(&registry)),
                path => endpoint(&registry, path),
            };
            async move {
                let response = match (write, endpoint) {
                    (Some(w), _) => w.handle(req).await,
                    (None, Some(e)) => e.respond_to(&req),
                    (None, None) => super::service::not_found(),
                };
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, connection).await;
            drop(slot);
        });
    }
}

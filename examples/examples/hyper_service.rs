//! A plain hyper service (no router) under the SLI layer: one operation, `echo`.
//!
//! Run: `cargo run -p sloguard-examples --example hyper_service`. `GET /?status=CODE`
//! answers with that status; `/metrics`, `/slo.json` and `/slo` are served beside it and are
//! not counted. Without a router there is no route template, so the layer is told the
//! operation's name.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use sloguard::layer::SliLayer;
use sloguard::model::Slo;
use sloguard::{expose, Registry};
use tower::{Layer, Service, ServiceExt};

async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let status = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("status=")))
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = Response::new(Full::new(Bytes::from(format!(
        "echo: {}\n",
        status.as_u16()
    ))));
    *response.status_mut() = status;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::builder("echo").build();
    registry.register(
        Slo::availability("availability")
            .objective_percent(99.5)
            .build()?,
    )?;
    let _sampler = registry.start_sampler();
    let layer = SliLayer::new(&registry).operation("echo");
    // People write on /status when SLOGUARD_WRITE_TOKEN (or _FILE) is set.
    let token = expose::WriteToken::from_env()?;

    let addr = sloguard_examples::listen_addr();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    sloguard_examples::announce(listener.local_addr()?);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = sloguard_examples::shutdown_signal() => return Ok(()),
        };
        let (registry, token) = (registry.clone(), token.clone());
        let echo = layer.layer(tower::service_fn(echo));
        // Exposition paths are answered beside the instrumented service, so they are not
        // counted; everything else goes through the layer.
        let service = tower::service_fn(move |req: Request<Incoming>| {
            let mut echo = echo.clone();
            let registry = registry.clone();
            let write = token
                .as_ref()
                .and_then(|t| expose::write_endpoint(&registry, t, req.uri().path()));
            async move {
                if let Some(write) = write {
                    return Ok(write.handle(req).await.map(Either::Left));
                }
                let endpoint = expose::endpoint(&registry, req.uri().path());
                match endpoint {
                    Some(mut e) => Ok::<_, Infallible>(e.call(req).await?.map(Either::Left)),
                    None => Ok(echo.ready().await?.call(req).await?.map(Either::Right)),
                }
            }
        });
        tokio::spawn(async move {
            let served = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .await;
            if let Err(e) = served {
                eprintln!("connection ended with an error: {e}");
            }
        });
    }
}

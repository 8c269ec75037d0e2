//! A small JSON POST over plain HTTP/1.1 for the webhook and Alertmanager sinks, run on the
//! delivery thread's own single-threaded runtime.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;

/// Why a POST failed, and whether trying again may help.
#[derive(Debug)]
pub(crate) struct PostError {
    pub(crate) message: String,
    pub(crate) retryable: bool,
}

pub(crate) struct Poster {
    runtime: Option<tokio::runtime::Runtime>,
    timeout: Duration,
}

impl Poster {
    pub(crate) fn new(timeout: Duration) -> Self {
        Poster {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok(),
            timeout,
        }
    }

    /// POSTs `body` as JSON to `url`; any 2xx is success.
    pub(crate) fn post(&self, url: &Uri, body: Vec<u8>) -> Result<StatusCode, PostError> {
        let Some(runtime) = &self.runtime else {
            return Err(PostError {
                message: "no runtime".into(),
                retryable: false,
            });
        };
        let attempt =
            runtime.block_on(async { tokio::time::timeout(self.timeout, post(url, body)).await });
        match attempt {
            Ok(Ok(status)) if status.is_success() => Ok(status),
            Ok(Ok(status)) => Err(PostError {
                message: format!("HTTP {status}"),
                // A client error other than rate limiting will not change on retry.
                retryable: status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
            }),
            Ok(Err(message)) => Err(PostError {
                message,
                retryable: true,
            }),
            Err(_) => Err(PostError {
                message: format!("no answer within {:?}", self.timeout),
                retryable: true,
            }),
        }
    }
}

async fn post(url: &Uri, body: Vec<u8>) -> Result<StatusCode, String> {
    if url.scheme_str() != Some("http") {
        return Err(format!("{url}: only http:// URLs are supported"));
    }
    let host = url.host().ok_or("the URL has no host")?;
    let port = url.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let path = url.path_and_query().map_or("/", |p| p.as_str());
    let request = Request::post(path)
        .header("host", format!("{host}:{port}"))
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!("sloguard/", env!("CARGO_PKG_VERSION")),
        )
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let _ = response.into_body().collect().await;
    Ok(status)
}

/// An engine timestamp as RFC 3339 in UTC.
pub(crate) use sloguard_core::words::rfc3339 as rfc3339_at;

/// A wall-clock time as RFC 3339 in UTC.
pub(crate) fn rfc3339(t: std::time::SystemTime) -> String {
    rfc3339_at(sloguard_core::clock::Timestamp::from(t))
}

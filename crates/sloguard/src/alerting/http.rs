//! The HTTP(S) client every sink posts through: one TLS configuration (the public web roots,
//! plus the CA certificates of a PEM file for private endpoints) and one runtime with a single
//! I/O thread, shared by every sink. Each sink keeps its own queue thread, which waits on its
//! own requests, so a slow endpoint still never delays the others.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};

/// Why a POST failed, and whether trying again may help.
#[derive(Debug)]
pub(crate) struct PostError {
    pub(crate) message: String,
    pub(crate) retryable: bool,
}

/// An HTTP and HTTPS client for the sinks: one TLS configuration and one runtime thread,
/// shared by every sink built with it (cheap to clone). [`HttpClient::shared`] is the one the
/// sinks use unless given another, e.g. one that trusts a private CA.
///
/// ```
/// use sloguard::alerting::HttpClient;
///
/// let client = HttpClient::shared();
/// assert!(HttpClient::with_ca_pem(b"not a certificate").is_err());
/// # let _ = client;
/// ```
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Option<tokio::runtime::Runtime>,
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle may go away inside the host's async code, where dropping a runtime
        // by waiting for it would panic: let its thread finish in the background instead.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpClient")
    }
}

impl HttpClient {
    /// The client every sink shares by default: the public web roots (as Mozilla ships
    /// them), no private CA.
    pub fn shared() -> HttpClient {
        static SHARED: OnceLock<HttpClient> = OnceLock::new();
        SHARED.get_or_init(|| HttpClient::build(&[])).clone()
    }

    /// A client that also trusts the CA certificates of `pem` (one or more `BEGIN
    /// CERTIFICATE` blocks): for Alertmanagers and webhooks behind a private CA.
    pub fn with_ca_pem(pem: &[u8]) -> Result<HttpClient, String> {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("the CA file is not PEM certificates: {e}"))?;
        if certs.is_empty() {
            return Err("the CA file holds no certificate (BEGIN CERTIFICATE)".to_owned());
        }
        Ok(HttpClient::build(&certs))
    }

    /// [`HttpClient::with_ca_pem`] with the PEM file at `path`.
    pub fn with_ca_file(path: &std::path::Path) -> Result<HttpClient, String> {
        let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        HttpClient::with_ca_pem(&pem).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn build(extra: &[CertificateDer<'static>]) -> HttpClient {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in extra {
            // A certificate the store cannot use is left out; the handshake then fails with
            // an unknown-issuer error that names the endpoint.
            let _ = roots.add(cert.clone());
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // The ring provider supports the default versions, so this is always `Some`; were it
        // not, https:// posts would fail with a message and http:// would still work.
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()
            .map(|b| {
                let mut config = b.with_root_certificates(roots).with_no_client_auth();
                config.alpn_protocols = vec![b"http/1.1".to_vec()];
                tokio_rustls::TlsConnector::from(Arc::new(config))
            });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("sloguard-http")
            .enable_all()
            .build()
            .ok();
        HttpClient {
            inner: Arc::new(Inner { runtime, tls }),
        }
    }

    /// POSTs `body` as JSON to `url` within `timeout`; any 2xx is success.
    pub(crate) fn post(
        &self,
        url: &Uri,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<StatusCode, PostError> {
        let Some(runtime) = &self.inner.runtime else {
            return Err(PostError {
                message: "no runtime".into(),
                retryable: false,
            });
        };
        let attempt = runtime.block_on(async {
            tokio::time::timeout(timeout, post(self.inner.tls.as_ref(), url, body)).await
        });
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
                message: format!("no answer within {timeout:?}"),
                retryable: true,
            }),
        }
    }
}

/// A sink's handle on a client, with its own timeout.
pub(crate) struct Poster {
    client: HttpClient,
    timeout: Duration,
}

impl Poster {
    pub(crate) fn new(client: HttpClient, timeout: Duration) -> Self {
        Poster { client, timeout }
    }

    pub(crate) fn post(&self, to: &Endpoint, body: Vec<u8>) -> Result<StatusCode, PostError> {
        self.client.post(to.uri(), body, self.timeout)
    }
}

/// Where a sink posts: the whole URL, which may carry a secret in its path or query (a Slack
/// webhook's token, a `?token=`), and the name it is shown by everywhere else (diagnostics,
/// logs, errors, `Debug`): its scheme, host and port only.
///
/// ```
/// # use sloguard::alerting::Webhook;
/// let hook = Webhook::slack("https://hooks.slack.com/services/T000/B000/SECRET").unwrap();
/// assert!(!format!("{hook:?}").contains("SECRET"));
/// assert!(Webhook::new("https://user:pass@example.com/hook").is_err());
/// ```
#[derive(Clone)]
pub(crate) struct Endpoint {
    uri: Uri,
    shown: String,
}

impl Endpoint {
    /// Checks that `url` is an `http://` or `https://` URL with a host and no credentials;
    /// `what` names it in errors, which never repeat the URL itself.
    pub(crate) fn parse(url: &str, what: &str) -> Result<Endpoint, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("the {what} URL is not a valid URL ({e})"))?;
        let (Some(scheme @ ("http" | "https")), Some(authority)) =
            (uri.scheme_str(), uri.authority())
        else {
            return Err(format!(
                "the {what} URL must be http:// or https:// with a host"
            ));
        };
        // Credentials in the authority would not be sent (the client does not turn them into
        // an Authorization header), so refusing them is the only honest answer.
        if authority.as_str().contains('@') {
            return Err(format!(
                "the {what} URL carries credentials (user:password@), which sloguard does not send; \
                 put the secret in the path or query the service expects, or a proxy in front"
            ));
        }
        let shown = format!("{scheme}://{}", authority.as_str());
        Ok(Endpoint { uri, shown })
    }

    /// The whole URL, to post to.
    pub(crate) fn uri(&self) -> &Uri {
        &self.uri
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

async fn post(
    tls: Option<&tokio_rustls::TlsConnector>,
    url: &Uri,
    body: Vec<u8>,
) -> Result<StatusCode, String> {
    let host = url.host().ok_or("the URL has no host")?;
    let https = url.scheme_str() == Some("https");
    let port = url.port_u16().unwrap_or(if https { 443 } else { 80 });
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| e.to_string())?;
    if https {
        let tls = tls.ok_or("TLS is not available")?;
        let name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
            .map_err(|e| format!("{host} is not a TLS server name: {e}"))?;
        let stream = tls
            .connect(name, stream)
            .await
            .map_err(|e| format!("TLS with {host}: {e}"))?;
        exchange(stream, url, host, port, body).await
    } else {
        exchange(stream, url, host, port, body).await
    }
}

async fn exchange<S>(
    stream: S,
    url: &Uri,
    host: &str,
    port: u16,
    body: Vec<u8>,
) -> Result<StatusCode, String>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_client_dropped_inside_async_code_does_not_panic() {
        let client = HttpClient::build(&[]);
        let copy = client.clone();
        drop(client);
        drop(copy); // the runtime goes away here, inside a runtime
    }
}

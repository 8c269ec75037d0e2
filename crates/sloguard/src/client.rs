//! The one HTTP(S) client of every outbound call: the alert sinks, `sloguard check`,
//! `sla-report --url`, `incident-review --url` and the demo's load all go through it.
//!
//! hyper speaks HTTP/1.1 and rustls TLS (the ring provider: no C toolchain beyond `cc`), with
//! the public web roots as Mozilla ships them plus, where asked, the CA certificates of a PEM
//! file for private endpoints. Requests run on one runtime with a single I/O thread, shared
//! by every user of a client, so callers need no runtime of their own: blocking callers use
//! [`HttpClient::get`], async ones await [`HttpClient::get_async`] on any runtime. Every call
//! has a deadline, and an answer is read up to a size limit.
//!
//! ```
//! use sloguard::client::{HttpClient, RequestError};
//! use std::time::Duration;
//!
//! let client = HttpClient::shared();
//! assert!(HttpClient::with_ca_pem(b"not a certificate").is_err());
//! // Nothing listens on port 9 of this machine: an error that names the reason, never a panic.
//! let refused = client.get("http://127.0.0.1:9/slo.json", Duration::from_secs(2), 1024);
//! assert!(matches!(refused, Err(RequestError::Connect { .. })));
//! ```

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
pub use hyper::Method;
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};

/// Why a request got no usable answer. Messages name the endpoint by scheme and host only:
/// a path or query may carry a secret (a Slack webhook's token).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The URL is not an `http://` or `https://` URL with a host, or carries credentials.
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// No connection (refused, unreachable, name not resolved).
    Connect {
        /// The endpoint, as `scheme://host:port`.
        endpoint: String,
        /// The system's reason.
        reason: String,
    },
    /// The TLS handshake failed (an unknown issuer, a name mismatch).
    Tls {
        /// The endpoint.
        endpoint: String,
        /// rustls' reason.
        reason: String,
    },
    /// The exchange broke off, or the answer was not HTTP.
    Protocol {
        /// The endpoint.
        endpoint: String,
        /// hyper's reason.
        reason: String,
    },
    /// No complete answer within the deadline.
    Timeout {
        /// The endpoint.
        endpoint: String,
        /// The deadline.
        after: Duration,
    },
    /// The answer is larger than the caller's limit.
    TooLarge {
        /// The endpoint.
        endpoint: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The client's runtime could not be started.
    NoRuntime,
}

impl RequestError {
    /// The endpoint it concerns (`scheme://host:port`), if the URL was valid.
    pub fn endpoint(&self) -> Option<&str> {
        match self {
            RequestError::Connect { endpoint, .. }
            | RequestError::Tls { endpoint, .. }
            | RequestError::Protocol { endpoint, .. }
            | RequestError::Timeout { endpoint, .. }
            | RequestError::TooLarge { endpoint, .. } => Some(endpoint),
            RequestError::InvalidUrl { .. } | RequestError::NoRuntime => None,
        }
    }

    /// What went wrong, without the endpoint (for messages that name it already).
    pub fn reason(&self) -> String {
        match self {
            RequestError::InvalidUrl { reason } => reason.clone(),
            RequestError::Connect { reason, .. } => format!("cannot connect ({reason})"),
            RequestError::Tls { reason, .. } => format!("TLS failed ({reason})"),
            RequestError::Protocol { reason, .. } => reason.clone(),
            RequestError::Timeout { after, .. } => format!("no answer within {after:?}"),
            RequestError::TooLarge { limit, .. } => {
                format!("the answer is larger than {limit} bytes")
            }
            RequestError::NoRuntime => "the HTTP client's runtime could not start".to_owned(),
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.endpoint() {
            Some(endpoint) => write!(f, "{endpoint}: {}", self.reason()),
            None => f.write_str(&self.reason()),
        }
    }
}

impl std::error::Error for RequestError {}

/// Why a CA file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaError {
    /// The file, when read from one.
    pub path: Option<std::path::PathBuf>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for CaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{}: {}", path.display(), self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for CaError {}

/// Why a header cannot be sent. It names the header, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError {
    /// The header's name, as given.
    pub name: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the header {:?} cannot be sent: {}",
            self.name, self.reason
        )
    }
}

impl std::error::Error for HeaderError {}

/// An answer: its status and its body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body, whole.
    pub body: Bytes,
}

/// An HTTP and HTTPS client: one TLS configuration and one runtime thread, shared by every
/// clone (cheap). [`HttpClient::shared`] is the one used unless another is given, e.g. one
/// that trusts a private CA.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
    /// Headers sent with every request (a tenant, a bearer token): marked sensitive, never
    /// shown.
    headers: Arc<[(hyper::header::HeaderName, hyper::header::HeaderValue)]>,
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

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpClient")
    }
}

impl HttpClient {
    /// The client shared by default: the public web roots, no private CA.
    pub fn shared() -> HttpClient {
        static SHARED: OnceLock<HttpClient> = OnceLock::new();
        SHARED.get_or_init(|| HttpClient::build(&[])).clone()
    }

    /// A client that also trusts the CA certificates of `pem` (one or more `BEGIN
    /// CERTIFICATE` blocks): for endpoints behind a private CA.
    pub fn with_ca_pem(pem: &[u8]) -> Result<HttpClient, CaError> {
        let refused = |reason: String| CaError { path: None, reason };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| refused(format!("the CA file is not PEM certificates: {e}")))?;
        if certs.is_empty() {
            return Err(refused(
                "the CA file holds no certificate (BEGIN CERTIFICATE)".to_owned(),
            ));
        }
        Ok(HttpClient::build(&certs))
    }

    /// [`HttpClient::with_ca_pem`] with the PEM file at `path`.
    pub fn with_ca_file(path: &std::path::Path) -> Result<HttpClient, CaError> {
        let in_file = |reason: String| CaError {
            path: Some(path.to_owned()),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| in_file(e.to_string()))?;
        HttpClient::with_ca_pem(&pem).map_err(|e| in_file(e.reason))
    }

    /// This client (sharing its TLS and runtime) sending `name: value` with every request as
    /// well: a tenant (`X-Scope-OrgID` for Grafana Mimir and Cortex) or a credential
    /// (`Authorization`). Values are marked sensitive and never appear in errors, logs or
    /// `Debug`; an invalid name or value is refused, naming the header only.
    pub fn with_header(&self, name: &str, value: &str) -> Result<HttpClient, HeaderError> {
        let refused = |reason: &str| HeaderError {
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        let name = hyper::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| refused("not a header name"))?;
        let mut value = hyper::header::HeaderValue::from_str(value)
            .map_err(|_| refused("its value holds characters a header cannot carry"))?;
        value.set_sensitive(true);
        let mut headers = self.headers.to_vec();
        headers.push((name, value));
        Ok(HttpClient {
            inner: Arc::clone(&self.inner),
            headers: headers.into(),
        })
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
        // not, https:// calls would fail with a message and http:// would still work.
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
            headers: Arc::new([]),
        }
    }

    /// GETs `url` within `timeout`, reading at most `limit` bytes of the answer; any status
    /// is an answer (the caller decides what a 404 means). Blocks the calling thread; from
    /// async code use [`HttpClient::get_async`].
    pub fn get(
        &self,
        url: &str,
        timeout: Duration,
        limit: usize,
    ) -> Result<Response, RequestError> {
        let endpoint = Endpoint::parse(url, "requested")?;
        self.block_on(self.call(Method::GET, endpoint, None, timeout, limit))
    }

    /// [`HttpClient::get`] for async callers, on any runtime (the request runs on the
    /// client's own).
    pub fn get_async(
        &self,
        url: &str,
        timeout: Duration,
        limit: usize,
    ) -> impl Future<Output = Result<Response, RequestError>> + Send + 'static {
        self.on_own_runtime(Method::GET, url, None, timeout, limit)
    }

    /// Sends `method` to `url` with an optional `(content type, body)` within `timeout`,
    /// reading at most `limit` bytes of the answer; any status is an answer. Blocks the
    /// calling thread: for commands and scripts (`sloguard incident`).
    pub fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<(&'static str, Vec<u8>)>,
        timeout: Duration,
        limit: usize,
    ) -> Result<Response, RequestError> {
        let endpoint = Endpoint::parse(url, "requested")?;
        self.block_on(self.call(method, endpoint, body, timeout, limit))
    }

    /// POSTs `body` as JSON to `to` within `timeout`, blocking the calling thread.
    pub(crate) fn post_json(
        &self,
        to: &Endpoint,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<StatusCode, RequestError> {
        let call = self.call(
            Method::POST,
            to.clone(),
            Some(("application/json", body)),
            timeout,
            64 * 1024,
        );
        self.block_on(call).map(|r| r.status)
    }

    /// POSTs `body` of type `content_type` to `url` within `timeout`, reading at most `limit`
    /// bytes of the answer, for async callers on any runtime: a query too long for a URL
    /// (the Prometheus query API takes `application/x-www-form-urlencoded` forms).
    pub fn post_async(
        &self,
        url: &str,
        content_type: &'static str,
        body: Vec<u8>,
        timeout: Duration,
        limit: usize,
    ) -> impl Future<Output = Result<Response, RequestError>> + Send + 'static {
        self.on_own_runtime(
            Method::POST,
            url,
            Some((content_type, body)),
            timeout,
            limit,
        )
    }

    /// A call to `url` run on the client's own runtime, awaited from any runtime.
    fn on_own_runtime(
        &self,
        method: Method,
        url: &str,
        body: Option<Body>,
        timeout: Duration,
        limit: usize,
    ) -> impl Future<Output = Result<Response, RequestError>> + Send + 'static {
        let parsed = Endpoint::parse(url, "requested");
        let client = self.clone();
        async move {
            let Some(runtime) = &client.inner.runtime else {
                return Err(RequestError::NoRuntime);
            };
            let call = client.call(method, parsed?, body, timeout, limit);
            match runtime.spawn(call).await {
                Ok(answer) => answer,
                Err(_) => Err(RequestError::NoRuntime),
            }
        }
    }

    fn block_on<T>(
        &self,
        call: impl Future<Output = Result<T, RequestError>>,
    ) -> Result<T, RequestError> {
        match &self.inner.runtime {
            Some(runtime) => runtime.block_on(call),
            None => Err(RequestError::NoRuntime),
        }
    }

    fn call(
        &self,
        method: Method,
        to: Endpoint,
        body: Option<Body>,
        timeout: Duration,
        limit: usize,
    ) -> impl Future<Output = Result<Response, RequestError>> + Send + 'static {
        let tls = self.inner.tls.clone();
        let headers = Arc::clone(&self.headers);
        async move {
            let exchange = exchange(tls, &to, method, body, &headers, limit);
            match tokio::time::timeout(timeout, exchange).await {
                Ok(answer) => answer,
                Err(_) => Err(RequestError::Timeout {
                    endpoint: to.shown.clone(),
                    after: timeout,
                }),
            }
        }
    }
}

/// A URL to call: the whole URL, which may carry a secret in its path or query (a Slack
/// webhook's token, a `?token=`), and the name it is shown by everywhere else (diagnostics,
/// logs, errors, `Debug`): its scheme, host and port only (tested by
/// `errors_never_repeat_the_path_or_query` below, and through the sinks in `tests/secrets.rs`).
#[derive(Clone)]
pub(crate) struct Endpoint {
    uri: Uri,
    shown: String,
}

impl Endpoint {
    /// Checks that `url` is an `http://` or `https://` URL with a host and no credentials;
    /// `what` names it in errors, which never repeat the URL itself.
    pub(crate) fn parse(url: &str, what: &str) -> Result<Endpoint, RequestError> {
        let invalid = |reason: String| RequestError::InvalidUrl { reason };
        let uri: Uri = url
            .parse()
            .map_err(|e| invalid(format!("the {what} URL is not a valid URL ({e})")))?;
        let (Some(scheme @ ("http" | "https")), Some(authority)) =
            (uri.scheme_str(), uri.authority())
        else {
            return Err(invalid(format!(
                "the {what} URL must be http:// or https:// with a host"
            )));
        };
        // Credentials in the authority would not be sent (the client does not turn them into
        // an Authorization header), so refusing them is the only honest answer.
        if authority.as_str().contains('@') {
            return Err(invalid(format!(
                "the {what} URL carries credentials (user:password@), which sloguard does not send; \
                 put the secret in the path or query the service expects, or a proxy in front"
            )));
        }
        let shown = format!("{scheme}://{}", authority.as_str());
        Ok(Endpoint { uri, shown })
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

/// A request body: its content type and its bytes.
type Body = (&'static str, Vec<u8>);

async fn exchange(
    tls: Option<tokio_rustls::TlsConnector>,
    to: &Endpoint,
    method: Method,
    body: Option<Body>,
    headers: &[(hyper::header::HeaderName, hyper::header::HeaderValue)],
    limit: usize,
) -> Result<Response, RequestError> {
    let endpoint = || to.shown.clone();
    let host = to.uri.host().unwrap_or_default();
    let https = to.uri.scheme_str() == Some("https");
    let port = to.uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let stream = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| RequestError::Connect {
            endpoint: endpoint(),
            reason: e.to_string(),
        })?;
    if !https {
        return send(stream, to, method, body, headers, limit).await;
    }
    let tls_failed = |reason: String| RequestError::Tls {
        endpoint: endpoint(),
        reason,
    };
    let tls = tls.ok_or_else(|| tls_failed("TLS is not available".to_owned()))?;
    let name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
        .map_err(|e| tls_failed(format!("{host} is not a TLS server name: {e}")))?;
    let stream = tls
        .connect(name, stream)
        .await
        .map_err(|e| tls_failed(e.to_string()))?;
    send(stream, to, method, body, headers, limit).await
}

async fn send<S>(
    stream: S,
    to: &Endpoint,
    method: Method,
    body: Option<Body>,
    headers: &[(hyper::header::HeaderName, hyper::header::HeaderValue)],
    limit: usize,
) -> Result<Response, RequestError>
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let broke = |e: &dyn fmt::Display| RequestError::Protocol {
        endpoint: to.shown.clone(),
        reason: e.to_string(),
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| broke(&e))?;
    tokio::spawn(connection);
    let path = to.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", to.uri.authority().map_or("", |a| a.as_str()))
        .header(
            "user-agent",
            concat!("sloguard/", env!("CARGO_PKG_VERSION")),
        )
        .header("accept", "application/json");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let body = match body {
        Some((content_type, bytes)) => {
            request = request.header("content-type", content_type);
            bytes
        }
        None => Vec::new(),
    };
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| broke(&e))?;
    let response = sender.send_request(request).await.map_err(|e| broke(&e))?;
    let status = response.status();
    let body = Limited::new(response.into_body(), limit)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                RequestError::TooLarge {
                    endpoint: to.shown.clone(),
                    limit,
                }
            } else {
                broke(&e)
            }
        })?;
    Ok(Response {
        status,
        body: body.to_bytes(),
    })
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

    #[test]
    fn errors_never_repeat_the_path_or_query() {
        let refused = HttpClient::shared()
            .get(
                "http://127.0.0.1:9/hooks/SECRET?token=SECRET",
                Duration::from_secs(2),
                16,
            )
            .expect_err("nothing listens on port 9");
        assert!(!refused.to_string().contains("SECRET"), "{refused}");
        let invalid = Endpoint::parse("https://user:SECRET@example.com/", "webhook");
        assert!(!invalid.expect_err("refused").to_string().contains("SECRET"));
    }

    #[test]
    fn a_clients_headers_go_with_every_request_and_are_never_shown() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("a connection");
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            // Bounded: a request head is far below 64 KiB.
            while !head.ends_with(b"\r\n\r\n") && head.len() < 65_536 {
                if stream.read(&mut byte).unwrap_or(0) == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
            String::from_utf8_lossy(&head).to_lowercase()
        });
        let client = HttpClient::shared()
            .with_header("X-Scope-OrgID", "tenant-a")
            .and_then(|c| c.with_header("Authorization", "Bearer SECRET"))
            .expect("valid headers");
        assert!(!format!("{client:?}").contains("SECRET"));
        let answer = client
            .get(
                &format!("http://{addr}/api/v1/query"),
                Duration::from_secs(10),
                1024,
            )
            .expect("an answer");
        assert_eq!(answer.status, StatusCode::OK);
        let head = server.join().expect("the server thread");
        assert!(head.contains("x-scope-orgid: tenant-a"), "{head}");
        assert!(head.contains("authorization: bearer secret"), "{head}");
        let refused = HttpClient::shared()
            .with_header("Authorization", "Bearer SECRET\n")
            .expect_err("a newline cannot be sent");
        assert!(!refused.to_string().contains("SECRET"), "{refused}");
    }
}

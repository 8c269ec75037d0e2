//! Local HTTPS for tests: a CA generated per test, a server certificate for 127.0.0.1 signed
//! by it, and a server that records what is POSTed to it.
//!
//! ```no_run
//! # async fn f() {
//! let (ca_pem, config) = sloguard_e2e::tls::certificates();
//! let (addr, received) = sloguard_e2e::tls::https_server(config, 200).await;
//! # let _ = (ca_pem, addr, received);
//! # }
//! ```

use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// A CA and a server certificate for 127.0.0.1 and localhost signed by it: the CA's PEM and
/// the server's TLS configuration.
pub fn certificates() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA");
    let key = KeyPair::generate().expect("server key");
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("server params");
    let cert = params.signed_by(&key, &ca).expect("server certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    (ca.pem(), Arc::new(config))
}

/// What a test server received: each POST's path and JSON body.
pub type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// An HTTPS server on 127.0.0.1 that records each POST's path and JSON body and answers
/// `status`.
pub async fn https_server(
    config: Arc<rustls::ServerConfig>,
    status: u16,
) -> (std::net::SocketAddr, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let received: Received = Arc::default();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let store = Arc::clone(&received);
    tokio::spawn(async move {
        for _ in 0..200 {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, store) = (acceptor.clone(), Arc::clone(&store));
            tokio::spawn(async move {
                // A client that does not trust the CA aborts here: nothing is recorded.
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let store = Arc::clone(&store);
                    async move {
                        let path = req.uri().path().to_owned();
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        store.lock().expect("lock").push((path, json));
                        let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
                        *response.status_mut() =
                            hyper::StatusCode::from_u16(status).expect("status");
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, received)
}

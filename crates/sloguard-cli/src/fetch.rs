//! Reading a running service's JSON documents (`/slo.json`, `/slo/incidents.json`) over HTTP
//! or HTTPS, through the library's one [`HttpClient`], with the same CA option as the sinks.
//!
//! ```
//! use sloguard_cli::fetch::Fetcher;
//! use std::time::Duration;
//!
//! let fetcher = Fetcher::new(None, Duration::from_secs(2)).unwrap();
//! let error = fetcher.document("http://127.0.0.1:9/slo.json").unwrap_err().to_string();
//! assert!(error.contains("cannot connect"), "{error}");
//! ```

use std::path::Path;
use std::time::Duration;

use sloguard::client::{CaError, HttpClient, RequestError};
use sloguard::expose::json::SloDocument;

/// Why a document could not be read. Messages name the URL's host, never its path.
#[derive(Debug)]
#[non_exhaustive]
pub enum FetchError {
    /// The CA file given with `--ca-file` cannot be used.
    Ca(CaError),
    /// No answer (see [`RequestError`]).
    Request(RequestError),
    /// An answer other than 2xx.
    Status {
        /// The URL asked for.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The answer is not the document asked for.
    NotTheDocument {
        /// The URL asked for.
        url: String,
        /// The document expected, e.g. `a sloguard /slo.json document`.
        what: String,
        /// serde's reason.
        reason: String,
    },
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Ca(e) => e.fmt(f),
            FetchError::Request(e) => e.fmt(f),
            FetchError::Status { url, status } => write!(f, "{url}: HTTP {status}"),
            FetchError::NotTheDocument { url, what, reason } => {
                write!(f, "{url}: not {what} ({reason})")
            }
        }
    }
}

impl std::error::Error for FetchError {}

/// The largest document read from a service: far above any `/slo.json` or incident history
/// (both are bounded), small enough that a wrong URL cannot exhaust memory.
pub const MAX_FETCHED_BYTES: usize = 16 * 1024 * 1024;

/// A client and a deadline for the documents of one command.
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: HttpClient,
    timeout: Duration,
}

impl Fetcher {
    /// The shared client, or one that also trusts the CA certificates of `ca_file`.
    pub fn new(ca_file: Option<&Path>, timeout: Duration) -> Result<Fetcher, FetchError> {
        let client = match ca_file {
            Some(path) => HttpClient::with_ca_file(path).map_err(FetchError::Ca)?,
            None => HttpClient::shared(),
        };
        Ok(Fetcher { client, timeout })
    }

    /// A running service's `/slo.json`; the error names the URL's host and the reason.
    pub fn document(&self, url: &str) -> Result<SloDocument, FetchError> {
        self.json(url, "a sloguard /slo.json document")
    }

    /// One of a running service's JSON documents (`what` names it in errors).
    pub fn json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        what: &str,
    ) -> Result<T, FetchError> {
        let response = self
            .client
            .get(url, self.timeout, MAX_FETCHED_BYTES)
            .map_err(FetchError::Request)?;
        if !response.status.is_success() {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status: response.status.as_u16(),
            });
        }
        serde_json::from_slice::<T>(&response.body).map_err(|e| FetchError::NotTheDocument {
            url: url.to_owned(),
            what: what.to_owned(),
            reason: e.to_string(),
        })
    }
}

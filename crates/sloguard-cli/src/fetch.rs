//! Reading a running service's JSON documents (`/slo.json`, `/slo/incidents.json`) over HTTP
//! or HTTPS, through the library's one [`HttpClient`], with the same CA option as the sinks.
//!
//! ```
//! use sloguard_cli::fetch::Fetcher;
//! use std::time::Duration;
//!
//! let fetcher = Fetcher::new(None, Duration::from_secs(2)).unwrap();
//! let error = fetcher.document("http://127.0.0.1:9/slo.json").unwrap_err();
//! assert!(error.contains("cannot connect"), "{error}");
//! ```

use std::path::Path;
use std::time::Duration;

use sloguard::client::HttpClient;
use sloguard::expose::json::SloDocument;

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
    pub fn new(ca_file: Option<&Path>, timeout: Duration) -> Result<Fetcher, String> {
        let client = match ca_file {
            Some(path) => HttpClient::with_ca_file(path).map_err(|e| e.to_string())?,
            None => HttpClient::shared(),
        };
        Ok(Fetcher { client, timeout })
    }

    /// A running service's `/slo.json`; the error names the URL's host and the reason.
    pub fn document(&self, url: &str) -> Result<SloDocument, String> {
        self.json(url, "a sloguard /slo.json document")
    }

    /// One of a running service's JSON documents (`what` names it in errors).
    pub fn json<T: serde::de::DeserializeOwned>(&self, url: &str, what: &str) -> Result<T, String> {
        let response = self
            .client
            .get(url, self.timeout, MAX_FETCHED_BYTES)
            .map_err(|e| e.to_string())?;
        if !response.status.is_success() {
            return Err(format!("{url}: HTTP {}", response.status));
        }
        serde_json::from_slice::<T>(&response.body).map_err(|e| format!("{url}: not {what} ({e})"))
    }
}

//! How a sink posts: through the one [`HttpClient`](crate::client::HttpClient), with the sink's
//! own deadline, and which failures are worth another try. Each sink keeps its own queue
//! thread, which waits on its own requests, so a slow endpoint still never delays the others.

use std::time::Duration;

use hyper::StatusCode;

use crate::client::RequestError;
pub(crate) use crate::client::{Endpoint, HttpClient};

/// Why a POST failed, and whether trying again may help.
#[derive(Debug)]
pub(crate) struct PostError {
    pub(crate) message: String,
    pub(crate) retryable: bool,
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

    /// POSTs `body` as JSON; any 2xx is success.
    pub(crate) fn post(&self, to: &Endpoint, body: Vec<u8>) -> Result<StatusCode, PostError> {
        match self.client.post_json(to, body, self.timeout) {
            Ok(status) if status.is_success() => Ok(status),
            Ok(status) => Err(PostError {
                message: format!("HTTP {status}"),
                // A client error other than rate limiting will not change on retry.
                retryable: status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
            }),
            Err(e) => Err(PostError {
                retryable: !matches!(e, RequestError::InvalidUrl { .. }),
                message: e.reason(),
            }),
        }
    }
}

/// An engine timestamp as RFC 3339 in UTC.
pub(crate) use sloguard_core::words::rfc3339 as rfc3339_at;

/// A wall-clock time as RFC 3339 in UTC.
pub(crate) fn rfc3339(t: std::time::SystemTime) -> String {
    rfc3339_at(sloguard_core::clock::Timestamp::from(t))
}

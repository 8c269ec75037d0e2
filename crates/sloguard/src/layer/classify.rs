//! Which responses are failures: presets over tower-http's `classify` traits.
//!
//! - [`DefaultClassifier`]: 5xx and transport errors are failures; 4xx are the client's doing.
//! - [`grpc_classifier`]: the `grpc-status` of the headers or, at the end of the stream, the
//!   trailers; codes that report a client's mistake or a client's choice are not failures.
//! - [`StatusClassifier`]: a closure over the status code, for anything else.
//!
//! Any `MakeClassifier` from tower-http or elsewhere works too.

use std::fmt;

use http::{Response, StatusCode};
use tower_http::classify::{
    ClassifiedResponse, ClassifyResponse, GrpcCode, GrpcErrorsAsFailures, NeverClassifyEos,
    ServerErrorsAsFailures, SharedClassifier,
};

/// 5xx responses and transport errors are failures (tower-http's `ServerErrorsAsFailures`).
pub type DefaultClassifier = SharedClassifier<ServerErrorsAsFailures>;

/// The gRPC codes that are not the server's fault: the call succeeded, the client cancelled
/// it, or the client asked for something invalid, missing, conflicting or forbidden.
pub const GRPC_NOT_SERVER_FAULTS: [GrpcCode; 9] = [
    GrpcCode::Ok,
    GrpcCode::Cancelled,
    GrpcCode::InvalidArgument,
    GrpcCode::NotFound,
    GrpcCode::AlreadyExists,
    GrpcCode::PermissionDenied,
    GrpcCode::Unauthenticated,
    GrpcCode::FailedPrecondition,
    GrpcCode::OutOfRange,
];

/// The gRPC preset: every code outside [`GRPC_NOT_SERVER_FAULTS`] is a failure
/// (Unknown, DeadlineExceeded, ResourceExhausted, Aborted, Unimplemented, Internal,
/// Unavailable, DataLoss), read from headers or from trailers at the end of the stream.
pub fn grpc_classifier() -> SharedClassifier<GrpcErrorsAsFailures> {
    let classifier = GRPC_NOT_SERVER_FAULTS
        .iter()
        .fold(GrpcErrorsAsFailures::new(), |c, code| c.with_success(*code));
    SharedClassifier::new(classifier)
}

/// Classifies by status code with a function that returns `true` for failures; transport
/// errors are always failures.
///
/// ```
/// use sloguard::layer::StatusClassifier;
/// use http::StatusCode;
///
/// // Count rate limiting as a failure too.
/// let c = StatusClassifier::new(|s: StatusCode| s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS);
/// assert!(c.is_failure(StatusCode::TOO_MANY_REQUESTS));
/// assert!(!c.is_failure(StatusCode::NOT_FOUND));
/// ```
#[derive(Clone, Copy)]
pub struct StatusClassifier<F> {
    is_failure: F,
}

impl<F: Fn(StatusCode) -> bool> StatusClassifier<F> {
    /// A classifier from a function of the status code.
    pub fn new(is_failure: F) -> Self {
        StatusClassifier { is_failure }
    }

    /// Whether this status is a failure.
    pub fn is_failure(&self, status: StatusCode) -> bool {
        (self.is_failure)(status)
    }
}

impl<F> fmt::Debug for StatusClassifier<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StatusClassifier(..)")
    }
}

impl<F: Fn(StatusCode) -> bool> ClassifyResponse for StatusClassifier<F> {
    // The failure's details are not needed to count it; `()` keeps the error path free of
    // allocation too.
    type FailureClass = ();
    type ClassifyEos = NeverClassifyEos<()>;

    fn classify_response<B>(self, res: &Response<B>) -> ClassifiedResponse<(), Self::ClassifyEos> {
        ClassifiedResponse::Ready(if self.is_failure(res.status()) {
            Err(())
        } else {
            Ok(())
        })
    }

    fn classify_error<E: fmt::Display + 'static>(self, _: &E) {}
}

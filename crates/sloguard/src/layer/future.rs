//! [`ResponseFuture`]: classifies the response head and hands the request to the body.

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::Response;
use pin_project_lite::pin_project;
use sloguard_core::Outcome;
use tower_http::classify::{ClassifiedResponse, ClassifyResponse};

use super::body::{ResponseBody, Verdict};
use super::finish::{guarded, InFlight};

pin_project! {
    /// The response future of [`Sli`](super::Sli). Dropped before it completes, it records the
    /// request as cancelled.
    pub struct ResponseFuture<F, C> {
        #[pin]
        inner: F,
        state: Option<(InFlight, C)>,
    }
}

impl<F, C> ResponseFuture<F, C> {
    pub(crate) fn new(inner: F, in_flight: InFlight, classifier: C) -> Self {
        ResponseFuture {
            inner,
            state: Some((in_flight, classifier)),
        }
    }
}

impl<F, C> fmt::Debug for ResponseFuture<F, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, C, B, E> Future for ResponseFuture<F, C>
where
    F: Future<Output = Result<Response<B>, E>>,
    C: ClassifyResponse,
    E: fmt::Display + 'static,
    B: http_body::Body,
{
    type Output = Result<Response<ResponseBody<B, C::ClassifyEos>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let inner = this.inner.as_mut();
        let result = match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(poll) => ready!(poll),
            Err(panic) => {
                if let Some((in_flight, _)) = this.state.as_mut() {
                    in_flight.finish(Outcome::Error);
                }
                resume_unwind(panic)
            }
        };
        let Some((mut in_flight, classifier)) = this.state.take() else {
            // Polled again after completing: a contract violation by the caller; pass the
            // result on untracked rather than panic in the host.
            return Poll::Ready(result.map(|res| res.map(ResponseBody::untracked)));
        };
        match result {
            Ok(response) => {
                in_flight.head(response.status());
                let classified = guarded(in_flight.config(), || {
                    classifier.classify_response(&response)
                });
                let verdict = match classified {
                    Some(ClassifiedResponse::Ready(Ok(()))) => Verdict::Decided(Outcome::Success),
                    Some(ClassifiedResponse::Ready(Err(_))) => Verdict::Decided(Outcome::Error),
                    Some(ClassifiedResponse::RequiresEos(eos)) => Verdict::AtEndOfStream(eos),
                    None => Verdict::Decided(in_flight.fallback_outcome()),
                };
                Poll::Ready(Ok(
                    response.map(|body| ResponseBody::new(body, in_flight, verdict))
                ))
            }
            Err(error) => {
                let _ = guarded(in_flight.config(), || classifier.classify_error(&error));
                in_flight.finish(Outcome::Error);
                Poll::Ready(Err(error))
            }
        }
    }
}

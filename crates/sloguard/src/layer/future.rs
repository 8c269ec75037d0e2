//! [`ResponseFuture`]: classifies the response head and hands the request to the body.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::Response;
use pin_project_lite::pin_project;
use sloguard_core::Outcome;
use tower_http::classify::{ClassifiedResponse, ClassifyResponse};

use super::body::{ResponseBody, Verdict};
use super::finish::{guarded, BadIfUnwound, InFlight};

pin_project! {
    /// The response future of [`SliService`](super::SliService). Dropped before it completes, it records the
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

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // A panic in the inner future is bad: whoever catches it drops this future later, when
        // no panic is unwinding any more, which would read as cancelled.
        let mut unwinding = BadIfUnwound::arm(this.state);
        let poll = this.inner.poll(cx);
        let state = unwinding.disarm();
        let result = ready!(poll);
        let Some((mut in_flight, classifier)) = state.take() else {
            // Polled again after completing: a contract violation by the caller; pass the
            // result on untracked rather than panic in the host.
            return Poll::Ready(result.map(|res| res.map(ResponseBody::untracked)));
        };
        match result {
            Ok(response) => {
                in_flight.head(response.status(), response.headers());
                in_flight.admit(response.headers());
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

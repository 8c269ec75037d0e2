//! [`ResponseBody`]: ends the request when the body ends, errors or is dropped.

use std::fmt;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use sloguard_core::Outcome;
use tower_http::classify::ClassifyEos;

use super::finish::{guarded, InFlight};

/// What the outcome of a request depends on once its head is known.
pub(crate) enum Verdict<E> {
    /// Known from the head.
    Decided(Outcome),
    /// Known at the end of the stream (gRPC trailers).
    AtEndOfStream(E),
}

pin_project! {
    /// The response body of [`SliService`](super::SliService). It records the request when the inner body
    /// ends or fails, or as cancelled if it is dropped before.
    pub struct ResponseBody<B, E> {
        #[pin]
        inner: B,
        state: Option<(InFlight, Verdict<E>)>,
    }
}

impl<B: Body, E: ClassifyEos> ResponseBody<B, E> {
    #[inline]
    pub(crate) fn new(inner: B, in_flight: InFlight, verdict: Verdict<E>) -> Self {
        let done_at_head = inner.is_end_stream()
            || (in_flight.latency_ends_at_head() && matches!(verdict, Verdict::Decided(_)));
        let mut body = ResponseBody {
            inner,
            state: Some((in_flight, verdict)),
        };
        // A server may never poll a body that is already at its end, so finish now.
        if done_at_head {
            finish(&mut body.state, None);
        }
        body
    }
}

impl<B, E> ResponseBody<B, E> {
    pub(crate) fn untracked(inner: B) -> Self {
        ResponseBody { inner, state: None }
    }
}

#[inline]
fn finish<E: ClassifyEos>(
    state: &mut Option<(InFlight, Verdict<E>)>,
    trailers: Option<&HeaderMap>,
) {
    if let Some((mut in_flight, verdict)) = state.take() {
        if let Some(trailers) = trailers {
            in_flight.trailers(trailers);
        }
        let outcome = match verdict {
            Verdict::Decided(outcome) => outcome,
            Verdict::AtEndOfStream(eos) => match eos.classify_eos(trailers) {
                Ok(()) => Outcome::Success,
                Err(_) => Outcome::Error,
            },
        };
        in_flight.finish(outcome);
    }
}

fn fail<E: ClassifyEos, X: fmt::Display + 'static>(
    state: &mut Option<(InFlight, Verdict<E>)>,
    error: &X,
) {
    if let Some((mut in_flight, verdict)) = state.take() {
        if let Verdict::AtEndOfStream(eos) = verdict {
            let _ = guarded(in_flight.config(), || eos.classify_error(error));
        }
        in_flight.finish(Outcome::Error);
    }
}

impl<B, E> fmt::Debug for ResponseBody<B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody").finish_non_exhaustive()
    }
}

impl<B, E> Body for ResponseBody<B, E>
where
    B: Body,
    B::Error: fmt::Display + 'static,
    E: ClassifyEos,
{
    type Data = B::Data;
    type Error = B::Error;

    #[inline]
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let frame = ready!(this.inner.as_mut().poll_frame(cx));
        match &frame {
            Some(Ok(frame)) => {
                if let Some(trailers) = frame.trailers_ref() {
                    finish(this.state, Some(trailers));
                } else if this.inner.is_end_stream() {
                    // Servers stop polling once the body says it has ended.
                    finish(this.state, None);
                }
            }
            Some(Err(error)) => fail(this.state, error),
            None => finish(this.state, None),
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

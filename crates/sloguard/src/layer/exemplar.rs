//! Where a request's trace comes from, for the exemplars of its series (see
//! [`sloguard_core::exemplar`]).
//!
//! Off by default: a layer without a source reads nothing per request. With one, the trace is
//! read when the request starts (where the request's span is current), and at its end the
//! request offers its exemplar to its latency bucket and, when bad, to each of its SLOs'
//! bad-event counters; each slot keeps at most one per interval.
//!
//! ```
//! use sloguard::layer::{Exemplars, SliLayer};
//! use sloguard::Registry;
//!
//! let registry = Registry::builder("payments").build();
//! // The trace a caller sent in its W3C `traceparent` header.
//! let layer = SliLayer::new(&registry).exemplars(Exemplars::traceparent());
//! # let _ = layer;
//! ```

use std::fmt;
use std::sync::Arc;

use sloguard_core::exemplar::TraceContext;

use super::RequestInfo;

type TraceFn = dyn Fn(&RequestInfo<'_>) -> Option<TraceContext> + Send + Sync;

/// Where a request's trace comes from.
#[derive(Clone)]
pub struct Exemplars(Source);

#[derive(Clone)]
enum Source {
    Traceparent,
    #[cfg(feature = "opentelemetry")]
    OpenTelemetry,
    Custom(Arc<TraceFn>),
}

impl Exemplars {
    /// The request's W3C `traceparent` header: the trace the caller is in, and the caller's
    /// span. Right for a service without a tracer of its own; a malformed header is no trace.
    pub fn traceparent() -> Self {
        Exemplars(Source::Traceparent)
    }

    /// The current OpenTelemetry span when the request starts: put the layer inside the one
    /// that starts the request's span. With the `tracing-opentelemetry` feature, the current
    /// `tracing` span's OpenTelemetry context is read first (the span a
    /// `tracing-opentelemetry` layer exports), then OpenTelemetry's own current context.
    #[cfg(feature = "opentelemetry")]
    pub fn opentelemetry() -> Self {
        Exemplars(Source::OpenTelemetry)
    }

    /// A function of the request: for any other tracer.
    pub fn from_fn(
        f: impl Fn(&RequestInfo<'_>) -> Option<TraceContext> + Send + Sync + 'static,
    ) -> Self {
        Exemplars(Source::Custom(Arc::new(f)))
    }

    /// The trace of a request that starts now.
    pub(crate) fn trace<B>(&self, req: &http::Request<B>) -> Option<TraceContext> {
        match &self.0 {
            Source::Traceparent => req
                .headers()
                .get("traceparent")
                .and_then(|v| v.to_str().ok())
                .and_then(TraceContext::from_traceparent),
            #[cfg(feature = "opentelemetry")]
            Source::OpenTelemetry => current_opentelemetry(),
            Source::Custom(f) => f(&RequestInfo {
                method: req.method(),
                uri: req.uri(),
                headers: req.headers(),
                extensions: req.extensions(),
            }),
        }
    }
}

#[cfg(feature = "opentelemetry")]
fn current_opentelemetry() -> Option<TraceContext> {
    use opentelemetry::trace::TraceContextExt;
    let of = |cx: &opentelemetry::Context| {
        let span = cx.span();
        let sc = span.span_context();
        sc.is_valid()
            .then(|| TraceContext::new(sc.trace_id().to_bytes(), sc.span_id().to_bytes()))
            .flatten()
    };
    #[cfg(feature = "tracing-opentelemetry")]
    {
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        if let Some(trace) = of(&tracing::Span::current().context()) {
            return Some(trace);
        }
    }
    of(&opentelemetry::Context::current())
}

impl fmt::Debug for Exemplars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Source::Traceparent => "Exemplars::traceparent()",
            #[cfg(feature = "opentelemetry")]
            Source::OpenTelemetry => "Exemplars::opentelemetry()",
            Source::Custom(_) => "Exemplars::from_fn(..)",
        })
    }
}

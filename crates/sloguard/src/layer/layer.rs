//! [`SliLayer`]: what to record and how, shared by every service it wraps.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sloguard_core::clock::Clock;
use sloguard_core::histogram::Boundaries;
use sloguard_core::Registry;
use tower_http::classify::{
    GrpcErrorsAsFailures, MakeClassifier, ServerErrorsAsFailures, SharedClassifier,
};
use tower_layer::Layer;

use super::classify::{grpc_classifier, DefaultClassifier, StatusClassifier};
pub use super::config::LatencyEnd;
use super::config::{Handle, Holder, Settings};
use super::exemplar::Exemplars;
use super::operation::{RequestInfo, Source, DEFAULT_MAX_OPERATIONS};
use super::service::SliService;

/// Records every request through the wrapped service as an SLI event of the registry's SLOs.
///
/// Defaults: operations are axum route templates (`MatchedPath`; add the layer with
/// `Router::layer` so the route is known), at most 256 of them; requests no route matched
/// are no SLO's events ([`SliLayer::count_unmatched`]); 5xx responses and transport
/// errors are failures; latency runs from `call` to the end of the response body; the
/// request histogram uses the OpenTelemetry HTTP boundaries plus every latency SLO threshold.
/// Each SLO judges the operations its [`Selector`](sloguard_core::model::Selector) picks.
///
/// The SLOs are read from the registry when the layer is first applied, and again when SLOs
/// are registered later: an SLO registered after the layer receives the requests that start
/// after its registration.
#[derive(Clone)]
pub struct SliLayer<M = DefaultClassifier> {
    settings: Settings,
    make_classifier: M,
    /// Shared by clones, so every service made from this layer (axum clones it per route)
    /// uses one operation table, one cap and one set of counters.
    config: Arc<OnceLock<Arc<Handle>>>,
}

impl SliLayer {
    /// An HTTP layer over every SLO of `registry`.
    pub fn new(registry: &Registry) -> Self {
        SliLayer {
            settings: Settings {
                registry: registry.clone(),
                latency_clock: None,
                source: Source::RouteTemplate,
                latency_end: LatencyEnd::Body,
                max_operations: DEFAULT_MAX_OPERATIONS,
                count_unmatched: false,
                boundaries: Boundaries::http_default(),
                exemplars: None,
                native_histograms: false,
                #[cfg(feature = "opentelemetry")]
                otel: None,
            },
            make_classifier: ServerErrorsAsFailures::make_classifier(),
            config: Arc::default(),
        }
    }

    /// A gRPC layer: operations are the methods (`/package.Service/Method`) and failures are
    /// read from `grpc-status` in headers or trailers (see [`grpc_classifier`]).
    pub fn grpc(registry: &Registry) -> SliLayer<SharedClassifier<GrpcErrorsAsFailures>> {
        SliLayer::new(registry)
            .uri_path_operations()
            .classifier(grpc_classifier())
    }
}

impl<M> SliLayer<M> {
    fn with_settings(self, f: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = self.settings;
        f(&mut settings);
        SliLayer {
            settings,
            make_classifier: self.make_classifier,
            config: Arc::default(),
        }
    }

    /// Uses another classifier (any tower-http `MakeClassifier`).
    pub fn classifier<M2: MakeClassifier>(self, make_classifier: M2) -> SliLayer<M2> {
        SliLayer {
            settings: self.settings,
            make_classifier,
            config: Arc::default(),
        }
    }

    /// Classifies by status code with a function that returns `true` for failures.
    pub fn classify_status<F>(
        self,
        is_failure: F,
    ) -> SliLayer<SharedClassifier<StatusClassifier<F>>>
    where
        F: Fn(http::StatusCode) -> bool + Clone,
    {
        self.classifier(SharedClassifier::new(StatusClassifier::new(is_failure)))
    }

    /// Names operations with a function; `None` puts the request in `other`. Return route
    /// templates or fixed names, never raw paths.
    pub fn operation_fn(
        self,
        f: impl Fn(&RequestInfo<'_>) -> Option<Cow<'static, str>> + Send + Sync + 'static,
    ) -> Self {
        self.with_settings(|s| s.source = Source::custom(f))
    }

    /// Puts every request in one operation called `name` (a service with one endpoint).
    pub fn operation(self, name: &str) -> Self {
        self.with_settings(|s| s.source = Source::Fixed(name.into()))
    }

    /// Names operations by the URI path as is: right for gRPC, where the path is the method.
    pub fn uri_path_operations(self) -> Self {
        self.with_settings(|s| s.source = Source::UriPath)
    }

    /// Caps distinct operations (default 256); later ones are recorded as `other`.
    pub fn max_operations(self, max: usize) -> Self {
        self.with_settings(|s| s.max_operations = max)
    }

    /// Whether requests no route matched (axum's fallback, scanners' probes) are events of
    /// the SLOs that select every operation (default: no; they are not operations of the
    /// service). Either way they are in `http_server_request_duration_seconds` with
    /// `http_route="other"`. Only for route templates, the default operation source.
    pub fn count_unmatched(self, count: bool) -> Self {
        self.with_settings(|s| s.count_unmatched = count)
    }

    /// Where latency ends (default: at the end of the response body).
    pub fn latency_until(self, end: LatencyEnd) -> Self {
        self.with_settings(|s| s.latency_end = end)
    }

    /// The clock latency is measured on (default: the registry's). A demo or simulation that
    /// runs its windows on accelerated virtual time still measures requests in real time.
    pub fn latency_clock(self, clock: Clock) -> Self {
        self.with_settings(|s| s.latency_clock = Some(clock))
    }

    /// Keeps exemplars: each request's trace, from `source`, beside its latency bucket and, when
    /// it is bad, its SLOs' bad-event counters; OpenMetrics scrapes show them (see
    /// [`Exemplars`]). Off by default, and then the layer reads no trace.
    pub fn exemplars(self, source: Exemplars) -> Self {
        self.with_settings(|s| s.exemplars = Some(source))
    }

    /// Keeps fine buckets in the request series, so that a scraper of the protobuf exposition
    /// gets native histograms beside the classic buckets (see [`crate::expose::protobuf`]).
    /// Off by default: a fine series takes 9.8 KiB per recording thread, a classic one 0.6 KiB.
    pub fn native_histograms(self) -> Self {
        self.with_settings(|s| s.native_histograms = true)
    }

    /// Records every request into OpenTelemetry histograms of `meter` too:
    /// `http.server.request.duration` and `rpc.server.call.duration`, with the conventions'
    /// attributes, for services that export OTLP (the SLO series themselves are published by
    /// [`crate::bridge::opentelemetry`]). Each request then also pays the SDK's recording.
    #[cfg(feature = "opentelemetry")]
    pub fn opentelemetry(self, meter: &opentelemetry::metrics::Meter) -> Self {
        let requests = Arc::new(super::otel::OtelRequests::new(meter));
        self.with_settings(|s| s.otel = Some(requests))
    }

    /// The request histogram's boundaries (latency SLO thresholds are always added).
    pub fn histogram_boundaries(self, boundaries: Boundaries) -> Self {
        self.with_settings(|s| s.boundaries = boundaries)
    }

    /// The histogram boundaries in seconds, the way the OpenTelemetry advice writes them.
    pub fn histogram_boundaries_secs(self, secs: &[f64]) -> Self {
        let bounds = secs
            .iter()
            .filter_map(|s| Duration::try_from_secs_f64(*s).ok());
        match Boundaries::new(bounds) {
            Ok(b) => self.histogram_boundaries(b),
            Err(_) => self,
        }
    }

    pub(crate) fn config(&self) -> Arc<Handle> {
        self.config
            .get_or_init(|| Arc::new(Handle::new(&self.settings)))
            .latest()
    }

    /// Panics caught in the classifier since the layer was first used.
    pub fn classifier_panics(&self) -> u64 {
        self.config()
            .classifier_panics
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Distinct operations seen so far (`other` not counted).
    pub fn operation_count(&self) -> usize {
        self.config().table.len()
    }
}

impl<M> std::fmt::Debug for SliLayer<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SliLayer")
            .field("service", &self.settings.registry.service())
            .field("latency_end", &self.settings.latency_end)
            .field("max_operations", &self.settings.max_operations)
            .finish_non_exhaustive()
    }
}

impl<S, M: Clone> Layer<S> for SliLayer<M> {
    type Service = SliService<S, M>;

    fn layer(&self, inner: S) -> Self::Service {
        SliService::new(
            inner,
            self.make_classifier.clone(),
            Holder::Layer(self.config()),
        )
    }
}

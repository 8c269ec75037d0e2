//! What the services of one layer share: the settings the layer was built with, and the
//! configuration built from them on first use (operation table, series, clock).

use std::sync::{Arc, PoisonError};

use sloguard_core::clock::Clock;
use sloguard_core::diagnostic::{code, Diagnostic};
use sloguard_core::histogram::Boundaries;
use sloguard_core::model::Sli as SliKind;
use sloguard_core::Registry;

use super::operation::{Shared, Source, Table, OTHER_INDEX, UNMATCHED_INDEX};

/// Where a request's latency ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LatencyEnd {
    /// When the response body ends (the default): what the client waits for.
    #[default]
    Body,
    /// When the response head is ready: for streams whose length is the client's choice.
    Head,
}

#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) registry: Registry,
    pub(crate) latency_clock: Option<Clock>,
    pub(crate) source: Source,
    pub(crate) latency_end: LatencyEnd,
    pub(crate) max_operations: usize,
    pub(crate) count_unmatched: bool,
    pub(crate) boundaries: Boundaries,
}

/// Everything the services of one layer share; built on the layer's first use, and again
/// (chained after this one) when SLOs are registered later.
pub(crate) struct Config {
    settings: Settings,
    /// The registry's SLO count when this was built.
    slo_count: usize,
    /// The configuration built after SLOs were added, if any.
    next: std::sync::Mutex<Option<Arc<Config>>>,
    pub(crate) shared: Shared,
    pub(crate) table: Table,
    pub(crate) source: Source,
    pub(crate) clock: Clock,
    pub(crate) latency_end: LatencyEnd,
    pub(crate) classifier_panics: std::sync::atomic::AtomicU64,
    /// Requests that had no route template, while operations come from route templates.
    unrouted: std::sync::atomic::AtomicU64,
}

/// Unrouted requests, with no routed one among them, after which the layer reports that it
/// cannot see routes.
const UNROUTED_BEFORE_REPORT: u64 = 20;

impl Config {
    pub(crate) fn new(settings: &Settings) -> Self {
        let registry = &settings.registry;
        // Read before the SLOs: an SLO added in between makes this stale, never lost.
        let slo_count = registry.slo_count();
        let slos: Vec<_> = registry
            .slo_names()
            .iter()
            .filter_map(|n| registry.slo(n))
            .collect();
        // Every latency SLO threshold is a histogram boundary, so the request histogram
        // counts exactly what the SLO judges. Past the boundary limit the thresholds are left
        // out of the histogram (the SLO counts stay exact).
        let thresholds = slos.iter().filter_map(|s| match s.definition().sli() {
            SliKind::Latency { threshold, .. } => Some(threshold),
            SliKind::Availability => None,
        });
        let boundaries = settings
            .boundaries
            .clone()
            .with(thresholds)
            .unwrap_or_else(|_| settings.boundaries.clone());
        let shared = Shared::new(registry.clone(), slos, boundaries);
        Config {
            settings: settings.clone(),
            slo_count,
            next: std::sync::Mutex::new(None),
            table: Table::new(settings.max_operations, settings.count_unmatched),
            shared,
            source: settings.source.clone(),
            clock: settings
                .latency_clock
                .clone()
                .unwrap_or_else(|| registry.clock().clone()),
            latency_end: settings.latency_end,
            classifier_panics: std::sync::atomic::AtomicU64::new(0),
            unrouted: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Whether SLOs were registered since this was built.
    #[inline]
    pub(crate) fn is_stale(&self) -> bool {
        self.shared.registry.slo_count() != self.slo_count
    }

    /// The configuration that knows every registered SLO: this one, or one built after it.
    /// Requests already in flight finish with the configuration they started with.
    #[cold]
    pub(crate) fn latest(self: &Arc<Self>) -> Arc<Config> {
        if !self.is_stale() {
            return Arc::clone(self);
        }
        let newer = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(next.get_or_insert_with(|| Arc::new(Config::new(&self.settings))))
        };
        newer.latest()
    }

    /// The operation of a request without an operation name. With route templates as the
    /// source, that is a request no route matched (a fallback, a scanner's probe): it is not
    /// an operation of the service, so it is no SLO's event unless the layer counts unmatched
    /// requests; either way it is in the request series as `other`. A layer that has never
    /// seen a route template is blind, and says so once. With other sources, `other`.
    #[cold]
    pub(crate) fn unnamed(&self) -> u32 {
        if !matches!(self.source, Source::RouteTemplate) {
            return OTHER_INDEX;
        }
        self.unrouted();
        UNMATCHED_INDEX
    }

    fn unrouted(&self) {
        // Counting stops at the threshold, so a service whose requests are all unrouted pays
        // one load of a line nobody writes, not a contended increment per request.
        if self.unrouted.load(std::sync::atomic::Ordering::Relaxed) >= UNROUTED_BEFORE_REPORT {
            return;
        }
        let seen = self
            .unrouted
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        if seen == UNROUTED_BEFORE_REPORT && self.table.len() == 0 {
            let how = if cfg!(feature = "axum") {
                "apply it to the router with `Router::layer(SliLayer::new(&registry))` after the routes, not around the router (`ServiceBuilder::new().layer(..).service(router)` or `layer.layer(router)` see requests before routing)"
            } else {
                "enable sloguard's `axum` feature, which reads axum's `MatchedPath`, or name operations with `SliLayer::operation_fn`"
            };
            self.shared.registry.report(Diagnostic::service(
                code::LAYER_WITHOUT_ROUTES,
                format!("the layer has seen {seen} requests and not one route template, so no request is an SLO event (requests no route matched are not counted): {how}"),
            ));
        }
    }
}

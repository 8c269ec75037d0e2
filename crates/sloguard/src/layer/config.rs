//! What the services of one layer share: the settings the layer was built with, and the
//! configuration built from them on first use (operation table, series, clock).

use sloguard_core::clock::Clock;
use sloguard_core::histogram::Boundaries;
use sloguard_core::model::Sli as SliKind;
use sloguard_core::Registry;

use super::operation::{Shared, Source, Table};

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
    pub(crate) boundaries: Boundaries,
}

/// Everything the services of one layer share; built once, on the layer's first use.
pub(crate) struct Config {
    pub(crate) shared: Shared,
    pub(crate) table: Table,
    pub(crate) source: Source,
    pub(crate) clock: Clock,
    pub(crate) latency_end: LatencyEnd,
    pub(crate) classifier_panics: std::sync::atomic::AtomicU64,
}

impl Config {
    pub(crate) fn new(settings: &Settings) -> Self {
        let registry = &settings.registry;
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
            table: Table::new(&shared, settings.max_operations),
            shared,
            source: settings.source.clone(),
            clock: settings
                .latency_clock
                .clone()
                .unwrap_or_else(|| registry.clock().clone()),
            latency_end: settings.latency_end,
            classifier_panics: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

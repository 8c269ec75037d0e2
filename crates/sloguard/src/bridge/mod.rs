//! Bridges: the SLO series in metric systems an application already uses.
//!
//! - `metrics` (feature `metrics`): through the `metrics` facade, so an
//!   application rendering with `metrics-exporter-prometheus` sees the SLO series in its
//!   existing endpoint.
//! - `opentelemetry` (feature `opentelemetry`): as observable
//!   instruments on an OpenTelemetry meter, read from snapshots at each collection.
//!
//! ```
//! // Both bridges need their features; without them this module is empty.
//! let _ = sloguard::Registry::builder("payments").build();
//! ```

#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "opentelemetry")]
pub mod opentelemetry;

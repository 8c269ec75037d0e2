//! sloguard: learn that a service is failing its customers before they say so.
//!
//! This is the crate services add. It re-exports the engine ([`sloguard_core`]) by name and,
//! behind features, adds the integrations:
//!
//! | feature | default | what it adds | brings in |
//! | --- | --- | --- | --- |
//! | `tower` | yes | [`layer`]: the tower layer for HTTP and gRPC services | tower-layer, tower-service, tower-http, http |
//! | `expose` | yes | [`expose`]: `/metrics`, `/slo.json`, `/slo` as tower services | http, serde_json |
//! | `macros` | yes | the [`sli`] attribute | sloguard-macros (syn, at build time) |
//! | `axum` | no | route templates from axum's `MatchedPath` | axum (no default features) |
//! | `server` | no | `expose::serve`: a listener of its own for services without one | tokio, hyper |
//! | `alerting` | no | [`alerting`]: queued sinks, webhooks, Alertmanager | `client` |
//! | `client` | no | [`client`]: the one HTTP(S) client of every outbound call | tokio, hyper (client), rustls |
//! | `spec` | no | [`spec`]: the native SLO spec file (YAML or JSON), from `sloguard-spec` without its tools | serde_yaml_ng |
//! | `metrics` | no | [`bridge::metrics`]: the SLO series through the `metrics` facade | metrics |
//! | `opentelemetry` | no | [`bridge::opentelemetry`]: observable instruments | opentelemetry |
//!
//! ```
//! use sloguard::{Outcome, Registry, model::Slo};
//! use std::time::Duration;
//!
//! let registry = Registry::builder("payments").build();
//! let slo = registry.register(Slo::availability("availability").build().unwrap()).unwrap();
//! slo.record(Outcome::Success, Duration::from_millis(12));
//! assert_eq!(registry.snapshot().slos[0].counts.good, 1);
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use sloguard_core::{
    alert, clock, compliance, contract, diagnostic, duration, exemplar, histogram, history,
    incidents, maintenance, model, recorder, series, sim, snapshot, words,
};
pub use sloguard_core::{
    Counts, Gauge, LoadReport, ObserverId, Outcome, Persistence, Registry, RegistryBuilder,
    Sampler, SloRecorder, StateError, DEFAULT_TICK, WINDOW_BYTES,
};

#[cfg(feature = "alerting")]
#[cfg_attr(docsrs, doc(cfg(feature = "alerting")))]
pub mod alerting;
pub mod attribute;
pub mod bridge;

/// What the code `#[sli]` expands to reaches: not an API, and free to change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::attribute::support::{
        decide, Call, CallSite, Guard, NamedSlo, Probe, Resolved, ViaAny, ViaClassifyError,
        ViaHttp, ViaResult,
    };
    #[cfg(feature = "macros")]
    pub use inventory;
}
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod client;
#[cfg(feature = "expose")]
#[cfg_attr(docsrs, doc(cfg(feature = "expose")))]
pub mod expose;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod layer;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use layer::SliLayer;
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use sloguard_macros::sli;
#[cfg(feature = "spec")]
#[cfg_attr(docsrs, doc(cfg(feature = "spec")))]
pub use sloguard_spec as spec;

// The README's and the guides' code blocks are compiled and run as doctests, so they cannot go
// stale. They use the features a full service enables.
#[cfg(all(
    doctest,
    feature = "axum",
    feature = "server",
    feature = "alerting",
    feature = "macros"
))]
mod guides {
    #[doc = include_str!("../../../README.md")]
    struct Readme;
    #[doc = include_str!("../../../docs/instrumenting.md")]
    struct Instrumenting;
    #[doc = include_str!("../../../docs/reading.md")]
    struct Reading;
    #[doc = include_str!("../../../docs/alerts.md")]
    struct Alerts;
    #[doc = include_str!("../../../docs/specs.md")]
    struct Specs;
    #[doc = include_str!("../../../docs/engine.md")]
    struct Engine;
    #[doc = include_str!("../../../docs/fleet.md")]
    struct Fleet;
    #[doc = include_str!("../../../docs/people.md")]
    struct People;
    #[doc = include_str!("../../../docs/benchmarks.md")]
    struct Benchmarks;
    #[doc = include_str!("../../../docs/contributing.md")]
    struct Contributing;
}

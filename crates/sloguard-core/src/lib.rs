//! The SLO engine of sloguard: lock-free SLI recording, windows, burn rates and alerts.
//!
//! Data flows one way: **hot path → cumulative counters → sampler → window rings → evaluator
//! → snapshot → exporters and alert sinks**. This crate has no async runtime and no HTTP; the
//! `sloguard` crate adds the tower layer, the exporters and the rest. Its dependencies are
//! `tracing`, through which it reports what it detects, `jiff` for calendar periods in time
//! zones, and `quanta` for the latency clock.
//!
//! Where each concept lives (one home each):
//!
//! | module | what it owns |
//! | --- | --- |
//! | [`model`] | SLO definitions (availability or latency, objective, period, alert policy, operation selectors), validated when built |
//! | [`recorder`] | the hot path: [`SloRecorder::record`] counts one event by outcome and latency bucket in the calling thread's own cache-padded shard; no allocation, lock, hash or clock |
//! | [`histogram`] | log-linear latency histograms with exact classic boundaries |
//! | `pending`, `per_thread` (hidden plumbing of the `sloguard` crate) | an event in progress and the record-exactly-once rule; one value per thread for hot-path state threads must not share |
//! | `registry` | the tables of SLOs and series, and the builder ([`Registry`], [`RegistryBuilder`]) |
//! | `engine` | the evaluator: tick and advance on real or virtual time, tier and SLA edges, incident facts; `engine::fanout` delivers to sinks and observers, `engine::read` reads a [`Snapshot`](snapshot::Snapshot) |
//! | [`alert`] | transitions, sinks, the tier state machine |
//! | [`incidents`], [`history`], [`compliance`] | incidents grouped from transitions; the recent past for charts; calendar periods and SLAs |
//! | [`snapshot`] | one consistent view, and the one health decision per SLO |
//! | [`diagnostic`] | what the engine detects and reports, so it is never blind while it says healthy |
//! | [`contract`] | every metric family: name, kind, unit, help, labels, OpenTelemetry instrument; alert names; in [`contract::recording`], every recording-rule name and rule label |
//! | [`series`] | where each SLO series' samples come from in a snapshot: the one mapping the exposition and both bridges walk |
//! | [`words`] | the plain-language phrases people read |
//! | `persist` | the state file ([`Registry::save_state`], [`Persistence`]): its wire primitives, its fields in order, the incident log's part, saving and loading |
//! | `sampler` | the background evaluator thread ([`Sampler`]) |
//! | [`sim`] | the one virtual-time harness (replay, demo, tests, examples) |
//! | [`clock`], [`duration`] | real and virtual time; duration text |
//!
//! Crate-private: the windows (multi-resolution rings), the evaluator's arithmetic, the
//! per-thread shards and the histogram layout.
//!
//! Memory per SLO is fixed: [`WINDOW_BYTES`] (30,080 bytes) of window state for any period,
//! plus [`recorder::SHARD_BYTES`] (512 bytes: the counts per outcome and latency bucket) per
//! recording thread. A histogram costs [`histogram::SHARD_BYTES`] per recording thread.
//!
//! ```
//! use sloguard_core::{Outcome, Registry, model::Slo};
//! use std::time::Duration;
//!
//! let registry = Registry::builder("payments").build();
//! let checkout = registry.register(Slo::availability("checkout").objective_percent(99.9).build()?)?;
//! checkout.record(Outcome::Success, Duration::from_millis(42));
//! checkout.record(Outcome::Error, Duration::from_millis(7));
//! let snapshot = registry.snapshot();
//! let slo = snapshot.slo("checkout").unwrap();
//! assert_eq!(slo.counts.events(), 2);
//! assert_eq!(slo.sli(), Some(0.5));
//! # Ok::<(), sloguard_core::model::DefinitionError>(())
//! ```
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod alert;
pub mod clock;
pub mod compliance;
pub mod contract;
pub mod diagnostic;
pub mod duration;
mod engine;
mod evaluate;
pub mod exemplar;
mod gauge;
pub mod histogram;
pub mod history;
pub mod incidents;
pub mod maintenance;
pub mod model;
// Plumbing the `sloguard` crate's layer and attribute build on: public only because they live
// in another crate, hidden from the documentation, and free to change in any release.
#[doc(hidden)]
pub mod pending;
mod people;
#[doc(hidden)]
pub mod per_thread;
mod persist;
pub mod recorder;
mod registry;
mod sampler;
pub mod series;
mod shard;
pub mod sim;
mod slices;
pub mod snapshot;
mod sync;
mod window;
pub mod words;

pub use gauge::Gauge;
pub use persist::{LoadReport, Persistence, StateError, MAX_STATE_BYTES};
pub use recorder::{Counts, Feed, Outcome, SloRecorder};
pub use registry::{ObserverId, Registry, RegistryBuilder, DEFAULT_TICK};
pub use sampler::Sampler;
pub use window::WINDOW_BYTES;

//! The SLO engine of sloguard: lock-free SLI recording, windows, burn rates and alerts.
//!
//! Data flows one way: **hot path → cumulative counters → sampler → window rings → evaluator
//! → snapshot → exporters and alert sinks**. This crate has no async runtime and no HTTP; the
//! `sloguard` crate adds the tower layer, the exporters and the rest.
//!
//! - [`model`]: SLO definitions (availability or latency, objective, period, alert policy),
//!   validated when built.
//! - [`recorder`]: the hot path. [`SloRecorder::record`] counts one event by outcome and
//!   latency bucket in the calling thread's own cache-padded shard ([`shard`]): no allocation,
//!   lock, hash or clock; the SLI judges the buckets when they are read.
//! - [`histogram`]: log-linear latency histograms with exact classic boundaries.
//! - [`window`] and [`evaluate`]: multi-resolution rings, burn rates for 5m … 3d, budget
//!   remaining over the period, the SRE Workbook's multiwindow multi-burn-rate alerts.
//! - [`registry`], [`sampler`], [`snapshot`], [`alert`], [`clock`]: wiring, the background
//!   evaluator, the read-only view for exporters, alert transitions, real and virtual time.
//!
//! Memory per SLO is fixed: [`window::WINDOW_BYTES`] (30,080 bytes) of window state for any
//! period, plus [`recorder::SHARD_BYTES`] (512 bytes: the counts per outcome and latency bucket)
//! per recording thread. A histogram costs
//! [`histogram::SHARD_BYTES`] per recording thread.
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
pub mod duration;
pub mod evaluate;
pub mod gauge;
pub mod histogram;
pub mod model;
pub mod persist;
pub mod recorder;
pub mod registry;
pub mod sampler;
pub mod shard;
pub mod snapshot;
pub mod window;

pub use recorder::{Counts, Outcome, SloRecorder};
pub use registry::Registry;

//! sloguard: learn that a service is failing its customers before they say so.
//!
//! This is the crate services add. It re-exports the engine ([`sloguard_core`]) and, behind
//! features, adds the integrations (the tower layer, exposition, spec files, alert sinks).
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

pub use sloguard_core::*;

#[cfg(feature = "alerting")]
pub mod alerting;
pub mod attribute;
pub mod bridge;
#[cfg(feature = "expose")]
pub mod expose;
#[cfg(feature = "tower")]
pub mod layer;
#[cfg(feature = "spec")]
pub mod spec;
#[cfg(feature = "tower")]
pub use layer::SliLayer;
#[cfg(feature = "macros")]
pub use sloguard_macros::sli;

// The README's code blocks are compiled and run as doctests, so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

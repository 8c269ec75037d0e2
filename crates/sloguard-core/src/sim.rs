//! The virtual-time harness: a registry on a virtual clock that collects its alert
//! transitions, and the loop that steps it.
//!
//! `sloguard replay`, the demo, the examples and the engine's own tests run the engine through
//! this one harness, so they step time, tick and collect alerts the same way a live service
//! does (ticks on the evaluation grid, each at its own time; an event at `t` recorded after
//! the tick for `t`).
//!
//! ```
//! use sloguard_core::{Outcome, model::Slo, sim::Simulation, clock::Timestamp};
//! use std::time::Duration;
//!
//! let sim = Simulation::new("payments", Timestamp::from_unix_secs(1_767_225_600));
//! let checkout = sim.registry().register(Slo::availability("checkout").build().unwrap()).unwrap();
//! // Ten minutes of total outage, one request a second.
//! sim.run(Duration::from_secs(600), Duration::from_secs(1), |_| {
//!     checkout.record(Outcome::Error, Duration::from_millis(20));
//! });
//! let pages = sim.transitions();
//! assert_eq!(pages[0].tier_id, "page-1h");
//! assert_eq!(sim.now(), Timestamp::from_unix_secs(1_767_225_600 + 600));
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::alert::AlertTransition;
use crate::clock::{Timestamp, VirtualClock};
use crate::registry::{Registry, RegistryBuilder};
use crate::sync::lock;

/// A registry on virtual time that keeps the alert transitions it emits. Clones share it.
#[derive(Clone, Debug)]
pub struct Simulation {
    registry: Registry,
    clock: VirtualClock,
    transitions: Arc<Mutex<Vec<AlertTransition>>>,
}

impl Simulation {
    /// A fresh registry for `service`, its clock at `start`.
    pub fn new(service: impl Into<String>, start: Timestamp) -> Self {
        Simulation::from_builder(Registry::builder(service), start)
    }

    /// The registry `builder` describes (its sinks and tick kept), on a virtual clock at
    /// `start`, with a sink that collects transitions.
    pub fn from_builder(builder: RegistryBuilder, start: Timestamp) -> Self {
        let clock = VirtualClock::new(start);
        let transitions = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&transitions);
        let registry = builder
            .clock(clock.clock())
            .alert_sink(move |t: &AlertTransition| lock(&collected).push(t.clone()))
            .build();
        Simulation {
            registry,
            clock,
            transitions,
        }
    }

    /// The registry: register SLOs and record into them as a service would.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The virtual clock.
    pub fn clock(&self) -> &VirtualClock {
        &self.clock
    }

    /// The current virtual time.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Runs every evaluation due up to `t` and leaves the clock at `t`.
    pub fn advance_to(&self, t: Timestamp) {
        self.registry.advance_to(t);
    }

    /// Steps time forward by `duration` in steps of `step` (at least 1 ms): at each step,
    /// the evaluations due run first, then `each` is called with the step's time to record
    /// that step's events. Ends with the evaluations due at the end.
    pub fn run(&self, duration: Duration, step: Duration, mut each: impl FnMut(Timestamp)) {
        let from = self.now();
        let end = from.saturating_add(duration);
        let step = step.max(Duration::from_millis(1));
        let mut t = from;
        while t < end {
            self.advance_to(t);
            each(t);
            t = t.saturating_add(step);
        }
        self.advance_to(end);
    }

    /// Every transition not yet taken with [`Simulation::take_transitions`], in order.
    pub fn transitions(&self) -> Vec<AlertTransition> {
        lock(&self.transitions).clone()
    }

    /// The transitions since the last call, in order.
    pub fn take_transitions(&self) -> Vec<AlertTransition> {
        std::mem::take(&mut *lock(&self.transitions))
    }
}

//! Fan-out: transitions to the alert sinks and snapshots to the tick observers. Both are
//! users' code, so each call is guarded: a panic is caught, counted and reported once.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;

use crate::alert::AlertTransition;
use crate::registry::Registry;
use crate::snapshot::Snapshot;
use crate::sync::read;

impl Registry {
    pub(super) fn deliver(&self, transitions: &[AlertTransition]) {
        for sink in read(&self.inner.sinks).iter() {
            for t in transitions {
                if catch_unwind(AssertUnwindSafe(|| sink.notify(t))).is_err() {
                    self.caught_panic(format_args!(
                        "an alert sink panicked on {} {} of SLO {:?}",
                        t.tier_id, t.state, t.slo
                    ));
                }
            }
        }
    }

    /// Counts a panic caught in a sink or an observer and reports the first one.
    fn caught_panic(&self, what: std::fmt::Arguments<'_>) {
        self.inner.sink_panics.fetch_add(1, Ordering::Relaxed);
        if !self.inner.panic_reported.swap(true, Ordering::Relaxed) {
            tracing::error!(
                target: "sloguard",
                service = %self.inner.service,
                "{what}; the panic was caught and is counted (reported once)"
            );
        }
    }

    /// Hands one tick's snapshot to every observer.
    pub(super) fn notify_observers(&self, snapshot: &Snapshot) {
        for (_, observer) in read(&self.inner.observers).iter() {
            if catch_unwind(AssertUnwindSafe(|| observer(snapshot))).is_err() {
                self.caught_panic(format_args!("a tick observer panicked"));
            }
        }
    }
}

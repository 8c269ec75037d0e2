//! One request in flight, and the guarantee that it is recorded exactly once.
//!
//! [`InFlight`] is created in `call` before the inner service runs and travels from the
//! response future into the response body. Whichever of them ends the request calls
//! [`InFlight::finish`]; if the request is abandoned first, the guard's `Drop` records it as
//! cancelled (or as an error while a panic unwinds). Taking `self.done` makes a second finish
//! a no-op, so no path can count a request twice.

use std::sync::Arc;

use http::StatusCode;
use sloguard_core::Outcome;

use super::layer::{Config, LatencyEnd};

pub(crate) struct InFlight {
    config: Arc<Config>,
    operation: u32,
    method: u8,
    /// 0 until the response head is seen.
    status: u16,
    start: u64,
    /// When latency is measured to the response head: the time it was seen.
    end: Option<u64>,
    done: bool,
}

impl InFlight {
    pub(crate) fn start(config: Arc<Config>, operation: u32, method: u8) -> Self {
        config.shared.active(method).increment();
        let start = config.clock.now().as_unix_nanos();
        InFlight {
            config,
            operation,
            method,
            status: 0,
            start,
            end: None,
            done: false,
        }
    }

    /// The response head arrived.
    pub(crate) fn head(&mut self, status: StatusCode) {
        self.status = status.as_u16();
        if self.config.latency_end == LatencyEnd::Head {
            self.end = Some(self.config.clock.now().as_unix_nanos());
        }
    }

    pub(crate) fn latency_ends_at_head(&self) -> bool {
        self.config.latency_end == LatencyEnd::Head
    }

    /// Records the request once; later calls do nothing.
    pub(crate) fn finish(&mut self, outcome: Outcome) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let config = &*self.config;
        let end = self
            .end
            .unwrap_or_else(|| config.clock.now().as_unix_nanos());
        let latency = end.saturating_sub(self.start);
        let operation = config.table.get(self.operation);
        for slo in operation.slos.iter() {
            slo.record_nanos(outcome, latency);
        }
        operation
            .series(&config.shared, self.method, self.status)
            .record_nanos(latency);
        config.shared.active(self.method).decrement();
    }
}

/// Runs a user's classifier, so that a panic in it never reaches the host: it is counted,
/// reported once, and `None` is returned for the caller to fall back on.
pub(crate) fn guarded<R>(config: &Config, classify: impl FnOnce() -> R) -> Option<R> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(classify)) {
        Ok(r) => Some(r),
        Err(_) => {
            if config
                .classifier_panics
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                == 0
            {
                eprintln!("sloguard: a response classifier panicked; the request was judged by its status (5xx is bad) and the panic is counted (reported once)");
            }
            None
        }
    }
}

impl InFlight {
    /// The layer's configuration, for guarded classification.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// The fallback outcome when a classifier panicked: 5xx (or no response) is bad.
    pub(crate) fn fallback_outcome(&self) -> Outcome {
        if self.status == 0 || self.status >= 500 {
            Outcome::Error
        } else {
            Outcome::Success
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        // A panic in the inner service is caught where it happens (see `service.rs` and
        // `future.rs`); this covers a drop during unwinding that started elsewhere.
        let outcome = if std::thread::panicking() {
            Outcome::Error
        } else {
            Outcome::Cancelled
        };
        self.finish(outcome);
    }
}

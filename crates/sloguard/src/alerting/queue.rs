//! A bounded queue between the evaluator and a sink that may be slow (network, disk).
//!
//! The evaluator's `notify` only tries to enqueue: it never waits. When the queue is full the
//! notification is dropped and counted. A dedicated thread delivers notifications in order and
//! calls the deliverer's `idle` between them (for resends). A panicking deliverer is caught,
//! counted and reported once; the thread and other sinks go on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use sloguard_core::alert::{AlertSink, AlertTransition};

/// Something that delivers notifications, on the queue's own thread.
pub trait Deliver: Send + 'static {
    /// Delivers one transition.
    fn deliver(&mut self, transition: &AlertTransition);
    /// Called about every `idle_interval` while nothing arrives (resends, retries).
    fn idle(&mut self) {}
    /// How often `idle` runs.
    fn idle_interval(&self) -> Duration {
        Duration::from_secs(1)
    }
    /// Where it delivers, for diagnostics (`webhook http://…`).
    fn target(&self) -> String {
        "a callback".to_owned()
    }
    /// A counter of notifications given up on (every attempt failed), if it keeps one.
    fn failures(&self) -> Option<Arc<AtomicU64>> {
        None
    }
}

/// Counters of a queued sink.
#[derive(Debug, Default)]
pub struct QueueStats {
    /// Notifications handed to the deliverer.
    pub delivered: AtomicU64,
    /// Notifications dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Deliveries that panicked.
    pub panics: AtomicU64,
    reported: AtomicBool,
}

/// A sink whose deliveries happen on a thread of its own, behind a bounded queue.
#[derive(Debug)]
pub struct Queued {
    sender: SyncSender<AlertTransition>,
    stats: Arc<QueueStats>,
    target: String,
    failures: Option<Arc<AtomicU64>>,
}

/// The default queue length.
pub const DEFAULT_CAPACITY: usize = 1024;

impl Queued {
    /// Starts the delivery thread with a queue of `capacity` notifications.
    pub fn new(mut deliver: impl Deliver, capacity: usize) -> Self {
        let (target, failures) = (deliver.target(), deliver.failures());
        let (sender, receiver) = sync_channel::<AlertTransition>(capacity.max(1));
        let stats = Arc::new(QueueStats::default());
        let thread_stats = Arc::clone(&stats);
        let spawned = std::thread::Builder::new().name("sloguard-alerts".into()).spawn(move || {
            let idle = deliver.idle_interval();
            loop {
                let step = match receiver.recv_timeout(idle) {
                    Ok(t) => catch_unwind(AssertUnwindSafe(|| deliver.deliver(&t))).map(|()| 1),
                    Err(RecvTimeoutError::Timeout) => catch_unwind(AssertUnwindSafe(|| deliver.idle())).map(|()| 0),
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                match step {
                    Ok(n) => {
                        thread_stats.delivered.fetch_add(n, Ordering::Relaxed);
                    }
                    Err(_) => {
                        thread_stats.panics.fetch_add(1, Ordering::Relaxed);
                        if !thread_stats.reported.swap(true, Ordering::Relaxed) {
                            tracing::error!(target: "sloguard", "an alert sink panicked; the panic was caught and is counted (reported once)");
                        }
                    }
                }
            }
        });
        if spawned.is_err() {
            tracing::error!(target: "sloguard", "could not start an alert delivery thread; its notifications will be dropped and counted");
        }
        Queued {
            sender,
            stats,
            target,
            failures,
        }
    }

    /// The counters, to read after the sink has been handed to a registry.
    pub fn stats(&self) -> Arc<QueueStats> {
        Arc::clone(&self.stats)
    }
}

impl AlertSink for Queued {
    fn notify(&self, transition: &AlertTransition) {
        match self.sender.try_send(transition.clone()) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn problem(&self) -> Option<String> {
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let failed = self.failures.as_deref().map_or(0, count);
        let (dropped, panics) = (count(&self.stats.dropped), count(&self.stats.panics));
        let mut parts = Vec::new();
        if failed > 0 {
            parts.push(format!(
                "{failed} notification(s) given up after every attempt failed"
            ));
        }
        if dropped > 0 {
            parts.push(format!(
                "{dropped} dropped because its queue was full (or its thread is gone)"
            ));
        }
        if panics > 0 {
            parts.push(format!("{panics} delivery(ies) panicked"));
        }
        (!parts.is_empty()).then(|| {
            format!(
                "alert sink {}: {}; those notifications reached nobody",
                self.target,
                parts.join("; ")
            )
        })
    }
}

/// Delivers to a closure on the queue's thread.
pub struct Callback<F>(pub F);

impl<F: FnMut(&AlertTransition) + Send + 'static> Deliver for Callback<F> {
    fn target(&self) -> String {
        "callback".to_owned()
    }

    fn deliver(&mut self, transition: &AlertTransition) {
        (self.0)(transition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sink_that_drops_says_so() {
        // A deliverer that blocks, behind a queue of one: the third notification is dropped.
        let (hold, wait) = std::sync::mpsc::channel::<()>();
        let queued = Queued::new(
            Callback(move |_: &AlertTransition| {
                let _ = wait.recv_timeout(Duration::from_secs(5));
            }),
            1,
        );
        assert_eq!(queued.problem(), None);
        let t = super::super::summary::tests::transition(
            sloguard_core::model::Sli::Availability,
            sloguard_core::alert::AlertState::Firing,
            None,
        );
        for _ in 0..4 {
            queued.notify(&t);
        }
        let problem = queued.problem().expect("a problem");
        assert!(problem.starts_with("alert sink callback: "), "{problem}");
        assert!(
            problem.contains("dropped because its queue was full"),
            "{problem}"
        );
        drop(hold);
    }
}

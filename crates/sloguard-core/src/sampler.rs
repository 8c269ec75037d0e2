//! The background evaluator thread.
//!
//! One call starts it; dropping the returned [`Sampler`] stops and joins it. It wakes on the
//! tick grid (multiples of the tick interval), so every sample lands on the window resolution
//! grid. If the process is suspended or the thread is starved, the next tick simply covers the
//! gap (the windows interpolate it); missed ticks are not replayed one by one.
//!
//! ```
//! use sloguard_core::{Registry, model::Slo};
//! use std::time::Duration;
//!
//! let registry = Registry::builder("worker").tick(Duration::from_millis(5)).build();
//! registry.register(Slo::availability("jobs").build().unwrap()).unwrap();
//! let sampler = registry.start_sampler();
//! // Evaluated within a tick or two; the bound is for a heavily loaded machine.
//! let deadline = std::time::Instant::now() + Duration::from_secs(30);
//! while registry.snapshot().slos[0].evaluated_at.is_none() && std::time::Instant::now() < deadline {
//!     std::thread::sleep(Duration::from_millis(5));
//! }
//! drop(sampler); // stops the thread
//! assert!(registry.snapshot().slos[0].evaluated_at.is_some());
//! ```

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::registry::Registry;

/// A running background evaluator; dropping it stops the thread.
#[derive(Debug)]
pub struct Sampler {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Registry {
    /// Starts a background thread that runs the evaluator every tick until the returned guard
    /// is dropped.
    pub fn start_sampler(&self) -> Sampler {
        Sampler::start(self.clone())
    }
}

impl Sampler {
    fn start(registry: Registry) -> Self {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("sloguard-sampler".into())
                .spawn(move || run(registry, &stop))
                .ok()
        };
        if thread.is_none() {
            tracing::error!(
                target: "sloguard",
                "could not start the sampler thread; SLOs are not evaluated unless Registry::tick is called"
            );
        }
        Sampler { stop, thread }
    }

    /// Whether the thread is running.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

fn run(registry: Registry, stop: &(Mutex<bool>, Condvar)) {
    let tick = registry.tick_interval().as_nanos().max(1);
    let (flag, wake) = stop;
    let mut stopped = flag.lock().unwrap_or_else(PoisonError::into_inner);
    while !*stopped {
        let now = registry.clock().now().as_unix_nanos() as u128;
        let wait = Duration::from_nanos((tick - now % tick) as u64);
        let (guard, timeout) = wake
            .wait_timeout(stopped, wait)
            .unwrap_or_else(PoisonError::into_inner);
        stopped = guard;
        if !*stopped && timeout.timed_out() {
            registry.tick();
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        let (flag, wake) = &*self.stop;
        *flag.lock().unwrap_or_else(PoisonError::into_inner) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

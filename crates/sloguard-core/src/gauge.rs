//! Sharded up-down gauges, for counts of things in progress (requests in flight).
//!
//! Each thread adds +1 and −1 into its own shard as wrapping unsigned arithmetic; readers sum
//! the shards and read the total as a signed number, so an increment on one thread and the
//! matching decrement on another still cancel out exactly.
//!
//! ```
//! use sloguard_core::Gauge;
//!
//! let in_flight = Gauge::new();
//! in_flight.increment();
//! std::thread::scope(|s| { s.spawn(|| in_flight.decrement()); });
//! in_flight.increment();
//! assert_eq!(in_flight.value(), 1);
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::shard::{add, Sharded};

/// A gauge handle. Cheap to clone; clones share the value.
#[derive(Clone, Debug, Default)]
pub struct Gauge {
    shards: Arc<Sharded<AtomicU64>>,
}

impl Gauge {
    /// A gauge at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one.
    #[inline]
    pub fn increment(&self) {
        self.shards.with_local(|c, owned| add(c, 1, owned));
    }

    /// Subtracts one.
    #[inline]
    pub fn decrement(&self) {
        self.shards.with_local(|c, owned| add(c, u64::MAX, owned));
    }

    /// The current value.
    pub fn value(&self) -> i64 {
        let mut total = 0u64;
        self.shards
            .for_each(|c| total = total.wrapping_add(c.load(Ordering::Relaxed)));
        total as i64
    }
}

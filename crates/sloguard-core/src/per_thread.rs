//! One value per thread, for state that every request touches and no two threads may share a
//! cache line of (the layer's per-thread lease on its configuration, for one).
//!
//! Built on the same per-thread slots as the counters: each thread gets its own 128-byte
//! aligned copy of `T`, made with `T::default()` on the thread's first use, and threads past
//! the slot limit share one overflow copy (so `T` must be safe to share, and is).
//!
//! ```
//! use sloguard_core::per_thread::PerThread;
//! use std::sync::OnceLock;
//!
//! let names: PerThread<OnceLock<String>> = PerThread::new();
//! let mine = names.with(|n| n.get_or_init(|| "main".to_owned()).clone());
//! std::thread::scope(|s| {
//!     s.spawn(|| assert!(names.with(|n| n.get().is_none()), "another thread, another copy"));
//! });
//! assert_eq!(mine, "main");
//! ```

use crate::shard::Sharded;

/// A `T` per thread. See the module docs.
#[derive(Debug)]
pub struct PerThread<T> {
    shards: Sharded<T>,
}

impl<T: Default> PerThread<T> {
    /// Nothing is made until a thread asks for its copy.
    pub fn new() -> Self {
        PerThread {
            shards: Sharded::new(),
        }
    }

    /// Runs `f` on the calling thread's copy (made on its first call).
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.shards.with_local(|value, _| f(value))
    }
}

impl<T: Default> Default for PerThread<T> {
    fn default() -> Self {
        Self::new()
    }
}

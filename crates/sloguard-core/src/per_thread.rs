//! One value per thread, for state that every request touches and no two threads may share a
//! cache line of (the layer's per-thread lease on its configuration, for one).
//!
//! Built on the same per-thread slots as the counters: each thread gets its own 128-byte
//! aligned copy of `T`, made with `T::default()` on the thread's first use, and threads past
//! the slot limit share one overflow copy (so `T` must be safe to share, and is).
//!
//! ```
//! use sloguard_core::per_thread::{PerThread, ThreadSlot};
//! use std::sync::OnceLock;
//!
//! let names: PerThread<OnceLock<String>> = PerThread::new();
//! let mine = names.with(|n| n.get_or_init(|| "main".to_owned()).clone());
//! std::thread::scope(|s| {
//!     s.spawn(|| assert!(names.with(|n| n.get().is_none()), "another thread, another copy"));
//! });
//! assert_eq!(mine, "main");
//! // The main thread has a slot now; no other thread shares it.
//! let here = ThreadSlot::current();
//! assert_eq!(here, ThreadSlot::current());
//! std::thread::scope(|s| {
//!     s.spawn(|| assert_ne!(ThreadSlot::current(), here));
//! });
//! ```

use crate::shard::{current_slot, Sharded};

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

/// Which copy of every [`PerThread`] the calling thread gets: two threads with equal slots
/// get the same copies (a thread that exited gave its slot to a later one, and threads past
/// the slot limit share the overflow copy). A value made in [`PerThread::with`]'s closure can
/// keep it, to tell later whether the thread holding the value is the one it was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadSlot(usize);

impl ThreadSlot {
    /// The calling thread's slot. Before the thread's first [`PerThread::with`] it has none,
    /// and this equals no slot a value made in `with` recorded.
    #[inline(always)]
    pub fn current() -> Self {
        ThreadSlot(current_slot())
    }
}

//! Runnable services instrumented with sloguard; see the `examples/` folder of this package.
//!
//! ```
//! assert_eq!(sloguard_examples::DEFAULT_ADDR, "127.0.0.1:3000");
//! ```

/// The address examples listen on when `SLOGUARD_ADDR` is not set.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

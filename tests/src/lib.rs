//! Helpers for sloguard's end-to-end tests (the tests live in `tests/`).
//!
//! ```
//! assert!(sloguard_e2e::in_ci() || !sloguard_e2e::in_ci());
//! ```

/// Whether the tests run in CI, where a missing outside program is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

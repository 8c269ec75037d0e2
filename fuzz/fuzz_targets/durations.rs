//! Any text read as a duration: never a panic, and what parses writes back to the same value
//! (both the spec form and the Prometheus form rules use). Run:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run durations` in `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sloguard_core::duration::{format_duration, parse_duration};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(d) = parse_duration(text) else {
        return;
    };
    if d.as_nanos() % 1_000 == 0 {
        assert_eq!(parse_duration(&format_duration(d)).ok(), Some(d), "{text:?}");
    }
    if d.as_nanos() % 1_000_000 == 0 && !d.is_zero() {
        let written = sloguard_spec::rules::prometheus_duration(d);
        assert_eq!(parse_duration(&written).ok(), Some(d), "{text:?} -> {written}");
    }
});

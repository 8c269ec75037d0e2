//! Any bytes replayed as JSON Lines events, malformed lines skipped: never a panic, and the
//! output stays bounded by the input (a line whose time is decades away costs no more than
//! the engine's horizon of status lines). Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run replay` in
//! `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sloguard_cli::replay::{replay, Malformed, Options};
use sloguard_spec::Spec;

fuzz_target!(|data: &[u8]| {
    let spec = Spec::from_str("service: s\navailability: 99\nlatency: {threshold: 300ms, objective: 99}\n")
        .expect("spec");
    let options = Options {
        malformed: Malformed::Skip,
        ..Options::default()
    };
    let mut out = Vec::new();
    if let Ok(stats) = replay(&spec, data, &mut out, &options) {
        // Two SLOs; per input line at most a horizon (31 days) of one-minute steps, each a
        // status line per SLO and its transitions, plus the final status.
        let lines = data.split(|b| *b == b'\n').count() as u64;
        assert!(stats.lines_out <= (lines + 1) * 2 * (31 * 24 * 60 + 8), "{} lines out", stats.lines_out);
    }
});

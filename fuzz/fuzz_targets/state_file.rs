//! Any bytes loaded as a state file, as they are (the checksum stops most) and framed with a
//! valid checksum (so every byte reaches the decoder): loading never panics, and a registry
//! that loaded anything goes on evaluating without a caught panic. Run:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run state_file` in `fuzz/`.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::diagnostic::code;
use sloguard_core::model::Slo;
use sloguard_core::Registry;

/// The frame `save_state` writes around a payload: magic, version 3, the payload, and the
/// FNV-1a checksum of everything before it.
fn framed(payload: &[u8]) -> Vec<u8> {
    let mut out = b"SLOGUARD".to_vec();
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(payload);
    let sum = out.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode & 1 == 1 { framed(rest) } else { rest.to_vec() };
    let path = std::env::temp_dir().join(format!("sloguard-fuzz-{}.state", std::process::id()));
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let clock = VirtualClock::new(Timestamp::from_unix_secs(1_800_000_000));
    let registry = Registry::builder("payments").clock(clock.clock()).build();
    for slo in [
        // What the seed (saved by the persistent_worker example) holds, so loads restore.
        Slo::availability("jobs").objective_percent(99.0).build(),
        Slo::availability("availability").build(),
        Slo::latency("latency", Duration::from_millis(300))
            .period(Duration::from_secs(7 * 86_400))
            .build(),
    ] {
        let _ = registry.register(slo.expect("valid"));
    }
    // A read-only load: the file stays where it is for the next input.
    let loaded = registry.load_state_read_only(&path).is_ok();
    registry.advance_to(clock.now().saturating_add(Duration::from_secs(60)));
    let snapshot = registry.snapshot();
    if loaded {
        assert!(
            !snapshot
                .diagnostics
                .iter()
                .any(|d| d.code == code::EVALUATION_PANICKED),
            "a loaded state made evaluation panic"
        );
    }
});

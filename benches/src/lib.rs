//! Shared inputs for the criterion benches in `benches/`: latencies, and one HTTP request
//! driven by hand ([`request`]).
//!
//! ```
//! let stream = sloguard_benches::latency_stream(8);
//! assert_eq!(stream.len(), 8);
//! assert!(stream.iter().all(|ns| *ns > 0));
//! ```

pub mod request;

use sloguard::{model::Slo, Outcome, Registry, SloRecorder};

/// The outcome of the `i`-th event of a stream: one in 64 fails, so the bad-count branch is
/// taken now and then.
#[inline]
pub fn outcome(i: usize) -> Outcome {
    if i % 64 == 63 {
        Outcome::Error
    } else {
        Outcome::Success
    }
}

/// The registry and the 300 ms latency SLO every `record` measurement records into.
pub fn latency_slo() -> (Registry, SloRecorder) {
    let registry = Registry::builder("bench").build();
    let slo = registry
        .register(
            Slo::latency("latency", std::time::Duration::from_millis(300))
                .build()
                .expect("valid"),
        )
        .expect("registered");
    (registry, slo)
}

/// A fixed stream of varied latencies in nanoseconds (100 µs to about 2 s, log-spread), so
/// every recorder sees the same work and the bucket index is not always the same.
pub fn latency_stream(len: usize) -> Vec<u64> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            // xorshift64*: deterministic and cheap, no dependency.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            let octave = 17 + (r % 14); // 2^17 ns = 131 µs .. 2^30 ns = 1.07 s
            (1u64 << octave) + (r >> 34) % (1u64 << octave)
        })
        .collect()
}

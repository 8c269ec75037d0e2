//! Any `traceparent` header a client sends, as a layer that keeps exemplars reads it on every
//! request: never a panic, and a context that parses writes back to the same ids. Run:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run traceparent` in `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sloguard_core::exemplar::TraceContext;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(context) = TraceContext::from_traceparent(text) else {
        return;
    };
    let written = format!(
        "00-{}-{}-01",
        context.trace_id_hex(),
        context.span_id_hex()
    );
    assert_eq!(TraceContext::from_traceparent(&written), Some(context), "{text:?}");
});

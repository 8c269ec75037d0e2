//! Any bytes, with any HTTP status, read as a metrics engine's query API answer, as
//! `sloguard serve` reads them: never a panic; a refusal says why. Run:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run query_answer` in `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sloguard_cli::serve::source::read_answer;

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    // The first byte picks the status among the classes an engine answers with.
    let status = [200, 400, 422, 500, 503][usize::from(first) % 5];
    match read_answer("http://127.0.0.1:9090", status, body) {
        Ok(series) => assert!(series.iter().all(|s| s.points.len() < body.len() + 1)),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});

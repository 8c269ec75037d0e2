//! Any bytes read as a service's `/slo/incidents.json` and drafted into a post-incident
//! review, as `sloguard incident-review --url` does: never a panic; a refusal says why. Run:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run incident_json` in `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sloguard_cli::incident_review::render;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice(data) else {
        return;
    };
    if let Err(e) = render(&doc, None) {
        assert!(!e.to_string().is_empty());
    }
});

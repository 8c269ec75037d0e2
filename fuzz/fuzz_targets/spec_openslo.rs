//! Any bytes read as a spec in OpenSLO v1 (the input follows its apiVersion line): never a panic, and
//! a refusal always says why. Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run spec_openslo` in `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let text = format!("{}{body}", "apiVersion: openslo/v1\n");
    if let Err(e) = sloguard_spec::Spec::all_from_str(&text) {
        assert!(!e.message.is_empty(), "a refusal without a reason: {e:?}");
    }
});

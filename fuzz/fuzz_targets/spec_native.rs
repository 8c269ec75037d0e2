//! Any bytes read as a spec in sloguard's own format (the input as it is): never a panic, and
//! a refusal always says why. Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run spec_native` in `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let text = format!("{}{body}", "");
    if let Err(e) = sloguard_spec::Spec::all_from_str(&text) {
        assert!(!e.message.is_empty(), "a refusal without a reason: {e:?}");
    }
});

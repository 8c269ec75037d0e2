//! Hostile input never panics: arbitrary text and mutated valid specs (native, Sloth, OpenSLO,
//! YAML and JSON) through the spec reader, arbitrary text through the duration parser. This
//! is the test suite's stand-in for fuzzing (cargo-fuzz needs a nightly toolchain).

use proptest::prelude::*;
use sloguard::duration::{format_duration, parse_duration};
use sloguard::spec::Spec;

const SEEDS: [&str; 4] = [
    "service: payments\nslos:\n  - name: latency\n    objective: 99\n    sli: {latency: {threshold: 300ms}}\n    operations: {routes: [/pay]}\n    alerting: {min_events: 5, disable: [ticket-3d]}\n",
    "{\"service\": \"API de pagamentos\", \"availability\": 99.9, \"latency\": {\"threshold\": \"300ms\", \"objective\": 99}}",
    "version: prometheus/v1\nservice: s\nslos:\n  - name: a\n    objective: 99.9\n    sli: {events: {error_query: 'e[{{.window}}]', total_query: 't[{{.window}}]'}}\n    alerting: {page_alert: {disable: true}}\n",
    "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec:\n  service: s\n  indicator: {spec: {ratioMetric: {counter: true, bad: {metricSource: {type: Prometheus, spec: {query: b}}}, total: {metricSource: {type: Prometheus, spec: {query: t}}}}}}\n  timeWindow: [{duration: 7d, isRolling: true}]\n  budgetingMethod: Occurrences\n  objectives: [{target: 0.99}]\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_is_refused_or_accepted_never_a_panic(text in "\\PC{0,400}") {
        let _ = Spec::from_str(&text);
        let _ = parse_duration(&text);
    }

    #[test]
    fn mutated_specs_never_panic(seed in 0usize..4, edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8)) {
        let mut bytes = SEEDS[seed].as_bytes().to_vec();
        for (at, byte, kind) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => {
                    bytes.remove(i);
                }
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = Spec::from_str(&text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn durations_round_trip(nanos in 1_000u64..(400 * 86_400 * 1_000_000_000)) {
        // Whole microseconds: the parser's smallest unit.
        let d = std::time::Duration::from_nanos(nanos / 1_000 * 1_000);
        prop_assert_eq!(parse_duration(&format_duration(d)), Ok(d));
    }
}

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

/// Runs a replay of `input` on a thread of its own: its output lines, or the error, within a
/// deadline (a replay that walks the clock through years would never return).
fn bounded_replay(input: &'static str) -> Result<Vec<String>, sloguard_cli::replay::ReplayError> {
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let spec = Spec::from_str("service: s\navailability: 99\n").expect("spec");
        let mut out = Vec::new();
        let outcome = replay(&spec, input.as_bytes(), &mut out, &Options::default());
        let lines = String::from_utf8_lossy(&out)
            .lines()
            .map(str::to_owned)
            .collect();
        let _ = done.send(outcome.map(|_| lines));
    });
    result
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the replay ends, whatever the timestamps")
}

#[test]
fn a_time_near_the_end_of_representable_time_is_refused_by_line() {
    let error = bounded_replay("{\"ts\": 18446744073.7, \"ok\": true}\n").expect_err("refused");
    assert_eq!(error.line, 1);
    assert!(
        error.message.contains("between 1970 and 2500"),
        "{}",
        error.message
    );
    let error =
        bounded_replay("{\"ts\": \"2600-01-01T00:00:00Z\", \"ok\": true}\n").expect_err("refused");
    assert!(
        error.message.contains("between 1970 and 2500"),
        "{}",
        error.message
    );
}

#[test]
fn output_is_bounded_by_the_input_not_by_the_gap_between_events() {
    // Two events 56 years apart: the state stops changing once the 30-day period has passed
    // the first, so the status lines stop there and resume at the second.
    let lines =
        bounded_replay("{\"ts\": 1000000000, \"ok\": false}\n{\"ts\": 2767225600, \"ok\": true}\n")
            .expect("replays");
    let per_minute_for_the_horizon = (30 + 1) * 24 * 60;
    assert!(
        lines.len() < per_minute_for_the_horizon + 100,
        "{} lines for two events",
        lines.len()
    );
    let last: serde_json::Value =
        serde_json::from_str(lines.last().expect("a line")).expect("JSON");
    assert!(last["ts"].as_f64() > Some(2_767_225_600.0), "{last}");
}

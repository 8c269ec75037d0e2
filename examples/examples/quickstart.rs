//! The engine on its own, on virtual time: a 99.9% availability SLO goes through a total
//! outage and recovers; the alert transitions are printed as they happen.
//!
//! Run: `cargo run -p sloguard-examples --example quickstart`
#![allow(clippy::print_stdout)]

use std::time::Duration;

use sloguard::alert::AlertTransition;
use sloguard::clock::Timestamp;
use sloguard::duration::format_duration;
use sloguard::model::Slo;
use sloguard::sim::Simulation;
use sloguard::{Outcome, Registry};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Timestamp::from_unix_secs(1_767_225_600);
    let print = move |t: &AlertTransition| {
        let minute = t.at.saturating_duration_since(start).as_secs() / 60;
        println!(
            "minute {minute:>3}: {} {} (long-window burn {:.1}x, budget remaining {:.1}%)",
            t.tier_id,
            t.state,
            t.long_burn_rate.unwrap_or(0.0),
            t.budget_remaining * 100.0
        );
    };
    // The engine on a virtual clock (sloguard's simulation harness), printing as alerts change.
    let sim = Simulation::from_builder(Registry::builder("payments").alert_sink(print), start);
    let registry = sim.registry();
    let checkout = registry.register(
        Slo::availability("checkout")
            .objective_percent(99.9)
            .build()?,
    )?;

    // Two hours of traffic, 10 requests a second; minutes 30 to 40 fail completely.
    let outage = start.saturating_add(Duration::from_secs(30 * 60))
        ..start.saturating_add(Duration::from_secs(40 * 60));
    sim.run(
        Duration::from_secs(2 * 3_600),
        Duration::from_secs(1),
        |now| {
            let outcome = if outage.contains(&now) {
                Outcome::Error
            } else {
                Outcome::Success
            };
            for _ in 0..10 {
                checkout.record(outcome, Duration::from_millis(25));
            }
        },
    );

    let snapshot = registry.snapshot();
    let slo = snapshot.slo("checkout").ok_or("checkout is registered")?;
    println!(
        "after two hours: {} events, {} bad",
        slo.counts.events(),
        slo.counts.bad
    );
    for w in slo.windows() {
        let burn = w
            .burn_rate
            .map_or("none".to_owned(), |b| format!("{b:.2}x"));
        println!("  burn rate over {:>3}: {burn}", format_duration(w.window));
    }
    println!(
        "  error budget remaining: {:.1}%",
        slo.budget_remaining() * 100.0
    );
    Ok(())
}

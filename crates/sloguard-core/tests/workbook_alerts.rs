//! The SRE Workbook's alerting scenarios on a 99.9% SLO, on virtual time at 10 requests a
//! second: a total outage pages within about a minute and everything resolves after it; a
//! 0.05% error rate never alerts; a 0.3% error rate opens a ticket and never pages; a
//! low-traffic SLO under its minimum event count stays quiet.

use std::time::Duration;

use sloguard_core::alert::{AlertState, AlertTransition};
use sloguard_core::clock::Timestamp;
use sloguard_core::model::{AlertPolicy, Severity, Slo, SloDefinition};
use sloguard_core::sim::Simulation;
use sloguard_core::{Outcome, Registry, SloRecorder};

const START: u64 = 1_767_225_600;

/// The harness with the one SLO under test and a count of the requests sent.
struct Sim {
    sim: Simulation,
    registry: Registry,
    slo: SloRecorder,
    events: u64,
}

impl Sim {
    fn new(definition: SloDefinition) -> Self {
        let sim = Simulation::new("payments", Timestamp::from_unix_secs(START));
        let registry = sim.registry().clone();
        let slo = registry.register(definition).expect("registered");
        Sim {
            sim,
            registry,
            slo,
            events: 0,
        }
    }

    /// Runs `seconds` of traffic at `per_second` requests a second; `bad(n)` says whether the
    /// n-th request of the whole run fails.
    fn run(&mut self, seconds: u64, per_second: u64, bad: impl Fn(u64) -> bool) {
        let (slo, events) = (&self.slo, &mut self.events);
        self.sim
            .run(Duration::from_secs(seconds), Duration::from_secs(1), |_| {
                for _ in 0..per_second {
                    let outcome = if bad(*events) {
                        Outcome::Error
                    } else {
                        Outcome::Success
                    };
                    slo.record(outcome, Duration::from_millis(30));
                    *events += 1;
                }
            });
    }

    fn transitions(&self) -> Vec<AlertTransition> {
        self.sim.transitions()
    }

    fn seconds_since_start(&self, t: Timestamp) -> u64 {
        t.saturating_duration_since(Timestamp::from_unix_secs(START))
            .as_secs()
    }
}

fn slo_999() -> SloDefinition {
    Slo::availability("availability")
        .objective_percent(99.9)
        .build()
        .expect("valid")
}

#[test]
fn total_outage_pages_within_a_minute_and_resolves_after() {
    let mut sim = Sim::new(slo_999());
    sim.run(6 * 3_600, 10, |_| false);
    assert!(sim.transitions().is_empty());
    let outage_start = 6 * 3_600;
    sim.run(10 * 60, 10, |_| true);
    let transitions = sim.transitions();
    let page = transitions
        .iter()
        .find(|t| t.tier_id == "page-1h" && t.state == AlertState::Firing)
        .expect("the 14.4x page fires");
    let detection = sim.seconds_since_start(page.at) - outage_start;
    assert!(detection <= 70, "paged after {detection} s");
    assert!(
        detection >= 50,
        "paged after {detection} s: too early for a 1h window of good history"
    );
    assert_eq!(page.severity, Severity::Page);
    assert!(page.long_burn_rate.expect("traffic") >= 14.4);
    // 60 s of failures in a 5 minute window that held 4 minutes of good traffic.
    assert_eq!(page.short_error_ratio, Some(0.2));
    assert!(page.time_to_exhaustion.is_some());
    // Every tier fires during a 10-minute total outage.
    let snap = sim.registry.snapshot();
    let slo = snap.slo("availability").expect("registered");
    assert!(slo.alerts.iter().all(|a| a.firing), "{:?}", slo.alerts);

    // Errors stop: the 1h page resolves once the 5m window is clean again; everything is
    // resolved once the outage has left every short window (6h for the slowest tier).
    sim.run(7 * 3_600, 10, |_| false);
    let transitions = sim.transitions();
    let resolved_page = transitions
        .iter()
        .find(|t| t.tier_id == "page-1h" && t.state == AlertState::Resolved)
        .expect("the page resolves");
    let after_outage = sim.seconds_since_start(resolved_page.at) - (outage_start + 600);
    assert!(
        after_outage <= 6 * 60,
        "resolved {after_outage} s after the outage"
    );
    assert_eq!(resolved_page.firing_since, page.at);
    let snap = sim.registry.snapshot();
    assert!(snap
        .slo("availability")
        .expect("registered")
        .alerts
        .iter()
        .all(|a| !a.firing));
    for tier in ["page-1h", "page-6h", "ticket-1d", "ticket-3d"] {
        let states: Vec<AlertState> = transitions
            .iter()
            .filter(|t| t.tier_id == tier)
            .map(|t| t.state)
            .collect();
        assert_eq!(states, [AlertState::Firing, AlertState::Resolved], "{tier}");
    }
}

#[test]
fn a_quarter_of_the_budget_rate_never_alerts() {
    // 0.05% errors: one request in 2,000, for three days and an hour.
    let mut sim = Sim::new(slo_999());
    sim.run(3 * 86_400 + 3_600, 10, |n| n % 2_000 == 1_999);
    assert!(sim.transitions().is_empty(), "{:?}", sim.transitions());
    let snap = sim.registry.snapshot();
    let slo = snap.slo("availability").expect("registered");
    let burn_3d = slo
        .burn_rate(Duration::from_secs(3 * 86_400))
        .expect("traffic");
    assert!((burn_3d - 0.5).abs() < 0.01, "{burn_3d}");
    assert!((slo.budget_remaining() - 0.5).abs() < 0.01);
}

#[test]
fn three_times_the_budget_rate_opens_a_ticket_but_never_pages() {
    // 0.3% errors: requests 333, 666 and 1,000 of every thousand fail, so the error ratio
    // never exceeds 0.3% from the first request on, and any 1,000 in a row hold exactly 3.
    let mut sim = Sim::new(slo_999());
    sim.run(86_400 + 3 * 3_600, 10, |n| {
        [333, 666, 0].contains(&((n + 1) % 1_000))
    });
    let transitions = sim.transitions();
    assert!(
        transitions.iter().all(|t| t.severity == Severity::Ticket),
        "a page fired"
    );
    // The 1x ticket fires at once (a 3x burn with less than 3 days of history) and holds.
    let ticket_3d: Vec<&AlertTransition> = transitions
        .iter()
        .filter(|t| t.tier_id == "ticket-3d")
        .collect();
    assert_eq!(ticket_3d.len(), 1);
    assert_eq!(ticket_3d[0].state, AlertState::Firing);
    // The 3x ticket fires too: its windows sit right at 3x (the tolerance makes exactly 3.0
    // count), moving by one event either side as window edges cut the pattern.
    assert!(transitions
        .iter()
        .any(|t| t.tier_id == "ticket-1d" && t.state == AlertState::Firing));
    let snap = sim.registry.snapshot();
    let slo = snap.slo("availability").expect("registered");
    assert!(slo.firing(Severity::Ticket));
    assert!(!slo.firing(Severity::Page));
    let burn_1d = slo.burn_rate(Duration::from_secs(86_400)).expect("traffic");
    assert!((burn_1d - 3.0).abs() < 0.01, "{burn_1d}");
}

#[test]
fn low_traffic_below_min_events_stays_quiet() {
    let def = Slo::availability("availability")
        .alerting(AlertPolicy::workbook().min_events(100))
        .build()
        .expect("valid");
    let mut sim = Sim::new(def);
    // One request a minute for 30 minutes, one in three failing: a 333x burn, 30 events.
    for _ in 0..30 {
        sim.run(60, 0, |_| false);
        let outcome = if sim.events % 3 == 0 {
            Outcome::Error
        } else {
            Outcome::Success
        };
        sim.slo.record(outcome, Duration::from_millis(5));
        sim.events += 1;
    }
    sim.run(10, 0, |_| false);
    assert!(sim.transitions().is_empty());
    let snap = sim.registry.snapshot();
    assert!(
        snap.slo("availability")
            .expect("registered")
            .burn_rate(Duration::from_secs(3_600))
            .expect("traffic")
            > 300.0
    );
}

#[test]
fn a_panicking_sink_is_counted_and_does_not_stop_other_sinks() {
    // The panicking sink is added before the harness's collecting one: a sink after a
    // panicking one still gets every transition.
    let sim = Simulation::from_builder(
        Registry::builder("payments").alert_sink(|_: &AlertTransition| panic!("sink bug")),
        Timestamp::from_unix_secs(START),
    );
    let registry = sim.registry();
    let slo = registry.register(slo_999()).expect("registered");
    sim.run(Duration::from_secs(120), Duration::from_secs(1), |_| {
        slo.record(Outcome::Error, Duration::ZERO)
    });
    sim.advance_to(Timestamp::from_unix_secs(START + 130));
    let delivered = sim.transitions().len() as u64;
    assert!(delivered >= 1);
    assert_eq!(registry.sink_panics(), delivered);
    assert_eq!(registry.snapshot().sink_panics, delivered);
}

#[test]
fn a_fresh_process_does_not_page_on_a_few_failures_and_does_page_on_an_outage() {
    // A cold start: 63 requests, one a second, 3 of them failed (a 47x burn over what
    // little history there is), then quiet traffic.
    let mut sim = Sim::new(slo_999());
    sim.run(63, 1, |n| n % 21 == 20);
    sim.run(600, 1, |_| false);
    let pages: Vec<_> = sim
        .transitions()
        .into_iter()
        .filter(|t| t.severity == Severity::Page)
        .collect();
    assert!(pages.is_empty(), "paged on 3 failures: {pages:?}");

    // A cold start into a total outage at 20 requests a second pages within two minutes.
    let mut sim = Sim::new(slo_999());
    sim.run(120, 20, |_| true);
    let page = sim
        .transitions()
        .into_iter()
        .find(|t| t.severity == Severity::Page && t.state == AlertState::Firing)
        .expect("the outage pages");
    assert!(
        sim.seconds_since_start(page.at) <= 120,
        "paged at {:?}",
        page.at
    );
}

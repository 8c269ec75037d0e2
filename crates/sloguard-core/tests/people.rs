//! What people write and schedule, end to end in the engine: a maintenance window leaves an
//! outage out of the budget and holds its page; a page that still holds when the window ends
//! fires then; an incident a person holds is resolved only by a person; everything survives
//! a restart through the state file.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sloguard_core::alert::{AlertState, AlertTransition};
use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::incidents::{Impact, NewIncident, Opener, UpdateStatus, WriteError};
use sloguard_core::maintenance::NewMaintenance;
use sloguard_core::model::{MaintenancePolicy, Severity, Slo};
use sloguard_core::{Outcome, Registry};

const T0: u64 = 1_800_000_000;

type Heard = Arc<Mutex<Vec<AlertTransition>>>;

fn registry(clock: &VirtualClock, policy: MaintenancePolicy) -> (Registry, Heard) {
    let heard: Heard = Arc::default();
    let sink = {
        let heard = Arc::clone(&heard);
        move |t: &AlertTransition| heard.lock().expect("sink").push(t.clone())
    };
    let r = Registry::builder("payments")
        .clock(clock.clock())
        .alert_sink(sink)
        .build();
    r.register(
        Slo::availability("cards")
            .maintenance(policy)
            .build()
            .expect("valid"),
    )
    .expect("registered");
    (r, heard)
}

/// Minutes `from..to` after T0, 60 requests a minute, all failing during `bad`.
fn traffic(r: &Registry, from: u64, to: u64, bad: std::ops::Range<u64>) {
    let slo = r.slo("cards").expect("cards");
    for minute in from..to {
        for second in (0..60).step_by(2) {
            r.advance_to(Timestamp::from_unix_secs(T0 + minute * 60 + second));
            let outcome = if bad.contains(&minute) {
                Outcome::Error
            } else {
                Outcome::Success
            };
            slo.record(outcome, Duration::from_millis(5));
            slo.record(Outcome::Success, Duration::from_millis(5));
        }
    }
}

fn window(from_minute: u64, to_minute: u64) -> NewMaintenance {
    NewMaintenance {
        name: "Database upgrade".into(),
        scheduled_for: Timestamp::from_unix_secs(T0 + from_minute * 60),
        scheduled_until: Timestamp::from_unix_secs(T0 + to_minute * 60),
        components: vec![],
        message: "Card payments may fail for a few minutes.".into(),
    }
}

fn pages(heard: &Heard) -> usize {
    heard
        .lock()
        .expect("sink")
        .iter()
        .filter(|t| t.severity == Severity::Page && t.state == AlertState::Firing)
        .count()
}

#[test]
fn an_outage_inside_a_maintenance_window_pages_nobody_and_costs_no_budget() {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let (r, heard) = registry(&clock, MaintenancePolicy::Exclude);
    r.schedule_maintenance(window(30, 60)).expect("scheduled");
    // Half the requests fail from minute 35 to 50: well past the fastest page.
    traffic(&r, 0, 120, 35..50);
    let snapshot = r.snapshot();
    let cards = snapshot.slo("cards").expect("cards");
    assert_eq!(pages(&heard), 0, "{:?}", heard.lock().expect("sink"));
    assert!(r.incidents().is_empty());
    assert_eq!(cards.budget_remaining(), 1.0, "no bad event is counted");
    assert_eq!(cards.excluded.bad, 15 * 30, "every failure was left out");
    assert!(
        cards.counts.bad >= cards.excluded.bad,
        "and still counted raw"
    );
    assert!(!cards.under_maintenance);
}

#[test]
fn with_maintenance_count_the_same_outage_pages_and_spends_budget() {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let (r, heard) = registry(&clock, MaintenancePolicy::Count);
    r.schedule_maintenance(window(30, 60)).expect("scheduled");
    traffic(&r, 0, 120, 35..50);
    assert!(pages(&heard) >= 1);
    assert!(r.snapshot().slo("cards").expect("cards").budget_remaining() < 0.0);
}

#[test]
fn a_page_that_still_holds_when_the_window_ends_fires_then() {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let (r, heard) = registry(&clock, MaintenancePolicy::Exclude);
    // The outage starts inside the window and goes on past its end.
    r.schedule_maintenance(window(30, 40)).expect("scheduled");
    traffic(&r, 0, 40, 35..60);
    assert_eq!(pages(&heard), 0, "held during the window");
    traffic(&r, 40, 60, 35..60);
    let heard_now = heard.lock().expect("sink").clone();
    let first = heard_now
        .iter()
        .find(|t| t.severity == Severity::Page && t.state == AlertState::Firing)
        .expect("a page after the window");
    assert!(first.at >= Timestamp::from_unix_secs(T0 + 40 * 60));
    assert!(!first.is_resumed(), "a new page, sent to people");
    assert_eq!(r.incidents().len(), 1);
}

#[test]
fn an_incident_a_person_holds_is_resolved_by_a_person_only() {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let (r, _) = registry(&clock, MaintenancePolicy::Exclude);
    traffic(&r, 0, 30, 10..20);
    let incident = r.incidents().pop().expect("the engine opened one");
    assert_eq!(incident.opened_by, Opener::Engine);
    r.post_update(
        incident.id,
        UpdateStatus::Identified,
        "A bad deploy of the card gateway; rolling back.",
    )
    .expect("posted");
    // Long after the alerts resolve, it is still open, and says when they ended.
    traffic(&r, 30, 600, 0..0);
    let held = r.incidents().pop().expect("kept");
    assert_eq!(held.resolved_at, None);
    assert!(held.alerts_ended_at.is_some());
    r.post_update(held.id, UpdateStatus::Resolved, "Rolled back; all is well.")
        .expect("resolved");
    let done = r.incidents().pop().expect("kept");
    assert!(done.resolved_at.is_some());
    assert_eq!(done.updates.len(), 2);
    let again = r.post_update(done.id, UpdateStatus::Monitoring, "More.");
    assert!(matches!(again, Err(WriteError::Conflict(_))), "{again:?}");
}

#[test]
fn an_alert_joins_the_incident_a_person_opened_for_its_component() {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let (r, _) = registry(&clock, MaintenancePolicy::Exclude);
    let opened = r
        .open_incident(NewIncident {
            name: "Customers report failed card payments".into(),
            status: UpdateStatus::Investigating,
            impact: Impact::Minor,
            components: vec!["cards".into()],
            message: "We are looking into it.".into(),
        })
        .expect("opened");
    traffic(&r, 0, 30, 5..20);
    let incidents = r.incidents();
    assert_eq!(incidents.len(), 1, "the page joined it: {incidents:?}");
    assert_eq!(incidents[0].id, opened.id);
    assert!(incidents[0].first_page_at.is_some());
    assert_eq!(incidents[0].slos[0].slo, "cards");
}

#[test]
fn writes_are_refused_with_the_field_that_is_wrong() {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let (r, _) = registry(&clock, MaintenancePolicy::Exclude);
    let field = |e: WriteError| match e {
        WriteError::Invalid { field, .. } => field,
        other => panic!("{other}"),
    };
    let mut bad = window(10, 5);
    assert_eq!(
        field(r.schedule_maintenance(bad.clone()).expect_err("refused")),
        "scheduled_until"
    );
    bad = window(10, 20);
    bad.components = vec!["nothing-like-it".into()];
    assert_eq!(
        field(r.schedule_maintenance(bad).expect_err("refused")),
        "components"
    );
    let blank = NewIncident {
        name: "  ".into(),
        status: UpdateStatus::Investigating,
        impact: Impact::None,
        components: vec![],
        message: "x".into(),
    };
    assert_eq!(field(r.open_incident(blank).expect_err("refused")), "name");
    assert!(matches!(
        r.post_update(99, UpdateStatus::Identified, "x"),
        Err(WriteError::NotFound { .. })
    ));
}

#[test]
fn writes_are_on_disk_before_they_are_acknowledged_and_restored_after_a_restart() {
    let file = std::env::temp_dir().join(format!("sloguard-people-{}.state", std::process::id()));
    std::fs::remove_file(&file).ok();
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let (r, _) = registry(&clock, MaintenancePolicy::Exclude);
    // Saved only every day on its own: what the file holds below came with the writes.
    let persistence = r.persist_to(&file, Duration::from_secs(86_400));
    traffic(&r, 0, 20, 0..0);
    let opened = r
        .open_incident(NewIncident {
            name: "Slow refunds".into(),
            status: UpdateStatus::Investigating,
            impact: Impact::Major,
            components: vec![],
            message: "Refunds take <b>minutes</b>.".into(),
        })
        .expect("opened");
    r.post_update(opened.id, UpdateStatus::Monitoring, "A fix is out.")
        .expect("posted");
    let m = r.schedule_maintenance(window(60, 90)).expect("scheduled");
    // A crash now: the guard's last save never happens.
    std::mem::forget(persistence);

    let (after, _) = registry(&clock, MaintenancePolicy::Exclude);
    after.load_state(&file).expect("loaded");
    let restored = after.incidents().pop().expect("the incident");
    assert_eq!(restored.title.as_deref(), Some("Slow refunds"));
    assert_eq!(restored.impact, Some(Impact::Major));
    assert_eq!(restored.opened_by, Opener::Person);
    let statuses: Vec<_> = restored.updates.iter().map(|u| u.status).collect();
    assert_eq!(
        statuses,
        [UpdateStatus::Investigating, UpdateStatus::Monitoring]
    );
    assert_eq!(restored.updates[0].message, "Refunds take <b>minutes</b>.");
    assert_eq!(after.maintenances(), vec![m]);
    std::fs::remove_file(&file).ok();
}

#[test]
fn a_full_schedule_or_log_refuses_a_write_rather_than_forget_what_is_ahead_or_open() {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let (r, _) = registry(&clock, MaintenancePolicy::Exclude);
    let max = sloguard_core::maintenance::MAX_MAINTENANCES as u64;
    for n in 0..max {
        r.schedule_maintenance(window(60 + n, 61 + n))
            .expect("room");
    }
    let refused = r.schedule_maintenance(window(500, 501));
    assert!(
        matches!(refused, Err(WriteError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(r.maintenances().len() as u64, max);
    // Once one is over, it makes room.
    traffic(&r, 0, 62, 0..0);
    r.schedule_maintenance(window(500, 501))
        .expect("the finished one is forgotten");
    assert_eq!(r.maintenances()[0].id, 2);

    let open = |name: &str| {
        r.open_incident(NewIncident {
            name: name.into(),
            status: UpdateStatus::Investigating,
            impact: Impact::Minor,
            components: vec![],
            message: "x".into(),
        })
    };
    for n in 0..sloguard_core::incidents::MAX_INCIDENTS {
        open(&format!("incident {n}")).expect("room");
    }
    assert!(matches!(open("one more"), Err(WriteError::Conflict(_))));
}

//! The tracing sink emits one event per transition: `warn` when firing, `info` when resolved,
//! target `sloguard::alert`, with the numbers as fields and the summary as the message.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sloguard::alert::{AlertState, AlertTransition};
use sloguard::alerting::{Deliver, TracingSink};
use sloguard::clock::Timestamp;
use sloguard::model::{Severity, Sli};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Level, target and fields of one event.
type Captured = (Level, String, Vec<(String, String)>);

#[derive(Default, Clone)]
struct Recorded(Arc<Mutex<Vec<Captured>>>);

struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}

impl Subscriber for Recorded {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        let meta = event.metadata();
        if let Ok(mut events) = self.0.lock() {
            events.push((*meta.level(), meta.target().to_owned(), fields.0));
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn transition(state: AlertState) -> AlertTransition {
    AlertTransition {
        service: "checkout".into(),
        slo: "availability".into(),
        alert_name: "AvailabilityBudgetBurn".into(),
        sli: Sli::Availability,
        runbook_url: Some("https://runbooks.example/checkout".into()),
        tier_id: "page-1h".into(),
        severity: Severity::Page,
        state,
        at: Timestamp::EPOCH,
        firing_since: Timestamp::EPOCH,
        threshold: 14.4,
        long_window: Duration::from_secs(3_600),
        short_window: Duration::from_secs(300),
        long_burn_rate: Some(21.0),
        short_burn_rate: Some(30.0),
        short_error_ratio: Some(0.03),
        objective: 0.999,
        period: Duration::from_secs(30 * 86_400),
        budget_remaining: 0.5,
        time_to_exhaustion: Some(Duration::from_secs(7_200)),
        budget_window: None,
        sla: None,
    }
}

#[test]
fn each_transition_is_one_event_with_its_numbers() {
    let recorded = Recorded::default();
    tracing::subscriber::with_default(recorded.clone(), || {
        let mut sink = TracingSink;
        sink.deliver(&transition(AlertState::Firing));
        sink.deliver(&transition(AlertState::Resolved));
    });
    let events = recorded.0.lock().expect("lock").clone();
    assert_eq!(events.len(), 2);
    let field = |i: usize, name: &str| {
        events[i]
            .2
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        (events[0].0, events[0].1.as_str()),
        (Level::WARN, "sloguard::alert")
    );
    assert_eq!(events[1].0, Level::INFO);
    assert_eq!(field(0, "slo").as_deref(), Some("availability"));
    assert_eq!(field(0, "tier").as_deref(), Some("page-1h"));
    assert_eq!(field(0, "state").as_deref(), Some("\"firing\""));
    assert_eq!(field(1, "state").as_deref(), Some("\"resolved\""));
    assert_eq!(
        field(0, "runbook_url").as_deref(),
        Some("\"https://runbooks.example/checkout\"")
    );
    let message = field(0, "message").expect("message");
    assert!(message.contains("3.0% of checkout requests are failing; at this rate the 30-day error budget runs out in 2h"), "{message}");
}

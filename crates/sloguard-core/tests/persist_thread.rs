//! Saving the state never runs on the evaluator's thread: a save that is slow or failing (a
//! stuck disk, a full one) must not delay the evaluation that delivers alerts. Each failed
//! save is logged by the thread that tried it; here every one comes from the saving thread.
//! (A file of its own: it installs the process's tracing subscriber.)

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::model::Slo;
use sloguard_core::Registry;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// The name of the thread of every failed save logged (the events with a `path` field).
#[derive(Clone, Default)]
struct Threads(Arc<Mutex<Vec<String>>>);

impl Subscriber for Threads {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if event.metadata().fields().field("path").is_none() {
            return;
        }
        let name = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        if let Ok(mut names) = self.0.lock() {
            names.push(name);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn saves_happen_on_a_thread_of_their_own() {
    let threads = Threads::default();
    tracing::subscriber::set_global_default(threads.clone()).expect("the only subscriber");
    let clock = VirtualClock::new(Timestamp::from_unix_secs(1_800_000_000));
    let registry = Registry::builder("payments").clock(clock.clock()).build();
    registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("registered");
    // A directory that does not exist: every save fails, and says so in the log.
    let path = std::env::temp_dir()
        .join(format!("sloguard-no-such-dir-{}", std::process::id()))
        .join("slo.state");
    let persistence = registry.persist_to(&path, Duration::from_secs(60));
    registry.advance_to(Timestamp::from_unix_secs(1_800_000_000 + 600));
    let deadline = Instant::now() + Duration::from_secs(60);
    while threads.0.lock().expect("lock").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let logged = threads.0.lock().expect("lock").clone();
    assert!(!logged.is_empty(), "a failed save is logged");
    assert!(
        logged.iter().all(|name| name == "sloguard-persist"),
        "saved on {logged:?}, not only on the saving thread"
    );
    // The last save, at shutdown, is the caller's own.
    drop(persistence);
    let logged = threads.0.lock().expect("lock").clone();
    assert_ne!(logged.last().map(String::as_str), Some("sloguard-persist"));
}

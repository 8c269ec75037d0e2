//! A worker whose SLO state survives restarts: it loads the state file, then records jobs and
//! saves the state as often as it can (for at most 30 s), so a kill lands mid-write sooner or
//! later. Its first line says what it loaded.
//!
//! Run: `cargo run -p sloguard-examples --example persistent_worker -- /tmp/worker.state`

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sloguard::model::Slo;
use sloguard::{Outcome, Registry};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: persistent_worker STATE_FILE")?,
    );
    let registry = Registry::builder("worker").build();
    let jobs = registry.register(Slo::availability("jobs").objective_percent(99.0).build()?)?;
    let mut out = std::io::stdout().lock();
    match registry.load_state(&path) {
        Ok(_) => writeln!(out, "loaded {} events", jobs.counts().events())?,
        Err(e) => writeln!(out, "started fresh: {e}")?,
    }
    out.flush()?;
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(30) {
        for _ in 0..1_000 {
            n += 1;
            jobs.record(
                if n % 100 == 0 {
                    Outcome::Error
                } else {
                    Outcome::Success
                },
                Duration::from_millis(2),
            );
        }
        registry.tick();
        registry.save_state(&path)?;
    }
    Ok(())
}

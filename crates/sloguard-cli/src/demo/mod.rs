//! `sloguard demo`: an instrumented payments API on 127.0.0.1, traffic from a built-in load
//! generator, an incident part-way (an error spike, then a latency regression), a live view of
//! the SLOs, a summary of what fired when, and a post-incident review draft of each incident.
//!
//! Windows of 5 minutes to days do not fit in a one-minute demo, so the engine runs on
//! accelerated virtual time (about two engine hours per run, said on screen); request
//! latencies are measured in real time. `/metrics`, `/slo` and `/slo.json` are served while it
//! runs. It ends by itself after `--duration`, or on Ctrl-C.
// The demo is a terminal program: its view is printed on standard output.
#![allow(clippy::print_stdout)]

mod app;
mod view;

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sloguard::alert::{AlertState, AlertTransition};
use sloguard::client::HttpClient;
use sloguard::clock::Timestamp;
use sloguard::model::Severity;
use sloguard::sim::Simulation;

pub use app::Phase;
use view::Style;

/// Demo settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long it runs (real time).
    pub duration: Duration,
    /// Where the API listens (port 0: any free port).
    pub addr: SocketAddr,
    /// Requests per second the load generator sends.
    pub rate: u32,
    /// Colors: `None` decides from the terminal and `NO_COLOR`.
    pub color: Option<bool>,
}

/// Engine time covered by one run, whatever its real duration.
const ENGINE_SPAN: Duration = Duration::from_secs(2 * 3_600);
/// Normal traffic the engine has seen before the demo starts, so the 30-day budget and the
/// day-long windows hold a realistic past instead of only the incident.
const HISTORY: Duration = Duration::from_secs(3 * 86_400);

/// Feeds `HISTORY` of error-free traffic, at the demo's rate in engine time, up to the
/// simulation's start plus `HISTORY`.
fn seed_history(sim: &Simulation, events_per_engine_second: f64) {
    let per_minute = (events_per_engine_second * 60.0).round() as u64;
    let registry = sim.registry();
    let recorders: Vec<_> = registry
        .slo_names()
        .iter()
        .filter_map(|n| registry.slo(n))
        .collect();
    sim.run(HISTORY, Duration::from_secs(60), |_| {
        for r in &recorders {
            // 7 in 10 requests are payments, which the latency SLO selects.
            let share = if matches!(r.definition().operations(), sloguard::model::Selector::All) {
                10
            } else {
                7
            };
            r.add_counts(sloguard::Counts {
                good: per_minute * share / 10,
                bad: 0,
                cancelled: 0,
            });
        }
    });
}

/// What happened, for the caller (and the tests).
#[derive(Debug, Default)]
pub struct Summary {
    /// Requests the load generator got an answer to.
    pub answered: u64,
    /// `(slo, tier, state)` of every transition, in order.
    pub transitions: Vec<(String, String, AlertState)>,
    /// The incidents the engine recorded.
    pub incidents: Vec<sloguard::incidents::Incident>,
    /// The post-incident review drafts it printed last.
    pub review: String,
}

fn phase_at(fraction: f64) -> Phase {
    match fraction {
        f if f < 0.25 => Phase::Normal,
        f if f < 0.45 => Phase::ErrorSpike,
        f if f < 0.65 => Phase::LatencyRegression,
        _ => Phase::Recovery,
    }
}

type Log = Arc<Mutex<Vec<(Duration, Duration, AlertTransition)>>>;

/// Why the demo could not run.
#[derive(Debug)]
#[non_exhaustive]
pub enum DemoError {
    /// The async runtime could not start.
    Runtime(std::io::Error),
    /// The API could not listen on its address.
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        error: std::io::Error,
    },
    /// The demo's SLOs could not be registered (a bug).
    Register(String),
}

impl std::fmt::Display for DemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DemoError::Runtime(e) => write!(f, "cannot start the runtime: {e}"),
            DemoError::Listen { addr, error } => write!(f, "cannot listen on {addr}: {error}"),
            DemoError::Register(e) => write!(f, "cannot register the demo's SLOs: {e}"),
        }
    }
}

impl std::error::Error for DemoError {}

/// Runs the demo, printing to standard output.
pub fn run(options: &Options) -> Result<Summary, DemoError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(DemoError::Runtime)?;
    runtime.block_on(run_async(options))
}

/// The demo's engine: a registry on accelerated virtual time, and the log of what fired.
struct Engine {
    sim: Simulation,
    registry: sloguard::Registry,
    /// Engine time when the demo's real time started (after the seeded history).
    start: Timestamp,
    /// Engine seconds per real second.
    speed: f64,
    /// Real time since the demo started.
    started: Instant,
    log: Log,
}

impl Engine {
    /// The payments SLOs with three engine days of normal traffic behind them.
    fn start(options: &Options) -> Result<Engine, DemoError> {
        let speed = ENGINE_SPAN.as_secs_f64() / options.duration.as_secs_f64().max(1.0);
        let start = Timestamp::from(std::time::SystemTime::now());
        let sim = Simulation::new("payments", start.saturating_sub(HISTORY));
        let registry = sim.registry().clone();
        app::register(&registry).map_err(|e| DemoError::Register(e.to_string()))?;
        seed_history(&sim, f64::from(options.rate) / speed);
        sim.take_transitions();
        Ok(Engine {
            sim,
            registry,
            start,
            speed,
            started: Instant::now(),
            log: Arc::default(),
        })
    }

    /// Advances engine time every 100 ms real by 100 ms x speed (the evaluator runs on it)
    /// and logs the transitions, until `stop` is set.
    fn drive(&self, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
        let (sim, log) = (self.sim.clone(), Arc::clone(&self.log));
        let (started, start, speed) = (self.started, self.start, self.speed);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                sim.advance_to(
                    sim.now()
                        .saturating_add(Duration::from_secs_f64(0.1 * speed)),
                );
                let real = started.elapsed();
                if let Ok(mut l) = log.lock() {
                    for t in sim.take_transitions() {
                        l.push((real, t.at.saturating_duration_since(start), t));
                    }
                }
            }
        })
    }

    fn entries(&self) -> Vec<(Duration, Duration, AlertTransition)> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

async fn run_async(options: &Options) -> Result<Summary, DemoError> {
    let style = Style {
        color: options.color.unwrap_or_else(|| {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }),
    };
    let engine = Engine::start(options)?;
    let incident = app::Incident::default();
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(|error| DemoError::Listen {
            addr: options.addr,
            error,
        })?;
    let addr = listener.local_addr().map_err(|error| DemoError::Listen {
        addr: options.addr,
        error,
    })?;
    println!("listening on http://{addr}");
    println!("Status page: http://{addr}/slo   JSON: http://{addr}/slo.json   Prometheus: http://{addr}/metrics");
    println!(
        "The engine runs on accelerated virtual time, {:.0}x real time, so its 5m..1d windows fit in this {}-second demo (it starts with 3 engine days of normal traffic behind it); request latencies are real.",
        engine.speed,
        options.duration.as_secs()
    );
    let _ = std::io::stdout().flush();
    let server = tokio::spawn({
        let app = app::router(&engine.registry, incident.clone());
        async move { axum::serve(listener, app).await }
    });
    let stop = Arc::new(AtomicBool::new(false));
    let driver = engine.drive(Arc::clone(&stop));
    let answered = Arc::new(AtomicU64::new(0));
    let load = tokio::spawn(generate_load(
        addr,
        options.rate,
        options.duration,
        Arc::clone(&answered),
    ));
    watch(options, &engine, &incident, addr, &style).await;
    stop.store(true, Ordering::Relaxed);
    load.abort();
    let _ = driver.join();
    server.abort();
    Ok(close(&engine, answered.load(Ordering::Relaxed), &style))
}

/// Drives the incident's phases and shows the SLOs every second until the demo's time is up
/// (or Ctrl-C): a live screen on a terminal, plain lines otherwise.
async fn watch(
    options: &Options,
    engine: &Engine,
    incident: &app::Incident,
    addr: SocketAddr,
    style: &Style,
) {
    let mut shown = 0usize;
    let mut last_plain = Instant::now();
    let mut last_phase = Phase::Normal;
    loop {
        let elapsed = engine.started.elapsed();
        if elapsed >= options.duration {
            break;
        }
        let phase = phase_at(elapsed.as_secs_f64() / options.duration.as_secs_f64());
        incident.set(phase);
        let snapshot = engine.registry.snapshot();
        let entries = engine.entries();
        if style.color {
            let at = view::Moment {
                addr,
                elapsed,
                duration: options.duration,
                engine: engine.sim.now().saturating_duration_since(engine.start),
                speed: engine.speed,
                phase: phase.describe(),
            };
            print!("{}", view::frame(&at, &snapshot, &entries, style));
        } else {
            if phase != last_phase {
                println!("real {}: {}", view::clock_text(elapsed), phase.describe());
            }
            for (real, engine_time, t) in &entries[shown..] {
                println!("{}", view::transition(*engine_time, *real, t, style));
            }
            if last_plain.elapsed() >= Duration::from_secs(10) {
                print!("{}", view::table(&snapshot, style));
                last_plain = Instant::now();
            }
        }
        shown = entries.len();
        last_phase = phase;
        let _ = std::io::stdout().flush();
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
    }
}

/// The closing summary: what fired when, the SLOs at the end, and the post-incident review
/// drafts a person would write, from the engine's own incident history (also at
/// /slo/incidents.json and `sloguard incident-review`).
fn close(engine: &Engine, answered: u64, style: &Style) -> Summary {
    let entries = engine.entries();
    println!("\n{}", style.bold("What fired when:"));
    if entries.is_empty() {
        println!("  nothing fired");
    }
    for (real, engine_time, t) in &entries {
        println!("  {}", view::transition(*engine_time, *real, t, style));
    }
    let snapshot = engine.registry.snapshot();
    println!("\n{}", style.bold("At the end:"));
    print!("{}", view::table(&snapshot, style));
    let pages = entries
        .iter()
        .filter(|(_, _, t)| t.severity == Severity::Page && t.state == AlertState::Firing)
        .count();
    println!(
        "\n{answered} requests answered; {pages} page alert(s) fired during the incident. Run it again with --duration to change its length."
    );
    let review: String = snapshot
        .incidents
        .iter()
        .map(|i| {
            let json = sloguard::expose::incidents::IncidentJson::from_incident(
                i,
                &snapshot.service,
                snapshot.taken_at,
            );
            crate::incident_review::review(&snapshot.service, &json)
        })
        .collect::<Vec<_>>()
        .join("\n---\n\n");
    if review.is_empty() {
        println!("\nNo incident was recorded, so there is no review to draft.");
    } else {
        println!(
            "\n{}\n\n{review}",
            style.bold("Post-incident review draft(s):")
        );
    }
    Summary {
        answered,
        transitions: entries
            .iter()
            .map(|(_, _, t)| (t.slo.clone(), t.tier_id.clone(), t.state))
            .collect(),
        incidents: snapshot.incidents.to_vec(),
        review,
    }
}

/// Sends `rate` requests a second over loopback until `duration` has passed: 7 in 10 to
/// `/pay`, the rest to `/refund`. Each request has its own bounded time.
async fn generate_load(addr: SocketAddr, rate: u32, duration: Duration, answered: Arc<AtomicU64>) {
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let mut ticker = tokio::time::interval(interval);
    let deadline = Instant::now() + duration;
    let max_requests = u64::from(rate.max(1)) * duration.as_secs().max(1) + 1;
    for n in 0..max_requests {
        if Instant::now() >= deadline {
            return;
        }
        ticker.tick().await;
        let path = if n % 10 < 7 { "/pay" } else { "/refund" };
        let answered = Arc::clone(&answered);
        tokio::spawn(async move {
            if tokio::time::timeout(Duration::from_secs(5), request(addr, path))
                .await
                .is_ok_and(|r| r.is_ok())
            {
                answered.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
}

/// One request of the demo's traffic, through the library's one HTTP client.
async fn request(addr: SocketAddr, path: &str) -> Result<(), String> {
    let url = format!("http://{addr}{path}");
    HttpClient::shared()
        .get_async(&url, Duration::from_secs(5), 64 * 1024)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

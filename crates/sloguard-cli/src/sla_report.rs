//! `sloguard sla-report`: the table of past calendar periods and their SLA outcomes, from a
//! running service's `/slo.json` or from a state file read with the spec that wrote it; under
//! each SLO, the maintenance windows whose events were left out of it, with their minutes.
//!
//! ```
//! use sloguard::expose::json::SloDocument;
//! use sloguard_cli::sla_report::render;
//!
//! let doc = SloDocument { service: "shop".into(), taken_at: 0.0, slos: vec![], diagnostics: vec![], maintenances: vec![] };
//! assert!(render(&doc, None).contains("no calendar compliance windows"));
//! ```

use std::fmt::Write;
use std::path::Path;

use sloguard::clock::Clock;
use sloguard::expose::json::{ComplianceJson, SloDocument};
use sloguard::spec::Spec;
use sloguard::Registry;

/// The table, one section per SLO and calendar window (only `slo` when given), newest period
/// first; dates are the periods' first local day.
pub fn render(doc: &SloDocument, slo: Option<&str>) -> String {
    let mut out = String::new();
    let mut any = false;
    for status in doc
        .slos
        .iter()
        .filter(|s| slo.is_none_or(|name| s.name == name))
    {
        for window in &status.compliance {
            any = true;
            section(&mut out, &doc.service, &status.name, window);
        }
        if !status.compliance.is_empty() {
            excluded(&mut out, doc, status);
        }
    }
    if !any {
        let _ = writeln!(
            out,
            "{}: no calendar compliance windows{}; give an SLO `calendars:` or `sla:` in the spec",
            doc.service,
            slo.map(|s| format!(" for SLO {s:?}")).unwrap_or_default()
        );
    }
    out
}

/// The maintenance windows that left events out of an SLO, with their minutes.
fn excluded(out: &mut String, doc: &SloDocument, slo: &sloguard::expose::json::SloJson) {
    if slo.maintenance == "count" {
        let _ = writeln!(
            out,
            "  maintenance: counted (the SLO says maintenance: count)\n"
        );
        return;
    }
    let windows: Vec<_> = doc
        .maintenances
        .iter()
        .filter(|m| m.slos.contains(&slo.name) && m.excluded_minutes > 0)
        .collect();
    if windows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  maintenance left out of {} ({} events, {} bad):",
        slo.name, slo.maintenance_excluded_events, slo.maintenance_excluded_bad_events
    );
    for m in windows {
        let _ = writeln!(
            out,
            "    {} to {}  {:>6} min  {}",
            m.scheduled_for, m.ends_at, m.excluded_minutes, m.name
        );
    }
    out.push('\n');
}

fn local_date(secs: f64, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_second(secs as i64)
        .map(|t| t.to_zoned(tz).date().to_string())
        .unwrap_or_else(|_| format!("{secs}"))
}

fn section(out: &mut String, service: &str, slo: &str, w: &ComplianceJson) {
    let sla = w
        .sla
        .as_ref()
        .map(|s| format!(", SLA {}%", sloguard::words::objective_percent(s.objective)))
        .unwrap_or_default();
    let _ = writeln!(out, "{service} / {slo}: per {} ({}){sla}", w.window, w.zone);
    let _ = writeln!(
        out,
        "  {:<12} {:>12} {:>10} {:>10}  SLA",
        "period", "events", "bad", "achieved"
    );
    let mut row = |start: f64, events: u64, bad: u64, sli: Option<f64>, sla: &str| {
        let achieved = sloguard::words::achieved(sli);
        let date = local_date(start, &w.zone);
        let _ = writeln!(
            out,
            "  {date:<12} {events:>12} {bad:>10} {achieved:>10}  {sla}"
        );
    };
    let now = w
        .sla
        .as_ref()
        .map_or("-".to_owned(), |s| format!("{} (so far)", s.status));
    row(w.start, w.events, w.bad_events, w.sli_ratio, &now);
    for p in &w.past {
        row(
            p.start,
            p.events,
            p.bad_events,
            p.sli_ratio,
            p.sla.as_deref().unwrap_or("-"),
        );
    }
    out.push('\n');
}

/// Why a state file could not be read with its spec.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateReadError {
    /// The spec's SLOs cannot be registered.
    Spec(Box<sloguard::spec::SpecError>),
    /// The file cannot be loaded.
    State {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        error: sloguard::StateError,
    },
    /// The file holds none of the spec's SLOs.
    NothingRestored {
        /// The file.
        path: std::path::PathBuf,
        /// The SLOs it holds.
        held: Vec<String>,
    },
}

impl std::fmt::Display for StateReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateReadError::Spec(e) => e.fmt(f),
            StateReadError::State { path, error } => write!(f, "{}: {error}", path.display()),
            StateReadError::NothingRestored { path, held } => write!(
                f,
                "{}: none of the spec's SLOs is in the state file (it holds {held:?})",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StateReadError {}

/// The document a state file holds for a spec's SLOs, as of now: the spec's SLOs registered
/// on a registry, the file loaded into it, and its `/slo.json` read without serving it.
pub fn from_state(spec: &Spec, state: &Path) -> Result<SloDocument, StateReadError> {
    let registry = registry_from_state(spec, state)?;
    Ok(SloDocument::from_snapshot(&registry.snapshot()))
}

/// A registry with the spec's SLOs and the state file's counts, windows, periods and
/// incidents, evaluated now.
pub fn registry_from_state(spec: &Spec, state: &Path) -> Result<Registry, StateReadError> {
    let registry = Registry::builder(spec.service.clone())
        .clock(Clock::system())
        .build();
    spec.register(&registry)
        .map_err(|e| StateReadError::Spec(Box::new(e)))?;
    let report = registry
        .load_state_read_only(state)
        .map_err(|error| StateReadError::State {
            path: state.to_owned(),
            error,
        })?;
    if report.restored.is_empty() {
        return Err(StateReadError::NothingRestored {
            path: state.to_owned(),
            held: report.skipped,
        });
    }
    registry.tick();
    Ok(registry)
}

//! The demo's terminal view: SLOs, burn rate per window, budget, alert state; colors on a
//! terminal (unless `NO_COLOR` is set), plain lines otherwise.

use std::fmt::Write;
use std::time::Duration;

use sloguard::alert::{AlertState, AlertTransition};
use sloguard::duration::{format_duration, human_duration};
use sloguard::model::Severity;
use sloguard::snapshot::{BudgetLevel, Health, Snapshot};
use sloguard::words::percent_1;

pub(crate) struct Style {
    pub(crate) color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    pub(crate) fn red(&self, t: &str) -> String {
        self.paint("1;31", t)
    }
    pub(crate) fn yellow(&self, t: &str) -> String {
        self.paint("1;33", t)
    }
    pub(crate) fn green(&self, t: &str) -> String {
        self.paint("32", t)
    }
    pub(crate) fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
}

pub(crate) fn clock_text(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

/// One frame: the SLO table.
pub(crate) fn table(snapshot: &Snapshot, style: &Style) -> String {
    let mut out = String::new();
    let windows: Vec<String> = snapshot
        .slos
        .first()
        .map(|s| {
            s.windows()
                .iter()
                .map(|w| format_duration(w.window))
                .collect()
        })
        .unwrap_or_default();
    let _ = write!(out, "{:<14}{:>10} ", "SLO", "budget");
    for w in &windows {
        let _ = write!(out, "{w:>8}");
    }
    let _ = writeln!(out, "   alerts");
    for slo in &snapshot.slos {
        let budget = format!("{:>10}", percent_1(slo.budget_remaining()));
        let budget = match slo.budget_level() {
            BudgetLevel::Comfortable => style.green(&budget),
            BudgetLevel::Low => style.yellow(&budget),
            BudgetLevel::Critical => style.red(&budget),
        };
        let _ = write!(out, "{:<14}{budget} ", slo.definition.name());
        for w in slo.windows() {
            // A dash, not "no traffic", keeps the table's columns.
            let cell = w
                .burn_rate
                .map_or("-".to_owned(), |b| sloguard::words::burn(Some(b)));
            let cell = format!("{cell:>8}");
            out.push_str(&if slo.past_threshold(w) {
                style.red(&cell)
            } else {
                cell
            });
        }
        let state = match slo.health() {
            Health::Page => style.red("PAGE"),
            Health::Ticket => style.yellow("TICKET"),
            Health::Ok => style.green("ok"),
            Health::NoData => "no data".to_owned(),
        };
        let _ = writeln!(out, "   {state}");
    }
    out
}

/// One transition, for the log under the table and the closing summary.
pub(crate) fn transition(
    engine_offset: Duration,
    real: Duration,
    t: &AlertTransition,
    style: &Style,
) -> String {
    let what = match (t.state, t.severity) {
        (AlertState::Firing, Severity::Page) => style.red("PAGE firing"),
        (AlertState::Firing, Severity::Ticket) => style.yellow("TICKET firing"),
        (AlertState::Resolved, _) => {
            style.green(&format!("{} resolved", t.severity.as_str().to_uppercase()))
        }
    };
    format!(
        "real {} | engine +{:<7} {:<13} {:<8} {}: {}",
        clock_text(real),
        human_duration(engine_offset).replace(' ', ""),
        t.slo,
        t.tier_id,
        what,
        sloguard::alerting::summary(t)
    )
}

/// Where the demo stands, for the live screen's header.
pub(crate) struct Moment<'a> {
    pub(crate) addr: std::net::SocketAddr,
    pub(crate) elapsed: Duration,
    pub(crate) duration: Duration,
    pub(crate) engine: Duration,
    pub(crate) speed: f64,
    pub(crate) phase: &'a str,
}

/// One frame of the live screen: clear, the header, the SLO table and the last transitions.
pub(crate) fn frame(
    at: &Moment<'_>,
    snapshot: &Snapshot,
    entries: &[(Duration, Duration, AlertTransition)],
    style: &Style,
) -> String {
    let addr = at.addr;
    let mut frame = String::from("\x1b[2J\x1b[H");
    frame.push_str(&style.bold(&format!(
        "sloguard demo: payments API at http://{addr}  (status page: http://{addr}/slo)\n"
    )));
    let _ = write!(
        frame,
        "real {} of {}  |  engine time +{} ({:.0}x, virtual)  |  {}\n\n",
        clock_text(at.elapsed),
        clock_text(at.duration),
        sloguard::duration::human_duration(at.engine),
        at.speed,
        at.phase
    );
    frame.push_str(&table(snapshot, style));
    frame.push_str("\nAlert log:\n");
    for (real, engine, t) in entries.iter().rev().take(8).rev() {
        frame.push_str(&transition(*engine, *real, t, style));
        frame.push('\n');
    }
    frame
}
